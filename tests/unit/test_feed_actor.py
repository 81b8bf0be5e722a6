"""The feed actor's synchronous core, driven directly with recorded frames: `handle` with the
batches its source yields and the replies to its resync calls, no event loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

from pyengine.actors.base import ActorContext
from pyengine.actors.effects import Call
from pyengine.actors.feed import FeedActor
from pyengine.messages import BookFault, BookTop, Health
from pyengine.messages.effects import Failed, Received, Replied
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


def tops(msgs: Sequence[object]) -> list[BookTop]:
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


class ChunkSource:
    """A connection that receives the capture in chunks: `frames` wakes on a chunk's first
    frame, the rest of the chunk is ready behind it (`drain_ready`)."""

    venue = "binance-usdm"
    category = None

    def __init__(self, chunks: list[list[Frame]]) -> None:
        self.chunks = chunks
        self.ready: list[Frame] = []

    async def frames(self) -> AsyncIterator[Frame]:
        for chunk in self.chunks:
            await asyncio.sleep(0)
            self.ready = list(chunk[1:])
            yield chunk[0]
            while self.ready:  # what the actor did not drain comes one by one
                yield self.ready.pop(0)

    def drain_ready(self, limit: int) -> list[Frame]:
        out, self.ready = self.ready[:limit], self.ready[limit:]
        return out

    async def resync(self, symbol: str) -> None:
        return None

    async def close(self) -> None:
        return None


def test_the_declared_source_batches_what_is_ready_in_order() -> None:
    fs = frames()
    chunks = [fs[i : i + 100] for i in range(0, len(fs), 100)]
    a = FeedActor(
        ActorContext(name="feed", options={"depth": 1, "max_batch": 64}),
        source=ChunkSource(chunks),
    )
    (src,) = a.sources()

    async def read() -> list[list[Frame]]:
        return [batch async for batch in src.open()]  # type: ignore[misc]

    batches = asyncio.run(read())
    assert max(len(b) for b in batches) == 64 and min(len(b) for b in batches) >= 1
    assert [f for b in batches for f in b] == fs


def test_handle_publishes_each_batch_and_asks_for_resyncs_as_calls() -> None:
    a = actor(unsynced_grace_s=60.0, resync_interval_s=1.0)
    fs = frames()
    assert tops(a.handle(Received(source="frames", item=fs[:200])))[0].valid
    out = a.handle(Received(source="frames", item=fs[201:205]))  # one diff missing
    assert any(isinstance(m, BookFault) for m in out)
    (call,) = [e for e in out if isinstance(e, Call)]
    assert call.correlation_id == "resync:BTCUSDT"
    # The runner answers the call; a failed resync is counted and asked again once due.
    assert a.handle(Failed(correlation_id="resync:BTCUSDT", reason="error", error="x")) == []
    assert a.counters["resync_errors"] == 1
    assert not [e for e in a.on_timer(a.now()) if isinstance(e, Call)]  # rate-limited
    assert a.handle(Replied(correlation_id="resync:BTCUSDT")) == []
    later = a.on_timer(a.now() + 2_000_000_000)
    assert [e.correlation_id for e in later if isinstance(e, Call)] == ["resync:BTCUSDT"]
