"""The monitor: turns missing heartbeats, gaps and bad health into alerts for people, and
logs a one-line engine summary every few seconds."""

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


log = logging.getLogger("pyengine.monitor")


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
            if msg.status == "down" and msg.component not in self.down:
                self.down.add(msg.component)
                return [
                    self._alert(
                        now,
                        "critical",
                        "health.down",
                        msg.component,
                        f"{msg.component} is down: {msg.detail}",
                    )
                ]
            if msg.status == "ok" and msg.component in self.down:
                self.down.discard(msg.component)
                return [self._cleared(now, f"health.down.{msg.component}")]
        return []

    def on_timer(self, now_ns: int) -> list[Message]:
        every = int(self.opts.summary_every_s * 1e9)
        if every > 0 and now_ns >= self.next_summary_ns:
            if self.next_summary_ns:
                log.info("%s", self.summary.line())
            self.next_summary_ns = now_ns + every
        out: list[Message] = []
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
