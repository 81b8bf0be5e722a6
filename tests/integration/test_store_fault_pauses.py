"""An I/O error on the store while the engine runs pauses minting and trading at once (the
first failure, not after `max_failures`), and trading resumes when the recorder commits
again; minting stays paused for a person to resume (docs/risk-playbooks.md)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
import uvloop

from pyengine.actors.risk_gate import RiskGate
from pyengine.config import parse_config
from pyengine.messages import AlertRaised
from pyengine.runtime.embedded import default_risk_options
from pyengine.runtime.engine import Engine
from pyengine.runtime.plan import make_plan
from pyengine.store import StoreError
from pyengine.store.sqlite import SQLiteStore

Poll = Callable[..., Awaitable[None]]


def test_store_io_error_pauses_minting_and_trading_at_once(
    tmp_path: Path, apoll: Poll, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = {"on": False}
    real_write = SQLiteStore._write

    def write(self: SQLiteStore, journal: list[tuple[object, ...]], typed: object) -> None:
        if broken["on"]:
            raise StoreError(f"sqlite {self.path}: disk I/O error")
        real_write(self, journal, typed)  # type: ignore[arg-type]

    monkeypatch.setattr(SQLiteStore, "_write", write)
    cfg = parse_config(
        {
            "var_dir": str(tmp_path / "var"),
            "bus": {"heartbeat_s": 0.05},
            "supervisor": {"backoff_initial_s": 0.05, "backoff_max_s": 0.2, "max_failures": 100},
            "actors": [
                {"name": "recorder", "kind": "recorder"},
                {"name": "risk", "kind": "risk", "options": default_risk_options()},
                {"name": "poker", "kind": "pyengine.actors.base:Actor"},
            ],
        }
    )
    plan = make_plan(cfg)

    async def main() -> int:
        engine = Engine(plan)
        run = __import__("asyncio").create_task(engine.run())
        await apoll(engine.ready.is_set, 5, "engine ready")
        poker = engine.runners["poker"]

        def risk() -> RiskGate:
            actor = engine.runners["risk"].actor
            assert isinstance(actor, RiskGate)
            return actor

        def alert(n: int) -> None:
            now = poker.clock.now_ns()
            poker.emit(
                [
                    AlertRaised(
                        ts_event=now,
                        ts_recv=now,
                        alert_id=f"t{n}",
                        severity="info",
                        source="test",
                        code="test",
                        text="something to record",
                    )
                ]
            )

        await apoll(lambda: "recorder" in poker.peers_seen, 5, "recorder reachable")
        alert(1)

        def committed() -> int:
            actor = engine.runners["recorder"].actor
            return 0 if actor is None else actor.stats()["committed"]

        await apoll(lambda: committed() > 0, 5, "first commit")
        assert not engine.status().minting_paused
        broken["on"] = True
        alert(2)
        await apoll(lambda: engine.status().minting_paused, 5, "minting paused")
        await apoll(lambda: risk().store_down, 5, "trading paused")
        assert "disk I/O error" in risk().store_down
        assert engine.supervisor is not None and engine.supervisor.restarts["recorder"] < 3
        broken["on"] = False
        await apoll(lambda: not risk().store_down, 10, "trading resumed after the store is back")
        assert engine.status().minting_paused  # a person resumes minting
        engine.request_stop("test")
        code: int = await run
        return code

    assert uvloop.run(main()) == 0
