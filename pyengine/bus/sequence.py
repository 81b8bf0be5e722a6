"""Per-(publisher, topic) sequence checking: how a subscriber knows it missed something."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Gap:
    """`missing` messages of (`src`, `topic`) never arrived: expected `expected`, got `received`."""

    src: str
    topic: str
    expected: int
    received: int

    @property
    def missing(self) -> int:
        return self.received - self.expected


class SequenceTracker:
    """Checks the envelope `(src, epoch, topic, seq)` of each message a subscriber receives.

    - seq == last + 1: in order.
    - seq > last + 1: a gap (PUB dropped at its high-water mark, or we were not running);
      counted and returned so the caller reports it.
    - a new epoch: the publisher restarted and counts from 1 again; not a gap, counted as a reset.
      Messages the dead life published but we never saw cannot be known from here: the
      critical ones travel the acknowledged path and are resent, the rest are market data that
      the next update supersedes.
    - seq <= last in the same epoch: a duplicate or reordering; counted, and the caller drops it.
    - first message of a (src, topic): accepted wherever it starts (late joiner), unless a
      restored position (`restore`) says where we left off, in which case a jump is a gap.
    """

    __slots__ = ("_last", "duplicates", "gaps", "missing", "resets")

    def __init__(self) -> None:
        self._last: dict[tuple[str, str], tuple[int, int]] = {}
        self.gaps = 0
        self.missing = 0
        self.resets = 0
        self.duplicates = 0

    def restore(self, src: str, topic: str, epoch: int, seq: int) -> None:
        """Resume from a position known from the journal (after a restart)."""
        self._last[(src, topic)] = (epoch, seq)

    def check(self, src: str, topic: str, epoch: int, seq: int) -> Gap | bool | None:
        """None if in order, a `Gap` if messages were missed, False if a duplicate to drop."""
        key = (src, topic)
        last = self._last.get(key)
        self._last[key] = (epoch, seq)
        if last is None:
            return None
        last_epoch, last_seq = last
        if epoch != last_epoch:
            self.resets += 1
            return None
        if seq == last_seq + 1:
            return None
        if seq <= last_seq:
            self._last[key] = last
            self.duplicates += 1
            return False
        gap = Gap(src, topic, last_seq + 1, seq)
        self.gaps += 1
        self.missing += gap.missing
        return gap

    def positions(self) -> dict[tuple[str, str], tuple[int, int]]:
        """Last (epoch, seq) seen per (src, topic)."""
        return dict(self._last)
