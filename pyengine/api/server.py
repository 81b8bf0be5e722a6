"""The RFQ API's server, run inside the engine's event loop as a source of the rfq actor.

`ApiServer.requests` is the source: it binds the port (a port in use fails the actor with a
message naming it), starts uvicorn's protocol on that socket in this loop, and yields each
parsed request as an `ApiCall` for the actor's `handle`; the actor's reply effect resolves
the request's future. When the source is cancelled (the actor stops or restarts) the server
shuts down. No task of its own: uvicorn's connections run on the loop's protocol callbacks.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import socket
from collections.abc import AsyncIterator
from typing import Any

import uvicorn

from pyengine.actors.rfq_codes import ApiCode
from pyengine.actors.rfq_types import (
    ApiAnswer,
    ApiCall,
    ConfirmationQuery,
    OrderPost,
    RfqQuery,
    Route,
)
from pyengine.api.app import build_app
from pyengine.api.stream import LadderHub
from pyengine.errors import EngineError

log = logging.getLogger("pyengine.api")
QUEUE_LIMIT = 10_000
ANSWER_TIMEOUT_S = 60.0


class ApiBindError(EngineError, OSError):
    """The API's address cannot be bound (in use, or not ours to take)."""


def bind(host: str, port: int) -> socket.socket:
    # IPPROTO_TCP, not the default 0: asyncio turns Nagle off (TCP_NODELAY) only on sockets
    # that say they are TCP, and with Nagle on, a response written in two parts waits for
    # the client's delayed ACK: 40 ms on every sequential request (tests/unit/
    # test_api_socket.py; uvloop sets it itself)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ApiBindError(
            f"RFQ API cannot listen on {host}:{port}: {exc.strerror}"
            " (another engine running? set actors.rfq.options.port)"
        ) from None
    sock.listen(1024)
    sock.setblocking(False)
    return sock


async def start_uvicorn(app: Any, sock: socket.socket) -> uvicorn.Server:
    """uvicorn's protocol on `sock`, in this loop, with no lifespan, logging or headers of
    its own (the benchmark's bare endpoint starts the same way)."""
    config = uvicorn.Config(
        app,
        lifespan="off",
        log_config=None,
        access_log=False,
        date_header=False,
        server_header=False,
        timeout_graceful_shutdown=1,
    )
    config.load()
    server = uvicorn.Server(config)
    server.lifespan = config.lifespan_class(config)
    await server.startup(sockets=[sock])
    return server


class ApiServer:
    def __init__(self, host: str, port: int, hub: LadderHub | None = None) -> None:
        self.host, self.port = host, port
        self.hub = hub or LadderHub()
        self.url = ""
        self._queue: asyncio.Queue[ApiCall] | None = None
        self._ids = itertools.count(1)
        self.answered_late = 0

    async def submit(
        self, route: Route, params: RfqQuery | OrderPost | ConfirmationQuery | None
    ) -> ApiAnswer:
        queue = self._queue
        if queue is None:
            return ApiAnswer.error(ApiCode.NOT_READY, "the API is starting")
        if queue.qsize() >= QUEUE_LIMIT:
            return ApiAnswer.error(ApiCode.THROTTLED, "too many requests in flight")
        fut: asyncio.Future[ApiAnswer] = asyncio.get_running_loop().create_future()

        def reply(answer: ApiAnswer) -> None:
            if not fut.done():
                fut.set_result(answer)

        queue.put_nowait(ApiCall(f"http-{next(self._ids)}", route, params, reply))
        try:
            return await asyncio.wait_for(fut, ANSWER_TIMEOUT_S)
        except TimeoutError:
            self.answered_late += 1
            return ApiAnswer.error(ApiCode.CHAIN_UNAVAILABLE, "no answer in time")

    async def requests(self) -> AsyncIterator[ApiCall]:
        sock = bind(self.host, self.port)
        self.port = int(sock.getsockname()[1])
        queue: asyncio.Queue[ApiCall] = asyncio.Queue()
        self._queue = queue
        server = await start_uvicorn(build_app(self.submit, self.hub), sock)
        self.url = f"http://{self.host}:{self.port}"
        log.info("RFQ API listening on %s", self.url)
        try:
            while True:
                yield await queue.get()
        finally:
            self._queue = None
            self.url = ""
            while not queue.empty():
                queue.get_nowait().reply(ApiAnswer.error(ApiCode.NOT_READY, "the API is stopping"))
            with contextlib.suppress(Exception):
                await server.shutdown(sockets=[sock])
            sock.close()
