"""Raw Binance `depthUpdate` bytes -> parsed, sequence-checked, applied, through the
Python API, against two baselines timed in the same run:

- the pure-Python path: orjson + a sortedcontainers book with exact integer ticks;
- NautilusTrader's `OrderBook.apply_deltas`, fed the same levels as prebuilt deltas
  (building them is not timed, so the comparison favours Nautilus).

Targets (issue 2): >= 10x faster per message than pure Python, >= 5x faster per delta
than Nautilus. Measured here: 28-30x and 6.5-6.8x; both targets are asserted.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from sortedcontainers import SortedDict

from benches.conftest import DATA, best_of, report
from pyengine._core import Feed

CAPTURE = DATA / "binance_usdm" / "l2_capture_btcusdt_perp_20240808_snapshot_plus_diffs.txt"


def load() -> list[bytes]:
    return [line.split(b" ", 1)[1] for line in CAPTURE.read_bytes().splitlines() if line]


MESSAGES = load()


def rust_replay() -> Feed:
    feed = Feed("binance-usdm")
    feed.on_messages(MESSAGES, 0, events=True)
    return feed


def ticks(text: str) -> int:
    # Binance pads prices/sizes to the instrument's decimals, so dropping the point gives
    # exact integer ticks: the fastest exact representation pure Python has.
    return int(text.replace(".", ""))


class PyBook:
    """The pure-Python baseline: the same sync rule, integer ticks, SortedDict sides."""

    def __init__(self) -> None:
        self.bids: SortedDict = SortedDict()
        self.asks: SortedDict = SortedDict()
        self.last_u = -1
        self.synced = False
        self.pending: list[dict[str, Any]] = []
        self.gaps = 0

    def apply(self, d: dict[str, Any]) -> None:
        for side, key in ((self.bids, "b"), (self.asks, "a")):
            for p, q in d[key]:
                px, sz = ticks(p), ticks(q)
                if sz == 0:
                    side.pop(px, None)
                else:
                    side[px] = sz
        self.last_u = d["u"]

    def on_message(self, raw: bytes) -> None:
        m = orjson.loads(raw)
        if "lastUpdateId" in m:
            self.bids = SortedDict({ticks(p): ticks(q) for p, q in m["bids"]})
            self.asks = SortedDict({ticks(p): ticks(q) for p, q in m["asks"]})
            self.last_u = m["lastUpdateId"]
            self.synced = True
            bridged = False
            for d in self.pending:
                if d["u"] < m["lastUpdateId"]:
                    continue
                if bridged and d["pu"] != self.last_u:
                    self.gaps += 1
                bridged = True
                self.apply(d)
            self.pending.clear()
            return
        d = m.get("data", m)
        if d.get("e") != "depthUpdate":
            return
        if not self.synced:
            self.pending.append(d)
        elif d["pu"] == self.last_u:
            self.apply(d)
        else:
            self.gaps += 1
            self.synced = False


def python_replay() -> PyBook:
    book = PyBook()
    for raw in MESSAGES:
        book.on_message(raw)
    return book


def test_rust_matches_python_baseline() -> None:
    feed, py = rust_replay(), python_replay()
    view = feed.book("BTCUSDT", depth=5)
    assert feed.stats()["gaps"] == py.gaps == 0
    assert ticks(view.bids[0][0]) == py.bids.keys()[-1]
    assert ticks(view.asks[0][0]) == py.asks.keys()[0]
    assert view.bid_levels == len(py.bids)


def test_feed_vs_pure_python(benchmark: Any) -> None:
    python_s = best_of(python_replay, rounds=3)
    benchmark.pedantic(rust_replay, rounds=15, iterations=1, warmup_rounds=1)
    rust_s = benchmark.stats.stats.min
    n = len(MESSAGES)
    ratio = python_s / rust_s
    benchmark.extra_info.update(ratio=ratio, rust_us_per_msg=rust_s / n * 1e6)
    report(
        "binance depth via Python API vs pure Python",
        rust_us_per_msg=rust_s / n * 1e6,
        python_us_per_msg=python_s / n * 1e6,
        ratio=ratio,
    )
    assert ratio >= 10, f"only {ratio:.1f}x faster than pure Python"


def nautilus_deltas() -> tuple[Any, list[Any], int]:
    from nautilus_trader.model.data import BookOrder, OrderBookDelta, OrderBookDeltas
    from nautilus_trader.model.enums import BookAction, OrderSide
    from nautilus_trader.model.identifiers import InstrumentId
    from nautilus_trader.model.objects import Price, Quantity

    iid = InstrumentId.from_str("BTCUSDT-PERP.BINANCE")
    batches: list[Any] = []
    n_levels = 0
    seq = 0
    for raw in MESSAGES:
        m = orjson.loads(raw)
        if "lastUpdateId" in m:
            rows = [(OrderSide.BUY, p, q) for p, q in m["bids"]]
            rows += [(OrderSide.SELL, p, q) for p, q in m["asks"]]
        else:
            d = m["data"]
            rows = [(OrderSide.BUY, p, q) for p, q in d["b"]]
            rows += [(OrderSide.SELL, p, q) for p, q in d["a"]]
        deltas = []
        for side, p, q in rows:
            seq += 1
            size = Quantity.from_str(q)
            action = BookAction.DELETE if size.as_double() == 0 else BookAction.UPDATE
            order = BookOrder(side, Price.from_str(p), size, 0)
            deltas.append(OrderBookDelta(iid, action, order, 0, seq, 0, 0))
        n_levels += len(deltas)
        batches.append(OrderBookDeltas(iid, deltas))
    return iid, batches, n_levels


#: The issue's target. Measured 6.5-6.8x (31.5 ns per delta against Nautilus' ~210 ns):
#: the ~30% headroom covers a noisy shared 2-core box (runs have dropped 7% below typical).
NAUTILUS_TARGET = 5.0


def test_feed_vs_nautilus_apply_deltas(benchmark: Any) -> None:
    pytest.importorskip("nautilus_trader", reason="benchmark environment only (make bench)")
    from nautilus_trader.model.book import OrderBook
    from nautilus_trader.model.enums import BookType

    iid, batches, n_levels = nautilus_deltas()

    def nautilus_replay() -> None:
        book = OrderBook(iid, BookType.L2_MBP)
        for b in batches:
            book.apply_deltas(b)

    nautilus_s = best_of(nautilus_replay, rounds=5)
    benchmark.pedantic(rust_replay, rounds=15, iterations=1, warmup_rounds=1)
    rust_s = benchmark.stats.stats.min
    ratio = nautilus_s / rust_s
    benchmark.extra_info.update(ratio=ratio)
    report(
        "binance depth per delta vs NautilusTrader apply_deltas",
        rust_ns_per_delta=rust_s / n_levels * 1e9,
        nautilus_ns_per_delta=nautilus_s / n_levels * 1e9,
        ratio=ratio,
        target=NAUTILUS_TARGET,
    )
    assert ratio >= NAUTILUS_TARGET, f"only {ratio:.1f}x faster than Nautilus per delta"
