"""Bybit v5 private stream (`order`, `execution`, `position`, `wallet`) and account REST.

Symbols are keyed `<category>:<symbol>` as in market data (linear and spot share names).
Stream auth per the docs: `{"op":"auth","args":[key, expires_ms, sign]}` with sign the hex
HMAC-SHA256 of `"GET/realtime" + expires_ms`. REST auth: hex HMAC-SHA256 of
`timestamp + api_key + recv_window + query string` in `X-BAPI-SIGN`.
"""

from __future__ import annotations

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

VENUE = "bybit"

_STATUS: dict[str, VenueOrderStatus] = {
    "New": "new",
    "Created": "new",
    "Untriggered": "new",
    "Triggered": "new",
    "Active": "new",
    "PartiallyFilled": "partially_filled",
    "Filled": "filled",
    "Cancelled": "canceled",
    "PartiallyFilledCanceled": "canceled",
    "Rejected": "rejected",
    "Deactivated": "expired",
}


def auth_message(api_key: str, secret: str, expires_ms: int) -> str:
    """The websocket `auth` request."""
    sig = hmac.new(secret.encode(), f"GET/realtime{expires_ms}".encode(), hashlib.sha256)
    return orjson.dumps({"op": "auth", "args": [api_key, expires_ms, sig.hexdigest()]}).decode()


def rest_signature(
    secret: str, timestamp_ms: int, api_key: str, recv_window: int, query: str
) -> str:
    """`X-BAPI-SIGN` of a GET request (`query` is the URL query string)."""
    payload = f"{timestamp_ms}{api_key}{recv_window}{query}"
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def _sym(r: dict[str, Any], category: str | None) -> str:
    cat = r.get("category") or category or "linear"
    return f"{cat}:{text(r, 'symbol')}"


def _order(r: dict[str, Any], ts_recv: int, category: str | None = None) -> OrderUpdate:
    status = _STATUS.get(text(r, "orderStatus"))
    if status is None:
        raise PrivateMessageError(f"orderStatus: unknown {r.get('orderStatus')!r}")
    return OrderUpdate(
        ts_event=ms_ns(r.get("updatedTime")),
        ts_recv=ts_recv,
        venue=VENUE,
        symbol=_sym(r, category),
        client_order_id=str(r.get("orderLinkId") or r.get("orderId") or ""),
        venue_order_id=text(r, "orderId"),
        status=status,
        side=side_of(r, "side"),
        order_type=text(r, "orderType").lower(),
        qty=dec(r, "qty"),
        price=opt_dec(r, "price", zero_is_none=True),
        filled_qty=opt_dec(r, "cumExecQty") or Decimal(0),
        avg_price=opt_dec(r, "avgPrice", zero_is_none=True),
        reduce_only=bool(r.get("reduceOnly")),
        reason="" if r.get("rejectReason") in (None, "", "EC_NoError") else str(r["rejectReason"]),
    )


def _position(r: dict[str, Any], ts_recv: int, category: str | None = None) -> PositionReport:
    size = dec(r, "size")
    return PositionReport(
        ts_event=ms_ns(r.get("updatedTime")),
        ts_recv=ts_recv,
        venue=VENUE,
        symbol=_sym(r, category),
        qty=-size if r.get("side") == "Sell" else size,
        entry_price=opt_dec(r, "entryPrice") or opt_dec(r, "avgPrice") or Decimal(0),
        mark_price=opt_dec(r, "markPrice"),
        unrealised_pnl=opt_dec(r, "unrealisedPnl") or Decimal(0),
        liquidation_price=opt_dec(r, "liqPrice", zero_is_none=True),
    )


def _balances(account: dict[str, Any], ts: int, ts_recv: int) -> list[BalanceReport]:
    out: list[BalanceReport] = []
    for c in rows(account, "coin"):
        available = opt_dec(c, "availableToWithdraw")
        out.append(
            BalanceReport(
                ts_event=ts,
                ts_recv=ts_recv,
                venue=VENUE,
                asset=text(c, "coin"),
                wallet=dec(c, "walletBalance"),
                available=available if available is not None else dec(c, "walletBalance"),
                unrealised_pnl=opt_dec(c, "unrealisedPnl") or Decimal(0),
                equity=opt_dec(c, "equity"),
            )
        )
    return out


def parse_private(raw: bytes, ts_recv: int = 0) -> list[AccountEvent]:
    """Normalised events of one private-stream message ([] for acks and pongs)."""
    msg = loads(raw)
    if not isinstance(msg, dict):
        raise PrivateMessageError("expected an object")
    topic = msg.get("topic")
    if topic is None:
        if "op" in msg:
            return []  # auth/subscribe acknowledgements, pongs
        raise PrivateMessageError("topic: missing")
    ts = ms_ns(msg.get("creationTime"))
    data = rows(msg)
    if topic == "order":
        return [_order(r, ts_recv) for r in data]
    if topic == "execution":
        return [
            OrderFilled(
                ts_event=ms_ns(r.get("execTime")) or ts,
                ts_recv=ts_recv,
                client_order_id=str(r.get("orderLinkId") or r.get("orderId") or ""),
                venue=VENUE,
                symbol=_sym(r, None),
                side=side_of(r, "side"),
                fill_id=text(r, "execId"),
                qty=dec(r, "execQty"),
                price=dec(r, "execPrice"),
                fee=dec(r, "execFee"),
                fee_ccy=str(r.get("feeCurrency") or ""),
                liquidity="maker" if r.get("isMaker") else "taker",
            )
            for r in data
            if r.get("execType", "Trade") == "Trade"  # Funding/AdlTrade/BustTrade: not our fills
        ]
    if topic == "position":
        return [_position(r, ts_recv) for r in data]
    if topic == "wallet":
        out: list[AccountEvent] = []
        for account in data:
            out.extend(_balances(account, ts, ts_recv))
        return out
    return []


def _result_list(raw: bytes) -> tuple[list[dict[str, Any]], str | None]:
    msg = loads(raw)
    if not isinstance(msg, dict) or msg.get("retCode") != 0:
        code = msg.get("retCode") if isinstance(msg, dict) else None
        raise PrivateMessageError(f"retCode {code}: {msg.get('retMsg') if code else msg}")
    result = msg.get("result")
    if not isinstance(result, dict):
        raise PrivateMessageError("result: expected an object")
    return rows(result, "list"), result.get("category")


def parse_positions(raw: bytes, ts_recv: int = 0) -> list[PositionReport]:
    """`GET /v5/position/list`."""
    data, category = _result_list(raw)
    return [_position(r, ts_recv, category) for r in data]


def parse_wallet(raw: bytes, ts_recv: int = 0) -> list[BalanceReport]:
    """`GET /v5/account/wallet-balance`."""
    data, _ = _result_list(raw)
    out: list[BalanceReport] = []
    for account in data:
        out.extend(_balances(account, 0, ts_recv))
    return out


def parse_open_orders(raw: bytes, ts_recv: int = 0) -> list[OrderUpdate]:
    """`GET /v5/order/realtime`."""
    data, category = _result_list(raw)
    return [_order(r, ts_recv, category) for r in data]
