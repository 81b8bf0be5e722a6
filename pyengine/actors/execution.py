"""The execution actor: one venue account's order entry and private stream on the bus.

It drives any `ExecutionClient` (`pyengine.venues.base`), named by `client` and built by
the client registry (`pyengine.venues.clients`): "sim" (a simulated exchange of this
process's `world`) or a venue's authenticated client ("binance-usdm", "bybit", "okx"; `live`
holds its URLs and the names of the environment variables holding the keys; keys are never
config values).

- In (acknowledged): `PlaceOrder` on `cmd.venue.<venue>.place` (orders that passed risk)
  and `CancelOrder` on `cmd.order.cancel` (for this venue; a cancel needs no risk check).
- Out: the venue's answer to each request, `OrderAccepted` / `OrderRejected` /
  `OrderCanceled` / `OrderStatusUnknown` on `exec.order.<venue>`; from the private stream,
  `OrderFilled` on `exec.fill.<venue>`, `OrderUpdate` on `acct.order.<venue>`,
  `PositionReport` and `BalanceReport` on `acct.position.*` / `acct.balance.*`. An order the
  venue ends without being asked (IOC remainder, expiry, liquidation) is also announced as
  `OrderCanceled`, once. Positions and balances are re-published from the venue's REST view
  every `report_interval_s`, so late joiners (risk, reconciliation) learn them.

Every order's state is one `OrderTable` (`pyengine.orders`), the lifecycle strategies and
the risk gate keep too: each request, reply and private-stream event goes through it. An
event the order's state does not allow is published with an `order_illegal_transition`
alert (never a silent overwrite, never a crash); a fill whose trade id was seen is dropped.

Ambiguous outcomes (`pyengine.orders.outcome`): a request past its deadline, a transport
error, a rate limit or a venue "status unknown" code (Binance -1006/-1007) is not a
rejection: the order stays in flight, `OrderStatusUnknown` says so, and the venue is asked
(`execution_orders.VenueOrders`, `order_status.StatusQueries`) until its answer settles the
order. Only a definitive venue refusal publishes `OrderRejected`.

Everything is decided in `handle`; the I/O is effects the runner runs: opening the client
(`Call`, correlation "client"), its private stream (`Stream`, "account"), each request
(`Call`, "place:<coid>" / "cancel:<coid>" / "query:<coid>", with a deadline of
`request_timeout_s`) and the reports. Their answers come back to `handle` as `Replied` /
`Failed` the moment they exist. The private stream ending, or the client failing to open,
fails the actor (the supervisor restarts it).

On restart the journal of this venue is replayed into the table. Orders still in flight
that the venue never answered are asked for first when the client can look one order up:
found, the venue's answer settles them; not found and younger than `replace_window_s`, they
are sent again under the same client order id (the ids are deterministic, and a venue that
already has one refuses the duplicate, which reads as "already known" and is queried).
A client that cannot look an order up gets them sent again directly.

Cancel-on-disconnect: a client whose venue offers a dead man's switch has it armed once
open, re-armed from the timer (`Call`, correlation "cod") and disarmed at a clean stop
(`execution_deadman.DeadMan`, docs/venues.md#cancel-on-disconnect).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from functools import partial

import msgspec

from pyengine.actors.base import Actor, ActorContext
from pyengine.actors.effects import Call, Output, Stream
from pyengine.actors.execution_deadman import CORRELATION as COD
from pyengine.actors.execution_deadman import DeadMan
from pyengine.actors.execution_orders import VenueOrders
from pyengine.actors.snapshots import decode_execution, encode_execution
from pyengine.errors import ConfigError
from pyengine.messages import (
    CancelOrder,
    Message,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderRejected,
    OrderStatusUnknown,
    OrderUpdate,
    PlaceOrder,
)
from pyengine.messages.effects import Failed, Replied
from pyengine.orders import OrderError, OrderStatus
from pyengine.orders.outcome import is_ambiguous, is_duplicate_submit
from pyengine.venues.base import ExecutionClient
from pyengine.venues.clients import ClientKind, ClientSpec, client_kind
from pyengine.venues.private.config import PrivateClientConfig

log = logging.getLogger("pyengine.actors.execution")

_JOURNAL_EVENTS = (
    OrderAccepted,
    OrderRejected,
    OrderCanceled,
    OrderFilled,
    OrderUpdate,
    OrderStatusUnknown,
    CancelOrder,
)
"""What `recover` replays of this venue (with its `PlaceOrder`s)."""


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
    """Period of the position and balance reports, and of status queries asked again."""
    poll_interval_s: float = 0.002
    """Deprecated, unused: replies reach the actor as they arrive (kept so configs load)."""
    replace_window_s: float = 30.0
    request_timeout_s: float = 30.0
    """Deadline of one place, cancel or status request; past it the outcome is unknown
    (`OrderStatusUnknown`) and the order's status is queried."""
    query_attempts: int = 3
    """How many "no such order" answers of the venue's single-order lookup, one period
    apart, prove that an unanswered order does not exist (then it is rejected)."""


