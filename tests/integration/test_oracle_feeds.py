"""Oracle clients and actors against a local Hermes / RedStone gateway (127.0.0.1 only).

The server serves the real fixtures: Pyth's latest (v2 and legacy) bodies, an SSE stream whose
events are the fixture's `parsed` feeds with a rising publish time (dropping the connection
after a few events, to prove the reconnect), and RedStone's signed packages. The last test
wires the oracle actors, a fixed book source and the validator over the inproc bus.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import uvloop
from aiohttp import web

from pyengine.actors.base import Actor, ActorContext
from pyengine.actors.directory import Directory, PeerAddress
from pyengine.actors.oracle import PythOracle, RedstoneOracle
from pyengine.actors.runner import ActorRunner, RunnerSettings
from pyengine.actors.validator import Validator
from pyengine.bus import Bus
from pyengine.messages import BookTop, Health, Message, OraclePrice
from pyengine.messages.validity import InstrumentValidity, RfqLookback
from pyengine.oracles.pyth import PythBatch, PythClient
from tests.conftest import async_wait_until

Poll = Callable[..., Awaitable[None]]
DATA = Path(__file__).resolve().parent.parent / "data"
PYTH_V2 = (DATA / "pyth" / "hermes_v2_updates_price_latest_btc_and_1_more_docs.json").read_bytes()
PYTH_LEGACY = (DATA / "pyth" / "hermes_api_latest_price_feeds_eth_legacy_docs.json").read_bytes()
REDSTONE = (
    DATA / "redstone" / "primary_prod_data_packages_20240701_btc_eth_usdt_usdc.json"
).read_bytes()
BTC = "e62df6c8b4a85fe1a67db44dc12de5db330f7ac66b72dc658afedf0f4a415b43"


class Hermes:
    """A local Hermes + RedStone gateway."""

    def __init__(self, events_per_connection: int = 3) -> None:
        self.events_per_connection = events_per_connection
        self.stream_connections = 0
        self.latest_requests = 0
        self.redstone_requests = 0
        self.publish_time = int(time.time())
        self.queries: list[str] = []

    def event(self) -> bytes:
        doc = json.loads(PYTH_V2)
        self.publish_time += 1
        for feed in doc["parsed"]:
            feed["price"]["publish_time"] = self.publish_time
        return json.dumps(doc, separators=(",", ":")).encode()

    async def latest(self, request: web.Request) -> web.Response:
        self.latest_requests += 1
        self.queries.append(request.query_string)
        return web.Response(body=PYTH_V2, content_type="application/json")

    async def legacy(self, request: web.Request) -> web.Response:
        return web.Response(body=PYTH_LEGACY, content_type="application/json")

    async def stream(self, request: web.Request) -> web.StreamResponse:
        self.stream_connections += 1
        self.queries.append(request.query_string)
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        await resp.write(b": hello\n\n")
        await resp.write(b"data: {not json}\n\n")  # a malformed event is counted, not fatal
        for _ in range(self.events_per_connection):
            body = self.event()
            half = len(body) // 2  # split an event across writes
            await resp.write(b"data:" + body[:half])
            await asyncio.sleep(0.001)
            await resp.write(body[half:] + b"\n\n")
        return resp  # the server drops the stream: clients must reconnect

    async def redstone(self, request: web.Request) -> web.Response:
        self.redstone_requests += 1
        return web.Response(body=REDSTONE, content_type="application/json")

    @asynccontextmanager
    async def serve(self) -> AsyncIterator[str]:
        app = web.Application()
        app.router.add_get("/v2/updates/price/latest", self.latest)
        app.router.add_get("/api/latest_price_feeds", self.legacy)
        app.router.add_get("/v2/updates/price/stream", self.stream)
        app.router.add_get("/data-packages/latest/redstone-primary-prod", self.redstone)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            await runner.cleanup()


def run(coro_fn: Callable[[], Awaitable[None]]) -> None:
    uvloop.run(coro_fn())  # type: ignore[arg-type]


def test_pyth_client_latest_legacy_and_stream() -> None:
    async def main() -> None:
        server = Hermes(events_per_connection=2)
        async with server.serve() as base, aiohttp.ClientSession() as session:
            client = PythClient(base, ["0x" + BTC])
            batch = await client.latest(session)
            assert batch.prices[0].price == Decimal("61409.93501000")
            assert server.queries[-1] == f"ids[]={BTC}&parsed=true"
            legacy = PythClient(base, ["ff61"], legacy=True)
            assert (await legacy.latest(session)).prices[0].price == Decimal("1841.36023127")
            items = [item async for item in client.stream(session)]
            good = [i for i in items if isinstance(i, PythBatch)]
            assert len(items) == 3 and len(good) == 2  # one malformed event
            assert good[1].prices[0].publish_ns - good[0].prices[0].publish_ns == 1_000_000_000
            assert client.decoder is not None and client.decoder.comments == 1

    run(main)


class ShiftedClock:
    """Wall time moved to `start_ns` (the fixtures' own time, so their signatures are fresh);
    it runs as real time does, so the actor's backoff and polling schedules play out."""

    def __init__(self, start_ns: int) -> None:
        self.offset = start_ns - time.time_ns()

    def now_ns(self) -> int:
        return time.time_ns() + self.offset


class Collector(Actor):
    """What the oracle actor publishes, as its subscribers receive it."""

    subscribe = ("oracle.", "health.oracle.")

    def __init__(self, ctx: ActorContext) -> None:
        super().__init__(ctx)
        self.got: list[Message] = []

    def handle(self, msg: Message) -> list[Message]:
        self.got.append(msg)
        return []


@dataclass
class Running:
    oracle: ActorRunner
    collector: ActorRunner

    @property
    def got(self) -> list[Message]:
        a = self.collector.actor
        return a.got if isinstance(a, Collector) else []

    def prices(self) -> list[OraclePrice]:
        return [m for m in self.got if isinstance(m, OraclePrice)]

    def counts(self) -> dict[str, int]:
        a = self.oracle.actor
        assert a is not None
        return a.stats()


@asynccontextmanager
async def running(
    cls: Callable[[ActorContext], Actor], options: dict[str, object], clock: ShiftedClock
) -> AsyncIterator[Running]:
    """The oracle actor under the actor runner (its requests are the runner's effects) and a
    subscriber, on the inproc bus; the subscriber is up before the oracle asks anything."""
    bus = Bus()
    names = ("collector", "oracle")
    d = Directory(PeerAddress(n, f"inproc://of.{n}.pub", f"inproc://of.{n}.box") for n in names)
    settings = RunnerSettings(heartbeat_s=0.05, tick_s=0.01)
    collector = ActorRunner("collector", Collector, bus, d, settings=settings)
    oracle = ActorRunner("oracle", cls, bus, d, clock=clock, settings=settings, options=options)
    for r in (collector, oracle):
        r.open()
    loop = asyncio.get_running_loop()
    tasks = [loop.create_task(collector.run())]
    await async_wait_until(lambda: "oracle" in collector.peers_seen, 10, "the subscription")
    tasks.append(loop.create_task(oracle.run()))
    try:
        yield Running(oracle, collector)
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)  # the oracle's session closes
        for r in (collector, oracle):
            await r.close()
        bus.close()


