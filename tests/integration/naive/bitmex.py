"""Naive BitMEX orderBookL2 book: plain dicts keyed by symbol, built from a capture.

A `partial` replaces each symbol it names (an empty filtered partial empties the filter's
symbol); deltas before a symbol's partial are dropped. Rows are keyed by (id, side) and
the price is remembered from the partial/insert row, because old update/delete rows omit
it. An update/delete of an unknown row, an insert of a held row, or a crossed book after
a message empties the book until the next partial (the venue rule, written again here).
Books with no level on either side are left out, like the engine-side view.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.integration.naive.common import Books, finish, lines

Side = dict[Decimal, Decimal]
RowKey = tuple[int, str]


def _decimal_json(payload: str) -> Any:
    return json.loads(payload, parse_float=Decimal, parse_int=Decimal)


class _Book:
    def __init__(self) -> None:
        self.rows: dict[RowKey, Decimal] = {}
        self.sides: dict[str, Side] = {"Buy": {}, "Sell": {}}
        self.synced = True

    def fail(self) -> None:
        self.rows.clear()
        self.sides = {"Buy": {}, "Sell": {}}
        self.synced = False

    def apply(self, action: str, row: dict[str, Any]) -> bool:
        key = (int(row["id"]), str(row["side"]))
        side = self.sides[key[1]]
        if action == "insert":
            if key in self.rows:
                return False
            price = Decimal(row["price"])
            self.rows[key] = price
            self._set(side, price, Decimal(row["size"]))
            return True
        if key not in self.rows:
            return False
        price = self.rows[key]
        if "price" in row and Decimal(row["price"]) != price:
            return False
        if action == "delete":
            del self.rows[key]
            side.pop(price, None)
        else:
            self._set(side, price, Decimal(row["size"]))
        return True

    @staticmethod
    def _set(side: Side, price: Decimal, size: Decimal) -> None:
        if size == 0:
            side.pop(price, None)
        else:
            side[price] = size

    def crossed(self) -> bool:
        bids, asks = self.sides["Buy"], self.sides["Sell"]
        return bool(bids) and bool(asks) and max(bids) > min(asks)


def naive_books(path: Path) -> Books:
    """Final (bids best-first, asks best-first) per BitMEX symbol."""
    books: dict[str, _Book] = {}
    for kind, _url, payload in lines(path):
        if kind != "recv":
            continue
        try:
            msg = _decimal_json(payload)
        except json.JSONDecodeError:
            continue
        if not isinstance(msg, dict) or msg.get("table") not in ("orderBookL2", "orderBookL2_25"):
            continue
        action = str(msg.get("action"))
        rows: list[dict[str, Any]] = msg.get("data") or []
        symbols = list(dict.fromkeys(str(r["symbol"]) for r in rows))
        if action == "partial":
            filtered = (msg.get("filter") or {}).get("symbol")
            if not symbols and filtered:
                symbols = [str(filtered)]
            for sym in symbols:
                book = books[sym] = _Book()
                for r in rows:
                    if r["symbol"] == sym:
                        price = Decimal(r["price"])
                        book.rows[(int(r["id"]), str(r["side"]))] = price
                        _Book._set(book.sides[str(r["side"])], price, Decimal(r["size"]))
            continue
        for sym in symbols:
            book_ = books.get(sym)
            if book_ is None or not book_.synced:
                continue
            for r in rows:
                if r["symbol"] == sym and not book_.apply(action, r):
                    book_.fail()
                    break
            if book_.synced and book_.crossed():
                book_.fail()
    return {
        sym: finish(b.sides["Buy"], b.sides["Sell"])
        for sym, b in books.items()
        if b.sides["Buy"] or b.sides["Sell"]
    }
