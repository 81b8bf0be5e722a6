"""What pricing is configured with: pairs, venue fees, gas, spread, oracle band, ladder shape.

Amounts are exact decimals (a TOML float is refused by msgspec's Decimal conversion only
if given as a string; give them as strings). Pairs are named as Ethena names them,
`<COLLATERAL>/USDe` (docs/mint-redeem.md#rfq-api).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

import msgspec


class PairConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One collateral: `asset` is what its hedge trades (ETH for stETH and WETH, BTC for
    WBTC; empty for a stable), `ratio` hedged coins per collateral unit (stETH/ETH)."""

    collateral: str
    decimals: int
    kind: Literal["asset", "stable"] = "asset"
    asset: str = ""
    ratio: Decimal = Decimal(1)


def default_pairs() -> dict[str, PairConfig]:
    return {
        "stETH/USDe": PairConfig("stETH", 18, asset="ETH"),
        "WETH/USDe": PairConfig("WETH", 18, asset="ETH"),
        "WBTC/USDe": PairConfig("WBTC", 8, asset="BTC"),
        "USDT/USDe": PairConfig("USDT", 6, kind="stable"),
        "USDC/USDe": PairConfig("USDC", 6, kind="stable"),
    }


class PricingConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The pricing rules (docs/pricing.md): every field has the default the embedded
    engine uses unless it says otherwise."""

    pairs: dict[str, PairConfig] = msgspec.field(default_factory=default_pairs)
    taker_fees: dict[str, Decimal] = {}
    """Taker fee per venue (a fraction: 0.0005 = 5 bp); a venue not listed cannot be used."""
    maker_fees: dict[str, Decimal] = {}
    gas_usd: Decimal = Decimal(10)
    """Gas estimate of one mint or redeem transaction, in USD (= USDe)."""
    spread_bps: Decimal = Decimal(1)
    """Buffer on the hedge's gross notional, against the requester."""
    stables_cost_bps: Decimal = Decimal(0)
    """A stable's cost against 1:1 (before gas)."""
    stables_limit_bps: int = 0
    """The contract's `stablesDeltaLimit` the stable quotes must pass."""
    oracle_tol_bps: Decimal = Decimal(50)
    """Largest |ref - oracle| / oracle in bp for a side to be quoted."""
    oracle_sources: list[str] = msgspec.field(default_factory=lambda: ["pyth", "redstone"])
    """Every one must be fresh (median of Pyth and RedStone, docs/pricing.md)."""
    oracle_max_age_ms: dict[str, int] = msgspec.field(
        default_factory=lambda: {"pyth": 10_000, "redstone": 60_000}
    )
    oracle_default_max_age_ms: int = 30_000
    validity_max_age_ms: int = 3_000
    """A validator verdict older than this counts as invalid (docs/market-data-validity.md)."""
    venue_max_share: dict[str, Decimal] = {}
    """The router's concentration cap per venue (1 if not listed)."""
    max_position: dict[str, Decimal] = {}
    """`"venue:symbol"` -> the risk gate's position limit (units), as the hedger has it: a
    mint is priced on the room each instrument has left, as the router will trade it."""
    reduce_only_redeem: bool = True
    """A redeem buys back only the short held (the router's rule); False prices it as if
    every instrument held enough."""
    horizon_min: int = 0
    ladder_start: Decimal = Decimal(2)
    ladder_rungs: int = 20
    """Most sizes per ladder side (2, 4, 8 ... doubling)."""
    price_decimals: int = 8

    def __post_init__(self) -> None:
        if self.gas_usd < 0 or self.spread_bps < 0 or self.stables_cost_bps < 0:
            raise ValueError("gas_usd, spread_bps and stables_cost_bps must be >= 0")
        if self.oracle_tol_bps <= 0 or self.ladder_start <= 0 or self.ladder_rungs < 1:
            raise ValueError("oracle_tol_bps, ladder_start and ladder_rungs must be > 0")
        for name, pair in self.pairs.items():
            if pair.kind == "asset" and (not pair.asset or pair.ratio <= 0):
                raise ValueError(f"pairs[{name!r}]: an asset pair needs asset and ratio > 0")
            if not 0 <= pair.decimals <= 36:
                raise ValueError(f"pairs[{name!r}].decimals out of range")
        if any(f < 0 or f >= 1 for f in self.taker_fees.values()):
            raise ValueError("taker_fees must be fractions in [0, 1)")
        for name, q in self.max_position.items():
            if ":" not in name or not q.is_finite() or q < 0:
                raise ValueError(f"max_position[{name!r}]: 'venue:symbol' = a limit >= 0")

    def max_age_ms(self, source: str) -> int:
        return self.oracle_max_age_ms.get(source, self.oracle_default_max_age_ms)

    def pair(self, name: str) -> tuple[str, PairConfig] | None:
        """The pair called `name`, case-insensitively (Ethena answers `USDT/USDE`)."""
        want = name.upper()
        for key, pair in self.pairs.items():
            if key.upper() == want:
                return key, pair
        return None
