"""Shared bits of the naive models: reading captures and normalising decimals."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

Levels = list[tuple[str, str]]
Books = dict[str, tuple[Levels, Levels]]


def norm(x: object) -> str:
    """A decimal (text or Decimal) as canonical plain text, so '1.50' == '1.5'."""
    return format(Decimal(str(x)).normalize(), "f")


def lines(path: Path) -> Iterator[tuple[str, str | None, str]]:
    """(kind, url, payload) per message line: kind is 'recv' or 'http'.

    Understands the cryptofeed JSONL container and hftbacktest '<ns> <json>' lines.
    """
    urls: dict[str, str] = {}
    for raw in path.read_text().splitlines():
        if not raw.strip():
            continue
        head, _, rest = raw.partition(" ")
        if head.isdigit():
            yield "recv", None, rest
            continue
        obj = json.loads(raw)
        t = obj.get("t")
        if t == "connect":
            urls[obj["conn"]] = obj["addr"]
        elif t in ("recv", "http"):
            url = obj.get("url") if t == "http" else obj.get("addr", urls.get(obj["conn"]))
            yield t, url, obj["data"]


def finish(bids: dict[Decimal, Decimal], asks: dict[Decimal, Decimal]) -> tuple[Levels, Levels]:
    """Sorted best-first level lists from price -> size dicts."""
    b = [(norm(p), norm(s)) for p, s in sorted(bids.items(), reverse=True)]
    a = [(norm(p), norm(s)) for p, s in sorted(asks.items())]
    return b, a
