"""A minimal pre-trade gate between strategies and venues.

Every `SubmitOrder` comes here (acknowledged path) and leaves either as a `PlaceOrder` to the
venue or as an `OrderRejected` with `stage="risk"`. The checks are small values-returning
functions; the full limits table (engine_core risk) replaces them without changing the flow.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

import msgspec

from pyengine.actors.base import Actor, ActorContext
from pyengine.messages import (
    Message,
    OrderCanceled,
    OrderFilled,
    OrderRejected,
    PlaceOrder,
    SubmitOrder,
)


class RiskOptions(msgspec.Struct, forbid_unknown_fields=True):
    """`[actors.options]` of the risk gate (amounts as decimal strings)."""

    max_order_qty: str = "10"
    max_position: str = "100"
    venues: list[str] = msgspec.field(default_factory=list)


class RiskGate(Actor):
    """Approves or refuses orders; tracks net position per (venue, symbol) from fills."""

    reliable = ("cmd.order.", "exec.")

    def __init__(self, ctx: ActorContext) -> None:
        super().__init__(ctx)
        opts = ctx.options_as(RiskOptions)
        self.max_qty = Decimal(opts.max_order_qty)
        self.max_pos = Decimal(opts.max_position)
        self.venues = set(opts.venues)
        self.position: dict[tuple[str, str], Decimal] = {}
        self.seen_orders: set[str] = set()
        self.seen_fills: set[tuple[str, str]] = set()
        self.open_orders: set[str] = set()

    def recover(self, journal: Iterable[Message]) -> None:
        for msg in journal:
            self._apply(msg)

    def _apply(self, msg: Message) -> None:
        if isinstance(msg, PlaceOrder):
            self.seen_orders.add(msg.order.client_order_id)
            self.open_orders.add(msg.order.client_order_id)
        elif isinstance(msg, OrderFilled):
            key = (msg.venue, msg.fill_id)
            if key in self.seen_fills:
                return
            self.seen_fills.add(key)
            sign = 1 if msg.side == "buy" else -1
            pos = (msg.venue, msg.symbol)
            self.position[pos] = self.position.get(pos, Decimal(0)) + sign * msg.qty
        elif isinstance(msg, OrderRejected | OrderCanceled):
            self.open_orders.discard(msg.client_order_id)

    def check(self, order: SubmitOrder) -> str:
        """Empty string if the order passes, else the reason."""
        if order.client_order_id in self.seen_orders:
            return "duplicate client_order_id"
        if order.side not in ("buy", "sell"):
            return f"bad side {order.side!r}"
        if order.qty <= 0:
            return "qty must be positive"
        if order.qty > self.max_qty:
            return f"qty {order.qty} above max_order_qty {self.max_qty}"
        if order.price is not None and order.price <= 0:
            return "price must be positive"
        if self.venues and order.venue not in self.venues:
            return f"venue {order.venue!r} not allowed"
        sign = 1 if order.side == "buy" else -1
        after = self.position.get((order.venue, order.symbol), Decimal(0)) + sign * order.qty
        if abs(after) > self.max_pos and not order.reduce_only:
            return f"position would be {after}, above max_position {self.max_pos}"
        return ""

    def handle(self, msg: Message) -> list[Message]:
        if isinstance(msg, SubmitOrder):
            now = self.now()
            reason = self.check(msg)
            if reason:
                return [
                    OrderRejected(
                        ts_event=now,
                        ts_recv=now,
                        client_order_id=msg.client_order_id,
                        venue=msg.venue,
                        reason=reason,
                        stage="risk",
                    )
                ]
            placed = PlaceOrder(ts_event=now, ts_recv=now, order=msg, approved_by=self.name)
            self._apply(placed)
            return [placed]
        self._apply(msg)
        return []
