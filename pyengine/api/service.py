"""The rfq actor with its HTTP server attached: what the runtime runs as kind "rfq".

The actor (`pyengine.actors.rfq`) decides; this subclass only adds its I/O: the server as
the source "http", and the indicative ladders it hears fanned out to stream clients.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyengine.actors.base import ActorContext
from pyengine.actors.effects import Output, Source
from pyengine.actors.rfq import RfqActor
from pyengine.actors.rfq_chain import ChainSetup
from pyengine.api.server import ApiServer
from pyengine.messages import Message
from pyengine.messages.pricing import IndicativeLadder


class RfqService(RfqActor):
    def __init__(self, ctx: ActorContext, chain: ChainSetup | None = None) -> None:
        super().__init__(ctx, chain)
        self.server = ApiServer(self.opts.host, self.opts.port)

    def sources(self) -> Sequence[Source]:
        return (*super().sources(), Source(self.server.requests, "http"))

    def status_sections(self) -> dict[str, object]:
        self.api_url = self.server.url
        return super().status_sections()

    def handle(self, msg: Message) -> Sequence[Output]:
        if type(msg) is IndicativeLadder:
            assert isinstance(msg, IndicativeLadder)
            self.server.hub.publish(msg)
        return super().handle(msg)
