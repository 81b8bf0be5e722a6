"""The in-process home of the simulated world: built once per engine process, shared by name.

A `sim_world` actor (`pyengine.actors.sim_world.SimWorld`) calls `start_world` from its
`on_start`: the world (`pyengine.sim.world.build_world`) is built from the actor's options,
its custodian funded, collateral delegated to each venue, and its `RealtimeScheduler` run as
a task on the runtime's event loop. Feed, execution and oracle actors of the same process
reach it by the world actor's name: `await wait_world(name)` (or `find_world` without
waiting), then `hosted.exchange(venue)`; a feed actor reads market data through a
`SimSource`, which behaves like one venue connection.

Lifetime: one world per (event loop, name). A restarted world actor finds the world it
started before and keeps it (positions, orders, balances survive, as at a real venue); the
engine stops every world of its loop when it exits (`close_worlds`, registered as a
shutdown hook by `start_world`). The world lives in the
memory of one process, so every actor that uses it must run in the world actor's process
group; `pyengine.runtime.plan` refuses a config that splits them. Other process groups
see the world only through the bus, like any venue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import msgspec

from pyengine.clock import Clock
from pyengine.errors import ConfigError
from pyengine.shutdown import on_shutdown
from pyengine.sim.clock import RealtimeScheduler
from pyengine.sim.exchange import SimExchange
from pyengine.sim.world import World, build_world
from pyengine.venues.base import Frame

log = logging.getLogger("pyengine.sim.host")

WORLD_VENUES: dict[str, str] = {
    "binance-usdm": "binance-usdm",
    "binance-coinm": "binance-coinm",
    "bybit": "bybit",
    "okx": "okx",
    "deribit": "deribit",
}
"""The exchanges `build_world` makes, with the normaliser (`pyengine._core.Feed`) of each."""
WORLD_CATEGORIES: dict[str, str] = {"bybit": "linear"}
"""The Bybit category of an exchange's market-data connection (its profile's)."""


class WorldOptions(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """`[actors.options]` of a `sim_world` actor. Amounts are decimal strings (or integers)."""

    seed: int = 7
    """Seed of the market models and the exchanges' random draws."""
    step_ms: int = 100
    """Market model step: one book update per symbol this often."""
    capture: str = ""
    """Loop this Binance USD-M capture file instead of the seeded model for binance-usdm."""
    custody: dict[str, str | int] = msgspec.field(
        default_factory=lambda: {"USDT": "4000000", "BTC": "40", "ETH": "400"}
    )
    """Assets put into the custodian at start."""
    delegate: dict[str, dict[str, str | int]] = msgspec.field(
        default_factory=lambda: {
            "binance-usdm": {"USDT": "1000000"},
            "binance-coinm": {"BTC": "10", "ETH": "100"},
            "bybit": {"USDT": "1000000"},
            "okx": {"USDT": "1000000", "BTC": "5"},
            "deribit": {"BTC": "5", "ETH": "50"},
        }
    )
    """Collateral delegated from custody to each venue account at start."""
    latency_ms: int = 0
    """Order-entry latency of every exchange."""
    md_latency_ms: int = 0
    """Market-data latency of every exchange."""
    reject_rate: float = 0.0
    """Probability that an exchange refuses an order at random (fault testing)."""
    okx_checksum: str = "crc32"
    """"crc32": OKX books carry their checksum; "zero": the 0 OKX sends from 23 June 2026
    (docs/venue-feeds.md)."""

    def amounts(self) -> tuple[dict[str, Decimal], dict[str, dict[str, Decimal]]]:
        """(custody, delegate) as exact decimals; `ConfigError` names a bad key."""

        def dec(key: str, value: str | int) -> Decimal:
            try:
                out = Decimal(value)
            except (InvalidOperation, ValueError):
                raise ConfigError(f"{key}: {value!r} is not a decimal amount") from None
            if not out.is_finite() or out < 0:
                raise ConfigError(f"{key}: {value!r} must be a finite amount >= 0")
            return out

        custody = {a: dec(f"custody.{a}", v) for a, v in sorted(self.custody.items())}
        delegate: dict[str, dict[str, Decimal]] = {}
        for venue, assets in sorted(self.delegate.items()):
            if venue not in WORLD_VENUES:
                raise ConfigError(
                    f"delegate.{venue}: no such simulated venue (known: {', '.join(WORLD_VENUES)})"
                )
            delegate[venue] = {a: dec(f"delegate.{venue}.{a}", v) for a, v in assets.items()}
        return custody, delegate

    def check(self) -> None:
        """Raise `ConfigError` (naming the key) for options `build_world` cannot use."""
        self.amounts()
        if self.step_ms <= 0:
            raise ConfigError("step_ms: must be positive")
        if self.latency_ms < 0 or self.md_latency_ms < 0:
            raise ConfigError("latency_ms, md_latency_ms: must be >= 0")
        if not 0.0 <= self.reject_rate < 1.0:
            raise ConfigError("reject_rate: must be in [0, 1)")
        if self.okx_checksum not in ("crc32", "zero"):
            raise ConfigError("okx_checksum: must be 'crc32' or 'zero'")
        if self.capture and not Path(self.capture).is_file():
            raise ConfigError(f"capture: {self.capture}: no such file")


