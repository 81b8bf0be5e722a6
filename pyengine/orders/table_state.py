"""An `OrderTable` as data, for snapshots (`Actor.snapshot`): every order kept whole, the
ended ones in the order they ended (the next to forget first), the spent ids, the counters.

`restore(state(t))` is the same table: `open_orders` keeps its oldest-first order (orders
are kept in submission order and an order is open from its submit), and the spent ids and
`keep_closed` cap carry over, so a restored table forgets, and refuses, exactly as `t`.
"""

from __future__ import annotations

from collections import deque

import msgspec

from pyengine.orders.spent import SpentIds, SpentState
from pyengine.orders.state import Order
from pyengine.orders.table import OrderTable


class TableState(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    orders: list[Order]
    closed: list[str]
    forgotten: SpentState
    counters: dict[str, int]
    keep_closed: int


def table_state(table: OrderTable) -> TableState:
    return TableState(
        orders=list(table.orders.values()),
        closed=list(table._closed),
        forgotten=table._forgotten.state(),
        counters=dict(table.counters),
        keep_closed=table.keep_closed,
    )


def restore_table(state: TableState, into: OrderTable | None = None) -> OrderTable:
    """The table `state` describes (filled into `into`, which must be empty, if given).

    `into` keeps its own `keep_closed`: ended orders beyond it are forgotten (oldest
    first, their ids spent), as a replay of the journal under that cap would have."""
    table = OrderTable(state.keep_closed) if into is None else into
    if len(table):
        raise ValueError("restore into a table that already holds orders")
    table.orders = {o.client_order_id: o for o in state.orders}
    table._open = {c: o for c, o in table.orders.items() if o.is_open}
    table._closed = deque(state.closed)
    table._forgotten = SpentIds.restore(state.forgotten)
    table.counters.update(state.counters)
    while len(table._closed) > table.keep_closed:
        old = table._closed.popleft()
        del table.orders[old]
        table._forgotten.add(old)
        table.counters["forgotten"] += 1
    return table
