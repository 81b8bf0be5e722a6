"""An actor's own I/O through the actor runner (issue 11): the feed actor reading its source at
one frame per batch, and the execution actor's round trip place -> venue reply -> `handle`.

Both run the real actors under a real `ActorRunner` on the inproc bus, so every hop a live
engine makes is timed: the source, `handle`, the runner's stamp + encode + publish, and (for
the round trip) the acknowledged mailbox both ways and a private client talking HTTP to the
local Bybit test server.

On uvloop, as `pyengine run` is. Baselines, same run: the raw engine (`Feed.on_messages` over
the same frames), a bare inproc PUB/SUB hop of the same bytes, and the bare client call
(`await client.place(order)`, no actor, no bus). Ratios are asserted; absolute numbers are
printed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from decimal import Decimal

import msgspec
import pytest
import uvloop

from benches.conftest import best_of, report
from benches.test_bench_feed_actor import FRAMES, raw_engine
from pyengine.actors.base import Actor, ActorContext
from pyengine.actors.directory import Directory, PeerAddress
from pyengine.actors.execution import ExecutionActor
from pyengine.actors.feed import FeedActor
from pyengine.actors.runner import ActorRunner, RunnerSettings
from pyengine.bus import Bus
from pyengine.messages import (
    BookTop,
    Message,
    OrderAccepted,
    OrderRejected,
    PlaceOrder,
    SubmitOrder,
    decode,
    encode,
)
from pyengine.recorded.source import RecordedConfig, RecordedSource
from pyengine.venues.base import Frame, MarketDataSource
from tests.integration.servers.private_harness import CASES, client_for, server_for

ROUNDS = 300
WARMUP = 30
CASE = next(c for c in CASES if c.venue == "bybit")


def expected_tops() -> int:
    """BookTops the feed actor publishes for FRAMES at one frame per batch."""
    src = RecordedSource(RecordedConfig(venue="binance-usdm", files=[]), frames=[])
    actor = FeedActor(ActorContext(name="feed", options={"depth": 10}), source=src)
    return sum(
        1 for f in FRAMES for m in actor.on_frames([f]) if isinstance(m, BookTop) and m.valid
    )


class Trickle:
    """A connection with one frame ready per turn of the event loop (a live socket at
    full speed): every frame lets the rest of the loop run, the subscriber included."""

    venue = "binance-usdm"
    category = None

    async def frames(self) -> AsyncIterator[Frame]:
        for f in FRAMES:
            await asyncio.sleep(0)
            yield Frame(f.data, time.time_ns(), f.kind, f.symbol)

    def drain_ready(self, limit: int) -> list[Frame]:
        return []

    async def resync(self, symbol: str) -> None:
        """The recording resyncs itself from its snapshot."""

    async def close(self) -> None:
        """Nothing to release."""


def make_source(kind: str) -> MarketDataSource:
    if kind == "trickle":
        return Trickle()
    # "burst": the recording as fast as it goes (it lets the loop run every 256 frames)
    cfg = RecordedConfig(venue="binance-usdm", files=[], loop=False)
    return RecordedSource(cfg, frames=[(f, 0) for f in FRAMES])


async def bare_hop(n: int) -> list[int]:
    """Latencies (ns) of a `BookTop`'s bytes over a bare inproc PUB/SUB, one per loop turn:
    the floor under the feed actor's (the same hop, no source, no actor, no encode)."""
    bus = Bus()
    pub = bus.pub("inproc://io.bare.pub")
    sub = bus.sub(["inproc://io.bare.pub"], ["md."])
    await asyncio.sleep(0.05)
    top = BookTop(ts_event=1, ts_recv=1, venue="binance-usdm", symbol="BTCUSDT",
                  bids=[("1", "1")] * 10, asks=[("2", "1")] * 10)  # fmt: skip
    lat: list[int] = []

    async def send() -> None:
        for _ in range(n):
            await asyncio.sleep(0)
            stamped = msgspec.structs.replace(top, ts_recv=time.time_ns())
            pub.send((b"md.book.binance-usdm.BTCUSDT", encode(stamped)))

    task = asyncio.get_running_loop().create_task(send())
    # One deadline for the whole run: `wait_for` per receive would add a task per batch
    # to what is measured.
    async with asyncio.timeout(60):
        while len(lat) < n:
            for fr in await sub.recv_batch(4096):
                lat.append(time.time_ns() - decode(fr[1]).ts_recv)
    await task
    sub.close()
    pub.close()
    bus.close()
    return lat


