"""Bybit v5 public market data: one connection per category (`<ws>/<category>`).

Topics: `orderbook.<depth>.<SYM>` (snapshot then deltas; a new snapshot after
resubscribing), `publicTrade.<SYM>`, `orderbook.1.<SYM>` as best bid/offer and
`tickers.<SYM>` (mark, index, funding) for derivatives. Keep-alive: the docs ask for
`{"op":"ping"}` every 20 s; the server answers `{"op":"pong"}` (spot: `"ret_msg":"pong"`).
A subscribe request carries at most 10 args (spot limit), so requests are chunked.
"""

from __future__ import annotations

import orjson

from pyengine.venues.live.connection import WsSource

_MAX_ARGS = 10


def _ops(op: str, args: list[str]) -> list[str]:
    return [
        orjson.dumps({"op": op, "args": args[i : i + _MAX_ARGS]}).decode()
        for i in range(0, len(args), _MAX_ARGS)
    ]


class BybitSource(WsSource):
    """One category's public connection."""

    def url(self) -> str:
        return f"{self.ws_base}/{self.cfg.category or 'linear'}"

    def book_topic(self, sym: str) -> str:
        return f"orderbook.{self.cfg.depth or 50}.{sym}"

    def subscribe_messages(self) -> list[str]:
        args: list[str] = []
        for sym in self.cfg.symbols:
            args.append(self.book_topic(sym))
            if self.cfg.trades:
                args.append(f"publicTrade.{sym}")
            if self.cfg.bbo and (self.cfg.depth or 50) != 1:
                args.append(f"orderbook.1.{sym}")
            if self.cfg.funding and self.cfg.category != "spot":
                args.append(f"tickers.{sym}")
        return _ops("subscribe", args)

    def resubscribe_messages(self, symbol: str) -> list[str]:
        topic = [self.book_topic(symbol)]
        return _ops("unsubscribe", topic) + _ops("subscribe", topic)

    def ping_message(self) -> str:
        return '{"op":"ping"}'

    def control(self, raw: bytes) -> tuple[bool, str | None]:
        # Acknowledgements and pongs carry "op"/"success"; data messages carry "topic".
        if raw.startswith((b'{"success"', b'{"op"')) or b'"op":"pong"' in raw[:80]:
            return True, None
        return False, None
