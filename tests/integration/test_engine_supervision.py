"""A failing actor is restarted with backoff; repeated failures raise an alert and pause
minting (docs/risk-playbooks.md#playbooks), and both land in the records; the engine keeps
running."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import uvloop

from pyengine.actors.base import Actor
from pyengine.config import parse_config
from pyengine.messages import AlertRaised, Health, Message, PauseMinting
from pyengine.runtime.engine import Engine
from pyengine.runtime.plan import make_plan, register_kind
from pyengine.store import open_store

Poll = Callable[..., Awaitable[None]]


class Crashy(Actor):
    """Raises on every `health.crash` message (a broken invariant)."""

    subscribe = ("health.crash",)
    lives = 0

    def on_start(self) -> list[Message]:
        Crashy.lives += 1
        return []

    def handle(self, msg: Message) -> list[Message]:
        raise RuntimeError("invariant broken")


def test_repeated_failures_alert_and_pause_minting(tmp_path: Path, apoll: Poll) -> None:
    register_kind("crashy", f"{__name__}:Crashy")
    cfg = parse_config(
        {
            "var_dir": str(tmp_path / "var"),
            "bus": {"heartbeat_s": 0.05},
            "supervisor": {"backoff_initial_s": 0.01, "backoff_max_s": 0.05, "max_failures": 3},
            "actors": [
                {"name": "recorder", "kind": "recorder"},
                {"name": "crashy", "kind": "crashy"},
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
        await apoll(
            lambda: "crashy" in poker.peers_seen and "poker" in engine.runners["crashy"].peers_seen,
            5,
            "hello",
        )

        def poke() -> bool:
            now = poker.clock.now_ns()
            poker.emit([Health(ts_event=now, ts_recv=now, component="crash", status="ok")])
            return (
                engine.supervisor is not None and engine.supervisor.restarts.get("crashy", 0) >= 4
            )

        await apoll(poke, 10, "four restarts")
        await apoll(lambda: engine.status().minting_paused, 5, "minting paused")
        assert Crashy.lives >= 4
        assert engine.runners["recorder"].state == "running"
        engine.request_stop("test")
        code: int = await run
        return code

    # the engine stopped, but an actor kept failing: that is a fault, not a clean stop
    assert uvloop.run(main()) == 1
    store = open_store(plan.store_url)
    try:
        records = list(store.journal(("alert.", "ctl.mint.")))
    finally:
        store.close()
    alerts = [m for m in records if isinstance(m, AlertRaised)]
    pauses = [m for m in records if isinstance(m, PauseMinting)]
    assert len(alerts) == 1
    assert alerts[0].code == "actor.failing"
    assert len(pauses) == 1
    assert pauses[0].by == "supervisor"


def test_a_stop_because_of_a_fault_exits_non_zero(tmp_path: Path, apoll: Poll) -> None:
    cfg = parse_config(
        {"var_dir": str(tmp_path / "var"), "actors": [{"name": "recorder", "kind": "recorder"}]}
    )

    async def main(fault: bool) -> int:
        engine = Engine(make_plan(cfg))
        run = __import__("asyncio").create_task(engine.run())
        await apoll(engine.ready.is_set, 5, "engine ready")
        engine.request_stop("parent process gone" if fault else "test", fault=fault)
        code: int = await run
        return code

    assert uvloop.run(main(fault=False)) == 0
    assert uvloop.run(main(fault=True)) == 1
