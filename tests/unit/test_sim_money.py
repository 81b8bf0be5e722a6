"""Simulated exchange money paths against the vectors of docs/contracts.md,
docs/funding-basis-margin.md: funding, inverse PnL in coin,
haircut tiers, liquidation price, futures expiry."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

from pyengine.contracts import HaircutTiers, lst_liquidation_price
from pyengine.messages.sim import FundingPaid, FuturesSettled, PositionLiquidated
from pyengine.sim import SimExchange, VirtualScheduler, profile
from pyengine.sim.market import MarketUpdate, ScriptedMarket
from pyengine.sim.settlement import expire
from pyengine.sim.world import COINM_FILE, USDM_FILE, specs_from

HOUR = 3_600_000_000_000


def make(
    venue: str, file: Path, symbols: list[str], **prof: object
) -> tuple[SimExchange, ScriptedMarket, VirtualScheduler]:
    sched = VirtualScheduler()
    market = ScriptedMarket(symbols)
    ex = SimExchange(
        profile(venue, **prof),
        specs_from("binance-usdm" if venue == "bybit" else venue, file, symbols),
        market,
        sched,
        step_ns=HOUR,
        links={"stETH": ("ETH", D("0.95"))},
    )
    return ex, market, sched


def test_funding_vector_short_receives_3000_per_8h() -> None:
    ex, market, sched = make("binance-usdm", USDM_FILE, ["ETHUSDT"])
    ex.credit_delegation("USDT", D(5_000_000))
    market.push(MarketUpdate("ETHUSDT", 0, mark=D(3000), index=D(3000), funding_rate=D("0.0001")))
    ex.start()
    sched.step_until(sched.now_ns())
    ex.core.account.apply_fill("ETHUSDT", D(-10000), D(3000), D(0))
    before = ex.core.account.balances["USDT"]
    sched.step_until(sched.now_ns() + 8 * HOUR)
    paid = [m for m in ex.journal if isinstance(m, FundingPaid)]
    assert len(paid) == 1
    assert paid[0].amount == D(3000)
    assert paid[0].ts_event % (8 * HOUR) == 0  # 00:00 / 08:00 / 16:00 UTC
    assert ex.core.account.balances["USDT"] - before == D(3000)
    assert ex.unsettled()["USDT"] == D(3000)


def test_inverse_pnl_settles_in_coin_convexity_vector() -> None:
    # ETHUSD_PERP: 10 USD per contract; 5,000 contracts = the 50,000 x $1 of
    # docs/contracts.md#convexity.
    ex, market, sched = make("binance-coinm", COINM_FILE, ["ETHUSD_PERP"])
    ex.credit_delegation("ETH", D(10))
    acct = ex.core.account
    market.push(MarketUpdate("ETHUSD_PERP", 0, mark=D(10000), index=D(10000)))
    ex.start()
    sched.step_until(sched.now_ns())
    acct.apply_fill("ETHUSD_PERP", D(5000), D(10000), D(0))
    assert acct.position("ETHUSD_PERP").unrealised(D(9000)).quantize(D("0.0001")) == D("-0.5556")
    realised = acct.apply_fill("ETHUSD_PERP", D(-5000), D(11000), D(0))
    assert realised == D(50000) * (D(1) / D(10000) - D(1) / D(11000))
    assert realised.quantize(D("0.0001")) == D("0.4545")
    assert acct.balances["ETH"] == D(10) + realised  # paid in the coin, not USD
    assert ex.unsettled() == {"ETH": realised}


def test_bybit_haircut_tier_vector() -> None:
    ex, market, sched = make("bybit", USDM_FILE, ["BTCUSDT"])
    ex.credit_delegation("BTC", D(25))
    market.push(MarketUpdate("BTCUSDT", 0, mark=D(60000), index=D(60000)))
    ex.start()
    sched.step_until(sched.now_ns())
    assert ex.core.account.collateral_usd() == D(1_428_000)


def test_liquidation_at_spec_price() -> None:
    # s 0.95, h 0.90, m 1%: P > P0 / (1 + m - s h) = 6.45 P0.
    ex, market, sched = make(
        "binance-usdm",
        USDM_FILE,
        ["ETHUSDT"],
        haircuts={"stETH": HaircutTiers.flat(D("0.90"))},
        maint_rates={"ETHUSDT": D("0.01")},
    )
    ex.credit_delegation("stETH", D(100))
    p0 = D(3000)
    market.push(MarketUpdate("ETHUSDT", 0, mark=p0, index=p0))
    ex.start()
    sched.step_until(sched.now_ns())
    ex.core.account.apply_fill("ETHUSDT", D(-100), p0, D(0))
    spec_px = lst_liquidation_price(p0, D("0.95"), D("0.90"), D("0.01"))
    assert spec_px is not None and (spec_px / p0).quantize(D("0.01")) == D("6.45")
    liq = ex.core.account.liquidation_price("ETHUSDT")
    assert liq is not None and abs(liq - spec_px) < D("1e-18")
    below = (spec_px - D("0.01")).quantize(D("0.01"))
    market.push(MarketUpdate("ETHUSDT", 0, mark=below, index=below))
    sched.step_until(sched.now_ns() + HOUR)
    assert not [m for m in ex.journal if isinstance(m, PositionLiquidated)]
    assert any(getattr(m, "code", "") == "margin_call" for m in ex.journal)
    above = (spec_px + D("0.01")).quantize(D("0.01"))
    market.push(MarketUpdate("ETHUSDT", 0, mark=above, index=above))
    sched.step_until(sched.now_ns() + HOUR)
    liqs = [m for m in ex.journal if isinstance(m, PositionLiquidated)]
    assert len(liqs) == 1 and liqs[0].price == above
    assert ex.core.account.qty("ETHUSDT") == 0
    # The short's loss is a USDT debt against stETH collateral.
    assert ex.core.account.debts()["USDT"] == D(-100) * (above - p0)


def test_future_settles_at_expiry_to_index() -> None:
    ex, market, sched = make("binance-coinm", COINM_FILE, ["BTCUSD_210924"])
    ex.credit_delegation("BTC", D(1))
    market.push(MarketUpdate("BTCUSD_210924", 0, mark=D(40000), index=D(40000)))
    ex.start()
    sched.step_until(sched.now_ns())
    ex.core.account.apply_fill("BTCUSD_210924", D(-10), D(40000), D(0))
    realised = expire(ex.core, "BTCUSD_210924", sched.now_ns(), D(50000))
    assert realised == D(-10) * D(100) * (D(1) / D(40000) - D(1) / D(50000))
    assert ex.core.account.qty("BTCUSD_210924") == 0
    assert any(isinstance(m, FuturesSettled) for m in ex.core.journal)
