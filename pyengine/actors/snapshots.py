"""The snapshot formats of the actors that take them (`Actor.snapshot`, version 1 each).

Each is the state the actor's `recover` folds out of the journal, nothing it learnt live:
the runtime snapshots a copy of the actor fed only by `recover`
(`pyengine.runtime.checkpoint`). Decoding is strict (unknown fields refused), so a blob of
another layout raises and the journal is replayed instead of restoring a wrong state.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from pyengine.messages import PlaceOrder
from pyengine.orders import OrderTable
from pyengine.orders.spent import SpentState
from pyengine.orders.table_state import TableState, restore_table, table_state


class OrdersState(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A strategy host's orders."""

    orders: TableState


class ExecutionState(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """An execution actor's orders and the requests of those not yet ended."""

    orders: TableState
    placed: list[PlaceOrder]


class GateState(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The risk gate's orders, positions (venue, symbol, qty, average entry) and the fills
    already counted."""

    orders: TableState
    positions: list[tuple[str, str, Decimal, Decimal]]
    seen_fills: SpentState
    last_fill_ns: list[tuple[str, str, int]]
    fills: int


def encode_orders(table: OrderTable) -> bytes:
    return msgspec.msgpack.encode(OrdersState(orders=table_state(table)))


def decode_orders(blob: bytes, into: OrderTable) -> None:
    restore_table(msgspec.msgpack.decode(blob, type=OrdersState).orders, into)


def encode_execution(table: OrderTable, placed: dict[str, PlaceOrder]) -> bytes:
    return msgspec.msgpack.encode(
        ExecutionState(orders=table_state(table), placed=list(placed.values()))
    )


def decode_execution(blob: bytes, into: OrderTable) -> dict[str, PlaceOrder]:
    """Fills `into`; returns the requests by client order id."""
    state = msgspec.msgpack.decode(blob, type=ExecutionState)
    restore_table(state.orders, into)
    return {p.order.client_order_id: p for p in state.placed}


def encode_gate(state: GateState) -> bytes:
    return msgspec.msgpack.encode(state)


def decode_gate(blob: bytes) -> GateState:
    return msgspec.msgpack.decode(blob, type=GateState)


__all__ = [
    "GateState",
    "decode_execution",
    "decode_gate",
    "decode_orders",
    "encode_execution",
    "encode_gate",
    "encode_orders",
    "table_state",
]