@dataclass
class HostedWorld:
    """One running world and who is attached to it."""

    name: str
    options: WorldOptions
    world: World
    scheduler: RealtimeScheduler
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None
    feeds: set[str] = field(default_factory=set)
    """Venues whose market data a `SimSource` is reading."""
    clients: set[str] = field(default_factory=set)
    """Venues whose account events an execution actor reads (kept across its restarts, so
    events wait for its next life)."""

    def exchange(self, venue: str) -> SimExchange:
        """The simulated exchange `venue`; `ConfigError` if the world has none."""
        ex = self.world.exchanges.get(venue)
        if ex is None:
            raise ConfigError(
                f"simulated world {self.name!r} has no venue {venue!r}"
                f" (it has {', '.join(sorted(self.world.exchanges))})"
            )
        return ex

    async def _run(self) -> None:
        if not self.ready.is_set():
            _, delegate = self.options.amounts()
            custodian = self.world.custodian
            for venue, assets in delegate.items():
                for asset, amount in sorted(assets.items()):
                    if amount <= 0:
                        continue
                    # External ids make a repeated boot (after a failure) a no-op.
                    t = await custodian.delegate(f"boot-{venue}-{asset}", venue, asset, amount)
                    if t.status != "confirmed":
                        why = t.reason or t.status
                        log.warning("%s: delegating %s %s: %s", self.name, amount, asset, why)
            self.world.start()
            self.ready.set()
        await self.scheduler.run()

    def start(self) -> None:
        """Run the world on the running loop (again, keeping its state, if its task ended)."""
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._run(), name=f"sim.{self.name}")

    def failure(self) -> BaseException | None:
        """The exception that ended the world's task, if it failed."""
        t = self.task
        if t is None or not t.done() or t.cancelled():
            return None
        return t.exception()


_WORLDS: dict[tuple[int, str], tuple[asyncio.AbstractEventLoop, HostedWorld]] = {}
_WAITERS: dict[tuple[int, str], tuple[asyncio.AbstractEventLoop, asyncio.Event]] = {}


def _key(name: str) -> tuple[asyncio.AbstractEventLoop, tuple[int, str]]:
    loop = asyncio.get_running_loop()
    for key, (other, _) in list(_WORLDS.items()):
        if other.is_closed():
            del _WORLDS[key]
    return loop, (id(loop), name)


