"""A local Binance USD-M account: signed REST (`/fapi/v1/order`, reports, `listenKey`) and
the user data stream at `/ws/<listenKey>`, checked as the venue documents.

Signatures are verified (hex HMAC-SHA256 of the query string, `signature` last), the key in
`X-MBX-APIKEY`; a wrong key is HTTP 401 -2015, a wrong signature HTTP 400 -1022, as Binance
answers. Listen keys: POST returns the active key (or a new one once it expired), PUT keeps
it alive (-1125 if unknown), and `expire_listen_key` sends `listenKeyExpired` and closes.
A stream URL with an unknown key is refused at the handshake.

`POST /fapi/v1/countdownCancelAll` (signed; `symbol`, `countdownTime` ms, 0 stops) runs
one countdown per symbol; when one runs out, every open order of that symbol is cancelled
(docs/venues.md#binance-usd-m-countdowncancelall).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

import orjson
from aiohttp import web

from tests.integration.servers.private_common import (
    PrivateServer,
    fixture_response,
    json_response,
    now_ms,
)


class BinancePrivateServer(PrivateServer):
    auto_topics = frozenset({"user"})  # a user stream carries every event, unasked

    def __init__(self, api_key: str, secret: str, passphrase: str = "") -> None:
        super().__init__(api_key, secret)
        self.listen_key = ""
        self.expired: set[str] = set()
        self.fail_posts = 0
        """Answer this many listen key POSTs with HTTP 503 (the venue unavailable)."""
        self.stream_keys: list[str] = []
        """The listen key of each stream connection, in order."""
        self.slow_posts_s = 0.0
        """> 0: take each new order, fill it this long later (pushing its trade on the user
        stream), and answer the POST only after that (past a client's deadline: its outcome
        is unknown to the client, as with a venue under load)."""
        self._fills: set[asyncio.Task[None]] = set()

    def routes(self, app: web.Application) -> None:
        r = app.router
        r.add_route("*", "/fapi/v1/listenKey", self._listen_key)
        r.add_route("*", "/fapi/v1/order", self._order)
        r.add_get("/fapi/v1/openOrders", self._open_orders)
        r.add_get("/fapi/v2/positionRisk", self._positions)
        r.add_get("/fapi/v2/balance", self._balance)
        r.add_post("/fapi/v1/countdownCancelAll", self._countdown)
        r.add_get("/ws/{key}", self._stream)

    def _check(self, request: web.Request, signed: bool = True) -> web.Response | None:
        if request.headers.get("X-MBX-APIKEY") != self.api_key:
            self.counts["auth_refused"] += 1
            return json_response(
                {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."}, 401
            )
        if not signed:
            return None
        payload, sep, sig = request.query_string.rpartition("&signature=")
        good = hmac.new(self.secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
        if not sep or not hmac.compare_digest(sig, good):
            self.counts["auth_refused"] += 1
            return json_response(
                {"code": -1022, "msg": "Signature for this request is not valid."}, 400
            )
        q = dict(parse_qsl(payload))
        if abs(int(q.get("timestamp", 0)) - now_ms()) > int(q.get("recvWindow", 5000)):
            return json_response(
                {"code": -1021, "msg": "Timestamp for this request is outside of the recvWindow."},
                400,
            )
        self.counts[f"{request.method} {request.path}"] += 1
        return None

    async def _listen_key(self, request: web.Request) -> web.Response:
        if (bad := self._check(request, signed=False)) is not None:
            return bad
        self.counts[f"{request.method} listenKey"] += 1
        if request.method == "POST":
            if self.fail_posts > 0:
                self.fail_posts -= 1
                return web.Response(status=503, text="Service Unavailable")
            if not self.listen_key or self.listen_key in self.expired:
                self.listen_key = f"lk{self.next_id()}"
            return json_response({"listenKey": self.listen_key})
        if request.method == "PUT":
            if not self.listen_key or self.listen_key in self.expired:
                return json_response({"code": -1125, "msg": "This listenKey does not exist."}, 400)
            return json_response({})
        self.expired.add(self.listen_key)
        return json_response({})

    async def expire_listen_key(self) -> None:
        key = self.listen_key
        self.expired.add(key)
        event = {"e": "listenKeyExpired", "E": now_ms(), "listenKey": key}
        for c in list(self.conns):
            await c.ws.send_str(orjson.dumps(event).decode())
            await c.ws.close()

    async def _stream(self, request: web.Request) -> web.StreamResponse:
        key = request.match_info["key"]
        if key != self.listen_key or key in self.expired:
            self.counts["stream_refused"] += 1
            return json_response({"code": -1125, "msg": "This listenKey does not exist."}, 400)
        self.stream_keys.append(key)
        return await self.serve_ws(request)

    def add_order(self, p: dict[str, str]) -> dict[str, Any]:
        o: dict[str, Any] = {
            "orderId": self.next_id(),
            "symbol": p["symbol"],
            "status": "NEW",
            "clientOrderId": p["newClientOrderId"],
            "price": p.get("price", "0"),
            "avgPrice": "0",
            "origQty": p["quantity"],
            "executedQty": "0",
            "timeInForce": p.get("timeInForce", "GTC"),
            "type": p["type"],
            "reduceOnly": p.get("reduceOnly") == "true",
            "side": p["side"],
            "updateTime": now_ms(),
        }
        self.orders[o["clientOrderId"]] = o
        return o

    async def _order(self, request: web.Request) -> web.Response:
        if (bad := self._check(request)) is not None:
            return bad
        p = dict(parse_qsl(request.query_string))
        if request.method == "POST":
            self.last_params = p
            if p["newClientOrderId"] in self.orders:
                return json_response({"code": -4116, "msg": "ClientOrderId is duplicated."}, 400)
            if Decimal(p["quantity"]) > self.max_qty:
                return json_response({"code": -2019, "msg": "Margin is insufficient."}, 400)
            new = self.add_order(p)
            if self.slow_posts_s > 0:
                # The fill runs in its own task: the client gives up on this request first.
                task = asyncio.get_running_loop().create_task(self._fill_later(new))
                self._fills.add(task)
                task.add_done_callback(self._fills.discard)
                await asyncio.sleep(self.slow_posts_s * 2)
            return json_response({k: new[k] for k in ("orderId", "clientOrderId", "updateTime")})
        o = self.orders.get(p.get("origClientOrderId", ""))
        if o is None:
            if request.method == "DELETE":
                return json_response({"code": -2011, "msg": "Unknown order sent."}, 400)
            return json_response({"code": -2013, "msg": "Order does not exist."}, 400)
        if request.method == "DELETE":
            if o["status"] != "NEW":
                return json_response({"code": -2011, "msg": "Unknown order sent."}, 400)
            o["status"] = "CANCELED"
        elif request.method == "PUT":
            self.last_params = p
            o.update(price=p["price"], origQty=p["quantity"], updateTime=now_ms())
        return json_response(o)

    async def _countdown(self, request: web.Request) -> web.Response:
        if (bad := self._check(request)) is not None:
            return bad
        p = dict(parse_qsl(request.query_string))
        symbol, ms = p.get("symbol", ""), p.get("countdownTime", "")
        if not symbol or not ms:
            return json_response(
                {"code": -1102, "msg": "Mandatory parameter was not sent, was empty/null."}, 400
            )
        if not ms.isdigit():
            return json_response({"code": -1100, "msg": "Illegal characters in parameter."}, 400)

        def cancel() -> list[str]:
            hit = [
                o for o in self.orders.values() if o["symbol"] == symbol and o["status"] == "NEW"
            ]
            for o in hit:
                o.update(status="CANCELED", updateTime=now_ms())
            return [o["clientOrderId"] for o in hit]

        self.countdown(f"countdown:{symbol}", int(ms) / 1000, cancel)
        return json_response({"symbol": symbol, "countdownTime": ms})

    async def _fill_later(self, o: dict[str, Any]) -> None:
        await asyncio.sleep(self.slow_posts_s)
        o.update(status="FILLED", executedQty=o["origQty"], avgPrice=o["price"])
        o["updateTime"] = now_ms()
        event = {
            "e": "ORDER_TRADE_UPDATE",
            "E": o["updateTime"],
            "T": o["updateTime"],
            "o": {
                "s": o["symbol"],
                "c": o["clientOrderId"],
                "S": o["side"],
                "o": o["type"],
                "f": o["timeInForce"],
                "q": o["origQty"],
                "p": o["price"],
                "ap": o["price"],
                "x": "TRADE",
                "X": "FILLED",
                "i": o["orderId"],
                "l": o["origQty"],
                "z": o["origQty"],
                "L": o["price"],
                "N": "USDT",
                "n": "0",
                "T": o["updateTime"],
                "t": self.next_id(),
                "m": False,
                "R": False,
            },
        }
        await self.push("user", orjson.dumps(event))

    async def _open_orders(self, request: web.Request) -> web.Response:
        if (bad := self._check(request)) is not None:
            return bad
        return json_response([o for o in self.orders.values() if o["status"] == "NEW"])

    async def _positions(self, request: web.Request) -> web.Response:
        if (bad := self._check(request)) is not None:
            return bad
        return fixture_response("binance_usdm", "rest_positionRisk_hedge_mode_docs_example.json")

    async def _balance(self, request: web.Request) -> web.Response:
        if (bad := self._check(request)) is not None:
            return bad
        return fixture_response("binance_usdm", "rest_balance_docs_example.json")

    async def on_text(self, conn: Any, text: str) -> None:
        self.counts["client_text"] += 1  # the user stream takes no requests
