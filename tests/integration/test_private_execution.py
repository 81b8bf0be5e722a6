"""The execution actor configured for a live venue client (`client = "bybit"`, keys named by
environment variables) against the local Bybit server: answers, fills from the private
stream, cancels and venue refusals on the bus."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from decimal import Decimal

import pytest

from pyengine.actors.base import Actor, ActorContext
from pyengine.actors.directory import Directory, PeerAddress
from pyengine.actors.execution import ExecutionActor
from pyengine.actors.runner import ActorRunner, RunnerSettings
from pyengine.bus import Bus
from pyengine.messages import (
    BalanceReport,
    CancelOrder,
    Message,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderRejected,
    OrderStatusUnknown,
    PlaceOrder,
    SubmitOrder,
)
from pyengine.orders import OrderStatus, OrderTable
from tests.integration.servers.private_binance import BinancePrivateServer
from tests.integration.servers.private_common import PrivateServer
from tests.integration.servers.private_harness import CASES, KEY, SECRET, push, server_for

CASE = next(c for c in CASES if c.venue == "bybit")
Poll = Callable[..., Awaitable[None]]


class Desk(Actor):
    """Sends orders (through its runner's `emit`) and keeps what comes back over the bus."""

    subscribe = ("acct.",)
    reliable = ("exec.",)

    def __init__(self, ctx: ActorContext) -> None:
        super().__init__(ctx)
        self.got: list[Message] = []

    def handle(self, msg: Message) -> list[Message]:
        self.got.append(msg)
        return []


def place(coid: str, qty: str) -> PlaceOrder:
    order = SubmitOrder(
        ts_event=1,
        ts_recv=1,
        client_order_id=coid,
        venue="bybit",
        symbol="linear:BTCUSDT",
        side="sell",
        qty=Decimal(qty),
        price=Decimal("95000"),
    )
    return PlaceOrder(ts_event=1, ts_recv=1, order=order)


def test_execution_actor_on_a_live_client(monkeypatch: pytest.MonkeyPatch, apoll: Poll) -> None:
    """Through the actor runner: the client opened, its stream read and every request run as
    the actor's effects; each answer reaches the desk over the bus."""
    monkeypatch.setenv("TEST_BYBIT_KEY", KEY)
    monkeypatch.setenv("TEST_BYBIT_SECRET", SECRET)

    async def main() -> None:
        server = await server_for(CASE).start()
        live = {
            "venue": "bybit",
            "ws_url": f"{server.ws_url}/v5/private",
            "rest_url": server.rest_url,
            "api_key_env": "TEST_BYBIT_KEY",
            "api_secret_env": "TEST_BYBIT_SECRET",
            "backoff_initial_s": 0.05,
        }
        bus = Bus()
        d = Directory(
            [
                PeerAddress("desk", "inproc://pe.desk.pub", "inproc://pe.desk.box", ("exec.",)),
                PeerAddress("exec", "inproc://pe.exec.pub", "inproc://pe.exec.box",
                            ("cmd.venue.bybit.", "cmd.order.cancel")),
            ]
        )  # fmt: skip
        settings = RunnerSettings(heartbeat_s=0.05, tick_s=0.01)
        options: dict[str, object] = {"venue": "bybit", "client": "bybit", "live": live}
        desk = ActorRunner("desk", Desk, bus, d, settings=settings)
        ex = ActorRunner("exec", ExecutionActor, bus, d, settings=settings, options=options)
        for r in (desk, ex):
            r.open()
        tasks = [asyncio.get_running_loop().create_task(r.run()) for r in (desk, ex)]

        def got(kind: type[Message]) -> list[Message]:
            a = desk.actor
            return [m for m in a.got if isinstance(m, kind)] if isinstance(a, Desk) else []

        try:
            await apoll(lambda: got(BalanceReport), 10, "a first balance report")
            assert isinstance(ex.actor, ExecutionActor) and ex.actor.colocated_with() == ()
            desk.emit([place("live-1", "0.5")])
            await apoll(lambda: got(OrderAccepted), 10, "the venue's acceptance")
            assert server.orders["live-1"]["side"] == "Sell"
            desk.emit([place("live-2", "500")])
            await apoll(lambda: got(OrderRejected), 10, "the venue's refusal")
            (refused,) = got(OrderRejected)
            assert isinstance(refused, OrderRejected)
            assert refused.reason.startswith("110007: ") and refused.stage == "venue"
            await apoll(lambda: server.subscribed("execution"), 5, "subscribed execution")
            await push(server, CASE.pushes[1])  # a real execution message
            await apoll(lambda: got(OrderFilled), 10, "the fill from the private stream")
            (fill,) = got(OrderFilled)
            assert isinstance(fill, OrderFilled)
            assert fill.price == Decimal("95900.1") and fill.venue == "bybit"
            desk.emit([CancelOrder(ts_event=1, ts_recv=1, client_order_id="live-1", venue="bybit")])
            await apoll(lambda: got(OrderCanceled), 10, "the cancel's answer")
            assert server.orders["live-1"]["orderStatus"] == "Cancelled"
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)  # the life's cleanups ran
            for r in (desk, ex):
                await r.close()
            bus.close()
            await server.stop()

    asyncio.run(asyncio.wait_for(main(), 30))


