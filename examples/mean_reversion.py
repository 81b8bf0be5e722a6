"""Example strategy: trade small clips against a moving average of the mid price.

Run it against the embedded engine (simulated Binance venues, validated books, Rust
pre-trade risk, SQLite records under ./var/):

    pyengine run --strategy examples/mean_reversion.py --duration 20
    pyengine status          # in another terminal, while it runs

It trades BTCUSDT on the simulated Binance USD-M venue (`md.book.binance-usdm.BTCUSDT`).
Every order goes through the risk gate, which refuses orders until the validator calls the
book valid (a few seconds after start); fills come back in `on_order` and are recorded.
Parameters (`params` of a strategy actor in a config): window, clip, max_position,
threshold_bps. Orders in flight count against max_position until they fill or end.
"""

from __future__ import annotations

from collections import deque
from decimal import Decimal

from pyengine.messages import BookTop, Message, OrderCanceled, OrderFilled, OrderRejected
from pyengine.strategy import OrderEvent, Strategy


class MeanReversion(Strategy):
    """Buy below the average mid, sell above it, within a position limit."""

    subscribe = ("md.book.binance-usdm.BTCUSDT",)

    def on_start(self) -> None:
        self.window: deque[Decimal] = deque(maxlen=int(self.options.get("window", 20)))
        self.clip = Decimal(str(self.options.get("clip", "0.01")))
        self.limit = Decimal(str(self.options.get("max_position", "0.05")))
        self.threshold = Decimal(str(self.options.get("threshold_bps", "0.5"))) / 10_000
        self.position = Decimal(0)
        self.working: dict[str, Decimal] = {}  # client order id -> signed qty not yet filled
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
        avg = sum(self.window, Decimal(0)) / len(self.window)
        exposure = self.position + sum(self.working.values())
        if mid < avg * (1 - self.threshold) and exposure + self.clip <= self.limit:
            coid = self.submit(msg.venue, msg.symbol, "buy", self.clip, price=ask)
            self.working[coid] = self.clip
        elif mid > avg * (1 + self.threshold) and exposure - self.clip >= -self.limit:
            coid = self.submit(msg.venue, msg.symbol, "sell", self.clip, price=bid)
            self.working[coid] = -self.clip

    def on_order(self, msg: OrderEvent) -> None:
        if isinstance(msg, OrderFilled):
            self.fills += 1
            signed = msg.qty if msg.side == "buy" else -msg.qty
            self.position += signed
            left = self.working.pop(msg.client_order_id, Decimal(0)) - signed
            if left and (left > 0) == (signed > 0):
                self.working[msg.client_order_id] = left
        elif isinstance(msg, OrderRejected | OrderCanceled):
            if isinstance(msg, OrderRejected):
                self.rejects += 1
            self.working.pop(msg.client_order_id, None)

    def on_stop(self) -> None:
        print(
            f"mean_reversion: {self.fills} fills, {self.rejects} rejects, position {self.position}"
        )
