"""BitMEX realtime market data (`<ws>` is the `/realtime` endpoint).

Tables: `orderBookL2:<SYM>` (`partial`, then insert/update/delete by id), `trade`, `quote`
(best bid/offer), `instrument` (mark, index, funding). No sequence numbers: a new partial
comes from unsubscribing and subscribing again. Keep-alive per the docs: send the text
`ping` when no message arrived for a while; the server answers `pong`.
"""

from __future__ import annotations

import orjson

from pyengine.venues.live.connection import WsSource


class BitmexSource(WsSource):
    """One connection for a list of symbols."""

    def book_table(self) -> str:
        return {25: "orderBookL2_25", 10: "orderBook10"}.get(self.cfg.depth, "orderBookL2")

    def subscribe_messages(self) -> list[str]:
        args: list[str] = []
        for sym in self.cfg.symbols:
            args.append(f"{self.book_table()}:{sym}")
            if self.cfg.trades:
                args.append(f"trade:{sym}")
            if self.cfg.bbo:
                args.append(f"quote:{sym}")
            if self.cfg.funding:
                args.append(f"instrument:{sym}")
        return [orjson.dumps({"op": "subscribe", "args": args}).decode()]

    def resubscribe_messages(self, symbol: str) -> list[str]:
        arg = [f"{self.book_table()}:{symbol}"]
        return [
            orjson.dumps({"op": "unsubscribe", "args": arg}).decode(),
            orjson.dumps({"op": "subscribe", "args": arg}).decode(),
        ]

    def ping_message(self) -> str:
        return "ping"

    def control(self, raw: bytes) -> tuple[bool, str | None]:
        if raw == b"pong":
            return True, None
        head = raw[:40]
        return head.startswith((b'{"success"', b'{"info"', b'{"subscribe"')), None
