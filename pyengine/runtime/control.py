"""The control socket: `pyengine status` and remote shutdown, request/reply over ROUTER/DEALER."""

from __future__ import annotations

import time

import zmq

from pyengine.bus import Bus
from pyengine.errors import EngineError
from pyengine.messages import Message, StatusReport, StatusRequest, decode, encode


class ControlError(EngineError, ConnectionError):
    """No answer from the engine's control socket."""


def request(bus: Bus, endpoint: str, msg: Message, timeout_s: float = 3.0) -> Message:
    """Send one control request and wait for the reply (blocking; for the CLI and tests)."""
    chan = bus.dealer(endpoint, hwm=10)
    sock = chan.sock
    deadline = time.monotonic() + timeout_s
    try:
        # IMMEDIATE: the send is refused until a connection exists, so no engine = no hang
        while not sock.poll(10, zmq.POLLOUT):
            if time.monotonic() > deadline:
                raise ControlError(f"no engine listening on {endpoint}")
        sock.send(encode(msg), zmq.NOBLOCK)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ControlError(f"no answer from {endpoint} within {timeout_s:.1f}s")
            if sock.poll(int(left * 1000) + 1, zmq.POLLIN):
                return decode(sock.recv())
    finally:
        chan.close()


def status(endpoint: str, timeout_s: float = 3.0, bus: Bus | None = None) -> StatusReport:
    """Ask a running engine for its status."""
    own = bus is None
    b = bus or Bus()
    try:
        now = time.time_ns()
        reply = request(b, endpoint, StatusRequest(ts_event=now, ts_recv=now), timeout_s)
    finally:
        if own:
            b.close()
    if not isinstance(reply, StatusReport):
        raise ControlError(f"unexpected reply {type(reply).__name__}")
    return reply
