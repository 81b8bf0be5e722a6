"""Configuration of one live market-data connection: every URL, symbol and timer is a value.

The same struct serves the venues, their testnets, a proxy and the local replay servers of
the tests: only `ws_url` / `rest_url` change.
"""

from __future__ import annotations

import msgspec

#: Production endpoints per venue (documented public market-data addresses).
DEFAULT_URLS: dict[str, tuple[str, str]] = {
    "binance-usdm": ("wss://fstream.binance.com", "https://fapi.binance.com"),
    "binance-coinm": ("wss://dstream.binance.com", "https://dapi.binance.com"),
    "bybit": ("wss://stream.bybit.com/v5/public", "https://api.bybit.com"),
    "okx": ("wss://ws.okx.com:8443/ws/v5/public", "https://www.okx.com"),
    "deribit": ("wss://www.deribit.com/ws/api/v2", "https://www.deribit.com"),
    "bitmex": ("wss://ws.bitmex.com/realtime", "https://www.bitmex.com"),
}


class LiveFeedConfig(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """One venue connection: `[actors.options.live]` of a feed actor with `source = "live"`."""

    venue: str
    symbols: list[str]
    ws_url: str = ""
    """Base websocket URL; empty: the venue's production address (`DEFAULT_URLS`)."""
    rest_url: str = ""
    """Base REST URL (Binance depth snapshots); empty: production."""
    category: str | None = None
    """Bybit v5 category of this connection: linear, inverse, spot or option."""
    depth: int = 0
    """Book depth channel where the venue offers several (0: the venue default below)."""
    speed: str = ""
    """Update speed where the venue offers several (Binance "100ms", Deribit "100ms"/"raw")."""
    trades: bool = True
    bbo: bool = True
    funding: bool = True
    snapshot_limit: int = 1000
    """Binance REST depth snapshot `limit`."""
    ping_interval_s: float = 20.0
    """Application ping period (OKX/Bybit/BitMEX/Deribit heartbeat) and websocket ping period."""
    stale_after_s: float = 60.0
    """No message for this long: the connection is dead; reconnect."""
    open_timeout_s: float = 10.0
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 30.0
    backoff_jitter: float = 0.5
    """Each wait is drawn uniformly from [d * (1 - jitter), d]."""
    max_size: int = 4 * 1024 * 1024
    """Largest accepted websocket message; a larger one closes the connection (counted)."""
    queue_size: int = 65536
    """Frames buffered for the feed actor; when full, reading waits (TCP backpressure)."""
    rest_timeout_s: float = 10.0
    rest_retries: int = 3

    def urls(self) -> tuple[str, str]:
        """(ws_url, rest_url) with the production defaults filled in."""
        ws, rest = DEFAULT_URLS.get(self.venue, ("", ""))
        return (self.ws_url or ws).rstrip("/"), (self.rest_url or rest).rstrip("/")
