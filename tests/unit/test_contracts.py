"""pyengine.contracts: loaders on real instrument messages and every vector of docs/contracts.md,
docs/funding-basis-margin.md, docs/mint-redeem.md#route."""

from __future__ import annotations

import json
from decimal import Decimal as D
from pathlib import Path

import pytest

from pyengine import contracts as c

DATA = Path(__file__).resolve().parents[1] / "data" / "instruments"


def load(venue: str, rel: str) -> dict[str, c.InstrumentSpec]:
    return {s.symbol: s for s in c.load_instruments_file(venue, DATA / rel)}


def by_url(venue: str, rel: str) -> dict[str, c.InstrumentSpec]:
    out: dict[str, c.InstrumentSpec] = {}
    for body in json.loads((DATA / rel).read_text()).values():
        specs, _ = c.load_instruments(venue, json.dumps(body))
        out.update({s.symbol: s for s in specs})
    return out


def test_fixture_contract_sizes_match_spec() -> None:
    coinm = load("binance-coinm", "binance_coinm/rest_exchangeInfo_dapi_20210721_full.json")
    assert coinm["BTCUSD_PERP"].multiplier == D(100)
    assert all(s.multiplier == D(10) for k, s in coinm.items() if not k.startswith("BTC"))
    assert coinm["BTCUSD_PERP"].payoff == "inverse"
    okx = by_url("okx", "okx/rest_public_instruments_20220513_trimmed.json")
    assert (okx["BTC-USD-SWAP"].payoff, okx["BTC-USD-SWAP"].multiplier) == ("inverse", D(100))
    assert (okx["BTC-USDT-SWAP"].payoff, okx["BTC-USDT-SWAP"].multiplier) == ("linear", D("0.01"))
    deribit = by_url("deribit", "deribit/rest_get_instruments_20210722_trimmed.json")
    assert deribit["BTC-PERPETUAL"].contract_size == D(10)
    assert deribit["ETH-PERPETUAL"].contract_size == D(1)
    bitmex = load("bitmex", "bitmex/http_get_instrument_xbtusd_nautilus.json")["XBTUSD"]
    assert (bitmex.payoff, bitmex.multiplier, bitmex.settle) == ("inverse", D(1), "XBT")
    usdm = load("binance-usdm", "binance_usdm/rest_exchangeInfo_fapi_20210722_trimmed.json")
    btc = usdm["BTCUSDT"]
    assert (btc.kind, btc.tick, btc.lot, btc.min_notional) == (
        "perpetual",
        D("0.01"),
        D("0.001"),
        D(5),
    )
    assert usdm["BTCUSDT_210924"].expiry_ms == 1632470400000
    bybit = load("bybit", "bybit/rest_instruments_info_linear_20260809_trimmed.json")
    assert bybit["BTCUSDT"].funding_interval_min == 480
    assert btc.on_tick(D("30000.01")) and not btc.on_tick(D("30000.001"))


def test_loader_errors_are_typed_and_name_the_field() -> None:
    with pytest.raises(c.InstrumentSpecError, match="tickSz"):
        c.load_instruments("okx", '{"data":[{"instId":"X-USD-SWAP","instType":"SWAP"}]}')
    with pytest.raises(c.InstrumentSpecError):
        c.load_instruments("bybit", "not json")
    with pytest.raises(c.UnknownVenue):
        c.load_instruments("nasdaq", "{}")
    _, skipped = c.load_instruments(
        "bitmex", (DATA / "bitmex/rest_instrument_active_20210722_trimmed.json").read_text()
    )
    assert skipped == [("ETHUSD", "quanto")]


def test_convexity_vector() -> None:
    up = c.pnl("inverse", 1, 50000, 10000, 11000)
    down = c.pnl("inverse", 1, 50000, 10000, 9000)
    assert round(up, 4) == D("0.4545")
    assert round(down, 4) == D("-0.5556")
    assert isinstance(up, D)


@pytest.mark.parametrize(
    ("price", "pnl_coins", "equity_coins"), [("0.1", "9", "10"), ("100", "-0.99", "0.01")]
)
def test_inverse_neutral_vectors(price: str, pnl_coins: str, equity_coins: str) -> None:
    pnl = c.pnl("inverse", 1, -1, 1, D(price))
    assert pnl == D(pnl_coins)
    assert (1 + pnl) * D(price) == 1
    assert 1 + pnl == D(equity_coins)


def test_linear_neutral_vector() -> None:
    short = c.pnl("linear", 1, -10, 2000, 200)
    assert short == D(18000)
    assert 10 * D(200) + short == D(20000)
    assert c.notional("linear", 1, 10, 2000) == D(20000)
    assert c.coin_delta("inverse", 100, -600, 60000) == D(-1)


