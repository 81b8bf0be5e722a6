"""Cancel-on-disconnect: the venue's own dead man's switch (docs/venues.md#cancel-on-disconnect).

While an engine trades, it asks the venue to cancel its open orders by itself should the
engine stop telling it otherwise: Binance USD-M `countdownCancelAll` (per symbol, a
countdown re-armed as a heartbeat), OKX `cancel-all-after` (the whole account, 0 or 10..120
s), Bybit Disconnection Protection (DCP: the private websocket subscribed to `dcp.future` is
the heartbeat; the REST call only sets the window, 3..300 s). If the engine dies, or loses
the venue for longer than the window, the venue cancels the orders: nothing of ours rests
on a book nobody manages.

A client that offers it implements `CancelOnDisconnect`; the execution actor arms it after
the client opened, re-arms it on its timer, and disarms it at a clean stop
(`pyengine.actors.execution_deadman`). A client without it (the simulator) is never armed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

Scope = Literal["symbol", "account", "connection"]
"""What one arming covers: the symbols named (Binance), every order of the account (OKX),
or the account's orders as long as a `dcp`-subscribed private connection lives (Bybit)."""

#: (least, most) window in seconds each venue takes; None: no documented bound.
WINDOW_LIMITS: dict[str, tuple[float, float | None]] = {
    "binance-usdm": (0.001, None),  # countdownTime in ms, > 0 (0 disarms)
    "bybit": (3, 300),  # timeWindow, integer seconds
    "okx": (10, 120),  # timeOut, integer seconds (0 disarms)
}
_WHOLE_SECONDS = frozenset({"bybit", "okx"})


def check_window(venue: str, window_s: float, rearm_s: float) -> None:
    """Raise `ValueError` when `window_s` (0: off) or `rearm_s` (0: a third of the window)
    is not one the venue takes."""
    if window_s < 0 or rearm_s < 0:
        raise ValueError("cancel_on_disconnect_s and cancel_on_disconnect_rearm_s must be >= 0")
    if window_s == 0:
        return
    least, most = WINDOW_LIMITS.get(venue, (0.001, None))
    if window_s < least or (most is not None and window_s > most):
        raise ValueError(
            f"cancel_on_disconnect_s: {venue} takes {least}..{most or 'any'} s, not {window_s}"
        )
    if venue in _WHOLE_SECONDS and window_s != int(window_s):
        raise ValueError(f"cancel_on_disconnect_s: {venue} takes whole seconds, not {window_s}")
    if rearm_s >= window_s:
        raise ValueError("cancel_on_disconnect_rearm_s must be shorter than the window")


def rearm_period(window_s: float, rearm_s: float) -> float:
    """Seconds between two armings: `rearm_s`, or a third of the window (so two heartbeats
    in a row may fail before the venue's timer runs out)."""
    return rearm_s or window_s / 3


@dataclass(frozen=True, slots=True)
class Armed:
    """What one arming did: the window asked for, what it covers, and how many requests
    it took (0: nothing to send, e.g. Bybit's window already set for this connection)."""

    window_s: float
    scope: Scope
    symbols: tuple[str, ...] = ()
    requests: int = 1


@runtime_checkable
class CancelOnDisconnect(Protocol):
    """A client whose venue cancels its orders by itself when it stops hearing from us."""

    @property
    def cancel_on_disconnect_s(self) -> float:
        """The window in seconds; 0: off (never armed)."""
        ...

    @property
    def cancel_on_disconnect_rearm_s(self) -> float:
        """Seconds between two armings (shorter than the window)."""
        ...

    @property
    def cancel_on_disconnect_scope(self) -> Scope: ...

    async def arm_cancel_on_disconnect(self, symbols: Sequence[str]) -> Armed:
        """Arm (or re-arm) the venue's timer for `symbols` (ignored unless the scope is
        "symbol"); raises the client's typed errors when the venue refuses or is away."""
        ...

    async def disarm_cancel_on_disconnect(self, symbols: Sequence[str]) -> int:
        """Stop the venue's timer (a clean stop), for `symbols` too where it is per symbol
        (a previous life may have armed them); how many requests it took."""
        ...
