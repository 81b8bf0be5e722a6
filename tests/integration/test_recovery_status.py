"""While a start replays a long journal (no snapshot yet) the engine already answers
status, and says it is recovering; once running, status says what each actor recovered;
the clean stop leaves snapshots, so the next start replays nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import uvloop

from pyengine.config import parse_config
from pyengine.runtime.engine import Engine
from pyengine.runtime.plan import make_plan
from pyengine.store import open_store
from tests.integration.engine_proc import EXAMPLE
from tests.journal_gen import STRATEGY, write_journal


def test_status_answers_while_recovering_and_says_what_was_recovered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("pyengine.runtime.checkpoint.PAGE", 20)
    var = tmp_path / "var"
    store = open_store(f"sqlite:///{var / 'engine.db'}")
    write_journal(store, 20_000)
    store.close()
    cfg = parse_config(
        {
            "var_dir": str(var),
            "actors": [
                {"name": "recorder", "kind": "recorder"},
                {"name": STRATEGY, "kind": "strategy", "options": {"path": EXAMPLE}},
            ],
        }
    )

    async def run_once() -> tuple[list[bool], Engine, int]:
        engine = Engine(make_plan(cfg))
        seen: list[bool] = []
        task = asyncio.create_task(engine.run())
        while not engine.ready.is_set():
            seen.append(engine.status().recovering)
            await asyncio.sleep(0.005)
        assert not engine.status().recovering
        engine.request_stop("test")
        return seen, engine, await task

    seen, engine, code = uvloop.run(run_once())
    assert code == 0
    assert True in seen  # status answered during the replay
    (rec,) = [r for r in engine.status().recovered if r.name == STRATEGY]
    assert rec.source == "journal" and rec.journal_rows > 10_000
    assert dict(rec.state)["orders_open"] == 3

    seen, engine, code = uvloop.run(run_once())
    (rec,) = [r for r in engine.status().recovered if r.name == STRATEGY]
    assert rec.source.startswith("snapshot at journal row") and rec.journal_rows < 100
    assert code == 0
