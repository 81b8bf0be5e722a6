"""The async half of an actor: owns its sockets and feeds the synchronous `handle`.

One runner per actor. Its sockets (a bound PUB, a bound ROUTER mailbox, a SUB connected to
every peer's PUB, one DEALER per destination mailbox) live as long as the runner, so a
restarted actor keeps its address, its queued input and its unacknowledged output. Each life
of the actor gets a new `epoch`; its per-topic sequence numbers start again at 1.

Input reaches `handle` from four places, one task each, all in the life's task group: the
SUB, the mailbox, the timer, and the actor's own declared sources; the effects `handle`
returns run in the same group and answer through `handle` (`pyengine.actors.effects`). So
an exception anywhere in a life ends that life, and ending a life cancels all of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial

import msgspec

from pyengine.actors.base import Actor, ActorContext
from pyengine.actors.directory import Directory
from pyengine.actors.effects import Call, Effects, Output, Stream, release
from pyengine.bus import (
    ACK,
    MSG,
    NACK,
    Bus,
    Channel,
    DedupWindow,
    Frames,
    Gap,
    Outbox,
    SequenceTracker,
    delivery_key,
)
from pyengine.clock import Clock, SequentialIds, SystemClock
from pyengine.messages import DecodeError, GapDetected, Heartbeat, Message, decode, encode

log = logging.getLogger("pyengine.actors")

ActorFactory = Callable[[ActorContext], Actor]


@dataclass(frozen=True, slots=True)
class RunnerSettings:
    """Timing and batching of one runner."""

    heartbeat_s: float = 1.0
    ack_timeout_s: float = 0.5
    tick_s: float = 0.05
    max_batch: int = 1024
    cleanup_timeout_s: float = 2.0
    """Longest wait for an actor's `cleanups` at the end of a life."""


@dataclass(slots=True)
class Counters:
    """What a runner counts; heartbeats and status carry it."""

    handled: int = 0
    published: int = 0
    rejected: int = 0
    failed: int = 0


