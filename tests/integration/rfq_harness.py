"""The rfq actor on a real runner and bus, its HTTP server on loopback, the shared local chain.

A stand-in pricing peer (another actor on the bus, until the pricing actor lands) answers
each `QuoteRequest` with `price(request)`; a capture actor takes every critical message the
rfq actor publishes (accepted orders, hedges, confirmations, issued quotes).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any

from pyengine.actors.base import Actor, ActorContext
from pyengine.actors.directory import Directory, PeerAddress
from pyengine.actors.rfq_chain import LOCAL_ROUTE_RATIOS, ChainSetup, Token
from pyengine.actors.runner import ActorRunner, RunnerSettings
from pyengine.api.service import RfqService
from pyengine.bus import Bus
from pyengine.chain.local import DEFAULT_TOKENS, dev_key
from pyengine.chain.order import Route
from pyengine.messages import Message
from pyengine.messages.pricing import QuotePriced, QuoteRequest, QuoteUnavailable
from tests.conftest import async_wait_until
from tests.integration.chain_harness import SharedChain

PRICES = {"USDT": Decimal(1), "USDC": Decimal(1), "stETH": Decimal(3000), "WETH": Decimal(3000)}
PRICES["WBTC"] = Decimal(60000)
DEV_KEY = dev_key(0)
Pricer = Callable[[QuoteRequest], QuotePriced | QuoteUnavailable]


def chain_setup(shared: SharedChain) -> ChainSetup:
    d = shared.deployment
    stable = {t.symbol: t.stable for t in DEFAULT_TOKENS}
    client = shared.client()
    return ChainSetup(
        client=client,
        tokens={s: Token(s, a, d.decimals[s], stable[s]) for s, a in d.tokens.items()},
        usde=d.usde,
        route=Route(tuple(d.custodians), LOCAL_ROUTE_RATIOS),
        status=d.status(shared.url),
        start_block=0,
        close=client.close,
    )


def fixed_price(shared: SharedChain, prices: dict[str, Decimal] | None = None) -> Pricer:
    table = prices if prices is not None else PRICES
    d = shared.deployment

    def price(req: QuoteRequest) -> QuotePriced | QuoteUnavailable:
        sym = req.pair.split("/")[0]
        now = req.ts_event
        if sym not in table:
            return QuoteUnavailable(
                ts_event=now,
                ts_recv=now,
                request_id=req.request_id,
                pair=req.pair,
                side=req.side,
                code=33,
                reason="no book",
            )
        usde = req.size * table[sym] * (Decimal("0.999") if req.side == "MINT" else Decimal(1))
        return QuotePriced(
            ts_event=now,
            ts_recv=now,
            request_id=req.request_id,
            pair=req.pair,
            side=req.side,
            size=req.size,
            collateral_asset=d.tokens[sym],
            collateral_amount=req.size.scaleb(d.decimals[sym]).to_integral_value(),
            usde_amount=usde.scaleb(18).to_integral_value(),
            gas_usd=Decimal("1.5"),
        )

    return price


class FakePricing(Actor):
    reliable = ("cmd.quote.request",)

    def __init__(self, ctx: ActorContext, price: Pricer) -> None:
        super().__init__(ctx)
        self.price = price

    def handle(self, msg: Message) -> list[Message]:
        return [self.price(msg)] if isinstance(msg, QuoteRequest) else []


class Capture(Actor):
    reliable = ("mint.", "hedge.", "quote.issued.")
    subscribe = ("chain.capacity.",)

    def __init__(self, ctx: ActorContext) -> None:
        super().__init__(ctx)
        self.got: list[Message] = []

    def handle(self, msg: Message) -> list[Message]:
        self.got.append(msg)
        return []


class Rig:
    def __init__(self, rfq: ActorRunner, capture: ActorRunner) -> None:
        self.rfq_runner, self.capture_runner = rfq, capture

    @property
    def rfq(self) -> RfqService:
        a = self.rfq_runner.actor
        assert isinstance(a, RfqService)
        return a

    @property
    def url(self) -> str:
        return self.rfq.server.url

    def got(self, kind: type[Message]) -> list[Any]:
        a = self.capture_runner.actor
        assert isinstance(a, Capture)
        return [m for m in a.got if isinstance(m, kind)]


@contextlib.asynccontextmanager
async def rig(
    shared: SharedChain, price: Pricer | None = None, options: dict[str, Any] | None = None
) -> AsyncIterator[Rig]:
    tag = f"rfq{id(shared)}{asyncio.get_running_loop().time()}".replace(".", "")
    peers = [
        PeerAddress(
            "rfq", f"inproc://{tag}.rfq.pub", f"inproc://{tag}.rfq.box", RfqService.reliable
        ),
        PeerAddress(
            "pricing", f"inproc://{tag}.p.pub", f"inproc://{tag}.p.box", FakePricing.reliable
        ),
        PeerAddress("capture", f"inproc://{tag}.c.pub", f"inproc://{tag}.c.box", Capture.reliable),
    ]
    d = Directory(peers)
    bus = Bus()
    settings = RunnerSettings(heartbeat_s=60, tick_s=0.01, ack_timeout_s=0.2)
    setup = chain_setup(shared)
    opts = {"port": 0, "poll_interval_s": 0.1, **(options or {})}
    pricer = price or fixed_price(shared)
    runners = [
        ActorRunner("rfq", lambda c: RfqService(c, setup), bus, d, settings=settings, options=opts),
        ActorRunner("pricing", lambda c: FakePricing(c, pricer), bus, d, settings=settings),
        ActorRunner("capture", Capture, bus, d, settings=settings),
    ]
    for r in runners:
        r.open()
    loop = asyncio.get_running_loop()
    tasks = [loop.create_task(r.run()) for r in runners]
    r0 = Rig(runners[0], runners[2])
    try:
        await async_wait_until(lambda: bool(runners[0].actor and r0.rfq.server.url), 10, "api up")
        await asyncio.sleep(0.05)  # the SUB connections settle
        yield r0
    finally:
        for t in tasks:
            if t.done() and not t.cancelled() and t.exception() is not None:
                raise AssertionError(f"an actor failed: {t.exception()!r}")
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for r in runners:
            await r.close()
        bus.close()
