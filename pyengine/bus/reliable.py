"""The acknowledged path for critical flows (orders, fills, transfers, quotes, alerts).

Sender: a DEALER per destination mailbox (a ROUTER). Each message goes out as
`[b"M", key, topic, payload]` and stays in the `Outbox` until the receiver answers
`[b"A", key]`. Anything unacknowledged after `ack_timeout` is sent again, for as long as it
takes; a send refused by the socket (`EAGAIN`: HWM reached or peer absent) just waits for the
next resend round. Nothing is dropped: a growing outbox shows in heartbeats and status.

Receiver: acknowledges only after the message was handled *and* the actor's `flush()`
(the recorder's commit) returned, so an ack means durable. It answers `[b"N", key, reason]`
for bytes it cannot decode, which the sender counts and logs as a rejection (the one case a
critical message is given up, loudly). Delivery is at least once: a resend after a lost ack
reaches the receiver twice, so receivers are idempotent on `key` (the `DedupWindow`, and the
store's unique key for the recorder). Resends may overtake newer messages: receivers must
not rely on order across keys.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

MSG = b"M"
ACK = b"A"
NACK = b"N"


def delivery_key(src: str, epoch: int, topic: str, seq: int) -> bytes:
    """The identity of one published message, unique across restarts of its publisher."""
    return f"{src}/{epoch}/{topic}/{seq}".encode()


@dataclass(slots=True)
class Pending:
    """One unacknowledged message."""

    dest: str
    frames: list[bytes]
    sent_ns: int
    attempts: int


class Outbox:
    """Unacknowledged critical messages, keyed by delivery key, in send order."""

    __slots__ = ("_items", "acked", "rejected", "resent")

    def __init__(self) -> None:
        self._items: OrderedDict[tuple[str, bytes], Pending] = OrderedDict()
        self.acked = 0
        self.resent = 0
        self.rejected = 0

    def __len__(self) -> int:
        return len(self._items)

    def add(self, dest: str, key: bytes, frames: list[bytes], now_ns: int, sent: bool) -> None:
        self._items[(dest, key)] = Pending(dest, frames, now_ns if sent else 0, 1 if sent else 0)

    def ack(self, dest: str, key: bytes) -> bool:
        """Forget an acknowledged message; False if it was not pending (a duplicate ack)."""
        if self._items.pop((dest, key), None) is None:
            return False
        self.acked += 1
        return True

    def reject(self, dest: str, key: bytes) -> Pending | None:
        """Forget a message the receiver could not decode."""
        item = self._items.pop((dest, key), None)
        if item is not None:
            self.rejected += 1
        return item

    def due(self, now_ns: int, timeout_ns: int, limit: int = 10_000) -> list[Pending]:
        """Messages to (re)send now: never sent, or unacknowledged for `timeout_ns`."""
        out: list[Pending] = []
        for item in self._items.values():
            if item.sent_ns == 0 or now_ns - item.sent_ns >= timeout_ns:
                out.append(item)
                if len(out) >= limit:
                    break
        return out

    def pending(self, dest: str | None = None) -> int:
        """How many messages wait for an ack (for one destination, or all)."""
        if dest is None:
            return len(self._items)
        return sum(1 for d, _ in self._items if d == dest)


class DedupWindow:
    """The last `size` delivery keys seen, to drop resent duplicates."""

    __slots__ = ("_keys", "_size", "duplicates")

    def __init__(self, size: int = 100_000) -> None:
        self._keys: OrderedDict[bytes, None] = OrderedDict()
        self._size = size
        self.duplicates = 0

    def seen(self, key: bytes) -> bool:
        """True if `key` was handled before (and counts the duplicate)."""
        if key in self._keys:
            self.duplicates += 1
            return True
        return False

    def remember(self, key: bytes) -> None:
        """Record `key` as handled (after it was made durable)."""
        self._keys[key] = None
        if len(self._keys) > self._size:
            self._keys.popitem(last=False)
