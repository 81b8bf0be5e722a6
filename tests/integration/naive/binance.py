"""Naive Binance futures book: buffer diffs, load the REST snapshot, apply diffs whose
last id is at or past the snapshot's lastUpdateId. No gap checks: the captures are
verified continuous, and the engine's gap handling is tested separately."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from tests.integration.naive.common import Books, finish, lines


def naive_books(path: Path) -> Books:
    pending: dict[str, list[dict[str, Any]]] = {}
    books: dict[str, tuple[dict[Decimal, Decimal], dict[Decimal, Decimal]]] = {}
    last_id: dict[str, int] = {}

    def apply(sym: str, d: dict[str, Any]) -> None:
        bids, asks = books[sym]
        for side, key in ((bids, "b"), (asks, "a")):
            for p, q in d[key]:
                if Decimal(q) == 0:
                    side.pop(Decimal(p), None)
                else:
                    side[Decimal(p)] = Decimal(q)

    for kind, url, payload in lines(path):
        msg = json.loads(payload)
        if "lastUpdateId" in msg:
            sym = msg.get("symbol")
            if sym is None and url:
                sym = parse_qs(urlparse(url).query)["symbol"][0]
            if sym is None:
                (sym,) = pending.keys() | books.keys()
            books[sym] = (
                {Decimal(p): Decimal(q) for p, q in msg["bids"] if Decimal(q) != 0},
                {Decimal(p): Decimal(q) for p, q in msg["asks"] if Decimal(q) != 0},
            )
            last_id[sym] = msg["lastUpdateId"]
            for d in pending.pop(sym, []):
                if d["u"] >= last_id[sym]:
                    apply(sym, d)
            continue
        data = msg.get("data", msg)
        if kind != "recv" or data.get("e") != "depthUpdate":
            continue
        sym = data["s"]
        if sym in books:
            if data["u"] >= last_id[sym]:
                apply(sym, data)
        else:
            pending.setdefault(sym, []).append(data)
    return {sym: finish(*sides) for sym, sides in books.items()}
