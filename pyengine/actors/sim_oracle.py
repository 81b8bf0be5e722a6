"""Simulated oracles (kind `sim_oracle`): part of the simulated world, for the validator offline.

The real oracle actors (`pyengine.actors.oracle`) reach Pyth Hermes and RedStone over
HTTP; the embedded default has no network, so this actor stands in for both *as part of
the simulated world*. Each source publishes `OraclePrice` on `oracle.<source>.<asset>` at
its own cadence: the index price of the asset in the world (the mean over the simulated
venues that price it), moved by the source's own seeded noise (in basis points), with a
confidence of `conf_bps`. `Health` goes on `health.oracle.<source>` every `health_every_s`.

Prices are exact decimals: the random draw picks an integer number of hundredths of a basis
point; the arithmetic on the price is `Decimal`. It reads the world in memory, so it runs
in the `sim_world` actor's process.
"""

from __future__ import annotations

import random
from decimal import Decimal

import msgspec

from pyengine.actors.base import Actor, ActorContext
from pyengine.errors import ConfigError
from pyengine.messages import Health, Message, OraclePrice
from pyengine.sim.host import HostedWorld, find_world

_QUANTUM = Decimal("0.00000001")


class OracleSource(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """One simulated oracle source."""

    interval_s: float
    """Seconds between two publications."""
    noise_bps: float = 1.0
    """Standard deviation of the source's deviation from the index, in basis points."""
    conf_bps: int = 2
    """Confidence interval published with each price, in basis points of the price."""


def _default_sources() -> dict[str, OracleSource]:
    # Pyth publishes about every 400 ms; the RedStone gateways are polled every 10 s.
    return {
        "pyth": OracleSource(interval_s=0.4, noise_bps=1.0, conf_bps=2),
        "redstone": OracleSource(interval_s=10.0, noise_bps=2.0, conf_bps=5),
    }


class SimOracleOptions(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """`[actors.options]` of the simulated oracles."""

    world: str = "sim"
    assets: list[str] = msgspec.field(default_factory=lambda: ["BTC", "ETH"])
    sources: dict[str, OracleSource] = msgspec.field(default_factory=_default_sources)
    seed: int = 11
    health_every_s: float = 5.0


class SimOracle(Actor):
    """Publishes simulated Pyth and RedStone prices derived from the world's index prices."""

    def __init__(self, ctx: ActorContext) -> None:
        super().__init__(ctx)
        self.opts = ctx.options_as(SimOracleOptions)
        if not self.opts.sources or any(s.interval_s <= 0 for s in self.opts.sources.values()):
            raise ConfigError(f"actors.{self.name}.options.sources: need intervals > 0")
        if any(s.noise_bps < 0 or s.conf_bps < 0 for s in self.opts.sources.values()):
            raise ConfigError(f"actors.{self.name}.options.sources: noise and conf must be >= 0")
        self.rng = random.Random(self.opts.seed)
        self.next_ns: dict[str, int] = dict.fromkeys(self.opts.sources, 0)
        self.health_ns = 0
        self.published = 0
        self.missing = 0
        self._period = min(s.interval_s for s in self.opts.sources.values()) / 2

    def colocated_with(self) -> tuple[str, ...]:
        """Actors that must run in this actor's process (the world it reads)."""
        return (self.opts.world,)

    def timer_period(self) -> float | None:
        return min(self._period, 0.1)

    @staticmethod
    def index(hosted: HostedWorld, asset: str) -> Decimal | None:
        """Mean index price of `asset` over the world's venues (None before the first one)."""
        prices = [
            p
            for _, ex in sorted(hosted.world.exchanges.items())
            if (p := ex.core.account.prices.get(asset)) is not None
        ]
        if not prices:
            return None
        return sum(prices, Decimal(0)) / len(prices)

    def quote(self, source: str, asset: str, index: Decimal, now_ns: int) -> OraclePrice:
        """One source's price of `asset` around `index`."""
        spec = self.opts.sources[source]
        hundredths = round(self.rng.gauss(0.0, spec.noise_bps) * 100)
        price = (index * (1 + Decimal(hundredths) / 1_000_000)).quantize(_QUANTUM)
        conf = (price * spec.conf_bps / 10_000).quantize(_QUANTUM)
        return OraclePrice(
            ts_event=now_ns,
            ts_recv=now_ns,
            source=source,
            symbol=asset,
            price=str(price),
            conf=str(conf),
            publish_ns=now_ns,
        )

    def on_timer(self, now_ns: int) -> list[Message]:
        hosted = find_world(self.opts.world)
        if hosted is None:
            return []
        out: list[Message] = []
        for source, spec in self.opts.sources.items():
            if now_ns < self.next_ns[source]:
                continue
            self.next_ns[source] = now_ns + int(spec.interval_s * 1e9)
            for asset in self.opts.assets:
                index = self.index(hosted, asset)
                if index is None:
                    self.missing += 1
                    continue
                out.append(self.quote(source, asset, index, now_ns))
        self.published += len(out)
        if out and now_ns - self.health_ns >= int(self.opts.health_every_s * 1e9):
            self.health_ns = now_ns
            out.extend(
                Health(
                    ts_event=now_ns,
                    ts_recv=now_ns,
                    component=f"oracle.{source}",
                    status="ok",
                    detail="simulated",
                )
                for source in self.opts.sources
            )
        return out

    def stats(self) -> dict[str, int]:
        return {"published": self.published, "missing": self.missing}
