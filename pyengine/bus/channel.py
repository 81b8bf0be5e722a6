"""One ZeroMQ socket on the asyncio (uvloop) loop, received in batches.

`zmq.asyncio` pays a Future and a loop callback per `recv`; that is the gap between its
~160 µs inproc round trip and blocking pyzmq's ~22 µs. A `Channel` keeps the plain socket,
registers the socket's FD with the loop once, and on each wake drains every queued message
with non-blocking receives, so the loop cost is paid per batch, not per message.

ZeroMQ's FD is edge-triggered: it fires when the socket's state may have changed and must
then be drained until `EAGAIN`. A send on the same socket can consume that edge, so `send`
re-checks `EVENTS` and wakes a waiting receiver itself.

A channel over `ipc://` or `tcp://` also opens its bus's `BusyPoll` window on every send and
received batch, so that the reply, which comes back through libzmq's I/O thread, finds the
loop polling instead of asleep (see `busy_poll`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import cast

import zmq

from pyengine.bus.busy_poll import BusyPoll

Frames = list[bytes]

# Plain ints: pyzmq's flag enums cost an enum construction per `|` and per frame, which
# `send_multipart`/`recv_multipart` pay on every message (about 1.3 µs of a 2 µs send).
_NOBLOCK = int(zmq.NOBLOCK)
_NOBLOCK_MORE = int(zmq.NOBLOCK | zmq.SNDMORE)
_EVENTS = int(zmq.EVENTS)
_POLLIN = int(zmq.POLLIN)


class Channel:
    """A socket plus the loop plumbing to receive from it in batches."""

    __slots__ = ("_busy", "_loop", "_reader", "_waiter", "closed", "sock")

    def __init__(self, sock: zmq.Socket[bytes], busy: BusyPoll | None = None) -> None:
        self.sock = sock
        self._busy = busy
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._reader = False
        self.closed = False

    @property
    def busy_polls(self) -> bool:
        """True if traffic on this channel opens its bus's busy-poll window."""
        return self._busy is not None

    @property
    def fd(self) -> int:
        fd = self.sock.getsockopt(zmq.FD)
        assert isinstance(fd, int)
        return fd

    def _ensure_reader(self) -> asyncio.AbstractEventLoop:
        loop = self._loop
        if loop is None:
            loop = asyncio.get_running_loop()
            self._loop = loop
        if not self._reader:
            loop.add_reader(self.fd, self._wake)
            self._reader = True
        return loop

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def drain(self, max_batch: int) -> list[Frames]:
        """Every queued message, up to `max_batch`, without waiting."""
        sock = self.sock
        events = cast("Callable[[int], int]", sock.get)  # EVENTS is an int option
        # Asking `EVENTS` (about 1 µs) is cheaper than the `EAGAIN` of an empty receive
        # (about 2.7 µs: pyzmq builds and raises a `zmq.Again`), so it is asked where the
        # answer is most often "nothing": before the first receive (a wake-up by the
        # edge-triggered FD, or a look before waiting, often finds nothing) and after the
        # first message (most batches are one message). A longer batch ends on `EAGAIN`.
        if not events(_EVENTS) & _POLLIN:
            return []
        out: list[Frames] = []
        recv = sock.recv
        try:
            while len(out) < max_batch:
                # A `Frame` says whether more parts follow; asking the socket
                # (`getsockopt(RCVMORE)`) costs more than the receive itself.
                frame = recv(_NOBLOCK, copy=False)
                msg = [frame.bytes]
                while frame.more:
                    frame = recv(_NOBLOCK, copy=False)
                    msg.append(frame.bytes)
                out.append(msg)
                if len(out) == 1 and not events(_EVENTS) & _POLLIN:
                    break
        except zmq.Again:
            pass
        return out

    async def recv_batch(self, max_batch: int = 1024) -> list[Frames]:
        """Wait for at least one message, then return all queued ones (up to `max_batch`)."""
        loop = self._ensure_reader()
        while True:
            batch = self.drain(max_batch)
            if batch:
                if self._busy is not None:
                    self._busy.touch()
                return batch
            if self.closed:
                raise asyncio.CancelledError
            waiter = loop.create_future()
            self._waiter = waiter
            try:
                await waiter
            finally:
                self._waiter = None

    def send(self, frames: Sequence[bytes]) -> bool:
        """Send without blocking; False when the socket refuses (`EAGAIN`: HWM or no peer)."""
        sock = self.sock
        send = sock.send
        last = len(frames) - 1
        try:
            # The frames and flags pyzmq's `send_multipart` sends, without its per-frame
            # type checks (our frames are bytes).
            for i, frame in enumerate(frames):
                send(frame, _NOBLOCK if i == last else _NOBLOCK_MORE)
        except zmq.Again:
            return False
        finally:
            if self._waiter is not None and int(sock.get(_EVENTS)) & _POLLIN:
                self._wake()
        if self._busy is not None:
            self._busy.touch()
        return True

    def close(self, linger_ms: int = 0) -> None:
        """Unregister from the loop and close the socket."""
        self.closed = True
        if self._reader and self._loop is not None and not self._loop.is_closed():
            self._loop.remove_reader(self.fd)
        self._reader = False
        self._wake()
        self.sock.close(linger_ms)
