"""Prices and quotes: the pricing actor's ladders and its firm-quote request/reply.

Amounts follow the minting API: collateral in the token's base units and USDe in 1e18 base
units, as integer-valued `Decimal`s (msgpack integers stop at 2^64); prices and sizes in
whole units as `Decimal`. Pairs are named as Ethena names them: `<COLLATERAL>/USDe`
(docs/mint-redeem.md#rfq-api).
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar, Literal

import msgspec

from pyengine.messages import topics
from pyengine.messages.base import Message
from pyengine.messages.codec import register_message

MintSide = Literal["MINT", "REDEEM"]


class LadderRung(msgspec.Struct, frozen=True):
    """One size of an indicative ladder: `size` collateral units at `price` USDe per unit
    (before gas, costs and spread included)."""

    size: Decimal
    price: Decimal


@register_message
class IndicativeLadder(Message, frozen=True, kw_only=True, tag="price.ladder"):
    """Indicative mint and redeem ladders of one pair (sizes doubling: 2, 4, 8 ... units).

    A side whose data is not fit to price (invalid books, oracle out of band or stale) is
    withdrawn: its rungs are empty and `<side>_reason` says why. Capacity fields are the
    minting contract's per-order and remaining per-block limits in USDe (docs/mint-redeem.md).
    """

    pair: str
    collateral: str
    mint: list[LadderRung] = []
    redeem: list[LadderRung] = []
    mint_reason: str = ""
    redeem_reason: str = ""
    gas_usd: Decimal = Decimal(0)
    max_mint: Decimal | None = None
    max_redeem: Decimal | None = None
    remaining_mint: Decimal | None = None
    remaining_redeem: Decimal | None = None
    oracle_px: Decimal | None = None
    TOPIC: ClassVar[str] = topics.PRICE_LADDER

    def topic(self) -> str:
        return f"{self.TOPIC}{self.pair}"


@register_message
class QuoteRequest(Message, frozen=True, kw_only=True, tag="cmd.quote.request"):
    """Price this mint or redeem now (a firm quote in the making); answered by a
    `QuotePriced` or a `QuoteUnavailable` carrying the same `request_id`."""

    request_id: str
    pair: str
    side: MintSide
    size: Decimal
    benefactor: str = ""
    CRITICAL: ClassVar[bool] = True
    TOPIC: ClassVar[str] = topics.CMD_QUOTE_REQUEST

    def topic(self) -> str:
        return self.TOPIC


@register_message
class QuotePriced(Message, frozen=True, kw_only=True, tag="quote.priced"):
    """The price of a `QuoteRequest`, from the hedge the router would trade for it.

    `collateral_amount` and `usde_amount` are the signed order's amounts in base units, as
    integer-valued `Decimal`s: msgpack integers stop at 2^64 (18.4 USDe in 1e18 units), so
    a Python int this large cannot be encoded; a Decimal travels as its exact string.
    `plan_id` names the recorded split plan the price came from (`pyengine explain`)."""

    request_id: str
    pair: str
    side: MintSide
    size: Decimal
    collateral_asset: str
    collateral_amount: Decimal
    usde_amount: Decimal
    gas_usd: Decimal = Decimal(0)
    hedge_vwap: Decimal | None = None
    oracle_px: Decimal | None = None
    plan_id: str = ""
    CRITICAL: ClassVar[bool] = True
    TOPIC: ClassVar[str] = topics.QUOTE_PRICED

    def topic(self) -> str:
        return f"{self.TOPIC}{self.pair}"


@register_message
class QuoteUnavailable(Message, frozen=True, kw_only=True, tag="quote.unavailable"):
    """A `QuoteRequest` that cannot be priced; `code` is the API error code
    (docs/mint-redeem.md#error-codes: 8 size below gas, 33 no price source, ...)."""

    request_id: str
    pair: str
    side: MintSide
    code: int
    reason: str
    CRITICAL: ClassVar[bool] = True
    TOPIC: ClassVar[str] = topics.QUOTE_UNAVAILABLE

    def topic(self) -> str:
        return f"{self.TOPIC}{self.pair}"


@register_message
class MintCapacity(Message, frozen=True, kw_only=True, tag="chain.capacity"):
    """What the minting contract still allows in the block being built, in USDe, for one
    collateral asset (global and per-asset caps combined), and per order."""

    collateral: str
    block: int
    remaining_mint: Decimal
    remaining_redeem: Decimal
    max_mint_per_order: Decimal | None = None
    max_redeem_per_order: Decimal | None = None
    TOPIC: ClassVar[str] = topics.CHAIN_CAPACITY

    def topic(self) -> str:
        return f"{self.TOPIC}{self.collateral}"


@register_message
class MintOrderAccepted(Message, frozen=True, kw_only=True, tag="mint.accepted"):
    """A signed mint or redeem order passed every check and was submitted on chain.

    Amounts in whole units (`Decimal`, exact: base units / 10**decimals); `asset` is the
    hedged asset (ETH for stETH/WETH, BTC for WBTC; empty for stables), `hedge_id` the
    `HedgeRequest` it became."""

    order_id: str
    order_type: MintSide
    benefactor: str
    beneficiary: str
    collateral: str
    asset: str
    collateral_amount: Decimal
    usde_amount: Decimal
    tx: str = ""
    hedge_id: str = ""
    CRITICAL: ClassVar[bool] = True
    RECOVER: ClassVar[bool] = True
    TOPIC: ClassVar[str] = topics.MINT_ACCEPTED

    def topic(self) -> str:
        return f"{self.TOPIC}{self.collateral}"


@register_message
class MintOrderConfirmed(Message, frozen=True, kw_only=True, tag="mint.confirmed"):
    """The chain's answer for an accepted order: its Mint/Redeem event was seen (`ok`) or
    the transaction failed (`failed`, with the reason)."""

    order_id: str
    order_type: MintSide
    status: Literal["ok", "failed"]
    tx: str = ""
    block: int = 0
    reason: str = ""
    CRITICAL: ClassVar[bool] = True
    RECOVER: ClassVar[bool] = True
    TOPIC: ClassVar[str] = topics.MINT_CONFIRMED

    def topic(self) -> str:
        return f"{self.TOPIC}{self.order_type.lower()}"