BINANCE = next(c for c in CASES if c.venue == "binance-usdm")


@contextlib.asynccontextmanager
async def binance_desk(
    server: PrivateServer,
    recovery: Sequence[Message] = (),
    options: dict[str, object] | None = None,
) -> AsyncIterator[tuple[ActorRunner, ActorRunner, Callable[[type[Message]], list[Message]]]]:
    """A desk and a Binance execution actor (rebuilt from `recovery`) on one bus; yields
    their runners and what the desk received of one kind."""
    live = {
        "venue": "binance-usdm",
        "ws_url": server.ws_url,
        "rest_url": server.rest_url,
        "api_key_env": "TEST_BINANCE_KEY",
        "api_secret_env": "TEST_BINANCE_SECRET",
        "backoff_initial_s": 0.05,
    }
    bus = Bus()
    d = Directory(
        [
            PeerAddress("desk", "inproc://pe.bdesk.pub", "inproc://pe.bdesk.box", ("exec.",)),
            PeerAddress("exec", "inproc://pe.bexec.pub", "inproc://pe.bexec.box",
                        ("cmd.venue.binance-usdm.", "cmd.order.cancel")),
        ]
    )  # fmt: skip
    settings = RunnerSettings(heartbeat_s=0.05, tick_s=0.01)
    opts: dict[str, object] = {
        "venue": "binance-usdm",
        "client": "binance-usdm",
        "live": live,
        **(options or {}),
    }
    desk = ActorRunner("desk", Desk, bus, d, settings=settings)
    ex = ActorRunner("exec", ExecutionActor, bus, d, settings=settings, options=opts)
    ex.set_recovery(recovery)
    for r in (desk, ex):
        r.open()
    tasks = [asyncio.get_running_loop().create_task(r.run()) for r in (desk, ex)]

    def got(kind: type[Message]) -> list[Message]:
        a = desk.actor
        return [m for m in a.got if isinstance(m, kind)] if isinstance(a, Desk) else []

    try:
        yield desk, ex, got
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for r in (desk, ex):
            await r.close()
        bus.close()


def binance_order(coid: str, ts: int = 1) -> PlaceOrder:
    order = SubmitOrder(
        ts_event=ts,
        ts_recv=ts,
        client_order_id=coid,
        venue="binance-usdm",
        symbol="BTCUSDT",
        side="buy",
        qty=Decimal("0.01"),
        price=Decimal("60000"),
    )
    return PlaceOrder(ts_event=ts, ts_recv=ts, order=order)


