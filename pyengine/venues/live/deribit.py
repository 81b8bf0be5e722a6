"""Deribit JSON-RPC v2 public market data.

Channels: `book.<INST>.<interval>` (snapshot then changes chained by prev_change_id; the
`raw` interval needs an authorised connection on the live venue, `100ms` does not),
`trades.<INST>.<interval>`, `quote.<INST>` and `ticker.<INST>.<interval>` (mark, index,
funding). Keep-alive per the docs: `public/set_heartbeat` after connecting; the server then
sends `heartbeat` notifications and a `test_request` must be answered with `public/test`.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping

import orjson

from pyengine.venues.live.connection import WsSource


class DeribitSource(WsSource):
    """One connection for a list of instruments."""

    _ids = itertools.count(1)

    def _rpc(self, method: str, params: Mapping[str, object]) -> str:
        return orjson.dumps(
            {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params}
        ).decode()

    def book_channel(self, inst: str) -> str:
        return f"book.{inst}.{self.cfg.speed or '100ms'}"

    def subscribe_messages(self) -> list[str]:
        speed = self.cfg.speed or "100ms"
        channels: list[str] = []
        for inst in self.cfg.symbols:
            channels.append(self.book_channel(inst))
            if self.cfg.trades:
                channels.append(f"trades.{inst}.{speed}")
            if self.cfg.bbo:
                channels.append(f"quote.{inst}")
            if self.cfg.funding:
                channels.append(f"ticker.{inst}.{speed}")
        interval = max(10, int(self.cfg.ping_interval_s))
        return [
            self._rpc("public/set_heartbeat", {"interval": interval}),
            self._rpc("public/subscribe", {"channels": channels}),
        ]

    def resubscribe_messages(self, symbol: str) -> list[str]:
        ch = {"channels": [self.book_channel(symbol)]}
        return [self._rpc("public/unsubscribe", ch), self._rpc("public/subscribe", ch)]

    def control(self, raw: bytes) -> tuple[bool, str | None]:
        if b'"method":"heartbeat"' in raw or b'"method": "heartbeat"' in raw:
            if b"test_request" in raw:
                return True, self._rpc("public/test", {})
            return True, None
        # RPC results (subscribe acknowledgements, test replies) have "id" and "result".
        if b'"method"' not in raw[:64] and b'"result"' in raw:
            return True, None
        return False, None
