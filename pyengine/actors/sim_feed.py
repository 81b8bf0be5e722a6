"""A feed actor reading a simulated exchange of this process (kind `sim_feed`).

It is the real `FeedActor` (Rust normaliser, resyncs, health) with a `SimSource` in place of
a websocket client: the simulated exchange emits the venue's own wire bytes, so books are
built and validated exactly as from the live venue. Options: `world` (the `sim_world`
actor's name), `venue` (the simulated exchange), and any `FeedActor` option except the
source tables (`depth`, `max_batch`, `resync_interval_s`, `unsynced_grace_s`, ...).
To read the real venue instead, use kind `feed` with `source = "live"` (see the README).
"""

from __future__ import annotations

import dataclasses

import msgspec

from pyengine.actors.base import ActorContext
from pyengine.actors.feed import FeedActor
from pyengine.errors import ConfigError
from pyengine.sim.host import SimSource


class SimFeedOptions(msgspec.Struct, frozen=True):
    """The keys `sim_feed` adds to the `FeedActor` options (the rest pass through)."""

    venue: str
    world: str = "sim"


class SimFeed(FeedActor):
    """`FeedActor` over `SimSource(world, venue)`."""

    def __init__(self, ctx: ActorContext) -> None:
        options = dict(ctx.options)
        try:
            own = msgspec.convert(
                {k: options.pop(k) for k in ("venue", "world") if k in options}, SimFeedOptions
            )
        except msgspec.ValidationError as exc:
            raise ConfigError(f"actors.{ctx.name}.options: {exc}") from None
        if "source" in options or "live" in options or "recorded" in options:
            raise ConfigError(
                f"actors.{ctx.name}.options: a sim_feed reads its world; "
                "use kind = 'feed' for live or recorded sources"
            )
        try:
            source = SimSource(own.world, own.venue)
        except ConfigError as exc:
            raise ConfigError(f"actors.{ctx.name}.options.{exc}") from None
        self.world = own.world
        super().__init__(dataclasses.replace(ctx, options=options), source=source)

    def colocated_with(self) -> tuple[str, ...]:
        """Actors that must run in this actor's process (the world it reads)."""
        return (self.world,)
