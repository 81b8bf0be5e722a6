"""The simulated exchanges as an execution client kind (`client = "sim"`, see
`pyengine.venues.clients`): the exchange `venue` of the `sim_world` actor `world`, in this
process."""

from __future__ import annotations

from pyengine.errors import ConfigError
from pyengine.sim.host import WORLD_VENUES, wait_world
from pyengine.venues.base import ExecutionClient
from pyengine.venues.clients import ClientSpec


class SimClients:
    """Opens a hosted world's exchange; the world outlives the actor, so close is a no-op."""

    def check(self, spec: ClientSpec) -> None:
        if spec.venue not in WORLD_VENUES:
            raise ConfigError(
                f"venue: {spec.venue!r} is not a simulated venue (known: {', '.join(WORLD_VENUES)})"
            )

    def colocated_with(self, spec: ClientSpec) -> tuple[str, ...]:
        return (spec.world,)

    async def open(self, spec: ClientSpec) -> ExecutionClient:
        hosted = await wait_world(spec.world)
        # Marked as read for good: its account events wait for the actor's next life.
        hosted.clients.add(spec.venue)
        return hosted.exchange(spec.venue)

    async def close(self, client: ExecutionClient) -> None:
        return None


SIM_CLIENTS = SimClients()
