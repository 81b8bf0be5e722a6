"""OKX v5 account client: signed REST order entry and the private channels.

Per the venue's docs: REST requests carry `OK-ACCESS-KEY`, `OK-ACCESS-PASSPHRASE`,
`OK-ACCESS-TIMESTAMP` (ISO 8601 UTC, milliseconds) and `OK-ACCESS-SIGN` = base64 HMAC-SHA256
of timestamp + method + request path with query + body. Answers carry `code` ("0" =
success); order requests also a per-order `sCode`/`sMsg`. The private websocket takes a
`login` first, then subscribes `orders`, `positions` (instType ANY) and `account`; the
text `ping` keeps it alive (OKX closes a connection silent for 30 s).

Cancel-on-disconnect is `POST /api/v5/trade/cancel-all-after` (`timeOut` in whole seconds,
0 or 10..120; 0 disables it): every pending order of the account is cancelled when the
countdown runs out (docs/venues.md#okx-cancel-all-after).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar
from urllib.parse import urlencode

import orjson
from websockets.asyncio.client import ClientConnection

from pyengine.messages import OrderUpdate, PositionReport, SubmitOrder
from pyengine.messages.account import BalanceReport
from pyengine.venues.private import okx
from pyengine.venues.private.client import OrderReply, PrivateClient, limit_terms, num
from pyengine.venues.private.common import AccountEvent
from pyengine.venues.private.deadman import Armed
from pyengine.venues.private.errors import VenueRequestError

log = logging.getLogger("pyengine.venues.private")

#: Codes for a refused key, passphrase, signature or timestamp.
AUTH_CODES = frozenset(
    {"50101", "50102", "50103", "50104", "50105", "50106", "50107", "50111", "50112"}
    | {"50113", "50114"}
)
_ORD_TYPE = {"gtc": "limit", "ioc": "ioc", "fok": "fok", "post_only": "post_only"}
_ORD_TYPE["gtx"] = "post_only"
_PAGE = 100


def iso_timestamp(ns: int) -> str:
    """`OK-ACCESS-TIMESTAMP`: e.g. 2020-12-08T09:08:57.715Z."""
    dt = datetime.fromtimestamp(ns // 1_000_000 / 1000, tz=UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ns // 1_000_000 % 1000:03d}Z"


class OkxClient(PrivateClient):
    """One OKX v5 account."""

    venue_name: ClassVar[str] = okx.VENUE

    async def request(
        self, method: str, path: str, params: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """A signed request; the answer with code "0", or a typed error."""
        c = self.credentials
        body: bytes | None = None
        if method == "GET":
            query = urlencode(params or {})
            request_path = f"{path}?{query}" if query else path
            payload = ""
        else:
            request_path = path
            body = orjson.dumps(params or {})
            payload = body.decode()
        ts = iso_timestamp(self.clock())
        headers = {
            "OK-ACCESS-KEY": c.api_key,
            "OK-ACCESS-PASSPHRASE": c.passphrase,
            "OK-ACCESS-TIMESTAMP": ts,
            "OK-ACCESS-SIGN": okx.rest_signature(c.secret, ts, method, request_path, payload),
            "Content-Type": "application/json",
        }
        if self.cfg.demo:
            headers["x-simulated-trading"] = "1"
        what = f"{method} {path}"
        status, raw = await self.http(
            method, f"{self.rest_base}{request_path}", headers=headers, body=body, what=what
        )
        msg = self.decode(status, raw, what)
        code = str(msg.get("code")) if isinstance(msg, dict) else None
        text = str(msg.get("msg", "")) if isinstance(msg, dict) else str(msg)
        if status in (401, 403) or code in AUTH_CODES:
            raise self.auth_failed(what, code, text)
        if not isinstance(msg, dict):
            raise VenueRequestError(str(status), text)
        if code != "0":
            # Order requests: the per-order sCode/sMsg says why (code "1" is "failed").
            data = msg.get("data")
            if isinstance(data, list) and data and isinstance(data[0], dict):
                s_code = str(data[0].get("sCode") or "")
                if s_code not in ("", "0"):
                    raise VenueRequestError(s_code, str(data[0].get("sMsg", "")))
            raise VenueRequestError(str(code), text)
        return msg

    @staticmethod
    def _first(msg: dict[str, Any]) -> dict[str, Any]:
        data = msg.get("data")
        row = data[0] if isinstance(data, list) and data else None
        if not isinstance(row, dict):
            raise VenueRequestError("no_data", "the answer has no order")
        if str(row.get("sCode", "0")) != "0":
            raise VenueRequestError(str(row.get("sCode")), str(row.get("sMsg", "")))
        return row

    async def place_order(self, order: SubmitOrder) -> OrderReply:
        body: dict[str, Any] = {
            "instId": order.symbol,
            "tdMode": self.cfg.td_mode,
            "side": order.side.lower(),
            "sz": num(order.qty),
            "clOrdId": order.client_order_id,
        }
        terms = limit_terms(order, _ORD_TYPE)
        if terms is None:
            body["ordType"] = "market"
        else:
            ord_type, price = terms
            body.update(ordType=ord_type, px=num(price))
        if order.reduce_only:
            body["reduceOnly"] = True
        row = self._first(await self.request("POST", "/api/v5/trade/order", body))
        return self.accepted(order.client_order_id, row.get("ordId"))

    def duplicate_codes(self) -> frozenset[str]:
        return frozenset({"51016"})  # Duplicated client order ID

    async def lookup(self, client_order_id: str, symbol: str) -> OrderUpdate | None:
        try:
            msg = await self.request(
                "GET", "/api/v5/trade/order", {"instId": symbol, "clOrdId": client_order_id}
            )
        except VenueRequestError as exc:
            if exc.code == "51603":  # "Order does not exist": any other code is no answer
                return None
            raise
        found = okx.parse_open_orders(orjson.dumps(msg), self.clock())
        return found[0] if found else None

    async def cancel_order(self, client_order_id: str, symbol: str) -> None:
        self._first(
            await self.request(
                "POST",
                "/api/v5/trade/cancel-order",
                {"instId": symbol, "clOrdId": client_order_id},
            )
        )

    async def amend_order(
        self, client_order_id: str, symbol: str, qty: Decimal | None, price: Decimal | None
    ) -> OrderReply:
        body: dict[str, Any] = {"instId": symbol, "clOrdId": client_order_id}
        if qty is not None:
            body["newSz"] = num(qty)
        if price is not None:
            body["newPx"] = num(price)
        row = self._first(await self.request("POST", "/api/v5/trade/amend-order", body))
        return self.accepted(client_order_id, row.get("ordId"))

    async def open_orders(self) -> list[OrderUpdate]:
        out: list[OrderUpdate] = []
        params: dict[str, Any] = {"limit": str(_PAGE)}
        while True:
            msg = await self.request("GET", "/api/v5/trade/orders-pending", params)
            page = okx.parse_open_orders(orjson.dumps(msg), self.clock())
            out.extend(page)
            if len(page) < _PAGE:
                return out
            params = {"limit": str(_PAGE), "after": page[-1].venue_order_id}

    async def positions(self) -> list[PositionReport]:
        msg = await self.request("GET", "/api/v5/account/positions")
        return okx.parse_positions(orjson.dumps(msg), self.clock())

    async def balances(self) -> list[BalanceReport]:
        msg = await self.request("GET", "/api/v5/account/balance")
        return okx.parse_balance(orjson.dumps(msg), self.clock())

    async def _cancel_all_after(self, seconds: int) -> None:
        msg = await self.request(
            "POST", "/api/v5/trade/cancel-all-after", {"timeOut": str(seconds)}
        )
        data = msg.get("data")
        if not isinstance(data, list) or not data or not isinstance(data[0], dict):
            raise VenueRequestError("no_data", "cancel-all-after answered no trigger time")

    async def arm_timer(self, symbols: list[str], window_s: float) -> Armed:
        await self._cancel_all_after(int(window_s))
        return Armed(window_s, "account")

    async def disarm_timer(self, symbols: list[str]) -> int:
        # Sent even if this client never armed it: an earlier life may have.
        await self._cancel_all_after(0)
        return 1

    async def login(self, ws: ClientConnection) -> None:
        c = self.credentials
        await ws.send(okx.login_message(c.api_key, c.secret, c.passphrase, self.clock() // 10**9))

        def verdict(msg: Any) -> bool | None:
            if isinstance(msg, dict) and msg.get("event") in ("login", "error"):
                return msg.get("event") == "login" and str(msg.get("code")) == "0"
            return None

        await self.await_reply(ws, verdict, "login")

    def subscribe_messages(self) -> list[str]:
        args = [
            {"channel": "orders", "instType": "ANY"},
            {"channel": "positions", "instType": "ANY"},
            {"channel": "account"},
        ]
        return [orjson.dumps({"op": "subscribe", "args": args}).decode()]

    def ping_message(self) -> str:
        return "ping"

    def control(self, raw: bytes) -> tuple[bool, str | None]:
        if raw == b"pong":
            return True, None
        if b'"event"' in raw and b'"data"' not in raw:
            if b'"error"' in raw:
                log.warning("%s: private stream request refused: %s", self.venue, raw[:200])
            return True, None  # subscribe acknowledgements, notices
        return False, None

    def parse(self, raw: bytes, ts_recv: int) -> list[AccountEvent]:
        return okx.parse_private(raw, ts_recv)
