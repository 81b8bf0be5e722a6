from __future__ import annotations

from pyengine.actors.base import ActorContext
from pyengine.actors.monitor import Monitor
from pyengine.clock import ManualClock, SequentialIds
from pyengine.messages import AlertCleared, AlertRaised, GapDetected, Health, Heartbeat


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


def test_a_feed_still_connecting_within_its_grace_is_no_alert() -> None:
    clock = ManualClock()
    mon = Monitor(ctx("monitor", clock, connect_grace_s=10.0))
    sec = 1_000_000_000

    def health(status: str, detail: str = "") -> Health:
        now = clock.now_ns()
        return Health(
            ts_event=now, ts_recv=now, component="feed.binance-usdm", status=status, detail=detail
        )

    # start-up: connecting, then up within the grace period: nothing for a person
    assert mon.handle(health("down", "connecting")) == []
    assert mon.on_timer(clock.advance(2 * sec)) == []
    assert mon.handle(health("ok")) == []
    # once up, going down is an alert at once, and coming back clears it
    (alert,) = mon.handle(health("down", "reconnecting"))
    assert isinstance(alert, AlertRaised) and alert.code == "health.down"
    (cleared,) = mon.handle(health("ok"))
    assert isinstance(cleared, AlertCleared)


def test_a_feed_that_never_connects_alerts_after_its_grace() -> None:
    clock = ManualClock()
    mon = Monitor(ctx("monitor", clock, connect_grace_s=10.0))
    down = Health(ts_event=1, ts_recv=1, component="feed.okx", status="down", detail="connecting")
    assert mon.handle(down) == []
    assert mon.on_timer(clock.advance(9_000_000_000)) == []
    assert mon.handle(down) == []
    (alert,) = mon.on_timer(clock.advance(2_000_000_000))
    assert isinstance(alert, AlertRaised) and alert.severity == "critical"
    assert alert.text == "feed.okx is down: connecting (not up 11s after start)"
    assert mon.on_timer(clock.advance(1_000_000_000)) == []  # once


def test_other_down_reports_alert_at_once_even_before_first_up() -> None:
    mon = Monitor(ctx("monitor", ManualClock(), connect_grace_s=10.0))
    store = Health(ts_event=1, ts_recv=1, component="store", status="down", detail="disk full")
    (alert,) = mon.handle(store)
    assert isinstance(alert, AlertRaised) and alert.text == "store is down: disk full"
