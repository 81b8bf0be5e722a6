"""OKX v5 private channels (`orders`, `account`) and positions REST.

Login per the docs: `{"op":"login","args":[{apiKey, passphrase, timestamp, sign}]}`, sign
= base64 HMAC-SHA256 of `timestamp + "GET" + "/users/self/verify"` (timestamp in seconds).
REST: base64 HMAC-SHA256 of `iso timestamp + method + request path (+ query) + body`.
OKX reports fees as negative amounts charged; `OrderFilled.fee` is the amount paid, so the
sign is flipped (a rebate is a negative fee).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from decimal import Decimal
from typing import Any

import orjson

from pyengine.messages import BalanceReport, OrderFilled, OrderUpdate, PositionReport
from pyengine.messages.account import VenueOrderStatus
from pyengine.venues.private.common import (
    AccountEvent,
    PrivateMessageError,
    dec,
    loads,
    ms_ns,
    opt_dec,
    rows,
    side_of,
    text,
)

VENUE = "okx"

_STATUS: dict[str, VenueOrderStatus] = {
    "live": "new",
    "partially_filled": "partially_filled",
    "filled": "filled",
    "canceled": "canceled",
    "mmp_canceled": "canceled",
}


def _b64_hmac(secret: str, payload: str) -> str:
    mac = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()
    return base64.b64encode(mac).decode()


def login_message(api_key: str, secret: str, passphrase: str, timestamp_s: int) -> str:
    """The websocket `login` request."""
    sign = _b64_hmac(secret, f"{timestamp_s}GET/users/self/verify")
    arg = {"apiKey": api_key, "passphrase": passphrase, "timestamp": str(timestamp_s), "sign": sign}
    return orjson.dumps({"op": "login", "args": [arg]}).decode()


def rest_signature(secret: str, iso_ts: str, method: str, path: str, body: str = "") -> str:
    """`OK-ACCESS-SIGN` of a REST request."""
    return _b64_hmac(secret, f"{iso_ts}{method.upper()}{path}{body}")


def _order(r: dict[str, Any], ts_recv: int) -> list[AccountEvent]:
    status = _STATUS.get(text(r, "state"))
    if status is None:
        raise PrivateMessageError(f"state: unknown {r.get('state')!r}")
    update = OrderUpdate(
        ts_event=ms_ns(r.get("uTime")),
        ts_recv=ts_recv,
        venue=VENUE,
        symbol=text(r, "instId"),
        client_order_id=str(r.get("clOrdId") or r.get("ordId") or ""),
        venue_order_id=text(r, "ordId"),
        status=status,
        side=side_of(r, "side"),
        order_type=text(r, "ordType"),
        qty=dec(r, "sz"),
        price=opt_dec(r, "px"),
        filled_qty=opt_dec(r, "accFillSz") or Decimal(0),
        avg_price=opt_dec(r, "avgPx", zero_is_none=True),
        reduce_only=r.get("reduceOnly") == "true",
    )
    out: list[AccountEvent] = [update]
    fill = opt_dec(r, "fillSz")
    if fill and r.get("tradeId"):
        fee = opt_dec(r, "fee") or Decimal(0)
        out.append(
            OrderFilled(
                ts_event=ms_ns(r.get("fillTime")) or update.ts_event,
                ts_recv=ts_recv,
                client_order_id=update.client_order_id,
                venue=VENUE,
                symbol=update.symbol,
                side=update.side,
                fill_id=text(r, "tradeId"),
                qty=fill,
                price=dec(r, "fillPx"),
                fee=-fee,
                fee_ccy=str(r.get("feeCcy") or ""),
                liquidity="maker" if r.get("execType") == "M" else "taker",
            )
        )
    return out


def parse_private(raw: bytes, ts_recv: int = 0) -> list[AccountEvent]:
    """Normalised events of one private-channel message ([] for events and pongs)."""
    if raw == b"pong":
        return []
    msg = loads(raw)
    if not isinstance(msg, dict):
        raise PrivateMessageError("expected an object")
    if "event" in msg:
        return []  # login/subscribe acknowledgements (errors are raised by the client)
    arg = msg.get("arg")
    channel = arg.get("channel") if isinstance(arg, dict) else None
    data = rows(msg)
    if channel == "orders":
        out: list[AccountEvent] = []
        for r in data:
            out.extend(_order(r, ts_recv))
        return out
    if channel == "account":
        balances: list[AccountEvent] = []
        for account in data:
            balances.extend(_balances(account, ts_recv))
        return balances
    if channel == "positions":
        return [_position(r, ts_recv) for r in data]
    raise PrivateMessageError(f"arg.channel: unexpected {channel!r}")


def _balances(account: dict[str, Any], ts_recv: int) -> list[BalanceReport]:
    return [
        BalanceReport(
            ts_event=ms_ns(d.get("uTime")),
            ts_recv=ts_recv,
            venue=VENUE,
            asset=text(d, "ccy"),
            wallet=dec(d, "cashBal"),
            available=dec(d, "availBal"),
            unrealised_pnl=opt_dec(d, "upl") or Decimal(0),
            equity=opt_dec(d, "eq"),
        )
        for d in rows(account, "details")
    ]


def _position(r: dict[str, Any], ts_recv: int) -> PositionReport:
    qty = dec(r, "pos")
    if r.get("posSide") == "short" and qty > 0:
        qty = -qty
    return PositionReport(
        ts_event=ms_ns(r.get("uTime")),
        ts_recv=ts_recv,
        venue=VENUE,
        symbol=text(r, "instId"),
        qty=qty,
        entry_price=opt_dec(r, "avgPx") or Decimal(0),
        mark_price=opt_dec(r, "markPx"),
        unrealised_pnl=opt_dec(r, "upl") or Decimal(0),
        settle_ccy=str(r.get("ccy") or ""),
        liquidation_price=opt_dec(r, "liqPx", zero_is_none=True),
    )


def _rest_rows(raw: bytes) -> list[dict[str, Any]]:
    """The `data` rows of a REST answer with code "0"."""
    msg = loads(raw)
    if not isinstance(msg, dict) or msg.get("code") != "0":
        raise PrivateMessageError(f"code {msg.get('code') if isinstance(msg, dict) else msg}")
    return rows(msg)


def parse_positions(raw: bytes, ts_recv: int = 0) -> list[PositionReport]:
    """`GET /api/v5/account/positions`."""
    return [_position(r, ts_recv) for r in _rest_rows(raw)]


def parse_open_orders(raw: bytes, ts_recv: int = 0) -> list[OrderUpdate]:
    """`GET /api/v5/trade/orders-pending`."""
    out: list[OrderUpdate] = []
    for r in _rest_rows(raw):
        first = _order(r, ts_recv)[0]
        assert isinstance(first, OrderUpdate)
        out.append(first)
    return out


def parse_balance(raw: bytes, ts_recv: int = 0) -> list[BalanceReport]:
    """`GET /api/v5/account/balance` (the same account objects as the `account` channel)."""
    out: list[BalanceReport] = []
    for account in _rest_rows(raw):
        out.extend(_balances(account, ts_recv))
    return out
