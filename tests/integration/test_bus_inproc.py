"""Actors wired over inproc:// in one process: pub/sub, acknowledged delivery, gaps, bad bytes."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from decimal import Decimal

import msgspec
import uvloop

from pyengine.actors.base import Actor
from pyengine.actors.directory import Directory, PeerAddress
from pyengine.actors.runner import ActorRunner, RunnerSettings
from pyengine.bus import MSG, Bus
from pyengine.messages import (
    IndicativePrice,
    Message,
    OrderFilled,
    encode,
)

Poll = Callable[..., Awaitable[None]]


class Sink(Actor):
    subscribe = ("price.",)
    reliable = ("exec.", "alert.")

    def __init__(self, ctx: object) -> None:
        super().__init__(ctx)  # type: ignore[arg-type]
        self.got: list[Message] = []
        self.flushes = 0

    def handle(self, msg: Message) -> list[Message]:
        self.got.append(msg)
        return []

    def flush(self) -> None:
        self.flushes += 1


class Echo(Actor):
    subscribe = ("price.indicative.ping",)

    def handle(self, msg: Message) -> list[Message]:
        assert isinstance(msg, IndicativePrice)
        return [msgspec.structs.replace(msg, asset="pong", src="", seq=0, epoch=0)]


def peers(*names: tuple[str, tuple[str, ...]]) -> Directory:
    return Directory(PeerAddress(n, f"inproc://{n}.pub", f"inproc://{n}.box", r) for n, r in names)


def fill(i: int) -> OrderFilled:
    return OrderFilled(
        ts_event=i,
        ts_recv=i,
        client_order_id=f"o{i}",
        venue="v",
        symbol="s",
        side="buy",
        fill_id=f"f{i}",
        qty=Decimal("1"),
        price=Decimal("2"),
    )


def price(i: int, asset: str = "ETH") -> IndicativePrice:
    return IndicativePrice(ts_event=i, ts_recv=i, asset=asset, mint_px=str(i), redeem_px=str(i))


def run(coro_fn: Callable[[], Awaitable[None]]) -> None:
    uvloop.run(coro_fn())  # type: ignore[arg-type]


async def start(
    bus: Bus, d: Directory, classes: dict[str, type[Actor]], apoll: Poll
) -> dict[str, ActorRunner]:
    import asyncio

    settings = RunnerSettings(heartbeat_s=0.05, ack_timeout_s=0.2, tick_s=0.01)
    runners = {n: ActorRunner(n, c, bus, d, settings=settings) for n, c in classes.items()}
    for r in runners.values():
        r.open()
    for r in runners.values():
        r._task = asyncio.get_running_loop().create_task(r.run())  # type: ignore[attr-defined]
    others = set(runners)
    await apoll(
        lambda: all(others - {n} <= set(r.peers_seen) for n, r in runners.items()), 5, "hellos"
    )
    return runners


async def stop(bus: Bus, runners: dict[str, ActorRunner]) -> None:
    for r in runners.values():
        r._task.cancel()  # type: ignore[attr-defined]
    for r in runners.values():
        with contextlib.suppress(BaseException):
            await r._task  # type: ignore[attr-defined]
        await r.close()
    bus.close()


def test_pubsub_and_acknowledged_delivery(apoll: Poll) -> None:
    async def main() -> None:
        bus = Bus()
        d = peers(("src", ()), ("sink", ("exec.", "alert.")), ("echo", ()))
        rs = await start(bus, d, {"src": Actor, "sink": Sink, "echo": Echo}, apoll)
        src, sink = rs["src"], rs["sink"]
        src.emit([fill(i) for i in range(1, 201)])
        src.emit([price(i) for i in range(1, 51)])
        src.emit([price(1, "ping")])
        actor = sink.actor
        assert isinstance(actor, Sink)
        await apoll(lambda: len(src.outbox) == 0, 5, "all fills acknowledged")
        fills = [m for m in actor.got if isinstance(m, OrderFilled)]
        assert sorted(m.fill_id for m in fills) == sorted(f"f{i}" for i in range(1, 201))
        assert all(m.src == "src" and m.seq >= 1 for m in fills)
        await apoll(
            lambda: sum(isinstance(m, IndicativePrice) for m in actor.got) == 52, 5, "prices"
        )
        assert "pong" in [m.asset for m in actor.got if isinstance(m, IndicativePrice)]
        assert src.outbox.acked == 200
        assert sink.tracker.gaps == 0
        assert actor.flushes >= 1
        await stop(bus, rs)

    run(main)


def test_gap_detected_and_bad_bytes_rejected(apoll: Poll) -> None:
    async def main() -> None:
        bus = Bus()
        d = peers(("sink", ("exec.",)), ("raw", ()))
        rs = await start(bus, d, {"sink": Sink}, apoll)
        sink = rs["sink"]
        raw = bus.pub("inproc://raw.pub")
        frames = [
            (
                b"price.indicative.ETH",
                encode(msgspec.structs.replace(price(i), src="raw", epoch=1, seq=s)),
            )
            for i, s in enumerate((1, 2, 6, 7), start=1)
        ]

        def subscribed() -> bool:
            raw.send((b"price.indicative.probe", encode(price(0, "probe"))))
            return sink.counters.handled > 0

        await apoll(subscribed, 5, "subscription")
        raw.send((b"price.x", b"\x00not msgpack"))
        raw.send((b"price.x", b"one", b"too many"))
        for f in frames:
            raw.send(f)
        await apoll(lambda: sink.tracker.gaps == 1, 5, "gap")
        assert sink.tracker.missing == 3
        assert sink.counters.rejected == 2
        # the mailbox refuses undecodable critical bytes with a NACK, and keeps working
        dealer = bus.dealer("inproc://sink.box")
        await apoll(lambda: dealer.send([MSG, b"k1", b"exec.fill.v", b"\xc1garbage"]), 5, "send")
        await apoll(lambda: bool(dealer.drain(1)), 5, "nack")
        rs["sink"].emit([])
        await apoll(lambda: sink.counters.rejected == 3, 5, "rejection counted")
        assert sink.state == "running"
        await stop(bus, rs)

    run(main)


def test_receiver_restart_loses_no_acknowledged_message(apoll: Poll) -> None:
    """The receiver fails mid-stream; unacknowledged messages are resent to its next life."""

    class Fragile(Sink):
        lives = 0
        total: list[str] = []

        def on_start(self) -> list[Message]:
            Fragile.lives += 1
            return []

        def handle(self, msg: Message) -> list[Message]:
            if isinstance(msg, OrderFilled):
                if Fragile.lives == 1 and msg.fill_id == "f50":
                    raise RuntimeError("broken invariant")
                Fragile.total.append(msg.fill_id)
            return []

    async def main() -> None:
        import asyncio

        from pyengine.actors.supervisor import RestartPolicy, Supervisor
        from pyengine.clock import SystemClock

        bus = Bus()
        d = peers(("src", ()), ("sink", ("exec.",)))
        settings = RunnerSettings(heartbeat_s=0.05, ack_timeout_s=0.1, tick_s=0.01)
        src = ActorRunner("src", Actor, bus, d, settings=settings)
        sink = ActorRunner("sink", Fragile, bus, d, settings=settings)
        sup = Supervisor(RestartPolicy(backoff_initial_s=0.01), SystemClock(), src.emit)
        src.open()
        sink.open()
        tasks = [asyncio.create_task(sup.supervise(r.name, r.run)) for r in (src, sink)]
        await apoll(lambda: "sink" in src.peers_seen, 5, "hello")
        src.emit([fill(i) for i in range(1, 101)])
        await apoll(lambda: len(src.outbox) == 0, 10, "all acknowledged")
        assert sup.restarts == {"sink": 1}
        assert set(Fragile.total) == {f"f{i}" for i in range(1, 101)}
        assert src.outbox.resent >= 1
        sup.stopping = True
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for r in (src, sink):
            await r.close()
        bus.close()

    run(main)
