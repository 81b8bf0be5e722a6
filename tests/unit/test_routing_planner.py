"""The split planner from Python (`pyengine.routing`): SPEC section 5 vector, inverse
sizing, typed refusals, and exact agreement with the plain-Python implementation of the
same algorithm (benches/naive_planner.py) on random books."""

from __future__ import annotations

import random
from array import array
from decimal import Decimal as D
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benches import naive_planner as naive
from pyengine._core import ContractMathError, InvalidArgument, InvalidDecimal, plan_hedge
from pyengine.routing import Candidate, Depth, HedgePlan, PlanRequest, VenueLimit, plan


def spec_request() -> PlanRequest:
    depth = Depth.from_levels([(D("3000.0"), 60), (D("2999.0"), 40)])
    c = Candidate("binance", "ETHUSDT", depth, lot=D("0.001"), tick=D("0.1"), taker_fee=D("0.0002"))
    return PlanRequest("ETH", "sell", 100, 3000, [VenueLimit("binance")], [c])


def test_spec_pricing_vector() -> None:
    p = plan(spec_request())
    (leg,) = p.legs
    assert (leg.venue, leg.symbol, leg.side, leg.qty) == ("binance", "ETHUSDT", "sell", D(100))
    assert leg.vwap == D("2999.60") and isinstance(leg.vwap, D)
    assert (leg.gross, leg.fee, leg.levels, leg.worst_px) == (D(299960), D("59.992"), 2, D(2999))
    assert p.cost == D("99.992") and p.residual_coins == 0 and p.shortfall is None
    # SPEC section 5 mint quote from the same plan: spread 1 bp, gas $10.
    assert p.gross - p.fee - p.gross * D("0.0001") - 10 == D("299860.012")


def test_inverse_leg_is_sized_in_contracts_at_the_reference_price() -> None:
    depth = Depth.from_levels([("2000.5", 100_000)])
    inv = Candidate(
        "deribit", "ETH-PERPETUAL", depth, payoff="inverse", multiplier=10, tick=D("0.05")
    )
    p = plan(PlanRequest("ETH", "sell", 3, 2000, [VenueLimit("deribit")], [inv]))
    assert (p.legs[0].qty, p.legs[0].coins, p.legs[0].gross) == (D(600), D(3), D("6001.5"))


def test_caps_and_redistribution_are_reported() -> None:
    a = Candidate("a", "A", Depth.from_levels([(3000, 100)]))
    b = Candidate("b", "B", Depth.from_levels([(2990, 100)]))
    venues = [VenueLimit("a", current_coins=2, max_share=D("0.5")), VenueLimit("b")]
    p = plan(PlanRequest("ETH", "sell", 10, 3000, venues, [a, b]))
    assert [(leg.symbol, leg.qty) for leg in p.legs] == [("A", D(4)), ("B", D(6))]
    assert ("a", "A", "concentration") in p.stops


def test_refusals_are_typed() -> None:
    with pytest.raises(InvalidDecimal):
        Depth.from_levels([(3000.0, 1)])  # type: ignore[list-item]
    good = spec_request()
    with pytest.raises(InvalidDecimal):
        plan(PlanRequest("ETH", "sell", 1.5, 3000, good.venues, good.candidates))  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="side"):
        plan(PlanRequest("ETH", "short", 1, 3000, good.venues, good.candidates))  # type: ignore[arg-type]
    with pytest.raises(ContractMathError, match="venue not listed"):
        plan(PlanRequest("ETH", "sell", 1, 3000, [], good.candidates))
    worse_first = Candidate("binance", "X", Depth(0, 0, ((2999, 1), (3000, 1))))
    with pytest.raises(ContractMathError, match="best first"):
        plan(PlanRequest("ETH", "sell", 1, 3000, good.venues, [worse_first]))
    off_tick = Candidate("binance", "X", Depth.from_levels([("3000.05", 1)]), tick=D("0.1"))
    with pytest.raises(ContractMathError, match="tick"):
        plan(PlanRequest("ETH", "sell", 1, 3000, good.venues, [off_tick]))


def test_depth_crosses_as_pairs_or_one_int64_buffer() -> None:
    c = spec_request().candidates[0]

    def call(levels: Any) -> HedgePlan:
        sizes = (1, D("0.001"), 0, None, D("0.1"))
        fees = (D("0.0002"), 0)
        cand: Any = ("binance", "X", "linear", sizes, fees, None, 0, True, (1, 0, levels))
        return plan_hedge("ETH", "sell", 100, 3000, 0, [("binance", 0, 1, None, True)], [cand])

    assert call(c.depth.levels).gross == call(c.depth.packed).gross == D(299960)
    with pytest.raises(InvalidDecimal, match="even"):
        call(array("q", [30000]))
    with pytest.raises(InvalidDecimal, match="64 bits"):
        Depth(0, 0, ((2**63, 1),))


