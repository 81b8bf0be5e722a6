"""The local chain node as a process of its own, owned by the engine that starts it.

A production engine talks to a node it does not host; the embedded default's development
chain (py-evm, our contracts: `node.py`) runs the same way, in a child process
(`node_main.py`), so the engine process never imports the EVM and py-evm's CPU is not on
the engine's GIL. The engine binds the node's listening socket itself and hands it over:
the URL is known (and a port already taken is a clear error) before the child has even
imported anything, and a client that connects while the chain is still being built waits
in the socket's backlog instead of being refused.

Ownership: the node is stopped with the engine (SIGTERM, then SIGKILL), and dies with it
if the engine dies first (the child asks the kernel for SIGKILL on its parent's death,
`PR_SET_PDEATHSIG`, and also exits when its stdin pipe from the engine closes). Its stderr
is forwarded to the engine's log; what it last said is quoted when it fails.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import os
import signal
import socket
import sys
from dataclasses import dataclass
from typing import Any

from pyengine.errors import EngineError

log = logging.getLogger("pyengine.chain.node")

STOP_TIMEOUT_S = 10.0
TAIL_LINES = 20


class NodeError(EngineError, RuntimeError):
    """The local chain node could not be started, or failed."""


@dataclass(frozen=True, slots=True)
class NodeSpec:
    """Where the node listens and how often it makes a block."""

    host: str = "127.0.0.1"
    port: int = 0
    """0: any free port."""
    block_time_s: float = 1.0


def _listen(spec: NodeSpec) -> socket.socket:
    try:
        sock = socket.create_server((spec.host, spec.port), backlog=128)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise NodeError(
            f"the local chain node cannot listen on {spec.host}:{spec.port}: {reason}"
        ) from None
    return sock


class NodeProcess:
    """One running node: `url` serves JSON-RPC (once the chain is built)."""

    def __init__(self, proc: asyncio.subprocess.Process, url: str) -> None:
        self.proc = proc
        self.url = url
        self.tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)
        self.stopping = False
        self._stderr = asyncio.get_running_loop().create_task(self._forward_stderr())

    @property
    def pid(self) -> int:
        return self.proc.pid

    @classmethod
    async def start(cls, spec: NodeSpec) -> NodeProcess:
        """Bind the node's socket and start its process; returns at once (the chain is
        built in the child meanwhile). `NodeError` if the socket cannot be bound or the
        process cannot be started."""
        sock = _listen(spec)
        try:
            host, port = sock.getsockname()[:2]
            argv = [
                sys.executable,
                "-m",
                "pyengine.chain.node_main",
                "--fd",
                str(sock.fileno()),
                "--block-time",
                repr(spec.block_time_s),
                "--parent",
                str(os.getpid()),
            ]
            try:
                proc = await asyncio.create_subprocess_exec(
                    *argv,
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.DEVNULL,
                    stderr=asyncio.subprocess.PIPE,
                    pass_fds=(sock.fileno(),),
                )
            except OSError as exc:
                raise NodeError(f"the local chain node cannot be started: {exc}") from None
        finally:
            # the child holds the socket now: once it is gone, clients are refused at once
            sock.close()
        node = cls(proc, f"http://{host}:{port}")
        log.info("local chain node started (pid %d) on %s", proc.pid, node.url)
        return node

    async def _forward_stderr(self) -> None:
        stream = self.proc.stderr
        if stream is None:
            return
        while True:
            line = await stream.readline()
            if not line:
                return
            text = line.decode(errors="replace").rstrip()
            if text:
                self.tail.append(text)
                log.info("node: %s", text)

    async def wait(self) -> int:
        """The node's exit code, once it has exited (and its stderr is all logged)."""
        rc = await self.proc.wait()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(asyncio.shield(self._stderr), 2.0)
        return rc

    def failure(self, rc: int) -> str:
        """A sentence saying that the node exited, and what it last said."""
        said = " | ".join(list(self.tail)[-3:])
        return f"the local chain node (pid {self.pid}) exited with {rc}" + (
            f": {said}" if said else ""
        )

    async def stop(self) -> int:
        """SIGTERM, then SIGKILL after `STOP_TIMEOUT_S`; the exit code."""
        self.stopping = True
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), STOP_TIMEOUT_S)
            except TimeoutError:
                log.error("local chain node (pid %d) did not stop; killing it", self.pid)
                with contextlib.suppress(ProcessLookupError):
                    self.proc.kill()
        rc = await self.wait()
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self._stderr.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._stderr
        log.info("local chain node (pid %d) stopped (%d)", self.pid, rc)
        return rc


async def fetch_deployment(url: str, timeout_s: float) -> dict[str, Any]:
    """The node's `pyengine_deployment` (`devnet.Deployment` as plain data), waiting up to
    `timeout_s` for a node that is still building its chain."""
    import aiohttp  # the engine's runtime imports this module; only a local chain needs this

    body = {"jsonrpc": "2.0", "id": 1, "method": "pyengine_deployment", "params": []}
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.post(url, json=body) as resp,
        ):
            answer = await resp.json()
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        raise NodeError(f"no deployment from the local chain node at {url}: {exc!r}") from None
    result = answer.get("result") if isinstance(answer, dict) else None
    if not isinstance(result, dict):
        raise NodeError(f"the node at {url} is not a local chain node: {answer!r:.200}")
    return result


__all__ = ["NodeError", "NodeProcess", "NodeSpec", "fetch_deployment"]
