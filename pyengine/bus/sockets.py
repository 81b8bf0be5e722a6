"""Sockets made on purpose: every kind has its high-water mark and drop policy set here.

- PUB (one per actor, binds; data and events fan-out), HWM `pub` per subscriber. When a
  subscriber is slow ZeroMQ drops *new* messages for that subscriber only; the subscriber sees
  the jump in `seq`, counts it and publishes `GapDetected`. Publishing never blocks an actor.
- SUB (one per actor, connects to every peer's PUB), HWM `sub`. As above: the publisher side
  drops; market data is superseded by the next update.
- ROUTER mailbox (one per actor, binds; acknowledged critical flows in), HWM `mailbox`. When
  full, senders' DEALERs get `EAGAIN`; the message stays in their outbox and is resent: never
  dropped.
- DEALER (one per destination mailbox, connects; critical flows out), HWM `dealer`, with
  `ZMQ_IMMEDIATE` so nothing queues toward an absent peer. `EAGAIN` → kept in the outbox and
  resent on the next round.
- ROUTER control (engine, binds; `pyengine status`, shutdown), HWM 1000. Requests beyond it
  are refused by ZeroMQ; the client times out and says so.

`linger` is 0 on PUB/SUB (nothing of value queued) and `close_linger_ms` on the acknowledged
sockets, though nothing depends on it: unacknowledged messages are resent by their sender.

Sockets on `ipc://` or `tcp://` share the bus's busy-poll window (`busy_poll`); no socket
option is involved, and none of the above changes with it.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import zmq

from pyengine.bus.busy_poll import BusyPoll
from pyengine.bus.channel import Channel
from pyengine.bus.curve import CurveGuard, CurveKeys
from pyengine.errors import EngineError
from pyengine.permissions import FILE_MODE, private_run_dir

log = logging.getLogger("pyengine.bus")

SCHEMES = ("inproc://", "ipc://", "tcp://")

#: bytes of an AF_UNIX socket path (`sun_path` is 108 with the terminating NUL)
IPC_PATH_MAX = 107


class BindError(EngineError, OSError):
    """A socket cannot bind its endpoint (address in use, bad ipc directory, path too long,
    tcp without CURVE keys); a `ValueError` too, as an invalid endpoint always was."""


#: µs the loop keeps polling after ipc/tcp traffic: a little more than one leg through
#: libzmq's I/O thread plus an actor's handling, measured with cross-CPU wake-ups on this box.
BUSY_POLL_US = 200


@dataclass(frozen=True, slots=True)
class HighWaterMarks:
    """High-water marks (messages) per socket kind."""

    pub: int = 100_000
    sub: int = 100_000
    mailbox: int = 100_000
    dealer: int = 100_000
    close_linger_ms: int = 200


def check_endpoint(endpoint: str) -> str:
    """Validate a ZeroMQ endpoint (inproc://, ipc:// or tcp://host:port)."""
    if not endpoint.startswith(SCHEMES):
        raise ValueError(f"endpoint {endpoint!r} must start with one of {', '.join(SCHEMES)}")
    rest = endpoint.split("://", 1)[1]
    if not rest:
        raise ValueError(f"endpoint {endpoint!r} has no address")
    if endpoint.startswith("tcp://"):
        host, _, port = rest.rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"endpoint {endpoint!r} must be tcp://host:port")
    if endpoint.startswith("ipc://") and len(os.fsencode(rest)) > IPC_PATH_MAX:
        raise ValueError(
            f"endpoint {endpoint!r}: socket path is {len(os.fsencode(rest))} bytes, over the"
            f" {IPC_PATH_MAX}-byte limit of unix sockets (use a shorter var_dir or bus.ipc_dir)"
        )
    return endpoint


@functools.cache
def _warn_no_peer_filter() -> None:
    log.warning(
        "libzmq cannot check ipc peers' uid (no SO_PEERCRED): ipc sockets are"
        " restricted by file mode only (0700 run directory, 0600 socket)"
    )


def restrict_to_own_user(sock: zmq.Socket[bytes]) -> None:
    """Accept ipc peers of this process's user only (SO_PEERCRED, checked by libzmq at
    connect): every ipc socket of the engine (control, mailboxes, PUB) is its own user's.
    Without it (a libzmq built without SO_PEERCRED) the 0700 run directory and the 0600
    socket file are the only guard, and the log says so once."""
    try:
        sock.setsockopt(zmq.IPC_FILTER_UID, os.getuid())
    except (zmq.ZMQError, AttributeError):
        _warn_no_peer_filter()


