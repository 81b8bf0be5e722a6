"""OKX v5 public market data (`<ws>` is the `/ws/v5/public` endpoint).

Channels per instrument: `books` (400 levels, updates chained by seqId/prevSeqId),
`trades`, `bbo-tbt` and, for swaps, `mark-price` and `funding-rate`. Keep-alive: the docs
say to send the text `ping` when nothing arrived for under 30 s and expect `pong`.

Books (docs/venue-feeds.md#okx): OKX is delisting the initial websocket snapshot of
`books`; its procedure is to buffer the stream and fetch `GET /api/v5/market/books?
instId=...&source=0` (a snapshot with `seqId`) to bridge it. This source always fetches
that snapshot right after subscribing, and again on every resync, rather than waiting to
see whether a websocket snapshot comes: waiting would delay every book by the wait after
OKX's change, the REST call is one request per instrument per connection, and while OKX
still sends a websocket snapshot the normaliser syncs on whichever comes first and
ignores the other. A REST snapshot older than the buffered stream faults the book, and
the feed actor's resync fetches another. Resync also resubscribes `books`, which brings a
websocket snapshot while OKX still sends one.
"""

from __future__ import annotations

import orjson

from pyengine.venues.live.connection import WsSource

#: The REST order-book endpoint; `source=0` asks for the snapshot with `seqId`.
BOOKS_PATH = "/api/v5/market/books"
#: Levels per side of the REST snapshot: all of `books` (400, OKX's maximum).
REST_DEPTH = 400


class OkxSource(WsSource):
    """One public connection for a list of instruments."""

    def book_channel(self) -> str:
        return {0: "books", 5: "books5", 1: "bbo-tbt"}.get(self.cfg.depth, "books")

    def incremental(self) -> bool:
        """Whether the book channel is snapshot-then-updates (needs a snapshot to sync)."""
        return self.book_channel() == "books"

    def subscribe_messages(self) -> list[str]:
        args: list[dict[str, str]] = []
        for inst in self.cfg.symbols:
            args.append({"channel": self.book_channel(), "instId": inst})
            if self.cfg.trades:
                args.append({"channel": "trades", "instId": inst})
            if self.cfg.bbo:
                args.append({"channel": "bbo-tbt", "instId": inst})
            if self.cfg.funding and inst.endswith("-SWAP"):
                args.append({"channel": "mark-price", "instId": inst})
                args.append({"channel": "funding-rate", "instId": inst})
        return [orjson.dumps({"op": "subscribe", "args": args}).decode()]

    def resubscribe_messages(self, symbol: str) -> list[str]:
        arg = [{"channel": self.book_channel(), "instId": symbol}]
        return [
            orjson.dumps({"op": "unsubscribe", "args": arg}).decode(),
            orjson.dumps({"op": "subscribe", "args": arg}).decode(),
        ]

    def ping_message(self) -> str:
        return "ping"

    def control(self, raw: bytes) -> tuple[bool, str | None]:
        return raw == b"pong" or raw.startswith(b'{"event"'), None

    async def on_connected(self) -> None:
        if self.incremental():
            for inst in self.cfg.symbols:
                self.spawn(self._snapshot(inst))

    async def resync(self, symbol: str) -> None:
        await super().resync(symbol)
        if self.incremental():
            self.spawn(self._snapshot(symbol))

    async def _snapshot(self, inst: str) -> None:
        params = {"instId": inst, "sz": str(REST_DEPTH), "source": "0"}
        await self.fetch_snapshot(inst, BOOKS_PATH, params)
