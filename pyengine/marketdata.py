"""Public market-data API: the venue normaliser `Feed` and the events it returns.

A `Feed` is one venue connection: hand it raw message bytes (one or a batch per call)
and get normalised events back; ask it for book state, mid, depth near mid and the
VWAP/impact price of a size. Prices and sizes are exact decimal strings.

    feed = Feed("binance-usdm")
    feed.on_rest_snapshot(snapshot_body, "BTCUSDT")
    for event in feed.on_messages(frames):
        ...
    feed.sweep("BTCUSDT", "bid", "2.5").notional
"""

from __future__ import annotations

from pyengine._core import (
    VENUES,
    Bbo,
    BookFault,
    BookUpdate,
    BookView,
    Feed,
    MarkFunding,
    SweepResult,
    Trade,
)

#: Anything `Feed.on_message(s)` returns.
MarketEvent = BookUpdate | Trade | Bbo | MarkFunding | BookFault

__all__ = [
    "VENUES",
    "Bbo",
    "BookFault",
    "BookUpdate",
    "BookView",
    "Feed",
    "MarkFunding",
    "MarketEvent",
    "SweepResult",
    "Trade",
]
