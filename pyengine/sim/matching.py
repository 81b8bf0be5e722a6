"""Matching against the current book, and the order lifecycle, of the simulated venue.

Taker side: an order that crosses walks the book level by level (best first) up to its
size and limit; the liquidity it takes leaves the book (a depth diff and trade prints are
emitted) until the market model's next update redraws the levels.

Resting side, queue assumption: our resting orders are not shown in the public book and
sit at the back of the queue at their price. They fill only when the market trades
through them: when the book moves so that the opposite best crosses our price (we fill,
at our price, up to the crossing size, which is consumed), or when another participant's
trade prints strictly beyond our price (we fill up to the print's size). A print exactly
at our price is assumed to have gone to orders ahead of us. This is conservative for a
maker and never gives price improvement.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from pyengine.sim.book import SimBook
from pyengine.sim.market import MarketTrade
from pyengine.sim.orders import SimOrder

#: (order, qty, price, liquidity "maker"/"taker") -> None
FillSink = Callable[[SimOrder, Decimal, Decimal, str], None]


def take(book: SimBook, order: SimOrder, on_fill: FillSink) -> list[tuple[Decimal, Decimal]]:
    """Fill `order` as a taker against `book` within its limit; return the (price, qty)
    levels consumed (for trade prints)."""
    limit = order.price if order.order_type != "market" else None
    fills = book.take(order.side, order.remaining, limit)
    for f in fills:
        on_fill(order, f.qty, f.price, "taker")
    return [(f.price, f.qty) for f in fills]


def cross_resting(book: SimBook, resting: list[SimOrder], on_fill: FillSink) -> None:
    """Fill resting orders the new book crosses, in time priority, at their own price."""
    for order in resting:
        if order.remaining <= 0 or order.price is None:
            continue
        if not book.crosses(order.side, order.price):
            continue
        fills = book.take(order.side, order.remaining, order.price)
        qty = sum((f.qty for f in fills), Decimal(0))
        if qty > 0:
            on_fill(order, qty, order.price, "maker")


def trade_through(trade: MarketTrade, resting: list[SimOrder], on_fill: FillSink) -> None:
    """Fill resting orders a market print went strictly through, up to the print's size."""
    left = trade.qty
    for order in resting:
        if left <= 0:
            return
        if order.remaining <= 0 or order.price is None:
            continue
        through = (
            order.side == "buy" and trade.aggressor == "sell" and trade.price < order.price
        ) or (order.side == "sell" and trade.aggressor == "buy" and trade.price > order.price)
        if through:
            qty = min(left, order.remaining)
            left -= qty
            on_fill(order, qty, order.price, "maker")
