"""A local Bybit v5 account: signed REST (`/v5/order/*`, position, wallet) and the private
websocket (`/v5/private`: `auth`, `subscribe`, `ping`), checked as the venue documents.

REST signatures: hex HMAC-SHA256 of timestamp + key + recv window + (query | body); a wrong
key is retCode 10003 and a wrong signature 10004 (HTTP 200 with retCode, as Bybit answers).
Stream auth: hex HMAC-SHA256 of "GET/realtime" + expires, expires in the future.

Disconnection Protection: `POST /v5/order/disconnected-cancel-all` sets a product's window
(`timeWindow` 3..300 s, default 10; `product` OPTIONS by default); once every connection
subscribed to `dcp.future` is gone for the window, the account's derivatives orders are
cancelled; a connection subscribing it again stops the clock
(docs/venues.md#bybit-disconnection-protection).
"""

from __future__ import annotations

import hashlib
import hmac
from decimal import Decimal
from typing import Any

import orjson
from aiohttp import web

from tests.integration.servers.private_common import (
    Conn,
    PrivateServer,
    fixture_response,
    json_response,
    now_ms,
)


def ok(result: Any) -> web.Response:
    return json_response({"retCode": 0, "retMsg": "OK", "result": result, "time": now_ms()})


def err(code: int, msg: str) -> web.Response:
    return json_response({"retCode": code, "retMsg": msg, "result": {}, "time": now_ms()})


DCP_FUTURE = "dcp.future"


