"""A `MarketDataSource` that replays capture files (formats in `pyengine.recorded.captures`).

Records come out as the live client would deliver them: stream messages as "stream"
frames and REST depth snapshots as "rest" frames naming their symbol. Pacing follows the
recorded receive times scaled by `speed` (2.0 = twice as fast), or none at all
(`speed = 0`, as fast as the consumer takes them). With `loop`, the capture starts again
after a "reconnected" frame, so the books resync exactly as after a real reconnect: this
is how the embedded default keeps real data flowing forever.

`ts_recv` of each frame is the local clock at delivery, not the recorded time, so
staleness checks downstream see live-looking data; the recorded spacing is kept.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path

import msgspec
import orjson

from pyengine.recorded.captures import CaptureRecord, RecordKind, read_capture
from pyengine.venues.base import Frame


class RecordedConfig(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """`[actors.options.source]` of a feed actor with `kind = "recorded"`."""

    venue: str
    files: list[str]
    category: str | None = None
    """Bybit: keep only connections of this category (from the recorded URL)."""
    speed: float = 0.0
    """Recorded speed multiplier; 0 replays as fast as possible."""
    loop: bool = False
    max_gap_s: float = 5.0
    """Longest pause honoured between two records (captures have holes)."""


def _rest_symbol(rec: CaptureRecord) -> str | None:
    sym = rec.url_symbol
    if sym:
        return sym
    return None


def _is_depth_snapshot(data: bytes) -> bool:
    # hftbacktest captures interleave the Binance REST snapshot with the stream.
    return data.startswith(b'{"lastUpdateId"')


def _only_symbol(records: Sequence[CaptureRecord]) -> str | None:
    for rec in records:
        if rec.kind is RecordKind.STREAM and b'"s":"' in rec.data:
            try:
                obj = orjson.loads(rec.data)
            except orjson.JSONDecodeError:
                continue
            data = obj.get("data", obj) if isinstance(obj, dict) else None
            if isinstance(data, dict) and isinstance(data.get("s"), str):
                return str(data["s"])
    return None


def load_frames(cfg: RecordedConfig) -> list[tuple[Frame, int]]:
    """(frame template, recorded ns) of every record of the files, in order."""
    from pyengine.recorded.replay import bybit_category

    out: list[tuple[Frame, int]] = []
    for name in cfg.files:
        records = list(read_capture(Path(name)))
        fallback = _only_symbol(records)
        for rec in records:
            if cfg.venue == "bybit" and cfg.category and bybit_category(rec.url) != cfg.category:
                continue
            if rec.kind is RecordKind.REST or _is_depth_snapshot(rec.data):
                sym = _rest_symbol(rec) or fallback
                out.append((Frame(rec.data, 0, "rest", sym), rec.ts_recv))
            else:
                out.append((Frame(rec.data, 0), rec.ts_recv))
    return out


class RecordedSource:
    """Replays captures as one market-data connection."""

    def __init__(
        self,
        cfg: RecordedConfig,
        *,
        clock: Callable[[], int] = time.time_ns,
        frames: list[tuple[Frame, int]] | None = None,
    ) -> None:
        if cfg.speed < 0:
            raise ValueError("speed must be >= 0")
        self.cfg = cfg
        self.clock = clock
        self._frames = frames if frames is not None else load_frames(cfg)
        self._closed = False
        self.passes = 0
        self.delivered = 0
        self._pos = 0

    @property
    def venue(self) -> str:
        return self.cfg.venue

    @property
    def category(self) -> str | None:
        return self.cfg.category

    def frames(self) -> AsyncIterator[Frame]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Frame]:
        speed = self.cfg.speed
        max_gap = self.cfg.max_gap_s
        frames = self._frames
        prev = 0
        while not self._closed:
            if self._pos >= len(frames):
                self.passes += 1
                if not self.cfg.loop or not frames:
                    return
                self._pos = 0
                prev = 0
                yield Frame(b"", self.clock(), "reconnected")
                continue
            template, rec_ns = frames[self._pos]
            if speed > 0 and prev and rec_ns > prev:
                await asyncio.sleep(min(max_gap, (rec_ns - prev) / 1e9 / speed))
            elif self.delivered % 256 == 255:
                await asyncio.sleep(0)  # let the rest of the loop run
            if self._closed:
                return
            prev = rec_ns or prev
            self._pos += 1
            self.delivered += 1
            yield Frame(template.data, self.clock(), template.kind, template.symbol)

    def drain_ready(self, limit: int) -> list[Frame]:
        """As fast as possible: the next frames of this pass, up to `limit`, at once."""
        if self.cfg.speed > 0 or self._closed:
            return []
        frames = self._frames
        end = min(len(frames), self._pos + limit)
        now = self.clock()
        out = [Frame(t.data, now, t.kind, t.symbol) for t, _ in frames[self._pos : end]]
        self.delivered += len(out)
        self._pos = end
        return out

    async def resync(self, symbol: str) -> None:
        """Nothing to ask of a recording: the next pass (or its next snapshot) resyncs."""

    async def close(self) -> None:
        self._closed = True
