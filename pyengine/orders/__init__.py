"""Orders: one lifecycle for every actor that tracks orders (pure: no I/O, no loop).

- `state`: `Order`, its `OrderStatus`, the `Trigger`s that move it and the `TRANSITIONS`
  table (NautilusTrader's, with the differences its docstring names);
- `outcome`: whether an `OrderRejected` is a definitive refusal or an unknown outcome;
- `table`: `OrderTable`, the orders of one actor by client order id, fed the wire's events;
- `ids`: deterministic client order ids from a parent id and a child index, within each
  venue's limits.

Imports only `pyengine.messages` and the standard library.
"""

from pyengine.orders.ids import IdRule, OrderIdError, child_order_id, rule_for
from pyengine.orders.outcome import is_ambiguous
from pyengine.orders.state import (
    OPEN,
    TERMINAL,
    TRANSITIONS,
    Change,
    IllegalTransition,
    InvalidFill,
    Order,
    OrderError,
    OrderStatus,
    Rule,
    Trigger,
)
from pyengine.orders.table import DuplicateOrderId, OrderTable, illegal_alert

__all__ = [
    "OPEN",
    "TERMINAL",
    "TRANSITIONS",
    "Change",
    "DuplicateOrderId",
    "IdRule",
    "IllegalTransition",
    "InvalidFill",
    "Order",
    "OrderError",
    "OrderIdError",
    "OrderStatus",
    "OrderTable",
    "Rule",
    "Trigger",
    "child_order_id",
    "illegal_alert",
    "is_ambiguous",
    "rule_for",
]
