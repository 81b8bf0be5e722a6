"""The simulated exchange's own L2 book: exact Decimal levels, diffs, and depth sweeps.

Prices are kept on the instrument's tick and sizes on its lot, so the strings emitted on
the wire (and hence the `pyengine._core.Feed` book built from them) equal this book.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

Levels = list[tuple[Decimal, Decimal]]


@dataclass(frozen=True, slots=True)
class SweepFill:
    """One level consumed by a taker order."""

    price: Decimal
    qty: Decimal


class SimBook:
    """Bids and asks as {price: size}; size 0 never stored."""

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        self.bids: dict[Decimal, Decimal] = {}
        self.asks: dict[Decimal, Decimal] = {}

    def side(self, side: str) -> dict[Decimal, Decimal]:
        """The side named "bid"/"buy" or "ask"/"sell"."""
        return self.bids if side in ("bid", "buy") else self.asks

    def sorted_bids(self) -> Levels:
        """Bids, best (highest) first."""
        return sorted(self.bids.items(), key=lambda kv: kv[0], reverse=True)

    def sorted_asks(self) -> Levels:
        """Asks, best (lowest) first."""
        return sorted(self.asks.items(), key=lambda kv: kv[0])

    def best_bid(self) -> tuple[Decimal, Decimal] | None:
        """Best bid (price, size)."""
        if not self.bids:
            return None
        px = max(self.bids)
        return px, self.bids[px]

    def best_ask(self) -> tuple[Decimal, Decimal] | None:
        """Best ask (price, size)."""
        if not self.asks:
            return None
        px = min(self.asks)
        return px, self.asks[px]

    def mid(self) -> Decimal | None:
        """(best bid + best ask) / 2, if both sides have a level."""
        bb, ba = self.best_bid(), self.best_ask()
        if bb is None or ba is None:
            return None
        return (bb[0] + ba[0]) / 2

    def replace(
        self, bids: Iterable[tuple[Decimal, Decimal]], asks: Iterable[tuple[Decimal, Decimal]]
    ) -> list[tuple[str, Decimal, Decimal]]:
        """Make the book equal to the given levels; return the changed levels as
        (side, price, new size) with size 0 for a removed level, bids first, by price."""
        new_bids = {p: s for p, s in bids if s > 0}
        new_asks = {p: s for p, s in asks if s > 0}
        changes = diff_levels("bid", self.bids, new_bids) + diff_levels("ask", self.asks, new_asks)
        self.bids, self.asks = new_bids, new_asks
        return changes

    def take(self, taker_side: str, qty: Decimal, limit: Decimal | None) -> list[SweepFill]:
        """Consume resting liquidity for a taker order walking levels best first, up to
        `qty` and within `limit` (None: no limit). The consumed sizes leave the book."""
        book = self.asks if taker_side == "buy" else self.bids
        levels = self.sorted_asks() if taker_side == "buy" else self.sorted_bids()
        fills: list[SweepFill] = []
        left = qty
        for px, size in levels:
            if left <= 0:
                break
            if limit is not None and (px > limit if taker_side == "buy" else px < limit):
                break
            q = min(size, left)
            fills.append(SweepFill(px, q))
            left -= q
            if q == size:
                del book[px]
            else:
                book[px] = size - q
        return fills

    def crosses(self, side: str, price: Decimal) -> bool:
        """Would a limit order at `price` on `side` take liquidity now?"""
        if side == "buy":
            ba = self.best_ask()
            return ba is not None and ba[0] <= price
        bb = self.best_bid()
        return bb is not None and bb[0] >= price


def diff_levels(
    side: str, old: dict[Decimal, Decimal], new: dict[Decimal, Decimal]
) -> list[tuple[str, Decimal, Decimal]]:
    out: list[tuple[str, Decimal, Decimal]] = []
    for px in sorted(old.keys() | new.keys()):
        before, after = old.get(px, Decimal(0)), new.get(px, Decimal(0))
        if before != after:
            out.append((side, px, after))
    return out
