"""Test wiring for the private clients: one case per venue (its local server, fixture pushes
and what each must become), a client configured against the server, and a collector that
runs `account_events()` in the background."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pyengine.messages import BalanceReport, OrderFilled, OrderUpdate, PositionReport
from pyengine.venues.private import Credentials, PrivateClientConfig, private_client
from pyengine.venues.private.client import PrivateClient
from pyengine.venues.private.common import AccountEvent
from tests.integration.servers.private_binance import BinancePrivateServer
from tests.integration.servers.private_bybit import BybitPrivateServer
from tests.integration.servers.private_common import PrivateServer, fixture
from tests.integration.servers.private_okx import OkxPrivateServer

KEY = "test-api-key"
SECRET = "s3cr3t-NEVER-LOG-7f3a9b"
PASSPHRASE = "pa55-NEVER-LOG-c1e2"

Check = Callable[[list[AccountEvent]], bool]


@dataclass(frozen=True)
class Push:
    topic: str
    fixture_dir: str
    name: str
    check: Check


@dataclass(frozen=True)
class Case:
    venue: str
    server_cls: type[PrivateServer]
    ws_path: str
    symbol: str
    """Engine symbol of the test orders."""
    pushes: tuple[Push, ...]
    login_refused_counter: str = "auth_refused"


def _has(kind: type[Any], **fields: object) -> Check:
    def check(events: list[AccountEvent]) -> bool:
        return any(
            isinstance(e, kind) and all(getattr(e, k) == v for k, v in fields.items())
            for e in events
        )

    return check


D = Decimal
CASES = (
    Case(
        "binance-usdm",
        BinancePrivateServer,
        "",
        "BTCUSDT",
        (
            Push(
                "user",
                "binance_usdm",
                "user_ORDER_TRADE_UPDATE_new_docs_example.json",
                _has(OrderUpdate, client_order_id="TEST", status="new", qty=D("0.001")),
            ),
            Push(
                "user",
                "binance_usdm",
                "user_TRADE_LITE_live.json",
                _has(OrderFilled, fill_id="4467432841", qty=D("0.037"), price=D("2631.90")),
            ),
            Push(
                "user",
                "binance_usdm",
                "user_ACCOUNT_UPDATE_docs_example.json",
                _has(BalanceReport, asset="USDT", wallet=D("122624.12345678")),
            ),
        ),
    ),
    Case(
        "bybit",
        BybitPrivateServer,
        "/v5/private",
        "linear:BTCUSDT",
        (
            Push(
                "order",
                "bybit",
                "ws_private_order_docs.json",
                _has(OrderUpdate, symbol="option:ETH-30DEC22-1400-C", status="filled"),
            ),
            Push(
                "execution",
                "bybit",
                "ws_private_execution_docs.json",
                _has(OrderFilled, qty=D("0.5"), price=D("95900.1"), fee=D("26.3725275")),
            ),
            Push(
                "position",
                "bybit",
                "ws_private_position_live_nautilus.json",
                _has(PositionReport, symbol="linear:ETHUSDT", qty=D("-0.01")),
            ),
            Push(
                "wallet",
                "bybit",
                "ws_private_wallet_live_nautilus.json",
                _has(BalanceReport, asset="USDT", wallet=D("9647.75537647")),
            ),
        ),
    ),
    Case(
        "okx",
        OkxPrivateServer,
        "/ws/v5/private",
        "BTC-USDT-SWAP",
        (
            Push(
                "orders",
                "okx",
                "ws_orders_nautilus.json",
                _has(OrderFilled, fill_id="1518905529", qty=D("0.03"), fee=D("0.021776769")),
            ),
            Push(
                "account",
                "okx",
                "ws_account_nautilus.json",
                _has(BalanceReport, asset="USDT", wallet=D("100.52768569797846")),
            ),
        ),
    ),
)
CASE_IDS = [c.venue for c in CASES]


def server_for(case: Case) -> PrivateServer:
    return case.server_cls(KEY, SECRET, PASSPHRASE)


def config_for(case: Case, server: PrivateServer, **over: Any) -> PrivateClientConfig:
    opts: dict[str, Any] = {
        "venue": case.venue,
        "ws_url": server.ws_url + case.ws_path,
        "rest_url": server.rest_url,
        "ping_interval_s": 0.2,
        "stale_after_s": 5.0,
        "open_timeout_s": 5.0,
        "backoff_initial_s": 0.05,
        "backoff_max_s": 0.2,
        "rest_timeout_s": 5.0,
    }
    opts.update(over)
    return PrivateClientConfig(**opts)


def client_for(
    case: Case, server: PrivateServer, secret: str = SECRET, **over: Any
) -> PrivateClient:
    return private_client(config_for(case, server, **over), Credentials(KEY, secret, PASSPHRASE))


class Collector:
    """Runs `client.account_events()` in a task; keeps the events and how it ended."""

    def __init__(self, client: PrivateClient) -> None:
        self.client = client
        self.events: list[AccountEvent] = []
        self.error: BaseException | None = None
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        try:
            async for ev in self.client.account_events():
                self.events.append(ev)
        except Exception as exc:
            self.error = exc

    async def stop(self) -> None:
        await self.client.close()
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


async def push(server: PrivateServer, p: Push) -> int:
    return await server.push(p.topic, fixture(p.fixture_dir, p.name))


@contextlib.asynccontextmanager
async def running(
    case: Case, **over: Any
) -> AsyncIterator[tuple[PrivateServer, PrivateClient, Collector]]:
    """The case's server, a client against it (config overrides `over`) and a collector on
    its stream; the collector (and with it the client) and the server stopped after."""
    server = await server_for(case).start()
    events = Collector(client_for(case, server, **over))
    try:
        yield server, events.client, events
    finally:
        await events.stop()
        await server.stop()
