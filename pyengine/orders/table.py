"""Every order an actor tracks, by client order id, moved only by the wire's events.

Usage (an execution actor, a strategy host, the risk gate)::

    table = OrderTable()
    table.submit(place_order)           # SubmitOrder or PlaceOrder: the order is in flight
    try:
        table.apply(event)              # OrderAccepted / Rejected / Canceled / Filled /
    except IllegalTransition as exc:    # OrderUpdate / CancelOrder
        publish(illegal_alert(exc, source=name, now=now))
    table.open_orders("binance", parent_id="hedge-7")

`apply` answers what it did (`Change`); events of orders it does not know are counted and
answered `Change.UNKNOWN`, never guessed at. How an `OrderRejected` is read:

1. a refusal of a duplicate id (`outcome.is_duplicate_submit`) is about a second submit,
   not this order: counted (`duplicate_submits`), nothing changes;
2. ambiguous (`outcome.is_ambiguous`: timeout, transport, rate limit, -1006/-1007 ...):
   the order stays where it is, as it does for an `OrderStatusUnknown` (the execution
   actor's own word for an unanswered request);
3. a cancel is outstanding and the order is already known to rest at the venue (or has
   ended): the refusal is the cancel's (the wire has one `OrderRejected` for both), and a
   PENDING_CANCEL order returns to its previous state;
4. otherwise it is the order's definitive refusal.

Ended orders are kept whole up to `keep_closed` (oldest forgotten first); a forgotten
order's id stays spent: `in` still answers True and a submit under it is refused
(`pyengine.orders.spent`: bounded memory, errs only towards refusing).
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Iterable
from decimal import Decimal

from pyengine.messages import (
    AlertRaised,
    CancelOrder,
    Message,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderRejected,
    OrderStatusUnknown,
    OrderUpdate,
    PlaceOrder,
    SubmitOrder,
)
from pyengine.orders.outcome import is_ambiguous, is_duplicate_submit
from pyengine.orders.spent import SpentIds
from pyengine.orders.state import (
    Change,
    IllegalTransition,
    Order,
    OrderError,
    OrderStatus,
    Trigger,
)

OrderEvent = (
    OrderAccepted | OrderRejected | OrderCanceled | OrderFilled | OrderUpdate | OrderStatusUnknown
)

_VENUE_STATUS: dict[str, Trigger] = {
    "new": Trigger.ACCEPT,
    # Fills arrive as OrderFilled with their trade ids; a status report of them only says
    # the venue has the order.
    "partially_filled": Trigger.ACCEPT,
    "filled": Trigger.ACCEPT,
    "canceled": Trigger.CANCEL,
    "expired": Trigger.EXPIRE,
    "rejected": Trigger.REJECT,
}


_COUNTER = {c: c.value for c in Change}
# Tuples, not `X | Y`: an isinstance over a union built at each call costs more than the rest.
_SUBMITS = (SubmitOrder, PlaceOrder)
_EVENTS = (
    CancelOrder,
    OrderAccepted,
    OrderRejected,
    OrderCanceled,
    OrderFilled,
    OrderUpdate,
    OrderStatusUnknown,
)


# Members bound once (see state.py).
_C_CHANGED = Change.CHANGED
_C_DUPLICATE_FILL = Change.DUPLICATE_FILL
_C_UNCHANGED = Change.UNCHANGED
_C_UNKNOWN = Change.UNKNOWN
_C_UPDATED = Change.UPDATED
_S_IN_FLIGHT = OrderStatus.IN_FLIGHT
_S_PENDING_CANCEL = OrderStatus.PENDING_CANCEL
_T_ACCEPT = Trigger.ACCEPT
_T_AMBIGUOUS = Trigger.AMBIGUOUS
_T_CANCEL = Trigger.CANCEL
_T_CANCEL_REJECT = Trigger.CANCEL_REJECT
_T_CANCEL_REQUEST = Trigger.CANCEL_REQUEST
_T_EXPIRE = Trigger.EXPIRE
_T_REJECT = Trigger.REJECT
_T_SUBMIT = Trigger.SUBMIT


class DuplicateOrderId(OrderError):
    """A submit reuses a known client order id for a different order."""


class OrderTable:
    """Orders by client order id, and the open ones by venue, symbol and parent."""

    def __init__(self, keep_closed: int = 2_000) -> None:
        """`keep_closed`: how many ended orders to keep whole; older ones are forgotten
        but their ids stay known, so an id is still never used twice. An ended order is
        kept for the late reports about it (a fill after a cancel, a venue's status
        answer), which come within seconds: 2,000 is minutes of the example strategy's
        traffic, and bounds what every table holds, and a restart restores, to a few MB."""
        self.orders: dict[str, Order] = {}
        self._open: dict[str, Order] = {}
        self.keep_closed = keep_closed
        self._closed: deque[str] = deque()
        self._forgotten = SpentIds()
        self.counters: dict[str, int] = dict.fromkeys(
            (
                "submitted",
                "changed",
                "updated",
                "unchanged",
                "duplicate_fills",
                "duplicate_submits",
                "unknown",
                "illegal",
                "overfills",
                "late_fills",
                "ambiguous",
                "forgotten",
            ),
            0,
        )

    def __len__(self) -> int:
        return len(self.orders)

    def __contains__(self, client_order_id: object) -> bool:
        """Whether the id was ever used here (an order kept, or an ended one forgotten)."""
        return client_order_id in self.orders or client_order_id in self._forgotten

    def get(self, client_order_id: str) -> Order | None:
        return self.orders.get(client_order_id)

    def submit(self, msg: SubmitOrder | PlaceOrder) -> Order:
        """Track an order being sent (or sent again: a repeat of a live order is a no-op).

        Raises `DuplicateOrderId` for a different order under a known id, and
        `IllegalTransition` for a re-submit of an ended one."""
        o = msg.order if isinstance(msg, PlaceOrder) else msg
        known = self.orders.get(o.client_order_id)
        if known is None and o.client_order_id in self._forgotten:
            raise DuplicateOrderId(f"order {o.client_order_id}: ended long ago, its id is spent")
        if known is None:
            known = Order(
                client_order_id=o.client_order_id,
                venue=o.venue,
                symbol=o.symbol,
                side=o.side,
                qty=o.qty,
                price=o.price,
                parent_id=o.parent_id,
                strategy=o.strategy,
            )
            self.orders[o.client_order_id] = known
            self.counters["submitted"] += 1
        elif (known.venue, known.symbol, known.side, known.qty) != (
            o.venue,
            o.symbol,
            o.side,
            o.qty,
        ):
            raise DuplicateOrderId(
                f"order {o.client_order_id}: already {known.side} {known.qty}"
                f" {known.venue}:{known.symbol}"
            )
        self._run(known, _T_SUBMIT)
        return known

    def apply(self, msg: Message) -> Change | None:
        """Apply one wire event; None if `msg` is not about an order.

        Raises `IllegalTransition` (the order is unchanged; raise an alert) and
        `InvalidFill` for a fill that is not a positive quantity at a positive price."""
        if isinstance(msg, _SUBMITS):
            before = self.counters["submitted"]
            self.submit(msg)
            return _C_CHANGED if self.counters["submitted"] > before else _C_UNCHANGED
        if not isinstance(msg, _EVENTS):
            return None
        order = self.orders.get(msg.client_order_id)
        if order is None or order.venue != msg.venue:
            self.counters["unknown"] += 1
            return _C_UNKNOWN
        if isinstance(msg, OrderFilled):
            return self._fill(order, msg.fill_id, msg.qty, msg.price)
        if isinstance(msg, CancelOrder):
            return self._run(order, _T_CANCEL_REQUEST)
        if isinstance(msg, OrderAccepted):
            return self._run(order, _T_ACCEPT, venue_order_id=msg.venue_order_id)
        if isinstance(msg, OrderCanceled):
            trigger = _T_EXPIRE if msg.reason == "expired" else _T_CANCEL
            return self._run(order, trigger, reason=msg.reason)
        if isinstance(msg, OrderStatusUnknown):  # never a refusal: the order stays put
            return self._run(order, _T_AMBIGUOUS, reason=msg.reason, codes=tuple(msg.codes))
        if isinstance(msg, OrderRejected):
            if is_duplicate_submit(msg):
                self.counters["duplicate_submits"] += 1
                return _C_UNCHANGED
            return self._run(
                order, self._rejection(order, msg), reason=msg.reason, codes=tuple(msg.codes)
            )
        reported = _VENUE_STATUS.get(msg.status)
        if reported is None:  # only a message built in-process can carry another status
            self.counters["unknown"] += 1
            return _C_UNKNOWN
        return self._run(order, reported, reason=msg.reason, venue_order_id=msg.venue_order_id)

    def open_orders(
        self, venue: str | None = None, symbol: str | None = None, parent_id: str | None = None
    ) -> list[Order]:
        """Orders that may still trade (in flight, accepted, partly filled, cancel in
        flight), oldest first, optionally of one venue, symbol and parent."""
        return [
            o
            for o in self._open.values()
            if (venue is None or o.venue == venue)
            and (symbol is None or o.symbol == symbol)
            and (parent_id is None or o.parent_id == parent_id)
        ]

    def children(self, parent_id: str) -> list[Order]:
        """Every order of one parent, open or not, oldest first."""
        return [o for o in self.orders.values() if o.parent_id == parent_id]

    def replay(self, journal: Iterable[Message]) -> None:
        """Rebuild from recorded messages; contradictions are counted, not raised."""
        for msg in journal:
            with contextlib.suppress(OrderError):
                self.apply(msg)

    @staticmethod
    def _rejection(order: Order, msg: OrderRejected) -> Trigger:
        if msg.stage == "risk":  # never left the engine: the order's definitive refusal
            return _T_REJECT
        if is_ambiguous(msg):
            return _T_AMBIGUOUS
        if order.cancel_outstanding:
            rests = order.status is _S_PENDING_CANCEL and (order.previous is not _S_IN_FLIGHT)
            if rests or order.is_terminal:
                return _T_CANCEL_REJECT
        return _T_REJECT

    def _run(
        self,
        order: Order,
        trigger: Trigger,
        *,
        reason: str = "",
        codes: tuple[str, ...] = (),
        venue_order_id: str = "",
    ) -> Change:
        try:
            change = order.apply(trigger, reason=reason, codes=codes, venue_order_id=venue_order_id)
        except IllegalTransition:
            self.counters["illegal"] += 1
            raise
        if trigger is _T_AMBIGUOUS and change is _C_UPDATED:
            self.counters["ambiguous"] += 1
        return self._count(order, change)

    def _fill(self, order: Order, trade_id: str, qty: Decimal, price: Decimal) -> Change:
        was_over, late = order.overfilled, order.late_fills
        try:
            change = order.fill(trade_id, qty, price)
        except IllegalTransition:
            self.counters["illegal"] += 1
            raise
        if change is _C_DUPLICATE_FILL:
            self.counters["duplicate_fills"] += 1
            return change
        if order.overfilled and not was_over:
            self.counters["overfills"] += 1
        self.counters["late_fills"] += order.late_fills - late
        return self._count(order, change)

    def _count(self, order: Order, change: Change) -> Change:
        self.counters[_COUNTER[change]] += 1
        coid = order.client_order_id
        if order.is_open:
            self._open[coid] = order
        else:
            self._open.pop(coid, None)
            # Terminal states are absorbing: a change into one happens once per order.
            if change is _C_CHANGED and order.is_terminal:
                self._closed.append(coid)
                if len(self._closed) > self.keep_closed:
                    old = self._closed.popleft()
                    del self.orders[old]
                    self._forgotten.add(old)
                    self.counters["forgotten"] += 1
        return change


def illegal_alert(exc: IllegalTransition, *, source: str, now: int) -> AlertRaised:
    """The alert an actor publishes for an illegal transition (two sources disagree about
    an order: reconciliation, or a person, must look)."""
    return AlertRaised(
        ts_event=now,
        ts_recv=now,
        alert_id=f"order-illegal-{exc.client_order_id}",
        severity="warning",
        source=source,
        code="order_illegal_transition",
        text=str(exc),
    )
