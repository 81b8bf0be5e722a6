"""Bybit v5 public wire format, as the simulator emits it (one category per connection).

Book: `orderbook.{depth}.{symbol}` pushes a `snapshot` on (re)subscription, then `delta`s;
`data.u` grows by exactly 1 per message of the topic, `data.seq` is the cross sequence,
`ts` the gateway time and `cts` the matching engine's (docs/venue-feeds.md, "Bybit"). A
delta carries absolute sizes, "0" deleting the level. Trades: `publicTrade.{symbol}`, side
`S` of the taker ("Buy"/"Sell"). Tickers: `tickers.{symbol}`, a `snapshot` first, then
`delta`s with only the changed fields (best bid/ask, or mark/index/funding).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

import orjson

from pyengine.sim.book import Levels, SimBook
from pyengine.sim.wire import Changes, fmt

_RATE = Decimal("0.000001")


class BybitWire:
    """Encoder for one Bybit symbol: keeps `u`, `seq` and the ticker state of its topics."""

    snapshot_kind: Literal["rest", "stream"] = "stream"

    def __init__(self, symbol: str, tick: Decimal, lot: Decimal, depth: int = 200) -> None:
        self.symbol = symbol
        self.tick = tick
        self.lot = lot
        self.topic = f"orderbook.{depth}.{symbol}"
        self.last_u = 0
        self.seq = 1_000_000
        self.trade_id = 0
        self.ticker_sent = False

    def _levels(self, levels: list[tuple[Decimal, Decimal]]) -> list[list[str]]:
        # Prices and sizes with the tick's and the step's decimals, a deleted level "0"
        # (the linear captures in tests/data/bybit).
        return [[fmt(p, self.tick), fmt(s, self.lot) if s else "0"] for p, s in levels]

    def _book(self, kind: str, bids: Levels, asks: Levels, ts_ms: int) -> bytes:
        self.last_u += 1
        self.seq += 1 + len(bids) + len(asks)
        return orjson.dumps(
            {
                "topic": self.topic,
                "type": kind,
                "ts": ts_ms,
                "data": {
                    "s": self.symbol,
                    "b": self._levels(bids),
                    "a": self._levels(asks),
                    "u": self.last_u,
                    "seq": self.seq,
                },
                "cts": ts_ms,
            }
        )

    def depth_update(self, changes: Changes, ts_ms: int, book: SimBook | None = None) -> bytes:
        """A `delta` of the changed levels, bids best first, asks best first."""
        bids = sorted(((p, s) for side, p, s in changes if side == "bid"), reverse=True)
        asks = sorted((p, s) for side, p, s in changes if side == "ask")
        return self._book("delta", bids, asks, ts_ms)

    def snapshot(self, bids: Levels, asks: Levels, ts_ms: int) -> bytes:
        """The `snapshot` a (re)subscription pushes; later deltas follow its `u`."""
        return self._book("snapshot", bids, asks, ts_ms)

    def trade(self, price: Decimal, qty: Decimal, buyer_maker: bool, ts_ms: int) -> bytes:
        """A `publicTrade` print (`buyer_maker`: the seller aggressed)."""
        self.trade_id += 1
        row = {
            "T": ts_ms,
            "s": self.symbol,
            "S": "Sell" if buyer_maker else "Buy",
            "v": fmt(qty, self.lot),
            "p": fmt(price, self.tick),
            "L": "ZeroPlusTick",
            "i": f"sim-{self.symbol}-{self.trade_id}",
            "BT": False,
            "seq": self.seq,
        }
        return orjson.dumps(
            {"topic": f"publicTrade.{self.symbol}", "type": "snapshot", "ts": ts_ms, "data": [row]}
        )

    def _ticker(self, fields: dict[str, str], ts_ms: int) -> bytes:
        kind = "delta" if self.ticker_sent else "snapshot"
        self.ticker_sent = True
        return orjson.dumps(
            {
                "topic": f"tickers.{self.symbol}",
                "type": kind,
                "data": {"symbol": self.symbol, **fields},
                "cs": self.seq,
                "ts": ts_ms,
            }
        )

    def book_ticker(
        self, bid: tuple[Decimal, Decimal], ask: tuple[Decimal, Decimal], ts_ms: int
    ) -> bytes:
        """A `tickers` delta with the best bid and ask."""
        fields = {
            "bid1Price": fmt(bid[0], self.tick),
            "bid1Size": fmt(bid[1], self.lot),
            "ask1Price": fmt(ask[0], self.tick),
            "ask1Size": fmt(ask[1], self.lot),
        }
        return self._ticker(fields, ts_ms)

    def mark_price(
        self, mark: Decimal, index: Decimal, rate: Decimal | None, next_funding_ms: int, ts_ms: int
    ) -> list[bytes]:
        """A `tickers` delta with mark, index and (perpetuals) funding rate and time."""
        fields = {"markPrice": fmt(mark, self.tick), "indexPrice": fmt(index, self.tick)}
        if rate is not None:
            fields |= {"fundingRate": fmt(rate, _RATE), "nextFundingTime": str(next_funding_ms)}
        return [self._ticker(fields, ts_ms)]
