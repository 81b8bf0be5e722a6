"""Naive Bybit v5 books: plain dicts keyed by "{category}:{symbol}", built from a capture.

Only `orderbook.{depth}.{symbol}` pushes. The category comes from the connection URL
(`.../v5/public/linear` -> `linear`; `linear` when the file has no URL). The venue rule,
written again here from the docs: a snapshot replaces the book (whatever its `u`); a
delta applies only if its `u` is the previous `u` + 1, otherwise the book is emptied and
waits for the next snapshot; size 0 deletes. When a connection carries several depths of
one symbol, the deepest depth whose snapshot arrived feeds the book. Books with no level
on either side are left out, like the engine-side view of the replay test.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.integration.naive.common import Books, finish

Side = dict[Decimal, Decimal]


def _payloads(path: Path) -> Iterator[tuple[str, str]]:
    """(category, payload) per received message: cryptofeed JSONL, `<ns> <json>` lines
    or raw JSONL (one venue message per line)."""
    categories: dict[str, str] = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line:
            continue
        head, _, rest = line.partition(" ")
        if head.isdigit():
            yield "linear", rest
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            continue
        if not isinstance(obj, dict):
            continue
        if "t" not in obj:
            yield "linear", line
            continue
        conn = str(obj.get("conn", ""))
        addr = obj.get("addr") or obj.get("url")
        if isinstance(addr, str) and "/v5/public/" in addr:
            categories.setdefault(conn, addr.rstrip("/").rsplit("/", 1)[-1])
        if obj["t"] == "recv":
            yield categories.get(conn, "linear"), str(obj["data"])


def _levels(rows: list[list[str]]) -> Iterator[tuple[Decimal, Decimal]]:
    for row in rows:
        yield Decimal(row[0]), Decimal(row[1])


def naive_books(path: Path) -> Books:
    """Final (bids best-first, asks best-first) per "{category}:{symbol}"."""
    books: dict[str, tuple[Side, Side]] = {}
    last_u: dict[str, int] = {}
    synced: set[str] = set()
    owner: dict[str, int] = {}
    for category, payload in _payloads(path):
        try:
            msg: Any = json.loads(payload)
        except json.JSONDecodeError:
            continue
        if not isinstance(msg, dict):
            continue
        topic = str(msg.get("topic", ""))
        parts = topic.split(".")
        if len(parts) != 3 or parts[0] != "orderbook" or not parts[1].isdigit():
            continue
        depth, key = int(parts[1]), f"{category}:{parts[2]}"
        data: dict[str, Any] = msg["data"]
        u = int(data["u"])
        if msg.get("type") == "snapshot":
            if depth < owner.get(key, 0):
                continue
            owner[key] = depth
            books[key] = (
                {p: s for p, s in _levels(data["b"]) if s != 0},
                {p: s for p, s in _levels(data["a"]) if s != 0},
            )
            synced.add(key)
            last_u[key] = u
            continue
        if owner.get(key) != depth or key not in synced:
            continue
        if u != last_u[key] + 1:
            books[key] = ({}, {})
            synced.discard(key)
            continue
        last_u[key] = u
        bids, asks = books[key]
        for side, rows in ((bids, data["b"]), (asks, data["a"])):
            for p, s in _levels(rows):
                if s == 0:
                    side.pop(p, None)
                else:
                    side[p] = s
    return {k: finish(b, a) for k, (b, a) in books.items() if b or a}
