"""The interface every off-exchange-settlement (OES) custodian client implements (docs/custody.md).

Shaped after Copper ClearLoop: backing stays with the custodian and is delegated (mirrored)
to venue accounts; settlement cycles move only realised PnL and funding. Each transfer is
a durable, idempotent state machine REQUESTED -> SUBMITTED -> CONFIRMED | FAILED keyed by
its `external_id` (Copper's `externalOrderId`): the same id twice is the same transfer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class CustodyBalance:
    """One row of `GET /platform/clearloop/balances` (field names as `to_json` gives)."""

    currency: str
    exchange_id: str
    amount: Decimal
    balance: Decimal
    reserve: Decimal
    available: Decimal

    def to_json(self) -> dict[str, str]:
        """The venue's JSON shape: amount, available, balance, reserve, currency, exchangeId."""
        return {
            "amount": str(self.amount),
            "available": str(self.available),
            "balance": str(self.balance),
            "reserve": str(self.reserve),
            "currency": self.currency,
            "exchangeId": self.exchange_id,
        }


@dataclass(frozen=True, slots=True)
class Instruction:
    """One currency of a settlement."""

    currency: str
    settlement_amount: Decimal
    usd: Decimal
    status: str
    blockchain_transaction_id: str = ""


@dataclass(slots=True)
class Settlement:
    """One settlement cycle of one venue: status pending -> settled | disputed | failed."""

    settlement_id: str
    exchange_id: str
    status: str
    cycle_start_ns: int
    cycle_end_ns: int
    deadline_ns: int
    instructions: list[Instruction] = field(default_factory=list)
    failure_reason: str = ""


@dataclass(slots=True)
class Transfer:
    """A delegation, undelegation or withdrawal and where its state machine is."""

    external_id: str
    kind: str
    currency: str
    amount: Decimal
    exchange_id: str
    status: str = "requested"
    reason: str = ""
    history: list[str] = field(default_factory=list)


@runtime_checkable
class CustodianAdapter(Protocol):
    """An OES custodian account (Copper ClearLoop, Ceffu MirrorX, Fireblocks, simulated)."""

    @property
    def name(self) -> str: ...

    async def delegate(
        self, external_id: str, exchange_id: str, currency: str, amount: Decimal
    ) -> Transfer:
        """Lock custody funds and mirror them to a venue account (idempotent on id)."""
        ...

    async def undelegate(
        self, external_id: str, exchange_id: str, currency: str, amount: Decimal
    ) -> Transfer:
        """Release mirrored funds; at most min(total delegated, venue available)."""
        ...

    async def balances(self) -> list[CustodyBalance]: ...

    async def settlements(self) -> list[Settlement]: ...

    async def approve(self, settlement_id: str) -> Settlement: ...

    async def dispute(self, settlement_id: str, reason: str) -> Settlement: ...

    async def withdraw(
        self, external_id: str, currency: str, amount: Decimal, address: str
    ) -> Transfer:
        """Send custody funds to an allow-listed address only."""
        ...

    async def deposit_address(self, currency: str) -> str: ...
