"""Binance USD-M futures user data stream and account REST, per the venue's docs.

User stream events: `ORDER_TRADE_UPDATE` (order state; `x == "TRADE"` is also a fill),
`TRADE_LITE` (a fill without fees, same trade id as the ORDER_TRADE_UPDATE of that fill:
consumers deduplicate on `fill_id`), `ACCOUNT_UPDATE` (balances `B`, positions `P`).
Hedge-mode positions (`ps` LONG/SHORT) are keyed `<symbol>:<ps>`; one-way (`BOTH`) by symbol.
Signed REST: HMAC-SHA256 hex of the query string with the API secret, `X-MBX-APIKEY` header.
"""

from __future__ import annotations

import hashlib
import hmac
from decimal import Decimal
from typing import Any

from pyengine.messages import BalanceReport, OrderFilled, OrderUpdate, PositionReport
from pyengine.messages.account import VenueOrderStatus
from pyengine.venues.private.common import (
    AccountEvent,
    PrivateMessageError,
    dec,
    loads,
    ms_ns,
    opt_dec,
    side_of,
    text,
)

VENUE = "binance-usdm"

_STATUS: dict[str, VenueOrderStatus] = {
    "NEW": "new",
    "PARTIALLY_FILLED": "partially_filled",
    "FILLED": "filled",
    "CANCELED": "canceled",
    "REJECTED": "rejected",
    "EXPIRED": "expired",
    "EXPIRED_IN_MATCH": "expired",
}


def sign(query: str, secret: str) -> str:
    """The `signature` parameter of a signed request: HMAC-SHA256 hex of the query string."""
    return hmac.new(secret.encode(), query.encode(), hashlib.sha256).hexdigest()


def _position_symbol(p: dict[str, Any]) -> str:
    side = p.get("ps") or p.get("positionSide") or "BOTH"
    sym = text(p, "s" if "s" in p else "symbol")
    return sym if side == "BOTH" else f"{sym}:{side}"


def parse_user_event(raw: bytes, ts_recv: int = 0) -> list[AccountEvent]:
    """Normalised events of one user-data-stream message ([] for events not modelled)."""
    msg = loads(raw)
    if isinstance(msg, dict) and "data" in msg and "stream" in msg:
        msg = msg["data"]
    if not isinstance(msg, dict):
        raise PrivateMessageError("expected an object")
    kind = msg.get("e")
    ts = ms_ns(msg.get("E"))
    if kind == "ORDER_TRADE_UPDATE":
        o = msg.get("o")
        if not isinstance(o, dict):
            raise PrivateMessageError("o: expected an object")
        return _order(o, ts, ts_recv)
    if kind == "TRADE_LITE":
        return [
            OrderFilled(
                ts_event=ms_ns(msg.get("T")) or ts,
                ts_recv=ts_recv,
                client_order_id=text(msg, "c"),
                venue=VENUE,
                symbol=text(msg, "s"),
                side=side_of(msg, "S"),
                fill_id=text(msg, "t"),
                qty=dec(msg, "l"),
                price=dec(msg, "L"),
                liquidity="maker" if msg.get("m") else "taker",
            )
        ]
    if kind == "ACCOUNT_UPDATE":
        a = msg.get("a")
        if not isinstance(a, dict):
            raise PrivateMessageError("a: expected an object")
        out: list[AccountEvent] = [
            BalanceReport(
                ts_event=ts,
                ts_recv=ts_recv,
                venue=VENUE,
                asset=text(b, "a"),
                wallet=dec(b, "wb"),
                available=dec(b, "cw"),  # cross wallet balance: what the stream reports
            )
            for b in a.get("B", [])
        ]
        out.extend(
            PositionReport(
                ts_event=ts,
                ts_recv=ts_recv,
                venue=VENUE,
                symbol=_position_symbol(p),
                qty=dec(p, "pa"),
                entry_price=dec(p, "ep"),
                unrealised_pnl=dec(p, "up"),
            )
            for p in a.get("P", [])
        )
        return out
    if isinstance(kind, str):
        return []  # listenKeyExpired, MARGIN_CALL, ALGO_UPDATE...: not account state here
    raise PrivateMessageError("e: missing event type")


