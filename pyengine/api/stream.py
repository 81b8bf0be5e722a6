"""The indicative stream: each pair's latest ladder, fanned out to websocket and SSE clients.

A ladder is encoded once (decimals as strings, field names of Ethena's V1 stream:
`max-mint`, `remaining-mint`, ...) and queued to every subscriber; a subscriber too slow to
keep up loses its oldest ladders, never the engine's time.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator
from decimal import Decimal

import msgspec

from pyengine.messages.pricing import IndicativeLadder

QUEUE_DEPTH = 64


def _s(d: Decimal | None) -> str | None:
    return None if d is None else format(d, "f")


def ladder_json(m: IndicativeLadder) -> bytes:
    return msgspec.json.encode(
        {
            "pair": m.pair,
            "mint": [{"size": _s(r.size), "price": _s(r.price)} for r in m.mint],
            "redeem": [{"size": _s(r.size), "price": _s(r.price)} for r in m.redeem],
            "mint_reason": m.mint_reason,
            "redeem_reason": m.redeem_reason,
            "gas": _s(m.gas_usd),
            "max-mint": _s(m.max_mint),
            "max-redeem": _s(m.max_redeem),
            "remaining-mint": _s(m.remaining_mint),
            "remaining-redeem": _s(m.remaining_redeem),
            "ts": m.ts_event,
        }
    )


class LadderHub:
    def __init__(self) -> None:
        self.latest: dict[str, bytes] = {}
        self._subs: set[tuple[asyncio.Queue[bytes], str]] = set()

    def publish(self, ladder: IndicativeLadder) -> None:
        data = ladder_json(ladder)
        self.latest[ladder.pair] = data
        for q, pair in self._subs:
            if pair and pair.upper() != ladder.pair.upper():
                continue
            if q.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    q.get_nowait()
            q.put_nowait(data)

    async def subscribe(self, pair: str = "") -> AsyncGenerator[bytes, None]:
        """The current ladders, then each new one, until the caller stops reading."""
        q: asyncio.Queue[bytes] = asyncio.Queue(QUEUE_DEPTH)
        for p, data in self.latest.items():
            if not pair or p.upper() == pair.upper():
                q.put_nowait(data)
        entry = (q, pair)
        self._subs.add(entry)
        try:
            while True:
                yield await q.get()
        finally:
            self._subs.discard(entry)

    @property
    def subscribers(self) -> int:
        return len(self._subs)