class ExecutionActor(Actor):
    """Sends approved orders and cancels to one venue account; publishes what it answers."""

    def __init__(self, ctx: ActorContext, client: ExecutionClient | None = None) -> None:
        super().__init__(ctx)
        self.opts = o = ctx.options_as(ExecutionOptions)
        if o.report_interval_s <= 0 or o.request_timeout_s <= 0 or o.replace_window_s < 0:
            raise ConfigError(f"actors.{self.name}.options: intervals must be positive")
        if o.query_attempts < 1:
            raise ConfigError(f"actors.{self.name}.options.query_attempts: at least 1")
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
        self._reports: set[str] = set()
        self._unanswered: list[PlaceOrder] = []
        """After a restart: orders of the journal still in flight, never answered."""
        self.counters: dict[str, int] = dict.fromkeys(
            ("placed", "canceled", "client_errors", "ignored", "redelivered"), 0
        )
        self.book = VenueOrders(
            self.name,
            o.venue,
            now=self.now,
            timeout_ns=int(o.request_timeout_s * 1e9),
            query_attempts=o.query_attempts,
            counters=self.counters,
        )
        self.book.client = client
        self.orders = self.book.orders
        """Every order of this venue account this actor knows, moved only by the wire."""
        self.queries = self.book.queries
        self.deadman = DeadMan(
            self.name, o.venue, now=self.now, deadline=self.book.deadline, counters=self.counters
        )
        self._clean_stop = False

    def topics(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return (), (f"cmd.venue.{self.venue}.", "cmd.order.cancel")

    def timer_period(self) -> float | None:
        return self.opts.report_interval_s

    def colocated_with(self) -> tuple[str, ...]:
        """Actors that must run in this actor's process (the simulated world it trades on)."""
        return self._kind.colocated_with(self.spec) if self._kind is not None else ()

    def recover(self, journal: Iterable[Message]) -> None:
        """Replay this venue's orders and their events into the table."""
        self.orders.replay(self._mine(journal))
        self._unanswered = [
            p
            for coid, p in sorted(self.book.placed.items())
            if (o := self.orders.get(coid)) is not None and o.status is OrderStatus.IN_FLIGHT
        ]
        self.book.forget_ended()

    snapshot_version = 1

    def snapshot(self) -> bytes | None:
        return encode_execution(self.orders, self.book.placed)

    def restore(self, blob: bytes) -> None:
        self.book.placed = decode_execution(blob, self.orders)

    def recovered(self) -> dict[str, int]:
        return {
            "orders_in_flight": len(self._unanswered),
            "orders_open": len(self.orders.open_orders()),
        }

    def _mine(self, journal: Iterable[Message]) -> Iterator[Message]:
        venue = self.venue
        for msg in journal:
            if isinstance(msg, PlaceOrder):
                if msg.order.venue == venue:
                    self.book.placed[msg.order.client_order_id] = msg
                    yield msg
            elif isinstance(msg, _JOURNAL_EVENTS) and msg.venue == venue:
                yield msg

    def on_start(self) -> list[Output]:
        if self._client is not None:
            return self._ready(self._client)
        kind = self._kind
        assert kind is not None
        return [Call(partial(kind.open, self.spec), "client")]

    def _ready(self, client: ExecutionClient) -> list[Output]:
        """The client is open: its stream, a first report, then what waited for it."""
        self._client = self.book.client = client
        out: list[Output] = [Stream(client.account_events, "account"), *self._report(client)]
        self.deadman.attach(client)
        self.deadman.symbols.update(o.symbol for o in self.orders.open_orders(self.venue))
        out.extend(self.deadman.due())  # before any order of this life is sent
        out.extend(self._restart(client))
        out.extend(self.book.ask_due())
        waiting, self._waiting = self._waiting, []
        for request in waiting:
            if isinstance(request, PlaceOrder):  # already in the table
                out.append(self.book.place_call(request))
            else:
                out.append(self.book.cancel_call(request.client_order_id))
        return out

    def _restart(self, client: ExecutionClient) -> list[Output]:
        """Orders of the journal that never got an answer: ask first, or send again."""
        out: list[Output] = []
        now, window = self.now(), int(self.opts.replace_window_s * 1e9)
        can_look_up = self.queries.can_look_up(client)
        for msg in self._unanswered:
            coid = msg.order.client_order_id
            young = now - msg.ts_event <= window
            if can_look_up:
                log.info("%s: asking the venue about unanswered order %s", self.name, coid)
                self.queries.add(coid, resend=msg if young else None)
            elif young:
                log.info("%s: re-sending unanswered order %s", self.name, coid)
                self.counters["resent"] += 1
                out.append(self.book.place_call(msg))
            else:
                log.warning(
                    "%s: order %s has no recorded answer and is too old to re-send;"
                    " reconciliation must settle it",
                    self.name,
                    coid,
                )
        self._unanswered = []
        return out

    def _report(self, client: ExecutionClient) -> list[Output]:
        out: list[Output] = []
        for what, fetch in (("positions", client.positions), ("balances", client.balances)):
            if what not in self._reports:
                self._reports.add(what)
                out.append(Call(fetch, what, self.book.deadline()))
        return out

    def handle(self, msg: Message) -> list[Output]:
        if type(msg) is Replied or type(msg) is Failed:
            return self._answer(msg)
        if isinstance(msg, PlaceOrder):
            return self._on_place(msg)
        if isinstance(msg, CancelOrder) and msg.venue == self.venue:
            coid = msg.client_order_id
            if self.orders.get(coid) is None:
                why = "unknown_order: cancel of an order never sent to this venue"
                return [self.book.rejected(coid, why)]
            _, out = self.book.apply(msg)
            if self._client is None:
                self._waiting.append(msg)
                return out
            return [*out, self.book.cancel_call(coid)]
        return []

    def _on_place(self, msg: PlaceOrder) -> list[Output]:
        order = msg.order
        coid = order.client_order_id
        if order.venue != self.venue:
            self.counters["ignored"] += 1
            log.warning("%s: PlaceOrder for venue %r ignored", self.name, order.venue)
            return []
        if coid in self.orders:  # a redelivery (or a reused id): never sent twice
            self.counters["redelivered"] += 1
            return []
        try:
            self.orders.submit(msg)
        except OrderError as exc:  # cannot happen for an id not in the table; kept typed
            log.warning("%s: %s", self.name, exc)
            return []
        self.book.placed[coid] = msg
        if self._client is None:
            self._waiting.append(msg)
            return []
        return [*self.deadman.cover(order.symbol), self.book.place_call(msg)]

    def _answer(self, msg: Replied | Failed) -> list[Output]:
        """A reply of one of this actor's effects."""
        what, _, coid = msg.correlation_id.partition(":")
        if type(msg) is Failed:
            return self._failed(what, coid, msg)
        assert isinstance(msg, Replied)
        value = msg.value
        if what == "place":
            self.counters["placed"] += 1
            reply = _message(value, msg.correlation_id)
            if isinstance(reply, OrderRejected) and (
                is_ambiguous(reply) or is_duplicate_submit(reply)
            ):
                # A duplicate id refused: the venue already has an order under this id
                # (a re-send after a restart): ask it which state that order is in.
                return self.book.unknown(coid, "place", reply.reason, reply.codes)
            return self.book.publish(reply)
        if what == "cancel":
            self.counters["canceled"] += 1
            reply = _message(value, msg.correlation_id)
            if isinstance(reply, OrderRejected) and (
                is_ambiguous(reply) or self.book.unacked(coid)
            ):
                return self.book.unknown(coid, "cancel", reply.reason, reply.codes)
            if isinstance(reply, OrderCanceled):
                return self.book.ended(reply)
            return self.book.publish(reply)
        if what == "query":
            return self.book.queried(coid, value)
        if what == "account":
            return self.book.account(_message(value, msg.correlation_id))
        if what in ("positions", "balances"):
            self._reports.discard(what)
            if not isinstance(value, list):
                raise TypeError(f"{what}: the client answered {type(value).__name__}")
            return [_message(m, msg.correlation_id) for m in value]
        if what == COD:
            return self.deadman.replied(value)
        if what == "client":
            if not isinstance(value, ExecutionClient):
                raise TypeError(f"client: {type(value).__name__} is not an ExecutionClient")
            return self._ready(value)
        return []

    def _failed(self, what: str, coid: str, msg: Failed) -> list[Output]:
        error = msg.error if msg.reason == "error" else f"TimeoutError: {msg.error}"
        if what in ("place", "cancel"):
            self.counters["client_errors"] += 1
            if what == "place":
                self.counters["placed"] += 1
            log.warning("%s: %s %s failed: %s", self.name, what, coid, error)
            code = "timeout" if msg.reason == "timeout" else "transport"
            return self.book.unknown(coid, what, f"client_error: {error}", (code,))
        if what == "query":
            self.counters["query_errors"] += 1
            self.book.queries.failed(coid)
            log.warning("%s: status query of %s failed: %s", self.name, coid, error)
            return []
        if what in ("positions", "balances"):
            self._reports.discard(what)
            self.counters["client_errors"] += 1
            log.warning("%s: %s report failed: %s", self.name, what, error)
            return []
        if what == COD:
            return self.deadman.failed(error)
        if what == "account":
            # The client reconnects by itself; a stream that gives up is a broken client.
            raise RuntimeError(f"{self.name}: account stream {msg.reason}: {msg.error}")
        if what == "client":
            raise RuntimeError(f"{self.name}: opening the {self.opts.client} client: {error}")
        return []

    def on_timer(self, now_ns: int) -> list[Output]:
        if self._client is None:
            return []
        return [*self._report(self._client), *self.book.ask_due(), *self.deadman.due()]

    def on_stop(self) -> list[Output]:
        self._clean_stop = True  # the cleanups disarm the venue's timer
        return []

    def cleanups(self) -> Sequence[Callable[[], Awaitable[object]]]:
        opened, kind = self._client, self._kind
        disarm = (self.deadman.disarm,) if self._clean_stop else ()
        # An injected client belongs to whoever injected it (no kind); an opened one to
        # this life.
        if opened is None or kind is None:
            return disarm
        return (*disarm, partial(kind.close, opened))

    def stats(self) -> dict[str, int]:
        table = {f"orders_{k}": v for k, v in self.orders.counters.items()}
        open_orders = len(self.orders.open_orders())
        return {**self.counters, **table, "orders_open": open_orders, **self.deadman.stats()}


def _message(value: object, correlation_id: str) -> Message:
    """A client's answer, which the `ExecutionClient` protocol types as a message."""
    if not isinstance(value, Message):
        raise TypeError(f"{correlation_id}: the client answered {type(value).__name__}")
    return value
