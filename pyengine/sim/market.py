"""Market models that drive the simulated exchange's book: a seeded model and a capture loop.

Both answer `advance(now_ns)` with the `MarketUpdate`s that happened since the last call:
a new book (all levels), trades, mark, index and the funding rate in force. Prices are
exact: the seeded model moves an integer number of ticks, and the capture loop keeps the
venue's own decimal strings (through the real `pyengine._core.Feed` normaliser).

Seeded model (per symbol): the index follows a geometric random walk with jumps
(`vol` annualised, `jump_prob` per step, `jump_vol`), or, given a `SharedIndex`, the
world's index of the symbol's `asset`; the book mid sits at index x (1 + premium), the
premium mean-reverting around `premium_mean`, plus for a dated future the basis
`basis_apr` x time to expiry, which goes to zero at `expiry_ns`; the spread is
`spread_ticks` plus noise; `levels` levels per side, sizes growing with distance. The
funding rate is the docs/funding-basis-margin.md#funding-rate formula on the premium averaged since
the last funding time: F = Pavg + clamp(I - Pavg, +-0.05%) (`pyengine.contracts.funding_rate`).
Floats are only used for the random draws, never for a price or a size.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Protocol

from pyengine._core import Feed, MarkFunding, Trade
from pyengine.contracts import funding_rate, premium_index
from pyengine.recorded.captures import CaptureRecord, RecordKind, read_capture
from pyengine.sim.book import Levels
from pyengine.sim.index import SharedIndex

_YEAR_NS = 365 * 24 * 3_600_000_000_000


@dataclass(frozen=True, slots=True)
class MarketTrade:
    """A trade by other participants; `aggressor` "buy" lifted the ask."""

    price: Decimal
    qty: Decimal
    aggressor: str


@dataclass(slots=True)
class MarketUpdate:
    """What changed in one symbol's market at one time."""

    symbol: str
    ts_ns: int
    bids: Levels | None = None
    asks: Levels | None = None
    trades: list[MarketTrade] = field(default_factory=list)
    mark: Decimal | None = None
    index: Decimal | None = None
    funding_rate: Decimal | None = None


class MarketModel(Protocol):
    """A source of market updates for the simulated exchange."""

    @property
    def symbols(self) -> list[str]: ...

    def advance(self, now_ns: int) -> list[MarketUpdate]: ...

    def on_funding(self, symbol: str) -> None:
        """A funding time passed: start a new premium averaging window."""
        ...


@dataclass
class SymbolParams:
    """Parameters of one symbol of the seeded model."""

    symbol: str
    start: Decimal
    tick: Decimal
    lot: Decimal
    vol: float = 0.6
    jump_prob: float = 0.0005
    jump_vol: float = 0.01
    spread_ticks: int = 1
    levels: int = 20
    base_size: Decimal = Decimal(1)
    premium_mean: float = 0.0001
    premium_vol: float = 0.0002
    trade_prob: float = 0.3
    asset: str = ""
    """The asset whose `SharedIndex` price the symbol follows (if the market has one)."""
    expiry_ns: int | None = None
    """A dated future's expiry: its basis converges to 0 there."""
    basis_apr: float = 0.0
    """A dated future's annualised basis over the index, (F - S) / S x year / time left."""


