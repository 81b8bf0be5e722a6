"""A simulated market maker: a client of the real RFQ API, as an outside firm would be.

Every `interval_s` it asks for a quote (cycling through `plan`), signs the V2 order for
exactly the quoted amounts with its key (the local development account by default: the only
place that public key may sign) and posts it, over HTTP, like a market maker's client. What
it got back is counted (`stats`). Sim-side code: the runtime names it by kind ("sim_mm"),
production modules never import it.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import Any

import aiohttp
import msgspec

from pyengine.actors.base import Actor, ActorContext
from pyengine.actors.effects import Call, Output
from pyengine.chain.devnet import DEV_ACCOUNT, DEV_INDEX, dev_key
from pyengine.chain.order import Domain, Order, OrderSchemaError, sign_order
from pyengine.errors import ConfigError
from pyengine.messages import Message
from pyengine.messages.effects import Failed, Replied

log = logging.getLogger("pyengine.actors.sim_mm")


class Leg(msgspec.Struct, frozen=True):
    pair: str
    side: str
    size: str


class SimMmOptions(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    api_url: str = "http://127.0.0.1:8780"
    interval_s: float = 5.0
    expiry_s: int = 60
    plan: list[Leg] = msgspec.field(
        default_factory=lambda: [
            Leg("WETH/USDe", "MINT", "2"),
            Leg("USDT/USDe", "MINT", "1000"),
            Leg("WETH/USDe", "REDEEM", "1"),
            Leg("WBTC/USDe", "MINT", "0.1"),
            Leg("USDC/USDe", "REDEEM", "500"),
        ]
    )


async def _request(
    session: aiohttp.ClientSession, method: str, url: str, params: dict[str, str], body: Any
) -> tuple[int, dict[str, Any]]:
    async with session.request(method, url, params=params, json=body) as r:
        return r.status, await r.json(loads=msgspec.json.decode)


class SimMarketMaker(Actor):
    def __init__(self, ctx: ActorContext) -> None:
        super().__init__(ctx)
        self.opts = o = ctx.options_as(SimMmOptions)
        if o.interval_s <= 0 or not o.plan:
            raise ConfigError(f"actors.{self.name}.options: interval_s > 0 and a plan")
        self.key = dev_key(DEV_INDEX)
        self.account = DEV_ACCOUNT
        self.session: aiohttp.ClientSession | None = None
        self.domain: Domain | None = None
        self.busy = False
        self.step = 0
        self.nonce = 0
        self.counts: Counter[str] = Counter()

    def timer_period(self) -> float | None:
        return self.opts.interval_s

    def cleanups(self) -> Sequence[Callable[[], Awaitable[object]]]:
        return (self.session.close,) if self.session is not None else ()

    def _http(self, method: str, path: str, params: dict[str, str], body: Any, cid: str) -> Call:
        if self.session is None:
            self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        go = partial(_request, self.session, method, self.opts.api_url + path, params, body)
        return Call(go, cid, self.now() + 30_000_000_000)

    def on_timer(self, now_ns: int) -> list[Output]:
        if self.busy:
            return []
        self.busy = True
        if self.domain is None:
            return [self._http("GET", "/chain-info", {}, None, "info")]
        leg = self.opts.plan[self.step % len(self.opts.plan)]
        self.step += 1
        params = {"pair": leg.pair, "side": leg.side, "size": leg.size, "type_": "ALGO"}
        params["benefactor"] = self.account
        return [self._http("GET", "/rfq", params, None, "rfq")]

    def handle(self, msg: Message) -> list[Output]:
        if not isinstance(msg, Replied | Failed):
            return []
        if isinstance(msg, Failed):
            self.counts[f"{msg.correlation_id}_failed"] += 1
            self.busy = False
            return []
        status: int
        body: dict[str, Any]
        status, body = msg.value  # type: ignore[misc]
        if status != 200:
            self.counts[f"{msg.correlation_id}_refused_{body.get('code')}"] += 1
            self.busy = False
            return []
        if msg.correlation_id == "info":
            self.domain = Domain(
                chain_id=body["chain_id"], verifying_contract=body["minting_contract"]
            )
            self.busy = False
            return []
        if msg.correlation_id == "rfq":
            return self._order(body)
        self.counts[f"{msg.correlation_id}_ok"] += 1
        self.busy = False
        return []

    def _order(self, q: dict[str, Any]) -> list[Output]:
        assert self.domain is not None
        self.counts["quotes"] += 1
        now_s = int(time.time())
        self.nonce = max(self.nonce + 1, now_s * 1000)
        try:
            order = Order.checked(
                order_id=q["rfq_id"],
                order_type=0 if q["side"] == "MINT" else 1,
                expiry=now_s + self.opts.expiry_s,
                nonce=self.nonce,
                benefactor=self.account,
                beneficiary=self.account,
                collateral_asset=q["collateral_asset"],
                collateral_amount=int(q["collateral_amount"]),
                usde_amount=int(q["usde_amount"]),
            )
        except (OrderSchemaError, KeyError, ValueError) as exc:
            log.warning("%s: unusable quote %s: %s", self.name, q, exc)
            self.busy = False
            return []
        sig = "0x" + sign_order(order, self.domain, self.key).signature_bytes.hex()
        body = {f: getattr(order, f) for f in Order.__struct_fields__}
        body["order_type"] = int(order.order_type)
        return [self._http("POST", "/order", {"signature": sig}, body, "order")]

    def stats(self) -> dict[str, int]:
        return dict(self.counts)
