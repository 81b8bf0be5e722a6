"""End to end: every real capture through `pyengine replay`'s machinery, compared with an
independent naive model, then damaged copies that the venue rules must catch."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from pyengine.recorded.captures import read_capture
from pyengine.recorded.replay import REPORTED_COUNTERS, Replayer, replay_file
from tests.integration.naive.common import Books, norm

DATA = Path(__file__).resolve().parents[1] / "data"

# (venue, capture, naive model module)
CAPTURES = [
    (
        "binance-usdm",
        "binance_usdm/l2_capture_btcusdt_perp_20240808_snapshot_plus_diffs.txt",
        "binance",
    ),
    (
        "binance-usdm",
        "binance_usdm/l2_capture_sushiusdt_akrousdt_20210722_cryptofeed.jsonl",
        "binance",
    ),
    (
        "binance-usdm",
        "binance_usdm/capture_btcusdt_perp_20240808_all_streams_prefix.txt",
        "binance",
    ),
    (
        "binance-coinm",
        "binance_coinm/l2_capture_btcusd_perp_20240808_snapshot_plus_diffs.txt",
        "binance",
    ),
    ("binance-coinm", "binance_coinm/l2_capture_6_symbols_20210721_cryptofeed.jsonl", "binance"),
    ("bybit", "bybit/l2_capture_v5_linear_btc_sol_spot_btc_20260809_cryptofeed.jsonl", "bybit"),
    ("bybit", "bybit/l1_capture_v5_orderbook1_linear_spot_20250613_cryptofeed.jsonl", "bybit"),
    (
        "okx",
        "okx/l2_capture_v5_books_btcusd220527_uniusdswap_btcusdt_20220513_cryptofeed.jsonl",
        "okx",
    ),
    ("deribit", "deribit/capture_options_book_raw_ticker_20210722_cryptofeed.jsonl", "deribit"),
    ("bitmex", "bitmex/l2_capture_orderBookL2_xbtusd_20210722_cryptofeed.jsonl", "bitmex"),
]

IDS = [c[1].split("/")[-1][:40] for c in CAPTURES]


def naive_model(module: str) -> Callable[[Path], Books]:
    mod = importlib.import_module(f"tests.integration.naive.{module}")
    fn: Callable[[Path], Books] = mod.naive_books
    return fn


def engine_books(r: Replayer) -> Books:
    out: Books = {}
    for prefix, feed in r.feeds.items():
        for sym in feed.symbols():
            view = feed.book(sym, depth=1_000_000)
            if not view.bid_levels and not view.ask_levels:
                continue
            key = f"{prefix}:{sym}" if prefix else sym
            out[key] = (
                [(norm(p), norm(s)) for p, s in view.bids],
                [(norm(p), norm(s)) for p, s in view.asks],
            )
    return out


def replayed(venue: str, path: Path) -> Replayer:
    r = Replayer(venue)
    r.run(read_capture(path))
    return r


@pytest.mark.parametrize(("venue", "rel", "model"), CAPTURES, ids=IDS)
def test_capture_replays_clean_and_matches_naive_model(venue: str, rel: str, model: str) -> None:
    path = DATA / rel
    r = replayed(venue, path)
    c = r.counters()
    assert c["gaps"] == 0, c
    assert c["rejected"] == 0, (c, [f.last_error() for f in r.feeds.values()])
    assert c["checksum_failed"] == 0, c
    assert c["resyncs"] == 0, c
    assert c["book_updates"] > 0, c
    if venue == "okx":
        assert c["checksum_ok"] > 0, c
    books = r.books()
    assert books and all(b["valid"] for b in books.values()), books
    assert engine_books(r) == naive_model(model)(path)


def test_okx_every_book_message_is_checksummed() -> None:
    path = DATA / CAPTURES[7][1]
    book_msgs = sum(
        1
        for rec in read_capture(path)
        if b'"checksum"' in rec.data and b'"arg":{"channel":"books"' in rec.data
    )
    assert book_msgs > 0
    assert replayed("okx", path).counters()["checksum_ok"] == book_msgs


def test_cli_prints_exactly_one_json_object_with_the_contract_keys() -> None:
    venue, rel, _ = CAPTURES[0]
    proc = subprocess.run(
        [sys.executable, "-m", "pyengine.cli", "replay", "--venue", venue, str(DATA / rel)],
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(proc.stdout)
    assert proc.stdout.count("\n") == 1
    assert list(report) == ["venue", *REPORTED_COUNTERS, "books"]
    book = report["books"]["BTCUSDT"]
    assert list(book) == ["best_bid", "best_ask", "bid_levels", "ask_levels", "valid"]
    assert Decimal(book["best_bid"]) < Decimal(book["best_ask"])


def test_repeat_resets_books_and_sums_counters() -> None:
    venue, rel, _ = CAPTURES[3]
    once = replay_file(venue, DATA / rel)
    thrice = replay_file(venue, DATA / rel, repeat=3)
    assert thrice["messages"] == 3 * once["messages"]
    assert thrice["book_updates"] == 3 * once["book_updates"]
    assert thrice["gaps"] == 0
    assert thrice["books"] == once["books"]


def test_cli_survives_garbage_and_missing_files(tmp_path: Path) -> None:
    junk = tmp_path / "junk.txt"
    junk.write_bytes(b'\x00\xff not json\n{}\n[1,2]\n{"e":"depthUpdate"}\n123 {bad\n')
    for venue in ("binance-usdm", "bybit", "okx", "deribit", "bitmex"):
        proc = subprocess.run(
            [sys.executable, "-m", "pyengine.cli", "replay", "--venue", venue, str(junk)],
            capture_output=True,
            text=True,
            check=False,
        )
        # the report is printed, and the exit code says nothing could be read
        assert proc.returncode == 1, proc.stderr
        assert "not a capture of any known venue" in proc.stderr
        report = json.loads(proc.stdout)
        assert report["rejected"] == report["messages"] == 5, (venue, report)
    missing = subprocess.run(
        [sys.executable, "-m", "pyengine.cli", "replay", "--venue", "okx", "/nonexistent"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert missing.returncode == 2
    assert "Traceback" not in missing.stderr
    assert "cannot read" in missing.stderr
