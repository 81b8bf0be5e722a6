"""Events only the simulated world produces (real venues show them as balance changes)."""

from __future__ import annotations

from decimal import Decimal

from pyengine.messages.base import Message
from pyengine.messages.codec import register_message


@register_message
class FundingPaid(Message, frozen=True, kw_only=True, tag="sim.funding"):
    """Funding paid (< 0) or received (> 0) on one position at a funding time."""

    venue: str
    symbol: str
    qty: Decimal
    mark: Decimal
    rate: Decimal
    amount: Decimal
    asset: str

    def topic(self) -> str:
        return f"sim.funding.{self.venue}.{self.symbol}"


@register_message
class FuturesSettled(Message, frozen=True, kw_only=True, tag="sim.expiry"):
    """A dated future expired and its position was closed at the settlement price."""

    venue: str
    symbol: str
    qty: Decimal
    price: Decimal
    realised: Decimal
    asset: str

    def topic(self) -> str:
        return f"sim.expiry.{self.venue}.{self.symbol}"


@register_message
class PositionLiquidated(Message, frozen=True, kw_only=True, tag="sim.liquidation"):
    """The venue closed a position because equity fell below maintenance margin."""

    venue: str
    symbol: str
    qty: Decimal
    price: Decimal
    equity_usd: Decimal
    maintenance_usd: Decimal

    def topic(self) -> str:
        return f"sim.liquidation.{self.venue}.{self.symbol}"


@register_message
class CustodySettled(Message, frozen=True, kw_only=True, tag="sim.custody.settled"):
    """A custodian settlement instruction changed state (pending, settled, disputed)."""

    custodian: str
    venue: str
    settlement_id: str
    asset: str
    amount: Decimal
    status: str

    def topic(self) -> str:
        return f"sim.custody.{self.custodian}.{self.venue}"
