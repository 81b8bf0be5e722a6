"""OKX v5 public market data (`<ws>` is the `/ws/v5/public` endpoint).

Channels per instrument: `books` (400 levels, snapshot then updates with CRC32 checksum),
`trades`, `bbo-tbt` and, for swaps, `mark-price` and `funding-rate`. Keep-alive: the docs
say to send the text `ping` when nothing arrived for under 30 s and expect `pong`.
Resync: unsubscribe and subscribe `books`, which sends a new snapshot.
"""

from __future__ import annotations

import orjson

from pyengine.venues.live.connection import WsSource


class OkxSource(WsSource):
    """One public connection for a list of instruments."""

    def book_channel(self) -> str:
        return {0: "books", 5: "books5", 1: "bbo-tbt"}.get(self.cfg.depth, "books")

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
