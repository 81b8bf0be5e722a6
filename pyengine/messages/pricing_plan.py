"""The record of a priced quote: the split plan and every input its price came from.

Published by the pricing actor with each `QuotePriced` (same `plan_id`); `CRITICAL`, so
the recorder journals it and `pyengine explain` can later show why a quote had its price.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

import msgspec

from pyengine.messages import topics
from pyengine.messages.base import Message
from pyengine.messages.codec import register_message


class PlannedLeg(msgspec.Struct, frozen=True):
    """One leg of the plan: qty in the instrument's unit, coins, VWAP, gross and fee (USD)."""

    venue: str
    symbol: str
    side: str
    qty: Decimal
    coins: Decimal
    vwap: Decimal
    worst_px: Decimal
    levels: int
    gross: Decimal
    fee: Decimal


class PlanBook(msgspec.Struct, frozen=True):
    """A book the plan walked, by the sequence of the `BookDepth` it was priced on."""

    venue: str
    symbol: str
    book_seq: int


@register_message
class QuotePlan(Message, frozen=True, kw_only=True, tag="quote.plan"):
    """How one quote was priced (docs/pricing.md#formula): the inputs (reference and oracle
    prices, fees, gas, spread, stETH ratio, the books), the planner's legs and the result."""

    plan_id: str
    request_id: str
    pair: str
    side: str
    size: Decimal
    asset: str
    target_coins: Decimal
    gross: Decimal
    fee: Decimal
    spread: Decimal
    gas_usd: Decimal
    spread_bps: Decimal
    ratio: Decimal = Decimal(1)
    hedge_vwap: Decimal | None = None
    ref_px: Decimal | None = None
    oracle_px: Decimal | None = None
    collateral_amount: Decimal = Decimal(0)
    usde_amount: Decimal = Decimal(0)
    """Base units, integral (msgpack integers stop at 2**64: messages/pricing.py)."""
    legs: list[PlannedLeg] = []
    books: list[PlanBook] = []
    stops: list[tuple[str, str, str]] = []
    CRITICAL: ClassVar[bool] = True
    TOPIC: ClassVar[str] = topics.QUOTE_PLAN

    def topic(self) -> str:
        return f"{self.TOPIC}{self.pair}"
