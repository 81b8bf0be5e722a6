"""Restart in constant time: the embedded default's start (until `pyengine status`
answers) and its peak RSS over a large generated journal of order traffic
(tests/journal_gen.py), covered by the snapshots a clean shutdown leaves.

What a start restores is bounded by caps (ended orders kept per table, exact spent ids),
not by history; a journal of `BASE_ROWS` already fills them. So the assertion is the
ratio of a start over `rows` to a start over `BASE_ROWS`, both measured in this run; the
empty store's start is printed alongside. The local chain runs in a node process of its
own: its peak RSS is printed beside the engine's (`node_rss_mb`, once the chain is
connected, and the engine's own by then, `chain_ready_rss_mb`): the machine's total is
what a user pays. CI runs 100k rows; `make bench` sets
`BENCH_RESTART_ROWS=1000000,10000000`.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from benches.conftest import report
from pyengine.store import open_store
from tests.integration.engine_proc import start, stop, wait_chain
from tests.journal_gen import write_journal

ROWS = [int(r) for r in os.environ.get("BENCH_RESTART_ROWS", "100000").split(",")]
BASE_ROWS = 40_000
"""About 8,500 orders: every order table at its cap of ended orders."""
START_RATIO = 1.6
RSS_RATIO = 1.3

Measured = tuple[float, float, int, float, float]


def generate(cwd: Path, rows: int) -> float:
    """A store of `rows` generated journal rows; seconds it took."""
    (cwd / "var").mkdir(parents=True)
    t0 = time.perf_counter()
    store = open_store(f"sqlite:///{cwd / 'var' / 'engine.db'}", synchronous="normal")
    try:
        write_journal(store, rows)
    finally:
        store.close()
    return time.perf_counter() - t0


def measured_start(cwd: Path) -> Measured:
    """(seconds, peak RSS MB, journal messages replayed, at most per actor; then, once its
    chain is connected, the engine's peak RSS and its local chain node's) of one start,
    then a clean stop."""
    s = start(cwd)
    replayed = max((r.journal_rows for r in s.report.recovered), default=0)
    ready = wait_chain(cwd, s)
    assert stop(s.proc) == 0
    return s.seconds, s.rss_mb, replayed, ready.main_rss_mb, ready.node_rss_mb


def prepared(cwd: Path, rows: int) -> tuple[Measured, float]:
    """A store of `rows` that a first start (no snapshot yet: the whole journal) and clean
    stop left with its snapshots; that first start's numbers and the generation time."""
    gen_s = generate(cwd, rows)
    return measured_start(cwd), gen_s


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> tuple[Measured, Measured]:
    """(empty store, `BASE_ROWS` store) starts."""
    empty = tmp_path_factory.mktemp("empty")
    (empty / "var").mkdir()
    measured_start(empty)  # the first start creates the store
    base = tmp_path_factory.mktemp("base")
    prepared(base, BASE_ROWS)
    return measured_start(empty), measured_start(base)


@pytest.mark.parametrize(
    "rows",
    # generating 10M rows and the first start over them (no snapshot yet: the whole
    # journal) take minutes on their own
    [pytest.param(r, marks=pytest.mark.timeout(max(300, r // 5_000))) for r in ROWS],
)
def test_start_does_not_grow_with_the_journal(
    tmp_path: Path, rows: int, baseline: tuple[Measured, Measured]
) -> None:
    (empty_s, empty_mb, _, empty_ready_mb, empty_node_mb), (base_s, base_mb, *_) = baseline
    (first_s, first_mb, first_rows, *_), gen_s = prepared(tmp_path, rows)
    s, mb, replayed, ready_mb, node_mb = measured_start(tmp_path)
    report(
        f"restart {rows} rows",
        start_s=s,
        rss_mb=mb,
        chain_ready_rss_mb=ready_mb,
        node_rss_mb=node_mb,
        replayed=replayed,
        base_start_s=base_s,
        base_rss_mb=base_mb,
        empty_start_s=empty_s,
        empty_rss_mb=empty_mb,
        empty_chain_ready_rss_mb=empty_ready_mb,
        empty_node_rss_mb=empty_node_mb,
        no_snapshot_start_s=first_s,
        no_snapshot_rss_mb=first_mb,
        no_snapshot_replayed=first_rows,
        generate_s=gen_s,
    )
    assert first_rows > rows // 10 and replayed < 1000
    assert s / base_s <= START_RATIO
    assert mb / base_mb <= RSS_RATIO
