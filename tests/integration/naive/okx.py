"""Naive OKX v5 books: plain dicts keyed by instId, built from a capture.

Book channels only. The venue rule, written again here from the docs: `books`,
`books-l2-tbt` and `books50-l2-tbt` send a snapshot then updates ([px, sz, "0", count],
size "0" deletes); after each message the CRC32 of the top 25 levels, interleaved as
"bidPx:bidSz:askPx:askSz:..." from the exact strings received (continuing with one side
when the other runs out), must equal `checksum` as a signed 32-bit integer, and
`prevSeqId` (when sent) must equal the previous `seqId`; otherwise the book is emptied
and waits for the next snapshot. `books5` and `bbo-tbt` replace the book on every push.
When a connection carries several book channels of one instrument, the deepest channel
whose snapshot arrived feeds the book. Books with no level on either side are left out,
like the engine-side view of the replay test.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.integration.naive.common import Books, finish

# price -> (price text, size text) as received
Side = dict[Decimal, tuple[str, str]]

DEPTH = {"books": 400, "books-l2-tbt": 400, "books50-l2-tbt": 50, "books5": 5, "bbo-tbt": 1}
INCREMENTAL = {"books", "books-l2-tbt", "books50-l2-tbt"}


def _payloads(path: Path) -> Iterator[str]:
    """Received payloads: cryptofeed JSONL, `<ns> <json>` lines or raw JSONL."""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line:
            continue
        head, _, rest = line.partition(" ")
        if head.isdigit():
            yield rest
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(obj, dict) and "t" in obj:
            if obj["t"] == "recv":
                yield str(obj["data"])
        else:
            yield line


def _checksum(bids: Side, asks: Side) -> int:
    b = [bids[p] for p in sorted(bids, reverse=True)[:25]]
    a = [asks[p] for p in sorted(asks)[:25]]
    parts: list[str] = []
    for i in range(25):
        for side in (b, a):
            if i < len(side):
                parts.append(f"{side[i][0]}:{side[i][1]}")
    crc = zlib.crc32(":".join(parts).encode())
    return crc - (1 << 32) if crc >= 1 << 31 else crc


def _apply(side: Side, rows: list[list[str]]) -> None:
    for row in rows:
        p, s = Decimal(row[0]), Decimal(row[1])
        if s == 0:
            side.pop(p, None)
        else:
            side[p] = (row[0], row[1])


def naive_books(path: Path) -> Books:
    """Final (bids best-first, asks best-first) per instId."""
    books: dict[str, tuple[Side, Side]] = {}
    synced: set[str] = set()
    last_seq: dict[str, int | None] = {}
    owner: dict[str, int] = {}
    for payload in _payloads(path):
        try:
            msg: Any = json.loads(payload)
        except json.JSONDecodeError:
            continue
        if not isinstance(msg, dict) or "event" in msg:
            continue
        arg = msg.get("arg") or {}
        channel = arg.get("channel")
        if channel not in DEPTH or "instId" not in arg:
            continue
        key, depth = str(arg["instId"]), DEPTH[channel]
        snapshot = channel not in INCREMENTAL or msg.get("action") == "snapshot"
        if snapshot and depth < owner.get(key, 0):
            continue
        if not snapshot and (owner.get(key) != depth or key not in synced):
            continue
        for d in msg["data"]:
            if snapshot:
                owner[key] = depth
                books[key] = ({}, {})
                synced.add(key)
            elif key not in synced:
                break
            elif (
                "prevSeqId" in d
                and last_seq.get(key) is not None
                and int(d["prevSeqId"]) != last_seq[key]
            ):
                books[key] = ({}, {})
                synced.discard(key)
                break
            bids, asks = books[key]
            _apply(bids, d["bids"])
            _apply(asks, d["asks"])
            last_seq[key] = int(d["seqId"]) if "seqId" in d else None
            checked = channel in INCREMENTAL and "checksum" in d
            if checked and _checksum(bids, asks) != int(d["checksum"]):
                books[key] = ({}, {})
                synced.discard(key)
                break
    out: Books = {}
    for k, (b, a) in books.items():
        if b or a:
            out[k] = finish(
                {p: Decimal(s) for p, (_, s) in b.items()},
                {p: Decimal(s) for p, (_, s) in a.items()},
            )
    return out
