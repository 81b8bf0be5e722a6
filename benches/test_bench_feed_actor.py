"""Raw websocket-frame bytes -> validated, normalised `BookTop` on the bus, through one feed
actor, for Binance USD-M depth (issue 5: >= 50k frames/s, p99 latency reported).

Frames are the real capture's (`depthUpdate` diffs plus its REST snapshot), replicated as
passes separated by a "reconnected" frame, so every pass resyncs from the snapshot exactly
as a live reconnect would. Each batch goes `FeedActor.on_frames` -> stamp + msgpack encode
+ PUB send (what `ActorRunner.emit` does) -> an inproc SUB that receives and decodes every
message. Latency per batch = from handing the batch to the actor to the subscriber holding
the decoded `BookTop`s: the worst any frame of that batch waits inside the engine.

Baseline, same run: `Feed.on_messages` on the same frames (the raw engine_core rate).

`book_depth` adds the pricing path: `BookDepth` of 50 levels at most every 0.1 s per book,
with the frames stamped 1 ms apart so the throttle sees time pass (about 10 per second of
capture); the BookTop path is the same in both.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

import msgspec
import pytest

from benches.conftest import DATA, best_of, report
from pyengine._core import BookUpdate, Feed
from pyengine.actors.base import ActorContext
from pyengine.actors.feed import FeedActor
from pyengine.bus import Bus
from pyengine.messages import BookDepth, BookTop, Message, decode, encode
from pyengine.recorded.source import RecordedConfig, RecordedSource, load_frames
from pyengine.venues.base import Frame

CAPTURE = DATA / "binance_usdm" / "l2_capture_btcusdt_perp_20240808_snapshot_plus_diffs.txt"
PASSES = 20
RAW_RATIO_TARGET = 409_000 / 50_000


def frames() -> list[Frame]:
    one = [f for f, _ in load_frames(RecordedConfig(venue="binance-usdm", files=[str(CAPTURE)]))]
    out: list[Frame] = []
    for _ in range(PASSES):
        out.extend(one)
        out.append(Frame(b"", 0, "reconnected"))
    return out


FRAMES = frames()
TIMED = [Frame(f.data, i * 1_000_000, f.kind, f.symbol) for i, f in enumerate(FRAMES)]


def raw_engine() -> None:
    feed = Feed("binance-usdm")
    batch: list[bytes] = []
    for f in FRAMES:
        if f.kind == "stream":
            batch.append(f.data)
            continue
        if batch:
            feed.on_messages(batch, 0)
            batch = []
        if f.kind == "rest":
            feed.on_rest_snapshot(f.data, f.symbol, 0)
        else:
            feed.on_reconnect()
    if batch:
        feed.on_messages(batch, 0)


async def through_actor(batch_size: int, book_depth: bool) -> tuple[float, list[int], int, int]:
    """(seconds, per-batch latencies ns, BookTops, BookDepths received) for all frames."""
    bus = Bus()
    endpoint = f"inproc://bench.feed.{batch_size}"
    pub = bus.pub(endpoint)
    sub = bus.sub([endpoint], ["md."])
    await asyncio.sleep(0.05)  # inproc SUB connect (setup only, not timed)
    source = RecordedSource(RecordedConfig(venue="binance-usdm", files=[]), frames=[])
    options = {"depth": 10, "book_depth": book_depth}
    actor = FeedActor(ActorContext(name="feed", options=options), source=source)
    all_frames = TIMED if book_depth else FRAMES
    seqs: dict[str, int] = {}
    replace = msgspec.structs.replace

    def emit(msgs: Sequence[Message]) -> None:
        for msg in msgs:
            topic = msg.topic()
            seq = seqs.get(topic, 0) + 1
            seqs[topic] = seq
            pub.send((topic.encode(), encode(replace(msg, src="feed", epoch=1, seq=seq))))

    lat: list[int] = []
    tops = depths = 0
    clock = time.perf_counter_ns
    t0 = time.perf_counter()
    # One deadline for the whole run: `wait_for` per receive would add a task per batch
    # to what is measured.
    async with asyncio.timeout(120):
        for i in range(0, len(all_frames), batch_size):
            start = clock()
            msgs = actor.on_frames(all_frames[i : i + batch_size])
            emit(msgs)
            want = sum(1 for m in msgs if m.topic().startswith("md."))
            got = 0
            while got < want:
                for fr in await sub.recv_batch(4096):
                    got += 1
                    msg = decode(fr[1])
                    if isinstance(msg, BookTop):
                        tops += 1
                    elif isinstance(msg, BookDepth):
                        depths += 1
            lat.append(clock() - start)
    elapsed = time.perf_counter() - t0
    sub.close()
    pub.close()
    bus.close()
    return elapsed, lat, tops, depths


def p99(xs: list[int]) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(len(s) * 0.99))] / 1e3


@pytest.mark.parametrize(
    ("batch_size", "book_depth"), [(1, False), (16, False), (64, False), (16, True)]
)
def test_feed_actor_frames_to_bus(benchmark: object, batch_size: int, book_depth: bool) -> None:
    n = len(FRAMES)
    raw = best_of(raw_engine, 3)
    results: list[tuple[float, list[int], int, int]] = []

    def run() -> None:
        results.append(asyncio.run(through_actor(batch_size, book_depth)))

    benchmark.pedantic(run, rounds=3, iterations=1)  # type: ignore[attr-defined]
    elapsed, lat, tops, depths = min(results, key=lambda r: r[0])
    fps = n / elapsed
    report(
        f"feed actor binance depth batch={batch_size} book_depth={book_depth}",
        frames=n,
        frames_per_s=fps,
        raw_engine_frames_per_s=n / raw,
        actor_vs_raw=(n / raw) / fps,
        book_tops=tops,
        book_depths=depths,
        p50_us=sorted(lat)[len(lat) // 2] / 1e3,
        p99_us=p99(lat),
    )
    assert tops > 0 and (depths > 0) == book_depth
    if batch_size >= 16:
        # The target is 50k frames/s against 409k/s raw: 8x the raw engine's time at most,
        # a ratio of this run (absolute rates on a shared box are noise).
        assert (n / raw) / fps <= RAW_RATIO_TARGET, f"{(n / raw) / fps:.1f}x the raw engine"


def two_crossings(depth: int) -> int:
    """One frame per batch the way the actor did before the fused call: `on_messages`,
    then `feed.book` per changed book, then the `BookTop` (the baseline)."""
    feed = Feed("binance-usdm")
    tops = 0
    for f in FRAMES:
        if f.kind == "rest":
            feed.on_rest_snapshot(f.data, f.symbol, 0)
            continue
        if f.kind != "stream":
            feed.on_reconnect()
            continue
        for ev in feed.on_messages([f.data], [f.ts_recv]):
            if type(ev) is BookUpdate:
                v = feed.book(ev.symbol, depth)
                BookTop(
                    venue="binance-usdm",
                    symbol=v.symbol,
                    bids=v.bids,
                    asks=v.asks,
                    valid=v.valid,
                    book_seq=v.seq,
                    ts_event=v.ts_event,
                    ts_recv=f.ts_recv,
                )
                tops += 1
        feed.stats()
    return tops


def one_crossing(depth: int) -> int:
    """The same with `on_messages_tops`: one crossing per frame."""
    feed = Feed("binance-usdm")
    tops = 0
    for f in FRAMES:
        if f.kind == "rest":
            feed.on_rest_snapshot(f.data, f.symbol, 0)
            continue
        if f.kind != "stream":
            feed.on_reconnect()
            continue
        _events, got, _rejected = feed.on_messages_tops([f.data], [f.ts_recv], depth)
        for sym, valid, seq, ts_event, bids, asks in got:
            BookTop(
                venue="binance-usdm",
                symbol=sym,
                bids=bids,
                asks=asks,
                valid=valid,
                book_seq=seq,
                ts_event=ts_event,
                ts_recv=f.ts_recv,
            )
            tops += 1
    return tops


def actor_only(batch_size: int) -> None:
    """`FeedActor.on_frames` alone (no bus), `batch_size` frames per batch."""
    source = RecordedSource(RecordedConfig(venue="binance-usdm", files=[]), frames=[])
    actor = FeedActor(ActorContext(name="feed", options={"depth": 10}), source=source)
    for i in range(0, len(FRAMES), batch_size):
        actor.on_frames(FRAMES[i : i + batch_size])


#: The fused call must not be slower than two crossings (a ratio of this run, with room
#: for noise). It is only ~1.0-1.1x faster: formatting the 2 x 10 levels as text and
#: building their Python strings dominates, not the crossing.
FUSED_NOT_SLOWER = 0.95


def test_fused_tops_at_one_frame_per_batch() -> None:
    n = len(FRAMES)
    assert two_crossings(10) == one_crossing(10) > 0
    before = best_of(lambda: two_crossings(10), 5)
    after = best_of(lambda: one_crossing(10), 5)
    actor = best_of(lambda: actor_only(1), 3)
    raw = best_of(raw_engine, 3)
    report(
        "feed book path, one frame per batch",
        frames=n,
        two_crossings_frames_per_s=n / before,
        fused_frames_per_s=n / after,
        speedup=before / after,
        actor_on_frames_batch1_frames_per_s=n / actor,
        raw_engine_frames_per_s=n / raw,
        actor_vs_raw=actor / raw,
    )
    assert before / after >= FUSED_NOT_SLOWER, f"fused {before / after:.2f}x of two crossings"
    # The actor alone (no bus) at one frame per batch meets issue 11's 50k/s, as a ratio
    # to the raw engine (50k against 409k raw); the bus round trip is the rest.
    assert actor / raw <= RAW_RATIO_TARGET, f"actor {actor / raw:.1f}x the raw engine"