def test_a_request_past_its_deadline_ends_filled_never_rejected(
    monkeypatch: pytest.MonkeyPatch, apoll: Poll
) -> None:
    """The local Binance server takes the order but answers only after the actor's deadline,
    and fills it meanwhile: the outcome is unknown (not a rejection), the status query finds
    the order, and the fill from the user stream ends it filled, with no illegal transition
    in the actor's table or in one fed what the desk received."""
    monkeypatch.setenv("TEST_BINANCE_KEY", KEY)
    monkeypatch.setenv("TEST_BINANCE_SECRET", SECRET)

    async def main() -> None:
        server = await server_for(BINANCE).start()
        assert isinstance(server, BinancePrivateServer)
        server.slow_posts_s = 0.6
        try:
            opts: dict[str, object] = {"request_timeout_s": 0.3, "report_interval_s": 0.2}
            async with binance_desk(server, options=opts) as (desk, ex, got):
                await apoll(lambda: got(BalanceReport), 10, "a first balance report")
                await apoll(lambda: server.subscribed("user"), 5, "the user stream")
                placed = binance_order("slow-1")
                desk.emit([placed])
                await apoll(lambda: got(OrderStatusUnknown), 10, "the unknown outcome")
                await apoll(lambda: got(OrderFilled), 10, "the fill from the user stream")
                actor = ex.actor
                assert isinstance(actor, ExecutionActor)
                await apoll(
                    lambda: (
                        (o := actor.orders.get("slow-1")) is not None
                        and o.status is OrderStatus.FILLED
                    ),
                    10,
                    "the order filled",
                )
                await asyncio.sleep(1.0)  # past the late HTTP answer and a few query periods
                assert got(OrderRejected) == []
                assert actor.counters["queries"] >= 1 and actor.counters["illegal"] == 0
                assert got(OrderAccepted), "the query's answer settled it as at the venue"
                assert server.counts["POST /fapi/v1/order"] == 1  # queried, never sent again
                seen = OrderTable()
                seen.replay([placed, *got(Message)])
                filled = seen.get("slow-1")
                assert filled is not None and filled.status is OrderStatus.FILLED
                assert seen.counters["illegal"] == 0
        finally:
            await server.stop()

    asyncio.run(asyncio.wait_for(main(), 30))


def test_a_restart_asks_the_venue_and_resends_only_what_it_lacks(
    monkeypatch: pytest.MonkeyPatch, apoll: Poll
) -> None:
    """Two orders of the journal never got an answer: the venue has one (it is settled
    from the venue's answer, not sent again), not the other (sent again, same id)."""
    monkeypatch.setenv("TEST_BINANCE_KEY", KEY)
    monkeypatch.setenv("TEST_BINANCE_SECRET", SECRET)

    async def main() -> None:
        server = await server_for(BINANCE).start()
        assert isinstance(server, BinancePrivateServer)
        now = time.time_ns()
        has, lacks = binance_order("r-has", now), binance_order("r-lacks", now)
        server.add_order(
            {"symbol": "BTCUSDT", "newClientOrderId": "r-has", "price": "60000",
             "quantity": "0.01", "type": "LIMIT", "side": "BUY", "timeInForce": "GTC"}
        )  # fmt: skip
        try:
            async with binance_desk(server, recovery=[has, lacks]) as (_, ex, got):
                await apoll(lambda: len(got(OrderAccepted)) >= 2, 10, "both orders accepted")
                assert sorted(m.client_order_id for m in got(OrderAccepted)) == [  # type: ignore[attr-defined]
                    "r-has",
                    "r-lacks",
                ]
                assert server.counts["POST /fapi/v1/order"] == 1  # only the one it lacked
                assert server.last_params["newClientOrderId"] == "r-lacks"
                assert sorted(server.orders) == ["r-has", "r-lacks"]
                actor = ex.actor
                assert isinstance(actor, ExecutionActor) and actor.counters["resent"] == 1
                assert got(OrderRejected) == [] and actor.counters["illegal"] == 0
        finally:
            await server.stop()

    asyncio.run(asyncio.wait_for(main(), 30))
