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
(`order_status.StatusQueries`) until its answer settles the order. Only a definitive venue
refusal publishes `OrderRejected`.

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
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from functools import partial

import msgspec

from pyengine.actors.base import Actor, ActorContext
from pyengine.actors.effects import Call, Output, Stream
from pyengine.actors.order_status import (
    StatusQueries,
    settle_from_venue,
    unsettled,
    unsettled_alert,
)
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
from pyengine.orders import Change, IllegalTransition, Order, OrderError, OrderStatus, OrderTable
from pyengine.orders import illegal_alert as _illegal_alert
from pyengine.orders.outcome import is_ambiguous, is_duplicate_submit
from pyengine.venues.base import ExecutionClient
from pyengine.venues.clients import ClientKind, ClientSpec, client_kind
from pyengine.venues.private.config import PrivateClientConfig

log = logging.getLogger("pyengine.actors.execution")

_ENDED = ("canceled", "expired")
_ORDER_EVENTS = (OrderAccepted, OrderRejected, OrderCanceled, OrderFilled, OrderUpdate)
_JOURNAL_EVENTS = (*_ORDER_EVENTS, OrderStatusUnknown, CancelOrder)


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
        self.orders = OrderTable()
        """Every order of this venue account this actor knows, moved only by the wire."""
        self._placed: dict[str, PlaceOrder] = {}
        """The command of each order not yet ended (re-sent after a restart, and the ids it
        carries copied onto `OrderStatusUnknown`)."""
        self._unanswered: list[PlaceOrder] = []
        """After a restart: orders of the journal still in flight, never answered."""
        self.queries = StatusQueries(o.query_attempts)
        self.counters: dict[str, int] = dict.fromkeys(
            (
                "placed",
                "canceled",
                "events",
                "fills",
                "client_errors",
                "ignored",
                "redelivered",
                "duplicate_fills",
                "illegal",
                "invalid",
                "unknown_outcomes",
                "queries",
                "query_errors",
                "resent",
            ),
            0,
        )

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
            for coid, p in sorted(self._placed.items())
            if (o := self.orders.get(coid)) is not None and o.status is OrderStatus.IN_FLIGHT
        ]
        self._forget_ended()

    def _mine(self, journal: Iterable[Message]) -> Iterator[Message]:
        venue = self.venue
        for msg in journal:
            if isinstance(msg, PlaceOrder):
                if msg.order.venue == venue:
                    self._placed[msg.order.client_order_id] = msg
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
        self._client = client
        out: list[Output] = [Stream(client.account_events, "account"), *self._report(client)]
        out.extend(self._restart(client))
        out.extend(self._ask_due())
        waiting, self._waiting = self._waiting, []
        for request in waiting:
            if isinstance(request, PlaceOrder):  # already in the table
                out.append(self._place(client, request))
            else:
                out.append(self._cancel(client, request.client_order_id))
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
                out.append(self._place(client, msg))
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
                out.append(Call(fetch, what, self._deadline()))
        return out

    def _deadline(self) -> int:
        return self.now() + int(self.opts.request_timeout_s * 1e9)

    def _place(self, client: ExecutionClient, msg: PlaceOrder) -> Call:
        order = msg.order
        return Call(
            partial(client.place, order), f"place:{order.client_order_id}", self._deadline()
        )

    def _cancel(self, client: ExecutionClient, coid: str) -> Call:
        order = self.orders.get(coid)
        assert order is not None  # only known orders are cancelled
        cancel = partial(client.cancel, coid, order.symbol)
        return Call(cancel, f"cancel:{coid}", self._deadline())

    def handle(self, msg: Message) -> list[Output]:
        if type(msg) is Replied or type(msg) is Failed:
            return self._answer(msg)
        if isinstance(msg, PlaceOrder):
            return self._on_place(msg)
        if isinstance(msg, CancelOrder) and msg.venue == self.venue:
            coid = msg.client_order_id
            if self.orders.get(coid) is None:
                why = "unknown_order: cancel of an order never sent to this venue"
                return [self._rejected(coid, why)]
            _, out = self._apply(msg)
            if self._client is None:
                self._waiting.append(msg)
                return out
            return [*out, self._cancel(self._client, coid)]
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
        self._placed[coid] = msg
        if self._client is None:
            self._waiting.append(msg)
            return []
        return [self._place(self._client, msg)]

    def _rejected(self, coid: str, reason: str, codes: Sequence[str] = ()) -> OrderRejected:
        now = self.now()
        order = self.orders.get(coid)
        return OrderRejected(
            ts_event=now,
            ts_recv=now,
            client_order_id=coid,
            venue=self.venue,
            reason=reason,
            stage="execution",
            parent_id=order.parent_id if order is not None else "",
            codes=list(codes),
        )

    def _apply(self, ev: Message) -> tuple[Change | None, list[Output]]:
        """Apply `ev` to the table: what it changed, and the alert of an illegal transition
        (then the change is None). None and no alert: `ev` is invalid and must be dropped."""
        try:
            change = self.orders.apply(ev)
        except IllegalTransition as exc:
            self.counters["illegal"] += 1
            log.warning("%s: %s", self.name, exc)
            return None, [_illegal_alert(exc, source=self.name, now=self.now())]
        except OrderError as exc:  # a fill of no quantity or price: bad venue data, dropped
            self.counters["invalid"] += 1
            log.warning("%s: dropped %s: %s", self.name, type(ev).__name__, exc)
            return None, []
        coid = getattr(ev, "client_order_id", "")
        order = self.orders.get(coid) if coid else None
        if order is not None and order.is_terminal:
            self._placed.pop(coid, None)
            self.queries.drop(coid)
        return change, []

    def _publish(self, ev: Message) -> list[Output]:
        """An answer about an order: applied to the table, then published with any alert."""
        change, alerts = self._apply(ev)
        if change is None and not alerts:
            return []
        return [ev, *alerts]

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
                return self._unknown(coid, "place", reply.reason, reply.codes)
            return self._publish(reply)
        if what == "cancel":
            self.counters["canceled"] += 1
            reply = _message(value, msg.correlation_id)
            if isinstance(reply, OrderRejected) and is_ambiguous(reply):
                return self._unknown(coid, "cancel", reply.reason, reply.codes)
            if isinstance(reply, OrderCanceled):
                return self._ended(reply)
            return self._publish(reply)
        if what == "query":
            return self._queried(coid, value)
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
            if what == "place":
                self.counters["placed"] += 1
            log.warning("%s: %s %s failed: %s", self.name, what, coid, error)
            code = "timeout" if msg.reason == "timeout" else "transport"
            return self._unknown(coid, what, f"client_error: {error}", (code,))
        if what == "query":
            self.counters["query_errors"] += 1
            self.queries.failed(coid)
            log.warning("%s: status query of %s failed: %s", self.name, coid, error)
            return []
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

    def _unknown(self, coid: str, request: str, reason: str, codes: Sequence[str]) -> list[Output]:
        """A request without a definitive answer: the order stays in flight and is queried."""
        order = self.orders.get(coid)
        if order is None or not unsettled(order):
            # Already settled by the private stream (a fill, a cancel) while the request
            # waited: the late failure adds nothing.
            log.info("%s: %s %s unanswered, already %s", self.name, request, coid,
                     order.status.value if order else "unknown")  # fmt: skip
            return []
        self.counters["unknown_outcomes"] += 1
        placed = self._placed.get(coid)
        now = self.now()
        ev = OrderStatusUnknown(
            ts_event=now,
            ts_recv=now,
            client_order_id=coid,
            venue=self.venue,
            reason=reason,
            request="cancel" if request == "cancel" else "place",
            codes=list(codes),
            parent_id=order.parent_id,
            correlation_id=(placed.correlation_id or placed.order.correlation_id)
            if placed is not None
            else "",
        )
        out = self._publish(ev)
        self.queries.add(coid, cancel=request == "cancel")
        out.extend(self._ask(coid))
        return out

    def _ask(self, coid: str) -> list[Output]:
        client = self._client
        order = self.orders.get(coid)
        if client is None or order is None or not self.queries.start(coid):
            return []
        self.counters["queries"] += 1
        start = self.queries.request(client, coid, order.symbol)
        return [Call(start, f"query:{coid}", self._deadline())]

    def _ask_due(self) -> list[Output]:
        out: list[Output] = []
        for coid in self.queries.due():
            order = self.orders.get(coid)
            if order is None or not unsettled(order):
                self.queries.drop(coid)
            else:
                out.extend(self._ask(coid))
        return out

    def _queried(self, coid: str, value: object) -> list[Output]:
        """The venue's answer about one order whose outcome was unknown."""
        order = self.orders.get(coid)
        verdict = self.queries.answered(coid, value)
        if order is None or verdict is None:
            return []
        if verdict.found is not None:
            return [verdict.found, *self._settle(order, verdict.found, verdict.cancel)]
        if verdict.resend is not None and self._client is not None:
            log.info("%s: the venue has no order %s: sending it again", self.name, coid)
            self.counters["resent"] += 1
            return [self._place(self._client, verdict.resend)]
        if verdict.gave_up:
            log.warning("%s: order %s: outcome still unknown, left to reconciliation",
                        self.name, coid)  # fmt: skip
            return [unsettled_alert(coid, source=self.name, now=self.now())]
        if not verdict.proven_absent:
            return []  # asked again at the next period
        if order.status is OrderStatus.IN_FLIGHT:
            why = f"not_found: the venue has no order {coid} ({self.opts.query_attempts} queries)"
            rejected = msgspec.structs.replace(self._rejected(coid, why, ("not_found",)),
                                               stage="venue")  # fmt: skip
            return self._publish(rejected)
        if unsettled(order):
            now = self.now()
            gone = OrderCanceled(
                ts_event=now,
                ts_recv=now,
                client_order_id=coid,
                venue=self.venue,
                reason="not_found",
                parent_id=order.parent_id,
            )
            return self._ended(gone)
        return []

    def _settle(self, order: Order, found: OrderUpdate, cancel: bool) -> list[Output]:
        """The venue's view of an order whose outcome was unknown, as the order events
        everyone's table reads (strategies and risk do not read `OrderUpdate`)."""
        out: list[Output] = []
        for ev in settle_from_venue(order, found, self.now()):
            out.extend(self._ended(ev) if isinstance(ev, OrderCanceled) else self._publish(ev))
        if (
            cancel
            and order.status is OrderStatus.PENDING_CANCEL
            and order.cancel_outstanding
            and self._client is not None
            and found.status not in _ENDED
        ):
            # The cancel's outcome was unknown and the order still rests: cancel again.
            out.append(self._cancel(self._client, order.client_order_id))
        return out

    def _ended(self, ev: OrderCanceled) -> list[Output]:
        """An order the venue ended: announced only if it was not already ended."""
        order = self.orders.get(ev.client_order_id)
        was_terminal = order is not None and order.is_terminal
        out = self._publish(ev)
        return [] if was_terminal else out

    def on_account(self, ev: Message) -> list[Output]:
        """What to publish for one private-stream event."""
        self.counters["events"] += 1
        if not isinstance(ev, _ORDER_EVENTS):
            return [ev]
        order = self.orders.get(ev.client_order_id)
        if order is not None and isinstance(ev, OrderUpdate):
            waited = self.queries.settled(ev.client_order_id)
            if waited is not None:  # the stream answers the status query first
                return [ev, *self._settle(order, ev, waited.cancel)]
        was_terminal = order is not None and order.is_terminal
        change, alerts = self._apply(ev)
        if isinstance(ev, OrderFilled):
            if change is Change.DUPLICATE_FILL:
                self.counters["duplicate_fills"] += 1
                return alerts
            if change is None and not alerts:
                return []  # invalid (counted)
            # A fill the order's state does not allow still moved a position: published,
            # with the alert.
            self.counters["fills"] += 1
            return [ev, *alerts]
        out: list[Output] = [ev, *alerts]
        if (
            isinstance(ev, OrderUpdate)
            and ev.status in _ENDED
            and order is not None
            and not was_terminal
            and change is not None
        ):
            out.append(
                OrderCanceled(
                    ts_event=ev.ts_event,
                    ts_recv=ev.ts_recv,
                    client_order_id=ev.client_order_id,
                    venue=self.venue,
                    reason=ev.reason or ev.status,
                    parent_id=order.parent_id,
                )
            )
        return out

    def on_timer(self, now_ns: int) -> list[Output]:
        if self._client is None:
            return []
        return [*self._report(self._client), *self._ask_due()]

    def _forget_ended(self) -> None:
        for coid in [c for c in self._placed if (o := self.orders.get(c)) is None or o.is_terminal]:
            del self._placed[coid]

    def cleanups(self) -> Sequence[Callable[[], Awaitable[object]]]:
        opened, kind = self._client, self._kind
        # An injected client belongs to whoever injected it (no kind); an opened one to
        # this life.
        if opened is None or kind is None:
            return ()
        return (partial(kind.close, opened),)

    def stats(self) -> dict[str, int]:
        table = {f"orders_{k}": v for k, v in self.orders.counters.items()}
        return {**self.counters, **table, "orders_open": len(self.orders.open_orders())}


def _message(value: object, correlation_id: str) -> Message:
    """A client's answer, which the `ExecutionClient` protocol types as a message."""
    if not isinstance(value, Message):
        raise TypeError(f"{correlation_id}: the client answered {type(value).__name__}")
    return value
