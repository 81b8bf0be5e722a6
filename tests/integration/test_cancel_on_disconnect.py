"""The venues' dead man's switch against the local servers, which implement each venue's
documented rules (docs/venues.md#cancel-on-disconnect): armed, an open order survives while
the client re-arms; a client that stops (killed: closed without disarming) has its open
orders cancelled by the venue once the window ran out; a clean stop disarms (Binance, OKX)
and the order stays; Bybit cannot be disarmed, so closing the connection cancels there.

The servers' `time_scale` shrinks the venues' minimum windows (OKX 10 s, Bybit 3 s) to
fractions of a second; Binance takes any window in milliseconds and runs unscaled."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from pyengine.actors.execution import ExecutionActor
from pyengine.messages import BalanceReport, OrderAccepted
from pyengine.venues.private.client import PrivateClient
from pyengine.venues.private.deadman import Armed, CancelOnDisconnect
from pyengine.venues.private.errors import VenueAuthError, VenueRequestError
from pyengine.venues.private.okx_client import OkxClient
from tests.conftest import async_wait_until as until
from tests.integration.servers.private_bybit import BybitPrivateServer
from tests.integration.servers.private_common import PrivateServer
from tests.integration.servers.private_harness import (
    CASE_IDS,
    CASES,
    KEY,
    SECRET,
    Case,
    client_for,
    running,
    server_for,
)
from tests.integration.test_private_clients import aio, order
from tests.integration.test_private_execution import binance_desk, binance_order

# (window in venue seconds, server time scale): each case's window lasts about 0.5 s.
WINDOWS = {"binance-usdm": (0.5, 1.0), "bybit": (3.0, 0.15), "okx": (10.0, 0.05)}


def options(case: Case) -> dict[str, Any]:
    return {"cancel_on_disconnect_s": WINDOWS[case.venue][0]}


def real_window_s(case: Case) -> float:
    window, scale = WINDOWS[case.venue]
    return window * scale


def status(server: PrivateServer, coid: str) -> str:
    o = server.orders[coid]
    return str(o.get("status") or o.get("orderStatus") or o.get("state"))


OPEN = {"NEW", "New", "live"}


async def rest_an_order(case: Case, server: PrivateServer, client: PrivateClient) -> str:
    coid = f"cod-{case.venue}"
    assert isinstance(await client.place(order(case, coid)), OrderAccepted)
    assert status(server, coid) in OPEN
    return coid


async def armed(case: Case, server: PrivateServer, client: PrivateClient) -> Armed:
    if case.venue == "bybit":  # the connection is the heartbeat: it must be subscribed
        await until(lambda: server.subscribed("dcp.future"), 10, "subscribed dcp.future")
    done = await client.arm_cancel_on_disconnect([case.symbol])
    assert client.counters["cod_arms"] == 1
    return done


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
@aio
async def test_a_killed_client_has_its_orders_cancelled_by_the_venue(case: Case) -> None:
    async with running(case, **options(case)) as (server, client, events):
        server.time_scale = WINDOWS[case.venue][1]
        assert isinstance(client, CancelOnDisconnect)
        coid = await rest_an_order(case, server, client)
        done = await armed(case, server, client)
        assert done.scope == client.cancel_on_disconnect_scope
        # Re-armed twice within the window: the order outlives it.
        for _ in range(2):
            await asyncio.sleep(real_window_s(case) * 0.6)
            await client.arm_cancel_on_disconnect([case.symbol])
        assert status(server, coid) in OPEN and server.cancelled_by_timer == []
        # Killed: the connection and the heartbeats stop, nothing disarms.
        await events.stop()
        await until(lambda: server.cancelled_by_timer == [coid], 5, "the venue's cancel")
        assert status(server, coid) not in OPEN
        assert server.counts["countdown_fired"] == 1


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
@aio
async def test_a_clean_stop_disarms_where_the_venue_allows_it(case: Case) -> None:
    async with running(case, **options(case)) as (server, client, events):
        server.time_scale = WINDOWS[case.venue][1]
        coid = await rest_an_order(case, server, client)
        await armed(case, server, client)
        sent = await client.disarm_cancel_on_disconnect()
        await events.stop()
        await asyncio.sleep(real_window_s(case) * 2)
        if case.venue == "bybit":
            # No API switches DCP off: the closed connection is a disconnection.
            assert sent == 0 and client.counters["cod_disarms"] == 0
            assert server.cancelled_by_timer == [coid]
        else:
            assert sent == 1 and client.counters["cod_disarms"] == 1
            assert server.cancelled_by_timer == [] and status(server, coid) in OPEN


@aio
async def test_bybit_sets_its_window_once_and_a_reconnect_stops_the_clock() -> None:
    case = next(c for c in CASES if c.venue == "bybit")
    async with running(case, **options(case)) as (server, client, _):
        server.time_scale = WINDOWS[case.venue][1]
        coid = await rest_an_order(case, server, client)
        await armed(case, server, client)
        assert isinstance(server, BybitPrivateServer)
        assert server.dcp_windows == {"DERIVATIVES": 3}  # not the venue's default, options
        again = await client.arm_cancel_on_disconnect([case.symbol])
        assert again.requests == 0  # the window is set; the connection keeps it armed
        assert server.counts["POST /v5/order/disconnected-cancel-all"] == 1
        await server.drop()  # a network failure: the client reconnects within the window
        await until(lambda: server.counts["ws_connections"] >= 2, 10, "the reconnect")
        await until(lambda: server.subscribed("dcp.future"), 10, "subscribed again")
        await asyncio.sleep(real_window_s(case) * 2)
        assert server.cancelled_by_timer == [] and status(server, coid) in OPEN


@aio
async def test_binance_arms_one_countdown_per_symbol_and_disarms_each() -> None:
    case = next(c for c in CASES if c.venue == "binance-usdm")
    async with running(case, **options(case)) as (server, client, _):
        done = await client.arm_cancel_on_disconnect(["ETHUSDT", "BTCUSDT", "BTCUSDT"])
        assert done.symbols == ("BTCUSDT", "ETHUSDT") and done.requests == 2
        assert server.armed("countdown:BTCUSDT") and server.armed("countdown:ETHUSDT")
        assert await client.disarm_cancel_on_disconnect() == 2
        assert not server.armed("countdown:BTCUSDT") and not server.armed("countdown:ETHUSDT")
        assert await client.disarm_cancel_on_disconnect() == 0  # nothing armed any more
        # A later life's client stops what an earlier one armed, told the symbols.
        await client.arm_cancel_on_disconnect(["BTCUSDT"])
        later = client_for(case, server, **options(case))
        try:
            assert await later.disarm_cancel_on_disconnect(["BTCUSDT"]) == 1
        finally:
            await later.close()
        assert not server.armed("countdown:BTCUSDT")


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
@aio
async def test_a_refused_arming_is_a_typed_error_and_counted(case: Case) -> None:
    async with running(case, **options(case)) as (server, _, _events):
        bad = client_for(case, server, secret="wrong", **options(case))
        try:
            with pytest.raises(VenueAuthError):
                await bad.arm_cancel_on_disconnect([case.symbol])
            assert bad.counters["cod_failures"] == 1 and bad.counters["cod_arms"] == 0
        finally:
            await bad.close()


@aio
async def test_okx_refuses_a_window_outside_its_range() -> None:
    """The config refuses it first; a client that sent one anyway gets the venue's code."""
    case = next(c for c in CASES if c.venue == "okx")
    async with running(case, **options(case)) as (server, client, _):
        assert isinstance(client, OkxClient)
        with pytest.raises(VenueRequestError) as refused:
            await client._cancel_all_after(5)  # what the config check keeps from being sent
        assert refused.value.code == "51000"
        assert not server.armed("cancel-all-after")


