"""A venue on localhost: a websocket server (and, for Binance, the REST depth endpoint) that
replays a real capture to a live client exactly as the venue would.

- Frames go out in capture order, as fast as the client reads; the replay position is kept
  across connections, as a venue's stream goes on while a client is away.
- In-stream snapshot venues (Bybit, OKX, Deribit, BitMEX): a subscribe request for a book
  the stream has already passed gets that book afresh, as the venue sends a new snapshot:
  its latest recorded snapshot followed by every recorded delta since, then the stream
  continues. A client that resubscribes or reconnects therefore resyncs on real data.
- Binance: the first depth request of a symbol returns the recorded snapshot; later ones a
  snapshot of the server's own book at the current position (lastUpdateId = the last diff
  sent), and a new connection resends the last diff so the client can bridge to it.
- OKX: the REST book endpoint answers 404 (a capture holds no REST snapshot); the client
  syncs on the recorded websocket snapshots.
- Faults on demand: drop the connection after N frames, skip frames (gap), replace frames
  (bad checksum), inject junk or an oversize frame before a given frame.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from pyengine.recorded.server_rules import book_key, control_reply, subscribed_keys
from pyengine.recorded.source import RecordedConfig, load_frames


@dataclass
class Faults:
    """What to break, by stream index (0-based over the frames the server streams)."""

    drop_after: int | None = None
    """Close the first connection once this many frames were sent on it."""
    skip: set[int] = field(default_factory=set)
    replace: dict[int, bytes] = field(default_factory=dict)
    inject: dict[int, list[bytes]] = field(default_factory=dict)
    """Extra frames sent before the frame at this index."""


class _BinanceBook:
    """The server's full book of one symbol, to serve snapshots at the current position."""

    def __init__(self) -> None:
        self.last = -1
        self.bids: dict[Decimal, tuple[str, str]] = {}
        self.asks: dict[Decimal, tuple[str, str]] = {}
        self.event_ms = 0
        self.pending: list[dict[str, Any]] = []

    def load(self, snap: dict[str, Any]) -> None:
        self.last = int(snap["lastUpdateId"])
        self.bids = {Decimal(p): (p, s) for p, s in snap["bids"]}
        self.asks = {Decimal(p): (p, s) for p, s in snap["asks"]}
        pending, self.pending = self.pending, []
        for d in pending:  # diffs streamed before the snapshot was taken
            self.apply(d)

    def apply(self, d: dict[str, Any]) -> None:
        if self.last < 0:
            self.pending.append(d)
            return
        if int(d["u"]) < self.last:
            return
        for side, rows in ((self.bids, d["b"]), (self.asks, d["a"])):
            for p, s in rows:
                if Decimal(s) == 0:
                    side.pop(Decimal(p), None)
                else:
                    side[Decimal(p)] = (p, s)
        self.last = int(d["u"])
        self.event_ms = int(d.get("E", 0))

    def snapshot(self) -> bytes:
        return orjson.dumps(
            {
                "lastUpdateId": self.last,
                "E": self.event_ms,
                "T": self.event_ms,
                "bids": [list(self.bids[k]) for k in sorted(self.bids, reverse=True)],
                "asks": [list(self.asks[k]) for k in sorted(self.asks)],
            }
        )


