"""The RFQ API's listening socket: connections it accepts have Nagle off on any loop.

asyncio sets TCP_NODELAY only on sockets whose protocol says TCP; a socket made with the
default protocol 0 kept Nagle on, and every response written in two parts waited for the
client's delayed ACK (40 ms a request for a client asking one thing at a time)."""

from __future__ import annotations

import asyncio
import socket

import uvloop

from pyengine.api.server import bind


async def _accepted_nodelay() -> int:
    got: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            sock = transport.get_extra_info("socket")
            got.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    sock = bind("127.0.0.1", 0)
    server = await asyncio.get_running_loop().create_server(Probe, sock=sock)
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", sock.getsockname()[1])
        value = await asyncio.wait_for(got, 5)
        writer.close()
        return value
    finally:
        server.close()
        await server.wait_closed()


def test_accepted_connections_have_nagle_off_on_asyncio_and_uvloop() -> None:
    assert asyncio.run(_accepted_nodelay()) == 1
    assert uvloop.run(_accepted_nodelay()) == 1
