"""Simulated OES custodian: delegation rules, idempotent ids, settlement of exactly the
venue's PnL, disputes, allow-listed withdrawals."""

from __future__ import annotations

import asyncio
from decimal import Decimal as D

from pyengine.messages import SubmitOrder, TransferConfirmed, TransferRequested
from pyengine.messages.execution import Side
from pyengine.sim import SimCustodian, SimExchange, VirtualScheduler, profile
from pyengine.sim.market import MarketUpdate, ScriptedMarket
from pyengine.sim.world import USDM_FILE, specs_from

HOUR = 3_600_000_000_000


def world(
    approval_ns: int = 0,
) -> tuple[SimExchange, ScriptedMarket, SimCustodian, VirtualScheduler]:
    sched = VirtualScheduler()
    market = ScriptedMarket(["ETHUSDT"])
    ex = SimExchange(
        profile("binance-usdm", settlement_cycle_ns=4 * HOUR),
        specs_from("binance-usdm", USDM_FILE, ["ETHUSDT"]),
        market,
        sched,
        step_ns=HOUR,
    )
    cus = SimCustodian(
        "copper-sim", sched, [ex], approval_window_ns=approval_ns, allowlist=["0xabc"]
    )
    cus.fund("USDT", D(1_000_000))
    ex.start()
    cus.start()
    return ex, market, cus, sched


def book(px: str) -> MarketUpdate:
    p = D(px)
    return MarketUpdate(
        "ETHUSDT",
        0,
        bids=[(p, D(100))],
        asks=[(p + D("0.01"), D(100))],
        mark=p,
        index=p,
        funding_rate=D(0),
    )


def trade(ex: SimExchange, coid: str, side: Side, qty: str) -> None:
    ex.place_now(
        SubmitOrder(
            ts_event=0,
            ts_recv=0,
            client_order_id=coid,
            venue=ex.venue,
            symbol="ETHUSDT",
            side=side,
            qty=D(qty),
            order_type="market",
        )
    )


def test_delegate_idempotent_and_undelegate_rule() -> None:
    ex, market, cus, sched = world()
    t1 = asyncio.run(cus.delegate("ext-1", "binance-usdm", "USDT", D(100_000)))
    t2 = asyncio.run(cus.delegate("ext-1", "binance-usdm", "USDT", D(100_000)))
    assert t1 is t2 and t1.status == "confirmed"
    assert t1.history == ["requested", "submitted", "confirmed"]
    assert ex.core.account.balances["USDT"] == D(100_000)
    assert cus.delegated[("binance-usdm", "USDT")] == D(100_000)
    assert next(type(m) for m in cus.journal) is TransferRequested
    assert sum(isinstance(m, TransferConfirmed) for m in cus.journal) == 1
    market.push(book("3000.00"))
    sched.step_until(sched.now_ns() + 1)
    trade(ex, "o1", "sell", "100")  # uses 30,000 of initial margin
    limit = cus.available_to_undelegate("binance-usdm", "USDT")
    assert limit == ex.available("USDT") < D(100_000)
    bad = asyncio.run(cus.undelegate("ext-2", "binance-usdm", "USDT", limit + 1))
    assert bad.status == "failed" and "available_to_undelegate" in bad.reason
    ok = asyncio.run(cus.undelegate("ext-3", "binance-usdm", "USDT", D(1000)))
    assert ok.status == "confirmed"
    assert cus.delegated[("binance-usdm", "USDT")] == D(99_000)
    too_much = asyncio.run(cus.delegate("ext-4", "binance-usdm", "USDT", D(2_000_000)))
    assert too_much.status == "failed"
    (row,) = asyncio.run(cus.balances())
    assert set(row.to_json()) == {
        "amount",
        "available",
        "balance",
        "reserve",
        "currency",
        "exchangeId",
    }


def test_settlement_moves_exactly_the_venue_pnl() -> None:
    ex, market, cus, sched = world()
    asyncio.run(cus.delegate("d1", "binance-usdm", "USDT", D(100_000)))
    market.push(book("3000.00"))
    sched.step_until(sched.now_ns() + 1)
    trade(ex, "o1", "sell", "10")
    market.push(book("2900.00"))
    sched.step_until(sched.now_ns() + HOUR)
    trade(ex, "o2", "buy", "10")
    pnl = ex.unsettled()["USDT"]
    assert pnl == D(10) * (D("3000.00") - D("2900.01")) - D("0.0005") * (D(30000) + D("29000.10"))
    custody_before = cus.custody["USDT"]
    sched.step_until(sched.now_ns() + 4 * HOUR)
    (s,) = asyncio.run(cus.settlements())
    assert s.status == "settled" and s.instructions[0].settlement_amount == pnl
    assert cus.custody["USDT"] - custody_before == pnl
    assert ex.unsettled() == {}
    assert ex.core.account.balances["USDT"] == cus.delegated[("binance-usdm", "USDT")]


def test_dispute_moves_nothing_and_rolls_over() -> None:
    ex, market, cus, sched = world(approval_ns=HOUR)
    asyncio.run(cus.delegate("d1", "binance-usdm", "USDT", D(100_000)))
    market.push(book("3000.00"))
    sched.step_until(sched.now_ns() + 1)
    trade(ex, "o1", "sell", "1")
    trade(ex, "o2", "buy", "1")
    pnl = ex.unsettled()["USDT"]
    sched.step_until((sched.now_ns() // (4 * HOUR) + 1) * 4 * HOUR)
    (s,) = asyncio.run(cus.settlements())
    assert s.status == "pending"
    asyncio.run(cus.dispute(s.settlement_id, "fees look wrong"))
    sched.step_until(sched.now_ns() + 2 * HOUR)
    assert s.status == "disputed" and ex.unsettled()["USDT"] == pnl
    asyncio.run(cus.approve(s.settlement_id))
    assert s.status == "disputed"  # no double move later
    sched.step_until(sched.now_ns() + 4 * HOUR)
    nxt = asyncio.run(cus.settlements())[-1]
    assert nxt.status == "settled" and nxt.instructions[0].settlement_amount == pnl


def test_withdraw_allowlist_and_deposit_address() -> None:
    _, _, cus, _ = world()
    assert asyncio.run(cus.withdraw("w1", "USDT", D(10), "0xevil")).status == "failed"
    assert asyncio.run(cus.withdraw("w2", "USDT", D(10), "0xabc")).status == "confirmed"
    assert cus.custody["USDT"] == D(999_990)
    addr = asyncio.run(cus.deposit_address("USDT"))
    assert addr.startswith("0x") and addr == asyncio.run(cus.deposit_address("USDT"))
