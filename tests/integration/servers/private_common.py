"""What the local private-venue servers share: one aiohttp app on 127.0.0.1 serving the
venue's REST and private websocket, request counters, and pushes to subscribed sockets."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
from aiohttp import WSMsgType, web

DATA = Path(__file__).resolve().parents[2] / "data"


def fixture(venue_dir: str, name: str) -> bytes:
    """A real private payload from tests/data/<venue_dir>/private."""
    return (DATA / venue_dir / "private" / name).read_bytes()


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def json_response(body: Any, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(body), status=status, content_type="application/json")


def fixture_response(venue_dir: str, name: str) -> web.Response:
    """A real REST answer from tests/data/<venue_dir>/private, served as is."""
    return web.Response(body=fixture(venue_dir, name), content_type="application/json")


@dataclass
class Conn:
    """One private websocket connection as the server sees it."""

    ws: web.WebSocketResponse
    path: str
    authed: bool = False
    topics: set[str] = field(default_factory=set)


class PrivateServer:
    """Base: subclasses add routes (`routes`) and answer websocket text (`on_text`)."""

    auto_topics: frozenset[str] = frozenset()
    """Topics every connection gets without asking (Binance: the whole user stream)."""

    def __init__(self, api_key: str, secret: str, passphrase: str = "") -> None:
        self.api_key = api_key
        self.secret = secret
        self.passphrase = passphrase
        self.counts: Counter[str] = Counter()
        self.conns: list[Conn] = []
        self.orders: dict[str, dict[str, Any]] = {}
        """client order id -> the order in the venue's REST format."""
        self.last_params: dict[str, Any] = {}
        """Parameters of the last order request (what the client sent)."""
        self.max_qty = Decimal(100)
        """Larger orders are refused for lack of margin (the business reject of the tests)."""
        self._next_id = 1000
        self.time_scale = 1.0
        """Real seconds one venue second of a cancel-on-disconnect timer lasts (tests shrink
        the venues' minimum windows with it; 1.0: as the venue)."""
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self.cancelled_by_timer: list[str] = []
        """Client order ids the venue's dead man's switch cancelled, in order."""
        self._runner: web.AppRunner | None = None
        self.rest_url = ""
        self.ws_url = ""

    def next_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    async def on_text(self, conn: Conn, text: str) -> None:
        raise NotImplementedError

    async def start(self) -> PrivateServer:
        app = web.Application()
        self.routes(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.rest_url = f"http://127.0.0.1:{port}"
        self.ws_url = f"ws://127.0.0.1:{port}"
        return self

    def countdown(self, key: str, seconds: float, cancel: Callable[[], list[str]]) -> None:
        """(Re)start the dead man's switch `key`: `cancel()` runs when `seconds` (venue
        seconds, scaled) pass before the next call; 0 stops it."""
        old = self._timers.pop(key, None)
        if old is not None:
            old.cancel()
        if seconds > 0:
            loop = asyncio.get_running_loop()
            delay = seconds * self.time_scale
            self._timers[key] = loop.call_later(delay, self._fire, key, cancel)

    def armed(self, key: str) -> bool:
        return key in self._timers

    def _fire(self, key: str, cancel: Callable[[], list[str]]) -> None:
        self._timers.pop(key, None)
        self.counts["countdown_fired"] += 1
        self.cancelled_by_timer.extend(cancel())

    async def stop(self) -> None:
        for t in self._timers.values():
            t.cancel()
        self._timers.clear()
        for c in list(self.conns):
            with contextlib.suppress(Exception):
                await c.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def serve_ws(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        conn = Conn(ws, request.path, bool(self.auto_topics), set(self.auto_topics))
        self.conns.append(conn)
        self.counts["ws_connections"] += 1
        try:
            async for m in ws:
                if m.type == WSMsgType.TEXT:
                    await self.on_text(conn, m.data)
        finally:
            self.conns.remove(conn)
            self.on_closed(conn)
        return ws

    def on_closed(self, conn: Conn) -> None:
        """A private connection ended (Bybit: perhaps the last one DCP watches)."""

    def subscribed(self, topic: str) -> list[Conn]:
        return [c for c in self.conns if c.authed and topic in c.topics]

    async def push(self, topic: str, raw: bytes) -> int:
        """Send `raw` to every connection subscribed to `topic`; how many got it."""
        conns = self.subscribed(topic)
        for c in conns:
            await c.ws.send_str(raw.decode())
        self.counts["pushed"] += len(conns)
        return len(conns)

    async def drop(self) -> None:
        """Close every private connection, as a network failure would."""
        for c in list(self.conns):
            await c.ws.close(code=1011, message=b"dropped")
