"""The private websocket of an authenticated client, on the shared market-data reconnect loop.

`WsSource` (backoff with jitter, keep-alive, watchdog, bounded queue) with the venue's login
sent and answered before subscribing; a refused login ends the stream for good. Its hooks
call back into the owning `PrivateClient`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from websockets.asyncio.client import ClientConnection

from pyengine.venues.base import Frame
from pyengine.venues.live.config import LiveFeedConfig
from pyengine.venues.live.connection import WsSource
from pyengine.venues.private.errors import VenueAuthError

if TYPE_CHECKING:
    from pyengine.venues.private.client import PrivateClient

log = logging.getLogger("pyengine.venues.private")


class PrivateStream(WsSource):
    """The private websocket of one client (the hooks call back into the client)."""

    def __init__(self, owner: PrivateClient, cfg: LiveFeedConfig) -> None:
        super().__init__(cfg, clock=owner.clock)
        self.owner = owner
        self.counters.update(auth_ok=0, resync_ok=0, resync_failed=0)

    def url(self) -> str:
        return self.owner.stream_url()

    def subscribe_messages(self) -> list[str]:
        return self.owner.subscribe_messages()

    def ping_message(self) -> str | None:
        return self.owner.ping_message()

    def control(self, raw: bytes) -> tuple[bool, str | None]:
        return self.owner.control(raw)

    async def on_connected(self) -> None:
        await self.owner.resync_after_connect()

    async def _session(self, ws: ClientConnection) -> None:
        # WsSource has no hook between connect and subscribe, and the venues want the login
        # answered before private subscriptions: log in here, then run the shared session.
        try:
            await self.owner.login(ws)
        except VenueAuthError as exc:
            log.error("%s: private stream login refused: %s", self.owner.venue, exc)
            self.fail(exc)
            return
        self.counters["auth_ok"] += 1
        try:
            await super()._session(ws)
        finally:
            if not self._closed:  # not when closing: no new listen key for a closed client
                await self.owner.after_session()

    def fail(self, exc: VenueAuthError) -> None:
        """End the stream for good: `account_events()` raises `exc` once drained."""
        self.owner.fatal = exc
        self._closed = True
        with contextlib.suppress(asyncio.QueueFull):
            self._queue.put_nowait(None)

    async def reconnect(self, reason: str) -> None:
        """Close the current connection; the loop connects again after its backoff."""
        ws = self._ws
        if ws is not None:
            await ws.close(1000, reason)

    async def push_marker(self, batch: int) -> None:
        """Mark, in stream order, where re-sync batch `batch` belongs."""
        await self.put(Frame(b"", self.clock(), "rest", symbol=str(batch)))
