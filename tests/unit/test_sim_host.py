"""The in-process simulated world: built once per loop and name, found by the actors that
use it, stopped by the engine; the world actor and the simulated oracles on top of it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from decimal import Decimal as D
from typing import cast

import pytest

from pyengine.actors.base import ActorContext
from pyengine.actors.sim_feed import SimFeed
from pyengine.actors.sim_oracle import SimOracle
from pyengine.actors.sim_world import SimWorld
from pyengine.clock import ManualClock, SequentialIds
from pyengine.config import parse_config
from pyengine.errors import ConfigError
from pyengine.messages import Health, OraclePrice, TransferConfirmed
from pyengine.runtime.plan import make_plan
from pyengine.sim.host import (
    SimSource,
    WorldOptions,
    close_worlds,
    find_world,
    start_world,
    wait_world,
)
from pyengine.venues.base import Frame


def ctx(name: str, clock: ManualClock, **options: object) -> ActorContext:
    return ActorContext(name=name, clock=clock, ids=SequentialIds(name), options=options)


def test_world_is_shared_by_name_and_closed_with_the_loop() -> None:
    async def main() -> None:
        clock = ManualClock()
        waiter = asyncio.get_running_loop().create_task(wait_world("w"))
        await asyncio.sleep(0)
        assert find_world("w") is None
        world = SimWorld(ctx("w", clock))
        world.on_start()
        hosted = await asyncio.wait_for(waiter, 5)
        assert find_world("w") is hosted
        assert start_world("w", WorldOptions()) is hosted  # a restart finds the same world
        with pytest.raises(ConfigError, match="other options"):
            start_world("w", WorldOptions(seed=8))
        usdm = hosted.exchange("binance-usdm")
        assert usdm.core.account.balances["USDT"] == D(1_000_000)  # delegated at boot
        out = world.on_timer(clock.now_ns())
        confirmed = [m for m in out if isinstance(m, TransferConfirmed)]
        # USDT to USD-M, BTC and ETH to COIN-M, USDT to Bybit, USDT and BTC to OKX, BTC and
        # ETH to Deribit
        assert len(confirmed) == 8
        assert world.on_timer(clock.now_ns()) == []
        with pytest.raises(ConfigError, match="no venue"):
            hosted.exchange("bitmex")
        await close_worlds()
        assert find_world("w") is None
        assert hosted.task is not None and hosted.task.done()

    asyncio.run(main())


def test_sim_source_snapshots_on_attach() -> None:
    async def main() -> None:
        start_world("s", WorldOptions())
        source = SimSource("s", "binance-coinm")
        assert source.venue == "binance-coinm" and source.category is None
        frames = cast(AsyncGenerator[Frame, None], source.frames())
        snapshots: set[str | None] = set()
        for _ in range(200):
            frame = await asyncio.wait_for(anext(frames), 5)
            if frame.kind == "rest":
                snapshots.add(frame.symbol)
            if len(snapshots) == 4:
                break
        assert {"BTCUSD_PERP", "ETHUSD_PERP"} < snapshots  # and the relisted quarterlies
        assert all(s is not None and s[:3] in ("BTC", "ETH") for s in snapshots)
        await frames.aclose()
        await source.close()
        await close_worlds()

    asyncio.run(main())


def test_sim_oracles_follow_the_index_deterministically() -> None:
    async def main() -> None:
        clock = ManualClock()
        hosted = start_world("o", WorldOptions())
        await wait_world("o")

        def prices() -> list[OraclePrice]:
            oracle = SimOracle(ctx("oracles", clock, world="o"))
            return [m for m in oracle.on_timer(clock.now_ns()) if isinstance(m, OraclePrice)]

        first, again = prices(), prices()
        assert first == again
        assert {(m.source, m.symbol) for m in first} == {
            (s, a) for s in ("pyth", "redstone") for a in ("BTC", "ETH")
        }
        for m in first:
            index = SimOracle.index(hosted, m.symbol)
            assert index is not None
            assert abs(D(m.price) / index - 1) < D("0.001")
            assert D(m.conf) > 0 and m.publish_ns == clock.now_ns()
        oracle = SimOracle(ctx("oracles", clock, world="o"))
        out = oracle.on_timer(clock.now_ns())
        assert {m.component for m in out if isinstance(m, Health)} == {
            "oracle.pyth",
            "oracle.redstone",
        }
        assert oracle.on_timer(clock.advance(100_000_000)) == []  # not due yet
        later = oracle.on_timer(clock.advance(400_000_000))
        assert {m.source for m in later if isinstance(m, OraclePrice)} == {"pyth"}
        await close_worlds()

    asyncio.run(main())


def test_options_errors_name_the_key() -> None:
    clock = ManualClock()
    with pytest.raises(ConfigError, match=r"actors\.w\.options\.custody\.USDT"):
        SimWorld(ctx("w", clock, custody={"USDT": "lots"}))
    with pytest.raises(ConfigError, match=r"delegate\.bitmex: no such simulated venue"):
        SimWorld(ctx("w", clock, delegate={"bitmex": {"USDT": "1"}}))
    with pytest.raises(ConfigError, match="capture"):
        SimWorld(ctx("w", clock, capture="/no/such/file"))
    with pytest.raises(ConfigError, match="not a simulated venue"):
        SimFeed(ctx("f", clock, venue="bitmex"))
    with pytest.raises(ConfigError, match="kind = 'feed'"):
        SimFeed(ctx("f", clock, venue="binance-usdm", source="live"))
    with pytest.raises(ConfigError, match=r"actors\.o\.options\.sources"):
        SimOracle(ctx("o", clock, sources={"pyth": {"interval_s": 0}}))


def test_plan_keeps_the_world_and_its_users_in_one_process() -> None:
    split = {
        "bus": {"transport": "ipc"},
        "actors": [
            {"name": "sim", "kind": "sim_world", "process": "venues"},
            {"name": "feed", "kind": "sim_feed", "options": {"venue": "binance-usdm"}},
        ],
    }
    with pytest.raises(ConfigError, match=r"actors\[1\]\.process: feed reads 'sim'"):
        make_plan(parse_config(split))
    split["actors"][1]["process"] = "venues"  # type: ignore[index]
    make_plan(parse_config(split))
    options = {"venue": "binance-usdm", "world": "w"}
    missing = {"actors": [{"name": "ex", "kind": "execution", "options": options}]}
    with pytest.raises(ConfigError, match="needs actor 'w'"):
        make_plan(parse_config(missing))
