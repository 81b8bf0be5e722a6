"""The authenticated venue clients against local servers that check each venue's documented
signing, login and subscription (no internet): the real private payloads pushed by the
server come out as normalised events; order entry round trips; venue refusals are
`OrderRejected` with the venue's code; a wrong secret is a typed auth error; a reconnect
re-syncs open orders, positions and balances over REST."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Coroutine
from decimal import Decimal
from typing import Any

import pytest

from pyengine.messages import (
    BalanceReport,
    OrderAccepted,
    OrderCanceled,
    OrderRejected,
    OrderUpdate,
    PositionReport,
    SubmitOrder,
)
from pyengine.venues.base import ExecutionClient
from pyengine.venues.private.errors import VenueAuthError
from tests.conftest import async_wait_until as until
from tests.integration.servers.private_binance import BinancePrivateServer
from tests.integration.servers.private_harness import (
    CASE_IDS,
    CASES,
    PASSPHRASE,
    SECRET,
    Case,
    Collector,
    client_for,
    push,
    running,
    server_for,
)


def aio(fn: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async test on a fresh event loop with an overall deadline."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        asyncio.run(asyncio.wait_for(fn(*args, **kwargs), 30))

    return wrapper


def order(case: Case, coid: str, qty: str = "0.01", **over: Any) -> SubmitOrder:
    fields: dict[str, Any] = {
        "ts_event": 1,
        "ts_recv": 1,
        "client_order_id": coid,
        "venue": case.venue,
        "symbol": case.symbol,
        "side": "buy",
        "qty": Decimal(qty),
        "price": Decimal("50000.5"),
        "order_type": "limit",
        "tif": "gtc",
    }
    fields.update(over)
    return SubmitOrder(**fields)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
@aio
async def test_stream_login_subscribe_and_real_payloads(case: Case) -> None:
    async with running(case) as (server, client, events):
        assert isinstance(client, ExecutionClient)
        # The REST re-sync of the first connection arrives before any push.
        await until(lambda: any(isinstance(e, BalanceReport) for e in events.events), 10, "sync")
        assert any(isinstance(e, PositionReport) for e in events.events)
        for p in case.pushes:
            await until(functools.partial(server.subscribed, p.topic), 5, f"subscribed {p.topic}")
            assert await push(server, p) == 1
            await until(functools.partial(p.check, events.events), 5, f"{p.name} normalised")
        if case.venue != "binance-usdm":  # application pings (Binance: websocket pings only)
            await until(lambda: server.counts["pings"] >= 1, 5, "a ping")
            assert server.counts["auth_ok"] == 1 and server.counts["subscribes"] == 1
        assert events.error is None and client.counters["bad_events"] == 0


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
@aio
async def test_order_entry_round_trips(case: Case) -> None:
    server = await server_for(case).start()
    client = client_for(case, server)
    try:
        first = await client.place(order(case, "po-1", order_type="post_only"))
        assert isinstance(first, OrderAccepted) and first.venue_order_id
        sent = server.last_params
        assert sent.get("timeInForce", sent.get("ordType")) in ("GTX", "PostOnly", "post_only")
        # Idempotent on the client order id: a resend answers with the same order.
        again = await client.place(order(case, "po-1", order_type="post_only"))
        assert isinstance(again, OrderAccepted)
        assert again.venue_order_id == first.venue_order_id
        (open_order,) = await client.open_orders()
        assert open_order.client_order_id == "po-1" and open_order.price == Decimal("50000.5")
        amended = await client.amend("po-1", case.symbol, price=Decimal("49999.25"))
        assert isinstance(amended, OrderAccepted)
        (open_order,) = await client.open_orders()
        assert open_order.price == Decimal("49999.25") and open_order.qty == Decimal("0.01")
        canceled = await client.cancel("po-1", case.symbol)
        assert isinstance(canceled, OrderCanceled) and canceled.client_order_id == "po-1"
        assert await client.open_orders() == []
        twice = await client.cancel("po-1", case.symbol)
        assert isinstance(twice, OrderRejected) and ":" in twice.reason
        # A market IOC reduce-only order, with exact decimals on the wire.
        ioc = await client.place(
            order(case, "mkt-1", qty="0.00000001", price=None, order_type="market", tif="ioc")
        )
        assert isinstance(ioc, OrderAccepted)
        sent = server.last_params
        assert "0.00000001" in (sent.get("quantity"), sent.get("qty"), sent.get("sz"))
        # A business reject: the venue's code and message, no exception.
        refused = await client.place(order(case, "big-1", qty="1000"))
        assert isinstance(refused, OrderRejected) and refused.stage == "venue"
        code = {"binance-usdm": "-2019", "bybit": "110007", "okx": "51008"}[case.venue]
        assert refused.reason.startswith(f"{code}: ") and len(refused.reason) > len(code) + 4
        assert refused.codes == [code]
        bad_amend = await client.amend("nope", case.symbol, qty=Decimal(1))
        assert isinstance(bad_amend, OrderRejected)
    finally:
        await client.close()
        await server.stop()


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
@aio
async def test_a_wrong_secret_is_a_typed_auth_error(
    case: Case, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server = await server_for(case).start()
    client = client_for(case, server, secret="WRONG-secret-NEVER-LOG-0000")
    try:
        with pytest.raises(VenueAuthError) as refused:
            await client.place(order(case, "x-1"))
        with pytest.raises(VenueAuthError):
            await client.positions()
        events = Collector(client)
        await until(events.task.done, 10, "the stream ends")
        assert isinstance(events.error, VenueAuthError), events.error
        assert server.counts["auth_refused"] >= 2
        assert server.orders == {}
        texts = [caplog.text, repr(client), repr(client.credentials), str(refused.value)]
        texts.append(str(events.error))
        for secret in ("WRONG-secret-NEVER-LOG-0000", SECRET, PASSPHRASE):
            assert all(secret not in t for t in texts)
    finally:
        await client.close()
        await server.stop()


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
@aio
async def test_secrets_never_reach_the_logs(case: Case, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with running(case) as (server, client, events):
        await client.place(order(case, "log-1"))
        await client.place(order(case, "log-2", qty="1000"))
        await until(lambda: any(isinstance(e, BalanceReport) for e in events.events), 10, "sync")
        await server.drop()
        await until(lambda: server.counts["ws_connections"] >= 2, 10, "reconnect")
        assert f"{case.venue}: POST" in caplog.text or f"{case.venue}: GET" in caplog.text
        for text in (caplog.text, repr(client), repr(client.credentials), repr(client.cfg)):
            assert SECRET not in text and PASSPHRASE not in text


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
@aio
async def test_reconnect_resyncs_over_rest(case: Case) -> None:
    async with running(case) as (server, client, events):
        await until(lambda: any(isinstance(e, BalanceReport) for e in events.events), 10, "sync")
        assert not any(isinstance(e, OrderUpdate) for e in events.events)
        await client.place(order(case, "while-away"))
        await server.drop()
        # The order placed while the stream was down comes back from the REST re-sync.
        await until(
            lambda: any(
                isinstance(e, OrderUpdate) and e.client_order_id == "while-away"
                for e in events.events
            ),
            10,
            "re-synced open order",
        )
        assert server.counts["ws_connections"] == 2
        assert sum(isinstance(e, BalanceReport) for e in events.events) >= 2
        assert client.stream.counters["resync_ok"] == 2
        p = case.pushes[0]
        await until(lambda: server.subscribed(p.topic), 5, "resubscribed")
        assert await push(server, p) == 1
        await until(lambda: p.check(events.events), 5, "stream after reconnect")
        assert events.error is None


@aio
async def test_binance_listen_key_keepalive_and_expiry() -> None:
    case = CASES[0]
    async with running(case, listen_key_keepalive_s=0.05) as (server, client, events):
        assert isinstance(server, BinancePrivateServer)
        await until(lambda: client.stream.counters["resync_ok"] == 1, 10, "first sync")
        first = server.listen_key
        await until(lambda: server.counts["PUT listenKey"] >= 2, 5, "listen key keep-alives")
        # The venue ends the key: listenKeyExpired, then it closes the stream.
        await server.expire_listen_key()
        await until(lambda: len(server.stream_keys) == 2, 10, "reconnect with a new key")
        assert server.stream_keys == [first, server.listen_key] and first != server.listen_key
        await until(lambda: client.stream.counters["resync_ok"] == 2, 10, "re-sync")
        p = case.pushes[1]
        assert await push(server, p) == 1
        await until(lambda: p.check(events.events), 5, "events on the new key's stream")
        # A key that lapsed while the client was away: the POST after the drop gets a new one.
        server.expired.add(server.listen_key)
        await server.drop()
        await until(lambda: len(server.stream_keys) == 3, 10, "reconnect after a lapsed key")
        assert len(set(server.stream_keys)) == 3
        assert events.error is None
    assert server.counts["DELETE listenKey"] == 1  # closing releases the key


@aio
async def test_binance_refused_stream_handshake_gets_a_new_listen_key() -> None:
    case = CASES[0]
    async with running(case) as (server, client, events):
        assert isinstance(server, BinancePrivateServer)
        await until(lambda: client.stream.counters["resync_ok"] == 1, 10, "first sync")
        # The key lapses while away and the POST after the drop fails: the client connects
        # with the lapsed key, is refused at the handshake, and asks for a new key.
        server.fail_posts = 1
        server.expired.add(server.listen_key)
        await server.drop()
        await until(lambda: len(server.stream_keys) == 2, 10, "reconnect after a refusal")
        assert server.counts["stream_refused"] >= 1 and len(set(server.stream_keys)) == 2
        await until(lambda: client.stream.counters["resync_ok"] == 2, 10, "re-sync")
        assert events.error is None
