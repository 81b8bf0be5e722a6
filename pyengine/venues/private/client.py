"""What the three authenticated venue clients share: the private stream and signed REST.

The private websocket runs on the market-data reconnect loop (`live.connection.WsSource`:
backoff with jitter, keep-alive, watchdog, bounded queue), with two additions: the venue's
login is sent and its answer awaited before subscribing, and after every (re)connect the
open orders, positions and balances are fetched over REST and delivered in stream order, so
that nothing that changed while disconnected is missed. The REST snapshot is taken after
the subscription is sent and before the stream is read: anything newer than the snapshot
arrives on the stream after it.

A refused login ends `account_events()` with `VenueAuthError`; retrying a refused key would
only hammer the venue. Any other failure reconnects.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from decimal import Decimal
from typing import Any, ClassVar

import aiohttp
import orjson
from websockets.asyncio.client import ClientConnection

from pyengine.messages import (
    OrderAccepted,
    OrderCanceled,
    OrderRejected,
    OrderUpdate,
    PositionReport,
    SubmitOrder,
)
from pyengine.messages.account import BalanceReport
from pyengine.venues.live.config import LiveFeedConfig
from pyengine.venues.private.common import AccountEvent, Credentials, PrivateMessageError
from pyengine.venues.private.config import PrivateClientConfig
from pyengine.venues.private.deadman import Armed, Scope, rearm_period
from pyengine.venues.private.errors import (
    VenueAuthError,
    VenueRequestError,
    VenueTransportError,
)
from pyengine.venues.private.stream import PrivateStream

log = logging.getLogger("pyengine.venues.private")

OrderReply = OrderAccepted | OrderRejected


def num(d: Decimal) -> str:
    """A decimal as the venues want it: plain notation, never an exponent."""
    return f"{d:f}"


def limit_terms(order: SubmitOrder, tifs: dict[str, str]) -> tuple[str, Decimal] | None:
    """(venue time in force from `tifs`, price) of a limit or post-only `order`; None for a
    market order. Raises `VenueRequestError` for what the venue cannot take."""
    kind = order.order_type.lower()
    if kind == "market":
        return None
    if kind not in ("limit", "post_only"):
        raise VenueRequestError("unsupported", f"order type {order.order_type!r}")
    tif = tifs.get("post_only" if kind == "post_only" else order.tif.lower())
    if tif is None:
        raise VenueRequestError("unsupported", f"time in force {order.tif!r}")
    if order.price is None:
        raise VenueRequestError("unsupported", "a limit order needs a price")
    return tif, order.price


class PrivateClient:
    """Base of the venue clients (implements `ExecutionClient`).

    Subclasses provide the venue's signing (`request`), order entry, REST reports, the
    stream's login/subscribe/control messages and its parser."""

    venue_name: ClassVar[str] = ""
    cancel_on_disconnect_scope: ClassVar[Scope] = "account"

    def __init__(
        self,
        cfg: PrivateClientConfig,
        credentials: Credentials | None = None,
        *,
        clock: Callable[[], int] = time.time_ns,
    ) -> None:
        if cfg.venue != self.venue_name:
            raise ValueError(f"{type(self).__name__} serves {self.venue_name!r}, not {cfg.venue!r}")
        self.cfg = cfg
        self._creds = credentials if credentials is not None else cfg.credentials()
        self.clock = clock
        self.ws_base, self.rest_base = cfg.urls()
        self.fatal: VenueAuthError | None = None
        self.counters: dict[str, int] = dict.fromkeys(
            (
                *("requests", "rejects", "auth_errors", "transport_errors", "events"),
                *("bad_events", "cod_arms", "cod_failures", "cod_disarms"),
            ),
            0,
        )
        self._http: aiohttp.ClientSession | None = None
        self._batches: dict[int, list[AccountEvent]] = {}
        self._batch_seq = 0
        self.stream = PrivateStream(
            self,
            LiveFeedConfig(
                venue=cfg.venue,
                symbols=["account"],  # the loop wants one; a private stream has no symbols
                ws_url=self.ws_base,
                rest_url=self.rest_base,
                ping_interval_s=cfg.ping_interval_s,
                stale_after_s=self.stale_after_s(),
                open_timeout_s=cfg.open_timeout_s,
                backoff_initial_s=cfg.backoff_initial_s,
                backoff_max_s=cfg.backoff_max_s,
                backoff_jitter=cfg.backoff_jitter,
                rest_timeout_s=cfg.rest_timeout_s,
            ),
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(venue={self.venue!r}, rest={self.rest_base!r})"

    @property
    def venue(self) -> str:
        return self.venue_name

    @property
    def credentials(self) -> Credentials:
        return self._creds

    def stale_after_s(self) -> float:
        return self.cfg.stale_after_s

    async def session(self) -> aiohttp.ClientSession:
        if self._http is None:
            self._http = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.cfg.rest_timeout_s)
            )
        return self._http

    async def http(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str],
        body: bytes | None = None,
        what: str,
    ) -> tuple[int, bytes]:
        """One HTTP exchange; `what` (method and path, no query) is all that is logged."""
        self.counters["requests"] += 1
        log.debug("%s: %s", self.venue, what)
        session = await self.session()
        try:
            async with session.request(method, url, headers=headers, data=body) as resp:
                return resp.status, await resp.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            self.counters["transport_errors"] += 1
            raise VenueTransportError(f"{self.venue}: {what}: {type(exc).__name__}") from None

    def decode(self, status: int, raw: bytes, what: str) -> Any:
        """The JSON body of an answer; a 5xx or unreadable answer is a transport error."""
        if status >= 500:
            self.counters["transport_errors"] += 1
            raise VenueTransportError(f"{self.venue}: {what}: HTTP {status}")
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            self.counters["transport_errors"] += 1
            raise VenueTransportError(f"{self.venue}: {what}: HTTP {status}, not JSON") from None

    def auth_failed(self, what: str, code: object, message: object) -> VenueAuthError:
        self.counters["auth_errors"] += 1
        return VenueAuthError(f"{self.venue}: {what}: {code}: {message}")

    def rejected(self, coid: str, exc: VenueRequestError) -> OrderRejected:
        self.counters["rejects"] += 1
        now = self.clock()
        return OrderRejected(
            ts_event=now,
            ts_recv=now,
            client_order_id=coid,
            venue=self.venue,
            reason=f"{exc.code}: {exc.message}",
            codes=[exc.code],
        )

    def accepted(self, coid: str, venue_order_id: object, ts_event: int = 0) -> OrderAccepted:
        now = self.clock()
        return OrderAccepted(
            ts_event=ts_event or now,
            ts_recv=now,
            client_order_id=coid,
            venue=self.venue,
            venue_order_id=str(venue_order_id or ""),
        )

    def canceled(self, coid: str) -> OrderCanceled:
        now = self.clock()
        return OrderCanceled(
            ts_event=now, ts_recv=now, client_order_id=coid, venue=self.venue, reason="requested"
        )

    async def place(self, order: SubmitOrder) -> OrderReply:
        """Place `order`; a venue refusal is an `OrderRejected` with the venue's code.

        A resend of a client order id the venue already has answers with that order."""
        if order.venue != self.venue:
            return self.rejected(
                order.client_order_id, VenueRequestError("wrong_venue", order.venue)
            )
        try:
            return await self.place_order(order)
        except VenueRequestError as exc:
            if exc.code in self.duplicate_codes():
                try:
                    known = await self.lookup(order.client_order_id, order.symbol)
                except VenueRequestError:
                    known = None
                if known is not None:
                    return self.accepted(order.client_order_id, known.venue_order_id)
            return self.rejected(order.client_order_id, exc)

    async def cancel(self, client_order_id: str, symbol: str) -> OrderCanceled | OrderRejected:
        try:
            await self.cancel_order(client_order_id, symbol)
        except VenueRequestError as exc:
            return self.rejected(client_order_id, exc)
        return self.canceled(client_order_id)

    async def amend(
        self,
        client_order_id: str,
        symbol: str,
        *,
        qty: Decimal | None = None,
        price: Decimal | None = None,
    ) -> OrderReply:
        if qty is None and price is None:
            return self.rejected(client_order_id, VenueRequestError("no_change", "qty or price"))
        try:
            return await self.amend_order(client_order_id, symbol, qty, price)
        except VenueRequestError as exc:
            return self.rejected(client_order_id, exc)

    async def lookup(self, client_order_id: str, symbol: str) -> OrderUpdate | None:
        """The venue's view of one order by client id (None when it has none)."""
        for o in await self.open_orders():
            if o.client_order_id == client_order_id:
                return o
        return None

    async def account_events(self) -> AsyncIterator[AccountEvent]:
        """The private stream's events, with a REST re-sync after every (re)connect.

        Raises `VenueAuthError` when the venue refuses the login."""
        await self.before_stream()
        async for frame in self.stream.frames():
            if frame.kind == "rest":
                for ev in self._batches.pop(int(frame.symbol or 0), []):
                    yield ev
                continue
            if frame.kind != "stream":
                continue
            try:
                events = self.parse(frame.data, frame.ts_recv)
            except PrivateMessageError as exc:
                self.counters["bad_events"] += 1
                log.warning("%s: private message dropped: %s", self.venue, exc)
                continue
            self.counters["events"] += len(events)
            for ev in events:
                yield ev
        if self.fatal is not None:
            raise self.fatal

    async def resync_after_connect(self) -> None:
        """Open orders, positions and balances from REST, queued behind what came before."""
        for attempt in range(max(1, self.cfg.resync_attempts)):
            try:
                batch: list[AccountEvent] = []
                batch.extend(await self.open_orders())
                batch.extend(await self.positions())
                batch.extend(await self.balances())
            except (VenueTransportError, VenueRequestError, PrivateMessageError) as exc:
                self.stream.counters["resync_failed"] += 1
                log.warning("%s: re-sync attempt %d failed: %s", self.venue, attempt + 1, exc)
                await asyncio.sleep(self.stream.backoff.next())
                continue
            except VenueAuthError as exc:
                log.error("%s: re-sync refused: %s", self.venue, exc)
                self.stream.fail(exc)
                break
            self.stream.counters["resync_ok"] += 1
            self._batch_seq += 1
            self._batches[self._batch_seq] = batch
            await self.stream.push_marker(self._batch_seq)
            return
        # Reading on without a snapshot could miss what changed while away: drop and retry.
        await self.stream.reconnect("resync failed")

    async def login(self, ws: ClientConnection) -> None:
        """Authenticate a new connection (Bybit/OKX); raise `VenueAuthError` if refused."""

    async def await_reply(
        self, ws: ClientConnection, verdict: Callable[[Any], bool | None], what: str
    ) -> None:
        """Read until `verdict(msg)` says True (accepted) or False (refused), with a deadline."""
        deadline = time.monotonic() + self.cfg.open_timeout_s
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{self.venue}: no answer to {what}")
            raw = await asyncio.wait_for(ws.recv(decode=False), left)
            try:
                msg = orjson.loads(raw)
            except orjson.JSONDecodeError:
                continue
            ok = verdict(msg)
            if ok is True:
                return
            if ok is False:
                code = msg.get("code") or msg.get("retCode") if isinstance(msg, dict) else None
                text = (msg.get("msg") or msg.get("ret_msg")) if isinstance(msg, dict) else msg
                raise self.auth_failed(what, code, text)

    async def before_stream(self) -> None:
        """Runs once before the stream starts (Binance: get a listen key)."""

    async def after_session(self) -> None:
        """Runs after each connection ends, before the loop reconnects."""

    async def close(self) -> None:
        await self.stream.close()
        if self._http is not None:
            await self._http.close()
            self._http = None

    @property
    def cancel_on_disconnect_s(self) -> float:
        return self.cfg.cancel_on_disconnect_s

    @property
    def cancel_on_disconnect_rearm_s(self) -> float:
        return rearm_period(self.cfg.cancel_on_disconnect_s, self.cfg.cancel_on_disconnect_rearm_s)

    async def arm_cancel_on_disconnect(self, symbols: Sequence[str]) -> Armed:
        """Arm the venue's dead man's switch (`deadman.CancelOnDisconnect`), counted."""
        try:
            armed = await self.arm_timer(sorted(set(symbols)), self.cancel_on_disconnect_s)
        except Exception:
            self.counters["cod_failures"] += 1
            raise
        self.counters["cod_arms"] += 1
        return armed

    async def disarm_cancel_on_disconnect(self, symbols: Sequence[str] = ()) -> int:
        sent = await self.disarm_timer(sorted(set(symbols)))
        self.counters["cod_disarms"] += sent
        return sent

    def stats(self) -> dict[str, int]:
        return {**self.counters, **{f"ws_{k}": v for k, v in self.stream.stats().items()}}

    # Venue hooks.

    def stream_url(self) -> str:
        return self.ws_base

    def subscribe_messages(self) -> list[str]:
        return []

    def ping_message(self) -> str | None:
        return None

    def control(self, raw: bytes) -> tuple[bool, str | None]:
        return False, None

    def parse(self, raw: bytes, ts_recv: int) -> list[AccountEvent]:
        raise NotImplementedError

    def duplicate_codes(self) -> frozenset[str]:
        """Venue codes meaning "this client order id exists already"."""
        return frozenset()

    async def place_order(self, order: SubmitOrder) -> OrderReply:
        raise NotImplementedError

    async def cancel_order(self, client_order_id: str, symbol: str) -> None:
        raise NotImplementedError

    async def amend_order(
        self, client_order_id: str, symbol: str, qty: Decimal | None, price: Decimal | None
    ) -> OrderReply:
        raise NotImplementedError

    async def open_orders(self) -> list[OrderUpdate]:
        raise NotImplementedError

    async def positions(self) -> list[PositionReport]:
        raise NotImplementedError

    async def balances(self) -> list[BalanceReport]:
        raise NotImplementedError

    async def arm_timer(self, symbols: list[str], window_s: float) -> Armed:
        """Arm the venue's cancel-on-disconnect timer for `window_s` seconds."""
        raise NotImplementedError

    async def disarm_timer(self, symbols: list[str]) -> int:
        """Stop what `arm_timer` armed (in this life or, for `symbols`, an earlier one); the
        number of requests sent."""
        raise NotImplementedError
