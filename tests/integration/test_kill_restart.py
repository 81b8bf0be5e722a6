"""SIGKILL at random points while the embedded default trades (the example strategy and
the delta keeper's hedges; the simulated market maker asks every 5 s, so lives this short
rarely mint), several times in a row: after each restart the database passes
`PRAGMA integrity_check`, every record committed before the kill is still there, nothing is
recorded twice (the journal and the typed tables agree row for row, no fill twice), and
`pyengine status` answers within a bounded multiple of a fresh start.

The default run kills 3 times; `PYENGINE_KILLS=20` (`make bench`) 20 times.
"""

from __future__ import annotations

import os
import random
import sqlite3
import time
from pathlib import Path

from pyengine.store.records import TABLES
from tests.integration.engine_proc import kill, start, stop

KILLS = int(os.environ.get("PYENGINE_KILLS", "3"))
RESTART_RATIO = 3.0
"""A restart after a kill reaches `status` within this many times a fresh start."""

Key = tuple[str, int, str, int]


def committed(db: Path) -> set[Key]:
    with sqlite3.connect(db, timeout=10) as conn:
        rows = conn.execute("SELECT src, epoch, topic, seq FROM journal").fetchall()
    return {(str(a), int(b), str(c), int(d)) for a, b, c, d in rows}


def check_database(db: Path) -> dict[str, int]:
    """Integrity, and the journal and typed tables agreeing; counts per typed table."""
    with sqlite3.connect(db, timeout=10) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        counts = {}
        for t in TABLES:
            # every typed row has its journal row, once
            orphans = conn.execute(
                f"SELECT count(*) FROM {t.name} AS x WHERE NOT EXISTS (SELECT 1 FROM journal"
                " AS j WHERE j.src = x.src AND j.epoch = x.epoch AND j.topic = x.topic"
                " AND j.seq = x.seq)"
            ).fetchone()[0]
            assert orphans == 0, f"{t.name}: {orphans} rows without their journal row"
            counts[t.name] = conn.execute(f"SELECT count(*) FROM {t.name}").fetchone()[0]
        # a fill reported again after a restart is the same fill: recorded once
        doubled = conn.execute(
            "SELECT venue, client_order_id, fill_id, count(*) FROM fills"
            " GROUP BY venue, client_order_id, fill_id HAVING count(*) > 1"
        ).fetchall()
        assert doubled == [], f"fills recorded twice: {doubled[:5]}"
        # each fill in the journal is in the typed table (and the reverse, above)
        journal_fills = conn.execute(
            "SELECT count(*) FROM journal WHERE type = 'exec.fill'"
        ).fetchone()[0]
        assert journal_fills == counts["fills"]
    return counts


def test_sigkill_under_load_loses_and_doubles_nothing(tmp_path: Path) -> None:
    seed = int(os.environ.get("PYENGINE_KILL_SEED", str(time.time_ns() % 10_000)))
    rnd = random.Random(seed)
    print(f"\nkill test seed {seed}, {KILLS} kills")
    (tmp_path / "var").mkdir()
    db = tmp_path / "var" / "engine.db"
    fresh = start(tmp_path)
    first_s = fresh.seconds
    proc = fresh.proc
    # The first kill waits for traffic: the delta keeper's hedge of the starting custody
    # has filled (the strategy's orders rarely fill), so fills are among what is killed.
    deadline = time.monotonic() + 60
    while check_database(db)["fills"] == 0:
        assert time.monotonic() < deadline, "no fill recorded within 60 s of the start"
        time.sleep(0.25)
    restarts: list[float] = []
    for i in range(KILLS):
        # long enough, at times, for a restarted engine to hedge again and fill
        time.sleep(rnd.uniform(0.2, 5.0))
        kill(proc)
        before = committed(db)
        counts = check_database(db)
        again = start(tmp_path)
        proc = again.proc
        restarts.append(again.seconds)
        lost = before - committed(db)
        assert not lost, f"kill {i}: {len(lost)} committed records lost, e.g. {sorted(lost)[:3]}"
        recovered = {r.name: r for r in again.report.recovered}
        assert "strategy" in recovered and "risk" in recovered
        print(
            f"kill {i}: {len(before)} journal rows, {counts}, restart {again.seconds:.2f}s"
            f" ({recovered['strategy'].source} + {recovered['strategy'].journal_rows})"
        )
        assert again.seconds <= RESTART_RATIO * max(first_s, 0.5), (
            f"restart {i} took {again.seconds:.2f}s, a fresh start {first_s:.2f}s"
        )
    time.sleep(1.0)
    assert stop(proc) == 0
    final = check_database(db)
    print(f"recorded at the end: {final}")
    print(f"fresh start {first_s:.2f}s, restarts {min(restarts):.2f}..{max(restarts):.2f}s")
