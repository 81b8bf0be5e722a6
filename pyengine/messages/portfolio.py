"""The portfolio as `pyengine status` shows it: per asset and per position.

Published by the portfolio actor on its timer (`status.portfolio`) and kept by the
supervisor, which puts the latest into `StatusReport.portfolio` (JSON keys
`portfolio.assets.<ASSET>.{custody, hedge, delta, delta_usd, tolerance_usd}` and
`portfolio.positions[] {venue, symbol, qty, entry, upl}`). Amounts are exact decimals.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

import msgspec

from pyengine.messages import topics
from pyengine.messages.base import Message
from pyengine.messages.codec import register_message


class AssetView(msgspec.Struct, frozen=True, kw_only=True):
    """One asset: custody and hedge in coins, net delta in coins and USD, tolerance."""

    custody: Decimal
    hedge: Decimal
    delta: Decimal
    delta_usd: Decimal
    tolerance_usd: Decimal
    price: Decimal
    linear: Decimal = Decimal(0)
    inverse: Decimal = Decimal(0)
    futures: Decimal = Decimal(0)
    coin_pnl: Decimal = Decimal(0)
    pending: Decimal = Decimal(0)


class PositionView(msgspec.Struct, frozen=True, kw_only=True):
    """One position of ours: signed qty in the instrument's unit, entry, unrealised PnL in
    its settle currency, its coin delta and share of the asset's hedge."""

    venue: str
    symbol: str
    qty: Decimal
    entry: Decimal
    upl: Decimal
    settle: str = ""
    mark: Decimal | None = None
    coins: Decimal = Decimal(0)
    share: Decimal = Decimal(0)
    venue_qty: Decimal | None = None
    """The venue's own report of the position when it disagrees with ours."""


class PortfolioView(msgspec.Struct, frozen=True, kw_only=True):
    assets: dict[str, AssetView] = {}
    positions: list[PositionView] = []
    liability: Decimal = Decimal(0)
    mismatches: int = 0
    venues_down: list[str] = []
    open_requests: int = 0


@register_message
class PortfolioSnapshot(Message, frozen=True, kw_only=True, tag="status.portfolio"):
    """The portfolio's state for status (a snapshot: the next one replaces it)."""

    view: PortfolioView
    TOPIC: ClassVar[str] = topics.STATUS_PORTFOLIO

    def topic(self) -> str:
        return self.TOPIC
