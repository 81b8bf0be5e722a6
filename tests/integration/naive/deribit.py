"""Naive Deribit v2 book: plain dicts keyed by instrument_name, built from a capture.

`book.*` notifications only. A `snapshot` (or a grouped push without `type`) replaces the
book; a `change` applies only if its `prev_change_id` equals the previous `change_id`
and every `change`/`delete` names a held price, otherwise the book is emptied and waits
for the next snapshot (the venue rule, written again here from the docs). Books with no
level on either side are left out, like the engine-side view of the replay test.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.integration.naive.common import Books, finish, lines

Side = dict[Decimal, Decimal]


def _decimal_json(payload: str) -> Any:
    return json.loads(payload, parse_float=Decimal, parse_int=Decimal)


def naive_books(path: Path) -> Books:
    """Final (bids best-first, asks best-first) per Deribit instrument_name."""
    books: dict[str, tuple[Side, Side]] = {}
    last_change: dict[str, Decimal] = {}
    synced: set[str] = set()
    incremental: set[str] = set()
    for kind, _url, payload in lines(path):
        if kind != "recv":
            continue
        try:
            msg = _decimal_json(payload)
        except json.JSONDecodeError:
            continue
        if not isinstance(msg, dict) or msg.get("method") != "subscription":
            continue
        params = msg.get("params", {})
        if not str(params.get("channel", "")).startswith("book."):
            continue
        data: dict[str, Any] = params["data"]
        name = str(data["instrument_name"])
        kind_ = data.get("type")
        if kind_ is None:
            if name in incremental:
                continue
            books[name] = (
                {Decimal(p): Decimal(a) for p, a in data["bids"] if Decimal(a) != 0},
                {Decimal(p): Decimal(a) for p, a in data["asks"] if Decimal(a) != 0},
            )
            synced.add(name)
            last_change[name] = Decimal(data.get("change_id", 0))
            continue
        if kind_ == "snapshot":
            incremental.add(name)
            books[name] = (
                {Decimal(p): Decimal(a) for act, p, a in data["bids"] if act != "delete"},
                {Decimal(p): Decimal(a) for act, p, a in data["asks"] if act != "delete"},
            )
            for side in books[name]:
                for p in [p for p, a in side.items() if a == 0]:
                    del side[p]
            synced.add(name)
            last_change[name] = Decimal(data["change_id"])
            continue
        if name not in synced or name not in incremental:
            continue
        if Decimal(data["prev_change_id"]) != last_change[name]:
            books[name] = ({}, {})
            synced.discard(name)
            continue
        ok = True
        for side, key in zip(books[name], ("bids", "asks"), strict=True):
            for act, p, a in data[key]:
                price = Decimal(p)
                if act != "new" and price not in side:
                    ok = False
                    break
                if act == "delete" or Decimal(a) == 0:
                    side.pop(price, None)
                else:
                    side[price] = Decimal(a)
            if not ok:
                break
        if not ok:
            books[name] = ({}, {})
            synced.discard(name)
            continue
        last_change[name] = Decimal(data["change_id"])
    return {name: finish(*sides) for name, sides in books.items() if sides[0] or sides[1]}
