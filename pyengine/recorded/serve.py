"""`pyengine serve-capture`: serve a recorded capture as a local venue until stopped."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path

import orjson
import uvloop

from pyengine._core import VENUES


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `pyengine serve-capture`."""
    p = sub.add_parser(
        "serve-capture",
        help="serve a recorded capture as a local venue (websocket + Binance REST depth)",
    )
    p.add_argument("--venue", required=True, choices=list(VENUES))
    p.add_argument("--category", help="Bybit category of the capture's connection")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="websocket port (0: any free port)")
    p.add_argument("--rest-port", type=int, default=0, help="REST port for Binance venues")
    p.add_argument("files", type=Path, nargs="+")
    p.set_defaults(func=main)


async def serve(args: argparse.Namespace) -> int:
    # Imported here: aiohttp and websockets are for this command only (`pyengine.recorded`).
    from pyengine.recorded.server import ReplayServer

    server = ReplayServer(args.venue, args.files, category=args.category)
    await server.start(args.host, args.port, args.rest_port)
    # One JSON line tells a person or a script where the venue is.
    line = {"venue": args.venue, "ws_url": server.ws_url, "rest_url": server.rest_url}
    sys.stdout.write(orjson.dumps(line).decode() + "\n")
    sys.stdout.flush()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await server.stop()
    return 0


def main(args: argparse.Namespace) -> int:
    """Entry point: serve until SIGINT/SIGTERM; exit 2 if a capture cannot be read."""
    for f in args.files:
        if not f.is_file():
            print(f"pyengine serve-capture: cannot read {f}", file=sys.stderr)
            return 2
    return uvloop.run(serve(args))  # KeyboardInterrupt: 130 from `pyengine.cli.main`
