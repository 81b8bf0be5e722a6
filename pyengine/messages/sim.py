"""Events only the simulated world produces (real venues show them as balance changes)."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from pyengine.messages import topics
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
    TOPIC: ClassVar[str] = topics.SIM_FUNDING

    def topic(self) -> str:
        return f"{self.TOPIC}{self.venue}.{self.symbol}"


@register_message
class FuturesSettled(Message, frozen=True, kw_only=True, tag="sim.expiry"):
    """A dated future expired and its position was closed at the settlement price."""

    venue: str
    symbol: str
    qty: Decimal
    price: Decimal
    realised: Decimal
    asset: str
    TOPIC: ClassVar[str] = topics.SIM_EXPIRY

    def topic(self) -> str:
        return f"{self.TOPIC}{self.venue}.{self.symbol}"


@register_message
class PositionLiquidated(Message, frozen=True, kw_only=True, tag="sim.liquidation"):
    """The venue closed a position because equity fell below maintenance margin."""

    venue: str
    symbol: str
    qty: Decimal
    price: Decimal
    equity_usd: Decimal
    maintenance_usd: Decimal
    TOPIC: ClassVar[str] = topics.SIM_LIQUIDATION

    def topic(self) -> str:
        return f"{self.TOPIC}{self.venue}.{self.symbol}"


@register_message
class CustodySettled(Message, frozen=True, kw_only=True, tag="sim.custody.settled"):
    """A custodian settlement instruction changed state (pending, settled, disputed)."""

    custodian: str
    venue: str
    settlement_id: str
    asset: str
    amount: Decimal
    status: str
    TOPIC: ClassVar[str] = topics.SIM_CUSTODY

    def topic(self) -> str:
        return f"{self.TOPIC}{self.custodian}.{self.venue}"
