"""`pyengine replay`: run a recorded capture through the real venue normalisers.

Operators use it to verify captures and debug feeds: it prints one JSON object with the
integrity counters and, per book, the best bid/ask, level counts and validity. Each
connection of the capture gets the feed a live connection would get (Bybit: one per
category, taken from the connection URL), REST depth snapshots go to the feed that
syncs from them, and consecutive stream messages cross into Rust in batches.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import orjson

from pyengine._core import VENUES, Feed
from pyengine.recorded.captures import CaptureRecord, RecordKind, read_capture
from pyengine.recorded.input import capture_path, problem

#: Counters reported by the replay, in output order.
REPORTED_COUNTERS = (
    "messages",
    "book_updates",
    "checksum_ok",
    "checksum_failed",
    "gaps",
    "resyncs",
    "crossed",
    "rejected",
)

_BYBIT_CATEGORIES = ("linear", "inverse", "spot", "option")
_BATCH = 512


def bybit_category(url: str | None) -> str:
    """The Bybit v5 category of a public stream URL (``.../v5/public/spot`` -> spot)."""
    if url:
        last = urlparse(url).path.rstrip("/").rsplit("/", 1)[-1]
        if last in _BYBIT_CATEGORIES:
            return last
    return "linear"


class Replayer:
    """Feeds for one venue, keyed like the live connections would be."""

    def __init__(self, venue: str) -> None:
        if venue not in VENUES:
            raise ValueError(f"unknown venue {venue!r}; expected one of {', '.join(VENUES)}")
        self.venue = venue
        self.feeds: dict[str, Feed] = {}

    def feed_for(self, rec: CaptureRecord) -> tuple[str, Feed]:
        """The feed (and its book-key prefix) that a record belongs to."""
        key = bybit_category(rec.url) if self.venue == "bybit" else ""
        feed = self.feeds.get(key)
        if feed is None:
            feed = Feed(self.venue, category=key) if key else Feed(self.venue)
            self.feeds[key] = feed
        return key, feed

    def run(self, records: Iterable[CaptureRecord]) -> None:
        """Replay records in order, batching consecutive stream messages per feed."""
        batch: list[bytes] = []
        stamps: list[int] = []
        current: Feed | None = None

        def flush() -> None:
            if current is not None and batch:
                current.on_messages(batch, stamps, events=False)
            batch.clear()
            stamps.clear()

        for rec in records:
            _, feed = self.feed_for(rec)
            if rec.kind is RecordKind.REST:
                flush()
                if self.venue.startswith("binance"):
                    feed.on_rest_snapshot(rec.data, rec.url_symbol, rec.ts_recv)
                continue
            if feed is not current or len(batch) >= _BATCH:
                flush()
                current = feed
            batch.append(rec.data)
            stamps.append(rec.ts_recv)
        flush()

    def counters(self) -> dict[str, int]:
        """Reported counters summed over the feeds."""
        total = dict.fromkeys(REPORTED_COUNTERS, 0)
        for feed in self.feeds.values():
            stats = feed.stats()
            for k in REPORTED_COUNTERS:
                total[k] += stats[k]
        return total

    def books(self) -> dict[str, dict[str, Any]]:
        """Final state of every book, keyed by native symbol (Bybit: category:symbol)."""
        out: dict[str, dict[str, Any]] = {}
        for prefix, feed in sorted(self.feeds.items()):
            for sym in feed.symbols():
                view = feed.book(sym, depth=1)
                key = f"{prefix}:{sym}" if prefix else sym
                out[key] = {
                    "best_bid": view.bids[0][0] if view.bids else None,
                    "best_ask": view.asks[0][0] if view.asks else None,
                    "bid_levels": view.bid_levels,
                    "ask_levels": view.ask_levels,
                    "valid": view.valid,
                }
        return out


def replay_file(venue: str, path: Path, repeat: int = 1) -> dict[str, Any]:
    """Replay a capture `repeat` times (books reset between passes); return the report."""
    return replay_records(venue, list(read_capture(path)), repeat)


def replay_records(venue: str, records: Sequence[CaptureRecord], repeat: int = 1) -> dict[str, Any]:
    """Replay records `repeat` times (books reset between passes); return the report."""
    totals = dict.fromkeys(REPORTED_COUNTERS, 0)
    books: dict[str, dict[str, Any]] = {}
    for _ in range(max(1, repeat)):
        r = Replayer(venue)
        r.run(records)
        for k, v in r.counters().items():
            totals[k] += v
        books = r.books()
    return {"venue": venue, **totals, "books": books}


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `pyengine replay`."""
    p = sub.add_parser("replay", help="replay a recorded capture through the normalisers")
    p.add_argument("--venue", required=True, choices=list(VENUES))
    p.add_argument("--repeat", type=int, default=1, help="replay N times (benchmarking)")
    p.add_argument("file", type=Path, help="capture file, gzip or plain; - for stdin; a FIFO")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """Entry point of `pyengine replay`; prints exactly one JSON object on stdout."""
    path: Path = args.file
    if args.repeat < 1:
        print("pyengine replay: --repeat must be at least 1", file=sys.stderr)
        return 2
    try:
        with capture_path(path) as readable:
            records = list(read_capture(readable))
    except OSError as e:
        print(f"pyengine replay: cannot read {path}: {e.strerror or e}", file=sys.stderr)
        return 2
    report = replay_records(args.venue, records, args.repeat)
    sys.stdout.write(orjson.dumps(report).decode() + "\n")
    why = problem(args.venue, report, records, replay_records)
    if why:
        print(f"pyengine replay: {path}: {why}", file=sys.stderr)
        return 1
    return 0