class BybitPrivateServer(PrivateServer):
    def __init__(self, api_key: str, secret: str, passphrase: str = "") -> None:
        super().__init__(api_key, secret)
        self.dcp_windows: dict[str, int] = {}
        """product -> window set through the API (absent: the default, 10 s)."""

    def routes(self, app: web.Application) -> None:
        r = app.router
        r.add_post("/v5/order/create", self._create)
        r.add_post("/v5/order/cancel", self._cancel)
        r.add_post("/v5/order/amend", self._amend)
        r.add_get("/v5/order/realtime", self._realtime)
        r.add_get("/v5/position/list", self._positions)
        r.add_get("/v5/account/wallet-balance", self._wallet)
        r.add_get("/v5/private", self.serve_ws)
        r.add_post("/v5/order/disconnected-cancel-all", self._dcp)

    async def _check(self, request: web.Request) -> tuple[web.Response | None, dict[str, Any]]:
        h = request.headers
        if h.get("X-BAPI-API-KEY") != self.api_key:
            self.counts["auth_refused"] += 1
            return err(10003, "API key is invalid."), {}
        body = await request.text()
        payload = request.query_string if request.method == "GET" else body
        ts, recv = h.get("X-BAPI-TIMESTAMP", ""), h.get("X-BAPI-RECV-WINDOW", "")
        good = hmac.new(
            self.secret.encode(), f"{ts}{self.api_key}{recv}{payload}".encode(), hashlib.sha256
        ).hexdigest()
        if not hmac.compare_digest(h.get("X-BAPI-SIGN", ""), good):
            self.counts["auth_refused"] += 1
            return err(10004, "error sign! origin_string[...]"), {}
        if abs(int(ts) - now_ms()) > int(recv):
            return err(10002, "invalid request, please check your server timestamp"), {}
        self.counts[f"{request.method} {request.path}"] += 1
        params = dict(request.query) if request.method == "GET" else orjson.loads(body)
        return None, params

    def add_order(self, b: dict[str, Any]) -> dict[str, Any]:
        o = {
            "orderId": f"bybit-{self.next_id()}",
            "orderLinkId": b["orderLinkId"],
            "symbol": b["symbol"],
            "price": b.get("price", "0"),
            "qty": b["qty"],
            "side": b["side"],
            "orderStatus": "New",
            "orderType": b["orderType"],
            "timeInForce": b.get("timeInForce", "GTC"),
            "reduceOnly": bool(b.get("reduceOnly")),
            "cumExecQty": "0",
            "avgPrice": "0",
            "rejectReason": "EC_NoError",
            "updatedTime": str(now_ms()),
            "category": b["category"],
        }
        self.orders[o["orderLinkId"]] = o
        return o

    async def _create(self, request: web.Request) -> web.Response:
        bad, b = await self._check(request)
        if bad is not None:
            return bad
        self.last_params = b
        if b["orderLinkId"] in self.orders:
            return err(110072, "OrderLinkedID is duplicate")
        if Decimal(b["qty"]) > self.max_qty:
            return err(110007, "ab not enough for new order")
        o = self.add_order(b)
        return ok({"orderId": o["orderId"], "orderLinkId": o["orderLinkId"]})

    def _open(self, b: dict[str, Any]) -> dict[str, Any] | None:
        o = self.orders.get(b.get("orderLinkId", ""))
        return o if o is not None and o["orderStatus"] == "New" else None

    async def _cancel(self, request: web.Request) -> web.Response:
        bad, b = await self._check(request)
        if bad is not None:
            return bad
        o = self._open(b)
        if o is None:
            return err(110001, "Order does not exist.")
        o["orderStatus"] = "Cancelled"
        return ok({"orderId": o["orderId"], "orderLinkId": o["orderLinkId"]})

    async def _amend(self, request: web.Request) -> web.Response:
        bad, b = await self._check(request)
        if bad is not None:
            return bad
        self.last_params = b
        o = self._open(b)
        if o is None:
            return err(110001, "Order does not exist.")
        o.update({k: b[k] for k in ("qty", "price") if k in b})
        return ok({"orderId": o["orderId"], "orderLinkId": o["orderLinkId"]})

    async def _realtime(self, request: web.Request) -> web.Response:
        bad, q = await self._check(request)
        if bad is not None:
            return bad
        if "orderLinkId" in q:
            rows = [o for o in self.orders.values() if o["orderLinkId"] == q["orderLinkId"]]
        else:
            rows = [o for o in self.orders.values() if o["orderStatus"] == "New"]
        return ok({"category": q.get("category"), "list": rows, "nextPageCursor": ""})

    async def _positions(self, request: web.Request) -> web.Response:
        bad, _ = await self._check(request)
        if bad is not None:
            return bad
        return fixture_response("bybit", "rest_position_list_docs.json")

    async def _wallet(self, request: web.Request) -> web.Response:
        bad, _ = await self._check(request)
        if bad is not None:
            return bad
        return fixture_response("bybit", "rest_wallet_balance_docs.json")

    async def _dcp(self, request: web.Request) -> web.Response:
        bad, b = await self._check(request)
        if bad is not None:
            return bad
        window, product = b.get("timeWindow"), b.get("product", "OPTIONS")
        if (
            not isinstance(window, int)
            or not 3 <= window <= 300
            or product not in ("OPTIONS", "DERIVATIVES", "SPOT")
        ):
            return err(10001, "params error")
        self.dcp_windows[product] = window
        return json_response({"retCode": 0, "retMsg": "success"})

    def on_closed(self, conn: Conn) -> None:
        if DCP_FUTURE not in conn.topics or self.subscribed(DCP_FUTURE):
            return

        def cancel() -> list[str]:
            hit = [
                o
                for o in self.orders.values()
                if o["orderStatus"] == "New" and o["category"] in ("linear", "inverse")
            ]
            for o in hit:
                o.update(orderStatus="Cancelled", updatedTime=str(now_ms()))
            return [o["orderLinkId"] for o in hit]

        self.countdown(DCP_FUTURE, self.dcp_windows.get("DERIVATIVES", 10), cancel)

    async def on_text(self, conn: Conn, text: str) -> None:
        msg = orjson.loads(text)
        op = msg.get("op")
        reply: dict[str, Any] = {"success": True, "ret_msg": "", "op": op, "conn_id": "c1"}
        if op == "auth":
            key, expires, sign = msg["args"]
            good = hmac.new(
                self.secret.encode(), f"GET/realtime{expires}".encode(), hashlib.sha256
            ).hexdigest()
            conn.authed = key == self.api_key and int(expires) > now_ms() and sign == good
            self.counts["auth_ok" if conn.authed else "auth_refused"] += 1
            if not conn.authed:
                reply.update(success=False, ret_msg="Request not authorized")
        elif op == "subscribe":
            if conn.authed:
                conn.topics.update(msg["args"])
                self.counts["subscribes"] += 1
                if DCP_FUTURE in msg["args"]:
                    self.countdown(DCP_FUTURE, 0, list)  # back within the window
            else:
                reply.update(success=False, ret_msg="Request not authorized")
        elif op == "ping":
            self.counts["pings"] += 1
            reply.update(op="pong", args=[str(now_ms())])
        await conn.ws.send_str(orjson.dumps(reply).decode())
