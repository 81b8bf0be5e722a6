"""A local OKX public endpoint after OKX's book changes (docs/venue-feeds.md#okx): `books`
pushes updates only (no initial snapshot), every `checksum` is 0, updates are chained by
`seqId`/`prevSeqId`, and `GET /api/v5/market/books?source=0` answers the server's book at
its current `seqId`. The updates are generated from a seed; the server's book is the
oracle a client's book is compared with.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import Counter
from decimal import Decimal

import orjson
from aiohttp import WSMsgType, web

INST = "BTC-USDT-SWAP"


class OkxBooksServer:
    """Streams `n_updates` book updates for `INST` to each subscriber, one every `pace_s`."""

    def __init__(
        self,
        n_updates: int = 300,
        *,
        seed: int = 7,
        pace_s: float = 0.002,
        stale_first: bool = False,
        rest_delay_s: float = 0.05,
    ) -> None:
        self.rng = random.Random(seed)
        self.n_updates = n_updates
        self.pace_s = pace_s
        self.stale_first = stale_first
        """Answer the first REST request with a book older than the stream (the client
        must fetch again)."""
        self.rest_delay_s = rest_delay_s
        """Answer REST this late, so the client buffers updates meanwhile."""
        self.bids: dict[Decimal, str] = {Decimal(100 - i): "1" for i in range(1, 30)}
        self.asks: dict[Decimal, str] = {Decimal(100 + i): "1" for i in range(1, 30)}
        self.seq = 1000
        self.history: list[tuple[int, dict[Decimal, str], dict[Decimal, str]]] = []
        self.counts: Counter[str] = Counter()
        self.finished = asyncio.Event()
        self.rest_url = ""
        self.ws_url = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> OkxBooksServer:
        app = web.Application()
        app.router.add_get("/ws/v5/public", self._ws)
        app.router.add_get("/api/v5/market/books", self._books)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.rest_url = f"http://127.0.0.1:{port}"
        self.ws_url = f"ws://127.0.0.1:{port}/ws/v5/public"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def _levels(self, side: dict[Decimal, str], best_first_desc: bool) -> list[list[str]]:
        keys = sorted(side, reverse=best_first_desc)
        return [[str(p), side[p], "0", "1"] for p in keys]

    def book(self) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """(bids, asks) best first, as the client's BookView shows them."""
        b = [(x[0], x[1]) for x in self._levels(self.bids, True)]
        a = [(x[0], x[1]) for x in self._levels(self.asks, False)]
        return b, a

    def _next_update(self) -> bytes:
        """Change a few levels (never crossing) and advance seqId by a random step."""
        changes: dict[str, list[list[str]]] = {"bids": [], "asks": []}
        for _ in range(self.rng.randint(1, 3)):
            bid = self.rng.random() < 0.5
            side, key = (self.bids, "bids") if bid else (self.asks, "asks")
            px = (
                Decimal(100 - self.rng.randint(1, 35))
                if bid
                else Decimal(100 + self.rng.randint(1, 35))
            )
            sz = "0" if (px in side and self.rng.random() < 0.3) else str(self.rng.randint(1, 9))
            if sz == "0":
                side.pop(px, None)
            else:
                side[px] = sz
            changes[key].append([str(px), sz, "0", "1"])
        prev = self.seq
        self.seq += self.rng.randint(1, 20)
        self.history.append((self.seq, dict(self.bids), dict(self.asks)))
        return orjson.dumps(
            {
                "arg": {"channel": "books", "instId": INST},
                "action": "update",
                "data": [
                    {
                        "asks": changes["asks"],
                        "bids": changes["bids"],
                        "ts": "1700000000000",
                        "checksum": 0,
                        "prevSeqId": prev,
                        "seqId": self.seq,
                    }
                ],
            }
        )

    async def _books(self, request: web.Request) -> web.Response:
        self.counts["rest"] += 1
        if request.query.get("instId") != INST or request.query.get("source") != "0":
            return web.json_response({"code": "51000", "msg": "bad request", "data": []})
        self.counts[f"sz={request.query.get('sz')}"] += 1
        await asyncio.sleep(self.rest_delay_s)
        seq, bids, asks = self.seq, self.bids, self.asks
        if self.stale_first and self.counts["rest"] == 1:
            seq, bids, asks = 1, self.bids, self.asks  # older than every update
        body = {
            "code": "0",
            "msg": "",
            "data": [
                {
                    "asks": self._levels(asks, False),
                    "bids": self._levels(bids, True),
                    "ts": "1700000000000",
                    "seqId": seq,
                }
            ],
        }
        return web.Response(body=orjson.dumps(body), content_type="application/json")

    async def _ws(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.counts["connections"] += 1
        pusher: asyncio.Task[None] | None = None
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                if msg.data == "ping":
                    await ws.send_str("pong")
                    continue
                req = orjson.loads(msg.data)
                await ws.send_bytes(orjson.dumps({"event": req.get("op"), "arg": req["args"][0]}))
                if req.get("op") == "subscribe":
                    self.counts["subscribes"] += 1
                    if pusher is None:
                        pusher = asyncio.get_running_loop().create_task(self._push(ws))
        finally:
            if pusher is not None:
                pusher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await pusher
        return ws

    async def _push(self, ws: web.WebSocketResponse) -> None:
        for _ in range(self.n_updates):
            await ws.send_bytes(self._next_update())
            self.counts["sent"] += 1
            await asyncio.sleep(self.pace_s)
        self.finished.set()
