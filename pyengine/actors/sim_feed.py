"""A feed actor reading a simulated exchange of this process (kind `sim_feed`).

It is the real `FeedActor` (Rust normaliser, resyncs, health) with a `SimSource` in place of
a websocket client: the simulated exchange emits the venue's own wire bytes, so books are
built and validated exactly as from the live venue. Options: `world` (the `sim_world`
actor's name), `venue` (the simulated exchange), and any `FeedActor` option except the
source tables (`depth`, `max_batch`, `resync_interval_s`, `unsynced_grace_s`, ...).
To read the real venue instead, use kind `feed` with `source = "live"` (see the README).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterable

import msgspec

from pyengine.actors.base import ActorContext, ConfigError
from pyengine.actors.feed import FeedActor
from pyengine.messages import Message
from pyengine.sim.host import SimSource


class VenueFeed(FeedActor):
    """`FeedActor` whose pump hands its output to whatever list `on_timer` drains next.

    `FeedActor.on_start` binds the pump to `self._pending.extend` while `on_timer` swaps
    `_pending` for a new list, so after the first tick the pump's messages went to a list
    nobody read. This looks the list up on every batch. (Kind `feed`.)
    """

    def _hand_off(self, msgs: Iterable[Message]) -> None:
        self._pending.extend(msgs)

    def on_start(self) -> list[Message]:
        if self._pump is None:
            loop = asyncio.get_running_loop()
            self._pump = loop.create_task(self.run(self._hand_off), name=f"{self.name}.pump")
        return super().on_start()


class SimFeedOptions(msgspec.Struct, frozen=True):
    """The keys `sim_feed` adds to the `FeedActor` options (the rest pass through)."""

    venue: str
    world: str = "sim"


class SimFeed(VenueFeed):
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
