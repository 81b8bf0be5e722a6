"""Live websocket market-data clients, one module per venue, sharing one reconnect loop."""

from __future__ import annotations

from collections.abc import Callable

from pyengine.venues.live.binance import BinanceSource
from pyengine.venues.live.bitmex import BitmexSource
from pyengine.venues.live.bybit import BybitSource
from pyengine.venues.live.config import DEFAULT_URLS, LiveFeedConfig
from pyengine.venues.live.connection import Backoff, WsSource
from pyengine.venues.live.deribit import DeribitSource
from pyengine.venues.live.okx import OkxSource

SOURCES: dict[str, type[WsSource]] = {
    "binance-usdm": BinanceSource,
    "binance-coinm": BinanceSource,
    "bybit": BybitSource,
    "okx": OkxSource,
    "deribit": DeribitSource,
    "bitmex": BitmexSource,
}


def live_source(cfg: LiveFeedConfig, *, clock: Callable[[], int] | None = None) -> WsSource:
    """The live client of `cfg.venue`."""
    cls = SOURCES.get(cfg.venue)
    if cls is None:
        raise ValueError(f"no live client for venue {cfg.venue!r} (known: {', '.join(SOURCES)})")
    if cfg.venue == "bybit" and cfg.category not in ("linear", "inverse", "spot", "option"):
        raise ValueError("bybit: category must be linear, inverse, spot or option")
    return cls(cfg) if clock is None else cls(cfg, clock=clock)


__all__ = [
    "DEFAULT_URLS",
    "SOURCES",
    "Backoff",
    "BinanceSource",
    "BitmexSource",
    "BybitSource",
    "DeribitSource",
    "LiveFeedConfig",
    "OkxSource",
    "WsSource",
    "live_source",
]
