"""`pyengine replay` reads stdin, FIFOs and gzip exactly like a file, and exits non-zero,
saying why, when nothing in the input could be read or the capture is another venue's."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

DATA = Path(__file__).resolve().parents[1] / "data"
USDM = DATA / "binance_usdm" / "l2_capture_btcusdt_perp_20240808_snapshot_plus_diffs.txt"
COINM = DATA / "binance_coinm" / "l2_capture_6_symbols_20210721_cryptofeed.jsonl"
BITMEX = DATA / "bitmex" / "l2_capture_orderBookL2_xbtusd_20210722_cryptofeed.jsonl"


def replay(venue: str, arg: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(  # noqa: PLW1510
        [sys.executable, "-m", "pyengine.cli", "replay", "--venue", venue, arg],
        input=stdin,
        capture_output=True,
        timeout=120,
    )


def report(out: subprocess.CompletedProcess[bytes]) -> dict[str, Any]:
    assert out.returncode == 0, out.stderr.decode()
    parsed: dict[str, Any] = json.loads(out.stdout)
    return parsed


@pytest.fixture(scope="module")
def expected() -> dict[str, Any]:
    return report(replay("binance-usdm", str(USDM)))


def test_fifo_reads_every_record_every_time(tmp_path: Path, expected: dict[str, Any]) -> None:
    fifo = tmp_path / "capture.fifo"
    os.mkfifo(fifo)
    for _ in range(2):
        writer = threading.Thread(target=lambda: fifo.write_bytes(USDM.read_bytes()))
        writer.start()
        got = report(replay("binance-usdm", str(fifo)))
        writer.join(30)
        assert got == expected


def test_stdin_plain_and_gzip(expected: dict[str, Any]) -> None:
    assert report(replay("binance-usdm", "-", USDM.read_bytes())) == expected
    assert report(replay("binance-usdm", "-", gzip.compress(USDM.read_bytes()))) == expected


def test_gzip_file(tmp_path: Path, expected: dict[str, Any]) -> None:
    gz = tmp_path / "capture.txt.gz"
    gz.write_bytes(gzip.compress(USDM.read_bytes()))
    assert report(replay("binance-usdm", str(gz))) == expected


def test_truncated_gzip_is_an_unreadable_input(tmp_path: Path) -> None:
    gz = tmp_path / "capture.gz"
    gz.write_bytes(gzip.compress(USDM.read_bytes())[:5000])
    out = replay("binance-usdm", str(gz))
    assert out.returncode == 2
    err = out.stderr.decode()
    assert "Traceback" not in err and "not a valid gzip stream" in err


@pytest.mark.parametrize(
    ("venue", "content", "why"),
    [
        ("okx", bytes(range(256)) * 20, "not a capture of any known venue"),
        ("bybit", b"", "the input holds no records"),
        ("okx", USDM.read_bytes(), "it is a binance-usdm capture"),
        ("bybit", BITMEX.read_bytes(), "it is a bitmex capture"),
        ("binance-usdm", COINM.read_bytes(), "this is a binance-coinm capture, not binance-usdm"),
        ("binance-coinm", USDM.read_bytes(), "this is a binance-usdm capture, not binance-coinm"),
    ],
    ids=[
        "random bytes",
        "empty",
        "binance as okx",
        "bitmex as bybit",
        "coinm as usdm",
        "usdm as coinm",
    ],
)
def test_nothing_read_or_wrong_venue_exits_non_zero(
    tmp_path: Path, venue: str, content: bytes, why: str
) -> None:
    path = tmp_path / "input"
    path.write_bytes(content)
    out = replay(venue, str(path))
    err = out.stderr.decode()
    assert out.returncode == 1, err
    assert "Traceback" not in err
    (line,) = err.strip().splitlines()
    assert line.startswith("pyengine replay: ") and why in line, line
    json.loads(out.stdout)  # the counters are still reported
