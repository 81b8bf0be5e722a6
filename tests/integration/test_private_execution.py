"""The execution actor configured for a live venue client (`client = "bybit"`, keys named by
environment variables) against the local Bybit server: answers, fills from the private
stream, cancels and venue refusals on the bus."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
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
    PlaceOrder,
    SubmitOrder,
)
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