BINANCE = next(c for c in CASES if c.venue == "binance-usdm")


def _engine_options(server: PrivateServer, window_s: float) -> dict[str, object]:
    live = {
        "venue": "binance-usdm",
        "ws_url": server.ws_url,
        "rest_url": server.rest_url,
        "api_key_env": "TEST_BINANCE_KEY",
        "api_secret_env": "TEST_BINANCE_SECRET",
        "backoff_initial_s": 0.05,
        "cancel_on_disconnect_s": window_s,
    }
    return {"live": live, "report_interval_s": 0.05}


@pytest.mark.parametrize("clean", [False, True], ids=["killed", "clean-stop"])
def test_the_execution_actor_arms_re_arms_and_only_a_clean_stop_disarms(
    clean: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the actor runner: the execution actor arms Binance's countdown with its first
    order and keeps re-arming it from its timer, so the resting order outlives the window
    several times over. Then the actor's life ends: killed (cancelled, no `on_stop`), the
    venue cancels the order once the window ran out; stopped cleanly (`drain`: `on_stop`,
    then the cleanups), the countdown is stopped and the order stays."""
    monkeypatch.setenv("TEST_BINANCE_KEY", KEY)
    monkeypatch.setenv("TEST_BINANCE_SECRET", SECRET)
    window = 0.6

    async def main() -> None:
        server = await server_for(BINANCE).start()
        try:
            opts = _engine_options(server, window)
            async with binance_desk(server, options=opts) as (desk, ex, got):
                await until(lambda: got(BalanceReport), 10, "a first balance report")
                desk.emit([binance_order("rest-1")])
                await until(lambda: got(OrderAccepted), 10, "the venue's acceptance")
                await until(lambda: server.armed("countdown:BTCUSDT"), 5, "armed")
                await asyncio.sleep(window * 3)
                assert server.orders["rest-1"]["status"] == "NEW"
                arms = server.counts["POST /fapi/v1/countdownCancelAll"]
                assert arms >= 5  # every window / 3
                actor = ex.actor
                assert isinstance(actor, ExecutionActor)
                assert actor.stats()["cod_armed"] == 1 and actor.counters["cod_failures"] == 0
                if clean:
                    ex.drain()
            await asyncio.sleep(window * 2)
            if clean:
                assert not server.armed("countdown:BTCUSDT")
                assert server.orders["rest-1"]["status"] == "NEW"
                assert server.cancelled_by_timer == []
            else:
                assert server.cancelled_by_timer == ["rest-1"]
                assert server.orders["rest-1"]["status"] == "CANCELED"
        finally:
            await server.stop()

    asyncio.run(asyncio.wait_for(main(), 30))
