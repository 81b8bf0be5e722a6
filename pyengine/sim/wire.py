"""The simulated venues' wire formats: the `Wire` interface, and Binance futures (USD-M
`fapi`, COIN-M `dapi`) as the simulator emits it. Bybit, OKX and Deribit live in
`wire_bybit`, `wire_okx` and `wire_deribit`; `make_wire` picks one by normaliser name.

Messages follow the combined-stream layout `{"stream": ..., "data": {...}}` of the live
feeds. Depth diffs follow the venue rule the normaliser enforces: each `depthUpdate`
carries `U` (first update id), `u` (last) and `pu` (the previous event's `u`); a REST
snapshot carries `lastUpdateId` = the id the next diff's range will start at, so that
the first diff after it bridges it (`U <= lastUpdateId <= u`). Diffs carry absolute
sizes, so re-applying the bridging diff on top of the snapshot is harmless.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Literal, Protocol

import orjson

from pyengine.sim.book import Levels, SimBook

Changes = Sequence[tuple[str, Decimal, Decimal]]
"""Changed levels: (side "bid"/"ask", price, new size; 0 removes the level)."""


def fmt(value: Decimal, quantum: Decimal) -> str:
    """`value` as a plain decimal string with `quantum`'s number of decimals."""
    return f"{value.quantize(quantum):f}"


def trim(value: Decimal) -> str:
    """`value` as a plain decimal string without trailing zeros ("30184", "0.5"), the way
    OKX writes prices and sizes."""
    text = f"{value.normalize():f}"
    return "0" if text in ("-0", "0E-0") else text


def float_text(value: Decimal) -> str:
    """`value` as the shortest decimal text with at least one decimal ("92284.0",
    "3000.05"), the way Deribit's JSON numbers read."""
    text = trim(value)
    return text if "." in text else f"{text}.0"


class Wire(Protocol):
    """Encoder of one symbol's market data in its venue's format (and its sequence state).

    `snapshot_kind` says how a book resyncs: "rest" (a REST depth body, bridged by the
    stream's ids: Binance) or "stream" (a snapshot pushed on the stream after a
    resubscription: Bybit, OKX, Deribit). `depth_update` gets the book after the change
    (OKX's checksum covers the whole top of book) and may return None when the venue
    would send nothing.
    """

    snapshot_kind: Literal["rest", "stream"]

    def depth_update(self, changes: Changes, ts_ms: int, book: SimBook) -> bytes | None: ...

    def snapshot(self, bids: Levels, asks: Levels, ts_ms: int) -> bytes: ...

    def trade(self, price: Decimal, qty: Decimal, buyer_maker: bool, ts_ms: int) -> bytes: ...

    def book_ticker(
        self, bid: tuple[Decimal, Decimal], ask: tuple[Decimal, Decimal], ts_ms: int
    ) -> bytes: ...

    def mark_price(
        self, mark: Decimal, index: Decimal, rate: Decimal | None, next_funding_ms: int, ts_ms: int
    ) -> list[bytes]: ...


class BinanceWire:
    """Encoder for one symbol: keeps the update-id sequence of its depth stream."""

    snapshot_kind: Literal["rest", "stream"] = "rest"

    def __init__(self, symbol: str, tick: Decimal, lot: Decimal, coinm: bool) -> None:
        self.symbol = symbol
        self.tick = tick
        self.lot = lot
        self.coinm = coinm
        self.stream = symbol.lower()
        self.last_u = 1_000
        self.trade_id = 0

    def _levels(self, levels: Sequence[tuple[Decimal, Decimal]]) -> list[list[str]]:
        return [[fmt(p, self.tick), fmt(s, self.lot)] for p, s in levels]

    def _wrap(self, stream: str, data: dict[str, object]) -> bytes:
        return orjson.dumps({"stream": f"{self.stream}@{stream}", "data": data})

    def depth_update(self, changes: Changes, ts_ms: int, book: SimBook | None = None) -> bytes:
        """A `depthUpdate` for changed levels (absolute sizes: `book` is not needed)."""
        first = self.last_u + 1
        last = self.last_u + max(1, len(changes))
        data: dict[str, object] = {
            "e": "depthUpdate",
            "E": ts_ms,
            "T": ts_ms,
            "s": self.symbol,
        }
        if self.coinm:
            data["ps"] = self.symbol.split("_")[0]
        data |= {
            "U": first,
            "u": last,
            "pu": self.last_u,
            "b": self._levels([(p, s) for side, p, s in changes if side == "bid"]),
            "a": self._levels([(p, s) for side, p, s in changes if side == "ask"]),
        }
        self.last_u = last
        return self._wrap("depth@0ms", data)

    def snapshot(self, bids: Levels, asks: Levels, ts_ms: int) -> bytes:
        """The REST `GET /fapi|dapi/v1/depth` body for the current book."""
        data: dict[str, object] = {"lastUpdateId": self.last_u + 1, "E": ts_ms, "T": ts_ms}
        if self.coinm:
            data |= {"symbol": self.symbol, "pair": self.symbol.split("_")[0]}
        data |= {"bids": self._levels(bids), "asks": self._levels(asks)}
        return orjson.dumps(data)

    def trade(self, price: Decimal, qty: Decimal, buyer_maker: bool, ts_ms: int) -> bytes:
        """A `trade` print (`m` true: the seller aggressed)."""
        self.trade_id += 1
        return self._wrap(
            "trade",
            {
                "e": "trade",
                "E": ts_ms,
                "T": ts_ms,
                "s": self.symbol,
                "t": self.trade_id,
                "p": fmt(price, self.tick),
                "q": fmt(qty, self.lot),
                "X": "MARKET",
                "m": buyer_maker,
            },
        )

    def book_ticker(
        self, bid: tuple[Decimal, Decimal], ask: tuple[Decimal, Decimal], ts_ms: int
    ) -> bytes:
        """A `bookTicker` for the best bid and ask."""
        return self._wrap(
            "bookTicker",
            {
                "e": "bookTicker",
                "u": self.last_u,
                "s": self.symbol,
                "b": fmt(bid[0], self.tick),
                "B": fmt(bid[1], self.lot),
                "a": fmt(ask[0], self.tick),
                "A": fmt(ask[1], self.lot),
                "T": ts_ms,
                "E": ts_ms,
            },
        )

    def mark_price(
        self, mark: Decimal, index: Decimal, rate: Decimal | None, next_funding_ms: int, ts_ms: int
    ) -> list[bytes]:
        """A `markPriceUpdate` with index, current funding rate and next funding time (a
        dated future sends an empty rate and 0)."""
        rate_text = "" if rate is None else fmt(rate, Decimal("0.00000001"))
        msg = self._wrap(
            "markPrice@1s",
            {
                "e": "markPriceUpdate",
                "E": ts_ms,
                "s": self.symbol,
                "p": fmt(mark, Decimal("0.00000001")),
                "i": fmt(index, Decimal("0.00000001")),
                "P": fmt(mark, Decimal("0.00000001")),
                "r": rate_text,
                "T": next_funding_ms,
            },
        )
        return [msg]
