"""What pricing knows of the market: each candidate book's depth, its validity verdict, the
oracles and the hedge held, and the fitness rules that withdraw a side (docs/pricing.md).

A book is usable only while its last `BookDepth` is valid and its validator verdict is
`valid` and recent (docs/market-data-validity.md#consequences: no recent verdict counts as
invalid). The reference price is the volume-weighted mid of the usable perpetuals (all
usable books if none), weighted by the coins at their best bid and ask: a dated future's
mid carries its basis, which is not the spot price; the oracle price is the median of the configured
sources, every one of which must be fresh. Depth strings become integer mantissas once,
when the message arrives, not at every pricing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from pyengine.contracts import InstrumentSpec
from pyengine.messages import BookDepth, OraclePrice, PositionReport
from pyengine.messages.validity import VALID, InstrumentValidity
from pyengine.pricing.amounts import DOWN
from pyengine.pricing.config import PricingConfig
from pyengine.routing import Depth
from pyengine.routing.request import planner_coins
from pyengine.validation.oracle_ref import OracleBoard

_MS = 1_000_000


@dataclass(frozen=True, slots=True)
class Book:
    """One candidate's latest depth: bids and asks as planner `Depth`, best levels exact."""

    spec: InstrumentSpec
    key: tuple[str, str]
    bids: Depth
    asks: Depth
    best_bid: Decimal
    best_ask: Decimal
    bid_size: Decimal
    ask_size: Decimal
    seq: int
    ts_recv: int
    raw_bids: Sequence[tuple[str, str]] = ()
    raw_asks: Sequence[tuple[str, str]] = ()


@dataclass(frozen=True, slots=True)
class Fitness:
    """The usable books of one asset at one instant, or why there are none."""

    books: tuple[Book, ...]
    ref_px: Decimal | None
    oracle_px: Decimal | None
    reason: str = ""
    now_ns: int = 0


def spec_symbol(symbol: str) -> str:
    """The instrument symbol of a book key: a Bybit feed keys books `<category>:<symbol>`."""
    return symbol.rpartition(":")[2]


def depth_of(levels: Sequence[tuple[str, str]]) -> Depth:
    """Exact decimal strings to mantissas at the finest scale of the side, in integers
    (a venue usually sends one number of decimals per side: then no rescaling)."""
    cols: list[tuple[list[int], int]] = []
    for col in ([p for p, _ in levels], [q for _, q in levels]):
        if any("e" in x or "E" in x for x in col):
            return Depth.from_levels(levels)
        dec = [len(x) - x.find(".") - 1 if "." in x else 0 for x in col]
        top = max(dec, default=0)
        if min(dec, default=0) == top:
            cols.append(([int(x.replace(".", "")) for x in col], top))
        else:
            cols.append(
                (
                    [
                        int(x.replace(".", "")) * 10 ** (top - d)
                        for x, d in zip(col, dec, strict=True)
                    ],
                    top,
                )
            )
    (px, ps), (sz, qs) = cols
    return Depth(ps, qs, tuple(zip(px, sz, strict=True)))


