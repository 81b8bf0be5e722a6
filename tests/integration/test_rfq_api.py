"""The RFQ API end to end: HTTP on loopback, the rfq actor on a runner, the local chain.

Orders are signed with the development key; every answer is JSON; a mint ends accepted,
submitted, hedged and confirmed on chain.
"""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from pyengine.chain.local import DEV_ACCOUNT
from pyengine.chain.order import Domain, Order, order_body, sign_order
from pyengine.messages.hedging import HedgeRequest
from pyengine.messages.pricing import MintOrderAccepted, MintOrderConfirmed
from tests.conftest import async_wait_until
from tests.integration.chain_harness import chain_snapshot, shared_chain
from tests.integration.rfq_harness import DEV_KEY, rig

pytestmark = pytest.mark.slow


def signed(
    quote: dict[str, Any], domain: Domain, *, nonce: int, expiry: int
) -> tuple[dict[str, Any], str]:
    order = Order.checked(
        order_id=quote["rfq_id"],
        order_type=0 if quote["side"] == "MINT" else 1,
        expiry=expiry,
        nonce=nonce,
        benefactor=DEV_ACCOUNT,
        beneficiary=DEV_ACCOUNT,
        collateral_asset=quote["collateral_asset"],
        collateral_amount=int(quote["collateral_amount"]),
        usde_amount=int(quote["usde_amount"]),
    )
    sig = sign_order(order, domain, DEV_KEY)
    body = order_body(order)  # amounts as JSON integers above 2^64: decoded exactly
    return body, "0x" + sig.signature_bytes.hex()


async def get(s: aiohttp.ClientSession, url: str, **params: str) -> tuple[int, dict[str, Any]]:
    async with s.get(url, params=params) as r:
        assert r.content_type == "application/json"
        return r.status, await r.json()


def test_a_mint_through_http_is_accepted_submitted_hedged_and_confirmed() -> None:
    shared = shared_chain()

    async def main() -> None:
        with chain_snapshot(shared):
            async with rig(shared) as r, aiohttp.ClientSession() as s:
                st, avail = await get(s, f"{r.url}/asset-availability")
                assert st == 200 and "WETH/USDe" in avail["mint"]
                st, q = await get(
                    s, f"{r.url}/rfq", pair="WETH/USDe", side="MINT", size="25", type_="ALGO"
                )
                assert st == 200, q
                assert q["usde_amount"] == str(25 * 3000 * 999 * 10**15)  # exact, no exponent
                assert q["collateral_amount"] == str(25 * 10**18)
                body, sig = signed(
                    q,
                    shared.deployment.domain,
                    nonce=int(time.time()),
                    expiry=int(time.time()) + 120,
                )
                async with s.post(f"{r.url}/order", params={"signature": sig}, json=body) as resp:
                    answer = await resp.json()
                assert resp.status == 200, answer
                assert answer["tx"].startswith("0x")
                # the same quote again: used once
                async with s.post(f"{r.url}/order", params={"signature": sig}, json=body) as resp:
                    again = await resp.json()
                assert resp.status == 409 and again["code"] == 37
                await async_wait_until(lambda: r.got(MintOrderConfirmed), 10, "confirmation")
                st, conf = await get(s, f"{r.url}/order-confirmation", order_id=q["rfq_id"])
                assert st == 200 and conf["status"] == "confirmed" and conf["tx"] == answer["tx"]
                (acc,) = r.got(MintOrderAccepted)
                assert acc.collateral_amount == Decimal(25) and acc.asset == "ETH"
                (hedge,) = r.got(HedgeRequest)
                assert hedge.hedge_id == f"mint-{q['rfq_id']}" and hedge.delta == Decimal(-25)
                (ok,) = r.got(MintOrderConfirmed)
                assert ok.status == "ok" and ok.tx == answer["tx"]
                sections = r.rfq.status_sections()
                assert sections["quotes"] == {"issued": 1, "accepted": 1, "refused": {"37": 1}}

    asyncio.run(asyncio.wait_for(main(), 60))


