"""What `pyengine explain HEDGE_ID` shows of one round: the planner's inputs and its legs.

The hedger journals this body with every round (`pyengine.store.hedges`), so a decision
can be explained afterwards from exactly what the planner saw (issue 13: "the decision and
all its inputs are recorded"). Decimals stay exact (msgspec writes them as strings).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pyengine.routing.planner import HedgePlan, PlanRequest


def explain_plan(
    need: Decimal, req: PlanRequest, result: HedgePlan, sent: list[str], policy: str
) -> dict[str, Any]:
    """A plan's inputs and legs, as `pyengine explain` prints them."""
    return {
        "need_coins": need,
        "policy": policy,
        "side": req.side,
        "ref_price": req.ref_price,
        "venues": [
            {
                "venue": v.venue,
                "current_coins": v.current_coins,
                "max_share": v.max_share,
                "healthy": v.healthy,
            }
            for v in req.venues
        ],
        "candidates": [
            {
                "venue": c.venue,
                "symbol": c.symbol,
                "payoff": c.payoff,
                "multiplier": c.multiplier,
                "lot": c.lot,
                "min_qty": c.min_qty,
                "max_qty": c.max_qty,
                "taker_fee": c.taker_fee,
                "position_coins": c.position_coins,
                "depth": [c.depth.px_scale, c.depth.sz_scale, [list(x) for x in c.depth.levels]],
            }
            for c in req.candidates
        ],
        "legs": [
            {
                "venue": leg.venue,
                "symbol": leg.symbol,
                "side": leg.side,
                "qty": leg.qty,
                "coins": leg.coins,
                "vwap": leg.vwap,
                "worst_px": leg.worst_px,
                "fee": leg.fee,
                "carry": leg.carry,
                "cost": leg.cost,
            }
            for leg in result.legs
        ],
        "planned_coins": result.filled_coins,
        "residual_coins": result.residual_coins,
        "shortfall": result.shortfall,
        "cost": result.cost,
        "vwap": result.vwap,
        "children": sent,
    }
