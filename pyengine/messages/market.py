"""Market data: data messages are nouns, published by feed and oracle actors.

Prices and sizes on the hot path are the exact decimal strings the venue sent (no parsing,
no float); `decimal.Decimal(s)` gives the exact value where arithmetic is needed.
"""

from __future__ import annotations

from typing import ClassVar

from pyengine.messages import topics
from pyengine.messages.base import Message
from pyengine.messages.codec import register_message

Level = tuple[str, str]
"""One book level: (price, size) as exact decimal strings."""


@register_message
class BookTop(Message, frozen=True, kw_only=True, tag="md.book_top"):
    """Top-N levels of one book, best first; `valid` is false while the feed resyncs."""

    venue: str
    symbol: str
    bids: list[Level]
    asks: list[Level]
    valid: bool = True
    book_seq: int = 0
    TOPIC: ClassVar[str] = topics.MD_BOOK

    def topic(self) -> str:
        return f"{self.TOPIC}{self.venue}.{self.symbol}"


@register_message
class BookFault(Message, frozen=True, kw_only=True, tag="md.book_fault"):
    """A book became untrustworthy (gap, checksum, crossed, stale): do not trade on it."""

    venue: str
    symbol: str
    reason: str
    TOPIC: ClassVar[str] = topics.MD_FAULT

    def topic(self) -> str:
        return f"{self.TOPIC}{self.venue}.{self.symbol}"


@register_message
class TradePrint(Message, frozen=True, kw_only=True, tag="md.trade"):
    """One public trade."""

    venue: str
    symbol: str
    price: str
    size: str
    side: str
    trade_id: str = ""
    TOPIC: ClassVar[str] = topics.MD_TRADE

    def topic(self) -> str:
        return f"{self.TOPIC}{self.venue}.{self.symbol}"


@register_message
class BestBidOffer(Message, frozen=True, kw_only=True, tag="md.bbo"):
    """Best bid and offer."""

    venue: str
    symbol: str
    bid_px: str
    bid_sz: str
    ask_px: str
    ask_sz: str
    TOPIC: ClassVar[str] = topics.MD_BBO

    def topic(self) -> str:
        return f"{self.TOPIC}{self.venue}.{self.symbol}"


@register_message
class MarkFunding(Message, frozen=True, kw_only=True, tag="md.mark_funding"):
    """Mark and index price with the current funding rate of a perpetual."""

    venue: str
    symbol: str
    mark_px: str
    index_px: str = ""
    funding_rate: str = "0"
    next_funding_ns: int = 0
    TOPIC: ClassVar[str] = topics.MD_FUNDING

    def topic(self) -> str:
        return f"{self.TOPIC}{self.venue}.{self.symbol}"


@register_message
class OraclePrice(Message, frozen=True, kw_only=True, tag="oracle.price"):
    """An oracle's price (Pyth, RedStone): value, confidence and the oracle's publish time."""

    source: str
    symbol: str
    price: str
    conf: str = "0"
    publish_ns: int = 0
    TOPIC: ClassVar[str] = topics.ORACLE

    def topic(self) -> str:
        return f"{self.TOPIC}{self.source}.{self.symbol}"


@register_message
class IndicativePrice(Message, frozen=True, kw_only=True, tag="price.indicative"):
    """Indicative mint and redeem prices for one collateral asset."""

    asset: str
    mint_px: str
    redeem_px: str
    TOPIC: ClassVar[str] = topics.PRICE_INDICATIVE

    def topic(self) -> str:
        return f"{self.TOPIC}{self.asset}"


@register_message
class BookDepth(Message, frozen=True, kw_only=True, tag="md.depth"):
    """Deeper levels of one book than `BookTop`, best first, for pricing and routing.

    Published by the feed at most every `depth_interval_s` per book and only when the book
    changed; sizes are in the instrument's own unit (coins on linear, contracts on inverse),
    exact decimal strings as the venue sent them. `valid` false: do not price or route on it.
    """

    venue: str
    symbol: str
    bids: list[Level]
    asks: list[Level]
    valid: bool = True
    book_seq: int = 0
    TOPIC: ClassVar[str] = topics.MD_DEPTH

    def topic(self) -> str:
        return f"{self.TOPIC}{self.venue}.{self.symbol}"
