"""Orders and fills: commands are imperative, events past tense; amounts are `Decimal`.

Ids that tie an order to what it serves (appended with defaults, schema rule 2):
`parent_id` is the hedge request, quote or strategy decision an order is a child of (its
client order id is derived from it, `pyengine.orders.ids`), and `correlation_id` ties a
reply to the request it answers. Producers that know them copy both from the order onto
every event about it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar, Literal, get_args

from pyengine.messages import topics
from pyengine.messages.base import Message
from pyengine.messages.codec import register_message

Side = Literal["buy", "sell"]
OrderType = Literal["limit", "market", "post_only"]
TimeInForce = Literal["gtc", "ioc", "fok", "post_only", "gtx", "po"]
"""`post_only`, `gtx` and `po` are the venues' names of one thing: rest, never take."""
RejectStage = Literal["risk", "execution", "venue"]
SIDES: tuple[str, ...] = get_args(Side)
ORDER_TYPES: tuple[str, ...] = get_args(OrderType)
TIMES_IN_FORCE: tuple[str, ...] = get_args(TimeInForce)


def parse_side(value: str) -> Side:
    """`value` as a `Side`; `ValueError` otherwise.

    Building a message does not check its `Literal` fields, decoding it does: a producer
    of venue data narrows with this first, so a bad value fails where it came in and not
    in every receiver."""
    if value == "buy":
        return "buy"
    if value == "sell":
        return "sell"
    raise ValueError(f"side {value!r} is neither buy nor sell")


@register_message
class QuoteIssued(Message, frozen=True, kw_only=True, tag="quote.issued"):
    """A firm mint or redeem quote given to a requester."""

    quote_id: str
    side: str
    asset: str
    collateral_amount: Decimal
    usde_amount: Decimal
    price: Decimal
    expires_ns: int
    CRITICAL: ClassVar[bool] = True
    TOPIC: ClassVar[str] = topics.QUOTE_ISSUED

    def topic(self) -> str:
        return f"{self.TOPIC}{self.asset}"


@register_message
class SubmitOrder(Message, frozen=True, kw_only=True, tag="cmd.order.submit"):
    """Ask for an order to be placed; it goes through pre-trade risk first."""

    client_order_id: str
    venue: str
    symbol: str
    side: Side
    qty: Decimal
    price: Decimal | None = None
    order_type: OrderType = "limit"
    tif: TimeInForce = "gtc"
    reduce_only: bool = False
    strategy: str = ""
    parent_id: str = ""
    correlation_id: str = ""
    CRITICAL: ClassVar[bool] = True
    RECOVER: ClassVar[bool] = True
    TOPIC: ClassVar[str] = topics.CMD_ORDER_SUBMIT

    def topic(self) -> str:
        return self.TOPIC


@register_message
class CancelOrder(Message, frozen=True, kw_only=True, tag="cmd.order.cancel"):
    """Ask for an open order to be cancelled."""

    client_order_id: str
    venue: str
    parent_id: str = ""
    correlation_id: str = ""
    CRITICAL: ClassVar[bool] = True
    RECOVER: ClassVar[bool] = True
    TOPIC: ClassVar[str] = topics.CMD_ORDER_CANCEL

    def topic(self) -> str:
        return self.TOPIC


@register_message
class PlaceOrder(Message, frozen=True, kw_only=True, tag="cmd.venue.place"):
    """An order that passed pre-trade risk, addressed to one venue's execution actor."""

    order: SubmitOrder
    approved_by: str = "risk"
    parent_id: str = ""
    correlation_id: str = ""
    CRITICAL: ClassVar[bool] = True
    RECOVER: ClassVar[bool] = True
    TOPIC: ClassVar[str] = topics.CMD_VENUE

    def topic(self) -> str:
        return topics.venue_place(self.order.venue)


@register_message
class OrderAccepted(Message, frozen=True, kw_only=True, tag="exec.order.accepted"):
    """The venue accepted an order."""

    client_order_id: str
    venue: str
    venue_order_id: str = ""
    parent_id: str = ""
    correlation_id: str = ""
    CRITICAL: ClassVar[bool] = True
    RECOVER: ClassVar[bool] = True
    TOPIC: ClassVar[str] = topics.EXEC_ORDER

    def topic(self) -> str:
        return f"{self.TOPIC}{self.venue}"


@register_message
class OrderRejected(Message, frozen=True, kw_only=True, tag="exec.order.rejected"):
    """Risk or the venue refused an order (or a cancel of it); `stage` says which.

    `reason` is for people; `codes` for programs: the risk verdict's codes (`stage="risk"`),
    or the venue's error code. Whether a refusal is definitive or its outcome unknown is
    `pyengine.orders.outcome.is_ambiguous`."""

    client_order_id: str
    venue: str
    reason: str
    stage: RejectStage = "venue"
    parent_id: str = ""
    correlation_id: str = ""
    codes: list[str] = []
    CRITICAL: ClassVar[bool] = True
    RECOVER: ClassVar[bool] = True
    TOPIC: ClassVar[str] = topics.EXEC_ORDER

    def topic(self) -> str:
        return f"{self.TOPIC}{self.venue}"


@register_message
class OrderCanceled(Message, frozen=True, kw_only=True, tag="exec.order.canceled"):
    """An order is no longer working (`reason="expired"`: the venue ended it)."""

    client_order_id: str
    venue: str
    reason: str = ""
    parent_id: str = ""
    correlation_id: str = ""
    CRITICAL: ClassVar[bool] = True
    RECOVER: ClassVar[bool] = True
    TOPIC: ClassVar[str] = topics.EXEC_ORDER

    def topic(self) -> str:
        return f"{self.TOPIC}{self.venue}"


@register_message
class OrderStatusUnknown(Message, frozen=True, kw_only=True, tag="exec.order.unknown"):
    """A request about an order got no definitive answer (a timeout, a transport error, a
    disconnect, a rate limit, a venue "status unknown" code such as Binance -1006/-1007):
    the order may or may not exist at the venue. It is *not* a rejection: the order stays in
    flight, and the execution actor queries the venue until its answer settles it
    (`pyengine.orders.outcome`; NautilusTrader's "definitive vs ambiguous" outcomes).

    `request` is what went unanswered ("place" or "cancel"); `codes` says why (the engine's
    `timeout` / `transport` / `rate_limited` ..., or the venue's code)."""

    client_order_id: str
    venue: str
    reason: str = ""
    request: Literal["place", "cancel"] = "place"
    codes: list[str] = []
    parent_id: str = ""
    correlation_id: str = ""
    CRITICAL: ClassVar[bool] = True
    RECOVER: ClassVar[bool] = True
    TOPIC: ClassVar[str] = topics.EXEC_ORDER

    def topic(self) -> str:
        return f"{self.TOPIC}{self.venue}"


@register_message
class OrderFilled(Message, frozen=True, kw_only=True, tag="exec.fill"):
    """A (partial) fill; `fill_id` is unique per venue."""

    client_order_id: str
    venue: str
    symbol: str
    side: Side
    fill_id: str
    qty: Decimal
    price: Decimal
    fee: Decimal = Decimal(0)
    fee_ccy: str = ""
    liquidity: str = "taker"
    parent_id: str = ""
    correlation_id: str = ""
    CRITICAL: ClassVar[bool] = True
    RECOVER: ClassVar[bool] = True
    TOPIC: ClassVar[str] = topics.EXEC_FILL

    def topic(self) -> str:
        return f"{self.TOPIC}{self.venue}"
