"""Market-data validity (docs/market-data-validity.md): what pricing, quoting and routing must obey.

An instrument is `valid`, `invalid` (do not quote or route on it; resting orders are
cancelled) or `suspended` (lag or oracle trouble; it only comes back through the resume
hysteresis). A consumer that has not heard a validity for an instrument, or whose last one is
older than a few refresh periods, treats the instrument as invalid.
"""

from __future__ import annotations

from typing import ClassVar

from pyengine.messages import topics
from pyengine.messages.base import Message
from pyengine.messages.codec import register_message

VALID = "valid"
INVALID = "invalid"
SUSPENDED = "suspended"


class InstrumentValidity(Message, frozen=True, kw_only=True, tag="md.validity"):
    """The validator's verdict on one (venue, symbol); published on change and refreshed.

    `reasons` are short codes (`stale`, `deviation`, `crossed`, `book_invalid`, `fault:<why>`,
    `lag_suspend`, `oracle_stale`, `no_data`, `startup`, `resume_hold`...); `dev_bps` is the
    mid's deviation from the oracle reference in basis points (decimal string, "" when there
    is no reference) and `lag_ms` the age of the newest data (ts_recv - ts_event plus the time
    since it arrived).
    """

    venue: str
    symbol: str
    state: str
    reasons: list[str]
    dev_bps: str
    lag_ms: int
    mid: str = ""
    oracle_px: str = ""
    CRITICAL: ClassVar[bool] = True
    SNAPSHOT: ClassVar[bool] = True
    TOPIC: ClassVar[str] = topics.MD_VALIDITY

    def topic(self) -> str:
        return f"{self.TOPIC}{self.venue}.{self.symbol}"


class RfqLookback(Message, frozen=True, kw_only=True, tag="md.rfq_lookback"):
    """How long RFQ acceptance looks back: base plus the worst venue clock drift
    (docs/market-data-validity.md#clock-drift-and-look-back)."""

    lookback_ms: int
    base_ms: int = 0
    drift_ms: int = 0
    worst_venue: str = ""
    CRITICAL: ClassVar[bool] = True
    SNAPSHOT: ClassVar[bool] = True
    TOPIC: ClassVar[str] = topics.MD_RFQ_LOOKBACK

    def topic(self) -> str:
        return self.TOPIC


register_message(InstrumentValidity)
register_message(RfqLookback)
