"""`Feed.on_messages_tops` reuses the text of a level its book's last top already had
(engine_core/src/python/feed_tops.rs): every top it answers must still be exactly what a
book query answers at that moment, over real captures, through a rescale, and when only
the decimals the venue wrote change."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyengine._core import Feed
from pyengine.recorded.source import RecordedConfig, load_frames

DATA = Path(__file__).resolve().parents[1] / "data"
CAPTURES = [
    ("binance-usdm", None, "binance_usdm/l2_capture_btcusdt_perp_20240808_snapshot_plus_diffs.txt"),
    ("binance-coinm", None,
     "binance_coinm/l2_capture_btcusd_perp_20240808_snapshot_plus_diffs.txt"),
    ("bybit", "linear", "bybit/l2_capture_v5_linear_btc_sol_spot_btc_20260809_cryptofeed.jsonl"),
    ("bitmex", None, "bitmex/l2_capture_orderBookL2_xbtusd_20210722_cryptofeed.jsonl"),
]  # fmt: skip


def book_top(feed: Feed, sym: str, depth: int) -> tuple[bool, int, list[object], list[object]]:
    v = feed.book(sym, depth)
    return v.valid, v.seq, list(v.bids), list(v.asks)


@pytest.mark.parametrize(("venue", "category", "path"), CAPTURES)
@pytest.mark.parametrize("depth", [1, 10])
def test_every_top_equals_a_book_query(
    venue: str, category: str | None, path: str, depth: int
) -> None:
    cfg = RecordedConfig(venue=venue, files=[str(DATA / path)], category=category)
    feed = Feed(venue, category=category)
    compared = 0
    for frame, _ in load_frames(cfg):
        if frame.kind == "rest":
            feed.on_rest_snapshot(frame.data, frame.symbol, 0)
            continue
        _events, tops, _rejected = feed.on_messages_tops([frame.data], [1], depth)
        for sym, valid, seq, _ts_event, bids, asks in tops:
            assert (valid, seq, bids, asks) == book_top(feed, sym, depth)
            compared += 1
    assert compared > 100


def snapshot(bids: str, asks: str) -> bytes:
    return f'{{"lastUpdateId":100,"E":1,"T":1,"bids":{bids},"asks":{asks}}}'.encode()


def diff(u: int, bids: str, asks: str = "[]") -> bytes:
    """Update `u`, chained to `u - 1` (the first one after the snapshot of 100 spans it,
    as Binance USD-M's bridge rule wants: U <= lastUpdateId <= u)."""
    return (
        '{"e":"depthUpdate","E":2,"T":2,"s":"BTCUSDT",'
        f'"U":{min(u, 100)},"u":{u},"pu":{u - 1},"b":{bids},"a":{asks}}}'
    ).encode()


def test_a_rescaled_book_writes_its_levels_again() -> None:
    feed = Feed("binance-usdm")
    feed.on_rest_snapshot(snapshot('[["10.5","1"],["10.4","2"]]', '[["11.0","1"]]'), "BTCUSDT")
    _, tops, _ = feed.on_messages_tops([diff(101, '[["10.3","1"]]')], [1], 5)
    assert tops[0][4] == [("10.5", "1"), ("10.4", "2"), ("10.3", "1")]
    # A finer price grows the book's price scale: every integer it holds is multiplied,
    # so a level whose integers happen to equal an old one's is another price.
    _, tops, _ = feed.on_messages_tops([diff(102, '[["10.45","3"]]')], [1], 5)
    assert tops[0][4] == [("10.5", "1"), ("10.45", "3"), ("10.4", "2"), ("10.3", "1")]
    assert tops[0][4] == book_top(feed, "BTCUSDT", 5)[2]
    assert tops[0][5] == [("11.0", "1")]


def test_after_a_rescale_equal_integers_are_another_price() -> None:
    feed = Feed("binance-usdm")
    feed.on_rest_snapshot(snapshot('[["1.0","1"]]', '[["2.0","1"]]'), "BTCUSDT")
    _, tops, _ = feed.on_messages_tops([diff(101, '[["0.9","1"]]')], [1], 5)
    assert tops[0][4] == [("1.0", "1"), ("0.9", "1")]
    # At scale 1, 1.0 is the integer 10 written with one decimal; at scale 2 so is 0.1.
    _, tops, _ = feed.on_messages_tops(
        [diff(102, '[["1.0","0"],["0.15","1"],["0.1","1"]]')], [1], 5
    )
    assert tops[0][4] == [("0.9", "1"), ("0.15", "1"), ("0.1", "1")]


def test_the_decimals_the_venue_wrote_are_kept() -> None:
    feed = Feed("binance-usdm")
    feed.on_rest_snapshot(snapshot('[["10.50","1"]]', '[["11.0","1.0"]]'), "BTCUSDT")
    _, tops, _ = feed.on_messages_tops([diff(101, '[["10.50","1.00"]]')], [1], 5)
    assert tops[0][4] == [("10.50", "1.00")]
    _, tops, _ = feed.on_messages_tops([diff(102, '[["10.5","1"]]')], [1], 5)
    assert tops[0][4] == [("10.5", "1")]
    assert tops[0][5] == [("11.0", "1.0")]