def test_pyth_actor_streams_and_reconnects(apoll: Poll) -> None:
    async def main() -> None:
        server = Hermes(events_per_connection=3)
        async with server.serve() as base:
            opts: dict[str, object] = {
                "base_url": base,
                "feeds": {"BTC": BTC},
                "backoff_initial_s": 0.01,
            }
            async with running(PythOracle, opts, ShiftedClock(time.time_ns())) as r:
                await apoll(lambda: len(r.prices()) >= 7, 10, "prices over three connections")
                px = r.prices()
                counts = r.counts()
        assert server.stream_connections >= 3
        assert [p.price for p in px] == ["61409.93501000"] * len(px)
        assert all(b.publish_ns > a.publish_ns for a, b in itertools.pairwise(px))
        assert counts["malformed_events"] >= 3
        assert counts["unknown_feed"] >= 7

    run(main)


def test_pyth_actor_polls_and_reports_a_dead_server(apoll: Poll) -> None:
    async def main() -> None:
        server = Hermes()
        clock = ShiftedClock(time.time_ns())
        async with server.serve() as base:
            opts: dict[str, object] = {
                "base_url": base,
                "feeds": {"BTC": BTC},
                "mode": "poll",
                "poll_interval_s": 0.01,
                "backoff_initial_s": 0.01,
            }
            async with running(PythOracle, opts, clock) as r:
                await apoll(lambda: server.latest_requests >= 3, 10, "polls")
                # The same fixture every time: one price, then "not newer".
                assert [m.price for m in r.prices()] == ["61409.93501000"]
        # Nothing listens on this port any more: connection errors, health goes down.
        async with running(PythOracle, opts, clock) as dead:

            def down() -> bool:
                return any(isinstance(m, Health) and m.status == "down" for m in dead.got)

            await apoll(down, 10, "health down")
            assert dead.counts()["io_errors"] >= 1

    run(main)


