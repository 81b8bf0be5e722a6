"""The embedded default as a newcomer runs it: `pyengine run` with no config starts the
simulated world, feeds through the Rust normalisers, simulated oracles, the validator, the
Rust risk gate and the execution actors; the example strategy trades, fills are recorded,
and SIGTERM stops it with nothing in flight."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pyengine.actors.base import ActorContext
from pyengine.actors.execution import ExecutionActor
from pyengine.messages import OrderRejected, decode
from pyengine.messages.validity import InstrumentValidity
from pyengine.orders import OrderTable
from pyengine.runtime.embedded import CATEGORIES, SHORT, sim_instruments

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = str(ROOT / "examples" / "mean_reversion.py")
# Every instrument of the simulated world, as the feed actors name them (a Bybit book is
# `<category>:<symbol>`), quarterly futures included.
INSTRUMENTS = {
    (venue, f"{CATEGORIES[venue]}:{sym}" if venue in CATEGORIES else sym)
    for venue, _, symbols in sim_instruments()
    for sym in symbols
}
FEEDS = tuple(f"feed_{short}" for short in SHORT.values())
Poll = Callable[..., None]


def engine_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "pyengine.cli", *args]


def status(cwd: Path) -> dict[str, Any] | None:
    out = subprocess.run(  # noqa: PLW1510
        engine_cmd("status", "--json", "--timeout", "1"),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=20,
    )
    if out.returncode != 0:
        return None
    report: dict[str, Any] = json.loads(out.stdout)
    return report


def journal(db: Path, prefix: str) -> list[Any]:
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            rows = conn.execute(
                "SELECT payload FROM journal WHERE topic LIKE ? ORDER BY id", (prefix + "%",)
            ).fetchall()
    except sqlite3.OperationalError:
        return []
    return [decode(bytes(r[0])) for r in rows]


def count(db: Path, sql: str) -> int:
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return int(conn.execute(sql).fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def test_embedded_default_trades_on_the_simulated_world(tmp_path: Path, poll: Poll) -> None:
    db = tmp_path / "var" / "engine.db"
    proc = subprocess.Popen(
        engine_cmd("run", "--strategy", EXAMPLE, "--duration", "50"),
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        actors: dict[str, dict[str, Any]] = {}

        def books_published() -> bool:
            report = status(tmp_path)
            if report is None:
                return False
            actors.update({a["name"]: a for a in report["actors"]})
            return all(f in actors and actors[f]["published"] > 20 for f in FEEDS)

        poll(books_published, 30, "every feed actor publishing books")
        execs = {f"exec_{short}" for short in SHORT.values()}
        assert {"sim", "oracles", "validator", "risk"} | execs <= set(actors)

        def all_valid() -> bool:
            valid = {
                (m.venue, m.symbol)
                for m in journal(db, "md.validity.")
                if isinstance(m, InstrumentValidity) and m.state == "valid"
            }
            return valid == INSTRUMENTS

        assert len(INSTRUMENTS) == 13 and {v for v, _ in INSTRUMENTS} == {
            "binance-usdm",
            "binance-coinm",
            "bybit",
            "okx",
            "deribit",
        }
        poll(all_valid, 30, "the validator to call every simulated instrument valid")
        poll(lambda: count(db, "SELECT count(*) FROM fills") >= 1, 20, "a recorded fill")
        report = status(tmp_path)
        assert report is not None and report["minting_paused"] is False
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err[-3000:]
    assert "nothing in flight" in err
    fills = count(db, "SELECT count(*) FROM fills WHERE venue = 'binance-usdm'")
    assert fills >= 1
    submits = count(db, "SELECT count(*) FROM orders WHERE type = 'cmd.order.submit'")
    placed = count(db, "SELECT count(*) FROM orders WHERE type = 'cmd.venue.place'")
    refused = [
        m for m in journal(db, "exec.order.") if isinstance(m, OrderRejected) and m.stage == "risk"
    ]
    assert submits == placed + len(refused)  # every order passed risk or was refused by it
    accepted = count(db, "SELECT count(*) FROM orders WHERE type = 'exec.order.accepted'")
    assert 1 <= accepted <= placed
    # the recorded lifecycle of every order replays through the state machine without a
    # contradiction: each order ended filled, refused or still working, none lost
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT payload FROM journal WHERE topic LIKE 'cmd.%' OR topic LIKE 'exec.%'"
            " ORDER BY id"
        ).fetchall()
    table = OrderTable()
    table.replay(decode(bytes(r[0])) for r in rows)
    assert len(table) == submits and table.counters["illegal"] == 0
    assert table.counters["overfills"] == 0
    # and so does the execution actor's own table, rebuilt as after a restart
    execution = ExecutionActor(ActorContext(name="exec", options={"venue": "binance-usdm"}))
    execution.recover(decode(bytes(r[0])) for r in rows)
    assert len(execution.orders) >= 1 and execution.orders.counters["illegal"] == 0
    # the fills are the simulated venue's: its ids, its fees, in the settle currency
    with sqlite3.connect(db) as conn:
        # (a USD-M fill: the hedger's fills on inverse contracts pay their fee in the coin)
        fill_id, fee_ccy = conn.execute(
            "SELECT fill_id, fee_ccy FROM fills WHERE venue = 'binance-usdm' LIMIT 1"
        ).fetchone()
    assert fill_id.startswith("F") and fee_ccy == "USDT"
    # collateral reached the venues through the simulated custodian, recorded durably
    assert count(db, "SELECT count(*) FROM transfers WHERE type = 'collateral.transfer.confirmed'")
