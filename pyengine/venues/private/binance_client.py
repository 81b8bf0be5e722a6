"""Binance USD-M futures account client: signed REST order entry and the user data stream.

Per the venue's docs: signed endpoints carry `timestamp` and `recvWindow`, and `signature`
= hex HMAC-SHA256 of the whole query string, last; the key goes in `X-MBX-APIKEY`. The
user data stream is `<ws>/ws/<listenKey>`, the key from `POST /fapi/v1/listenKey` (which
returns the active key, extended, or a new one), kept alive by a `PUT` at least every 60
minutes. A `listenKeyExpired` event ends the connection; the next one uses a new key. The
stream has no application heartbeat: websocket pings detect a dead connection.

Cancel-on-disconnect is `POST /fapi/v1/countdownCancelAll` (signed; `symbol`,
`countdownTime` in ms, 0 stops it), one countdown per symbol: each arming re-arms every
symbol named (docs/venues.md#binance-usd-m-countdowncancelall).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from decimal import Decimal
from typing import Any, ClassVar
from urllib.parse import urlencode

import orjson

from pyengine.messages import OrderUpdate, PositionReport, SubmitOrder
from pyengine.messages.account import BalanceReport
from pyengine.venues.private import binance
from pyengine.venues.private.client import OrderReply, PrivateClient, limit_terms, num
from pyengine.venues.private.common import AccountEvent, ms_ns
from pyengine.venues.private.deadman import Armed, Scope
from pyengine.venues.private.errors import VenueAuthError, VenueRequestError

log = logging.getLogger("pyengine.venues.private")

#: Codes for a refused key, signature or timestamp (Binance error code list).
AUTH_CODES = frozenset({-1002, -1021, -1022, -2014, -2015})
_TIF = {"gtc": "GTC", "ioc": "IOC", "fok": "FOK", "post_only": "GTX", "gtx": "GTX"}


def order_params(order: SubmitOrder) -> dict[str, str]:
    """`POST /fapi/v1/order` parameters of `order` (raises `VenueRequestError` if it has no
    Binance form)."""
    p = {
        "symbol": order.symbol,
        "side": order.side.upper(),
        "quantity": num(order.qty),
        "newClientOrderId": order.client_order_id,
        "newOrderRespType": "ACK",
    }
    terms = limit_terms(order, _TIF)
    if terms is None:
        p["type"] = "MARKET"
    else:
        tif, price = terms
        p.update(type="LIMIT", timeInForce=tif, price=num(price))
    if order.reduce_only:
        p["reduceOnly"] = "true"
    return p


class BinanceUsdmClient(PrivateClient):
    """One Binance USD-M futures account."""

    venue_name: ClassVar[str] = binance.VENUE
    cancel_on_disconnect_scope: ClassVar[Scope] = "symbol"

    listen_key: str = ""
    _failures_seen = 0
    _countdowns: frozenset[str] = frozenset()
    """Symbols whose countdown this client armed (a clean stop stops each)."""

    def stale_after_s(self) -> float:
        return 24 * 3600.0  # no heartbeat on this stream; Binance ends connections at 24 h

    async def signed(self, method: str, path: str, params: dict[str, str] | None = None) -> Any:
        """A signed request; the decoded answer, or a typed error."""
        p = dict(params or {})
        p["recvWindow"] = str(self.cfg.recv_window_ms)
        p["timestamp"] = str(self.clock() // 1_000_000)
        query = urlencode(p)
        query += "&signature=" + binance.sign(query, self.credentials.secret)
        return await self._call(method, path, query)

    async def _call(self, method: str, path: str, query: str = "") -> Any:
        what = f"{method} {path}"
        status, raw = await self.http(
            method,
            f"{self.rest_base}{path}" + (f"?{query}" if query else ""),
            headers={"X-MBX-APIKEY": self.credentials.api_key},
            what=what,
        )
        body = self.decode(status, raw, what)
        if status == 200:
            return body
        code = body.get("code") if isinstance(body, dict) else None
        msg = body.get("msg", "") if isinstance(body, dict) else str(body)
        if status in (401, 403) or code in AUTH_CODES:
            raise self.auth_failed(what, code, msg)
        raise VenueRequestError(str(code if code is not None else status), str(msg))

    async def place_order(self, order: SubmitOrder) -> OrderReply:
        ack = await self.signed("POST", "/fapi/v1/order", order_params(order))
        return self.accepted(
            order.client_order_id, ack.get("orderId"), ms_ns(ack.get("updateTime"))
        )

    def duplicate_codes(self) -> frozenset[str]:
        return frozenset({"-4116"})  # ClientOrderId is duplicated

    async def lookup(self, client_order_id: str, symbol: str) -> OrderUpdate | None:
        try:
            o = await self.signed(
                "GET", "/fapi/v1/order", {"symbol": symbol, "origClientOrderId": client_order_id}
            )
        except VenueRequestError as exc:
            # Only "Order does not exist" proves the venue has none; any other code (-1006
            # and -1007 "status unknown", rate limits) is not an answer about the order.
            if exc.code == "-2013":
                return None
            raise
        (update,) = binance.parse_open_orders(orjson.dumps([o]), self.clock())
        return update

    async def cancel_order(self, client_order_id: str, symbol: str) -> None:
        await self.signed(
            "DELETE", "/fapi/v1/order", {"symbol": symbol, "origClientOrderId": client_order_id}
        )

    async def amend_order(
        self, client_order_id: str, symbol: str, qty: Decimal | None, price: Decimal | None
    ) -> OrderReply:
        # PUT /fapi/v1/order needs side, quantity and price: the missing ones are the order's.
        current = await self.lookup(client_order_id, symbol)
        if current is None:
            raise VenueRequestError("-2013", "Order does not exist.")
        new_price = price if price is not None else current.price
        if new_price is None:
            raise VenueRequestError("unsupported", "only limit orders can be amended")
        ack = await self.signed(
            "PUT",
            "/fapi/v1/order",
            {
                "symbol": symbol,
                "origClientOrderId": client_order_id,
                "side": current.side.upper(),
                "quantity": num(qty if qty is not None else current.qty),
                "price": num(new_price),
            },
        )
        return self.accepted(client_order_id, ack.get("orderId"), ms_ns(ack.get("updateTime")))

    async def open_orders(self) -> list[OrderUpdate]:
        body = await self.signed("GET", "/fapi/v1/openOrders")
        return binance.parse_open_orders(orjson.dumps(body), self.clock())

    async def positions(self) -> list[PositionReport]:
        body = await self.signed("GET", "/fapi/v2/positionRisk")
        return binance.parse_position_risk(orjson.dumps(body), self.clock())

    async def balances(self) -> list[BalanceReport]:
        body = await self.signed("GET", "/fapi/v2/balance")
        return binance.parse_balances(orjson.dumps(body), self.clock())

    async def _countdown(self, symbol: str, ms: int) -> None:
        body = await self.signed(
            "POST", "/fapi/v1/countdownCancelAll", {"symbol": symbol, "countdownTime": str(ms)}
        )
        if not isinstance(body, dict) or body.get("symbol") != symbol:
            raise VenueRequestError("countdownCancelAll", f"unexpected answer for {symbol}")

    async def arm_timer(self, symbols: list[str], window_s: float) -> Armed:
        ms = max(1, round(window_s * 1000))
        for sym in symbols:
            await self._countdown(sym, ms)
            self._countdowns |= {sym}
        return Armed(window_s, "symbol", tuple(symbols), len(symbols))

    async def disarm_timer(self, symbols: list[str]) -> int:
        armed = sorted(self._countdowns | set(symbols))
        for sym in armed:
            await self._countdown(sym, 0)
            self._countdowns -= {sym}
        return len(armed)

    async def new_listen_key(self) -> str:
        """`POST /fapi/v1/listenKey`: the active key (extended) or a new one."""
        body = await self._call("POST", "/fapi/v1/listenKey")
        key = body.get("listenKey") if isinstance(body, dict) else None
        if not isinstance(key, str) or not key:
            raise VenueRequestError("listenKey", "no key in the answer")
        self.listen_key = key
        return key

    async def before_stream(self) -> None:
        await self.new_listen_key()
        self.stream.spawn(self._keepalive())

    async def _keepalive(self) -> None:
        while True:
            await asyncio.sleep(self.cfg.listen_key_keepalive_s)
            try:
                await self._call("PUT", "/fapi/v1/listenKey")
                self.stream.counters["listen_key_keepalives"] = (
                    self.stream.counters.get("listen_key_keepalives", 0) + 1
                )
            except VenueRequestError as exc:  # -1125: the key does not exist any more
                log.warning("%s: listen key keep-alive refused (%s): new key", self.venue, exc)
                await self._renew()
            except Exception as exc:
                log.warning("%s: listen key keep-alive failed: %s", self.venue, exc)

    async def _renew(self) -> None:
        """A listen key for the next connection; a refused key ends the stream."""
        try:
            await self.new_listen_key()
        except VenueAuthError as exc:
            self.stream.fail(exc)
        except Exception as exc:
            log.warning("%s: no new listen key yet: %s", self.venue, exc)

    def stream_url(self) -> str:
        failures = self.stream.counters["connect_failures"]
        if failures != self._failures_seen:
            # The last attempt was refused: perhaps the key lapsed while away. Ask for one
            # (the active key comes back if it still lives); the next attempt uses it.
            self._failures_seen = failures
            self.stream.spawn(self._renew())
        return f"{self.ws_base}/ws/{self.listen_key}"

    def control(self, raw: bytes) -> tuple[bool, str | None]:
        if b'"listenKeyExpired"' in raw:
            log.warning("%s: listen key expired: reconnecting with a new key", self.venue)
            self.stream.spawn(self.stream.reconnect("listen key expired"))
            return True, None
        return False, None

    async def after_session(self) -> None:
        await self._renew()

    def parse(self, raw: bytes, ts_recv: int) -> list[AccountEvent]:
        return binance.parse_user_event(raw, ts_recv)

    async def close(self) -> None:
        await self.stream.close()
        if self.listen_key and self._http is not None:
            with contextlib.suppress(Exception):
                await self._call("DELETE", "/fapi/v1/listenKey")
        await super().close()
