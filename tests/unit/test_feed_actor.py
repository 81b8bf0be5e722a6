"""The feed actor's synchronous core, driven directly with recorded frames."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

from pyengine.actors.base import ActorContext
from pyengine.actors.feed import FeedActor
from pyengine.messages import BookFault, BookTop, Health, Message
from pyengine.recorded.source import RecordedConfig, RecordedSource, load_frames
from pyengine.venues.base import Frame
from pyengine.venues.live import Backoff

DATA = Path(__file__).resolve().parents[1] / "data"
CAPTURE = DATA / "binance_usdm" / "l2_capture_btcusdt_perp_20240808_snapshot_plus_diffs.txt"


def actor(**options: object) -> FeedActor:
    cfg = RecordedConfig(venue="binance-usdm", files=[str(CAPTURE)])
    return FeedActor(ActorContext(name="feed", options=options), source=RecordedSource(cfg))


def frames() -> list[Frame]:
    return [f for f, _ in load_frames(RecordedConfig(venue="binance-usdm", files=[str(CAPTURE)]))]


def tops(msgs: list[Message]) -> list[BookTop]:
    return [m for m in msgs if isinstance(m, BookTop)]


def test_one_book_top_per_changed_book_per_batch() -> None:
    a = actor(depth=3)
    fs = frames()
    out = a.on_frames(fs[:200])
    (top,) = tops(out)
    assert top.valid and len(top.bids) == 3 and top.topic() == "md.book.binance-usdm.BTCUSDT"
    assert top.book_seq > 0 and top.bids[0][0] < top.asks[0][0]
    assert any(isinstance(m, Health) and m.status == "ok" for m in out)


def test_reconnect_publishes_invalid_once_and_resync_is_rate_limited() -> None:
    a = actor(resync_interval_s=1.0, unsynced_grace_s=0.0)
    fs = frames()
    a.on_frames(fs[:200])
    out = a.on_frames([Frame(b"", 10, "reconnected"), *fs[200:210]])
    (top,) = tops(out)
    assert not top.valid and top.bids == [] and top.asks == []
    assert any(isinstance(m, Health) and m.status == "down" for m in out)
    assert tops(a.on_frames(fs[210:220])) == []  # not republished while still invalid
    assert a.due_resyncs(20) == ["BTCUSDT"]
    assert a.due_resyncs(30) == []  # within resync_interval_s
    assert a.due_resyncs(20 + 1_000_000_000) == ["BTCUSDT"]


def test_gap_publishes_fault_and_asks_for_resync_at_once() -> None:
    a = actor(unsynced_grace_s=60.0)
    fs = frames()
    a.on_frames(fs[:200])
    out = a.on_frames(fs[201:205])  # one diff missing
    faults = [m for m in out if isinstance(m, BookFault)]
    assert faults and faults[0].reason.startswith("gap")
    assert not tops(out)[0].valid
    assert a.due_resyncs(1) == ["BTCUSDT"]


def test_junk_is_counted_not_raised() -> None:
    a = actor()
    a.on_frames([Frame(b"\xff\x00junk", 1), Frame(b'{"e":"nope"}', 1)])
    assert a.counters["rejected"] == 2
    a.on_frames([Frame(b"not a snapshot", 1, "rest", "BTCUSDT")])
    assert a.counters["rejected"] == 3


def test_recorded_source_loops_with_reconnects() -> None:
    async def main() -> list[Frame]:
        cfg = RecordedConfig(venue="binance-usdm", files=[str(CAPTURE)], loop=True)
        src = RecordedSource(cfg)
        out: list[Frame] = []
        async for f in src.frames():
            out.append(f)
            out.extend(src.drain_ready(500))
            if len(out) > 2500:
                await src.close()
        return out

    got = asyncio.run(main())
    kinds = [f.kind for f in got]
    assert kinds.count("reconnected") >= 2 and kinds.count("rest") >= 2


def test_backoff_grows_with_jitter_and_caps() -> None:
    b = Backoff(0.5, 4.0, jitter=0.5, rng=lambda: 1.0)
    assert [b.next() for _ in range(5)] == [0.25, 0.5, 1.0, 2.0, 2.0]
    b.reset()
    assert Backoff(0.5, 4.0, jitter=0.5, rng=lambda: 0.0).next() == 0.5


class SteppedSource:
    """Releases the capture's frames in chunks, one chunk per `step()`."""

    venue = "binance-usdm"
    category = None

    def __init__(self, chunks: list[list[Frame]]) -> None:
        self.chunks = chunks
        self.gate = asyncio.Event()

    def step(self) -> None:
        self.gate.set()

    async def frames(self) -> AsyncIterator[Frame]:
        for chunk in self.chunks:
            await self.gate.wait()
            self.gate.clear()
            for f in chunk:
                yield f

    async def resync(self, symbol: str) -> None:
        return None

    async def close(self) -> None:
        return None


def test_pump_output_reaches_every_timer_tick_not_just_the_first() -> None:
    """Regression: the pump once extended a list that on_timer had already swapped out,
    so everything after the first tick was lost."""
    fs = frames()
    chunks = [fs[i : i + 100] for i in range(0, len(fs), 100)]

    async def scenario() -> list[list[int]]:
        src = SteppedSource(chunks)
        a = FeedActor(ActorContext(name="feed", options={"depth": 1}), source=src)
        a.on_start()
        per_tick: list[list[int]] = []
        for _ in chunks:
            src.step()
            for _ in range(50):  # let the pump take the chunk
                await asyncio.sleep(0)
            per_tick.append([t.book_seq for t in tops(a.on_timer(0))])
        a.close()
        return per_tick

    per_tick = asyncio.run(scenario())
    # Every tick delivers the books of the chunk released before it, in order.
    assert all(per_tick), [len(t) for t in per_tick]
    flat = [s for tick in per_tick for s in tick]
    assert flat == sorted(flat)
