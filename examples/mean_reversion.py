"""Example strategy: trade small clips against a moving average of the mid price.

Run it against the embedded engine (simulated market, paper venue, SQLite records):

    pyengine run --strategy examples/mean_reversion.py --duration 20
    pyengine status          # in another terminal, while it runs

Every order goes through the risk gate; fills come back in `on_order` and are recorded.
"""

from __future__ import annotations

from collections import deque
from decimal import Decimal

from pyengine.messages import BookTop, Message, OrderFilled, OrderRejected
from pyengine.strategy import OrderEvent, Strategy


class MeanReversion(Strategy):
    """Buy below the average mid, sell above it, within a position limit."""

    subscribe = ("md.book.paper.BTCUSDT",)

    def on_start(self) -> None:
        self.window: deque[Decimal] = deque(maxlen=int(self.options.get("window", 20)))
        self.clip = Decimal(str(self.options.get("clip", "0.01")))
        self.limit = Decimal(str(self.options.get("max_position", "0.05")))
        self.threshold = Decimal(str(self.options.get("threshold_bps", "0.5"))) / 10_000
        self.position = Decimal(0)
        self.fills = 0
        self.rejects = 0

    def on_message(self, msg: Message) -> None:
        if not isinstance(msg, BookTop) or not msg.valid or not msg.bids or not msg.asks:
            return
        bid, ask = Decimal(msg.bids[0][0]), Decimal(msg.asks[0][0])
        mid = (bid + ask) / 2
        self.window.append(mid)
        if len(self.window) < self.window.maxlen:  # type: ignore[operator]
            return
        avg = sum(self.window) / len(self.window)
        if mid < avg * (1 - self.threshold) and self.position + self.clip <= self.limit:
            self.submit(msg.venue, msg.symbol, "buy", self.clip, price=ask)
        elif mid > avg * (1 + self.threshold) and self.position - self.clip >= -self.limit:
            self.submit(msg.venue, msg.symbol, "sell", self.clip, price=bid)

    def on_order(self, msg: OrderEvent) -> None:
        if isinstance(msg, OrderFilled):
            self.fills += 1
            self.position += msg.qty if msg.side == "buy" else -msg.qty
        elif isinstance(msg, OrderRejected):
            self.rejects += 1

    def on_stop(self) -> None:
        print(
            f"mean_reversion: {self.fills} fills, {self.rejects} rejects, position {self.position}"
        )
