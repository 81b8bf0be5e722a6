"""Deribit v2 JSON-RPC wire format, as the simulator emits it.

Every push is a notification `{"jsonrpc": "2.0", "method": "subscription", "params":
{"channel": ..., "data": ...}}`. Book: `book.{instrument}.raw`, a `snapshot` on
(re)subscription, then `change`s whose `prev_change_id` is the previous notification's
`change_id` (ids grow, not by 1); levels `[action, price, amount]` with action `new` (a
price not in the book), `change` or `delete` (docs/venue-feeds.md, "Deribit"). Prices and
amounts are JSON numbers, written from the exact decimal text. Trades `trades.{inst}.100ms`
(`direction` of the taker), top of book `quote.{inst}`, marks and funding
`ticker.{inst}.100ms` (`funding_8h` for perpetuals).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

import orjson

from pyengine.sim.book import Levels, SimBook
from pyengine.sim.wire import Changes, float_text

_RATE = Decimal("0.00000001")


class DeribitWire:
    """Encoder for one Deribit instrument: keeps its change-id chain and the prices it has
    announced per side (so a level is `new`, `change`d or `delete`d as the venue would)."""

    snapshot_kind: Literal["rest", "stream"] = "stream"

    def __init__(self, name: str, tick: Decimal, lot: Decimal, *, perpetual: bool) -> None:
        self.name = name
        self.tick = tick
        self.lot = lot
        self.perpetual = perpetual
        self.change_id = 20_000_000
        self.trade_id = 0
        self.held: dict[str, set[Decimal]] = {"bid": set(), "ask": set()}

    def _num(self, value: Decimal, quantum: Decimal) -> orjson.Fragment:
        # A JSON number as Deribit's floats read ("92284.0", "3000.05"), from exact text.
        return orjson.Fragment(float_text(value.quantize(quantum)).encode())

    def _notify(self, channel: str, data: object) -> bytes:
        return orjson.dumps(
            {
                "jsonrpc": "2.0",
                "method": "subscription",
                "params": {"channel": channel, "data": data},
            }
        )

    def _book(
        self, kind: str, bids: list[list[object]], asks: list[list[object]], ts_ms: int
    ) -> bytes:
        prev = self.change_id
        # Not consecutive on the venue either: the chain is what links notifications.
        self.change_id += 1 + len(bids) + len(asks)
        data: dict[str, object] = {"type": kind, "timestamp": ts_ms, "instrument_name": self.name}
        if kind == "change":
            data["prev_change_id"] = prev
        data |= {"change_id": self.change_id, "bids": bids, "asks": asks}
        return self._notify(f"book.{self.name}.raw", data)

    def _level(self, action: str, price: Decimal, amount: Decimal) -> list[object]:
        return [action, self._num(price, self.tick), self._num(amount, self.lot)]

    def depth_update(
        self, changes: Changes, ts_ms: int, book: SimBook | None = None
    ) -> bytes | None:
        """A `change` notification; None if nothing changed that the venue had shown."""
        out: dict[str, list[list[object]]] = {"bid": [], "ask": []}
        for side, px, size in changes:
            held = self.held[side]
            if size == 0:
                if px in held:
                    held.discard(px)
                    out[side].append(self._level("delete", px, Decimal(0)))
            else:
                out[side].append(self._level("change" if px in held else "new", px, size))
                held.add(px)
        if not out["bid"] and not out["ask"]:
            return None
        return self._book("change", out["bid"], out["ask"], ts_ms)

    def snapshot(self, bids: Levels, asks: Levels, ts_ms: int) -> bytes:
        """The `snapshot` a (re)subscription pushes."""
        self.held = {"bid": {p for p, _ in bids}, "ask": {p for p, _ in asks}}
        return self._book(
            "snapshot",
            [self._level("new", p, s) for p, s in bids],
            [self._level("new", p, s) for p, s in asks],
            ts_ms,
        )

    def trade(self, price: Decimal, qty: Decimal, buyer_maker: bool, ts_ms: int) -> bytes:
        """A `trades` notification of one print (`buyer_maker`: the seller aggressed)."""
        self.trade_id += 1
        row = {
            "timestamp": ts_ms,
            "price": self._num(price, self.tick),
            "amount": self._num(qty, self.lot),
            "direction": "sell" if buyer_maker else "buy",
            "instrument_name": self.name,
            "trade_seq": self.trade_id,
            "tick_direction": 1,
            "trade_id": f"sim-{self.name}-{self.trade_id}",
        }
        return self._notify(f"trades.{self.name}.100ms", [row])

    def book_ticker(
        self, bid: tuple[Decimal, Decimal], ask: tuple[Decimal, Decimal], ts_ms: int
    ) -> bytes:
        """A `quote` notification with the best bid and ask."""
        data = {
            "timestamp": ts_ms,
            "instrument_name": self.name,
            "best_bid_price": self._num(bid[0], self.tick),
            "best_bid_amount": self._num(bid[1], self.lot),
            "best_ask_price": self._num(ask[0], self.tick),
            "best_ask_amount": self._num(ask[1], self.lot),
        }
        return self._notify(f"quote.{self.name}", data)

    def mark_price(
        self, mark: Decimal, index: Decimal, rate: Decimal | None, next_funding_ms: int, ts_ms: int
    ) -> list[bytes]:
        """A `ticker` notification: mark, index and (perpetuals) the 8 h funding rate."""
        data: dict[str, object] = {
            "timestamp": ts_ms,
            "state": "open",
            "instrument_name": self.name,
            "mark_price": self._num(mark, _RATE),
            "index_price": self._num(index, _RATE),
        }
        if self.perpetual and rate is not None:
            data |= {
                "current_funding": self._num(rate, _RATE),
                "funding_8h": self._num(rate, _RATE),
            }
        return [self._notify(f"ticker.{self.name}.100ms", data)]
