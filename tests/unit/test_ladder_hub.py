"""The indicative stream's fan-out: a subscriber that does not read keeps at most
`QUEUE_DEPTH` ladders (its oldest dropped), and publishing never waits for it."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal

from pyengine.api.stream import QUEUE_DEPTH, LadderHub
from pyengine.messages.pricing import IndicativeLadder, LadderRung


def ladder(i: int) -> IndicativeLadder:
    rung = LadderRung(size=Decimal(2), price=Decimal(3000) + Decimal(i).scaleb(-8))
    return IndicativeLadder(ts_event=i, ts_recv=i, pair="WETH/USDe", collateral="WETH", mint=[rung])


def test_a_slow_subscriber_loses_its_oldest_ladders_not_the_publishers_time() -> None:
    async def primed() -> list[str]:
        hub = LadderHub()
        hub.publish(ladder(0))
        return await asyncio.wait_for(_drain(hub), 5)

    async def _drain(hub: LadderHub) -> list[str]:
        stream = hub.subscribe("WETH/USDe")
        out = [await anext(stream)]
        for i in range(1, 1000):
            hub.publish(ladder(i))
        for _ in range(QUEUE_DEPTH):
            out.append(await anext(stream))
        await stream.aclose()
        return [json.loads(g)["mint"][0]["price"] for g in out]

    prices = asyncio.run(primed())
    assert prices[0] == "3000.00000000"  # the latest at subscription
    # then the newest QUEUE_DEPTH, in order, exact
    assert prices[1:] == [
        f"{Decimal(3000) + Decimal(i).scaleb(-8):f}" for i in range(1000 - QUEUE_DEPTH, 1000)
    ]
