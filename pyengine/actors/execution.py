"""The execution actor: one venue account's order entry and private stream on the bus.

It drives any `ExecutionClient` (`pyengine.venues.base`): live, or a simulated exchange of
this process (`client = "sim"`). `client = "binance-usdm" | "bybit" | "okx"` builds the
venue's authenticated client (`pyengine.venues.private`) from `live` (URLs, and the names of
the environment variables holding the keys; keys are never config values).

- In (acknowledged): `PlaceOrder` on `cmd.venue.<venue>.place` (orders that passed risk)
  and `CancelOrder` on `cmd.order.cancel` (for this venue; a cancel needs no risk check).
- Out: the venue's answer to each request, `OrderAccepted` / `OrderRejected` /
  `OrderCanceled` on `exec.order.<venue>`; from the private stream, `OrderFilled` on
  `exec.fill.<venue>`, `OrderUpdate` on `acct.order.<venue>`, `PositionReport` and
  `BalanceReport` on `acct.position.*` / `acct.balance.*`. An order the venue ends without
  being asked (IOC remainder, expiry, liquidation) is also announced as `OrderCanceled`,
  once. Positions and balances are re-published from the venue's REST view every
  `report_interval_s`, so late joiners (risk, reconciliation) learn them.

The synchronous half (`handle`, `on_timer`) decides; the client calls run as tasks whose
results `on_timer` (every `poll_interval_s`) and `handle` hand to the runtime, as the
oracle and feed actors do. A client error on `place` is answered with `OrderRejected`
(`stage="execution"`, reason `client_error: ...`): with a live venue the order may still
exist, which reconciliation settles. On restart, orders of the journal that never got an
answer and are younger than `replace_window_s` are sent again; clients are idempotent on
`client_order_id`, so an order that did reach the venue gets its first answer again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine, Iterable
from typing import Any, Literal

import msgspec

from pyengine.actors.base import Actor, ActorContext
from pyengine.errors import ConfigError
from pyengine.messages import (
    CancelOrder,
    Message,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderRejected,
    OrderUpdate,
    PlaceOrder,
    SubmitOrder,
)
from pyengine.sim.host import WORLD_VENUES, HostedWorld, wait_world
from pyengine.venues.base import ExecutionClient
from pyengine.venues.private import PrivateClientConfig, private_client
from pyengine.venues.private.client import PrivateClient
from pyengine.venues.private.errors import PrivateClientError

log = logging.getLogger("pyengine.actors.execution")

_ENDED = ("canceled", "expired")
_CLOSING: set[asyncio.Task[None]] = set()
"""Live clients being closed (a task must be referenced until it ends)."""


class ExecutionOptions(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """`[actors.options]` of an execution actor."""

    venue: str
    """The venue name in topics and messages (`cmd.venue.<venue>.place`)."""
    client: Literal["sim", "binance-usdm", "bybit", "okx"] = "sim"
    """Which client: "sim" (a simulated exchange of this process's `world`) or a venue's
    live authenticated client."""
    live: PrivateClientConfig | None = None
    """The live client's account (default: production URLs, `<VENUE>_API_*` variables)."""
    world: str = "sim"
    """The `sim_world` actor whose exchange `venue` this actor trades on."""
    report_interval_s: float = 2.0
    poll_interval_s: float = 0.002
    replace_window_s: float = 30.0


class ExecutionActor(Actor):
    """Sends approved orders and cancels to one venue account; publishes what it answers."""

    def __init__(self, ctx: ActorContext, client: ExecutionClient | None = None) -> None:
        super().__init__(ctx)
        self.opts = ctx.options_as(ExecutionOptions)
        o = self.opts
        if o.report_interval_s <= 0 or o.poll_interval_s <= 0 or o.replace_window_s < 0:
            raise ConfigError(f"actors.{self.name}.options: intervals must be positive")
        self._live: PrivateClient | None = None
        if client is None and o.client != "sim":
            client = self._live = self._live_client(o)
        if client is None and o.client == "sim" and o.venue not in WORLD_VENUES:
            raise ConfigError(
                f"actors.{self.name}.options.venue: {o.venue!r} is not a simulated venue"
                f" (known: {', '.join(WORLD_VENUES)})"
            )
        if client is not None and client.venue != o.venue:
            raise ConfigError(f"actors.{self.name}.options.venue: the client is {client.venue!r}")
        self.venue = o.venue
        self._client = client
        self._hosted: HostedWorld | None = None
        self._pending: list[Message] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._pump: asyncio.Task[None] | None = None
        self.symbols: dict[str, str] = {}
        """client order id -> symbol, of every order sent (cancels need it)."""
        self.answered: set[str] = set()
        self.ended: set[str] = set()
        self._unanswered: dict[str, PlaceOrder] = {}
        self.counters: dict[str, int] = dict.fromkeys(
            ("placed", "canceled", "events", "fills", "client_errors", "ignored"), 0
        )

    def _live_client(self, o: ExecutionOptions) -> PrivateClient:
        cfg = o.live or PrivateClientConfig(venue=o.client)
        if cfg.venue != o.client:
            raise ConfigError(f"actors.{self.name}.options.live.venue: not {o.client!r}")
        try:
            return private_client(cfg)
        except (PrivateClientError, ValueError) as exc:
            raise ConfigError(f"actors.{self.name}.options.live: {exc}") from None

    def topics(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return (), (f"cmd.venue.{self.venue}.", "cmd.order.cancel")

    def timer_period(self) -> float | None:
        return self.opts.poll_interval_s

    def colocated_with(self) -> tuple[str, ...]:
        """Actors that must run in this actor's process (the simulated world it trades on)."""
        return (self.opts.world,) if self._client is None and self.opts.client == "sim" else ()

    async def client(self) -> ExecutionClient:
        """The venue client (a simulated exchange is looked up once its world runs)."""
        if self._client is None:
            self._hosted = await wait_world(self.opts.world)
            self._hosted.clients.add(self.venue)
            self._client = self._hosted.exchange(self.venue)
        return self._client

    def recover(self, journal: Iterable[Message]) -> None:
        placed: dict[str, PlaceOrder] = {}
        for msg in journal:
            if isinstance(msg, PlaceOrder) and msg.order.venue == self.venue:
                placed[msg.order.client_order_id] = msg
                self.symbols[msg.order.client_order_id] = msg.order.symbol
            elif isinstance(msg, OrderAccepted | OrderRejected) and msg.venue == self.venue:
                self.answered.add(msg.client_order_id)
            elif isinstance(msg, OrderCanceled) and msg.venue == self.venue:
                self.ended.add(msg.client_order_id)
        self._unanswered = {c: p for c, p in placed.items() if c not in self.answered}

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def on_start(self) -> list[Message]:
        if self._pump is None:
            self._pump = asyncio.get_running_loop().create_task(
                self._account_pump(), name=f"{self.name}.account"
            )
        now = self.now()
        window = int(self.opts.replace_window_s * 1e9)
        for coid, msg in sorted(self._unanswered.items()):
            if now - msg.ts_event <= window:
                log.info("%s: re-sending unanswered order %s", self.name, coid)
                self._spawn(self._place(msg.order))
            else:
                log.warning(
                    "%s: order %s has no recorded answer and is too old to re-send;"
                    " reconciliation must settle it",
                    self.name,
                    coid,
                )
        self._unanswered.clear()
        return []

    def handle(self, msg: Message) -> list[Message]:
        if isinstance(msg, PlaceOrder):
            order = msg.order
            if order.venue != self.venue:
                self.counters["ignored"] += 1
                log.warning("%s: PlaceOrder for venue %r ignored", self.name, order.venue)
            elif order.client_order_id not in self.symbols:
                self.symbols[order.client_order_id] = order.symbol
                self._spawn(self._place(order))
        elif isinstance(msg, CancelOrder) and msg.venue == self.venue:
            coid = msg.client_order_id
            symbol = self.symbols.get(coid)
            if symbol is None:
                now = self.now()
                self._pending.append(
                    OrderRejected(
                        ts_event=now,
                        ts_recv=now,
                        client_order_id=coid,
                        venue=self.venue,
                        reason="unknown_order: cancel of an order never sent to this venue",
                        stage="execution",
                    )
                )
            else:
                self._spawn(self._cancel(coid, symbol))
        return self._take()

    def _take(self) -> list[Message]:
        out, self._pending = self._pending, []
        return out

    async def _place(self, order: SubmitOrder) -> None:
        try:
            reply = await (await self.client()).place(order)
        except Exception as exc:
            self.counters["client_errors"] += 1
            log.warning("%s: place %s failed: %s", self.name, order.client_order_id, exc)
            now = self.now()
            reply = OrderRejected(
                ts_event=now,
                ts_recv=now,
                client_order_id=order.client_order_id,
                venue=self.venue,
                reason=f"client_error: {type(exc).__name__}: {exc}",
                stage="execution",
            )
        self.counters["placed"] += 1
        self.answered.add(order.client_order_id)
        self._pending.append(reply)

    async def _cancel(self, coid: str, symbol: str) -> None:
        try:
            reply = await (await self.client()).cancel(coid, symbol)
        except Exception as exc:
            self.counters["client_errors"] += 1
            log.warning("%s: cancel %s failed: %s", self.name, coid, exc)
            now = self.now()
            self._pending.append(
                OrderRejected(
                    ts_event=now,
                    ts_recv=now,
                    client_order_id=coid,
                    venue=self.venue,
                    reason=f"client_error: {type(exc).__name__}: {exc}",
                    stage="execution",
                )
            )
            return
        self.counters["canceled"] += 1
        if isinstance(reply, OrderCanceled):
            if coid in self.ended:
                return
            self.ended.add(coid)
        self._pending.append(reply)

    def on_account(self, ev: Message) -> list[Message]:
        """What to publish for one private-stream event."""
        self.counters["events"] += 1
        out = [ev]
        if isinstance(ev, OrderFilled):
            self.counters["fills"] += 1
        elif (
            isinstance(ev, OrderUpdate)
            and ev.status in _ENDED
            and ev.client_order_id not in self.ended
        ):
            self.ended.add(ev.client_order_id)
            out.append(
                OrderCanceled(
                    ts_event=ev.ts_event,
                    ts_recv=ev.ts_recv,
                    client_order_id=ev.client_order_id,
                    venue=self.venue,
                    reason=ev.reason or ev.status,
                )
            )
        return out

    async def _account_pump(self) -> None:
        client = await self.client()
        await self._report(client)
        reports = asyncio.get_running_loop().create_task(self._reports(client))
        try:
            async for ev in client.account_events():
                self._pending.extend(self.on_account(ev))
        finally:
            reports.cancel()

    async def _report(self, client: ExecutionClient) -> None:
        self._pending.extend(await client.positions())
        self._pending.extend(await client.balances())

    async def _reports(self, client: ExecutionClient) -> None:
        while True:
            await asyncio.sleep(self.opts.report_interval_s)
            await self._report(client)

    def on_timer(self, now_ns: int) -> list[Message]:
        pump = self._pump
        if pump is not None and pump.done() and not pump.cancelled():
            exc = pump.exception()
            raise exc if exc is not None else RuntimeError("account stream ended")
        return self._take()

    def on_stop(self) -> list[Message]:
        return self._take()

    def close(self) -> None:
        if self._pump is not None:
            self._pump.cancel()
            self._pump = None
        for task in list(self._tasks):
            task.cancel()
        if self._live is not None:  # sockets and sessions of this life's live client
            with contextlib.suppress(RuntimeError):  # no loop: nothing was opened
                task = asyncio.get_running_loop().create_task(self._live.close())
                _CLOSING.add(task)
                task.add_done_callback(_CLOSING.discard)
            self._live = None
        # The venue stays marked as read: its account events wait for the next life.

    def stats(self) -> dict[str, int]:
        return dict(self.counters)
