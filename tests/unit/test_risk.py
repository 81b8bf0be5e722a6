"""pyengine.risk: verdicts with every reason, limits from config and at run time, batch
checks, exposure, and the gatekeeper vector (docs/risk-playbooks.md#gatekeeper)."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import pytest

from pyengine import contracts as c
from pyengine import risk as r

DATA = Path(__file__).resolve().parents[1] / "data" / "instruments"
USDM = DATA / "binance_usdm" / "rest_exchangeInfo_fapi_20210722_trimmed.json"
COINM = DATA / "binance_coinm" / "rest_exchangeInfo_dapi_20210721_full.json"


def make(limits: dict[str, object]) -> tuple[r.RiskEngine, int, int]:
    """ETHUSDT (linear) and ETHUSD_PERP (inverse, $10) on Binance, ETH at 2,000."""
    engine = r.engine_from_limits(limits)
    lin = next(s for s in c.load_instruments_file("binance-usdm", USDM) if s.symbol == "ETHUSDT")
    inv = next(
        s for s in c.load_instruments_file("binance-coinm", COINM) if s.symbol == "ETHUSD_PERP"
    )
    a, b = engine.add_instrument(lin), engine.add_instrument(inv)
    engine.set_index("ETH", 2000)
    engine.set_mark(a, 2000)
    engine.set_mark(b, 2000)
    tiers = c.HaircutTiers.flat(D("0.95"))
    engine.set_collateral("binance-usdm", "stETH", "ETH", 10, 1, tiers)
    engine.set_collateral("binance-coinm", "ETH", "ETH", 10, 1, c.HaircutTiers.flat(1))
    return engine, a, b


def test_approved_verdict_is_truthy() -> None:
    engine, a, b = make({"price_band": D("0.05")})
    v = engine.check(a, "sell", D("1.5"), D("2000.01"))
    assert v and v.approved and v.codes == [] and v.reasons == []
    assert engine.check(b, "sell", 100, D("2000.5"))


def test_refused_with_every_reason() -> None:
    engine, a, _ = make(
        {
            "price_band": "0.05",
            "max_order_notional_usd": 1000,
            "instruments": {"binance-usdm:ETHUSDT": {"max_position": "1", "state": "reduce-only"}},
        }
    )
    v = engine.check(a, "buy", D("5.0005"), D("2500.005"))
    assert not v
    assert v.codes == [
        "reduce_only",
        "price_tick",
        "qty_lot",
        "price_band",
        "order_notional",
        "instrument_position",
    ]
    assert len(v.reasons) == len(v.codes)
    assert "reduce-only (instrument)" in v.reasons[0]


def test_limits_change_at_runtime() -> None:
    engine, a, _ = make({})
    assert engine.check(a, "sell", 1, 2000)
    engine.set_state("halted", venue="binance-usdm")
    assert engine.check(a, "sell", 1, 2000).codes == ["halted"]
    engine.set_state("active", venue="binance-usdm")
    engine.set_limits(r.limits_json({"max_net_delta_usd": D(1000)}))
    # 20 ETH collateral = +$40,000 delta: selling reduces it, buying makes it worse.
    assert engine.check(a, "sell", 1, 2000)
    assert engine.check(a, "buy", 1, 2000).codes == ["net_delta"]
    engine.set_state("halted")
    assert engine.check(a, "sell", 1, 2000).codes == ["halted"]


def test_limits_from_toml_are_exact(tmp_path: Path) -> None:
    path = tmp_path / "limits.toml"
    path.write_text(
        'price_band = 0.05\nmax_orders_per_window = 1\n[instruments."binance-usdm:ETHUSDT"]\n'
        'max_order_qty = "2"\n'
    )
    engine = r.engine_from_limits(path)
    eth = next(s for s in c.load_instruments_file("binance-usdm", USDM) if s.symbol == "ETHUSDT")
    i = engine.add_instrument(eth)
    engine.set_mark(i, 2000)
    assert engine.check(i, "buy", 3, 2101, ts_ms=0).codes == ["qty_max", "price_band"]
    assert engine.check(i, "buy", 1, 2000, ts_ms=1)
    assert engine.check(i, "buy", 1, 2000, ts_ms=2).codes == ["order_rate"]
    with pytest.raises(r.RiskConfigError, match="max_net_delta"):
        r.RiskEngine('{"max_net_delta": "1"}')
    with pytest.raises(r.RiskConfigError, match="float"):
        r.limits_json({"price_band": 0.05})


def test_batch_and_positions() -> None:
    engine, a, _ = make({"instruments": {"binance-usdm:ETHUSDT": {"max_position": "10"}}})
    orders = [r.Order(a, "sell", D(6), D(2000)), r.Order(a, "sell", D(6), D(2000))]
    assert [bool(v) for v in engine.check_batch(orders)] == [True, True]
    assert [bool(v) for v in engine.check_batch(orders, cumulative=True)] == [True, False]
    assert engine.check(99, "buy", 1, 1).codes == ["unknown_instrument"]
    engine.apply_fill(a, "sell", 2, 2000, D("0.8"))
    engine.apply_fill(a, "buy", 1, 1900, D("0.4"))
    assert engine.position(a) == (D(-1), D(2000), D(100), D("1.2"), D(0))
    net, gross, venues = engine.exposure()
    assert (net, gross) == (D(38000), D(2000))
    assert venues["binance-usdm"][0] == D(2000)
    with pytest.raises(r.UnknownInstrument):
        engine.apply_fill(42, "buy", 1, 1)


def test_margin_and_liquidation_checks() -> None:
    engine, a, _ = make({"min_margin_headroom_usd": 0, "min_liq_distance": "0.5"})
    assert engine.check(a, "sell", 10, 2000)
    assert engine.check(a, "sell", 100, 2000).codes == ["margin_headroom", "liquidation_distance"]


def test_gatekeeper_vector() -> None:
    gate = r.Gatekeeper()
    d = gate.observe(0, "mint", 10, 20700, spot=2000)
    assert (d.price, d.loss, d.action) == (D(2070), D(700), "disable")
    assert r.Gatekeeper().observe(0, "redeem", 10, 19900, 2000).action == "ok"
    assert r.Gatekeeper().observe(0, "mint", 1, 2000).action == "alert"