class SeededMarket:
    """A seeded random market, one update per symbol per `advance` step of `step_ns`."""

    def __init__(
        self,
        params: list[SymbolParams],
        seed: int = 7,
        step_ns: int = 100_000_000,
        index: SharedIndex | None = None,
    ) -> None:
        self.params = {p.symbol: p for p in params}
        self.index = index
        self.rng = random.Random(seed)
        self.step_ns = step_ns
        self.index_ticks = {p.symbol: int(p.start / p.tick) for p in params}
        self.premium = {p.symbol: p.premium_mean for p in params}
        self.premium_sum = {p.symbol: Decimal(0) for p in params}
        self.premium_n = {p.symbol: 0 for p in params}
        self.last_ns: int | None = None

    @property
    def symbols(self) -> list[str]:
        return list(self.params)

    def advance(self, now_ns: int) -> list[MarketUpdate]:
        if self.last_ns is None:
            self.last_ns = now_ns - self.step_ns
        out: list[MarketUpdate] = []
        while self.last_ns + self.step_ns <= now_ns:
            self.last_ns += self.step_ns
            for sym in self.params:
                out.append(self._step(sym, self.last_ns))
        return out

    def on_funding(self, symbol: str) -> None:
        self.premium_sum[symbol] = Decimal(0)
        self.premium_n[symbol] = 0

    def _step(self, sym: str, ts: int) -> MarketUpdate:
        p, rng = self.params[sym], self.rng
        if self.index is not None and p.asset:
            idx = max(10, int((self.index.at(p.asset, ts) / p.tick).to_integral_value()))
        else:
            dt = self.step_ns / _YEAR_NS
            ret = p.vol * math.sqrt(dt) * rng.gauss(0.0, 1.0)
            if rng.random() < p.jump_prob:
                ret += rng.gauss(0.0, p.jump_vol)
            idx = self.index_ticks[sym]
            idx = max(10, idx + round(idx * ret))
        self.index_ticks[sym] = idx
        target = p.premium_mean
        if p.expiry_ns is not None:
            target += p.basis_apr * max(0, p.expiry_ns - ts) / _YEAR_NS
        prem = self.premium[sym]
        prem += 0.05 * (target - prem) + p.premium_vol * 0.3 * rng.gauss(0.0, 1.0)
        self.premium[sym] = prem
        mid_ticks = idx + round(idx * prem)
        spread = p.spread_ticks + (1 if rng.random() < 0.2 else 0)
        best_bid = mid_ticks - spread // 2
        best_ask = best_bid + spread
        bids, asks = [], []
        bpx, apx = best_bid, best_ask
        for i in range(p.levels):
            bids.append((bpx * p.tick, self._size(p, i)))
            asks.append((apx * p.tick, self._size(p, i)))
            step = 1 + (1 if rng.random() < 0.3 else 0)
            bpx, apx = bpx - step, apx + step
        index = idx * p.tick
        trades: list[MarketTrade] = []
        if rng.random() < p.trade_prob:
            side = "buy" if rng.random() < 0.5 else "sell"
            px, top = asks[0] if side == "buy" else bids[0]
            qty = max(p.lot, (top * Decimal(rng.randint(1, 100)) / 100).quantize(p.lot))
            trades.append(MarketTrade(px, min(qty, top), side))
        prem_d = premium_index(bids[0][0], asks[0][0], index)
        self.premium_sum[sym] += prem_d
        self.premium_n[sym] += 1
        avg = (self.premium_sum[sym] / self.premium_n[sym]).quantize(Decimal("1e-12"))
        rate = funding_rate(avg).quantize(Decimal("0.00000001"))
        mark = ((bids[0][0] + asks[0][0]) / 2).quantize(p.tick)
        return MarketUpdate(sym, ts, bids, asks, trades, mark, index, rate)

    def _size(self, p: SymbolParams, i: int) -> Decimal:
        scale = Decimal(50 + i * 25 + self.rng.randint(0, 100)) / 100
        return max(p.lot, (p.base_size * scale).quantize(p.lot))


