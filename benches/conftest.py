"""Benchmark helpers: every speed claim is a ratio against a baseline timed in the same run."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"


def best_of(fn: Callable[[], Any], rounds: int = 5) -> float:
    """Minimum wall time of `rounds` calls, in seconds (min filters scheduler noise)."""
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def report(name: str, **numbers: float) -> None:
    """Print a benchmark's numbers on one line (shown with pytest -s or in CI logs)."""
    body = ", ".join(f"{k}={v:.3g}" for k, v in numbers.items())
    print(f"\n[bench] {name}: {body}")


def bare_sqlite_rate(n: int, batch: int, path: Path, payload: bytes) -> float:
    """Messages/s of bare SQLite writing what the recorder writes per message (a journal row
    of 8 columns and a typed row of 12, WAL, synchronous=FULL, `batch` messages per
    transaction) with no encoding or engine code: the disk's and SQLite's own speed."""
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    con.execute("CREATE TABLE j (a, b, c, d, e, f, g, h, PRIMARY KEY (a, b, c, d))")
    con.execute("CREATE TABLE t (a, b, c, d, e, f, g, h, i, j, k, l, PRIMARY KEY (a, b, c, d))")
    t0 = time.perf_counter()
    for start in range(0, n, batch):
        keys = range(start, start + batch)
        con.execute("BEGIN")
        con.executemany(
            "INSERT INTO j VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (("paper", 1, "exec.fill", k, "fill", k, k, payload) for k in keys),
        )
        con.executemany(
            "INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                ("paper", 1, "exec.fill", k, "fill", f"o{k}", "x", "BTC", "b", f"f{k}", "1", "2")
                for k in keys
            ),
        )
        con.execute("COMMIT")
    rate = n / (time.perf_counter() - t0)
    con.close()
    return rate
