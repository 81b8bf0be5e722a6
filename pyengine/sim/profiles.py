"""Venue profiles: the per-venue constants of the simulated exchange, all overridable.

Fees are VIP-0 schedules as published by each venue (fractions: 0.0002 = 2 bp);
funding intervals and OES settlement cycles follow docs/funding-basis-margin.md#funding-schedule and
docs/custody.md#settlement-cycles (Binance funds every 8 h and settles daily; Bybit 2 h cycles; OKX
and Bitget 4 h; Deribit daily). `wire` names the `pyengine._core.Feed` normaliser whose format the
simulated market data speaks, `category` the Bybit category of its connection, `book_depth` the
Bybit book topic's depth, and `okx_checksum` whether OKX books carry the CRC32 ("crc32") or the 0
OKX sends from 23 June 2026 ("zero").
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Literal

from pyengine.contracts import HaircutTiers

_HOUR_NS = 3_600_000_000_000


def _default_haircuts() -> dict[str, HaircutTiers]:
    return {"BTC": HaircutTiers.bybit_btc()}


@dataclass(frozen=True)
class VenueProfile:
    """Constants of one simulated venue."""

    name: str
    wire: str
    maker_fee: Decimal
    taker_fee: Decimal
    funding_interval_ns: int = 8 * _HOUR_NS
    settlement_cycle_ns: int = 24 * _HOUR_NS
    leverage: Decimal = Decimal(10)
    default_mmr: Decimal = Decimal("0.005")
    margin_call_ratio: Decimal = Decimal("1.5")
    haircuts: dict[str, HaircutTiers] = field(default_factory=_default_haircuts)
    maint_rates: dict[str, Decimal] = field(default_factory=dict)
    max_orders_per_window: int = 300
    rate_window_ns: int = 10_000_000_000
    category: str | None = None
    book_depth: int = 200
    okx_checksum: Literal["crc32", "zero"] = "crc32"

    def with_(self, **changes: object) -> VenueProfile:
        """A copy with some fields changed (config overrides)."""
        return replace(self, **changes)  # type: ignore[arg-type]

    def haircut(self, asset: str) -> HaircutTiers:
        """The collateral haircut schedule of `asset` (flat 1 if the venue has none)."""
        tiers = self.haircuts.get(asset)
        return tiers if tiers is not None else HaircutTiers.flat(1)


def _binance_haircuts() -> dict[str, HaircutTiers]:
    # Binance's documented cross-margin tiers (by USDT value): 100 % up to 100M, then less.
    return {"BTC": HaircutTiers.binance_example(), "ETH": HaircutTiers.binance_example()}


def _coin_collateral() -> dict[str, HaircutTiers]:
    # Inverse venues margin a coin contract with that coin: no haircut schedule published
    # in what we read (docs/funding-basis-margin.md), so collateral counts in full.
    return {}


PROFILES: dict[str, VenueProfile] = {
    "binance-usdm": VenueProfile(
        "binance-usdm",
        "binance-usdm",
        Decimal("0.0002"),
        Decimal("0.0005"),
        haircuts=_binance_haircuts(),
    ),
    "binance-coinm": VenueProfile(
        "binance-coinm",
        "binance-coinm",
        Decimal("0.0002"),
        Decimal("0.0005"),
        haircuts=_binance_haircuts(),
    ),
    # Bybit v5 linear connection; the unified account's BTC collateral value ratio tiers.
    "bybit": VenueProfile(
        "bybit",
        "bybit",
        Decimal("0.0002"),
        Decimal("0.00055"),
        settlement_cycle_ns=2 * _HOUR_NS,
        category="linear",
    ),
    "okx": VenueProfile(
        "okx",
        "okx",
        Decimal("0.0002"),
        Decimal("0.0005"),
        settlement_cycle_ns=4 * _HOUR_NS,
        haircuts=_coin_collateral(),
    ),
    # Deribit funds continuously; the loader's 8 h interval (funding_8h) is what we pay.
    "deribit": VenueProfile(
        "deribit", "deribit", Decimal(0), Decimal("0.0005"), haircuts=_coin_collateral()
    ),
}


def profile(name: str, **overrides: object) -> VenueProfile:
    """A named profile with overrides; unknown names raise `KeyError` listing the known."""
    try:
        base = PROFILES[name]
    except KeyError:
        raise KeyError(f"unknown venue profile {name!r}; known: {', '.join(PROFILES)}") from None
    return base.with_(**overrides) if overrides else base
