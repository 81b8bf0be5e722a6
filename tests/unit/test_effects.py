"""The actor runner's I/O seam: declared sources and returned effects, on the runner's loop,
clock, cancellation and error policy (`pyengine.actors.effects`)."""

from __future__ import annotations

import ast
import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

import pytest

from pyengine.actors.base import Actor, ActorContext
from pyengine.actors.directory import Directory, PeerAddress
from pyengine.actors.effects import Call, Output, Source, Stream
from pyengine.actors.runner import ActorRunner, RunnerSettings
from pyengine.bus import Bus
from pyengine.clock import SystemClock
from pyengine.messages import Heartbeat, Message
from pyengine.messages.effects import Failed, Received, Replied
from tests.conftest import async_wait_until

MS = 1_000_000


class Io(Actor):
    """Returns `start` from on_start, declares `inputs` as sources; keeps what reaches it."""

    def __init__(
        self,
        ctx: ActorContext,
        start: Sequence[Output] = (),
        inputs: Sequence[Source] = (),
        fail_on: str = "",
    ) -> None:
        super().__init__(ctx)
        self.start, self.inputs, self.fail_on = start, inputs, fail_on
        self.got: list[Message] = []
        self.released = 0

    def on_start(self) -> Sequence[Output]:
        return self.start

    def sources(self) -> Sequence[Source]:
        return self.inputs

    def handle(self, msg: Message) -> list[Output]:
        self.got.append(msg)
        if isinstance(msg, Replied) and msg.correlation_id == self.fail_on:
            raise RuntimeError("broken invariant")
        return []

    def cleanups(self) -> Sequence[Callable[[], Awaitable[object]]]:
        return (self._release,)

    async def _release(self) -> None:
        self.released += 1


def runner(factory: Callable[[ActorContext], Actor]) -> ActorRunner:
    d = Directory([PeerAddress("io", "inproc://fx.io.pub", "inproc://fx.io.box")])
    return ActorRunner("io", factory, Bus(), d, settings=RunnerSettings(heartbeat_s=60))