class MarketView:
    """Latest depth, validity, oracle prices and positions, for the candidates of each asset."""

    def __init__(self, cfg: PricingConfig, instruments: Iterable[InstrumentSpec]) -> None:
        self.cfg = cfg
        self.specs: dict[tuple[str, str], InstrumentSpec] = {}
        assets = {p.asset for p in cfg.pairs.values() if p.kind == "asset"}
        for spec in instruments:
            if spec.base in assets and spec.kind != "spot" and spec.venue in cfg.taker_fees:
                self.specs[(spec.venue, spec.symbol)] = spec
        self.books: dict[tuple[str, str], Book] = {}
        self.validity: dict[tuple[str, str], tuple[bool, int]] = {}
        self.oracles = OracleBoard(cfg.oracle_sources, cfg.max_age_ms)
        self.positions: dict[tuple[str, str], Decimal] = {}
        self.counters = {"depths": 0, "ignored": 0, "rejected": 0}

    def on_depth(self, msg: BookDepth) -> str | None:
        """Take a book; the asset it prices, or None if it is not a candidate."""
        spec = self.specs.get((msg.venue, spec_symbol(msg.symbol)))
        if spec is None:
            self.counters["ignored"] += 1
            return None
        key = (msg.venue, msg.symbol)
        if not msg.valid or not msg.bids or not msg.asks:
            if self.books.pop(key, None) is None and not msg.valid:
                return None
            return spec.base
        held = self.books.get(key)
        try:
            # A side the update left as it was keeps its parsed depth.
            bids = held.bids if held and held.raw_bids == msg.bids else depth_of(msg.bids)
            asks = held.asks if held and held.raw_asks == msg.asks else depth_of(msg.asks)
            best_bid, best_ask = Decimal(msg.bids[0][0]), Decimal(msg.asks[0][0])
            bid_size, ask_size = Decimal(msg.bids[0][1]), Decimal(msg.asks[0][1])
        except (ValueError, ArithmeticError):
            self.counters["rejected"] += 1
            self.books.pop(key, None)
            return spec.base
        self.counters["depths"] += 1
        self.books[key] = Book(
            spec, key, bids, asks, best_bid, best_ask, bid_size, ask_size, msg.book_seq,
            msg.ts_recv, msg.bids, msg.asks,
        )  # fmt: skip

        return spec.base

    def on_validity(self, msg: InstrumentValidity, now_ns: int) -> str | None:
        spec = self.specs.get((msg.venue, spec_symbol(msg.symbol)))
        if spec is None:
            return None
        key = (msg.venue, msg.symbol)
        before = self.validity.get(key, (False, 0))[0]
        self.validity[key] = (msg.state == VALID, now_ns)
        return spec.base if before != (msg.state == VALID) else None

    def on_oracle(self, msg: OraclePrice, now_ns: int) -> str | None:
        return msg.symbol if self.oracles.update(msg, now_ns) else None

    def on_position(self, msg: PositionReport) -> str | None:
        spec = self.specs.get((msg.venue, spec_symbol(msg.symbol)))
        if spec is None:
            return None
        self.positions[(msg.venue, spec.symbol)] = msg.qty
        return spec.base

    def short_coins(self, spec: InstrumentSpec, ref_px: Decimal) -> Decimal:
        """The short held on `spec`, in coins at `ref_px` (0 if long or none), rounded as
        the hedger rounds it for the planner (`planner_coins`)."""
        qty = self.positions.get((spec.venue, spec.symbol), Decimal(0))
        if qty >= 0:
            return Decimal(0)
        units = -qty * spec.multiplier
        return planner_coins(units if spec.payoff == "linear" else DOWN.divide(units, ref_px))

    def usable(self, key: tuple[str, str], now_ns: int) -> bool:
        verdict = self.validity.get(key)
        return (
            verdict is not None
            and verdict[0]
            and now_ns - verdict[1] <= self.cfg.validity_max_age_ms * _MS
        )

    def fitness(self, asset: str, now_ns: int) -> Fitness:
        """The usable books of `asset`, the reference and the oracle, or the first reason
        not to quote: `oracle_missing:<src>` / `oracle_stale:<src>`, `no_valid_book`,
        `oracle_band` (docs/pricing.md#reference-and-oracle)."""
        fresh = {q.source for q in self.oracles.fresh(asset, now_ns)}
        for source in self.cfg.oracle_sources:
            if source not in fresh:
                held = (source, asset) in self.oracles.latest
                why = "oracle_stale" if held else "oracle_missing"
                return Fitness((), None, None, f"{why}:{source}")
        oracle = self.oracles.price(asset, now_ns)
        books = tuple(
            b for b in self.books.values() if b.spec.base == asset and self.usable(b.key, now_ns)
        )
        if not books or oracle is None:
            return Fitness((), None, oracle, "no_valid_book")
        perps = [b for b in books if b.spec.kind == "perpetual"]
        ref = reference_price(perps or books)
        dev = DOWN.multiply(DOWN.divide(abs(ref - oracle), oracle), 10_000)
        if dev > self.cfg.oracle_tol_bps:
            return Fitness((), ref, oracle, f"oracle_band:{dev.quantize(Decimal('0.01'))}bp")
        return Fitness(books, ref, oracle, now_ns=now_ns)


def mid_of(b: Book) -> Decimal:
    return DOWN.divide(b.best_bid + b.best_ask, 2)


def reference_price(books: Sequence[Book]) -> Decimal:
    """Volume-weighted mid: each book's mid weighted by the coins at its best bid and ask
    (an inverse contract of `cv` USD is `cv / mid` coins), rounded to 8 decimals."""
    num = den = Decimal(0)
    for b in books:
        mid = mid_of(b)
        units = (b.bid_size + b.ask_size) * b.spec.multiplier
        coins = units if b.spec.payoff == "linear" else DOWN.divide(units, mid)
        num = DOWN.add(num, DOWN.multiply(mid, coins))
        den = DOWN.add(den, coins)
    return DOWN.divide(num, den).quantize(Decimal("0.00000001"))
