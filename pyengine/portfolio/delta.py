"""Net coin delta of one asset (docs/contracts.md#coin-delta).

`delta = custody x factor + linear coins + inverse N x cv / P + futures + coin PnL`, where
coin PnL is what the venues owe us (or we owe them) in the coin and has not yet settled into
custody: realised inverse PnL, fees and funding paid in the coin, less what settled, and
(unless `count_upl` is off) the unrealised PnL of coin-settled positions. With it counted,
the convexity drift of an inverse short (its `N x cv / P` moving with P) is offset by the
coin PnL it accrues (docs/contracts.md#neutral-positions); without it the drift shows in the
delta and is re-hedged (`inverse_rehedge`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from pyengine.contracts import InstrumentSpec, coin_delta, pnl

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class InstrumentDelta:
    """What one position contributes: its contract coin delta at `mark` and its PnL."""

    venue: str
    symbol: str
    bucket: str
    """"linear", "inverse" or "future" (a dated future of either payoff)."""
    qty: Decimal
    entry: Decimal
    mark: Decimal
    coins: Decimal
    upl: Decimal
    """Unrealised PnL in the settle currency (coin for inverse, quote for linear)."""
    settle: str
    drift: Decimal = ZERO
    """Inverse only: `N cv / mark - N cv / entry`, how far its coin delta moved since entry."""


def bucket_of(spec: InstrumentSpec) -> str:
    if spec.kind == "future":
        return "future"
    return "inverse" if spec.payoff == "inverse" else "linear"


def instrument_delta(
    spec: InstrumentSpec, venue: str, qty: Decimal, entry: Decimal, mark: Decimal
) -> InstrumentDelta:
    """One position's coin delta and unrealised PnL at `mark` (Rust contract maths)."""
    coins = coin_delta(spec.payoff, spec.multiplier, qty, mark)
    upl = ZERO if qty == 0 or entry <= 0 else pnl(spec.payoff, spec.multiplier, qty, entry, mark)
    drift = ZERO
    if spec.payoff == "inverse" and qty != 0 and entry > 0:
        drift = coins - coin_delta(spec.payoff, spec.multiplier, qty, entry)
    return InstrumentDelta(
        venue, spec.symbol, bucket_of(spec), qty, entry, mark, coins, upl, spec.settle, drift
    )


@dataclass(frozen=True, slots=True)
class AssetDelta:
    """The net delta of one asset and its parts, in coins; `delta_usd` at `price`."""

    asset: str
    price: Decimal
    custody: Decimal
    linear: Decimal
    inverse: Decimal
    futures: Decimal
    coin_pnl: Decimal
    hedge: Decimal
    delta: Decimal
    delta_usd: Decimal
    inverse_drift: Decimal
    """How far the inverse perpetuals' coin delta moved since their entries, less the coin
    PnL counted for them: what convexity added to `delta` (0 when coin PnL is counted)."""
    liability: Decimal = ZERO

    def within(self, tolerance_usd: Decimal) -> bool:
        return abs(self.delta_usd) <= tolerance_usd


def asset_delta(
    asset: str,
    price: Decimal,
    custody: Decimal,
    positions: Iterable[InstrumentDelta],
    unsettled: Decimal,
    *,
    count_upl: bool = True,
    liability: Decimal = ZERO,
) -> AssetDelta:
    """Sum the parts. `custody` is already factored (LSTs at their rate); `unsettled` is
    the coin the venues owe us beyond positions (realised, fees, funding, less settled)."""
    linear = inverse = futures = drift = ZERO
    coin_pnl = unsettled
    for p in positions:
        if p.bucket == "linear":
            linear += p.coins
        elif p.bucket == "inverse":
            inverse += p.coins
            # The drift its own coin PnL does not make up for (none when that is counted).
            drift += p.drift + (p.upl if count_upl and p.settle == asset else ZERO)
        else:
            futures += p.coins
        if count_upl and p.settle == asset:
            coin_pnl += p.upl
    hedge = linear + inverse + futures + coin_pnl
    delta = custody + hedge
    return AssetDelta(
        asset=asset,
        price=price,
        custody=custody,
        linear=linear,
        inverse=inverse,
        futures=futures,
        coin_pnl=coin_pnl,
        hedge=hedge,
        delta=delta,
        delta_usd=delta * price,
        inverse_drift=drift,
        liability=liability,
    )
