"""Issue 5's end-to-end check: `pyengine run`, pointed by config at local venues that
replay real captures (`pyengine serve-capture`), publishes live books that are valid and
end equal to the replay command's books."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from pyengine.messages import BookTop
from pyengine.recorded.replay import replay_file
from tests.integration.test_embedded_default import journal

DATA = Path(__file__).resolve().parents[1] / "data"
CASES = [
    (
        "binance-usdm",
        DATA / "binance_usdm" / "l2_capture_btcusdt_perp_20240808_snapshot_plus_diffs.txt",
        ["BTCUSDT"],
    ),
    (
        "okx",
        DATA
        / "okx"
        / "l2_capture_v5_books_btcusd220527_uniusdswap_btcusdt_20220513_cryptofeed.jsonl",
        ["BTC-USD-220527", "UNI-USD-SWAP", "BTC-USDT"],
    ),
]
Poll = Callable[..., None]


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "pyengine.cli", *args]


def book_tops(db: Path) -> list[BookTop]:
    return [m for m in journal(db, "md.book.") if isinstance(m, BookTop)]


def config(venue: str, symbols: list[str], urls: dict[str, str]) -> str:
    # TOML strings and arrays of strings are written as JSON writes them.
    live = ", ".join(
        f"{k} = {json.dumps(v)}"
        for k, v in {
            "venue": venue,
            "symbols": symbols,
            "ws_url": urls["ws_url"],
            "rest_url": urls["rest_url"],
        }.items()
    )
    return f"""
name = "capture"

[[actors]]
name = "recorder"
kind = "recorder"
options = {{ record_topics = ["md.book."] }}

[[actors]]
name = "feed"
kind = "feed"
[actors.options]
source = "live"
depth = 1
live = {{ {live} }}
"""


@pytest.mark.parametrize(("venue", "capture", "symbols"), CASES, ids=[c[0] for c in CASES])
def test_engine_run_shows_live_valid_books_from_a_capture_server(
    tmp_path: Path, poll: Poll, venue: str, capture: Path, symbols: list[str]
) -> None:
    want = replay_file(venue, capture)["books"]
    server = subprocess.Popen(
        cli("serve-capture", "--venue", venue, str(capture)), stdout=subprocess.PIPE, text=True
    )
    engine: subprocess.Popen[str] | None = None
    try:
        assert server.stdout is not None
        urls = json.loads(server.stdout.readline())
        cfg = tmp_path / "engine.toml"
        cfg.write_text(config(venue, symbols, urls))
        engine = subprocess.Popen(
            cli("run", str(cfg), "--duration", "60"),
            cwd=tmp_path,
            stderr=subprocess.PIPE,
            text=True,
        )
        db = tmp_path / "var" / "engine.db"

        def final_books_match() -> bool:
            last: dict[str, BookTop] = {}
            for top in book_tops(db):
                last[top.symbol] = top
            return all(
                s in last
                and last[s].valid
                and last[s].bids[0][0] == want[s]["best_bid"]
                and last[s].asks[0][0] == want[s]["best_ask"]
                for s in symbols
            )

        poll(final_books_match, timeout=45, what="final valid books equal to the replay's")
        # Nothing invalid was ever published with levels (a corrupted book would be).
        assert all(t.valid or not (t.bids or t.asks) for t in book_tops(db))
        engine.send_signal(signal.SIGTERM)
        assert engine.wait(timeout=30) == 0, engine.stderr.read() if engine.stderr else ""
    finally:
        for p in (engine, server):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait(timeout=10)
