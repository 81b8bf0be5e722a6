"""The execution actor: one venue account's order entry and private stream on the bus.

It drives any `ExecutionClient` (`pyengine.venues.base`), named by `client` and built by
the client registry (`pyengine.venues.clients`): "sim" (a simulated exchange of this
process's `world`) or a venue's authenticated client ("binance-usdm", "bybit", "okx"; `live`
holds its URLs and the names of the environment variables holding the keys; keys are never
config values).

- In (acknowledged): `PlaceOrder` on `cmd.venue.<venue>.place` (orders that passed risk)
  and `CancelOrder` on `cmd.order.cancel` (for this venue; a cancel needs no risk check).
- Out: the venue's answer to each request, `OrderAccepted` / `OrderRejected` /
  `OrderCanceled` on `exec.order.<venue>`; from the private stream, `OrderFilled` on
  `exec.fill.<venue>`, `OrderUpdate` on `acct.order.<venue>`, `PositionReport` and
  `BalanceReport` on `acct.position.*` / `acct.balance.*`. An order the venue ends without
  being asked (IOC remainder, expiry, liquidation) is also announced as `OrderCanceled`,
  once. Positions and balances are re-published from the venue's REST view every
  `report_interval_s`, so late joiners (risk, reconciliation) learn them.

Everything is decided in `handle`; the I/O is effects the runner runs: opening the client
(`Call`, correlation "client"), its private stream (`Stream`, "account"), each request
(`Call`, "place:<coid>" / "cancel:<coid>", with a deadline of `request_timeout_s`) and the
reports. Their answers come back to `handle` as `Replied` / `Failed` the moment they exist.
A client error or a missed deadline on `place` is answered with `OrderRejected`
(`stage="execution"`, reason `client_error: ...`): with a live venue the order may still
exist, which reconciliation settles. The private stream ending, or the client failing to
open, fails the actor (the supervisor restarts it). On restart, orders of the journal that
never got an answer and are younger than `replace_window_s` are sent again; clients are
idempotent on `client_order_id`, so an order that did reach the venue gets its first
answer again.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from functools import partial

import msgspec

from pyengine.actors.base import Actor, ActorContext
from pyengine.actors.effects import Call, Output, Stream
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
from pyengine.messages.effects import Failed, Replied
from pyengine.venues.base import ExecutionClient
from pyengine.venues.clients import ClientKind, ClientSpec, client_kind
from pyengine.venues.private.config import PrivateClientConfig

log = logging.getLogger("pyengine.actors.execution")

_ENDED = ("canceled", "expired")


class ExecutionOptions(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """`[actors.options]` of an execution actor."""

    venue: str
    """The venue name in topics and messages (`cmd.venue.<venue>.place`)."""
    client: str = "sim"
    """A name of the client registry (`pyengine.venues.clients.CLIENTS`): "sim" (a simulated
    exchange of this process's `world`) or a venue's live authenticated client."""
    live: PrivateClientConfig | None = None
    """The live client's account (default: production URLs, `<VENUE>_API_*` variables)."""
    world: str = "sim"
    """The `sim_world` actor whose exchange `venue` this actor trades on."""
    report_interval_s: float = 2.0
    poll_interval_s: float = 0.002
    """Deprecated, unused: replies reach the actor as they arrive (kept so configs load)."""
    replace_window_s: float = 30.0
    request_timeout_s: float = 30.0
    """Deadline of one place or cancel request; past it the request is answered
    `OrderRejected` (`client_error: ...`) and left to reconciliation."""


class ExecutionActor(Actor):
    """Sends approved orders and cancels to one venue account; publishes what it answers."""

    def __init__(self, ctx: ActorContext, client: ExecutionClient | None = None) -> None:
        super().__init__(ctx)
        self.opts = o = ctx.options_as(ExecutionOptions)
        if o.report_interval_s <= 0 or o.request_timeout_s <= 0 or o.replace_window_s < 0:
            raise ConfigError(f"actors.{self.name}.options: intervals must be positive")
        self.spec = ClientSpec(client=o.client, venue=o.venue, world=o.world, live=o.live)
        # The kind is checked now (the plan builds each actor once) and opened in on_start.
        self._kind: ClientKind | None = None
        if client is None:
            try:
                self._kind = client_kind(o.client)
                self._kind.check(self.spec)
            except ConfigError as exc:
                raise ConfigError(f"actors.{self.name}.options.{exc}") from None
        elif client.venue != o.venue:
            raise ConfigError(f"actors.{self.name}.options.venue: the client is {client.venue!r}")
        self.venue = o.venue
        self._client = client
        self._waiting: list[PlaceOrder | CancelOrder] = []
        """Requests that came before the client was open."""
        self._resend: list[PlaceOrder] = []
        self._reports: set[str] = set()
        self.orders = SentOrders()
        self._unanswered: dict[str, PlaceOrder] = {}
        self.counters: dict[str, int] = dict.fromkeys(
            ("placed", "canceled", "events", "fills", "client_errors", "ignored"), 0
        )

    def topics(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return (), (f"cmd.venue.{self.venue}.", "cmd.order.cancel")

    def timer_period(self) -> float | None:
        return self.opts.report_interval_s

    def colocated_with(self) -> tuple[str, ...]:
        """Actors that must run in this actor's process (the simulated world it trades on)."""
        return self._kind.colocated_with(self.spec) if self._kind is not None else ()

    def recover(self, journal: Iterable[Message]) -> None:
        self._unanswered = self.orders.recover(journal, self.venue)

    def on_start(self) -> list[Output]:
        now = self.now()
        window = int(self.opts.replace_window_s * 1e9)
        for coid, msg in sorted(self._unanswered.items()):
            if now - msg.ts_event <= window:
                log.info("%s: re-sending unanswered order %s", self.name, coid)
                self._resend.append(msg)
            else:
                log.warning(
                    "%s: order %s has no recorded answer and is too old to re-send;"
                    " reconciliation must settle it",
                    self.name,
                    coid,
                )
        self._unanswered.clear()
        if self._client is not None:
            return self._ready(self._client)
        kind = self._kind
        assert kind is not None
        return [Call(partial(kind.open, self.spec), "client")]

    def _ready(self, client: ExecutionClient) -> list[Output]:
        """The client is open: its stream, a first report, then what waited for it."""
        self._client = client
        out: list[Output] = [Stream(client.account_events, "account"), *self._report(client)]
        for msg in self._resend:
            out.append(self._place(client, msg))
        self._resend.clear()
        waiting, self._waiting = self._waiting, []
        for request in waiting:
            if isinstance(request, PlaceOrder):  # already counted as sent
                out.append(self._place(client, request))
            else:
                out.extend(self.handle(request))
        return out

    def _report(self, client: ExecutionClient) -> list[Output]:
        out: list[Output] = []
        for what, fetch in (("positions", client.positions), ("balances", client.balances)):
            if what not in self._reports:
                self._reports.add(what)
                out.append(Call(fetch, what, self._deadline()))
        return out

    def _deadline(self) -> int:
        return self.now() + int(self.opts.request_timeout_s * 1e9)

    def _place(self, client: ExecutionClient, msg: PlaceOrder) -> Call:
        order = msg.order
        return Call(
            partial(client.place, order), f"place:{order.client_order_id}", self._deadline()
        )

    def handle(self, msg: Message) -> list[Output]:
        if type(msg) is Replied or type(msg) is Failed:
            return self._answer(msg)
        if isinstance(msg, PlaceOrder):
            order = msg.order
            if order.venue != self.venue:
                self.counters["ignored"] += 1
                log.warning("%s: PlaceOrder for venue %r ignored", self.name, order.venue)
            elif self.orders.send(order):
                if self._client is None:
                    self._waiting.append(msg)
                    return []
                return [self._place(self._client, msg)]
        elif isinstance(msg, CancelOrder) and msg.venue == self.venue:
            coid = msg.client_order_id
            symbol = self.orders.symbol(coid)
            if symbol is None:
                why = "unknown_order: cancel of an order never sent to this venue"
                return [self._rejected(coid, why)]
            if self._client is None:
                self._waiting.append(msg)
                return []
            cancel = partial(self._client.cancel, coid, symbol)
            return [Call(cancel, f"cancel:{coid}", self._deadline())]
        return []

    def _rejected(self, coid: str, reason: str) -> OrderRejected:
        now = self.now()
        return OrderRejected(
            ts_event=now,
            ts_recv=now,
            client_order_id=coid,
            venue=self.venue,
            reason=reason,
            stage="execution",
        )

    def _answer(self, msg: Replied | Failed) -> list[Output]:
        """A reply of one of this actor's effects."""
        what, _, coid = msg.correlation_id.partition(":")
        if type(msg) is Failed:
            return self._failed(what, coid, msg)
        assert isinstance(msg, Replied)
        value = msg.value
        if what == "place":
            self.counters["placed"] += 1
            self.orders.answer(coid)
            return [_message(value, msg.correlation_id)]
        if what == "cancel":
            self.counters["canceled"] += 1
            reply = _message(value, msg.correlation_id)
            if isinstance(reply, OrderCanceled) and not self.orders.end(coid):
                return []
            return [reply]
        if what == "account":
            return self.on_account(_message(value, msg.correlation_id))
        if what in ("positions", "balances"):
            self._reports.discard(what)
            if not isinstance(value, list):
                raise TypeError(f"{what}: the client answered {type(value).__name__}")
            return [_message(m, msg.correlation_id) for m in value]
        if what == "client":
            if not isinstance(value, ExecutionClient):
                raise TypeError(f"client: {type(value).__name__} is not an ExecutionClient")
            return self._ready(value)
        return []

    def _failed(self, what: str, coid: str, msg: Failed) -> list[Output]:
        error = msg.error if msg.reason == "error" else f"TimeoutError: {msg.error}"
        if what in ("place", "cancel"):
            self.counters["client_errors"] += 1
            log.warning("%s: %s %s failed: %s", self.name, what, coid, error)
            if what == "place":
                self.counters["placed"] += 1
                self.orders.answer(coid)
            return [self._rejected(coid, f"client_error: {error}")]
        if what in ("positions", "balances"):
            self._reports.discard(what)
            self.counters["client_errors"] += 1
            log.warning("%s: %s report failed: %s", self.name, what, error)
            return []
        if what == "account":
            # The client reconnects by itself; a stream that gives up is a broken client.
            raise RuntimeError(f"{self.name}: account stream {msg.reason}: {msg.error}")
        if what == "client":
            raise RuntimeError(f"{self.name}: opening the {self.opts.client} client: {error}")
        return []

    def on_account(self, ev: Message) -> list[Output]:
        """What to publish for one private-stream event."""
        self.counters["events"] += 1
        out: list[Output] = [ev]
        if isinstance(ev, OrderFilled):
            self.counters["fills"] += 1
        elif (
            isinstance(ev, OrderUpdate)
            and ev.status in _ENDED
            and self.orders.end(ev.client_order_id)
        ):
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

    def on_timer(self, now_ns: int) -> list[Output]:
        return self._report(self._client) if self._client is not None else []

    def cleanups(self) -> Sequence[Callable[[], Awaitable[object]]]:
        opened, kind = self._client, self._kind
        # An injected client belongs to whoever injected it (no kind); an opened one to
        # this life.
        if opened is None or kind is None:
            return ()
        return (partial(kind.close, opened),)

    def stats(self) -> dict[str, int]:
        return dict(self.counters)


class SentOrders:
    """All the per-order state execution keeps, by client order id: sent (with its symbol,
    which a cancel needs), answered, ended. One place, so an order state machine can take
    its place."""

    def __init__(self) -> None:
        self.symbols: dict[str, str] = {}
        self.answered: set[str] = set()
        self.ended: set[str] = set()

    def send(self, order: SubmitOrder) -> bool:
        """Record an order to send; False if it was sent before (a redelivery)."""
        if order.client_order_id in self.symbols:
            return False
        self.symbols[order.client_order_id] = order.symbol
        return True

    def symbol(self, coid: str) -> str | None:
        return self.symbols.get(coid)

    def answer(self, coid: str) -> None:
        self.answered.add(coid)

    def end(self, coid: str) -> bool:
        """Record that an order ended; True the first time (announce it once)."""
        if coid in self.ended:
            return False
        self.ended.add(coid)
        return True

    def recover(self, journal: Iterable[Message], venue: str) -> dict[str, PlaceOrder]:
        """Rebuild from the journal; the orders of `venue` that never got an answer."""
        placed: dict[str, PlaceOrder] = {}
        for msg in journal:
            if isinstance(msg, PlaceOrder) and msg.order.venue == venue:
                placed[msg.order.client_order_id] = msg
                self.symbols[msg.order.client_order_id] = msg.order.symbol
            elif isinstance(msg, OrderAccepted | OrderRejected) and msg.venue == venue:
                self.answered.add(msg.client_order_id)
            elif isinstance(msg, OrderCanceled) and msg.venue == venue:
                self.ended.add(msg.client_order_id)
        return {c: p for c, p in placed.items() if c not in self.answered}


def _message(value: object, correlation_id: str) -> Message:
    """A client's answer, which the `ExecutionClient` protocol types as a message."""
    if not isinstance(value, Message):
        raise TypeError(f"{correlation_id}: the client answered {type(value).__name__}")
    return value
