"""Simulated exchange: matching against depth, order types, rejects, idempotency."""

from __future__ import annotations

import asyncio
from decimal import Decimal as D

import pytest

from pyengine.messages import OrderAccepted, OrderFilled, OrderRejected, SubmitOrder
from pyengine.messages.execution import Side
from pyengine.sim import SimExchange, VirtualScheduler, profile
from pyengine.sim.market import MarketTrade, MarketUpdate, ScriptedMarket
from pyengine.sim.world import USDM_FILE, specs_from

SEC = 1_000_000_000


def order(coid: str, side: Side, qty: str, price: str | None = None, **kw: object) -> SubmitOrder:
    return SubmitOrder(
        ts_event=0,
        ts_recv=0,
        client_order_id=coid,
        venue="binance-usdm",
        symbol="ETHUSDT",
        side=side,
        qty=D(qty),
        price=D(price) if price else None,
        # Any text on purpose: the venue's own entry check ("stop") is under test.
        order_type=str(kw.pop("order_type", "limit" if price else "market")),  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )


def book(mid_bid: str = "3000.00") -> MarketUpdate:
    bid = D(mid_bid)
    return MarketUpdate(
        "ETHUSDT",
        0,
        bids=[(bid, D("60")), (bid - D("1"), D("40")), (bid - D("2"), D("100"))],
        asks=[(bid + D("0.01"), D("5")), (bid + D("0.02"), D("10")), (bid + D("1"), D("100"))],
        mark=bid,
        index=bid,
        funding_rate=D("0.0001"),
    )


@pytest.fixture
def venue() -> tuple[SimExchange, ScriptedMarket, VirtualScheduler]:
    sched = VirtualScheduler()
    market = ScriptedMarket(["ETHUSDT"])
    ex = SimExchange(
        profile("binance-usdm"), specs_from("binance-usdm", USDM_FILE, ["ETHUSDT"]), market, sched
    )
    ex.credit_delegation("USDT", D("1000000"))
    market.push(book())
    ex.start()
    sched.step_until(sched.now_ns())
    ex.take_events()
    return ex, market, sched


def fills(ex: SimExchange) -> list[OrderFilled]:
    return [e for e in ex.take_events() if isinstance(e, OrderFilled)]


def test_market_sell_walks_levels_vwap_exact(
    venue: tuple[SimExchange, ScriptedMarket, VirtualScheduler],
) -> None:
    ex, _, _ = venue
    reply = ex.place_now(order("m1", "sell", "100"))
    assert isinstance(reply, OrderAccepted)
    fs = fills(ex)
    assert [(f.price, f.qty) for f in fs] == [(D("3000.00"), D("60")), (D("2999.00"), D("40"))]
    vwap = sum(f.price * f.qty for f in fs) / sum(f.qty for f in fs)
    assert vwap == D("2999.60")  # docs/pricing.md#vector
    assert sum(f.fee for f in fs) == D("299960") * D("0.0005")
    assert ex.core.account.qty("ETHUSDT") == D(-100)
    assert ex.core.books["ETHUSDT"].best_bid() == (D("2998.00"), D("100"))


def test_limit_ioc_and_rest(venue: tuple[SimExchange, ScriptedMarket, VirtualScheduler]) -> None:
    ex, market, sched = venue
    ex.place_now(order("i1", "buy", "8", "3000.01", tif="ioc"))
    assert [(f.price, f.qty) for f in fills(ex)] == [(D("3000.01"), D("5"))]
    assert ex.core.orders["i1"].status == "canceled"
    ex.place_now(order("g1", "buy", "3", "2999.50"))
    assert ex.core.orders["g1"].status == "new"
    # A print at our price goes to the queue ahead of us; one through it fills us.
    market.push(MarketUpdate("ETHUSDT", 0, trades=[MarketTrade(D("2999.50"), D("2"), "sell")]))
    sched.step_until(sched.now_ns() + SEC)
    assert fills(ex) == []
    market.push(MarketUpdate("ETHUSDT", 0, trades=[MarketTrade(D("2999.40"), D("2"), "sell")]))
    sched.step_until(sched.now_ns() + SEC)
    fs = fills(ex)
    assert [(f.price, f.qty, f.liquidity) for f in fs] == [(D("2999.50"), D("2"), "maker")]
    assert fs[0].fee == D("2") * D("2999.50") * D("0.0002")


