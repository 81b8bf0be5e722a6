"""Orders inside the simulated exchange, and the static checks a venue runs on entry.

Reject reasons are stable codes (the `reason` of `OrderRejected`), so tests and the
engine can count them: `unknown_symbol`, `instrument_expired`, `bad_side`,
`bad_order_type`, `bad_size`, `bad_lot`, `bad_price`, `bad_tick`, `min_notional`,
`reduce_only_violation`, `insufficient_margin`, `post_only_would_cross`, `rate_limit`,
`venue_unavailable`, `random_reject`, `no_liquidity`, `unknown_order`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from pyengine.contracts import InstrumentSpec, notional
from pyengine.messages import SubmitOrder
from pyengine.messages.account import VenueOrderStatus

POST_ONLY_TIFS = frozenset({"post_only", "gtx", "po"})
TIFS = frozenset({"gtc", "ioc", "fok"}) | POST_ONLY_TIFS


@dataclass
class SimOrder:
    """A working or finished order."""

    client_order_id: str
    venue_order_id: str
    symbol: str
    side: str
    qty: Decimal
    price: Decimal | None
    order_type: str
    tif: str
    reduce_only: bool
    filled: Decimal = Decimal(0)
    filled_value: Decimal = Decimal(0)
    status: VenueOrderStatus = "new"

    @property
    def remaining(self) -> Decimal:
        """Unfilled size."""
        return self.qty - self.filled

    @property
    def sign(self) -> Decimal:
        """+1 for a buy, -1 for a sell."""
        return Decimal(1) if self.side == "buy" else Decimal(-1)

    @property
    def post_only(self) -> bool:
        """Must rest; refused if it would take liquidity."""
        return self.tif in POST_ONLY_TIFS or self.order_type == "post_only"

    @property
    def avg_price(self) -> Decimal | None:
        """Average fill price."""
        return self.filled_value / self.filled if self.filled else None

    def fill(self, qty: Decimal, price: Decimal) -> None:
        """Record a fill."""
        self.filled += qty
        self.filled_value += qty * price
        self.status = "filled" if self.filled >= self.qty else "partially_filled"


def static_reject(
    order: SubmitOrder, spec: InstrumentSpec | None, mark: Decimal | None
) -> str | None:
    """The first static rule an order breaks (size, lot, tick, type), or None."""
    if spec is None:
        return "unknown_symbol"
    if order.side not in ("buy", "sell"):
        return "bad_side"
    kind = order.order_type
    if kind not in ("limit", "market", "post_only") or order.tif not in TIFS:
        return "bad_order_type"
    if kind == "market" and order.tif in POST_ONLY_TIFS:
        return "bad_order_type"
    qty = order.qty
    if not qty.is_finite() or qty <= 0 or qty < spec.min_qty:
        return "bad_size"
    if spec.max_qty is not None and qty > spec.max_qty:
        return "bad_size"
    if not spec.on_lot(qty):
        return "bad_lot"
    price = order.price
    if kind == "market":
        price = mark
    elif price is None or not price.is_finite() or price <= 0:
        return "bad_price"
    elif not spec.on_tick(price):
        return "bad_tick"
    if spec.min_notional is not None and price is not None and not order.reduce_only:
        usd = abs(notional(spec.payoff, spec.multiplier, qty, price))
        if usd < spec.min_notional:
            return "min_notional"
    return None