async def feed_through_runner(want: int, kind: str) -> tuple[float, list[int]]:
    """(seconds from start to the last valid BookTop received, per-top latencies ns)."""
    bus = Bus()
    d = Directory([PeerAddress("feed", "inproc://io.feed.pub", "inproc://io.feed.box", ())])

    def factory(ctx: ActorContext) -> Actor:
        source = make_source(kind)
        return FeedActor(
            ActorContext(name=ctx.name, clock=ctx.clock, ids=ctx.ids, epoch=ctx.epoch,
                         options={"depth": 10, "max_batch": 1}),
            source=source,
        )  # fmt: skip

    runner = ActorRunner("feed", factory, bus, d, settings=RunnerSettings(heartbeat_s=60))
    runner.open()
    sub = bus.sub(["inproc://io.feed.pub"], ["md.book."])
    await asyncio.sleep(0.05)  # inproc SUB connect (setup only, not timed)
    lat: list[int] = []
    got = 0
    t0 = time.perf_counter()
    task = asyncio.get_running_loop().create_task(runner.run())
    last = t0
    try:
        async with asyncio.timeout(60):  # one deadline, as in `bare_hop`
            while got < want:
                batch = await sub.recv_batch(4096)
                now = time.time_ns()
                for fr in batch:
                    msg = decode(fr[1])
                    if isinstance(msg, BookTop) and msg.valid:
                        got += 1
                        lat.append(now - msg.ts_recv)
                last = time.perf_counter()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        sub.close()
        await runner.close()
        bus.close()
    return last - t0, lat


