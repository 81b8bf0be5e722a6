"""The engine process: runs one process group's actors, supervises them, and (in `main`)
spawns and supervises the other groups' processes and serves the control socket.

Graceful shutdown (SIGINT, SIGTERM, SIGHUP, `--duration`, or a `Shutdown` request). SIGHUP
(a closed terminal or ssh session) stops it like SIGTERM; under a service manager
(`service=True`, `pyengine run --service`) it is ignored and logged. Signals are handled on
the event loop, between messages, so none interrupts a write:

1. every local actor drains: timers stop (sources go quiet), `on_stop` runs, input is still
   handled and unacknowledged output still resent;
2. `main` sends SIGTERM to the other processes, which drain the same way and exit once their
   outboxes are empty, and waits for them;
3. each process waits until no local outbox holds an unacknowledged message (every critical
   message is then durable at its receivers), up to `shutdown_timeout_s`, and reports any
   that remain;
4. actors flush and close, then the shutdown hooks the process's parts registered run
   (`pyengine.shutdown`: the simulated world stops), and the sockets close.

Recovery (`pyengine.runtime.recovery`): before an actor's first life, and again before each
restart, it is rebuilt from the journal's critical messages (`RECOVER_PREFIXES`): from its
last snapshot and the journal after it when it takes snapshots (`pyengine.runtime.checkpoint`:
constant time in the journal's history), else from the whole journal (`Actor.recover`).
What each recovered is logged and shown by `pyengine status`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from pyengine.actors.base import Actor, ActorContext
from pyengine.actors.hedger import Hedger
from pyengine.actors.runner import ActorRunner, RunnerSettings
from pyengine.actors.supervisor import RestartPolicy, Supervisor, SupervisorActor
from pyengine.bus import Bus, Channel, CurveKeys, HighWaterMarks, load_keys
from pyengine.clock import SystemClock
from pyengine.messages import (
    ActorStatus,
    Shutdown,
    StatusReport,
    StatusRequest,
    decode,
    encode,
)
from pyengine.messages.control import HedgeRequestStatus, HedgingStatus
from pyengine.messages.critical import recover_prefixes
from pyengine.runtime.nodes import LocalNodes
from pyengine.runtime.plan import EnginePlan, supervisor_name
from pyengine.runtime.recovery import Recovery
from pyengine.runtime.sections import market_status, merge_sections
from pyengine.shutdown import run_shutdown_hooks

log = logging.getLogger("pyengine.engine")

RECOVER_PREFIXES = recover_prefixes()
"""The journaled messages marked `Message.RECOVER` (orders, fills, transfers, minting)."""


def curve_keys(plan: EnginePlan) -> CurveKeys | None:
    """Load the CURVE key files named in config (None when not configured)."""
    c = plan.config.bus.curve
    if c is None:
        return None
    return load_keys(
        Path(c.server_cert),
        Path(c.client_cert),
        Path(c.authorized_keys_dir) if c.authorized_keys_dir else None,
    )


class Engine:
    """One process of the engine."""

    def __init__(
        self,
        plan: EnginePlan,
        group: str = "main",
        *,
        config_path: str | None = None,
        strategies: list[str] | None = None,
        child_argv: Callable[[str], list[str]] | None = None,
        service: bool = False,
    ) -> None:
        self.plan = plan
        self.service = service
        self.cfg = plan.config
        self.group = group
        self.config_path = config_path
        self.strategies = strategies or []
        self.child_argv = child_argv
        self.clock = SystemClock()
        self.stop_event = asyncio.Event()
        self.started_ns = time.time_ns()
        self.runners: dict[str, ActorRunner] = {}
        self.children: dict[str, asyncio.subprocess.Process] = {}
        self.bus: Bus | None = None
        self.supervisor: Supervisor | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self.ready = asyncio.Event()
        self.nodes = LocalNodes()
        self.fault = ""
        self.recovery = Recovery(
            plan.store_url, plan.config.store, group, RECOVER_PREFIXES, self.clock.now_ns
        )
        cfg = self.cfg
        self.settings = RunnerSettings(
            heartbeat_s=cfg.bus.heartbeat_s,
            ack_timeout_s=cfg.bus.ack_timeout_s,
            max_batch=cfg.bus.max_batch,
        )
        self.policy = RestartPolicy(
            cfg.supervisor.backoff_initial_s,
            cfg.supervisor.backoff_max_s,
            cfg.supervisor.max_failures,
            cfg.supervisor.failure_window_s,
        )

    @property
    def sup_actor(self) -> SupervisorActor | None:
        r = self.runners.get(supervisor_name(self.group))
        return r.actor if r is not None and isinstance(r.actor, SupervisorActor) else None

    def request_stop(self, reason: str = "", fault: bool = False) -> None:
        """Stop gracefully; `fault`: the stop is itself a failure (exit code 1)."""
        if not self.stop_event.is_set():
            log.log(
                logging.ERROR if fault else logging.INFO,
                "%s: stopping (%s)",
                self.group,
                reason or "requested",
            )
            self.fault = self.fault or (reason if fault else "")
            self.stop_event.set()

    async def run(self, duration: float | None = None) -> int:
        """Run until stopped; returns the process exit code."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.request_stop, sig.name)
        if self.service:
            loop.add_signal_handler(
                signal.SIGHUP, log.info, "SIGHUP ignored (running as a service)"
            )
        else:
            loop.add_signal_handler(signal.SIGHUP, self.request_stop, "SIGHUP")
        hwm = HighWaterMarks(
            pub=self.cfg.bus.pub_hwm,
            sub=self.cfg.bus.sub_hwm,
            mailbox=self.cfg.bus.mailbox_hwm,
            dealer=self.cfg.bus.dealer_hwm,
        )
        self.bus = bus = Bus(hwm, curve_keys(self.plan))
        sup_name = supervisor_name(self.group)
        try:
            # bound before any actor starts: an engine nobody can reach or stop must not run
            control = (
                bus.router(self.cfg.control_endpoint, hwm=1000) if self.group == "main" else None
            )
            # before the actors: their local chain nodes, each its own process
            await self.nodes.start(self.plan.local(self.group))
            self.nodes.watch(lambda reason: self.request_stop(reason, fault=True))
            local: list[tuple[str, type[Actor], dict[str, Any]]] = [(sup_name, SupervisorActor, {})]
            local += [
                (a.name, a.cls, self.nodes.options(a.name, a.options))
                for a in self.plan.local(self.group)
                if a.name != sup_name
            ]
            for name, cls, options in local:
                runner = ActorRunner(
                    name,
                    cls,
                    bus,
                    self.plan.directory,
                    clock=self.clock,
                    settings=self.settings,
                    options=options,
                    store_url=self.plan.store_url,
                )
                runner.open()
                self.runners[name] = runner
            if control is not None:  # reachable while it recovers (a long replay says so)
                self._tasks.append(loop.create_task(self._control_loop(control), name="control"))
            await self.recovery.start(self.runners, sup_name)
            sup_runner = self.runners[sup_name]
            self.supervisor = Supervisor(self.policy, self.clock, sup_runner.emit)
            for name, runner in self.runners.items():
                life = runner.run if name == sup_name else functools.partial(self._life, runner)
                self._tasks.append(
                    loop.create_task(self.supervisor.supervise(name, life), name=f"sup.{name}")
                )
            if self.recovery.periodic:
                self._tasks.append(loop.create_task(self.recovery.loop(), name="checkpoints"))
            if self.group == "main":
                for group in self.cfg.processes()[1:]:
                    self._tasks.append(
                        loop.create_task(
                            self.supervisor.supervise(
                                f"process:{group}", self._child_starter(group)
                            ),
                            name=f"proc.{group}",
                        )
                    )
            else:
                self._tasks.append(loop.create_task(self._orphan_watch(), name="orphan"))
            self.ready.set()
            log.info(
                "%s: running %d actors (%s)%s",
                self.group,
                len(self.runners),
                ", ".join(self.runners),
                f" for {duration}s" if duration else "",
            )
            if duration is not None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stop_event.wait(), duration)
            else:
                await self.stop_event.wait()
            return await self._shutdown()
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                loop.remove_signal_handler(sig)
            if self.service:
                signal.signal(signal.SIGHUP, signal.SIG_IGN)  # still ignored while closing
            for task in self._tasks:
                task.cancel()
            for task in self._tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            for runner in self.runners.values():
                await runner.close()
            await self.nodes.stop()  # after the actors, whose clients talk to them
            await run_shutdown_hooks()
            bus.close()
            self.recovery.close()

    async def _life(self, runner: ActorRunner) -> None:
        """One life of an actor (a restart is rebuilt first: `Recovery.refresh`)."""
        if runner.epoch:
            await self.recovery.refresh(runner)
        await runner.run()

    async def _shutdown(self) -> int:
        assert self.supervisor is not None
        self.supervisor.stopping = True
        deadline = time.monotonic() + self.cfg.shutdown_timeout_s
        for runner in self.runners.values():
            try:
                runner.drain()
            except Exception:
                log.exception("%s: on_stop failed", runner.name)
        for proc in self.children.values():
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGTERM)
        for group, proc in list(self.children.items()):
            left = max(0.1, deadline - time.monotonic())
            try:
                await asyncio.wait_for(proc.wait(), left)
            except TimeoutError:
                log.error("process %s did not stop in time; killing it", group)
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
        quiet = 0
        quiet_ns = 200_000_000
        while time.monotonic() < deadline:
            now = self.clock.now_ns()
            if all(
                r.drained and now - r.last_mailbox_ns >= quiet_ns for r in self.runners.values()
            ):
                quiet += 1
                if quiet >= 3:
                    break
            else:
                quiet = 0
            await asyncio.sleep(0.05)
        unacked = {r.name: len(r.outbox) for r in self.runners.values() if len(r.outbox)}
        for name in self.runners:
            task = next((t for t in self._tasks if t.get_name() == f"sup.{name}"), None)
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        await self._final_snapshots()
        if unacked:
            log.error("%s: shut down with unacknowledged messages: %s", self.group, unacked)
            return 1
        failed = sorted(self.supervisor.escalated)
        if failed:
            # an actor that kept failing is a fault even if the rest stopped cleanly
            log.error("%s: stopped with failing actors: %s", self.group, ", ".join(failed))
            return 1
        if self.fault:
            log.error("%s: stopped because of a fault: %s", self.group, self.fault)
            return 1
        log.info("%s: stopped cleanly, nothing in flight", self.group)
        return 0

    async def _final_snapshots(self) -> None:
        task = next((t for t in self._tasks if t.get_name() == "checkpoints"), None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.recovery.final()

    async def _orphan_watch(self) -> None:
        parent = os.getppid()
        while True:
            await asyncio.sleep(0.5)
            if os.getppid() != parent:
                self.request_stop("parent process gone", fault=True)
                return

    def _child_starter(self, group: str) -> Callable[[], Awaitable[None]]:
        return lambda: self._child(group)

    async def _child(self, group: str) -> None:
        if self.child_argv is None:
            raise RuntimeError("no way to start child processes")
        argv = self.child_argv(group)
        proc = await asyncio.create_subprocess_exec(*argv)
        self.children[group] = proc
        log.info("started process %s (pid %d)", group, proc.pid)
        rc = await proc.wait()
        if self.supervisor is not None and self.supervisor.stopping:
            return
        raise RuntimeError(f"process {group} (pid {proc.pid}) exited with {rc}")

    def status(self) -> StatusReport:
        """The engine's status: every actor's last heartbeat, rates, gaps, restarts."""
        sup = self.sup_actor
        now = time.time_ns()
        restarts = dict(self.supervisor.restarts) if self.supervisor else {}
        actors: list[ActorStatus] = []
        for name, peer in self.plan.directory.peers.items():
            hb = sup.heartbeats.get(name) if sup else None
            runner = self.runners.get(name)
            if runner is not None:
                hb = runner.heartbeat(now)
            proc_restarts = restarts.get(f"process:{peer.process}", 0)
            actors.append(
                ActorStatus(
                    name=name,
                    process=peer.process,
                    state=hb.state if hb else "unknown",
                    last_heartbeat_ns=hb.ts_event if hb else 0,
                    handled=hb.handled if hb else 0,
                    published=hb.published if hb else 0,
                    rate_per_s=round(sup.rates.get(name, 0.0), 1) if sup else 0.0,
                    gaps=hb.gaps if hb else 0,
                    dropped=(
                        runner.tracker.missing
                        if runner
                        else (sup.gap_missing.get(name, 0) if sup else 0)
                    ),
                    rejected=hb.rejected if hb else 0,
                    outbox=hb.outbox if hb else 0,
                    restarts=restarts.get(name, 0) + proc_restarts,
                    pid=hb.pid if hb else 0,
                )
            )
        hedging = [
            HedgeRequestStatus(**row)
            for runner in self.runners.values()
            if isinstance(runner.actor, Hedger)
            for row in runner.actor.requests()
        ]
        sections = merge_sections(
            runner.actor.status_sections()
            for runner in self.runners.values()
            if runner.actor is not None
        )
        known: dict[str, Any] = {
            k: v for k, v in sections.items() if k in ("api", "chain", "minting", "quotes")
        }
        portfolio = sup.portfolio if sup else None
        venues, books = market_status(sections, portfolio.venues_down if portfolio else ())
        return StatusReport(
            **known,
            ts_event=now,
            ts_recv=now,
            hedging=HedgingStatus(requests=hedging),
            engine=self.cfg.name,
            pid=os.getpid(),
            started_ns=self.started_ns,
            minting_paused=bool(
                sup and sup.minting_paused(self.supervisor.paused_ns if self.supervisor else 0)
            ),
            actors=actors,
            portfolio=portfolio,
            venues=venues,
            books=books,
            recovered=self.recovery.recovered,
            recovery_ms=self.recovery.took_ms,
            recovering=self.recovery.active,
        )

    async def _control_loop(self, chan: Channel) -> None:
        endpoint = self.cfg.control_endpoint
        try:
            while True:
                for frames in await chan.recv_batch(64):
                    if len(frames) != 2:
                        continue
                    ident, payload = frames
                    try:
                        msg = decode(payload)
                    except Exception as exc:
                        log.warning("control: bad request (%s)", exc)
                        continue
                    if isinstance(msg, StatusRequest):
                        chan.send([ident, encode(self.status())])
                    elif isinstance(msg, Shutdown):
                        chan.send([ident, encode(self.status())])
                        self.request_stop(f"control: {msg.reason}")
        finally:
            chan.close()
            if endpoint.startswith("ipc://"):
                with contextlib.suppress(OSError):
                    Path(endpoint[len("ipc://") :]).unlink()


def default_child_argv(
    config_path: str, strategies: list[str], service: bool = False
) -> Callable[[str], list[str]]:
    """How `main` starts another process group of the same engine."""

    def argv(group: str) -> list[str]:
        out = [sys.executable, "-m", "pyengine.cli", "child", group, config_path]
        if service:
            out.append("--service")
        for s in strategies:
            out += ["--strategy", s]
        return out

    return argv


__all__ = ["ActorContext", "Engine", "default_child_argv"]