class ActorRunner:
    """Runs one actor (and its restarts) on the event loop."""

    def __init__(
        self,
        name: str,
        factory: ActorFactory,
        bus: Bus,
        directory: Directory,
        *,
        clock: Clock | None = None,
        settings: RunnerSettings | None = None,
        options: dict[str, object] | None = None,
        store_url: str = "",
        on_gap: Callable[[str, Gap], None] | None = None,
    ) -> None:
        self.name = name
        self.factory = factory
        self.bus = bus
        self.directory = directory
        self.clock = clock or SystemClock()
        self.settings = settings or RunnerSettings()
        self.options = dict(options or {})
        self.store_url = store_url
        self.on_gap = on_gap
        self.actor: Actor | None = None
        self.epoch = 0
        self.state = "new"
        self.counters = Counters()
        self.tracker = SequenceTracker()
        self.outbox = Outbox()
        self.dedup = DedupWindow()
        self.peers_seen: dict[str, int] = {}
        self.last_input_ns = 0
        self.last_mailbox_ns = 0
        self._seq: dict[str, int] = {}
        self._pub: Channel | None = None
        self._sub: Channel | None = None
        self._mailbox: Channel | None = None
        self._dealers: dict[str, Channel] = {}
        self._service: list[asyncio.Task[None]] = []
        self._wanted: tuple[str, ...] = ()
        self._draining = False
        self._opened = False
        self._recovery: Iterable[Message] | None = None
        self._snapshot: bytes | Callable[[], bytes | None] | None = None
        self._log_budget = 20
        self._first: Actor | None = None
        self._effects: Effects | None = None

    def open(self) -> None:
        """Create and bind/connect the sockets (once per runner)."""
        if self._opened:
            return
        me = self.directory[self.name]
        # The first life is built now: its topics say what the SUB subscribes to.
        self._first = self._new_life()
        subscribe, _ = self._first.topics()
        self._wanted = subscribe
        self._pub = self.bus.pub(me.pub)
        self._mailbox = self.bus.router(me.mailbox)
        self._sub = self.bus.sub(self.directory.pubs(exclude=self.name), (*subscribe, "hb."))
        self._opened = True
        loop = asyncio.get_running_loop()
        self._service.append(loop.create_task(self._tick_loop(), name=f"{self.name}.tick"))

    def _new_life(self) -> Actor:
        self.epoch = max(self.clock.now_ns(), self.epoch + 1)
        return self.factory(self._context(self.epoch))

    def _context(self, epoch: int) -> ActorContext:
        return ActorContext(
            name=self.name,
            clock=self.clock,
            ids=SequentialIds(f"{self.name}-{epoch}"),
            options=self.options,
            epoch=epoch,
            store_url=self.store_url,
        )

    def spare(self) -> Actor:
        """An instance built as a life is, never run (the runtime's recovery fold)."""
        return self.factory(self._context(0))

    def set_recovery(
        self,
        journal: Iterable[Message],
        snapshot: bytes | Callable[[], bytes | None] | None = None,
    ) -> None:
        """What the next life of the actor is rebuilt from: `Actor.restore(snapshot)`
        (when given; a callable is read when the life starts, so a large state is not
        held until then), then `Actor.recover(journal)` (the messages after it)."""
        self._recovery = journal  # read lazily (a long journal is streamed, not held)
        self._snapshot = snapshot

    async def run(self) -> None:
        """One life of the actor; returns on graceful stop, raises if the actor broke."""
        self.open()
        actor, self._first = self._first or self._new_life(), None
        self.actor = actor
        self.state = "running" if not self._draining else "draining"
        try:
            async with asyncio.TaskGroup() as tg:
                effects = Effects(self.name, tg, self.clock, partial(self._deliver, actor))
                self._effects = effects
                snapshot = self._snapshot() if callable(self._snapshot) else self._snapshot
                self._snapshot = None
                if snapshot is not None:
                    actor.restore(snapshot)
                    del snapshot  # the actor holds its state now; the blob is not needed
                    actor.recover(self._recovery or ())
                elif self._recovery is not None:
                    actor.recover(self._recovery)
                self._recovery, self._snapshot = None, None
                self.emit(actor.on_start())
                known = self.tracker.positions()
                for src, topic, epoch, seq in actor.resume_positions():
                    if (src, topic) not in known:
                        self.tracker.restore(src, topic, epoch, seq)
                tg.create_task(self._sub_loop(actor), name=f"{self.name}.sub")
                tg.create_task(self._mailbox_loop(actor), name=f"{self.name}.mailbox")
                if actor.timer_period() is not None:
                    tg.create_task(self._timer_loop(actor), name=f"{self.name}.timer")
                if not self._draining:
                    effects.read(actor.sources())
        except BaseException as exc:
            self._effects = None
            if isinstance(exc, asyncio.CancelledError):
                await self._finish(actor)
                raise
            self.counters.failed += 1
            self.state = "failed"
            with contextlib.suppress(Exception):
                actor.close()
            await self._cleanup(actor)
            if isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
                raise exc.exceptions[0] from None
            raise

    async def _finish(self, actor: Actor) -> None:
        """Graceful end of a life: flush, close, release."""
        try:
            actor.flush()
        finally:
            actor.close()
            self.state = "stopped"
            await self._cleanup(actor)

    async def _cleanup(self, actor: Actor) -> None:
        await release(self.name, actor, self.settings.cleanup_timeout_s)

    def _deliver(self, actor: Actor, msg: Message) -> None:
        """One reply or source item to `handle`, as the SUB loop does for one message."""
        self.counters.handled += 1
        out = actor.handle(msg)
        if out:
            self.emit(out)
        actor.flush()
        self.last_input_ns = self.clock.now_ns()

    def _start(self, effect: Call | Stream) -> None:
        effects = self._effects
        if effects is None:
            log.warning("%s: effect %s outside a life dropped", self.name, effect.correlation_id)
            return
        effects.start(effect)

    def emit(self, msgs: Iterable[Output]) -> None:
        """Stamp, publish and (for critical messages) deliver with acknowledgement; start
        the effects among them."""
        pub = self._pub
        if pub is None:
            raise RuntimeError(f"{self.name}: emit before open()")
        replace = msgspec.structs.replace
        for msg in msgs:
            if not isinstance(msg, Message):
                self._start(msg)
                continue
            topic = msg.topic()
            seq = self._seq.get(topic, 0) + 1
            self._seq[topic] = seq
            stamped = replace(msg, src=self.name, epoch=self.epoch, seq=seq)
            payload = encode(stamped)
            tb = topic.encode()
            pub.send((tb, payload))
            self.counters.published += 1
            if msg.CRITICAL:
                dests = self.directory.reliable_for(topic)
                if dests:
                    key = delivery_key(self.name, self.epoch, topic, seq)
                    now = self.clock.now_ns()
                    for peer in dests:
                        if peer.name == self.name:
                            continue
                        frames = [MSG, key, tb, payload]
                        sent = self._dealer(peer.name).send(frames)
                        self.outbox.add(peer.name, key, frames, now, sent)

    def _dealer(self, dest: str) -> Channel:
        chan = self._dealers.get(dest)
        if chan is None:
            chan = self.bus.dealer(self.directory[dest].mailbox)
            self._dealers[dest] = chan
            loop = asyncio.get_running_loop()
            self._service.append(
                loop.create_task(self._ack_loop(dest, chan), name=f"{self.name}.ack.{dest}")
            )
        return chan

    def _reject(self, what: str, detail: object) -> None:
        self.counters.rejected += 1
        if self._log_budget > 0 or self.counters.rejected % 1000 == 0:
            self._log_budget -= 1
            log.warning(
                "%s: rejected %s (%s); total %d", self.name, what, detail, self.counters.rejected
            )

    async def _sub_loop(self, actor: Actor) -> None:
        sub = self._sub
        assert sub is not None
        wanted = self._wanted
        tracker = self.tracker
        counters = self.counters
        handle = actor.handle
        max_batch = self.settings.max_batch
        while True:
            batch = await sub.recv_batch(max_batch)
            for frames in batch:
                if len(frames) != 2:
                    self._reject("frames", f"{len(frames)} frames, expected [topic, payload]")
                    continue
                try:
                    msg = decode(frames[1])
                except DecodeError as exc:
                    self._reject("payload", exc)
                    continue
                topic = frames[0].decode("utf-8", "replace")
                verdict = tracker.check(msg.src, topic, msg.epoch, msg.seq)
                if verdict is False:
                    continue
                if isinstance(verdict, Gap):
                    self._gap(verdict)
                if type(msg) is Heartbeat:
                    self.peers_seen[msg.src] = self.clock.now_ns()
                    if not topic.startswith(wanted):
                        continue
                counters.handled += 1
                out = handle(msg)
                if out:
                    self.emit(out)
            actor.flush()
            self.last_input_ns = self.clock.now_ns()

    def _gap(self, gap: Gap) -> None:
        log.warning(
            "%s: gap on %s from %s: expected seq %d, got %d (%d missing)",
            self.name,
            gap.topic,
            gap.src,
            gap.expected,
            gap.received,
            gap.missing,
        )
        if self.on_gap is not None:
            self.on_gap(self.name, gap)
        now = self.clock.now_ns()
        self.emit(
            [
                GapDetected(
                    ts_event=now,
                    ts_recv=now,
                    actor=self.name,
                    peer=gap.src,
                    peer_topic=gap.topic,
                    expected=gap.expected,
                    received=gap.received,
                    missing=gap.missing,
                )
            ]
        )

    async def _mailbox_loop(self, actor: Actor) -> None:
        box = self._mailbox
        assert box is not None
        max_batch = self.settings.max_batch
        dedup = self.dedup
        while True:
            batch = await box.recv_batch(max_batch)
            replies: list[Frames] = []
            done: list[bytes] = []
            in_batch: set[bytes] = set()
            for frames in batch:
                if len(frames) != 5 or frames[1] != MSG:
                    self._reject("mailbox frames", f"{len(frames)} frames")
                    if len(frames) >= 3:
                        replies.append([frames[0], NACK, frames[2], b"malformed frames"])
                    continue
                ident, _, key, _, payload = frames
                if key in in_batch or dedup.seen(key):
                    replies.append([ident, ACK, key])
                    continue
                try:
                    msg = decode(payload)
                except DecodeError as exc:
                    self._reject("mailbox payload", exc)
                    replies.append([ident, NACK, key, str(exc).encode()])
                    continue
                self.counters.handled += 1
                self.emit(actor.handle(msg))
                in_batch.add(key)
                done.append(key)
                replies.append([ident, ACK, key])
            actor.flush()
            for key in done:
                dedup.remember(key)
            for reply in replies:
                box.send(reply)
            self.last_input_ns = self.last_mailbox_ns = self.clock.now_ns()

    async def _ack_loop(self, dest: str, chan: Channel) -> None:
        outbox = self.outbox
        while True:
            batch = await chan.recv_batch(self.settings.max_batch)
            for frames in batch:
                if len(frames) >= 2 and frames[0] == ACK:
                    outbox.ack(dest, frames[1])
                elif len(frames) >= 3 and frames[0] == NACK:
                    if outbox.reject(dest, frames[1]) is not None:
                        log.error(
                            "%s: %s refused critical message %s: %s",
                            self.name,
                            dest,
                            frames[1].decode(errors="replace"),
                            frames[2].decode(errors="replace"),
                        )
                else:
                    self._reject("ack frames", f"{len(frames)} frames")

    async def _timer_loop(self, actor: Actor) -> None:
        interval = actor.timer_period()
        assert interval is not None
        while True:
            await asyncio.sleep(interval)
            if not self._draining:
                self.emit(actor.on_timer(self.clock.now_ns()))

    async def _tick_loop(self) -> None:
        """Heartbeats and resends; runs for the runner's whole life, across restarts."""
        hb_ns = int(self.settings.heartbeat_s * 1e9)
        timeout_ns = int(self.settings.ack_timeout_s * 1e9)
        last_hb = 0
        while True:
            now = self.clock.now_ns()
            for item in self.outbox.due(now, timeout_ns):
                if self._dealer(item.dest).send(item.frames):
                    if item.sent_ns:
                        self.outbox.resent += 1
                    item.sent_ns = now
                    item.attempts += 1
            if now - last_hb >= hb_ns and self._pub is not None:
                last_hb = now
                self.emit([self.heartbeat(now)])
            await asyncio.sleep(self.settings.tick_s)

    def heartbeat(self, now: int) -> Heartbeat:
        """This runner's heartbeat (also its hello to late joiners)."""
        c = self.counters
        return Heartbeat(
            ts_event=now,
            ts_recv=now,
            actor=self.name,
            pid=os.getpid(),
            state=self.state,
            handled=c.handled,
            published=c.published,
            gaps=self.tracker.gaps,
            rejected=c.rejected,
            outbox=len(self.outbox),
        )

    def drain(self) -> None:
        """Stop timers and sources (no new work), let the actor say its last words
        (`on_stop`), and keep handling and resending until the engine closes us."""
        if self._draining:
            return
        self._draining = True
        if self.state == "running":
            self.state = "draining"
        if self._effects is not None:
            self._effects.stop_sources()
        if self.actor is not None and self.state == "draining":
            self.emit(self.actor.on_stop())

    @property
    def drained(self) -> bool:
        """True when no critical message of ours waits for an acknowledgement."""
        return len(self.outbox) == 0

    async def close(self) -> None:
        """Stop the service tasks and close the sockets."""
        for task in self._service:
            task.cancel()
        for task in self._service:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._service.clear()
        for chan in (self._sub, self._mailbox, self._pub, *self._dealers.values()):
            if chan is not None and not chan.closed:
                chan.close(self.bus.hwm.close_linger_ms)
        self._dealers.clear()
        self.state = "stopped"
