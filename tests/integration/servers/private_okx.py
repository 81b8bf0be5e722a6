"""A local OKX v5 account: signed REST (`/api/v5/trade/*`, positions, balance) and the
private websocket (`/ws/v5/private`: `login`, `subscribe`, `ping`), checked as documented.

REST signatures: base64 HMAC-SHA256 of timestamp + method + request path with query + body;
a wrong key, passphrase or signature is HTTP 401 with 50111 / 50105 / 50113. Order
requests that fail are code "1" with the per-order `sCode`/`sMsg`. Login: base64
HMAC-SHA256 of timestamp + "GET" + "/users/self/verify"; a refusal is event "error" 60009.

`POST /api/v5/trade/cancel-all-after` (`timeOut` 0 or 10..120 s) runs the account's
countdown; when it runs out every live order is cancelled (docs/venues.md#okx-cancel-all-after).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from decimal import Decimal
from typing import Any

import orjson
from aiohttp import web

from tests.integration.servers.private_common import (
    Conn,
    PrivateServer,
    fixture,
    fixture_response,
    json_response,
    now_ms,
)


def b64_hmac(secret: str, payload: str) -> str:
    return base64.b64encode(
        hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()
    ).decode()


def ok(data: list[Any]) -> web.Response:
    return json_response({"code": "0", "msg": "", "data": data})


def failed(cl_ord_id: str, s_code: str, s_msg: str) -> web.Response:
    row = {"clOrdId": cl_ord_id, "ordId": "", "tag": "", "sCode": s_code, "sMsg": s_msg}
    return json_response({"code": "1", "msg": "All operations failed", "data": [row]})


class OkxPrivateServer(PrivateServer):
    def routes(self, app: web.Application) -> None:
        r = app.router
        r.add_post("/api/v5/trade/order", self._order)
        r.add_get("/api/v5/trade/order", self._get_order)
        r.add_post("/api/v5/trade/cancel-order", self._cancel)
        r.add_post("/api/v5/trade/amend-order", self._amend)
        r.add_get("/api/v5/trade/orders-pending", self._pending)
        r.add_get("/api/v5/account/positions", self._positions)
        r.add_get("/api/v5/account/balance", self._balance)
        r.add_post("/api/v5/trade/cancel-all-after", self._cancel_all_after)
        r.add_get("/ws/v5/private", self.serve_ws)

    async def _check(self, request: web.Request) -> tuple[web.Response | None, dict[str, Any]]:
        h = request.headers
        body = await request.text()

        def refuse(code: str, msg: str) -> tuple[web.Response, dict[str, Any]]:
            self.counts["auth_refused"] += 1
            return json_response({"code": code, "msg": msg, "data": []}, 401), {}

        if h.get("OK-ACCESS-KEY") != self.api_key:
            return refuse("50111", "Invalid OK-ACCESS-KEY")
        if h.get("OK-ACCESS-PASSPHRASE") != self.passphrase:
            return refuse("50105", "Invalid OK-ACCESS-PASSPHRASE")
        ts = h.get("OK-ACCESS-TIMESTAMP", "")
        good = b64_hmac(self.secret, f"{ts}{request.method}{request.path_qs}{body}")
        if not hmac.compare_digest(h.get("OK-ACCESS-SIGN", ""), good):
            return refuse("50113", "Invalid Sign")
        if not (len(ts) == 24 and ts.endswith("Z") and ts[10] == "T"):
            return refuse("50112", "Invalid OK-ACCESS-TIMESTAMP")
        self.counts[f"{request.method} {request.path}"] += 1
        params = dict(request.query) if request.method == "GET" else orjson.loads(body)
        return None, params

    def add_order(self, b: dict[str, Any]) -> dict[str, Any]:
        o = {
            "instId": b["instId"],
            "ordId": str(self.next_id()),
            "clOrdId": b["clOrdId"],
            "px": b.get("px", ""),
            "sz": b["sz"],
            "side": b["side"],
            "ordType": b["ordType"],
            "state": "live",
            "accFillSz": "0",
            "avgPx": "",
            "fillSz": "0",
            "tradeId": "",
            "reduceOnly": "true" if b.get("reduceOnly") else "false",
            "uTime": str(now_ms()),
        }
        self.orders[o["clOrdId"]] = o
        return o

    @staticmethod
    def _row(o: dict[str, Any], msg: str = "") -> dict[str, Any]:
        return {"clOrdId": o["clOrdId"], "ordId": o["ordId"], "sCode": "0", "sMsg": msg}

    async def _order(self, request: web.Request) -> web.Response:
        bad, b = await self._check(request)
        if bad is not None:
            return bad
        self.last_params = b
        if b["clOrdId"] in self.orders:
            return failed(b["clOrdId"], "51016", "Duplicated client order ID")
        if Decimal(b["sz"]) > self.max_qty:
            return failed(
                b["clOrdId"], "51008", "Order failed. Insufficient USDT margin in account"
            )
        return ok([self._row(self.add_order(b), "Order placed")])

    def _open(self, b: dict[str, Any]) -> dict[str, Any] | None:
        o = self.orders.get(b.get("clOrdId", ""))
        return o if o is not None and o["state"] == "live" else None

    async def _get_order(self, request: web.Request) -> web.Response:
        bad, q = await self._check(request)
        if bad is not None:
            return bad
        o = self.orders.get(q.get("clOrdId", ""))
        if o is None:
            return json_response({"code": "51603", "msg": "Order does not exist", "data": []})
        return ok([o])

    async def _cancel(self, request: web.Request) -> web.Response:
        bad, b = await self._check(request)
        if bad is not None:
            return bad
        o = self._open(b)
        if o is None:
            return failed(
                b.get("clOrdId", ""),
                "51400",
                "Order cancellation failed as the order has been filled, canceled or does"
                " not exist",
            )
        o["state"] = "canceled"
        return ok([self._row(o)])

    async def _amend(self, request: web.Request) -> web.Response:
        bad, b = await self._check(request)
        if bad is not None:
            return bad
        self.last_params = b
        o = self._open(b)
        if o is None:
            return failed(b.get("clOrdId", ""), "51503", "Order modification failed")
        if "newSz" in b:
            o["sz"] = b["newSz"]
        if "newPx" in b:
            o["px"] = b["newPx"]
        return ok([self._row(o)])

    async def _pending(self, request: web.Request) -> web.Response:
        bad, _ = await self._check(request)
        if bad is not None:
            return bad
        return ok([o for o in self.orders.values() if o["state"] == "live"])

    async def _positions(self, request: web.Request) -> web.Response:
        bad, _ = await self._check(request)
        if bad is not None:
            return bad
        return fixture_response("okx", "http_get_positions_nautilus.json")

    async def _balance(self, request: web.Request) -> web.Response:
        bad, _ = await self._check(request)
        if bad is not None:
            return bad
        # GET /api/v5/account/balance returns the account objects the `account` channel pushes.
        account = orjson.loads(fixture("okx", "ws_account_nautilus.json"))
        return ok(account["data"])

    async def _cancel_all_after(self, request: web.Request) -> web.Response:
        bad, b = await self._check(request)
        if bad is not None:
            return bad
        t = b.get("timeOut")
        if not isinstance(t, str) or not t.isdigit() or not (t == "0" or 10 <= int(t) <= 120):
            return json_response({"code": "51000", "msg": "Parameter timeOut error", "data": []})

        def cancel() -> list[str]:
            hit = [o for o in self.orders.values() if o["state"] == "live"]
            for o in hit:
                o.update(state="canceled", uTime=str(now_ms()))
            return [o["clOrdId"] for o in hit]

        now = now_ms()
        self.countdown("cancel-all-after", int(t), cancel)
        trigger = str(now + int(t) * 1000) if int(t) else "0"
        return ok([{"triggerTime": trigger, "tag": b.get("tag", ""), "ts": str(now)}])

    async def on_text(self, conn: Conn, text: str) -> None:
        if text == "ping":
            self.counts["pings"] += 1
            await conn.ws.send_str("pong")
            return
        msg = orjson.loads(text)
        op = msg.get("op")
        if op == "login":
            a = msg["args"][0]
            good = b64_hmac(self.secret, f"{a['timestamp']}GET/users/self/verify")
            conn.authed = (
                a["apiKey"] == self.api_key
                and a["passphrase"] == self.passphrase
                and a["sign"] == good
                and abs(int(a["timestamp"]) - now_ms() // 1000) < 30
            )
            self.counts["auth_ok" if conn.authed else "auth_refused"] += 1
            reply: dict[str, Any] = (
                {"event": "login", "code": "0", "msg": "", "connId": "c1"}
                if conn.authed
                else {"event": "error", "code": "60009", "msg": "Login failed.", "connId": "c1"}
            )
            await conn.ws.send_str(orjson.dumps(reply).decode())
        elif op == "subscribe":
            for arg in msg["args"]:
                if not conn.authed:
                    reply = {"event": "error", "code": "60011", "msg": "Please log in"}
                else:
                    conn.topics.add(arg["channel"])
                    reply = {"event": "subscribe", "arg": arg, "connId": "c1"}
                await conn.ws.send_str(orjson.dumps(reply).decode())
            self.counts["subscribes"] += 1
