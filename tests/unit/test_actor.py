from __future__ import annotations

from pyengine.actors.base import ActorContext
from pyengine.actors.monitor import Monitor
from pyengine.clock import ManualClock, SequentialIds
from pyengine.messages import AlertCleared, AlertRaised, GapDetected, Heartbeat


def ctx(name: str, clock: ManualClock | None = None, **options: object) -> ActorContext:
    return ActorContext(
        name=name, clock=clock or ManualClock(), ids=SequentialIds(name), options=options
    )


def test_monitor_alerts_on_stale_heartbeat_and_gaps() -> None:
    clock = ManualClock()
    mon = Monitor(ctx("monitor", clock, stale_after_s=1.0))
    hb = Heartbeat(ts_event=1, ts_recv=1, actor="risk", pid=1)
    assert mon.handle(hb) == []
    assert mon.on_timer(clock.advance(500_000_000)) == []
    (alert,) = mon.on_timer(clock.advance(1_000_000_000))
    assert isinstance(alert, AlertRaised)
    assert alert.code == "heartbeat.missing"
    assert mon.on_timer(clock.advance(1_000_000_000)) == []  # once
    (cleared,) = mon.handle(hb)
    assert isinstance(cleared, AlertCleared)
    gap = GapDetected(
        ts_event=1,
        ts_recv=1,
        actor="rec",
        peer="px",
        peer_topic="price.x",
        expected=2,
        received=9,
        missing=7,
    )
    (g,) = mon.handle(gap)
    assert isinstance(g, AlertRaised)
    assert "7" in g.text
    assert mon.handle(gap) == []  # rate-limited