class ReplayServer:
    """Serves one capture of one venue (one Bybit category) on a local address."""

    def __init__(
        self,
        venue: str,
        files: Iterable[Path],
        *,
        category: str | None = None,
        faults: Faults | None = None,
        yield_every: int = 16,
    ) -> None:
        self.venue = venue
        self.binance = venue.startswith("binance")
        self.faults = faults or Faults()
        self.yield_every = yield_every
        frames = load_frames(
            RecordedConfig(venue=venue, files=[str(f) for f in files], category=category)
        )
        # (data, rest symbol or None): REST entries are not streamed; they are the recorded
        # snapshots the server's own Binance book starts from.
        self.records: list[tuple[bytes, str | None]] = [
            (f.data, f.symbol if f.kind == "rest" else None) for f, _ in frames
        ]
        self.recorded_rest: dict[str, bytes] = {}
        for data, sym in self.records:
            if sym is not None:
                self.recorded_rest.setdefault(sym, data)
        self.keys = [None if self.binance else book_key(venue, d) for d, _ in self.records]
        self.pos = 0
        self.books: dict[str, _BinanceBook] = {}
        self.last_sent: bytes | None = None
        self.rest_served: dict[str, int] = {}
        self.counts: dict[str, int] = {
            "connections": 0,
            "sent": 0,
            "ping": 0,
            "test_reply": 0,
            "set_heartbeat": 0,
            "subscribes": 0,
            "resnapshots": 0,
            "rest": 0,
        }
        self.finished = asyncio.Event()
        self._ws: Server | None = None
        self._http: web.AppRunner | None = None
        self.ws_url = ""
        self.rest_url = ""
        self._dropped = False

    @property
    def stream_len(self) -> int:
        return sum(1 for _, s in self.records if s is None)

    async def start(
        self, host: str = "127.0.0.1", port: int = 0, rest_port: int = 0
    ) -> ReplayServer:
        """Listen (port 0: any free port); `ws_url` and `rest_url` say where."""
        self._ws = await serve(self._handler, host, port, max_size=None, compression=None)
        port = next(iter(self._ws.sockets)).getsockname()[1]
        self.ws_url = f"ws://{host}:{port}"
        if self.binance or self.venue == "okx":
            app = web.Application()
            app.router.add_get("/fapi/v1/depth", self._depth)
            app.router.add_get("/dapi/v1/depth", self._depth)
            app.router.add_get("/api/v5/market/books", self._no_snapshot)
            self._http = web.AppRunner(app, access_log=None)
            await self._http.setup()
            site = web.TCPSite(self._http, host, rest_port)
            await site.start()
            hport = self._http.addresses[0][1]
            self.rest_url = f"http://{host}:{hport}"
        return self

    async def stop(self) -> None:
        if self._ws is not None:
            self._ws.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._ws.wait_closed(), 2)
        if self._http is not None:
            await self._http.cleanup()

    async def _no_snapshot(self, request: web.Request) -> web.Response:
        self.counts["rest"] += 1
        return web.Response(status=404, text="no REST snapshot in this capture")

    async def _depth(self, request: web.Request) -> web.Response:
        self.counts["rest"] += 1
        sym = request.query.get("symbol", "")
        n = self.rest_served.get(sym, 0)
        self.rest_served[sym] = n + 1
        book = self.books.get(sym)
        if n == 0 or book is None or book.last < 0:
            body = self.recorded_rest.get(sym)
            if body is None:
                return web.Response(status=400, text='{"code":-1121,"msg":"Invalid symbol."}')
            return web.Response(body=body, content_type="application/json")
        return web.Response(body=book.snapshot(), content_type="application/json")

    def _advance_binance(self, data: bytes, rest_symbol: str | None) -> None:
        if rest_symbol is not None:
            self.books.setdefault(rest_symbol, _BinanceBook()).load(orjson.loads(data))
            return
        obj = orjson.loads(data)
        d = obj.get("data", obj) if isinstance(obj, dict) else None
        if isinstance(d, dict) and d.get("e") == "depthUpdate":
            book = self.books.setdefault(d["s"], _BinanceBook())
            book.apply(d)

    def _resnapshot(self, keys: list[str]) -> list[bytes]:
        """Each book's latest snapshot and its deltas up to the current position."""
        out: list[bytes] = []
        for key in keys:
            start = None
            for i in range(self.pos - 1, -1, -1):
                k = self.keys[i]
                if k is not None and k[0] == key and k[1]:
                    start = i
                    break
            if start is None:
                continue
            self.counts["resnapshots"] += 1
            out.extend(
                self.records[i][0]
                for i in range(start, self.pos)
                if self.keys[i] is not None and self.keys[i][0] == key  # type: ignore[index]
            )
        return out

    async def _handler(self, ws: ServerConnection) -> None:
        self.counts["connections"] += 1
        first = self.counts["connections"] == 1
        outbox: asyncio.Queue[bytes] = asyncio.Queue()
        subscribed = asyncio.Event()
        if self.binance:
            subscribed.set()  # streams are named in the URL
            if not first and self.last_sent is not None:
                outbox.put_nowait(self.last_sent)

        async def reader() -> None:
            async for raw in ws:
                data = raw if isinstance(raw, bytes) else raw.encode()
                kind, reply = control_reply(self.venue, data)
                if kind is not None:
                    self.counts[kind] += 1
                if reply is not None:
                    await ws.send(reply)
                    if kind == "set_heartbeat":
                        await ws.send(
                            '{"jsonrpc":"2.0","method":"heartbeat","params":{"type":"test_request"}}'
                        )
                is_sub, keys = subscribed_keys(self.venue, data)
                if is_sub:
                    self.counts["subscribes"] += 1
                    for frame in self._resnapshot(keys):
                        outbox.put_nowait(frame)
                    subscribed.set()

        read_task = asyncio.get_running_loop().create_task(reader())
        try:
            await asyncio.wait_for(subscribed.wait(), 10)
            sent_here = 0
            while True:
                while not outbox.empty():
                    await ws.send(outbox.get_nowait())
                if self.pos >= len(self.records):
                    self.finished.set()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(ws.wait_closed(), 0.01)
                    if ws.close_code is not None:
                        return
                    continue
                i = self.pos
                data, rest_symbol = self.records[i]
                self.pos += 1
                if self.binance:
                    self._advance_binance(data, rest_symbol)
                if rest_symbol is not None:
                    continue
                for junk in self.faults.inject.get(i, []):
                    await ws.send(junk)
                if i in self.faults.skip:
                    continue
                out = self.faults.replace.get(i, data)
                await ws.send(out)
                self.last_sent = data
                self.counts["sent"] += 1
                sent_here += 1
                if (
                    not self._dropped
                    and self.faults.drop_after is not None
                    and sent_here >= self.faults.drop_after
                ):
                    self._dropped = True
                    ws.transport.abort()  # as abrupt as a network failure
                    return
                if sent_here % self.yield_every == 0:
                    await asyncio.sleep(0)
        except (ConnectionClosed, TimeoutError):
            pass
        finally:
            read_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
                await read_task
