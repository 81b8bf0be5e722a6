"""How a message becomes rows: one journal row, plus one row in its typed table.

Every row carries the message's delivery identity `(src, epoch, topic, seq)` as a unique key,
so writing the same message twice (a resend after a lost ack) leaves one row: the store is
the recorder's idempotency.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pyengine.messages import (
    AlertCleared,
    AlertRaised,
    CancelOrder,
    Message,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderRejected,
    OrderStatusUnknown,
    PauseMinting,
    PlaceOrder,
    QuoteIssued,
    RequestTransfer,
    ResumeMinting,
    SubmitOrder,
    TransferConfirmed,
    TransferFailed,
    TransferRequested,
    TransferSubmitted,
    encode,
    tag_of,
)

Row = tuple[Any, ...]

KEY_COLUMNS = ("src", "epoch", "topic", "seq")
JOURNAL_COLUMNS = (*KEY_COLUMNS, "type", "ts_event", "ts_recv", "payload")


def _num(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _order(msg: Message) -> Row:
    if isinstance(msg, PlaceOrder):
        o = msg.order
        return (o.client_order_id, o.venue, o.symbol, o.side, _num(o.qty), _num(o.price), "")
    if isinstance(msg, SubmitOrder):
        return (
            msg.client_order_id,
            msg.venue,
            msg.symbol,
            msg.side,
            _num(msg.qty),
            _num(msg.price),
            "",
        )
    if isinstance(msg, OrderRejected | OrderCanceled | OrderStatusUnknown):
        return (msg.client_order_id, msg.venue, None, None, None, None, msg.reason)
    if isinstance(msg, OrderAccepted | CancelOrder):
        return (msg.client_order_id, msg.venue, None, None, None, None, "")
    raise TypeError(type(msg).__name__)


def _fill(msg: Message) -> Row:
    assert isinstance(msg, OrderFilled)
    return (
        msg.fill_id,
        msg.client_order_id,
        msg.venue,
        msg.symbol,
        msg.side,
        _num(msg.qty),
        _num(msg.price),
        _num(msg.fee),
        msg.fee_ccy,
        msg.liquidity,
    )


def _quote(msg: Message) -> Row:
    assert isinstance(msg, QuoteIssued)
    return (
        msg.quote_id,
        msg.side,
        msg.asset,
        _num(msg.collateral_amount),
        _num(msg.usde_amount),
        _num(msg.price),
        msg.expires_ns,
    )


def _transfer(msg: Message) -> Row:
    if isinstance(msg, RequestTransfer | TransferRequested):
        return (
            msg.transfer_id,
            msg.custodian,
            msg.kind,
            msg.venue,
            msg.asset,
            _num(msg.amount),
            "",
        )
    if isinstance(msg, TransferFailed):
        return (msg.transfer_id, msg.custodian, None, None, None, None, msg.reason)
    if isinstance(msg, TransferConfirmed):
        return (msg.transfer_id, msg.custodian, None, None, None, _num(msg.settled_amount), "")
    if isinstance(msg, TransferSubmitted):
        return (msg.transfer_id, msg.custodian, None, None, None, None, msg.external_id)
    raise TypeError(type(msg).__name__)


def _alert(msg: Message) -> Row:
    if isinstance(msg, AlertRaised):
        return (msg.alert_id, msg.severity, msg.source, msg.code, msg.text)
    if isinstance(msg, AlertCleared):
        return (msg.alert_id, None, msg.source, "cleared", "")
    if isinstance(msg, PauseMinting | ResumeMinting):
        return (tag_of(type(msg)), "critical", msg.by, tag_of(type(msg)), msg.reason)
    raise TypeError(type(msg).__name__)


@dataclass(frozen=True, slots=True)
class Table:
    """A typed table: its columns (after the key and `type`) and the row maker."""

    name: str
    columns: tuple[str, ...]
    row: Callable[[Message], Row]


ORDERS = Table(
    "orders", ("client_order_id", "venue", "symbol", "side", "qty", "price", "reason"), _order
)
FILLS = Table(
    "fills",
    (
        "fill_id",
        "client_order_id",
        "venue",
        "symbol",
        "side",
        "qty",
        "price",
        "fee",
        "fee_ccy",
        "liquidity",
    ),
    _fill,
)
QUOTES = Table(
    "quotes",
    ("quote_id", "side", "asset", "collateral_amount", "usde_amount", "price", "expires_ns"),
    _quote,
)
TRANSFERS = Table(
    "transfers",
    ("transfer_id", "custodian", "kind", "venue", "asset", "amount", "detail"),
    _transfer,
)
ALERTS = Table("alerts", ("alert_id", "severity", "source", "code", "text"), _alert)

TABLES = (ORDERS, FILLS, QUOTES, TRANSFERS, ALERTS)

TABLE_OF: dict[type[Message], Table] = {
    SubmitOrder: ORDERS,
    CancelOrder: ORDERS,
    PlaceOrder: ORDERS,
    OrderAccepted: ORDERS,
    OrderRejected: ORDERS,
    OrderCanceled: ORDERS,
    OrderStatusUnknown: ORDERS,
    OrderFilled: FILLS,
    QuoteIssued: QUOTES,
    RequestTransfer: TRANSFERS,
    TransferRequested: TRANSFERS,
    TransferSubmitted: TRANSFERS,
    TransferConfirmed: TRANSFERS,
    TransferFailed: TRANSFERS,
    AlertRaised: ALERTS,
    AlertCleared: ALERTS,
    PauseMinting: ALERTS,
    ResumeMinting: ALERTS,
}


def journal_row(msg: Message, topic: str) -> Row:
    """The journal row of a message (its payload is the exact wire msgpack)."""
    return (
        msg.src,
        msg.epoch,
        topic,
        msg.seq,
        tag_of(type(msg)),
        msg.ts_event,
        msg.ts_recv,
        encode(msg),
    )


def typed_row(msg: Message, topic: str) -> tuple[Table, Row] | None:
    """The typed table and row of a message, or None if only the journal keeps it."""
    table = TABLE_OF.get(type(msg))
    if table is None:
        return None
    return table, (msg.src, msg.epoch, topic, msg.seq, tag_of(type(msg)), *table.row(msg))