def _order(o: dict[str, Any], ts: int, ts_recv: int) -> list[AccountEvent]:
    status = _STATUS.get(text(o, "X"))
    if status is None:
        raise PrivateMessageError(f"X: unknown order status {o.get('X')!r}")
    price = opt_dec(o, "p", zero_is_none=True)
    update = OrderUpdate(
        ts_event=ms_ns(o.get("T")) or ts,
        ts_recv=ts_recv,
        venue=VENUE,
        symbol=text(o, "s"),
        client_order_id=text(o, "c"),
        venue_order_id=text(o, "i"),
        status=status,
        side=side_of(o, "S"),
        order_type=text(o, "o").lower(),
        qty=dec(o, "q"),
        price=price,
        filled_qty=dec(o, "z"),
        avg_price=opt_dec(o, "ap", zero_is_none=True),
        reduce_only=bool(o.get("R")),
    )
    out: list[AccountEvent] = [update]
    if o.get("x") == "TRADE" and dec(o, "l") > 0:
        out.append(
            OrderFilled(
                ts_event=update.ts_event,
                ts_recv=ts_recv,
                client_order_id=update.client_order_id,
                venue=VENUE,
                symbol=update.symbol,
                side=update.side,
                fill_id=text(o, "t"),
                qty=dec(o, "l"),
                price=dec(o, "L"),
                fee=opt_dec(o, "n") or Decimal(0),
                fee_ccy=str(o.get("N") or ""),
                liquidity="maker" if o.get("m") else "taker",
            )
        )
    return out


def parse_position_risk(raw: bytes, ts_recv: int = 0) -> list[PositionReport]:
    """`GET /fapi/v2/positionRisk` (or v3)."""
    data = loads(raw)
    if not isinstance(data, list):
        raise PrivateMessageError("expected a list")
    return [
        PositionReport(
            ts_event=ms_ns(p.get("updateTime")),
            ts_recv=ts_recv,
            venue=VENUE,
            symbol=_position_symbol(p),
            qty=dec(p, "positionAmt"),
            entry_price=dec(p, "entryPrice"),
            mark_price=opt_dec(p, "markPrice"),
            unrealised_pnl=dec(p, "unRealizedProfit"),
            liquidation_price=opt_dec(p, "liquidationPrice", zero_is_none=True),
        )
        for p in data
    ]


def parse_balances(raw: bytes, ts_recv: int = 0) -> list[BalanceReport]:
    """`GET /fapi/v2/balance` (a list) or the `assets` of `GET /fapi/v2/account`."""
    data = loads(raw)
    if isinstance(data, dict) and isinstance(data.get("assets"), list):
        return [
            BalanceReport(
                ts_event=ms_ns(b.get("updateTime")),
                ts_recv=ts_recv,
                venue=VENUE,
                asset=text(b, "asset"),
                wallet=dec(b, "walletBalance"),
                available=dec(b, "availableBalance"),
                unrealised_pnl=dec(b, "unrealizedProfit"),
                equity=dec(b, "marginBalance"),
            )
            for b in data["assets"]
        ]
    if not isinstance(data, list):
        raise PrivateMessageError("expected a list or an account object")
    return [
        BalanceReport(
            ts_event=ms_ns(b.get("updateTime")),
            ts_recv=ts_recv,
            venue=VENUE,
            asset=text(b, "asset"),
            wallet=dec(b, "balance"),
            available=dec(b, "availableBalance"),
            unrealised_pnl=dec(b, "crossUnPnl"),
        )
        for b in data
    ]


def parse_open_orders(raw: bytes, ts_recv: int = 0) -> list[OrderUpdate]:
    """`GET /fapi/v1/openOrders`."""
    data = loads(raw)
    if not isinstance(data, list):
        raise PrivateMessageError("expected a list")
    out: list[OrderUpdate] = []
    for o in data:
        status = _STATUS.get(text(o, "status"))
        if status is None:
            raise PrivateMessageError(f"status: unknown {o.get('status')!r}")
        out.append(
            OrderUpdate(
                ts_event=ms_ns(o.get("updateTime")),
                ts_recv=ts_recv,
                venue=VENUE,
                symbol=text(o, "symbol"),
                client_order_id=text(o, "clientOrderId"),
                venue_order_id=text(o, "orderId"),
                status=status,
                side=side_of(o, "side"),
                order_type=text(o, "type").lower(),
                qty=dec(o, "origQty"),
                price=opt_dec(o, "price", zero_is_none=True),
                filled_qty=dec(o, "executedQty"),
                avg_price=opt_dec(o, "avgPrice", zero_is_none=True),
                reduce_only=bool(o.get("reduceOnly")),
            )
        )
    return out