def test_every_error_is_json_with_a_code() -> None:
    shared = shared_chain()

    async def main() -> None:
        async with rig(shared) as r, aiohttp.ClientSession() as s:
            cases: list[tuple[str, str, dict[str, str], bytes | None, int, int]] = [
                ("GET", "/nowhere", {}, None, 404, 2),
                ("DELETE", "/rfq", {}, None, 405, 3),
                (
                    "GET",
                    "/rfq",
                    {"pair": "WETH/USDe", "side": "SIDEWAYS", "size": "1"},
                    None,
                    400,
                    1,
                ),
                ("GET", "/rfq", {"pair": "WETH/USDe", "side": "MINT", "size": "1e3"}, None, 400, 1),
                ("GET", "/rfq", {"pair": "DOGE/USDe", "side": "MINT", "size": "1"}, None, 400, 4),
                ("POST", "/order", {"signature": "0x00"}, b"{not json", 400, 1),
                ("POST", "/order", {}, b"{}", 400, 1),
                ("GET", "/order-confirmation", {"order_id": "nope"}, None, 404, 25),
            ]
            for method, path, params, data, status, code in cases:
                async with s.request(method, f"{r.url}{path}", params=params, data=data) as resp:
                    assert resp.content_type == "application/json", (path, await resp.text())
                    got = await resp.json()
                assert (resp.status, got.get("code")) == (status, code), (method, path, got)
                assert set(got) == {"error", "code"}
            # a float amount is refused, never rounded into an integer
            body = {
                "order_id": "x",
                "order_type": 0,
                "expiry": 1,
                "nonce": 1,
                "benefactor": DEV_ACCOUNT,
                "beneficiary": DEV_ACCOUNT,
                "collateral_asset": DEV_ACCOUNT,
                "collateral_amount": 2.5e19,
                "usde_amount": 1,
            }
            async with s.post(f"{r.url}/order", params={"signature": "0x00"}, json=body) as resp:
                got = await resp.json()
            assert resp.status == 400 and got["code"] == 1
            async with s.get(f"{r.url}/openapi.json") as resp:
                doc = await resp.json()
            assert set(doc["paths"]) >= {"/rfq", "/order", "/order-confirmation"}

    asyncio.run(asyncio.wait_for(main(), 60))


def _ladder(pair: str, price: str) -> Any:
    from pyengine.messages.pricing import IndicativeLadder, LadderRung

    now = time.time_ns()
    return IndicativeLadder(
        ts_event=now,
        ts_recv=now,
        pair=pair,
        collateral=pair.split("/", maxsplit=1)[0],
        mint=[LadderRung(size=Decimal(2), price=Decimal(price))],
        redeem=[],
        redeem_reason="no hedge to buy back",
        gas_usd=Decimal("10"),
        max_mint=Decimal("100000"),
        remaining_mint=Decimal("2000000.5"),
    )


def test_the_indicative_stream_over_sse_and_websocket() -> None:
    """Each pair's latest ladder at once, then every new one, filtered by `pair`; decimals as
    exact strings under Ethena's V1 field names (`max-mint`, `remaining-mint`, ...)."""
    shared = shared_chain()

    async def main() -> None:
        async with rig(shared) as r, aiohttp.ClientSession() as s:
            r.rfq.handle(_ladder("WETH/USDe", "2998.12345678"))
            async with s.get(f"{r.url}/indicative", params={"pair": "WETH/USDe"}) as sse:
                assert sse.status == 200
                assert sse.content_type == "text/event-stream"

                async def next_event() -> dict[str, Any]:
                    event: dict[str, str] = {}
                    while True:
                        line = (await asyncio.wait_for(sse.content.readline(), 5)).decode()
                        if line.strip() == "" and "data" in event:
                            import json

                            return {"event": event.get("event"), **json.loads(event["data"])}
                        key, _, value = line.rstrip("\r\n").partition(":")
                        if key:
                            event[key] = value.strip()

                first = await next_event()
                assert first["event"] == "ladder" and first["pair"] == "WETH/USDe"
                assert first["mint"] == [{"size": "2", "price": "2998.12345678"}]
                assert first["max-mint"] == "100000"
                assert first["remaining-mint"] == "2000000.5" and first["gas"] == "10"
                assert first["redeem"] == [] and first["redeem_reason"] == "no hedge to buy back"
                r.rfq.handle(_ladder("USDT/USDe", "0.9999"))  # another pair: filtered out
                r.rfq.handle(_ladder("WETH/USDe", "2999"))
                assert (await next_event())["mint"][0]["price"] == "2999"
            async with s.ws_connect(f"{r.url}/ws/indicative") as ws:
                got = {}
                for _ in range(2):  # every pair's latest, in any order
                    msg = await asyncio.wait_for(ws.receive_json(), 5)
                    got[msg["pair"]] = msg
                assert got["WETH/USDe"]["mint"][0]["price"] == "2999"
                assert got["USDT/USDe"]["mint"][0]["price"] == "0.9999"
                r.rfq.handle(_ladder("WETH/USDe", "3001.5"))
                msg = await asyncio.wait_for(ws.receive_json(), 5)
                assert msg["pair"] == "WETH/USDe" and msg["mint"][0]["price"] == "3001.5"
            # a client gone is noticed at the next write: the next ladder (every 250 ms live)
            await asyncio.sleep(0.2)
            r.rfq.handle(_ladder("WETH/USDe", "3002"))
            await async_wait_until(lambda: r.rfq.server.hub.subscribers == 0, 5, "unsubscribed")

    asyncio.run(main())
