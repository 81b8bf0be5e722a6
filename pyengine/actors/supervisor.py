"""Restarts failed actors (tasks or processes) with backoff; escalates per SPEC §8.

Playbook "internal component fails → quarantine, self-heal, else auto-pause mint/redeem":
every failure restarts the actor after an exponential backoff (self-heal); when an actor
fails `max_failures` times within `failure_window_s`, the supervisor raises a critical alert
and publishes `PauseMinting` (once per actor, until a person resumes minting), and keeps
trying at the maximum backoff.

A failure of the store (`StoreError`, e.g. an I/O error or a full disk under the recorder) is
not waited out: nothing may be acted on that cannot be recorded, so the first one publishes
`PauseMinting` and `Health(store, down)` at once (the risk gate refuses orders and the monitor
alerts until the recorder reports the store ok again).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from pyengine.actors.base import Actor, ActorContext
from pyengine.clock import Clock
from pyengine.messages import (
    ActorRestarted,
    AlertRaised,
    GapDetected,
    Health,
    Heartbeat,
    Message,
    PauseMinting,
    ResumeMinting,
    topics,
)
from pyengine.messages.portfolio import PortfolioSnapshot, PortfolioView
from pyengine.store.base import StoreError

log = logging.getLogger("pyengine.supervisor")


@dataclass(frozen=True, slots=True)
class RestartPolicy:
    """Backoff and escalation thresholds."""

    backoff_initial_s: float = 0.1
    backoff_max_s: float = 5.0
    max_failures: int = 3
    failure_window_s: float = 60.0

    def backoff(self, recent_failures: int) -> float:
        """Seconds to wait before the next start after `recent_failures` failures."""
        return float(
            min(self.backoff_max_s, self.backoff_initial_s * 2.0 ** max(0, recent_failures - 1))
        )


class Supervisor:
    """Runs `start()` coroutines again after they fail."""

    def __init__(
        self,
        policy: RestartPolicy,
        clock: Clock,
        emit: Callable[[list[Message]], None],
    ) -> None:
        self.policy = policy
        self.clock = clock
        self.emit = emit
        self.restarts: dict[str, int] = {}
        self.escalated: set[str] = set()
        self.stopping = False
        self.paused_ns = 0

    def failed(
        self, name: str, error: str, failures: deque[int], store_fault: bool = False
    ) -> float:
        """Record one failure; returns the backoff before the next start."""
        now = self.clock.now_ns()
        failures.append(now)
        window_ns = int(self.policy.failure_window_s * 1e9)
        while failures and now - failures[0] > window_ns:
            failures.popleft()
        self.restarts[name] = self.restarts.get(name, 0) + 1
        backoff = self.policy.backoff(len(failures))
        log.error("%s failed (%s); restart %d in %.2fs", name, error, self.restarts[name], backoff)
        msgs: list[Message] = [
            ActorRestarted(
                ts_event=now,
                ts_recv=now,
                actor=name,
                attempt=self.restarts[name],
                error=error[:500],
                backoff_s=backoff,
            )
        ]
        if store_fault:
            msgs += self._store_down(now, name, error)
        if len(failures) >= self.policy.max_failures and name not in self.escalated:
            self.escalated.add(name)
            text = (
                f"{name} failed {len(failures)} times in {self.policy.failure_window_s:.0f}s "
                f"(last: {error[:200]}); minting paused"
            )
            log.critical(text)
            msgs.append(
                AlertRaised(
                    ts_event=now,
                    ts_recv=now,
                    alert_id=f"actor.failing.{name}.{now}",
                    severity="critical",
                    source="supervisor",
                    code="actor.failing",
                    text=text,
                )
            )
            msgs.append(PauseMinting(ts_event=now, ts_recv=now, reason=text, by="supervisor"))
            self.paused_ns = now
        self.emit(msgs)
        return backoff

    def _store_down(self, now: int, name: str, error: str) -> list[Message]:
        text = f"store failed under {name} ({error[:200]}); minting and trading paused"
        log.critical(text)
        self.paused_ns = now
        return [
            Health(ts_event=now, ts_recv=now, component="store", status="down", detail=text),
            PauseMinting(ts_event=now, ts_recv=now, reason=text, by="supervisor"),
        ]

    async def supervise(self, name: str, start: Callable[[], Awaitable[None]]) -> None:
        """Run `start()` until it returns (graceful) or the supervisor is stopping."""
        failures: deque[int] = deque()
        while True:
            try:
                await start()
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self.stopping:
                    log.warning("%s ended during shutdown: %s", name, exc)
                    return
                backoff = self.failed(
                    name,
                    f"{type(exc).__name__}: {exc}",
                    failures,
                    store_fault=isinstance(exc, StoreError),
                )
            await asyncio.sleep(backoff)
            if self.stopping:
                return


class SupervisorActor(Actor):
    """The engine's own actor: publishes for the supervisor, collects heartbeats for status."""

    subscribe = (
        topics.HEARTBEAT,
        topics.SUP,
        topics.HEALTH_GAP,
        topics.CTL_MINT,
        topics.STATUS_PORTFOLIO,
    )

    def __init__(self, ctx: ActorContext) -> None:
        super().__init__(ctx)
        self.heartbeats: dict[str, Heartbeat] = {}
        self.rates: dict[str, float] = {}
        self.gap_missing: dict[str, int] = {}
        self.paused_ns = 0
        self.resumed_ns = 0
        self.portfolio: PortfolioView | None = None

    def handle(self, msg: Message) -> list[Message]:
        if isinstance(msg, Heartbeat):
            prev = self.heartbeats.get(msg.actor)
            if prev is not None and msg.ts_event > prev.ts_event and msg.handled >= prev.handled:
                dt = (msg.ts_event - prev.ts_event) / 1e9
                self.rates[msg.actor] = (msg.handled - prev.handled) / dt
            self.heartbeats[msg.actor] = msg
        elif isinstance(msg, GapDetected):
            self.gap_missing[msg.actor] = self.gap_missing.get(msg.actor, 0) + msg.missing
        elif isinstance(msg, PauseMinting):
            self.paused_ns = max(self.paused_ns, msg.ts_event)
        elif isinstance(msg, ResumeMinting):
            self.resumed_ns = max(self.resumed_ns, msg.ts_event)
        elif isinstance(msg, PortfolioSnapshot):
            self.portfolio = msg.view
        return []

    def minting_paused(self, own_pause_ns: int = 0) -> bool:
        """Paused by anyone (including this process's supervisor) after the last resume."""
        return max(self.paused_ns, own_pause_ns) > self.resumed_ns