@pytest.mark.parametrize(
    ("pavg", "rate"),
    [("0.0003", "0.0001"), ("0.0010", "0.0005"), ("-0.0002", "0.0001"), ("-0.0010", "-0.0005")],
)
def test_funding_clamp_vectors(pavg: str, rate: str) -> None:
    assert c.funding_rate(D(pavg)) == D(rate)


def test_funding_payment_apr_and_basis_vectors() -> None:
    assert c.funding_payment("linear", 1, -10000, 3000, D("0.0001")) == D(3000)
    assert c.funding_apr(D("0.0001"), 480) == D("0.1095")
    assert c.weighted_premium([D("0.0001"), D("0.0004")]) == D("0.0003")
    assert c.premium_index(3003, 3004, 3000) == D("0.001")
    assert round(c.basis(103401, 103337) * 100, 4) == D("0.0619")
    assert round(c.basis_apr(103401, 103337, 72) * 100, 2) == D("0.31")


def test_haircut_vectors() -> None:
    assert c.HaircutTiers.bybit_btc().value(25, 60000) == D(1428000)
    assert c.HaircutTiers.binance_example().value(6000, 20000) == D(119500000)
    custom = c.HaircutTiers("value", [(D(100_000_000), 1)], D("0.975"))
    assert custom.value(6000, 20000) == D(119500000)
    assert sum(c.HaircutTiers.flat(D("0.95")).value(1, 1) for _ in range(3)) == D("2.85")
    with pytest.raises(c.ContractMathError):
        c.HaircutTiers("quantity", [(10, D("1.5"))], 0)


@pytest.mark.parametrize(
    ("s", "h", "m", "multiple"),
    [
        ("1", "0.95", "0.005", "18.2"),
        ("0.90", "0.95", "0.005", "6.7"),
        ("0.95", "0.90", "0.01", "6.45"),
    ],
)
def test_liquidation_vectors(s: str, h: str, m: str, multiple: str) -> None:
    p = c.lst_liquidation_price(1, D(s), D(h), D(m))
    assert p is not None
    assert round(p, len(multiple.split(".")[1])) == D(multiple)
    model = c.LiquidationModel()
    model.add_coin(10, D(s), D(h))
    model.add_position("linear", 1, -10, 2000, D(m))
    liq = model.liq_price()
    assert liq is not None
    assert abs(liq - 2000 * p) < D("1e-18")


def test_route_split_vector() -> None:
    assert c.split_route(1_000_000_001, [3333, 3333, 3334]) == [
        333_300_000,
        333_300_000,
        333_400_001,
    ]
    assert c.split_route(100_000_000, [5000, 2500, 1500, 500, 500]) == [
        50_000_000,
        25_000_000,
        15_000_000,
        5_000_000,
        5_000_000,
    ]
    with pytest.raises(c.ContractMathError, match="10000"):
        c.split_route(1, [5000, 4999])


def test_position_from_fills() -> None:
    pos = c.Position("linear", 1)
    pos.apply(2, 100, D("0.1"))
    pos.apply(2, 110, D("0.1"))
    assert (pos.qty, pos.avg_entry) == (D(4), D(105))
    assert pos.apply(-5, 100) == (D(4), D(-1), D(-20))
    assert (pos.qty, pos.avg_entry, pos.realised_pnl, pos.fees) == (D(-1), D(100), D(-20), D("0.2"))
    assert pos.unrealised(90) == 10


def test_rehedge_and_portfolio() -> None:
    coinm = load("binance-coinm", "binance_coinm/rest_exchangeInfo_dapi_20210721_full.json")
    assert c.inverse_rehedge(coinm["BTCUSD_PERP"], -600, 50000, -1) == (D(100), D(100))
    book = c.Portfolio([("linear", 1), ("inverse", 1)])
    book.extend([(0, D(-10), D(2000)), (1, D(50000), D(10000))])
    assert book.mark([D(1800), D(11000)]) == (D(7000), D(68000), D(32000))
    assert len(book) == 2


def test_bad_input_raises_typed_errors() -> None:
    with pytest.raises(c.InvalidDecimal, match="float"):
        c.pnl("linear", 1, 1.5, 1, 2)  # type: ignore[arg-type]
    with pytest.raises(c.InvalidDecimal):
        c.notional("linear", 1, D("NaN"), 1)
    with pytest.raises(c.ContractMathError):
        c.pnl("inverse", 1, 1, 0, 1)
    with pytest.raises(c.EngineError):
        c.notional("quanto", 1, 1, 1)  # type: ignore[arg-type]
