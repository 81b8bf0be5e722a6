"""The orders of one venue account as its execution actor sees them, and what to publish.

`VenueOrders` owns the actor's `OrderTable` (the lifecycle strategies and the risk gate keep
too, `pyengine.orders`) and the status queries of orders whose outcome is unknown
(`order_status`). Every reply and private-stream event goes through `apply`: an event the
order's state does not allow comes back with an `order_illegal_transition` alert (the
table is unchanged: never a silent overwrite); a fill with a trade id seen before is
dropped and counted; an order's end is announced (`OrderCanceled`) only the first time.
The venue knows neither `parent_id` nor `correlation_id`: both are copied from the order
onto everything published about it (`tagged`).

An unanswered request (`unknown`) publishes `OrderStatusUnknown`, never `OrderRejected`,
and asks the venue; its answer (`queried`), or the private stream's word first, settles the
order as the order events every table reads. Only the venue proving it has no such order
(`query_attempts` lookups) rejects it.

Pure bookkeeping: the I/O is the `Call`s it returns, which the actor's runner runs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from functools import partial
from typing import Literal

import msgspec

from pyengine.actors.effects import Call, Output
from pyengine.actors.order_status import (
    StatusQueries,
    settle_from_venue,
    unsettled,
    unsettled_alert,
)
from pyengine.messages import (
    Message,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderRejected,
    OrderStatusUnknown,
    OrderUpdate,
    PlaceOrder,
)
from pyengine.orders import Change, IllegalTransition, Order, OrderError, OrderStatus, OrderTable
from pyengine.orders import illegal_alert as _illegal_alert
from pyengine.venues.base import ExecutionClient

log = logging.getLogger("pyengine.actors.execution")

_ENDED = ("canceled", "expired")
_ORDER_EVENTS = (OrderAccepted, OrderRejected, OrderCanceled, OrderFilled, OrderUpdate)
_OrderEvent = OrderAccepted | OrderRejected | OrderCanceled | OrderFilled | OrderUpdate

COUNTERS = (
    "events",
    "fills",
    "duplicate_fills",
    "illegal",
    "invalid",
    "unknown_outcomes",
    "queries",
    "query_errors",
    "resent",
)


class VenueOrders:
    """The orders of one venue account: the table, their commands, their status queries."""

    def __init__(
        self,
        name: str,
        venue: str,
        *,
        now: Callable[[], int],
        timeout_ns: int,
        query_attempts: int,
        counters: dict[str, int],
    ) -> None:
        self.name = name
        self.venue = venue
        self.now = now
        self.timeout_ns = timeout_ns
        self.counters = counters
        """The actor's counters (this adds `COUNTERS`)."""
        for key in COUNTERS:
            counters.setdefault(key, 0)
        self.orders = OrderTable()
        self.placed: dict[str, PlaceOrder] = {}
        """The command of each order not yet ended (re-sent after a restart; its ids are
        copied onto `OrderStatusUnknown`)."""
        self.queries = StatusQueries(query_attempts)
        self.client: ExecutionClient | None = None
        """Set once the actor's client is open: queries wait for it."""

    def deadline(self) -> int:
        return self.now() + self.timeout_ns

    def _open(self) -> ExecutionClient:
        client = self.client
        if client is None:
            raise RuntimeError(f"{self.name}: a request before the client is open")
        return client

    def place_call(self, msg: PlaceOrder) -> Call:
        order = msg.order
        return Call(
            partial(self._open().place, order), f"place:{order.client_order_id}", self.deadline()
        )

    def cancel_call(self, coid: str) -> Call:
        order = self.orders.get(coid)
        assert order is not None  # only known orders are cancelled
        cancel = partial(self._open().cancel, coid, order.symbol)
        return Call(cancel, f"cancel:{coid}", self.deadline())

    def rejected(
        self,
        coid: str,
        reason: str,
        codes: Sequence[str] = (),
        stage: Literal["execution", "venue"] = "execution",
    ) -> OrderRejected:
        now = self.now()
        order = self.orders.get(coid)
        return OrderRejected(
            ts_event=now,
            ts_recv=now,
            client_order_id=coid,
            venue=self.venue,
            reason=reason,
            stage=stage,
            parent_id=order.parent_id if order is not None else "",
            codes=list(codes),
        )

    def apply(self, ev: Message) -> tuple[Change | None, list[Output]]:
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
            self.placed.pop(coid, None)
            self.queries.drop(coid)
        return change, []

    def tagged(self, ev: _OrderEvent) -> _OrderEvent:
        """`ev` with its order's `parent_id` and `correlation_id`: a venue's answers and
        stream events know neither, and the producer that knows them copies both onto every
        event about the order (messages/execution.py). The portfolio's delta keeper counts a
        hedge's fills against its request by `parent_id`: a fill without it left the whole
        request pending, so a hedge working over several rounds read as a delta the other
        way and the keeper traded against it."""
        if ev.parent_id and ev.correlation_id:
            return ev
        placed = self.placed.get(ev.client_order_id)
        order = self.orders.get(ev.client_order_id)
        parent = placed.order.parent_id if placed is not None else ""
        parent = parent or (order.parent_id if order is not None else "")
        corr = placed.order.correlation_id if placed is not None else ""
        if (ev.parent_id or not parent) and (ev.correlation_id or not corr):
            return ev
        return msgspec.structs.replace(
            ev, parent_id=ev.parent_id or parent, correlation_id=ev.correlation_id or corr
        )

    def publish(self, ev: Message) -> list[Output]:
        """An answer about an order: applied to the table, then published with any alert."""
        if isinstance(ev, _ORDER_EVENTS):
            ev = self.tagged(ev)
        change, alerts = self.apply(ev)
        if change is None and not alerts:
            return []
        return [ev, *alerts]

    def unacked(self, coid: str) -> bool:
        """Whether the venue never confirmed the order (in flight when its cancel was asked,
        or its outcome already unknown): a refused cancel then proves nothing about it
        (Binance answers -2011 "Unknown order" for an order that has just filled, too)."""
        order = self.orders.get(coid)
        if order is None:
            return False
        never_acked = order.status is OrderStatus.PENDING_CANCEL and (
            order.previous is OrderStatus.IN_FLIGHT
        )
        return never_acked or coid in self.queries

    def unknown(self, coid: str, request: str, reason: str, codes: Sequence[str]) -> list[Output]:
        """A request without a definitive answer: the order stays in flight and is queried."""
        order = self.orders.get(coid)
        if order is None or not unsettled(order):
            # Already settled by the private stream (a fill, a cancel) while the request
            # waited: the late failure adds nothing.
            log.info("%s: %s %s unanswered, already %s", self.name, request, coid,
                     order.status.value if order else "unknown")  # fmt: skip
            return []
        self.counters["unknown_outcomes"] += 1
        placed = self.placed.get(coid)
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
        out = self.publish(ev)
        self.queries.add(coid, cancel=request == "cancel")
        out.extend(self._ask(coid))
        return out

    def _ask(self, coid: str) -> list[Output]:
        client = self.client
        order = self.orders.get(coid)
        if client is None or order is None or not self.queries.start(coid):
            return []
        self.counters["queries"] += 1
        start = self.queries.request(client, coid, order.symbol)
        return [Call(start, f"query:{coid}", self.deadline())]

    def ask_due(self) -> list[Output]:
        out: list[Output] = []
        for coid in self.queries.due():
            order = self.orders.get(coid)
            if order is None or not unsettled(order):
                self.queries.drop(coid)
            else:
                out.extend(self._ask(coid))
        return out

    def queried(self, coid: str, value: object) -> list[Output]:
        """The venue's answer about one order whose outcome was unknown."""
        order = self.orders.get(coid)
        verdict = self.queries.answered(coid, value)
        if order is None or verdict is None:
            return []
        if verdict.found is not None:
            return [verdict.found, *self._settle(order, verdict.found, verdict.cancel)]
        if verdict.resend is not None and self.client is not None:
            log.info("%s: the venue has no order %s: sending it again", self.name, coid)
            self.counters["resent"] += 1
            return [self.place_call(verdict.resend)]
        if verdict.gave_up:
            log.warning("%s: order %s: outcome still unknown, left to reconciliation",
                        self.name, coid)  # fmt: skip
            return [unsettled_alert(coid, source=self.name, now=self.now())]
        if not verdict.proven_absent:
            return []  # asked again at the next period
        if order.status is OrderStatus.IN_FLIGHT:
            why = f"not_found: the venue has no order {coid} ({self.queries.attempts} queries)"
            return self.publish(self.rejected(coid, why, ("not_found",), stage="venue"))
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
            return self.ended(gone)
        return []

    def _settle(self, order: Order, found: OrderUpdate, cancel: bool) -> list[Output]:
        """The venue's view of an order whose outcome was unknown, as the order events
        everyone's table reads (strategies and risk do not read `OrderUpdate`)."""
        out: list[Output] = []
        for ev in settle_from_venue(order, found, self.now()):
            out.extend(self.ended(ev) if isinstance(ev, OrderCanceled) else self.publish(ev))
        if (
            cancel
            and order.status is OrderStatus.PENDING_CANCEL
            and order.cancel_outstanding
            and self.client is not None
            and found.status in ("new", "partially_filled")
        ):
            # The cancel's outcome was unknown and the order still rests: cancel again.
            out.append(self.cancel_call(order.client_order_id))
        return out

    def ended(self, ev: OrderCanceled) -> list[Output]:
        """An order the venue ended: announced only if it was not already ended."""
        order = self.orders.get(ev.client_order_id)
        was_terminal = order is not None and order.is_terminal
        out = self.publish(ev)
        return [] if was_terminal else out

    def account(self, ev: Message) -> list[Output]:
        """What to publish for one private-stream event."""
        self.counters["events"] += 1
        if not isinstance(ev, _ORDER_EVENTS):
            return [ev]
        ev = self.tagged(ev)
        order = self.orders.get(ev.client_order_id)
        if order is not None and isinstance(ev, OrderUpdate):
            waited = self.queries.settled(ev.client_order_id)
            if waited is not None:  # the stream answers the status query first
                return [ev, *self._settle(order, ev, waited.cancel)]
        was_terminal = order is not None and order.is_terminal
        change, alerts = self.apply(ev)
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

    def forget_ended(self) -> None:
        for coid in [c for c in self.placed if (o := self.orders.get(c)) is None or o.is_terminal]:
            del self.placed[coid]
