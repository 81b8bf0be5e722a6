"""Stand-ins for the embedded default until the simulated venues land: a seeded random-walk
market and a paper venue that fills orders at the touch. Swap them for the real simulated
world (or live feeds) by config; nothing else changes.
"""

from __future__ import annotations

import random
from decimal import Decimal

import msgspec

from pyengine.actors.base import Actor, ActorContext
from pyengine.messages import (
    BookTop,
    Message,
    OrderAccepted,
    OrderFilled,
    OrderRejected,
    PlaceOrder,
)


class MarketOptions(msgspec.Struct, forbid_unknown_fields=True):
    """`[actors.options]` of the demo market."""

    venue: str = "paper"
    symbols: list[str] = msgspec.field(default_factory=lambda: ["BTCUSDT", "ETHUSDT"])
    start: list[str] = msgspec.field(default_factory=lambda: ["60000.0", "3000.00"])
    seed: int = 7
    depth: int = 5


class DemoMarket(Actor):
    """Publishes top-of-book snapshots of a seeded random walk, ten per second per symbol."""

    timer_interval = 0.1

    def __init__(self, ctx: ActorContext) -> None:
        super().__init__(ctx)
        self.opts = ctx.options_as(MarketOptions)
        self.rng = random.Random(self.opts.seed)
        self.mid = {s: Decimal(p) for s, p in zip(self.opts.symbols, self.opts.start, strict=False)}
        self.book_seq = 0

    def on_timer(self, now_ns: int) -> list[Message]:
        out: list[Message] = []
        for symbol, mid in self.mid.items():
            tick = mid.scaleb(-5).quantize(Decimal("0.01")) or Decimal("0.01")
            mid += tick * self.rng.randint(-3, 3)  # noqa: PLW2901
            self.mid[symbol] = mid
            self.book_seq += 1
            depth = self.opts.depth
            bids = [(str(mid - tick * (i + 1)), str(Decimal(i + 1) / 2)) for i in range(depth)]
            asks = [(str(mid + tick * (i + 1)), str(Decimal(i + 1) / 2)) for i in range(depth)]
            out.append(
                BookTop(
                    ts_event=now_ns,
                    ts_recv=now_ns,
                    venue=self.opts.venue,
                    symbol=symbol,
                    bids=bids,
                    asks=asks,
                    book_seq=self.book_seq,
                )
            )
        return out


class PaperVenue(Actor):
    """Accepts approved orders and fills them in full at the last touch (limit price respected)."""

    subscribe = ("md.book.",)
    reliable = ("cmd.venue.",)

    def __init__(self, ctx: ActorContext) -> None:
        super().__init__(ctx)
        self.books: dict[tuple[str, str], BookTop] = {}
        self.done: set[str] = set()

    def handle(self, msg: Message) -> list[Message]:
        if isinstance(msg, BookTop):
            self.books[(msg.venue, msg.symbol)] = msg
            return []
        if not isinstance(msg, PlaceOrder):
            return []
        o = msg.order
        if o.client_order_id in self.done:
            return []
        self.done.add(o.client_order_id)
        now = self.now()
        book = self.books.get((o.venue, o.symbol))
        side = book.asks if book and o.side == "buy" else (book.bids if book else [])
        if book is None or not book.valid or not side:
            return [
                OrderRejected(
                    ts_event=now,
                    ts_recv=now,
                    client_order_id=o.client_order_id,
                    venue=o.venue,
                    reason="no valid book",
                )
            ]
        touch = Decimal(side[0][0])
        if o.price is not None and (
            (o.side == "buy" and touch > o.price) or (o.side == "sell" and touch < o.price)
        ):
            return [
                OrderAccepted(
                    ts_event=now,
                    ts_recv=now,
                    client_order_id=o.client_order_id,
                    venue=o.venue,
                    venue_order_id=o.client_order_id,
                )
            ]
        return [
            OrderAccepted(
                ts_event=now,
                ts_recv=now,
                client_order_id=o.client_order_id,
                venue=o.venue,
                venue_order_id=o.client_order_id,
            ),
            OrderFilled(
                ts_event=now,
                ts_recv=now,
                client_order_id=o.client_order_id,
                venue=o.venue,
                symbol=o.symbol,
                side=o.side,
                fill_id=self.ids.next_id("f-"),
                qty=o.qty,
                price=touch,
                fee=(o.qty * touch * Decimal("0.0004")).quantize(Decimal("0.00000001")),
                fee_ccy="USDT",
            ),
        ]
