from __future__ import annotations

import uvloop

from pyengine.actors.supervisor import RestartPolicy, Supervisor
from pyengine.clock import ManualClock
from pyengine.messages import ActorRestarted, AlertRaised, Health, Message, PauseMinting
from pyengine.store import StoreError


def test_backoff_doubles_up_to_the_cap() -> None:
    p = RestartPolicy(backoff_initial_s=0.1, backoff_max_s=0.5)
    assert [p.backoff(n) for n in (1, 2, 3, 4, 5)] == [0.1, 0.2, 0.4, 0.5, 0.5]


def test_restarts_then_escalates_once() -> None:
    emitted: list[Message] = []
    clock = ManualClock()
    sup = Supervisor(
        RestartPolicy(backoff_initial_s=0.001, backoff_max_s=0.002, max_failures=3),
        clock,
        emitted.extend,
    )
    calls = 0

    async def flaky() -> None:
        nonlocal calls
        calls += 1
        clock.advance(1_000_000)
        if calls < 6:
            raise RuntimeError(f"boom {calls}")

    uvloop.run(sup.supervise("risk", flaky))
    assert calls == 6
    assert sup.restarts["risk"] == 5
    restarted = [m for m in emitted if isinstance(m, ActorRestarted)]
    assert [m.attempt for m in restarted] == [1, 2, 3, 4, 5]
    alerts = [m for m in emitted if isinstance(m, AlertRaised)]
    pauses = [m for m in emitted if isinstance(m, PauseMinting)]
    assert len(alerts) == 1
    assert alerts[0].severity == "critical"
    assert len(pauses) == 1
    assert "risk" in pauses[0].reason


def test_failures_outside_the_window_do_not_escalate() -> None:
    emitted: list[Message] = []
    clock = ManualClock()
    sup = Supervisor(
        RestartPolicy(backoff_initial_s=0.001, max_failures=2, failure_window_s=1.0),
        clock,
        emitted.extend,
    )
    calls = 0

    async def rare() -> None:
        nonlocal calls
        calls += 1
        clock.advance(5_000_000_000)
        if calls < 4:
            raise RuntimeError("rare")

    uvloop.run(sup.supervise("x", rare))
    assert not any(isinstance(m, PauseMinting) for m in emitted)


def test_a_store_failure_pauses_minting_and_trading_at_once() -> None:
    emitted: list[Message] = []
    clock = ManualClock()
    sup = Supervisor(RestartPolicy(backoff_initial_s=0.001, max_failures=3), clock, emitted.extend)
    calls = 0

    async def recorder() -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise StoreError("sqlite var/engine.db: disk I/O error")

    uvloop.run(sup.supervise("recorder", recorder))
    # the first failure, not the third: nothing may be acted on that cannot be recorded
    pauses = [m for m in emitted if isinstance(m, PauseMinting)]
    health = [m for m in emitted if isinstance(m, Health)]
    assert len(pauses) == 1 and "disk I/O error" in pauses[0].reason
    assert [(h.component, h.status) for h in health] == [("store", "down")]
    assert sup.paused_ns


def test_other_failures_do_not_pause_at_once() -> None:
    emitted: list[Message] = []
    sup = Supervisor(RestartPolicy(backoff_initial_s=0.001), ManualClock(), emitted.extend)
    calls = 0

    async def flaky() -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("boom")

    uvloop.run(sup.supervise("risk", flaky))
    assert not [m for m in emitted if isinstance(m, PauseMinting | Health)]
