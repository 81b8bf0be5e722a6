"""Time for the simulated world: one scheduler, virtual (tests, backtests) or real time.

Everything the simulation does at a time (market ticks, funding, expiries, settlement
cycles, delayed order arrivals) is a callback in one heap ordered by (time, insertion
number), so the same inputs run in the same order whatever the event loop does. A
`VirtualScheduler` jumps its `ManualClock` from event to event; a `RealtimeScheduler`
sleeps on the wall clock until the next one is due (`pyengine run`).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
from collections.abc import Callable

from pyengine.clock import Clock, ManualClock, SystemClock

Callback = Callable[[], None]


class Scheduler:
    """A heap of timed callbacks over an injected clock."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._heap: list[tuple[int, int, Callback]] = []
        self._n = itertools.count()

    def now_ns(self) -> int:
        """The current time, ns since the Unix epoch."""
        return self.clock.now_ns()

    def at(self, when_ns: int, fn: Callback) -> None:
        """Run `fn` at `when_ns` (at once on the next step if that is already past)."""
        heapq.heappush(self._heap, (when_ns, next(self._n), fn))

    def after(self, delay_ns: int, fn: Callback) -> None:
        """Run `fn` `delay_ns` from now."""
        self.at(self.now_ns() + max(0, delay_ns), fn)

    def next_due(self) -> int | None:
        """When the next callback is due, if any."""
        return self._heap[0][0] if self._heap else None

    def _pop_due(self, now_ns: int) -> Callback | None:
        if self._heap and self._heap[0][0] <= now_ns:
            return heapq.heappop(self._heap)[2]
        return None

    async def sleep(self, delay_ns: int) -> None:
        """Wait `delay_ns` of this scheduler's time."""
        raise NotImplementedError


async def _settle() -> None:
    # Let tasks that are ready run up to their next await before time moves on.
    for _ in range(3):
        await asyncio.sleep(0)


class VirtualScheduler(Scheduler):
    """Virtual time: `run_until` jumps the clock from one due callback to the next."""

    def __init__(self, clock: ManualClock | None = None) -> None:
        self.manual = clock if clock is not None else ManualClock()
        super().__init__(self.manual)

    def step_until(self, until_ns: int) -> int:
        """Run every callback due up to `until_ns` in order (synchronously); return count."""
        done = 0
        while self._heap and self._heap[0][0] <= until_ns:
            when, _, fn = heapq.heappop(self._heap)
            self.manual.t = max(self.manual.t, when)
            fn()
            done += 1
        self.manual.t = max(self.manual.t, until_ns)
        return done

    async def run_until(self, until_ns: int) -> int:
        """`step_until`, yielding to the event loop after each callback so that tasks
        woken by it (an order reply after its latency) run at that virtual time."""
        done = 0
        await _settle()
        while self._heap and self._heap[0][0] <= until_ns:
            when, _, fn = heapq.heappop(self._heap)
            self.manual.t = max(self.manual.t, when)
            fn()
            done += 1
            await _settle()
        self.manual.t = max(self.manual.t, until_ns)
        return done

    async def sleep(self, delay_ns: int) -> None:
        if delay_ns <= 0:
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def wake() -> None:
            if not fut.done():
                fut.set_result(None)

        self.after(delay_ns, wake)
        await fut


class RealtimeScheduler(Scheduler):
    """Wall-clock time: `run` sleeps until each callback is due (for `pyengine run`)."""

    def __init__(self, clock: Clock | None = None) -> None:
        super().__init__(clock if clock is not None else SystemClock())
        self._wake = asyncio.Event()
        self._stopped = False

    def at(self, when_ns: int, fn: Callback) -> None:
        super().at(when_ns, fn)
        self._wake.set()

    def stop(self) -> None:
        """Make `run` return."""
        self._stopped = True
        self._wake.set()

    async def run(self) -> None:
        """Run callbacks as they fall due until `stop`."""
        while not self._stopped:
            now = self.now_ns()
            fn = self._pop_due(now)
            if fn is not None:
                fn()
                continue
            due = self.next_due()
            self._wake.clear()
            timeout = None if due is None else max(0.0, (due - now) / 1e9)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    async def sleep(self, delay_ns: int) -> None:
        if delay_ns > 0:
            await asyncio.sleep(delay_ns / 1e9)
