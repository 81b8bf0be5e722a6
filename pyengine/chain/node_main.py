"""The local chain node's process: `python -m pyengine.chain.node_main --fd N ...`.

Started by `node_process.NodeProcess` with the listening socket it bound (`--fd`). It
dies with its parent: the kernel sends it SIGKILL when the parent dies
(`PR_SET_PDEATHSIG`, Linux), and it exits when its stdin (a pipe from the parent) closes,
which covers the parent dying before the request was made, and other kernels. SIGTERM or
SIGINT stops it cleanly. Its log goes to stderr (the engine's log); exit code 1: the chain
could not be built, 2: bad arguments or an orphan at birth.
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import ctypes.util
import logging
import os
import signal
import socket
import sys
import threading

log = logging.getLogger("pyengine.chain.node")

PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> bool:
    """Ask for SIGKILL when the parent dies, and exit when stdin closes; False if the
    parent is already gone."""
    libc_name = ctypes.util.find_library("c")
    if sys.platform.startswith("linux") and libc_name:
        libc = ctypes.CDLL(libc_name, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # died before the request: nobody would kill us
        return False

    def watch_stdin() -> None:
        with open(sys.stdin.fileno(), "rb", buffering=0, closefd=False) as stdin:
            while stdin.read(4096):
                pass
        os._exit(0)  # the engine is gone or let go of us: nothing here is worth keeping

    threading.Thread(target=watch_stdin, name="parent-watch", daemon=True).start()
    return True


async def serve(sock: socket.socket, block_time_s: float) -> None:
    from pyengine.chain.node import LocalNode

    node = await LocalNode.start(block_time_s=block_time_s, sock=sock)
    d = node.deployment
    log.info("chain %d ready on %s (minting contract %s)", d.chain_id, node.url, d.minting)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await node.stop()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="pyengine-node")
    p.add_argument("--fd", type=int, required=True, help="the listening socket to serve on")
    p.add_argument("--block-time", type=float, default=1.0)
    p.add_argument("--parent", type=int, required=True)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    if not die_with_parent(args.parent):
        log.error("the engine (pid %d) is already gone", args.parent)
        return 2
    try:
        sock = socket.socket(fileno=args.fd)
    except OSError as exc:
        log.error("no listening socket at fd %d: %s", args.fd, exc)
        return 2
    try:
        asyncio.run(serve(sock, args.block_time))
    except Exception as exc:
        log.error("the local chain failed: %s: %s", type(exc).__name__, exc)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