@pytest.mark.parametrize("kind", ["trickle", "burst"])
def test_feed_actor_one_frame_per_batch_through_the_runner(benchmark: object, kind: str) -> None:
    n = len(FRAMES)
    want = expected_tops()
    raw = best_of(raw_engine, 3)
    bare = sorted(uvloop.run(bare_hop(5000)))
    results: list[tuple[float, list[int]]] = []

    def run() -> None:
        results.append(uvloop.run(feed_through_runner(want, kind)))

    benchmark.pedantic(run, rounds=3, iterations=1)  # type: ignore[attr-defined]
    elapsed, lat = min(results, key=lambda r: r[0])
    fps = n / elapsed
    s = sorted(lat)
    p50, bare50 = s[len(s) // 2], bare[len(bare) // 2]
    report(
        f"feed actor under the runner, 1 frame per batch, {kind} source",
        frames=n,
        frames_per_s=fps,
        raw_engine_frames_per_s=n / raw,
        actor_vs_raw=(n / raw) / fps,
        book_tops=len(lat),
        p50_us=p50 / 1e3,
        p99_us=s[min(len(s) - 1, int(len(s) * 0.99))] / 1e3,
        bare_hop_p50_us=bare50 / 1e3,
        p50_vs_bare_hop=p50 / bare50,
    )
    assert len(lat) == want
    # Same-run ratios. Throughput at one frame per batch is bound by the loop and the bus,
    # the subscriber's decode included (issue 11's target, 50k frames/s against 409k/s
    # raw, is 8.2x; measured 7-11x on this shared box): the gate catches a path twice as
    # slow, or gone timer-bound (a 2 ms tick per frame would be ~1000x).
    # Latency: a frame's top is one hop away, not a timer tick (before the seam: 1.3-2.5 ms,
    # 30-45x the bare hop); a burst source holds the loop for 256 frames at a time, so only
    # the trickle one says anything about latency.
    assert (n / raw) / fps <= 20
    if kind == "trickle":
        assert p50 <= 20 * bare50


class Pinger(Actor):
    """Sends one PlaceOrder at a time and times each answer reaching its `handle`."""

    reliable = ("exec.order.",)

    def __init__(self, ctx: ActorContext) -> None:
        super().__init__(ctx)
        self.n = 0
        self.sent_ns = 0
        self.lat: list[int] = []

    def next_order(self) -> PlaceOrder:
        self.n += 1
        now = self.now()
        order = SubmitOrder(
            ts_event=now,
            ts_recv=now,
            client_order_id=f"rt-{self.ctx.epoch}-{self.n}",
            venue="bybit",
            symbol=CASE.symbol,
            side="sell",
            qty=Decimal("0.5"),
            price=Decimal("95000"),
        )
        self.sent_ns = time.perf_counter_ns()
        return PlaceOrder(ts_event=now, ts_recv=now, order=order)

    def on_start(self) -> list[Message]:
        return [self.next_order()]

    def handle(self, msg: Message) -> list[Message]:
        if isinstance(msg, OrderAccepted | OrderRejected):
            self.lat.append(time.perf_counter_ns() - self.sent_ns)
            if self.n < ROUNDS + WARMUP:
                return [self.next_order()]
        return []


async def round_trips() -> tuple[list[int], list[int]]:
    """(bare client call latencies, actor round-trip latencies), ns."""
    server = await server_for(CASE).start()
    bare_client = client_for(CASE, server)
    bare: list[int] = []
    try:
        pinger = Pinger(ActorContext(name="bare"))
        for _ in range(ROUNDS + WARMUP):
            order = pinger.next_order().order
            t0 = time.perf_counter_ns()
            await bare_client.place(order)
            bare.append(time.perf_counter_ns() - t0)
        await bare_client.close()
        bus = Bus()
        d = Directory(
            [
                PeerAddress("exec", "inproc://rt.exec.pub", "inproc://rt.exec.box",
                            ("cmd.venue.bybit.", "cmd.order.cancel")),
                PeerAddress("pinger", "inproc://rt.pinger.pub", "inproc://rt.pinger.box",
                            ("exec.order.",)),
            ]
        )  # fmt: skip
        client = client_for(CASE, server)

        def exec_factory(ctx: ActorContext) -> Actor:
            return ExecutionActor(
                ActorContext(name=ctx.name, clock=ctx.clock, ids=ctx.ids, epoch=ctx.epoch,
                             options={"venue": "bybit", "client": "bybit"}),
                client=client,
            )  # fmt: skip

        settings = RunnerSettings(heartbeat_s=60, tick_s=0.01)
        runners = [
            ActorRunner("exec", exec_factory, bus, d, settings=settings),
            ActorRunner("pinger", Pinger, bus, d, settings=settings),
        ]
        for r in runners:
            r.open()
        tasks = [asyncio.get_running_loop().create_task(r.run()) for r in runners]
        try:
            deadline = time.monotonic() + 60
            while True:
                a = runners[1].actor
                if isinstance(a, Pinger) and len(a.lat) >= ROUNDS + WARMUP:
                    break
                assert time.monotonic() < deadline, "round trips did not finish"
                await asyncio.sleep(0.01)
            actor_lat = a.lat
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for r in runners:
                await r.close()
            await client.close()
            bus.close()
    finally:
        await server.stop()
    return bare[WARMUP:], actor_lat[WARMUP:]


def test_private_client_round_trip_through_the_runner() -> None:
    bare, actor = uvloop.run(round_trips())

    def p50(xs: list[int]) -> float:
        return sorted(xs)[len(xs) // 2] / 1e3

    def p99(xs: list[int]) -> float:
        s = sorted(xs)
        return s[min(len(s) - 1, int(len(s) * 0.99))] / 1e3

    report(
        "execution actor round trip place -> reply in handle (bybit, local server)",
        rounds=len(actor),
        bare_client_p50_us=p50(bare),
        actor_p50_us=p50(actor),
        actor_p99_us=p99(actor),
        actor_vs_bare=p50(actor) / p50(bare),
        added_p50_us=p50(actor) - p50(bare),
    )
    assert len(actor) == ROUNDS
    # Before the seam the answer waited for the 2 ms timer: 17-19x the bare call.
    assert p50(actor) <= 6 * p50(bare)
