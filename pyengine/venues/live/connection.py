"""The reconnecting websocket loop every live market-data source shares.

One background task owns the socket: connect, subscribe, read, keep alive, and on any
failure wait (exponential backoff with jitter) and connect again. Frames go to a bounded
queue the feed actor drains; when it is full the reader waits, so TCP pushes back on the
venue instead of this process growing without bound. Losing a connection yields a
`Frame(kind="reconnected")` at once, so the books are invalid for the whole outage.

Venue modules subclass `WsSource` and fill in the hooks: URL, subscribe and resubscribe
messages, application ping, control replies (pong, heartbeat test requests) and, for
Binance, the REST snapshot.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import AsyncIterator, Callable
from typing import ClassVar

import aiohttp
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from pyengine.venues.base import Frame
from pyengine.venues.live.config import LiveFeedConfig

log = logging.getLogger("pyengine.venues.live")


class Backoff:
    """Exponential backoff with jitter: initial x 2^n capped at `maximum`, each wait drawn
    from [d x (1 - jitter), d] so that many clients do not reconnect in step."""

    def __init__(
        self,
        initial: float,
        maximum: float,
        jitter: float = 0.5,
        rng: Callable[[], float] = random.random,
    ) -> None:
        if initial <= 0 or maximum < initial or not 0 <= jitter <= 1:
            raise ValueError("need 0 < initial <= maximum and 0 <= jitter <= 1")
        self.initial = initial
        self.maximum = maximum
        self.jitter = jitter
        self.rng = rng
        self.attempt = 0

    def next(self) -> float:
        """The next wait in seconds."""
        d: float = min(self.maximum, self.initial * 2.0 ** min(self.attempt, 30))
        self.attempt += 1
        return d * (1.0 - self.jitter * self.rng())

    def reset(self) -> None:
        self.attempt = 0


class WsSource:
    """A reconnecting websocket market-data source (implements `MarketDataSource`)."""

    venue_name: ClassVar[str] = ""

    def __init__(self, cfg: LiveFeedConfig, *, clock: Callable[[], int] = time.time_ns) -> None:
        if not cfg.symbols:
            raise ValueError(f"{cfg.venue}: at least one symbol is needed")
        self.cfg = cfg
        self.clock = clock
        self.ws_base, self.rest_base = cfg.urls()
        self.backoff = Backoff(cfg.backoff_initial_s, cfg.backoff_max_s, cfg.backoff_jitter)
        self.counters: dict[str, int] = dict.fromkeys(
            (
                "connects",
                "disconnects",
                "connect_failures",
                "frames",
                "bytes",
                "oversize",
                "control",
                "pings",
                "rest_ok",
                "rest_failed",
                "resyncs",
            ),
            0,
        )
        self._queue: asyncio.Queue[Frame | None] = asyncio.Queue(cfg.queue_size)
        self._task: asyncio.Task[None] | None = None
        self._ws: ClientConnection | None = None
        self._closed = False
        self._connected_once = False
        self._last_rx = 0.0
        self._tasks: set[asyncio.Task[None]] = set()
        self._http: aiohttp.ClientSession | None = None
        self.connected = asyncio.Event()

    @property
    def venue(self) -> str:
        return self.cfg.venue

    @property
    def category(self) -> str | None:
        return self.cfg.category

    def url(self) -> str:
        """The websocket URL to connect to."""
        return self.ws_base

    def subscribe_messages(self) -> list[str]:
        """Messages sent after every connect."""
        return []

    def resubscribe_messages(self, symbol: str) -> list[str]:
        """Messages that make the venue send `symbol`'s book snapshot again."""
        return []

    def ping_message(self) -> str | None:
        """The venue's application-level ping (None: websocket pings only)."""
        return None

    def control(self, raw: bytes) -> tuple[bool, str | None]:
        """(is a control message to keep from the normaliser, reply to send)."""
        return False, None

    async def on_connected(self) -> None:
        """Runs after subscribing on each new connection (Binance: REST snapshots)."""

    def frames(self) -> AsyncIterator[Frame]:
        self._start()
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Frame]:
        while True:
            frame = await self._queue.get()
            if frame is None:
                self._queue.put_nowait(None)
                return
            yield frame

    def drain_ready(self, limit: int) -> list[Frame]:
        """Frames already queued, up to `limit`, without waiting (the actor's batching)."""
        out: list[Frame] = []
        q = self._queue
        while len(out) < limit and not q.empty():
            frame = q.get_nowait()
            if frame is None:
                q.put_nowait(None)
                break
            out.append(frame)
        return out

    async def resync(self, symbol: str) -> None:
        """Resubscribe `symbol`'s book on the live connection (in-stream snapshot venues)."""
        self.counters["resyncs"] += 1
        ws = self._ws
        if ws is None:
            return  # the next connection subscribes afresh
        try:
            for msg in self.resubscribe_messages(symbol):
                await ws.send(msg)
        except ConnectionClosed:
            pass

    async def close(self) -> None:
        self._closed = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for t in list(self._tasks):
            t.cancel()
        if self._http is not None:
            await self._http.close()
        with contextlib.suppress(asyncio.QueueFull):
            self._queue.put_nowait(None)

    def stats(self) -> dict[str, int]:
        return dict(self.counters)

    def _start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name=f"ws.{self.venue}"
            )

    def spawn(self, coro: object) -> None:
        """Run a helper coroutine owned by this source (cancelled on close)."""
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coro)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def put(self, frame: Frame) -> None:
        await self._queue.put(frame)

    async def _run(self) -> None:
        while not self._closed:
            url = self.url()
            try:
                async with connect(
                    url,
                    max_size=self.cfg.max_size,
                    open_timeout=self.cfg.open_timeout_s,
                    ping_interval=self.cfg.ping_interval_s,
                    ping_timeout=self.cfg.ping_interval_s,
                    close_timeout=1.0,
                    compression=None,
                ) as ws:
                    await self._session(ws)
            except asyncio.CancelledError:
                raise
            except ConnectionClosed as exc:
                codes = {f.code for f in (exc.rcvd, exc.sent) if f is not None}
                if 1009 in codes:
                    self.counters["oversize"] += 1
                log.warning("%s: connection closed: %s", self.venue, exc)
            except (OSError, InvalidHandshake, InvalidURI, TimeoutError) as exc:
                self.counters["connect_failures"] += 1
                log.warning("%s: cannot connect to %s: %s", self.venue, url, exc)
            self.connected.clear()
            if self._ws is not None:
                self._ws = None
                self.counters["disconnects"] += 1
                await self.put(Frame(b"", self.clock(), "reconnected"))
            if self._closed:
                break
            await asyncio.sleep(self.backoff.next())

    async def _session(self, ws: ClientConnection) -> None:
        self._ws = ws
        self.counters["connects"] += 1
        self._last_rx = time.monotonic()
        for msg in self.subscribe_messages():
            await ws.send(msg)
        self.connected.set()
        await self.on_connected()
        keepalive = asyncio.get_running_loop().create_task(self._keepalive(ws))
        clock = self.clock
        counters = self.counters
        control = self.control
        put = self._queue.put
        reset = True
        try:
            while True:
                raw = await ws.recv(decode=False)
                self._last_rx = time.monotonic()
                if reset:
                    self.backoff.reset()
                    reset = False
                data = raw if isinstance(raw, bytes) else raw.encode()
                is_control, reply = control(data)
                if reply is not None:
                    await ws.send(reply)
                if is_control:
                    counters["control"] += 1
                    continue
                counters["frames"] += 1
                counters["bytes"] += len(data)
                await put(Frame(data, clock()))
        finally:
            keepalive.cancel()

    async def _keepalive(self, ws: ClientConnection) -> None:
        """Application pings, and a watchdog that drops a silent connection."""
        period = self.cfg.ping_interval_s
        ping = self.ping_message()
        while True:
            await asyncio.sleep(min(period, self.cfg.stale_after_s / 2))
            if time.monotonic() - self._last_rx > self.cfg.stale_after_s:
                log.warning(
                    "%s: no data for %.0fs, reconnecting", self.venue, self.cfg.stale_after_s
                )
                await ws.close(1001, "stale")
                return
            if ping is not None:
                self.counters["pings"] += 1
                with contextlib.suppress(ConnectionClosed):
                    await ws.send(ping)

    async def fetch_snapshot(self, symbol: str, path: str, params: dict[str, str]) -> None:
        """GET a REST book snapshot and deliver it as a "rest" frame, with retries and
        backoff; a snapshot that keeps failing leaves the book unsynced (the feed actor
        asks again)."""
        url = f"{self.rest_base}{path}"
        for attempt in range(max(1, self.cfg.rest_retries)):
            try:
                session = await self.http()
                async with session.get(url, params=params) as resp:
                    body = await resp.read()
                    if resp.status == 200:
                        self.counters["rest_ok"] += 1
                        await self.put(Frame(body, self.clock(), "rest", symbol))
                        return
                    log.warning("%s: snapshot %s: HTTP %d", self.venue, symbol, resp.status)
            except (aiohttp.ClientError, TimeoutError) as exc:
                log.warning("%s: snapshot %s failed: %s", self.venue, symbol, exc)
            self.counters["rest_failed"] += 1
            await asyncio.sleep(self.cfg.backoff_initial_s * 2**attempt)

    async def http(self) -> aiohttp.ClientSession:
        """The source's REST session (created on first use)."""
        if self._http is None:
            self._http = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.cfg.rest_timeout_s)
            )
        return self._http
