"""The execution actor configured for a live venue client (`client = "bybit"`, keys named by
environment variables) against the local Bybit server: answers, fills from the private
stream, cancels and venue refusals on the bus."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from decimal import Decimal

import pytest

from pyengine.actors.base import ActorContext
from pyengine.actors.execution import ExecutionActor
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
from tests.conftest import async_wait_until as until
from tests.integration.servers.private_harness import CASES, KEY, SECRET, push, server_for

CASE = next(c for c in CASES if c.venue == "bybit")


async def settle(a: ExecutionActor, cond: Callable[[list[Message]], bool]) -> list[Message]:
    """What the actor publishes until `cond` holds on it (10 s deadline)."""
    out: list[Message] = []
    deadline = time.monotonic() + 10
    while not cond(out):
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached; published {[type(m).__name__ for m in out]}")
        await asyncio.sleep(0.005)
        out += a.on_timer(0)
    return out


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


def test_execution_actor_on_a_live_client(monkeypatch: pytest.MonkeyPatch) -> None:
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
        ctx = ActorContext(name="exec", options={"venue": "bybit", "client": "bybit", "live": live})
        a = ExecutionActor(ctx)
        assert a.colocated_with() == ()
        try:
            a.on_start()
            await settle(a, lambda o: any(isinstance(m, BalanceReport) for m in o))
            a.handle(place("live-1", "0.5"))
            out = await settle(a, lambda o: any(isinstance(m, OrderAccepted) for m in o))
            assert server.orders["live-1"]["side"] == "Sell"
            a.handle(place("live-2", "500"))
            out = await settle(a, lambda o: any(isinstance(m, OrderRejected) for m in o))
            (refused,) = [m for m in out if isinstance(m, OrderRejected)]
            assert refused.reason.startswith("110007: ") and refused.stage == "venue"
            await until(lambda: server.subscribed("execution"), 5, "subscribed execution")
            await push(server, CASE.pushes[1])  # a real execution message
            out = await settle(a, lambda o: any(isinstance(m, OrderFilled) for m in o))
            (fill,) = [m for m in out if isinstance(m, OrderFilled)]
            assert fill.price == Decimal("95900.1") and fill.venue == "bybit"
            a.handle(CancelOrder(ts_event=1, ts_recv=1, client_order_id="live-1", venue="bybit"))
            out = await settle(a, lambda o: any(isinstance(m, OrderCanceled) for m in o))
            assert server.orders["live-1"]["orderStatus"] == "Cancelled"
        finally:
            a.close()
            await asyncio.sleep(0)  # let the client's close task start before the server goes
            await server.stop()

    asyncio.run(asyncio.wait_for(main(), 30))
