"""The simulated world as an actor: it owns the world of its process and reports what it does.

`on_start` builds (or, after a restart, finds) the world through `pyengine.sim.host` and
runs it on the event loop. Every `timer_interval` it publishes what happened inside that no
venue stream carries: the custodian's transfer events (`collateral.transfer.<custodian>`,
recorded durably) and settlements (`sim.custody.*`), and the exchanges' funding payments,
futures settlements and liquidations (`sim.funding.*`, `sim.expiry.*`,
`sim.liquidation.*`). It discards the market data and account events of venues no feed or
execution actor reads, so an unread venue does not pile up memory. A failure of the
world's task is raised here, so the supervisor restarts the world (its state is kept).
"""

from __future__ import annotations

from pyengine.actors.base import Actor, ActorContext
from pyengine.errors import ConfigError
from pyengine.messages import Message, TransferEvent
from pyengine.messages.sim import CustodySettled, FundingPaid, FuturesSettled, PositionLiquidated
from pyengine.sim.host import HostedWorld, WorldOptions, start_world

_PUBLISHED = (FundingPaid, FuturesSettled, PositionLiquidated, CustodySettled, TransferEvent)


class SimWorld(Actor):
    """Runs the simulated venues and custodian of this process (kind `sim_world`)."""

    timer_interval = 0.25

    def __init__(self, ctx: ActorContext) -> None:
        super().__init__(ctx)
        self.opts = ctx.options_as(WorldOptions)
        try:
            self.opts.check()
        except ConfigError as exc:
            raise ConfigError(f"actors.{self.name}.options.{exc}") from None
        self.hosted: HostedWorld | None = None
        self.published = 0
        self.discarded = 0

    def on_start(self) -> list[Message]:
        self.hosted = start_world(self.name, self.opts, self.clock)
        return []

    def on_timer(self, now_ns: int) -> list[Message]:
        hosted = self.hosted
        if hosted is None:
            return []
        failed = hosted.failure()
        if failed is not None:
            raise failed
        out: list[Message] = []
        custodian = hosted.world.custodian
        out.extend(m for m in custodian.journal if isinstance(m, _PUBLISHED))
        custodian.journal.clear()
        for venue, ex in sorted(hosted.world.exchanges.items()):
            out.extend(m for m in ex.journal if isinstance(m, _PUBLISHED))
            ex.journal.clear()
            if venue not in hosted.feeds:
                self.discarded += len(ex.take_frames())
            if venue not in hosted.clients:
                self.discarded += len(ex.take_events())
        self.published += len(out)
        return out

    def stats(self) -> dict[str, int]:
        return {"published": self.published, "discarded": self.discarded}
