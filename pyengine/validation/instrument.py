"""One instrument's validity: staleness, deviation, book sanity, suspend/resume hysteresis.

docs/market-data-validity.md#validity (ours):

    lag_ms  = ts_recv - ts_event                # plus the time since the newest data arrived
    dev_bps = |mid - oracle| / oracle * 1e4
    VALID   = dev_bps <= tol_bps and lag_ms <= stale_ms and synced and uncrossed
    SUSPEND if lag_ms > suspend_ms (or no fresh oracle)
    RESUME  if lag_ms < resume_ms (and a fresh oracle) continuously for resume_hold_ms

Lag is judged on the newest data we hold, aged by the time since it arrived: a feed that
falls silent goes stale and then suspended even though no late message ever shows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Context, Decimal, InvalidOperation

from pyengine.messages.validity import INVALID, SUSPENDED, VALID
from pyengine.validation.config import Thresholds

_CTX = Context(prec=60)
_BPS = Decimal(10_000)
_CENT = Decimal("0.01")
_NS_PER_MS = 1_000_000

STALE = "stale"
DEVIATION = "deviation"
CROSSED = "crossed"
ONE_SIDED = "one_sided"
BAD_PRICE = "bad_price"
BOOK_INVALID = "book_invalid"
NO_DATA = "no_data"
LAG_SUSPEND = "lag_suspend"
ORACLE_STALE = "oracle_stale"
RESUME_HOLD = "resume_hold"
LAG_ABOVE_RESUME = "lag_above_resume"
STARTUP = "startup"


@dataclass(frozen=True, slots=True)
class Verdict:
    """One evaluation of an instrument."""

    state: str
    reasons: tuple[str, ...]
    lag_ms: int
    dev_bps: Decimal | None
    mid: Decimal | None
    oracle_px: Decimal | None


def parse_px(text: str) -> Decimal | None:
    """A positive finite price, or None."""
    try:
        px = Decimal(text)
    except (InvalidOperation, ValueError, TypeError):
        return None
    return px if px.is_finite() and px > 0 else None


def deviation_bps(mid: Decimal, ref: Decimal) -> Decimal:
    """|mid - ref| / ref x 1e4, exact to 60 digits."""
    return _CTX.divide(_CTX.multiply(abs(_CTX.subtract(mid, ref)), _BPS), ref)


class InstrumentState:
    """The mutable state of one (venue, symbol); `evaluate` is the only place verdicts arise."""

    def __init__(
        self, venue: str, symbol: str, limits: Thresholds, *, start_suspended: bool = True
    ) -> None:
        self.venue = venue
        self.symbol = symbol
        self.limits = limits
        self.has_data = False
        self.lag_ns = 0
        self.recv_ns = 0
        self.bid: Decimal | None = None
        self.ask: Decimal | None = None
        self.problem: str | None = None
        self.suspended = start_suspended
        self.startup = start_suspended
        self.clear_since: int | None = None
        self.published: tuple[str, tuple[str, ...]] | None = None
        self.published_ns = 0

    def on_book(
        self,
        ts_event: int,
        ts_recv: int,
        bid_px: str | None,
        ask_px: str | None,
        valid: bool = True,
    ) -> None:
        """A top of book (BookTop's first levels or a BestBidOffer)."""
        self.has_data = True
        self.lag_ns = ts_recv - ts_event
        self.recv_ns = ts_recv
        self.bid = parse_px(bid_px) if bid_px is not None else None
        self.ask = parse_px(ask_px) if ask_px is not None else None
        if not valid:
            self.problem = BOOK_INVALID
        elif bid_px is None or ask_px is None:
            self.problem = ONE_SIDED
        elif self.bid is None or self.ask is None:
            self.problem = BAD_PRICE
        elif self.bid >= self.ask:
            self.problem = CROSSED
        else:
            self.problem = None

    def on_fault(self, reason: str) -> None:
        """The feed says the book is untrustworthy: invalid until the next valid book."""
        self.problem = f"fault:{reason}"
        self.bid = self.ask = None

    def lag_at(self, now_ns: int) -> int:
        """Age of the newest data in ms at `now_ns` (lag on arrival + time since)."""
        return (self.lag_ns + max(0, now_ns - self.recv_ns)) // _NS_PER_MS

    def evaluate(self, now_ns: int, oracle_px: Decimal | None) -> Verdict:
        """Advance the suspend/resume machine to `now_ns` and judge the instrument."""
        lim = self.limits
        lag_ms = self.lag_at(now_ns) if self.has_data else 0
        mid = None
        dev = None
        if self.problem is None and self.bid is not None and self.ask is not None:
            mid = _CTX.divide(_CTX.add(self.bid, self.ask), 2)
            if oracle_px is not None:
                dev = deviation_bps(mid, oracle_px)

        lagging = not self.has_data or lag_ms > lim.suspend_ms
        if lagging or oracle_px is None:
            self.suspended = True
            self.clear_since = None
        elif self.suspended:
            if lag_ms < lim.resume_ms:
                if self.clear_since is None:
                    self.clear_since = now_ns
                if now_ns - self.clear_since >= lim.resume_hold_ms * _NS_PER_MS:
                    self.suspended = False
                    self.startup = False
                    self.clear_since = None
            else:
                self.clear_since = None

        reasons: list[str] = []
        if self.suspended:
            if self.startup:
                reasons.append(STARTUP)
            if not self.has_data:
                reasons.append(NO_DATA)
            elif lag_ms > lim.suspend_ms:
                reasons.append(LAG_SUSPEND)
            if oracle_px is None:
                reasons.append(ORACLE_STALE)
            if self.clear_since is not None:
                reasons.append(RESUME_HOLD)
            elif not reasons:
                reasons.append(LAG_ABOVE_RESUME)
        if self.has_data and lag_ms > lim.stale_ms:
            reasons.append(STALE)
        if self.problem is not None:
            reasons.append(self.problem)
        if dev is not None and dev > lim.tol_bps:
            reasons.append(DEVIATION)
        if self.suspended:
            state = SUSPENDED
        elif reasons:
            state = INVALID
        else:
            state = VALID
        return Verdict(state, tuple(reasons), lag_ms, dev, mid, oracle_px)


def format_bps(dev: Decimal | None) -> str:
    """Basis points to two places for the wire ("" when unknown)."""
    return "" if dev is None else str(dev.quantize(_CENT, context=_CTX))
