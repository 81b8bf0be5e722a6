"""An actor's own I/O, run by its runner: declared sources in, effects out, replies back.

An actor stays a synchronous state machine. When it needs I/O it says so, and the runner
does it on the runner's loop, clock, cancellation and error policy:

- `Actor.sources()` declares the actor's own inputs for one life (a feed's frames): each is
  read by the runner, and every item goes to `handle` as it arrives (an item that is not a
  `Message` arrives wrapped in `Received`). An exception out of a source is the actor's
  failure, exactly like one out of `handle`: the supervisor restarts it with backoff and
  alerts. A source that ends just ends.
- `handle` (and `on_start`, `on_timer`, `on_stop`) may return effects among its messages:
  `Call(start, correlation_id, deadline_ns)` runs `start()` once and hands the result to
  `handle` as `Replied`, or a typed `Failed` (reason "timeout" when `deadline_ns` on the
  runner's clock passed first, "error" when it raised); `Stream(start, correlation_id)`
  hands each item as `Replied` and its end as `Failed` ("ended" or "error"). The actor, not
  the runner, decides what a failure means (retry, backoff, reject, or raise to fail).
- Effects and sources belong to one life: the runner cancels them when the actor stops or
  is restarted; a reply never reaches a later life. `Actor.cleanups()` are awaited after
  `close` (connections and sessions the life opened).

So a test drives an I/O actor with no event loop: call `handle`, look at the effects it
returned, and call `handle` again with the `Replied` / `Failed` the runner would deliver.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pyengine.messages import Message
from pyengine.messages.effects import Failed, FailReason, Received, Replied

if TYPE_CHECKING:
    from pyengine.actors.base import Actor
    from pyengine.clock import Clock

log = logging.getLogger("pyengine.actors")


@dataclass(frozen=True, slots=True)
class Call:
    """Run `start()` once; its result comes back to `handle` as `Replied(correlation_id)`."""

    start: Callable[[], Awaitable[object]]
    correlation_id: str
    deadline_ns: int = 0
    """Absolute time on the runner's clock after which the call is cancelled and answered
    `Failed(reason="timeout")`; 0: no deadline."""


@dataclass(frozen=True, slots=True)
class Stream:
    """Read `start()` until it ends; each item comes back as `Replied(correlation_id)`."""

    start: Callable[[], AsyncIterator[object]]
    correlation_id: str


@dataclass(frozen=True, slots=True)
class Source:
    """One declared input of an actor's life; `name` tags items wrapped in `Received`."""

    open: Callable[[], AsyncIterator[object]]
    name: str = "source"


Effect = Call | Stream
Output = Message | Effect
"""What `handle` and the hooks return: messages to publish and effects to run."""

Deliver = Callable[[Message], None]
"""Hand one message to the actor's `handle` and publish what it returns."""


def describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]


class Effects:
    """The running effects and sources of one life of one actor."""

    def __init__(self, name: str, tg: asyncio.TaskGroup, clock: Clock, deliver: Deliver) -> None:
        self.name = name
        self.tg = tg
        self.clock = clock
        self.deliver = deliver
        self.sources: list[asyncio.Task[None]] = []

    def start(self, effect: Effect) -> None:
        """Run one effect; its replies go to `deliver`."""
        if type(effect) is Call:
            self.tg.create_task(self._call(effect), name=f"{self.name}.{effect.correlation_id}")
        else:
            assert isinstance(effect, Stream)
            self.tg.create_task(self._stream(effect), name=f"{self.name}.{effect.correlation_id}")

    def read(self, sources: Iterable[Source]) -> None:
        """Read the declared sources of this life."""
        for src in sources:
            task = self.tg.create_task(self._source(src), name=f"{self.name}.{src.name}")
            self.sources.append(task)

    def stop_sources(self) -> None:
        """No new input (draining): cancel the sources; effects in flight still answer."""
        for task in self.sources:
            task.cancel()

    async def _call(self, call: Call) -> None:
        delay = None
        if call.deadline_ns:
            delay = max(0.0, (call.deadline_ns - self.clock.now_ns()) / 1e9)
        reply: Message
        try:
            async with asyncio.timeout(delay) as scope:
                value = await call.start()
        except TimeoutError as exc:
            reason: FailReason = "timeout" if scope.expired() else "error"
            reply = Failed(
                correlation_id=call.correlation_id,
                reason=reason,
                error=describe(exc) if reason == "error" else "deadline passed",
                exception=exc,
            )
        except Exception as exc:  # the actor decides what a failed call means
            reply = Failed(
                correlation_id=call.correlation_id,
                reason="error",
                error=describe(exc),
                exception=exc,
            )
        else:
            reply = Replied(correlation_id=call.correlation_id, value=value)
        # Outside the try: an exception out of `handle` is the actor's failure, not the call's.
        self.deliver(reply)

    async def _stream(self, stream: Stream) -> None:
        cid = stream.correlation_id
        deliver = self.deliver
        it: AsyncIterator[object] | None = None
        try:
            while True:
                try:
                    if it is None:
                        it = stream.start().__aiter__()
                    item = await anext(it)
                except StopAsyncIteration:
                    end = Failed(correlation_id=cid, reason="ended")
                    break
                except Exception as exc:
                    end = Failed(
                        correlation_id=cid, reason="error", error=describe(exc), exception=exc
                    )
                    break
                deliver(Replied(correlation_id=cid, value=item))
        finally:
            await _close(it)
        deliver(end)

    async def _source(self, src: Source) -> None:
        deliver = self.deliver
        name = src.name
        it = src.open()
        try:
            async for item in it:
                if isinstance(item, Message):
                    deliver(item)
                else:
                    deliver(Received(source=name, item=item))
        finally:
            await _close(it)
        log.info("%s: source %s ended", self.name, name)


async def _close(it: AsyncIterator[object] | None) -> None:
    """Finish an async generator now (its `finally` blocks release what it held), not
    whenever the garbage collector gets to it."""
    if isinstance(it, AsyncGenerator):
        await it.aclose()


async def release(name: str, actor: Actor, timeout_s: float) -> None:
    """Await an ended life's `cleanups`, each bounded by `timeout_s`; a failing one is logged
    (the next life must start regardless)."""
    try:
        cleanups = list(actor.cleanups())
    except Exception:
        log.exception("%s: cleanups() failed", name)
        return
    for cleanup in cleanups:
        try:
            async with asyncio.timeout(timeout_s):
                await cleanup()
        except (Exception, asyncio.CancelledError):
            log.warning("%s: a cleanup did not finish", name, exc_info=True)
