"""`check_batch` against one `check` per order (hypothesis): the same verdicts, every
reason and its text, for random orders on and off the grid, in and out of every limit."""

from __future__ import annotations

from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from pyengine import risk as r
from tests.unit.test_risk import make

LIMITS: dict[str, object] = {
    "price_band": D("0.05"),
    "max_order_notional_usd": D(60_000),
    "max_net_delta_usd": D(100_000),
    "max_venue_share": D("0.8"),
    "concentration_min_total_usd": D(10_000),
    "min_margin_headroom_usd": D(0),
    "min_liq_distance": D("0.2"),
    "initial_margin_rate": D("0.1"),
    "max_orders_per_window": 40,
    "rate_window_ms": 50,
    "instruments": {"binance-usdm:ETHUSDT": {"max_position": D(20)}},
}

amounts = st.one_of(
    st.integers(1, 40_000).map(lambda v: D(v).scaleb(-3)),  # on the lot grid
    st.integers(1, 10**9).map(lambda v: D(v).scaleb(-7)),  # off it
    st.integers(1, 10**30).map(lambda v: D(v).scaleb(-4)),  # far too large for the grid
)
prices = st.one_of(
    st.integers(180_000, 220_000).map(lambda v: D(v).scaleb(-2)),
    st.integers(1, 10**12).map(lambda v: D(v).scaleb(-5)),
)
order = st.tuples(st.sampled_from([0, 1, 7]), st.sampled_from(["buy", "sell"]), amounts, prices)


@settings(max_examples=150, deadline=None)
@given(st.lists(order, max_size=60), st.booleans(), st.booleans())
def test_batch_equals_single_checks(
    raw: list[tuple[int, str, D, D]], as_text: bool, reduce_only: bool
) -> None:
    batch_engine, _, _ = make(LIMITS)
    single_engine, _, _ = make(LIMITS)
    if reduce_only:
        for e in (batch_engine, single_engine):
            e.set_state("reduce-only", venue="binance-coinm")
    orders = [
        (i, side, str(q) if as_text else q, str(p) if as_text else p, k)
        for k, (i, side, q, p) in enumerate(raw)
    ]
    got = batch_engine.check_batch(orders)
    want = [single_engine.check(i, side, q, p, ts) for i, side, q, p, ts in orders]  # type: ignore[arg-type]
    assert len(got) == len(want)
    assert got.codes == [v.codes for v in want]
    assert got.approved == [v.approved for v in want]
    assert got.refused == [k for k, v in enumerate(want) if not v]
    assert got.all_approved == all(want)
    assert [v.reasons for v in got] == [v.reasons for v in want]
    for k in range(len(want)):
        assert got[k].reasons == want[k].reasons
        assert got[k - len(want)].codes == want[k].codes


def test_batch_verdicts_index_and_repr() -> None:
    engine, a, _ = make({"price_band": "0.05"})
    got = engine.check_batch([r.Order(a, "sell", D(1), D(2000)), (a, "buy", "1", "3000", 0)])
    assert got.approved == [True, False] and got.refused == [1] and not got.all_approved
    assert got[0] and not got[1] and got[-1].codes == ["price_band"]
    assert repr(got) == "BatchVerdicts(2 orders, 1 refused)"
    try:
        got[2]
    except IndexError:
        pass
    else:
        raise AssertionError("index 2 of 2")
