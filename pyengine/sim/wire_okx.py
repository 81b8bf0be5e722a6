"""OKX v5 public wire format, as the simulator emits it.

Book: channel `books`, an `action: "snapshot"` on (re)subscription then `"update"`s;
levels `[px, sz, "0", numOrders]` with absolute sizes ("0" deletes). Every message has
`seqId` and `prevSeqId` (the previous message's `seqId`; -1 on a snapshot) and `checksum`:
CRC32 of the top 25 levels of the book after the message, as `bidPx:bidSz:askPx:askSz:...`
interleaved with the exact strings sent, continuing with one side when the other runs
out, as a signed 32-bit integer (docs/venue-feeds.md, "OKX"). OKX announced that from
23 June 2026 the field stays but is always 0; `checksum = "zero"` emits that instead.
Trades: `trades` (`side` of the taker); top of book: `tickers`; marks: `mark-price`, and
for swaps `funding-rate` with the time the current rate settles (`fundingTime`).
"""

from __future__ import annotations

import zlib
from decimal import Decimal
from typing import Literal

import orjson

from pyengine.sim.book import Levels, SimBook
from pyengine.sim.wire import Changes, trim

CHECKSUM_DEPTH = 25
_RATE = Decimal("0.0000000001")


class OkxWire:
    """Encoder for one OKX instrument: keeps its `seqId` chain."""

    snapshot_kind: Literal["rest", "stream"] = "stream"

    def __init__(
        self,
        inst_id: str,
        tick: Decimal,
        lot: Decimal,
        *,
        swap: bool,
        inst_type: str = "SWAP",
        checksum: Literal["crc32", "zero"] = "crc32",
    ) -> None:
        self.inst_id = inst_id
        self.tick = tick
        self.lot = lot
        self.swap = swap
        self.inst_type = inst_type
        self.checksum_mode = checksum
        self.seq_id = 10_000
        self.trade_id = 0

    # OKX writes numbers without trailing zeros ("30184", not "30184.0": the captures in
    # tests/data/okx), and the checksum is over exactly that text.
    def _px(self, p: Decimal) -> str:
        return trim(p.quantize(self.tick))

    def _sz(self, s: Decimal) -> str:
        return trim(s.quantize(self.lot))

    def _levels(self, levels: list[tuple[Decimal, Decimal]]) -> list[list[str]]:
        return [[self._px(p), self._sz(s), "0", "1" if s > 0 else "0"] for p, s in levels]

    def checksum(self, bids: Levels, asks: Levels) -> int:
        """The venue's checksum of a book (bids best first, asks best first)."""
        parts: list[str] = []
        b, a = bids[:CHECKSUM_DEPTH], asks[:CHECKSUM_DEPTH]
        for i in range(max(len(b), len(a))):
            if i < len(b):
                parts += [self._px(b[i][0]), self._sz(b[i][1])]
            if i < len(a):
                parts += [self._px(a[i][0]), self._sz(a[i][1])]
        crc = zlib.crc32(":".join(parts).encode())
        return crc - (1 << 32) if crc >= 1 << 31 else crc

    def _book(
        self, action: str, bids: Levels, asks: Levels, book: tuple[Levels, Levels], ts_ms: int
    ) -> bytes:
        prev = -1 if action == "snapshot" else self.seq_id
        self.seq_id += 1 + len(bids) + len(asks)
        cs = self.checksum(*book) if self.checksum_mode == "crc32" else 0
        row = {
            "asks": self._levels(asks),
            "bids": self._levels(bids),
            "ts": str(ts_ms),
            "checksum": cs,
            "prevSeqId": prev,
            "seqId": self.seq_id,
        }
        return orjson.dumps(
            {
                "arg": {"channel": "books", "instId": self.inst_id},
                "action": action,
                "data": [row],
            }
        )

    def depth_update(self, changes: Changes, ts_ms: int, book: SimBook | None = None) -> bytes:
        """An `update` of the changed levels, checksummed over `book` after the change."""
        if book is None:
            raise ValueError("an OKX update needs the book after it (checksum)")
        bids = sorted(((p, s) for side, p, s in changes if side == "bid"), reverse=True)
        asks = sorted((p, s) for side, p, s in changes if side == "ask")
        full = (book.sorted_bids(), book.sorted_asks())
        return self._book("update", bids, asks, full, ts_ms)

    def snapshot(self, bids: Levels, asks: Levels, ts_ms: int) -> bytes:
        """The `snapshot` a (re)subscription pushes (`prevSeqId` -1)."""
        return self._book("snapshot", bids, asks, (bids, asks), ts_ms)

    def trade(self, price: Decimal, qty: Decimal, buyer_maker: bool, ts_ms: int) -> bytes:
        """A `trades` print (`buyer_maker`: the seller aggressed)."""
        self.trade_id += 1
        row = {
            "instId": self.inst_id,
            "tradeId": str(self.trade_id),
            "px": self._px(price),
            "sz": self._sz(qty),
            "side": "sell" if buyer_maker else "buy",
            "ts": str(ts_ms),
            "count": "1",
        }
        return orjson.dumps({"arg": {"channel": "trades", "instId": self.inst_id}, "data": [row]})

    def book_ticker(
        self, bid: tuple[Decimal, Decimal], ask: tuple[Decimal, Decimal], ts_ms: int
    ) -> bytes:
        """A `tickers` push with the best bid and ask."""
        row = {
            "instType": self.inst_type,
            "instId": self.inst_id,
            "last": self._px(bid[0]),
            "lastSz": self._sz(self.lot),
            "askPx": self._px(ask[0]),
            "askSz": self._sz(ask[1]),
            "bidPx": self._px(bid[0]),
            "bidSz": self._sz(bid[1]),
            "ts": str(ts_ms),
        }
        return orjson.dumps({"arg": {"channel": "tickers", "instId": self.inst_id}, "data": [row]})

    def mark_price(
        self, mark: Decimal, index: Decimal, rate: Decimal | None, next_funding_ms: int, ts_ms: int
    ) -> list[bytes]:
        """`mark-price`, and for a swap `funding-rate` (`fundingTime`: when it settles)."""
        arg = {"channel": "mark-price", "instId": self.inst_id}
        row = {
            "instType": self.inst_type,
            "instId": self.inst_id,
            "markPx": self._px(mark),
            "ts": str(ts_ms),
        }
        out = [orjson.dumps({"arg": arg, "data": [row]})]
        if self.swap and rate is not None:
            fr = {
                "instType": self.inst_type,
                "instId": self.inst_id,
                "fundingRate": trim(rate.quantize(_RATE)),
                "fundingTime": str(next_funding_ms),
                "method": "current_period",
                "ts": str(ts_ms),
            }
            farg = {"channel": "funding-rate", "instId": self.inst_id}
            out.append(orjson.dumps({"arg": farg, "data": [fr]}))
        return out
