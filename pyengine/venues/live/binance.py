"""Binance USD-M and COIN-M futures market data.

Streams (combined-stream URL `<ws>/stream?streams=a/b/c`): `<sym>@depth@<speed>` diffs,
`@aggTrade`, `@bookTicker`, `@markPrice@1s` (mark, index, funding). Books sync from a REST
depth snapshot (`GET /fapi/v1/depth` or `/dapi/v1/depth`) fetched after the stream is open,
as the venue's "how to manage a local order book" procedure says; the normaliser buffers
diffs meanwhile and applies the venue's U/u/pu rule. The server sends websocket pings
(every 3 minutes for futures); the library answers them.
"""

from __future__ import annotations

from pyengine.venues.live.connection import WsSource

_DEPTH_PATH = {"binance-usdm": "/fapi/v1/depth", "binance-coinm": "/dapi/v1/depth"}


class BinanceSource(WsSource):
    """One combined-stream connection for a list of symbols."""

    def streams(self) -> list[str]:
        speed = self.cfg.speed or "100ms"
        out: list[str] = []
        for sym in self.cfg.symbols:
            s = sym.lower()
            out.append(f"{s}@depth@{speed}")
            if self.cfg.trades:
                out.append(f"{s}@aggTrade")
            if self.cfg.bbo:
                out.append(f"{s}@bookTicker")
            if self.cfg.funding:
                out.append(f"{s}@markPrice@1s")
        return out

    def url(self) -> str:
        return f"{self.ws_base}/stream?streams={'/'.join(self.streams())}"

    async def on_connected(self) -> None:
        for sym in self.cfg.symbols:
            self.spawn(self._snapshot(sym))

    async def resync(self, symbol: str) -> None:
        """Fetch a new REST snapshot in the background (delivered as a "rest" frame)."""
        self.counters["resyncs"] += 1
        self.spawn(self._snapshot(symbol))

    async def _snapshot(self, symbol: str) -> None:
        path = _DEPTH_PATH.get(self.venue, "/fapi/v1/depth")
        params = {"symbol": symbol, "limit": str(self.cfg.snapshot_limit)}
        await self.fetch_snapshot(symbol, path, params)
