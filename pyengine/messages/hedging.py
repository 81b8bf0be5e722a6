"""Hedging: requests to change the hedge, their results, and the portfolio's delta.

Coin amounts are exact `Decimal` coins of the hedged asset (BTC, ETH); a negative `delta`
sells (adds to the short), a positive one buys back. docs/contracts.md states the delta
each instrument carries (linear coins, inverse N·cv/P, futures).
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar, Literal

import msgspec

from pyengine.messages import topics
from pyengine.messages.base import Message
from pyengine.messages.codec import register_message

HedgeReason = Literal["mint", "redeem", "delta", "inverse_rehedge", "roll", "venue_down", "manual"]
HedgePolicy = Literal["ioc", "post_only", "market"]
HedgeState = Literal["done", "partial", "failed", "cancelled"]


@register_message
class HedgeRequest(Message, frozen=True, kw_only=True, tag="hedge.request"):
    """Change the hedge of `asset` by `delta` coins.

    `hedge_id` is unique and deterministic for its cause (e.g. `mint-<order_id>`), so a
    redelivered or re-issued request is recognised; child order ids derive from it.
    `slippage_bps` caps each IOC child's limit price against the touch at planning time."""

    hedge_id: str
    asset: str
    delta: Decimal
    reason: HedgeReason
    source_id: str = ""
    policy: HedgePolicy = "ioc"
    slippage_bps: Decimal = Decimal(20)
    post_only_timeout_s: float = 5.0
    venues: list[str] = []
    exclude_venues: list[str] = []
    CRITICAL: ClassVar[bool] = True
    RECOVER: ClassVar[bool] = True
    TOPIC: ClassVar[str] = topics.HEDGE_REQUEST

    def topic(self) -> str:
        return f"{self.TOPIC}{self.asset}"


class HedgeLeg(msgspec.Struct, frozen=True):
    """What one venue instrument contributed to a hedge: qty in the instrument's own unit,
    the coin delta it carries, its volume-weighted price and fees."""

    venue: str
    symbol: str
    side: Literal["buy", "sell"]
    qty: Decimal
    coin_delta: Decimal
    vwap: Decimal
    fee: Decimal = Decimal(0)


@register_message
class HedgeResult(Message, frozen=True, kw_only=True, tag="hedge.result"):
    """The end of a `HedgeRequest`: filled legs, the coin delta done, what is left and why,
    and the cost against the plan (in USD; positive = worse than planned)."""

    hedge_id: str
    asset: str
    target: Decimal
    filled: Decimal
    residual: Decimal
    state: HedgeState
    legs: list[HedgeLeg] = []
    vwap: Decimal | None = None
    planned_vwap: Decimal | None = None
    cost_vs_plan_usd: Decimal = Decimal(0)
    reason: str = ""
    CRITICAL: ClassVar[bool] = True
    RECOVER: ClassVar[bool] = True
    TOPIC: ClassVar[str] = topics.HEDGE_RESULT

    def topic(self) -> str:
        return f"{self.TOPIC}{self.asset}"


@register_message
class PortfolioDelta(Message, frozen=True, kw_only=True, tag="risk.delta"):
    """Net coin delta of one asset: custody (collateral held) plus the hedge's coin delta
    (linear coins + inverse N·cv/P + futures + unsettled coin PnL), in coins and in USD at
    `price`, against the tolerance; `liability` is the synthetic dollars issued (USDe)."""

    asset: str
    custody: Decimal
    hedge: Decimal
    delta: Decimal
    price: Decimal
    delta_usd: Decimal
    tolerance_usd: Decimal
    liability: Decimal = Decimal(0)
    pending: Decimal = Decimal(0)
    TOPIC: ClassVar[str] = topics.RISK_DELTA

    def topic(self) -> str:
        return f"{self.TOPIC}{self.asset}"
