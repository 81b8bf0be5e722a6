"""When the execution actor arms the venue's dead man's switch, and what a failure means.

The venue cancels our open orders by itself if we stop re-arming its timer for a window
(`pyengine.venues.private.deadman`, docs/venues.md#cancel-on-disconnect). So the actor arms
it as soon as its client is open (account-wide venues: always, since any order may follow;
Binance, per symbol: each symbol we have an order on, before or with that order's request),
re-arms it every `rearm` seconds from its timer, and after a failure tries again a quarter
of that period later. Everything here returns `Call` effects; the replies come back here.

A failure to arm is a warning, never a crash: it is counted, logged, and raised once per
run of failures as a `cancel_on_disconnect_unarmed` alert (cleared by the next success).
The orders keep trading; only the protection is missing, or runs out at the venue.

A clean stop disarms it (`disarm`, run by the actor's cleanups after `on_stop`): a
deliberate stop leaves what is open as it is (an operator may be restarting the engine, or
take over by hand), and a timer left running would cancel the account's orders a window
later. A crash, a kill or a lost venue does not disarm it: that is what it is for.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial

from pyengine.actors.effects import Call, Output
from pyengine.messages import AlertCleared, AlertRaised
from pyengine.venues.private.deadman import Armed, CancelOnDisconnect

log = logging.getLogger("pyengine.actors.execution")

CORRELATION = "cod"


class DeadMan:
    """The cancel-on-disconnect timer of one venue account, as the actor sees it."""

    def __init__(
        self,
        source: str,
        venue: str,
        *,
        now: Callable[[], int],
        deadline: Callable[[], int],
        counters: dict[str, int],
    ) -> None:
        self.source = source
        self.venue = venue
        self.now = now
        self.deadline = deadline
        self.counters = counters
        for k in ("cod_arms", "cod_failures"):
            counters.setdefault(k, 0)
        self.client: CancelOnDisconnect | None = None
        self.window_ns = 0
        self.rearm_ns = 0
        self.symbols: set[str] = set()
        """Symbols with orders of ours this life (Binance arms each)."""
        self._sent: frozenset[str] = frozenset()
        self._in_flight = False
        self._next_ns = 0
        """When to arm next (0: now)."""
        self.armed_until_ns = 0
        """When the venue's timer runs out if not re-armed (0: never armed this life)."""
        self._failing = 0
        self._alert_id = f"cancel-on-disconnect-{venue}"

    def attach(self, client: object) -> None:
        """Use `client`'s switch, if it has one that is switched on."""
        if isinstance(client, CancelOnDisconnect) and client.cancel_on_disconnect_s > 0:
            self.client = client
            self.window_ns = int(client.cancel_on_disconnect_s * 1e9)
            self.rearm_ns = int(client.cancel_on_disconnect_rearm_s * 1e9)

    @property
    def per_symbol(self) -> bool:
        return self.client is not None and self.client.cancel_on_disconnect_scope == "symbol"

    def cover(self, symbol: str) -> list[Output]:
        """An order on `symbol` is about to be sent: arm now if the symbol is not covered
        yet (on the order path: one set lookup when it is)."""
        if symbol in self.symbols:
            return []
        self.symbols.add(symbol)
        if self.per_symbol:
            self._next_ns = 0
        return self.due()

    def due(self) -> list[Output]:
        """The arming call, when one is due."""
        client = self.client
        if client is None or self._in_flight or self.now() < self._next_ns:
            return []
        if self.per_symbol and not self.symbols:
            return []  # nothing of ours rests on any symbol yet
        self._in_flight = True
        self._sent = frozenset(self.symbols)
        arm = partial(client.arm_cancel_on_disconnect, sorted(self._sent))
        # Past a re-arm period an answer is of no use: the next arming is due.
        return [Call(arm, CORRELATION, min(self.deadline(), self.now() + self.rearm_ns))]

    def replied(self, value: object) -> list[Output]:
        if not isinstance(value, Armed):
            raise TypeError(f"{CORRELATION}: the client answered {type(value).__name__}")
        now = self.now()
        self._in_flight = False
        self.counters["cod_arms"] += 1
        self.armed_until_ns = now + self.window_ns
        self._next_ns = now + self.rearm_ns
        out: list[Output] = []
        if self._failing:
            log.info("%s: cancel-on-disconnect armed again", self.source)
            self._failing = 0
            out.append(
                AlertCleared(ts_event=now, ts_recv=now, alert_id=self._alert_id, source=self.source)
            )
        if self.symbols - self._sent:  # symbols added while this arming was in flight
            self._next_ns = 0
            out.extend(self.due())
        return out

    def failed(self, error: str) -> list[Output]:
        now = self.now()
        self._in_flight = False
        self.counters["cod_failures"] += 1
        self._next_ns = now + max(self.rearm_ns // 4, 1)
        self._failing += 1
        left = (self.armed_until_ns - now) / 1e9
        state = f"the venue's timer runs out in {left:.0f} s" if left > 0 else "it is not armed"
        log.warning(
            "%s: arming cancel-on-disconnect failed (%d in a row; %s): %s",
            self.source,
            self._failing,
            state,
            error,
        )
        if self._failing > 1:
            return []
        return [
            AlertRaised(
                ts_event=now,
                ts_recv=now,
                alert_id=self._alert_id,
                severity="warning",
                source=self.source,
                code="cancel_on_disconnect_unarmed",
                text=f"{self.venue}: arming cancel-on-disconnect failed ({state}): {error}",
            )
        ]

    async def disarm(self) -> None:
        """A clean stop: stop the venue's timer, even if this life never managed to arm it
        (an earlier life may have)."""
        if self.client is not None:
            sent = await self.client.disarm_cancel_on_disconnect(sorted(self.symbols))
            log.info("%s: cancel-on-disconnect disarmed (%d requests)", self.source, sent)

    def stats(self) -> dict[str, int]:
        left = max(0, self.armed_until_ns - self.now()) if self.armed_until_ns else 0
        return {
            "cod_window_s": self.window_ns // 1_000_000_000,
            "cod_armed": int(left > 0),
            "cod_expires_in_ms": left // 1_000_000,
        }