def start_world(name: str, options: WorldOptions, clock: Clock | None = None) -> HostedWorld:
    """The world `name` of this event loop, built and started on first call."""
    loop, key = _key(name)
    known = _WORLDS.get(key)
    if known is not None and known[0] is loop:
        hosted = known[1]
        if hosted.options != options:
            raise ConfigError(f"simulated world {name!r} already runs with other options")
        hosted.start()
        return hosted
    options.check()
    scheduler = RealtimeScheduler(clock)
    try:
        world = build_world(
            scheduler,
            seed=options.seed,
            step_ns=options.step_ms * 1_000_000,
            capture=Path(options.capture) if options.capture else None,
            # build_world funds its default amounts when given none: an explicit zero stops it.
            funds=options.amounts()[0] or {"USDT": Decimal(0)},
            overrides={"okx": {"okx_checksum": options.okx_checksum}},
        )
    except (KeyError, ValueError, OSError) as exc:
        raise ConfigError(f"simulated world {name!r}: {exc}") from None
    for ex in world.exchanges.values():
        ex.latency_ns = options.latency_ms * 1_000_000
        ex.md_latency_ns = options.md_latency_ms * 1_000_000
        ex.reject_rate = options.reject_rate
    hosted = HostedWorld(name, options, world, scheduler)
    _WORLDS[key] = (loop, hosted)
    on_shutdown(close_worlds)
    hosted.start()
    waiter = _WAITERS.pop(key, None)
    if waiter is not None:
        waiter[1].set()
    return hosted


def find_world(name: str) -> HostedWorld | None:
    """The world `name` of this event loop once it is ready (None before)."""
    _, key = _key(name)
    known = _WORLDS.get(key)
    if known is None or not known[1].ready.is_set():
        return None
    return known[1]


async def wait_world(name: str) -> HostedWorld:
    """Wait until the world `name` of this event loop is built and running."""
    loop, key = _key(name)
    while True:
        known = _WORLDS.get(key)
        if known is not None:
            await known[1].ready.wait()
            return known[1]
        waiter = _WAITERS.get(key)
        if waiter is None or waiter[0] is not loop:
            waiter = (loop, asyncio.Event())
            _WAITERS[key] = waiter
        await waiter[1].wait()


async def close_worlds() -> None:
    """Stop every world of this event loop (the engine calls it when it exits)."""
    loop = asyncio.get_running_loop()
    for key, (other, hosted) in list(_WORLDS.items()):
        if other is not loop:
            continue
        del _WORLDS[key]
        hosted.scheduler.stop()
        if hosted.task is not None:
            hosted.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await hosted.task
    for key, (other, _) in list(_WAITERS.items()):
        if other is loop:
            del _WAITERS[key]


class SimSource:
    """A `MarketDataSource` over one exchange of a hosted world: one "connection" to it.

    Like a live client, it syncs every book as soon as it is attached: a REST depth
    snapshot on Binance (the normaliser buffers diffs until then), the snapshot of a
    subscription on the stream elsewhere; `close` detaches it and leaves the exchange
    running for the next reader.
    """

    def __init__(self, world: str, venue: str) -> None:
        if venue not in WORLD_VENUES:
            raise ConfigError(
                f"venue: {venue!r} is not a simulated venue (known: {', '.join(WORLD_VENUES)})"
            )
        self.world = world
        self.exchange_venue = venue
        self._hosted: HostedWorld | None = None

    @property
    def venue(self) -> str:
        return WORLD_VENUES[self.exchange_venue]

    @property
    def category(self) -> str | None:
        return WORLD_CATEGORIES.get(self.exchange_venue)

    async def _exchange(self) -> SimExchange:
        if self._hosted is None:
            self._hosted = await wait_world(self.world)
        return self._hosted.exchange(self.exchange_venue)

    async def frames(self) -> AsyncIterator[Frame]:
        ex = await self._exchange()
        assert self._hosted is not None
        self._hosted.feeds.add(self.exchange_venue)
        try:
            for symbol in sorted(ex.core.specs):
                await ex.resync(symbol)
            async for frame in ex.frames():
                yield frame
        finally:
            self._hosted.feeds.discard(self.exchange_venue)

    def drain_ready(self, limit: int) -> list[Frame]:
        """Frames the exchange has queued, up to `limit` (none before `frames` attached)."""
        if self._hosted is None:
            return []
        return self._hosted.exchange(self.exchange_venue).drain_ready(limit)

    async def resync(self, symbol: str) -> None:
        ex = await self._exchange()
        await ex.resync(symbol)

    async def close(self) -> None:
        if self._hosted is not None:
            self._hosted.feeds.discard(self.exchange_venue)


__all__ = [
    "WORLD_CATEGORIES",
    "WORLD_VENUES",
    "HostedWorld",
    "SimSource",
    "WorldOptions",
    "close_worlds",
    "find_world",
    "start_world",
    "wait_world",
]
