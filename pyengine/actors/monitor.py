"""The monitor: turns missing heartbeats, gaps and bad health into alerts for people, and
logs a one-line engine summary every few seconds.

A component that has not been up yet and says it is still connecting (`Health` down with
detail "connecting", as a feed starts) is given `connect_grace_s` before that becomes an
alert: every start used to raise a critical "feed is down: connecting" per feed, cleared a
second later. Any other "down" (a reconnect, an error, the store) is an alert at once.
"""

from __future__ import annotations

import logging

import msgspec

from pyengine.actors.base import Actor, ActorContext
from pyengine.actors.summary import MarketSummary
from pyengine.messages import (
    AlertCleared,
    AlertRaised,
    GapDetected,
    Health,
    Heartbeat,
    Message,
    topics,
)


class MonitorOptions(msgspec.Struct, forbid_unknown_fields=True):
    """`[actors.options]` of the monitor."""

    stale_after_s: float = 5.0
    gap_alert_every_s: float = 60.0
    summary_every_s: float = 5.0
    """Log the engine summary this often (0: never)."""
    connect_grace_s: float = 15.0
    """A component never up yet may be down (connecting) this long before it is an alert."""


log = logging.getLogger("pyengine.monitor")

CONNECTING = "connecting"
"""`Health.detail` of a component that is starting and not connected yet (actors/feed.py)."""


class Monitor(Actor):
    """Alerts on stale heartbeats (and clears them), sequence gaps and components going down."""

    subscribe = (
        topics.HEARTBEAT,
        topics.HEALTH,
        topics.SUP,
        topics.MD_VALIDITY,
        topics.EXEC,
        topics.ALERT,
    )
    timer_interval = 0.5

    def __init__(self, ctx: ActorContext) -> None:
        super().__init__(ctx)
        self.opts = ctx.options_as(MonitorOptions)
        self.last_seen: dict[str, int] = {}
        self.stale: set[str] = set()
        self.gap_alerted: dict[tuple[str, str, str], int] = {}
        self.down: set[str] = set()
        self.been_up: set[str] = set()
        self.starting: dict[str, tuple[int, Health]] = {}
        """Components down since they first reported, never up yet: (first seen, last)."""
        self.alerts = 0
        self.summary = MarketSummary()
        self.next_summary_ns = 0

    def _alert(self, now: int, severity: str, code: str, key: str, text: str) -> AlertRaised:
        self.alerts += 1
        alert = AlertRaised(
            ts_event=now,
            ts_recv=now,
            alert_id=f"{code}.{key}",
            severity=severity,
            source=self.name,
            code=code,
            text=text,
        )
        self.summary.observe(alert)  # our own alerts do not come back to us
        return alert

    def _cleared(self, now: int, alert_id: str) -> AlertCleared:
        cleared = AlertCleared(ts_event=now, ts_recv=now, alert_id=alert_id, source=self.name)
        self.summary.observe(cleared)
        return cleared

    def handle(self, msg: Message) -> list[Message]:
        self.summary.observe(msg)
        now = self.now()
        if isinstance(msg, Heartbeat):
            self.last_seen[msg.actor] = now
            if msg.actor in self.stale:
                self.stale.discard(msg.actor)
                return [self._cleared(now, f"heartbeat.missing.{msg.actor}")]
            return []
        if isinstance(msg, GapDetected):
            key = (msg.actor, msg.peer, msg.peer_topic)
            last = self.gap_alerted.get(key, 0)
            if now - last >= int(self.opts.gap_alert_every_s * 1e9):
                self.gap_alerted[key] = now
                return [
                    self._alert(
                        now,
                        "warning",
                        "bus.gap",
                        f"{msg.actor}.{msg.peer}.{msg.peer_topic}",
                        f"{msg.actor} missed {msg.missing} message(s) of {msg.peer_topic}"
                        f" from {msg.peer}",
                    )
                ]
            return []
        if isinstance(msg, Health):
            return self._health(now, msg)
        return []

    def _health(self, now: int, msg: Health) -> list[Message]:
        component = msg.component
        if msg.status != "down":
            self.been_up.add(component)
            self.starting.pop(component, None)
            if msg.status == "ok" and component in self.down:
                self.down.discard(component)
                return [self._cleared(now, f"health.down.{component}")]
            return []
        if component in self.down:
            return []
        if component not in self.been_up and msg.detail == CONNECTING:
            first = self.starting.get(component, (now, msg))[0]
            self.starting[component] = (first, msg)
            return self._late_start(now)
        return [self._down(now, msg, msg.detail)]

    def _down(self, now: int, msg: Health, detail: str) -> AlertRaised:
        self.down.add(msg.component)
        self.starting.pop(msg.component, None)
        text = f"{msg.component} is down: {detail}"
        return self._alert(now, "critical", "health.down", msg.component, text)

    def _late_start(self, now: int) -> list[Message]:
        """Components still down after the grace period of their start."""
        grace = int(self.opts.connect_grace_s * 1e9)
        late = [(c, f, m) for c, (f, m) in self.starting.items() if now - f >= grace]
        return [
            self._down(now, m, f"{m.detail} (not up {(now - first) / 1e9:.0f}s after start)")
            for _, first, m in late
        ]

    def on_timer(self, now_ns: int) -> list[Message]:
        every = int(self.opts.summary_every_s * 1e9)
        if every > 0 and now_ns >= self.next_summary_ns:
            if self.next_summary_ns:
                log.info("%s", self.summary.line())
            self.next_summary_ns = now_ns + every
        out: list[Message] = self._late_start(now_ns)
        limit = int(self.opts.stale_after_s * 1e9)
        for actor, seen in self.last_seen.items():
            if actor not in self.stale and now_ns - seen > limit:
                self.stale.add(actor)
                out.append(
                    self._alert(
                        now_ns,
                        "critical",
                        "heartbeat.missing",
                        actor,
                        f"no heartbeat from {actor} for {(now_ns - seen) / 1e9:.1f}s",
                    )
                )
        return out
