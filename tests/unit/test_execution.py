"""The execution actor over a simulated exchange: answers, fills and account reports on the
bus; cancels; venue-ended orders announced once; idempotent on client order ids."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from decimal import Decimal as D
from typing import Any

import pytest

from pyengine.actors.base import ActorContext
from pyengine.actors.execution import ExecutionActor
from pyengine.clock import SequentialIds
from pyengine.errors import ConfigError
from pyengine.messages import (
    BalanceReport,
    CancelOrder,
    Message,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderRejected,
    OrderUpdate,
    PlaceOrder,
    PositionReport,
    SubmitOrder,
)
from pyengine.messages.execution import Side, TimeInForce
from pyengine.sim import SimExchange, VirtualScheduler, build_world

VENUE = "binance-usdm"
SEC = 1_000_000_000


def world() -> tuple[VirtualScheduler, SimExchange]:
    sched = VirtualScheduler()
    w = build_world(sched, seed=5)
    w.start()
    ex = w.exchanges[VENUE]
    ex.credit_delegation("USDT", D(1_000_000))
    sched.step_until(sched.now_ns() + SEC)
    return sched, ex


def actor(sched: VirtualScheduler, ex: SimExchange) -> ExecutionActor:
    ctx = ActorContext(
        name="exec", clock=sched.manual, ids=SequentialIds("exec"), options={"venue": VENUE}
    )
    return ExecutionActor(ctx, client=ex)


def place(
    coid: str, side: Side, price: D | None, tif: TimeInForce = "gtc", qty: str = "0.01"
) -> PlaceOrder:
    return PlaceOrder(
        ts_event=1,
        ts_recv=1,
        order=SubmitOrder(
            ts_event=1,
            ts_recv=1,
            client_order_id=coid,
            venue=VENUE,
            symbol="BTCUSDT",
            side=side,
            qty=D(qty),
            price=price,
            order_type="limit" if price is not None else "market",
            tif=tif,
        ),
    )


async def settle(a: ExecutionActor, cond: Callable[[list[Message]], bool]) -> list[Message]:
    """Drain the actor until `cond` holds on everything it published (bounded)."""
    out: list[Message] = []
    for _ in range(200):
        await asyncio.sleep(0)
        out += a.on_timer(0)
        if cond(out):
            return out
    raise AssertionError(f"not reached; published {[type(m).__name__ for m in out]}")


def run(main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(main())


def test_place_fill_report_and_idempotence() -> None:
    async def main() -> None:
        sched, ex = world()
        a = actor(sched, ex)
        assert a.topics() == ((), ("cmd.venue.binance-usdm.", "cmd.order.cancel"))
        a.on_start()
        out = await settle(a, lambda o: any(isinstance(m, BalanceReport) for m in o))
        ask = ex.core.books["BTCUSDT"].best_ask()
        assert ask is not None
        a.handle(place("o1", "buy", ask[0]))
        a.handle(place("o1", "buy", ask[0]))  # a redelivery is not sent twice
        out = await settle(a, lambda o: any(isinstance(m, PositionReport) for m in o))
        accepted = [m for m in out if isinstance(m, OrderAccepted)]
        fills = [m for m in out if isinstance(m, OrderFilled)]
        assert len(accepted) == 1 and accepted[0].client_order_id == "o1"
        assert sum(f.qty for f in fills) == D("0.01") and fills[0].price == ask[0]
        assert any(isinstance(m, OrderUpdate) and m.status == "filled" for m in out)
        assert a.counters["placed"] == 1

    run(main)


def test_cancels_and_venue_ended_orders_are_announced_once() -> None:
    async def main() -> None:
        sched, ex = world()
        a = actor(sched, ex)
        a.on_start()
        bid = ex.core.books["BTCUSDT"].best_bid()
        assert bid is not None
        low = bid[0] - 1000
        a.handle(place("rest", "buy", low))
        await settle(a, lambda o: any(isinstance(m, OrderAccepted) for m in o))
        a.handle(CancelOrder(ts_event=1, ts_recv=1, client_order_id="rest", venue=VENUE))
        out = await settle(a, lambda o: any(isinstance(m, OrderCanceled) for m in o))
        out += await settle(a, lambda o: True)
        assert len([m for m in out if isinstance(m, OrderCanceled)]) == 1
        (unknown,) = a.handle(
            CancelOrder(ts_event=1, ts_recv=1, client_order_id="never", venue=VENUE)
        )
        assert isinstance(unknown, OrderRejected) and unknown.stage == "execution"
        assert (
            a.handle(CancelOrder(ts_event=1, ts_recv=1, client_order_id="x", venue="other")) == []
        )
        # an IOC remainder is ended by the venue: announced as canceled, once
        a.handle(place("ioc", "buy", low, tif="ioc"))
        out = await settle(a, lambda o: any(isinstance(m, OrderCanceled) for m in o))
        (ended,) = [m for m in out if isinstance(m, OrderCanceled)]
        assert ended.client_order_id == "ioc" and ended.reason == "ioc_remainder"

    run(main)


def test_unanswered_orders_of_the_journal_are_sent_again() -> None:
    async def main() -> None:
        sched, ex = world()
        ask = ex.core.books["BTCUSDT"].best_ask()
        assert ask is not None
        order = place("j1", "buy", ask[0])
        order = PlaceOrder(ts_event=sched.now_ns(), ts_recv=1, order=order.order)
        a = actor(sched, ex)
        a.recover([order])
        a.on_start()
        out = await settle(a, lambda o: any(isinstance(m, OrderFilled) for m in o))
        assert any(isinstance(m, OrderAccepted) and m.client_order_id == "j1" for m in out)

    run(main)


def test_options_are_checked() -> None:
    def make(**options: object) -> ExecutionActor:
        return ExecutionActor(ActorContext(name="e", options=options))

    with pytest.raises(ConfigError, match="not a simulated venue"):
        make(venue="nowhere")
    with pytest.raises(ConfigError, match=r"actors\.e\.options"):
        make(venue=VENUE, client="live")
    assert make(venue=VENUE).colocated_with() == ("sim",)