def run(main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(asyncio.wait_for(main(), 20))


async def life(r: ActorRunner, until: Callable[[], bool], what: str) -> Io:
    """Run one life of `r` until `until()`, then stop it (graceful)."""
    r.open()
    task = asyncio.get_running_loop().create_task(r.run())
    try:
        await async_wait_until(until, 5, what)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await r.close()
    a = r.actor
    assert isinstance(a, Io)
    return a


def got(r: ActorRunner) -> list[Message]:
    return r.actor.got if isinstance(r.actor, Io) else []


async def value(x: object) -> object:
    await asyncio.sleep(0)
    return x


async def boom() -> object:
    raise ValueError("boom")


async def own_timeout() -> object:
    raise TimeoutError("the client's own")


def test_calls_answer_through_handle_with_typed_failures() -> None:
    """No timer: only the effect path can bring the replies, and it does at once."""
    cancelled: list[bool] = []

    async def forever() -> object:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.append(True)
            raise
        return None

    async def main() -> None:
        now = SystemClock().now_ns()  # the runner's clock
        start = [
            Call(lambda: value(42), "ok"),
            Call(boom, "bad"),
            Call(own_timeout, "slow-client"),
            Call(forever, "late", deadline_ns=now + 20 * MS),
        ]
        r = runner(lambda ctx: Io(ctx, start=start))
        a = await life(r, lambda: len(got(r)) >= 4, "four answers")
        assert a.timer_period() is None
        by_id = {m.correlation_id: m for m in a.got if isinstance(m, Replied | Failed)}
        assert by_id["ok"] == Replied(correlation_id="ok", value=42)
        bad = by_id["bad"]
        assert isinstance(bad, Failed) and bad.reason == "error"
        assert bad.error == "ValueError: boom" and isinstance(bad.exception, ValueError)
        slow = by_id["slow-client"]
        assert isinstance(slow, Failed) and slow.reason == "error"  # not our deadline
        late = by_id["late"]
        assert isinstance(late, Failed) and late.reason == "timeout"
        assert cancelled == [True]  # the late call itself was cancelled
        assert a.released == 1  # cleanups ran at the end of the life

    run(main)


def test_streams_hand_each_item_then_their_end() -> None:
    async def items() -> AsyncIterator[object]:
        for i in range(3):
            await asyncio.sleep(0)
            yield i

    async def broken() -> AsyncIterator[object]:
        yield "first"
        raise ConnectionError("reset")

    async def main() -> None:
        start = [Stream(items, "s"), Stream(broken, "b")]
        r = runner(lambda ctx: Io(ctx, start=start))
        a = await life(r, lambda: len(got(r)) >= 6, "both streams")
        s = [m for m in a.got if isinstance(m, Replied | Failed) and m.correlation_id == "s"]
        assert [m.value for m in s if isinstance(m, Replied)] == [0, 1, 2]
        assert isinstance(s[-1], Failed) and s[-1].reason == "ended"
        b = [m for m in a.got if isinstance(m, Replied | Failed) and m.correlation_id == "b"]
        assert isinstance(b[0], Replied) and b[0].value == "first"
        assert isinstance(b[1], Failed) and b[1].reason == "error"
        assert b[1].error == "ConnectionError: reset"

    run(main)


def test_source_items_reach_handle_and_a_failing_source_fails_the_actor() -> None:
    async def feed() -> AsyncIterator[object]:
        yield Heartbeat(ts_event=1, ts_recv=1, actor="x", pid=1)  # a message passes as is
        yield [b"raw"]  # anything else arrives wrapped
        await asyncio.sleep(0)
        raise OSError("connection gave up")

    async def main() -> None:
        r = runner(lambda ctx: Io(ctx, inputs=[Source(feed, "wire")]))
        r.open()
        with pytest.raises(OSError, match="connection gave up"):
            await r.run()  # the supervisor sees exactly this, as for an error in handle
        a = r.actor
        assert isinstance(a, Io) and a.released == 1
        assert isinstance(a.got[0], Heartbeat)
        assert a.got[1] == Received(source="wire", item=[b"raw"])
        assert r.counters.failed == 1 and r.state == "failed"
        await r.close()

    run(main)


def test_an_exception_in_handle_on_a_reply_is_the_actors_failure_not_the_calls() -> None:
    async def main() -> None:
        r = runner(lambda ctx: Io(ctx, start=[Call(lambda: value(1), "x")], fail_on="x"))
        r.open()
        with pytest.raises(RuntimeError, match="broken invariant"):
            await r.run()
        await r.close()

    run(main)


def test_draining_stops_the_sources_and_a_new_life_gets_no_old_reply() -> None:
    async def ticks() -> AsyncIterator[object]:
        n = 0
        while True:
            await asyncio.sleep(0.001)
            n += 1
            yield n

    async def slow() -> object:
        await asyncio.sleep(0.2)
        return "old"

    async def main() -> None:
        lives = 0

        def factory(ctx: ActorContext) -> Actor:
            nonlocal lives
            lives += 1
            start = [Call(slow, "old")] if lives == 1 else []
            return Io(ctx, start=start, inputs=[Source(ticks, "ticks")])

        r = runner(factory)
        r.open()
        task = asyncio.get_running_loop().create_task(r.run())
        await async_wait_until(lambda: len(got(r)) >= 3, 5, "ticks")
        task.cancel()  # a restart: the first life and its call end here
        await asyncio.gather(task, return_exceptions=True)
        first = r.actor
        task = asyncio.get_running_loop().create_task(r.run())
        await async_wait_until(lambda: r.actor is not first and len(got(r)) >= 3, 5, "life 2")
        r.drain()
        await asyncio.sleep(0.05)
        n = len(got(r))
        await asyncio.sleep(0.3)  # past the old call's answer time
        assert len(got(r)) == n  # no more ticks, and no reply from the first life
        assert not any(isinstance(m, Replied) and m.value == "old" for m in got(r))
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await r.close()

    run(main)


def test_no_actor_module_runs_its_own_io() -> None:
    """Actors declare sources and return effects; only the runner (and the supervisor that
    runs runners) touch the event loop. A new pump in an actor module fails here."""
    actors = Path(__file__).resolve().parents[2] / "pyengine" / "actors"
    loop_owners = {"runner.py", "effects.py", "supervisor.py"}
    offenders: list[str] = []
    for path in sorted(actors.glob("*.py")):
        if path.name in loop_owners:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import) and any(a.name == "asyncio" for a in node.names):
                offenders.append(f"{path.name}: import asyncio")
            elif isinstance(node, ast.ImportFrom) and node.module == "asyncio":
                offenders.append(f"{path.name}: from asyncio import ...")
            elif isinstance(node, ast.Attribute) and node.attr in ("create_task", "ensure_future"):
                offenders.append(f"{path.name}: {node.attr}")
    assert offenders == []
