"""Private account state reported by a venue: order states, positions and balances.

Published by execution adapters (live or simulated) from the venues' private streams and
REST reports; consumed by execution, portfolio/risk and the reconciler. Fills use
`OrderFilled` (execution.py). Amounts are exact `Decimal`s in the venue's own units
(contracts for inverse and COIN-M instruments, coins for linear ones).
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar, Literal, get_args

from pyengine.messages import topics
from pyengine.messages.base import Message
from pyengine.messages.codec import register_message
from pyengine.messages.execution import Side

VenueOrderStatus = Literal["new", "partially_filled", "filled", "canceled", "rejected", "expired"]
"""Order states, as every adapter reports them (the venues' names mapped onto these)."""
ORDER_STATUSES: tuple[str, ...] = get_args(VenueOrderStatus)


@register_message
class OrderUpdate(Message, frozen=True, kw_only=True, tag="acct.order"):
    """The venue's view of one order after a change."""

    venue: str
    symbol: str
    client_order_id: str
    venue_order_id: str = ""
    status: VenueOrderStatus
    side: Side
    order_type: str = "limit"
    """The venue's own type name, lower case: it reports types this engine never sends
    (stop_market, liquidation ...), so this is not `OrderType`."""
    qty: Decimal
    price: Decimal | None = None
    filled_qty: Decimal = Decimal(0)
    avg_price: Decimal | None = None
    reduce_only: bool = False
    reason: str = ""
    parent_id: str = ""
    correlation_id: str = ""
    CRITICAL: ClassVar[bool] = True
    SNAPSHOT: ClassVar[bool] = True
    TOPIC: ClassVar[str] = topics.ACCT_ORDER

    def topic(self) -> str:
        return f"{self.TOPIC}{self.venue}"


@register_message
class PositionReport(Message, frozen=True, kw_only=True, tag="acct.position"):
    """One position as the venue reports it; `qty` is signed (short < 0)."""

    venue: str
    symbol: str
    qty: Decimal
    entry_price: Decimal = Decimal(0)
    mark_price: Decimal | None = None
    unrealised_pnl: Decimal = Decimal(0)
    settle_ccy: str = ""
    liquidation_price: Decimal | None = None
    TOPIC: ClassVar[str] = topics.ACCT_POSITION

    def topic(self) -> str:
        return f"{self.TOPIC}{self.venue}.{self.symbol}"


@register_message
class BalanceReport(Message, frozen=True, kw_only=True, tag="acct.balance"):
    """One asset's balance on a venue account (wallet excludes unrealised PnL)."""

    venue: str
    asset: str
    wallet: Decimal
    available: Decimal
    unrealised_pnl: Decimal = Decimal(0)
    equity: Decimal | None = None
    TOPIC: ClassVar[str] = topics.ACCT_BALANCE

    def topic(self) -> str:
        return f"{self.TOPIC}{self.venue}.{self.asset}"