class CaptureMarket:
    """Loops a real capture: records go through the venue's `Feed`, and each book change
    becomes an update with the book's top `depth` levels (timing kept from `ts_recv`)."""

    def __init__(
        self,
        venue: str,
        path: Path,
        *,
        depth: int = 50,
        default_rate: Decimal = Decimal("0.0001"),
    ) -> None:
        self.venue = venue
        self.records = [r for r in read_capture(path) if r.ts_recv > 0]
        if not self.records:
            raise ValueError(f"{path}: no timestamped records to loop")
        self.depth = depth
        self.default_rate = default_rate
        self.t0 = self.records[0].ts_recv
        self.span = self.records[-1].ts_recv - self.t0 + 1_000_000
        self._syms = self._scan_symbols()
        self.start_ns: int | None = None
        self.pos = 0
        self.loop = 0
        self.feed = Feed(venue)
        self.marks: dict[str, tuple[Decimal, Decimal | None, Decimal | None]] = {}

    def _scan_symbols(self) -> list[str]:
        feed = Feed(self.venue)
        for rec in self.records[:2000]:
            self._apply(feed, rec)
        return sorted(feed.symbols())

    @property
    def symbols(self) -> list[str]:
        return self._syms

    def on_funding(self, symbol: str) -> None:
        return None

    def _apply(self, feed: Feed, rec: CaptureRecord) -> list[object]:
        if rec.kind is RecordKind.REST:
            return list(feed.on_rest_snapshot(rec.data, rec.url_symbol, rec.ts_recv))
        return list(feed.on_message(rec.data, rec.ts_recv))

    def _due(self, now_ns: int) -> Iterator[tuple[int, CaptureRecord]]:
        assert self.start_ns is not None
        while True:
            rec = self.records[self.pos]
            at = self.start_ns + self.loop * self.span + (rec.ts_recv - self.t0)
            if at > now_ns:
                return
            yield at, rec
            self.pos += 1
            if self.pos == len(self.records):
                self.pos, self.loop = 0, self.loop + 1
                self.feed = Feed(self.venue)

    def advance(self, now_ns: int) -> list[MarketUpdate]:
        if self.start_ns is None:
            self.start_ns = now_ns
        out: list[MarketUpdate] = []
        for at, rec in self._due(now_ns):
            changed: set[str] = set()
            trades: dict[str, list[MarketTrade]] = {}
            for ev in self._apply(self.feed, rec):
                if isinstance(ev, Trade):
                    side = ev.aggressor or "buy"
                    trades.setdefault(ev.symbol, []).append(
                        MarketTrade(Decimal(ev.price), Decimal(ev.size), side)
                    )
                elif isinstance(ev, MarkFunding) and ev.mark_px is not None:
                    rate = Decimal(ev.funding_rate) if ev.funding_rate else None
                    index = Decimal(ev.index_px) if ev.index_px else None
                    self.marks[ev.symbol] = (Decimal(ev.mark_px), index, rate)
                elif hasattr(ev, "updates"):
                    changed.add(ev.symbol)  # type: ignore[attr-defined]
            for sym in sorted(changed | trades.keys()):
                out.append(self._update(sym, at, sym in changed, trades.get(sym, [])))
        return out

    def _update(self, sym: str, at: int, book: bool, trades: list[MarketTrade]) -> MarketUpdate:
        up = MarketUpdate(sym, at, trades=trades)
        view = self.feed.book(sym, self.depth)
        if book and view.valid:
            up.bids = [(Decimal(p), Decimal(s)) for p, s in view.bids]
            up.asks = [(Decimal(p), Decimal(s)) for p, s in view.asks]
        mark, index, rate = self.marks.get(sym, (None, None, None))
        mid = self.feed.mid(sym)
        up.mark = mark if mark is not None else (Decimal(mid) if mid else None)
        up.index = index if index is not None else up.mark
        up.funding_rate = rate if rate is not None else self.default_rate
        return up


class ScriptedMarket:
    """A market that changes only when told (`push`): for tests and scripted scenarios."""

    def __init__(self, symbols: list[str]) -> None:
        self._symbols = list(symbols)
        self.pending: list[MarketUpdate] = []

    @property
    def symbols(self) -> list[str]:
        return self._symbols

    def push(self, update: MarketUpdate) -> None:
        """Deliver `update` at the exchange's next step."""
        self.pending.append(update)

    def advance(self, now_ns: int) -> list[MarketUpdate]:
        out, self.pending = self.pending, []
        return out

    def on_funding(self, symbol: str) -> None:
        return None
