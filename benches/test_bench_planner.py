"""Split planner from Python vs the same algorithm in plain Python, in the same run
(issue 13 target: >= 20x), on the criterion bench's world: 5 venues x 3 instruments
(linear perpetual, inverse perpetual, dated future) x 50 bid levels, two hedge sizes.

Both take the same `PlanRequest` (depth as integer mantissas, amounts as Decimal) and
return the same plan (asserted here, and over random inputs in
tests/unit/test_routing_planner.py). Absolute times are printed; only the ratio is
asserted.
"""

from __future__ import annotations

import time
from decimal import Decimal as D
from typing import Any

import pytest

from benches import naive_planner as naive
from benches.conftest import report
from pyengine.routing import Candidate, Depth, PlanRequest, VenueLimit, plan

VENUES = ("binance", "bybit", "okx", "deribit", "bitget")


def bids(offset: int, size: int, sz_scale: int) -> Depth:
    """50 bids from 3,000.0 - offset ticks, 0.2 apart (as engine_core/benches/planner.rs)."""
    levels = tuple((30_000 - offset - 2 * i, size + (i % 7) * size // 10) for i in range(50))
    return Depth(1, sz_scale, levels)


def world(target: str) -> PlanRequest:
    cands: list[Candidate] = []
    for v, name in enumerate(VENUES):
        linear = Candidate(
            name,
            "ETHUSDT",
            bids(v, 5_000, 3),
            lot=D("0.001"),
            min_qty=D("0.001"),
            max_qty=D(10_000),
            tick=D("0.1"),
            taker_fee=D("0.0004") + D(v).scaleb(-5),
            maker_fee=D("0.0002"),
            carry=("funding", D(5 + v).scaleb(-5), 480),
        )
        inverse = Candidate(
            name,
            "ETHUSD_PERP",
            bids(v + 1, 1_500, 0),
            payoff="inverse",
            multiplier=10,
            lot=1,
            min_qty=1,
            max_qty=1_000_000,
            tick=D("0.1"),
            taker_fee=D("0.0005"),
            maker_fee=D("0.0002"),
            carry=("funding", D(8 - v).scaleb(-5), 480),
        )
        future = Candidate(
            name,
            "ETHUSDT_260327",
            bids(v - 250, 5_000, 3),
            lot=D("0.001"),
            min_qty=D("0.001"),
            max_qty=D(10_000),
            tick=D("0.1"),
            taker_fee=D("0.0004") + D(v).scaleb(-5),
            maker_fee=D("0.0002"),
            carry=("basis", D(25 + v), 115 * 1440),
        )
        cands += [linear, inverse, future]
    venues = [VenueLimit(n, D(1000), D("0.5"), D(5_000_000)) for n in VENUES]
    return PlanRequest("ETH", "sell", D(target), D(3000), venues, cands, horizon_min=1440)


def per_call(fn: Any, arg: Any, n: int, rounds: int = 5) -> float:
    """Best mean seconds per call over `rounds` batches of `n` calls."""
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(n):
            fn(arg)
        best = min(best, (time.perf_counter() - t0) / n)
    return best


@pytest.mark.parametrize("target", ["300", "2000"])
def test_planner_from_python_vs_plain_python(benchmark: Any, target: str) -> None:
    req = world(target)
    rust, ref = plan(req), naive.plan(req)
    assert rust.filled_coins == ref.filled_coins == D(target)
    assert rust.cost == ref.cost
    assert [(leg.symbol, leg.venue, leg.qty) for leg in rust.legs] == [
        (leg.symbol, leg.venue, leg.qty) for leg in ref.legs
    ]

    def measure() -> tuple[float, float]:
        # Alternate the two, best of each: a neighbour's burst on this shared 2-core box
        # then hits both sides of the ratio instead of one (one pass measured 10.8x once).
        t_rust = t_naive = float("inf")
        for _ in range(4):
            t_rust = min(t_rust, per_call(plan, req, 200))
            t_naive = min(t_naive, per_call(naive.plan, req, 5))
        return t_rust, t_naive

    t_rust, t_naive = benchmark.pedantic(measure, rounds=1, iterations=1)
    ratio = t_naive / t_rust
    benchmark.extra_info.update(rust_us=t_rust * 1e6, naive_us=t_naive * 1e6, ratio=ratio)
    levels = sum(leg.levels for leg in rust.legs)
    report(
        f"planner 5x3x50 target {target} ETH ({len(rust.legs)} legs, {levels} levels)",
        rust_from_python_us=t_rust * 1e6,
        plain_python_us=t_naive * 1e6,
        ratio=ratio,
    )
    assert ratio >= 20