@pytest.mark.parametrize(
    ("o", "reason"),
    [
        (order("r1", "buy", "0.0001", "3000"), "bad_size"),
        (order("r2", "buy", "1.0005", "3000"), "bad_lot"),
        (order("r3", "buy", "1", "3000.005"), "bad_tick"),
        (order("r4", "buy", "1", "3000.05", tif="post_only"), "post_only_would_cross"),
        (order("r5", "sell", "1", "3100", reduce_only=True), "reduce_only_violation"),
        (order("r6", "buy", "9000", "3000"), "insufficient_margin"),
        (order("r7", "buy", "0.001", "3000"), "min_notional"),
        (order("r8", "buy", "1", "3000", order_type="stop"), "bad_order_type"),
    ],
)
def test_rejects_with_reasons(
    venue: tuple[SimExchange, ScriptedMarket, VirtualScheduler], o: SubmitOrder, reason: str
) -> None:
    ex, _, _ = venue
    reply = ex.place_now(o)
    assert isinstance(reply, OrderRejected)
    assert reply.reason == reason


def test_client_order_id_idempotent_and_cancel_amend(
    venue: tuple[SimExchange, ScriptedMarket, VirtualScheduler],
) -> None:
    ex, _, _ = venue
    first = ex.place_now(order("c1", "buy", "1", "2990.00"))
    again = ex.place_now(order("c1", "buy", "5", "2990.00"))
    assert again is first and len(ex.core.orders) == 1
    amended = asyncio.run(ex.amend("c1", "ETHUSDT", qty=D("2"), price=D("2991.00")))
    assert isinstance(amended, OrderAccepted)
    assert (ex.core.orders["c1"].qty, ex.core.orders["c1"].price) == (D("2"), D("2991.00"))
    asyncio.run(ex.cancel("c1", "ETHUSDT"))
    assert ex.core.orders["c1"].status == "canceled"
    again2 = asyncio.run(ex.cancel("c1", "ETHUSDT"))
    assert isinstance(again2, OrderRejected) and again2.reason == "unknown_order"


def test_reduce_only_closes(venue: tuple[SimExchange, ScriptedMarket, VirtualScheduler]) -> None:
    ex, _, _ = venue
    ex.place_now(order("o1", "sell", "10"))
    reply = ex.place_now(order("o2", "buy", "10", reduce_only=True))
    assert isinstance(reply, OrderAccepted)
    assert ex.core.account.qty("ETHUSDT") == 0


def test_rate_limit_reject_all_and_latency(
    venue: tuple[SimExchange, ScriptedMarket, VirtualScheduler],
) -> None:
    ex, _, sched = venue
    ex.profile = ex.profile.with_(max_orders_per_window=2)
    r = [ex.place_now(order(f"q{i}", "buy", "1", "2900.00")) for i in range(3)]
    assert isinstance(r[2], OrderRejected) and r[2].reason == "rate_limit"
    sched.step_until(sched.now_ns() + 20 * SEC)
    ex.reject_all(5 * SEC)
    r3 = ex.place_now(order("q9", "buy", "1", "2900.00"))
    assert isinstance(r3, OrderRejected) and r3.reason == "venue_unavailable"
    ex.latency_ns = 50_000_000

    async def run() -> int:
        task = asyncio.create_task(ex.place(order("lat", "buy", "1", "2900.00")))
        await sched.run_until(sched.now_ns() + 10 * SEC)
        reply = await task
        return reply.ts_event

    t0 = sched.now_ns()
    assert asyncio.run(run()) == t0 + 50_000_000