def test_redstone_actor_falls_back_to_second_gateway(apoll: Poll) -> None:
    async def main() -> None:
        server = Hermes()
        async with server.serve() as base:
            opts: dict[str, object] = {
                "base_urls": ["http://127.0.0.1:9", base],
                "poll_interval_s": 0.05,
                "timeout_s": 2.0,
            }
            clock = ShiftedClock(1_719_856_905 * 1_000_000_000)
            async with running(RedstoneOracle, opts, clock) as r:
                await apoll(lambda: len(r.prices()) >= 4, 10, "prices")
                got = {m.symbol: m.price for m in r.prices()}
        assert got["BTC"] == "63597.79995623"
        assert got["USDC"] == "0.99988697"

    run(main)


class Books(Actor):
    """A book near the fixtures' BTC price, ten times a second (the validator's input)."""

    timer_interval = 0.1

    def on_timer(self, now_ns: int) -> list[Message]:
        return [
            BookTop(
                ts_event=now_ns,
                ts_recv=now_ns,
                venue="demo",
                symbol="BTCUSD",
                bids=[("62499.5", "1")],
                asks=[("62500.5", "1")],
            )
        ]


class Sink(Actor):
    subscribe = ("md.validity.", "md.rfq_lookback", "oracle.")

    def __init__(self, ctx: ActorContext) -> None:
        super().__init__(ctx)
        self.got: list[Message] = []

    def handle(self, msg: Message) -> list[Message]:
        self.got.append(msg)
        return []


def test_oracles_books_and_validator_over_the_bus(apoll: Poll) -> None:
    async def main() -> None:
        server = Hermes(events_per_connection=1000)
        async with server.serve() as base:
            options: dict[str, dict[str, Any]] = {
                "pyth": {"base_url": base, "feeds": {"BTC": BTC}},
                "redstone": {"base_urls": [base], "feeds": {"BTC": "BTC"}, "max_age_s": 1e10},
                "market": {},
                "validator": {
                    "start_suspended": False,
                    "oracle_max_age_ms": {"pyth": 60_000, "redstone": 10**13},
                    "defaults": {"tol_bps": "500"},
                },
                "sink": {},
            }
            classes: dict[str, Callable[[ActorContext], Actor]] = {
                "pyth": PythOracle, "redstone": RedstoneOracle, "market": Books,
                "validator": Validator, "sink": Sink,
            }  # fmt: skip
            bus = Bus()
            d = Directory(
                PeerAddress(n, f"inproc://{n}.pub", f"inproc://{n}.box", ()) for n in classes
            )
            settings = RunnerSettings(heartbeat_s=0.05, tick_s=0.01)
            runners = {
                n: ActorRunner(n, c, bus, d, settings=settings, options=options[n])
                for n, c in classes.items()
            }
            for r in runners.values():
                r.open()
            tasks = [asyncio.get_running_loop().create_task(r.run()) for r in runners.values()]
            sink = runners["sink"]
            try:

                def got() -> list[Message]:
                    a = sink.actor
                    return a.got if isinstance(a, Sink) else []

                # Median of two sources is their mean: (61409.93501 + 63597.79995623) / 2.
                both = Decimal("62503.867483115")

                def checked() -> list[InstrumentValidity]:
                    return [
                        m
                        for m in got()
                        if isinstance(m, InstrumentValidity)
                        and m.state == "valid"
                        and m.oracle_px
                        and Decimal(m.oracle_px) == both
                    ]

                await apoll(checked, 15, "a valid instrument checked against both oracles")
                v = checked()[0]
                assert (v.venue, v.symbol) == ("demo", "BTCUSD")
                assert {m.source for m in got() if isinstance(m, OraclePrice)} == {
                    "pyth",
                    "redstone",
                }
                assert any(isinstance(m, RfqLookback) for m in got())
            finally:
                for t in tasks:
                    t.cancel()
                for t in tasks:
                    with suppress(BaseException):
                        await t
                for r in runners.values():
                    await r.close()
                bus.close()

    run(main)