class Bus:
    """A process's ZeroMQ context and the factory for its sockets."""

    def __init__(
        self,
        hwm: HighWaterMarks | None = None,
        curve: CurveKeys | None = None,
        *,
        busy_poll_us: int = BUSY_POLL_US,
    ) -> None:
        self.ctx: zmq.Context[zmq.Socket[bytes]] = zmq.Context()
        self.hwm = hwm or HighWaterMarks()
        self.guard = CurveGuard(self.ctx, curve) if curve is not None else None
        self.busy = BusyPoll(busy_poll_us)
        self._channels: list[Channel] = []

    def _socket(self, kind: int, sndhwm: int, rcvhwm: int) -> zmq.Socket[bytes]:
        sock = self.ctx.socket(kind)
        sock.setsockopt(zmq.SNDHWM, sndhwm)
        sock.setsockopt(zmq.RCVHWM, rcvhwm)
        sock.setsockopt(zmq.LINGER, 0)
        return sock

    def _bind(self, sock: zmq.Socket[bytes], endpoint: str) -> None:
        try:
            self._bind_or_raise(sock, endpoint)
        except zmq.ZMQError as exc:
            sock.close(0)
            why = zmq.strerror(exc.errno) if exc.errno is not None else str(exc)
            raise BindError(f"cannot bind {endpoint}: {why}") from None
        except OSError as exc:
            sock.close(0)
            raise BindError(f"cannot bind {endpoint}: {exc.strerror or exc}") from None
        except ValueError as exc:
            sock.close(0)
            raise BindError(str(exc)) from None
        except BaseException:
            sock.close(0)
            raise

    def _bind_or_raise(self, sock: zmq.Socket[bytes], endpoint: str) -> None:
        check_endpoint(endpoint)
        if endpoint.startswith("tcp://"):
            if self.guard is None:
                raise ValueError(f"{endpoint}: tcp links need bus.curve keys (refusing plaintext)")
            self.guard.server(sock)
        elif endpoint.startswith("ipc://"):
            path = Path(endpoint[len("ipc://") :])
            private_run_dir(path.parent)
            restrict_to_own_user(sock)
        sock.bind(endpoint)
        if endpoint.startswith("ipc://"):
            # the directory is 0700 already; the socket itself too, whatever the umask
            os.chmod(path, FILE_MODE)

    def _connect(self, sock: zmq.Socket[bytes], endpoint: str) -> None:
        try:
            self._connect_or_raise(sock, endpoint)
        except BaseException:
            sock.close(0)
            raise

    def _connect_or_raise(self, sock: zmq.Socket[bytes], endpoint: str) -> None:
        check_endpoint(endpoint)
        if endpoint.startswith("tcp://"):
            if self.guard is None:
                raise ValueError(f"{endpoint}: tcp links need bus.curve keys (refusing plaintext)")
            self.guard.client(sock)
        sock.connect(endpoint)

    def _track(self, sock: zmq.Socket[bytes], endpoints: Iterable[str]) -> Channel:
        crosses_threads = any(not e.startswith("inproc://") for e in endpoints)
        chan = Channel(sock, self.busy if crosses_threads else None)
        self._channels.append(chan)
        return chan

    def pub(self, endpoint: str) -> Channel:
        """A bound PUB: drops per slow subscriber at HWM (see the table above)."""
        sock = self._socket(zmq.PUB, self.hwm.pub, 10_000)
        self._bind(sock, endpoint)
        return self._track(sock, (endpoint,))

    def sub(self, endpoints: Iterable[str], prefixes: Iterable[str]) -> Channel:
        """A SUB connected to every endpoint, subscribed to each dotted topic prefix."""
        sock = self._socket(zmq.SUB, 10_000, self.hwm.sub)
        for prefix in prefixes:
            sock.setsockopt(zmq.SUBSCRIBE, prefix.encode())
        connected = list(endpoints)
        for endpoint in connected:
            self._connect(sock, endpoint)
        return self._track(sock, connected)

    def router(self, endpoint: str, hwm: int | None = None) -> Channel:
        """A bound ROUTER mailbox for acknowledged messages or control requests."""
        h = self.hwm.mailbox if hwm is None else hwm
        sock = self._socket(zmq.ROUTER, h, h)
        sock.setsockopt(zmq.LINGER, self.hwm.close_linger_ms)
        self._bind(sock, endpoint)
        return self._track(sock, (endpoint,))

    def dealer(self, endpoint: str, hwm: int | None = None) -> Channel:
        """A DEALER connected to one mailbox; refuses (EAGAIN) rather than queue for no peer."""
        h = self.hwm.dealer if hwm is None else hwm
        sock = self._socket(zmq.DEALER, h, h)
        sock.setsockopt(zmq.IMMEDIATE, 1)
        sock.setsockopt(zmq.LINGER, self.hwm.close_linger_ms)
        self._connect(sock, endpoint)
        return self._track(sock, (endpoint,))

    def close(self) -> None:
        """Close every socket, stop the authenticator, terminate the context."""
        for chan in self._channels:
            if not chan.closed:
                chan.close()
        self._channels.clear()
        self.busy.stop()
        if self.guard is not None:
            self.guard.stop()
        self.ctx.term()
