"""Restart in constant time: the embedded default's start (until `pyengine status`
answers) and its peak RSS, with an empty store and with a large generated journal of order
traffic (tests/journal_gen.py) covered by the snapshots a clean shutdown leaves.

The assertion is a ratio against the empty store's start in the same run; absolute numbers
are printed. CI runs 100k rows; `make bench` sets `BENCH_RESTART_ROWS=1000000,10000000`.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from benches.conftest import report
from pyengine.store import open_store
from tests.integration.engine_proc import start, stop
from tests.journal_gen import write_journal

ROWS = [int(r) for r in os.environ.get("BENCH_RESTART_ROWS", "100000").split(",")]
START_RATIO = 1.5
"""A start over a long journal takes at most this many times an empty store's start."""
RSS_RATIO = 1.5


def generate(cwd: Path, rows: int) -> float:
    """A store of `rows` generated journal rows; seconds it took."""
    t0 = time.perf_counter()
    store = open_store(f"sqlite:///{cwd / 'var' / 'engine.db'}", synchronous="normal")
    try:
        write_journal(store, rows)
    finally:
        store.close()
    return time.perf_counter() - t0


def measured_start(cwd: Path) -> tuple[float, float, int]:
    """(seconds, peak RSS MB, journal rows replayed) of one start, then a clean stop."""
    s = start(cwd)
    replayed = sum(r.journal_rows for r in s.report.recovered)
    assert stop(s.proc) == 0
    return s.seconds, s.rss_mb, replayed


@pytest.mark.parametrize("rows", ROWS)
def test_start_does_not_grow_with_the_journal(tmp_path: Path, rows: int) -> None:
    empty = tmp_path / "empty"
    (empty / "var").mkdir(parents=True)
    measured_start(empty)  # the first start creates the store: not the baseline
    base_s, base_mb, _ = measured_start(empty)

    big = tmp_path / "big"
    (big / "var").mkdir(parents=True)
    gen_s = generate(big, rows)
    # the first start over it has no snapshot: it folds the whole journal once and its
    # clean shutdown saves the snapshots (what an upgraded engine does once)
    first_s, first_mb, first_rows = measured_start(big)
    s, mb, replayed = measured_start(big)
    report(
        f"restart {rows} rows",
        empty_start_s=base_s,
        empty_rss_mb=base_mb,
        start_s=s,
        rss_mb=mb,
        replayed=replayed,
        no_snapshot_start_s=first_s,
        no_snapshot_rss_mb=first_mb,
        no_snapshot_replayed=first_rows,
        generate_s=gen_s,
    )
    assert first_rows > 0 and replayed < 1000
    assert s / base_s <= START_RATIO
    assert mb / base_mb <= RSS_RATIO
