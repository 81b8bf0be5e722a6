"""The portfolio as status shows it, and the per-venue coins the keeper reads."""

from __future__ import annotations

from decimal import Decimal

from pyengine.messages.portfolio import AssetView, PortfolioView, PositionView
from pyengine.portfolio.holdings import Holdings
from pyengine.portfolio.keeper import Keeper

ZERO = Decimal(0)


def venue_coins(h: Holdings) -> dict[str, dict[str, Decimal]]:
    """Per venue and asset, the contract coin delta of our positions there."""
    out: dict[str, dict[str, Decimal]] = {}
    for asset in h.assets():
        for p in h.positions(asset):
            v = out.setdefault(p.venue, {})
            v[asset] = v.get(asset, ZERO) + p.coins
    return out


def portfolio_view(h: Holdings, keeper: Keeper) -> PortfolioView:
    """Per asset custody, hedge, delta (coins and USD) and tolerance; per position qty,
    entry, unrealised PnL, coin delta and share of the asset's hedge."""
    assets: dict[str, AssetView] = {}
    positions: list[PositionView] = []
    for asset in h.assets():
        d = h.delta(asset)
        if d is not None:
            assets[asset] = AssetView(
                custody=d.custody,
                hedge=d.hedge,
                delta=d.delta,
                delta_usd=d.delta_usd,
                tolerance_usd=keeper.config.tolerance(asset),
                price=d.price,
                linear=d.linear,
                inverse=d.inverse,
                futures=d.futures,
                coin_pnl=d.coin_pnl,
                pending=keeper.pending(asset),
            )
        rows = h.positions(asset)
        gross = sum((abs(p.coins) for p in rows), ZERO)
        for p in rows:
            mm = h.mismatches.get((p.venue, p.symbol))
            positions.append(
                PositionView(
                    venue=p.venue,
                    symbol=p.symbol,
                    qty=p.qty,
                    entry=p.entry,
                    upl=p.upl,
                    settle=p.settle,
                    mark=h.mark_of(p.venue, p.symbol),
                    coins=p.coins,
                    share=abs(p.coins) / gross if gross else ZERO,
                    venue_qty=mm.theirs if mm is not None else None,
                )
            )
    return PortfolioView(
        assets=assets,
        positions=positions,
        liability=h.liability,
        mismatches=len(h.mismatches),
        venues_down=sorted(keeper.down_since),
        open_requests=len(keeper.open),
    )
