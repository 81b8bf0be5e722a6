"""The control socket: `pyengine status` and remote shutdown, request/reply over ROUTER/DEALER.

Before waiting for an answer the client checks that something listens at all (the ipc socket
file exists and accepts a connection, the tcp port accepts one), so "no engine" is said at
once rather than after the whole timeout.
"""

from __future__ import annotations

import contextlib
import socket
import time
from pathlib import Path

import zmq

from pyengine.bus import Bus, CurveKeys, check_endpoint
from pyengine.errors import EngineError
from pyengine.messages import Message, StatusReport, StatusRequest, decode, encode


class ControlError(EngineError, ConnectionError):
    """No answer from the engine's control socket."""


def probe(endpoint: str, timeout_s: float = 1.0) -> None:
    """Raise `ControlError` at once if nothing can be listening on `endpoint`."""
    check_endpoint(endpoint)
    rest = endpoint.split("://", 1)[1]
    if endpoint.startswith("inproc://"):
        raise ControlError(f"{endpoint}: an inproc endpoint is reachable only inside the engine")
    if endpoint.startswith("ipc://"):
        path = Path(rest)
        if not path.exists():
            raise ControlError(f"no engine running: {path} does not exist")
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(timeout_s)
            try:
                s.connect(rest)
            except ConnectionRefusedError:
                raise ControlError(
                    f"no engine running: nothing listens on {path} (left by a stopped engine)"
                ) from None
            except PermissionError:
                raise ControlError(f"{path}: permission denied (not the engine's user)") from None
            except OSError as exc:
                raise ControlError(f"{path}: {exc.strerror or exc}") from None
        return
    host, _, port = rest.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s):
            pass
    except ConnectionRefusedError:
        raise ControlError(f"no engine listening on {endpoint} (connection refused)") from None
    except socket.gaierror as exc:
        raise ControlError(f"{endpoint}: unknown host ({exc.strerror})") from None
    except OSError:
        return  # unreachable for now, or filtered: let the request's own timeout decide


def request(bus: Bus, endpoint: str, msg: Message, timeout_s: float = 3.0) -> Message:
    """Send one control request and wait for the reply (blocking; for the CLI and tests)."""
    probe(endpoint, min(timeout_s, 1.0))
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


def status(
    endpoint: str,
    timeout_s: float = 3.0,
    bus: Bus | None = None,
    curve: CurveKeys | None = None,
) -> StatusReport:
    """Ask a running engine for its status (`curve`: client keys for a tcp endpoint)."""
    own = bus is None
    b = bus or Bus(curve=curve)
    try:
        now = time.time_ns()
        reply = request(b, endpoint, StatusRequest(ts_event=now, ts_recv=now), timeout_s)
    finally:
        if own:
            with contextlib.suppress(Exception):
                b.close()
    if not isinstance(reply, StatusReport):
        raise ControlError(f"unexpected reply {type(reply).__name__}")
    return reply