def test_depth_from_levels_is_exact() -> None:
    d = Depth.from_levels([("3000.25", "1.5"), (D("2999"), D("0.001")), (2998, "1E+1")])
    assert d == Depth(2, 3, ((300025, 1500), (299900, 1), (299800, 10000)))
    big = Depth.from_levels([("123456789012345678.9", "1")])
    assert big.levels == ((1234567890123456789, 1),)


# Random worlds for the agreement test.

TICKS = ["0.1", "0.5", "0.01", "1", "0.05"]


@st.composite
def candidates(draw: Any, venue: str, symbol: str, ref: D, sell: bool) -> Candidate:
    inverse = draw(st.booleans())
    tick = D(draw(st.sampled_from(TICKS)))
    if inverse:
        mult, lot = D(draw(st.sampled_from(["1", "10", "100"]))), D(1)
    else:
        mult = D(draw(st.sampled_from(["1", "0.1", "0.01", "10"])))
        lot = D(draw(st.sampled_from(["0.001", "0.01", "1", "0.5"])))
    sz_scale = draw(st.integers(0, 3))
    best = (ref / tick).to_integral_value() + draw(st.integers(-20, 20))
    levels = []
    px = best
    for _ in range(draw(st.integers(0, 6))):
        size = D(draw(st.integers(1, 5000))).scaleb(-sz_scale)
        levels.append((px * tick, size))
        px = px - draw(st.integers(1, 5)) if sell else px + draw(st.integers(1, 5))
        if px <= 0:
            break
    carry = draw(
        st.one_of(
            st.none(),
            st.tuples(
                st.just("funding"),
                st.sampled_from([D("0.0001"), D("-0.00005"), D("0.000125")]),
                st.sampled_from([60, 240, 480]),
            ),
            st.tuples(
                st.just("basis"),
                st.sampled_from([D("12.5"), D(-3), D(40)]),
                st.sampled_from([0, 1440, 100_000]),
            ),
        )
    )
    fees = st.sampled_from(["0", "0.0002", "0.0004", "0.00055", "-0.0001"])
    min_qty = lot * draw(st.integers(0, 3))
    return Candidate(
        venue,
        symbol,
        Depth.from_levels(levels),
        payoff="inverse" if inverse else "linear",
        multiplier=mult,
        lot=lot,
        min_qty=min_qty,
        max_qty=draw(st.one_of(st.none(), st.integers(1, 50).map(lambda k: min_qty + lot * k))),
        tick=tick,
        taker_fee=D(draw(fees)),
        maker_fee=D(draw(fees)),
        carry=carry,
        position_coins=D(draw(st.integers(0, 400))).scaleb(-1),
        healthy=draw(st.integers(0, 9)) > 0,
    )


@st.composite
def requests(draw: Any) -> PlanRequest:
    sell = draw(st.booleans())
    ref = D(draw(st.integers(50_000, 500_000))).scaleb(-draw(st.integers(0, 2)))
    names = ["a", "b", "c"][: draw(st.integers(1, 3))]
    venues = [
        VenueLimit(
            n,
            current_coins=D(draw(st.integers(0, 100))).scaleb(-1),
            max_share=D(draw(st.sampled_from(["1", "0.5", "0.25", "0.333"]))),
            headroom_usd=draw(st.one_of(st.none(), st.integers(0, 500_000).map(D))),
            healthy=draw(st.integers(0, 9)) > 0,
        )
        for n in names
    ]
    cands = [
        draw(candidates(draw(st.sampled_from(names)), f"I{k}", ref, sell))
        for k in range(draw(st.integers(1, 4)))
    ]
    target = D(draw(st.integers(0, 200_000))).scaleb(-draw(st.integers(0, 3)))
    horizon = draw(st.sampled_from([0, 480, 1440]))
    return PlanRequest("ETH", "sell" if sell else "buy", target, ref, venues, cands, horizon)


LEG_FIELDS = (
    *("venue", "symbol", "side", "qty", "coins", "vwap", "worst_px", "levels", "gross"),
    *("fee", "maker_fee", "carry", "ref_notional", "cost"),
)
PLAN_FIELDS = (
    *("filled_coins", "residual_coins", "shortfall", "gross", "fee", "carry", "cost"),
    *("vwap", "stops"),
)


def as_tuple(p: HedgePlan | naive.NaivePlan) -> tuple[object, ...]:
    legs = tuple(tuple(getattr(leg, f) for f in LEG_FIELDS) for leg in p.legs)
    return (legs, *(getattr(p, f) for f in PLAN_FIELDS))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests())
def test_rust_and_plain_python_planners_agree_exactly(req: PlanRequest) -> None:
    rust = plan(req)
    ref = naive.plan(req)
    assert as_tuple(rust) == as_tuple(ref)
    assert rust.filled_coins + rust.residual_coins == D(req.target_coins)
    # Same plan whatever the order of the candidates.
    shuffled = list(req.candidates)
    random.Random(7).shuffle(shuffled)
    again = plan(
        PlanRequest(
            req.asset,
            req.side,
            req.target_coins,
            req.ref_price,
            req.venues,
            shuffled,
            req.horizon_min,
        )
    )
    assert as_tuple(again) == as_tuple(rust)
