"""Orders and fills: commands are imperative, events past tense; amounts are `Decimal`."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from pyengine.messages.base import Message
from pyengine.messages.codec import register_message


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

    def topic(self) -> str:
        return f"quote.issued.{self.asset}"


@register_message
class SubmitOrder(Message, frozen=True, kw_only=True, tag="cmd.order.submit"):
    """Ask for an order to be placed; it goes through pre-trade risk first."""

    client_order_id: str
    venue: str
    symbol: str
    side: str
    qty: Decimal
    price: Decimal | None = None
    order_type: str = "limit"
    tif: str = "gtc"
    reduce_only: bool = False
    strategy: str = ""
    CRITICAL: ClassVar[bool] = True

    def topic(self) -> str:
        return "cmd.order.submit"


@register_message
class CancelOrder(Message, frozen=True, kw_only=True, tag="cmd.order.cancel"):
    """Ask for an open order to be cancelled."""

    client_order_id: str
    venue: str
    CRITICAL: ClassVar[bool] = True

    def topic(self) -> str:
        return "cmd.order.cancel"


@register_message
class PlaceOrder(Message, frozen=True, kw_only=True, tag="cmd.venue.place"):
    """An order that passed pre-trade risk, addressed to one venue's execution actor."""

    order: SubmitOrder
    approved_by: str = "risk"
    CRITICAL: ClassVar[bool] = True

    def topic(self) -> str:
        return f"cmd.venue.{self.order.venue}.place"


@register_message
class OrderAccepted(Message, frozen=True, kw_only=True, tag="exec.order.accepted"):
    """The venue accepted an order."""

    client_order_id: str
    venue: str
    venue_order_id: str = ""
    CRITICAL: ClassVar[bool] = True

    def topic(self) -> str:
        return f"exec.order.{self.venue}"


@register_message
class OrderRejected(Message, frozen=True, kw_only=True, tag="exec.order.rejected"):
    """Risk or the venue refused an order; `stage` says which."""

    client_order_id: str
    venue: str
    reason: str
    stage: str = "venue"
    CRITICAL: ClassVar[bool] = True

    def topic(self) -> str:
        return f"exec.order.{self.venue}"


@register_message
class OrderCanceled(Message, frozen=True, kw_only=True, tag="exec.order.canceled"):
    """An order is no longer working."""

    client_order_id: str
    venue: str
    reason: str = ""
    CRITICAL: ClassVar[bool] = True

    def topic(self) -> str:
        return f"exec.order.{self.venue}"


@register_message
class OrderFilled(Message, frozen=True, kw_only=True, tag="exec.fill"):
    """A (partial) fill; `fill_id` is unique per venue."""

    client_order_id: str
    venue: str
    symbol: str
    side: str
    fill_id: str
    qty: Decimal
    price: Decimal
    fee: Decimal = Decimal(0)
    fee_ccy: str = ""
    liquidity: str = "taker"
    CRITICAL: ClassVar[bool] = True

    def topic(self) -> str:
        return f"exec.fill.{self.venue}"
