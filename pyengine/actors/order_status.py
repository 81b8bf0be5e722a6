"""Status queries of orders whose outcome is unknown, and what the venue's answer means.

An order request that timed out, failed in transport, was rate limited or got a venue
"status unknown" code (`pyengine.orders.outcome`) leaves the order in flight. The execution
actor then asks the venue, until its answer settles the order (NautilusTrader's
reconciliation of in-flight orders, nautilus_trader/docs/concepts/live.md):

- with a single-order lookup (the private clients' `lookup(client_order_id, symbol)`,
  which answers None only when the venue says it has no such order: Binance -2013, OKX
  51603, an empty Bybit list), a found order settles it (`settle_from_venue`); "no such
  order" `attempts` times, one period apart, proves the venue never took it; after a
  restart the first "no such order" instead sends it again under the same id;
- without one (the simulated exchange), `open_orders()`: a listed order settles it, but
  absence proves nothing (the order may have filled: its fill comes on the private stream),
  so after `attempts` answers the order is left to reconciliation with an alert.

A query that fails or times out is asked again the next period, without limit: only the
venue's answer, or the private stream, settles the order.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial

from pyengine.messages import (
    AlertRaised,
    Message,
    OrderAccepted,
    OrderCanceled,
    OrderRejected,
    OrderUpdate,
    PlaceOrder,
)
from pyengine.orders import Order, OrderStatus
from pyengine.venues.base import ExecutionClient

_WORKING = ("new", "partially_filled", "filled")


def unsettled(order: Order) -> bool:
    """Whether the order waits for the venue's word: in flight, or a cancel in flight."""
    status = order.status
    return status is OrderStatus.IN_FLIGHT or (
        status is OrderStatus.PENDING_CANCEL and order.cancel_outstanding
    )


def settle_from_venue(order: Order, found: OrderUpdate, now: int) -> list[Message]:
    """The order events a venue's view of `order` amounts to (applied and published by the
    actor like any reply): it works or worked (accepted; its fills come with their trade ids
    on the private stream), it ended (cancelled or expired), or it was refused."""
    ts = found.ts_event or now
    coid, venue, parent = order.client_order_id, order.venue, order.parent_id
    if found.status in _WORKING:
        return [
            OrderAccepted(
                ts_event=ts,
                ts_recv=now,
                client_order_id=coid,
                venue=venue,
                venue_order_id=found.venue_order_id,
                parent_id=parent,
            )
        ]
    if found.status in ("canceled", "expired"):
        reason = "expired" if found.status == "expired" else (found.reason or "canceled")
        return [
            OrderCanceled(
                ts_event=ts,
                ts_recv=now,
                client_order_id=coid,
                venue=venue,
                reason=reason,
                parent_id=parent,
            )
        ]
    return [
        OrderRejected(
            ts_event=ts,
            ts_recv=now,
            client_order_id=coid,
            venue=venue,
            reason=found.reason or "rejected",
            stage="venue",
            parent_id=parent,
            codes=["rejected"],
        )
    ]


def unsettled_alert(coid: str, *, source: str, now: int) -> AlertRaised:
    """The alert for an order the venue's open orders no longer list, with no fill seen."""
    return AlertRaised(
        ts_event=now,
        ts_recv=now,
        alert_id=f"order-status-unknown-{coid}",
        severity="warning",
        source=source,
        code="order_status_unknown",
        text=f"order {coid}: outcome unknown and not among the venue's open orders;"
        " reconciliation must settle it",
    )


@dataclass(slots=True)
class _Query:
    resend: PlaceOrder | None = None
    cancel: bool = False
    """A cancel of it went unanswered (a resting order found means: cancel it again)."""
    not_found: int = 0
    running: bool = False


@dataclass(frozen=True, slots=True)
class Verdict:
    """What one query answer means for the order."""

    found: OrderUpdate | None = None
    """The venue's view of the order: it settles it."""
    resend: PlaceOrder | None = None
    """After a restart, the venue has no such order: send this again (same id)."""
    proven_absent: bool = False
    """The venue said `attempts` times it has no such order: it never took it."""
    gave_up: bool = False
    """Open orders do not list it `attempts` times: left to reconciliation."""
    cancel: bool = False
    """A cancel of it went unanswered."""


class StatusQueries:
    """The orders being asked about, by client order id; one query at a time for each."""

    def __init__(self, attempts: int) -> None:
        self.attempts = attempts
        self._q: dict[str, _Query] = {}

    def __contains__(self, coid: object) -> bool:
        return coid in self._q

    def __len__(self) -> int:
        return len(self._q)

    @staticmethod
    def can_look_up(client: ExecutionClient) -> bool:
        """Whether `client` can look one order up by its client order id."""
        return callable(getattr(client, "lookup", None))

    @staticmethod
    def request(client: ExecutionClient, coid: str, symbol: str) -> Callable[[], Awaitable[object]]:
        """The call that asks the venue about `coid`."""
        lookup = getattr(client, "lookup", None)
        if callable(lookup):
            return partial(lookup, coid, symbol)
        return client.open_orders

    def add(self, coid: str, resend: PlaceOrder | None = None, cancel: bool = False) -> None:
        q = self._q.get(coid)
        if q is None:
            self._q[coid] = _Query(resend=resend, cancel=cancel)
            return
        if resend is not None:
            q.resend = resend
        q.cancel = q.cancel or cancel

    def settled(self, coid: str) -> Verdict | None:
        """The venue spoke of `coid` otherwise (its private stream): stop asking."""
        q = self._q.pop(coid, None)
        return None if q is None else Verdict(cancel=q.cancel)

    def drop(self, coid: str) -> None:
        self._q.pop(coid, None)

    def start(self, coid: str) -> bool:
        """Mark a query of `coid` as running; False if none is wanted or one runs."""
        q = self._q.get(coid)
        if q is None or q.running:
            return False
        q.running = True
        return True

    def due(self) -> list[str]:
        """Orders to ask about again (no query of theirs running)."""
        return [c for c, q in self._q.items() if not q.running]

    def failed(self, coid: str) -> None:
        q = self._q.get(coid)
        if q is not None:
            q.running = False

    def answered(self, coid: str, value: object) -> Verdict | None:
        """Read a query's answer (`lookup`'s `OrderUpdate | None`, or `open_orders`' list);
        None if `coid` is no longer asked about."""
        q = self._q.get(coid)
        if q is None:
            return None
        q.running = False
        if isinstance(value, list):
            found = next(
                (u for u in value if isinstance(u, OrderUpdate) and u.client_order_id == coid),
                None,
            )
            proof = False
        elif value is None or isinstance(value, OrderUpdate):
            found, proof = value, True
        else:
            raise TypeError(f"query:{coid}: the client answered {type(value).__name__}")
        if found is not None:
            del self._q[coid]
            return Verdict(found=found, cancel=q.cancel)
        if q.resend is not None and proof:
            del self._q[coid]
            return Verdict(resend=q.resend)
        q.not_found += 1
        if q.not_found < self.attempts:
            return Verdict()
        del self._q[coid]
        return Verdict(proven_absent=True) if proof else Verdict(gave_up=True)
