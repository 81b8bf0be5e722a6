"""The HTTP JSON-RPC transport of the chain client: web3's async provider on a session of
its own (why: `OwnSessionProvider`)."""

from __future__ import annotations

from typing import Any

import aiohttp
from web3 import AsyncHTTPProvider
from web3.types import RPCEndpoint, RPCResponse


class OwnSessionProvider(AsyncHTTPProvider):
    """web3's async HTTP provider on one aiohttp session of its own, opened on first use.

    Why not web3's own session handling: every request of `AsyncHTTPProvider` goes through a
    session cache guarded by one process-wide `threading.Lock`, taken through a thread pool.
    A request cancelled while it waits there (every chain call of the engine has a deadline)
    leaves the lock taken for good once the pool's thread gets it: from then on every web3
    HTTP call of the process hangs, and interpreter exit waits for the stuck threads forever.
    One session per client, on the loop that uses it, has no such lock to lose.
    """

    def __init__(self, endpoint_uri: str, timeout_s: float = 30.0) -> None:
        super().__init__(endpoint_uri)
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None

    async def _post(self, data: bytes) -> bytes:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(raise_for_status=True, timeout=self._timeout)
        headers = self.get_request_headers()
        async with self._session.post(str(self.endpoint_uri), data=data, headers=headers) as r:
            return await r.read()

    async def _make_request(self, method: RPCEndpoint, request_data: bytes) -> bytes:
        return await self._post(request_data)

    async def make_batch_request(
        self, batch_requests: list[tuple[RPCEndpoint, Any]]
    ) -> list[RPCResponse] | RPCResponse:
        raw = await self._post(self.encode_batch_rpc_request(batch_requests))
        response = self.decode_rpc_response(raw)
        if not isinstance(response, list):
            return response  # one error object for the whole batch
        return sorted(response, key=lambda r: int(r.get("id") or 0))

    async def disconnect(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


__all__ = ["OwnSessionProvider"]
