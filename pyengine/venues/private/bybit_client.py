"""Bybit v5 account client: signed REST order entry and the private stream.

Per the venue's docs: REST requests carry `X-BAPI-API-KEY`, `X-BAPI-TIMESTAMP`,
`X-BAPI-RECV-WINDOW` and `X-BAPI-SIGN` = hex HMAC-SHA256 of timestamp + key + recv window
+ (query string for GET, raw JSON body for POST); answers are HTTP 200 with `retCode`
(0 = success). The private stream (`/v5/private`) takes `{"op":"auth"}` first, then
subscribes `order`, `execution`, `position` and `wallet`; `{"op":"ping"}` every 20 s.
Symbols are `<category>:<symbol>` as in the parsers; a plain symbol is in `cfg.category`.

Cancel-on-disconnect is Bybit's Disconnection Protection (DCP): `POST
/v5/order/disconnected-cancel-all` sets the window (`timeWindow`, 3..300 s) for a product
(`DERIVATIVES` here; the venue's default is options), and the private connection must
subscribe `dcp.future`; once every connection so subscribed is gone for the window, the
venue cancels the account's derivatives orders. The heartbeat is the connection itself:
the window is set once per client, and there is no API to switch DCP off (the account
manager does), so a clean stop cannot disarm it (docs/venues.md#bybit-disconnection-protection).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any, ClassVar, TypeVar
from urllib.parse import urlencode

import orjson
from websockets.asyncio.client import ClientConnection

from pyengine.messages import OrderUpdate, PositionReport, SubmitOrder
from pyengine.messages.account import BalanceReport
from pyengine.venues.private import bybit
from pyengine.venues.private.client import OrderReply, PrivateClient, limit_terms, num
from pyengine.venues.private.common import AccountEvent
from pyengine.venues.private.deadman import Armed, Scope
from pyengine.venues.private.errors import VenueRequestError

log = logging.getLogger("pyengine.venues.private")

#: retCodes for a refused key, signature, permission or timestamp.
AUTH_CODES = frozenset({10002, 10003, 10004, 10005, 10007, 10009, 10010, 33004})
TOPICS = ("order", "execution", "position", "wallet")
DCP_TOPIC = "dcp.future"
"""The DCP topic of derivatives (product `DERIVATIVES`)."""
_TIF = {"gtc": "GTC", "ioc": "IOC", "fok": "FOK", "post_only": "PostOnly", "gtx": "PostOnly"}
T = TypeVar("T")


def order_body(order: SubmitOrder, category: str, symbol: str) -> dict[str, Any]:
    """`POST /v5/order/create` body of `order`."""
    b: dict[str, Any] = {
        "category": category,
        "symbol": symbol,
        "side": order.side.capitalize(),
        "qty": num(order.qty),
        "orderLinkId": order.client_order_id,
    }
    terms = limit_terms(order, _TIF)
    if terms is None:
        b["orderType"] = "Market"
    else:
        tif, price = terms
        b.update(orderType="Limit", timeInForce=tif, price=num(price))
    if order.reduce_only:
        b["reduceOnly"] = True
    return b


class BybitClient(PrivateClient):
    """One Bybit v5 (unified) account."""

    venue_name: ClassVar[str] = bybit.VENUE
    cancel_on_disconnect_scope: ClassVar[Scope] = "connection"
    _dcp_window = 0

    def split(self, symbol: str) -> tuple[str, str]:
        """(category, venue symbol) of an engine symbol."""
        cat, sep, sym = symbol.partition(":")
        return (cat, sym) if sep else (self.cfg.category, symbol)

    async def request(
        self, method: str, path: str, params: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """A signed request; the answer with retCode 0, or a typed error."""
        ts = str(self.clock() // 1_000_000)
        recv = str(self.cfg.recv_window_ms)
        key, secret = self.credentials.api_key, self.credentials.secret
        url = f"{self.rest_base}{path}"
        body: bytes | None = None
        if method == "GET":
            payload = urlencode(params or {})
            url += f"?{payload}" if payload else ""
        else:
            body = orjson.dumps(params or {})
            payload = body.decode()
        sign = bybit.rest_signature(secret, int(ts), key, int(recv), payload)
        what = f"{method} {path}"
        status, raw = await self.http(
            method,
            url,
            headers={
                "X-BAPI-API-KEY": key,
                "X-BAPI-TIMESTAMP": ts,
                "X-BAPI-RECV-WINDOW": recv,
                "X-BAPI-SIGN": sign,
                "Content-Type": "application/json",
            },
            body=body,
            what=what,
        )
        msg = self.decode(status, raw, what)
        code = msg.get("retCode") if isinstance(msg, dict) else None
        text = msg.get("retMsg", "") if isinstance(msg, dict) else str(msg)
        if status in (401, 403) or code in AUTH_CODES:
            raise self.auth_failed(what, code, text)
        if code != 0 or not isinstance(msg, dict):
            raise VenueRequestError(str(code if code is not None else status), str(text))
        return msg

    async def place_order(self, order: SubmitOrder) -> OrderReply:
        cat, sym = self.split(order.symbol)
        msg = await self.request("POST", "/v5/order/create", order_body(order, cat, sym))
        result = msg.get("result") or {}
        return self.accepted(order.client_order_id, result.get("orderId"))

    def duplicate_codes(self) -> frozenset[str]:
        return frozenset({"110072"})  # OrderLinkedID is duplicate

    async def lookup(self, client_order_id: str, symbol: str) -> OrderUpdate | None:
        cat, sym = self.split(symbol)
        msg = await self.request(
            "GET",
            "/v5/order/realtime",
            {"category": cat, "symbol": sym, "orderLinkId": client_order_id},
        )
        found = bybit.parse_open_orders(orjson.dumps(msg), self.clock())
        return found[0] if found else None

    async def cancel_order(self, client_order_id: str, symbol: str) -> None:
        cat, sym = self.split(symbol)
        await self.request(
            "POST",
            "/v5/order/cancel",
            {"category": cat, "symbol": sym, "orderLinkId": client_order_id},
        )

    async def amend_order(
        self, client_order_id: str, symbol: str, qty: Decimal | None, price: Decimal | None
    ) -> OrderReply:
        cat, sym = self.split(symbol)
        body: dict[str, Any] = {"category": cat, "symbol": sym, "orderLinkId": client_order_id}
        if qty is not None:
            body["qty"] = num(qty)
        if price is not None:
            body["price"] = num(price)
        msg = await self.request("POST", "/v5/order/amend", body)
        return self.accepted(client_order_id, (msg.get("result") or {}).get("orderId"))

    async def _pages(self, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Every page of a cursor-paginated list."""
        out: list[dict[str, Any]] = []
        cursor = ""
        while True:
            msg = await self.request(
                "GET", path, {**params, **({"cursor": cursor} if cursor else {})}
            )
            out.append(msg)
            cursor = str((msg.get("result") or {}).get("nextPageCursor") or "")
            if not cursor:
                return out

    async def _per_settle_coin(
        self, path: str, limit: str, parse: Callable[[bytes, int], list[T]]
    ) -> list[T]:
        """Every page of `path`'s list for each configured settle coin, parsed."""
        out: list[T] = []
        for coin in self.cfg.settle_coins:
            params = {"category": self.cfg.category, "settleCoin": coin, "limit": limit}
            for page in await self._pages(path, params):
                out.extend(parse(orjson.dumps(page), self.clock()))
        return out

    async def open_orders(self) -> list[OrderUpdate]:
        return await self._per_settle_coin("/v5/order/realtime", "50", bybit.parse_open_orders)

    async def positions(self) -> list[PositionReport]:
        return await self._per_settle_coin("/v5/position/list", "200", bybit.parse_positions)

    async def balances(self) -> list[BalanceReport]:
        msg = await self.request(
            "GET", "/v5/account/wallet-balance", {"accountType": self.cfg.account_type}
        )
        return bybit.parse_wallet(orjson.dumps(msg), self.clock())

    async def login(self, ws: ClientConnection) -> None:
        expires = self.clock() // 1_000_000 + int(self.cfg.open_timeout_s * 1000)
        c = self.credentials
        await ws.send(bybit.auth_message(c.api_key, c.secret, expires))

        def verdict(msg: Any) -> bool | None:
            if isinstance(msg, dict) and msg.get("op") == "auth":
                return msg.get("success") is True
            return None

        await self.await_reply(ws, verdict, "auth")

    async def arm_timer(self, symbols: list[str], window_s: float) -> Armed:
        window = int(window_s)
        if self._dcp_window == window:
            return Armed(window_s, "connection", requests=0)  # the connection is the heartbeat
        await self.request(
            "POST",
            "/v5/order/disconnected-cancel-all",
            {"product": "DERIVATIVES", "timeWindow": window},
        )
        self._dcp_window = window
        return Armed(window_s, "connection")

    async def disarm_timer(self, symbols: list[str]) -> int:
        if self._dcp_window:
            log.info(
                "%s: DCP cannot be switched off by API: open derivatives orders are cancelled"
                " %d s after the private connection closes",
                self.venue,
                self._dcp_window,
            )
        return 0

    def subscribe_messages(self) -> list[str]:
        topics = [*TOPICS, DCP_TOPIC] if self.cancel_on_disconnect_s > 0 else list(TOPICS)
        return [orjson.dumps({"op": "subscribe", "args": topics}).decode()]

    def ping_message(self) -> str:
        return '{"op":"ping"}'

    def control(self, raw: bytes) -> tuple[bool, str | None]:
        if b'"topic":"dcp' in raw.replace(b" ", b""):
            return True, None  # DCP status pushes: nothing for the account's state
        if b'"topic"' in raw:
            return False, None
        if b'"success":false' in raw.replace(b" ", b""):
            log.warning("%s: private stream request refused: %s", self.venue, raw[:200])
        return True, None  # pongs and acknowledgements

    def parse(self, raw: bytes, ts_recv: int) -> list[AccountEvent]:
        return bybit.parse_private(raw, ts_recv)
