"""Memory stays flat over a long replay, and a deep book stays small."""

from __future__ import annotations

import os
from pathlib import Path

from pyengine._core import Feed

DATA = Path(__file__).resolve().parents[1] / "data"
CAPTURE = DATA / "binance_usdm" / "l2_capture_btcusdt_perp_20240808_snapshot_plus_diffs.txt"
PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


def test_rss_flat_over_a_million_message_replay() -> None:
    msgs = [line.split(b" ", 1)[1] for line in CAPTURE.read_bytes().splitlines() if line]
    feed = Feed("binance-usdm")
    passes = 1_000_000 // len(msgs) + 1
    checkpoints: list[int] = []
    for i in range(passes):
        feed.on_reconnect()  # a new connection: books resync from the capture's snapshot
        feed.on_messages(msgs, 0, events=False)
        if i in (passes // 10, passes - 1):
            checkpoints.append(rss_bytes())
    stats = feed.stats()
    assert stats["messages"] >= 1_000_000
    assert stats["gaps"] == 0 and stats["rejected"] == 0
    assert feed.book("BTCUSDT").valid
    growth = checkpoints[1] - checkpoints[0]
    # From 10% to 100% of the replay: no growth beyond allocator noise.
    assert growth < 4 * 1024 * 1024, f"RSS grew {growth / 1e6:.1f} MB over the replay"


def deep_snapshot(levels: int) -> bytes:
    bids = ",".join(f'["{50_000 - i * 0.5:.1f}","1.250"]' for i in range(levels))
    asks = ",".join(f'["{50_001 + i * 0.5:.1f}","2.500"]' for i in range(levels))
    return f'{{"lastUpdateId":1,"bids":[{bids}],"asks":[{asks}]}}'.encode()


def test_five_thousand_level_book_stays_within_a_few_hundred_kb() -> None:
    body = deep_snapshot(5_000)
    feeds: list[Feed] = []
    before = rss_bytes()
    for _ in range(40):
        f = Feed("binance-usdm")
        f.on_rest_snapshot(body, "BTCUSDT")
        feeds.append(f)
    per_book = (rss_bytes() - before) / len(feeds)
    view = feeds[0].book("BTCUSDT", depth=1)
    assert (view.bid_levels, view.ask_levels) == (5_000, 5_000)
    assert per_book < 600 * 1024, f"{per_book / 1024:.0f} KiB per 5,000-level book"
