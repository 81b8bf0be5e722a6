"""Keep the event loop polling for a short window after cross-thread traffic, not sleeping.

Over `ipc://` and `tcp://` every message crosses libzmq's I/O thread twice: the sender's
thread hands it to the I/O thread, which writes it, reads it at the other end and signals the
receiver's thread. When the loop thread has gone to sleep in `epoll_wait` by then, each
signal is a cross-CPU wake-up of an idle CPU; on this 2-vCPU box that costs tens of µs, and a
round trip pays it on every leg whenever the scheduler puts the loop and the I/O thread on
different CPUs. (Over `inproc://` the peer is signalled by the sending thread itself: nothing
to gain, so inproc channels never start a window.)

The idea is Linux's `SO_BUSY_POLL`: after a send or a received batch on such a socket, a
single task yields to the loop for `window_us`, so the loop keeps polling its FDs with a zero
timeout and sees the reply without having slept. Other callbacks keep running: only the
thread's idle time turns into polling. The cost is bounded: at most `window_us` of CPU per
burst of traffic, nothing while idle. `window_us=0` turns it off.
"""

from __future__ import annotations

import asyncio
import time


class BusyPoll:
    """One loop-polling window shared by the channels of a `Bus`."""

    __slots__ = ("_task", "until", "window_ns")

    def __init__(self, window_us: int) -> None:
        if window_us < 0:
            raise ValueError(f"busy-poll window must be >= 0 µs, got {window_us}")
        self.window_ns = window_us * 1000
        self.until = 0
        self._task: asyncio.Task[None] | None = None

    def touch(self) -> None:
        """Traffic happened: poll (rather than sleep) until `window_us` from now."""
        if not self.window_ns:
            return
        self.until = time.monotonic_ns() + self.window_ns
        task = self._task
        if task is None or task.done():
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                return
            self._task = loop.create_task(self._poll(), name="bus.busy_poll")

    async def _poll(self) -> None:
        now = time.monotonic_ns
        while now() < self.until:
            await asyncio.sleep(0)

    def stop(self) -> None:
        """End the window now; the polling task returns on its next turn."""
        self.until = 0
        self._task = None
