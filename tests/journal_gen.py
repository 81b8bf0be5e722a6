"""Generated journals of order traffic, like the example strategy's: each order is
submitted, approved, accepted, and then filled (in one or two fills) or cancelled; one in
fifty gets an ambiguous outcome first; the newest few stay in flight.

`orders(n)` yields messages stamped with distinct delivery identities (the journal's
unique key), `write_journal(store, rows)` commits about `rows` of them in large
transactions straight to the store (the recorder's path, without the bus).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import msgspec

from pyengine.messages import (
    CancelOrder,
    Message,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderStatusUnknown,
    PlaceOrder,
    SubmitOrder,
)
from pyengine.messages.execution import Side
from pyengine.store import Store

VENUE = "binance-usdm"
SYMBOL = "BTCUSDT"
STRATEGY = "strategy"
IN_FLIGHT = 3
"""Orders at the end of a generated journal that never got an answer."""


def _lifecycle(i: int, ts: int, answered: bool) -> list[Message]:
    coid = f"o-{STRATEGY}-1-{i}"
    side: Side = "buy" if i % 2 or i % 7 == 0 else "sell"
    qty = Decimal("0.002")
    sub = SubmitOrder(
        ts_event=ts,
        ts_recv=ts,
        client_order_id=coid,
        venue=VENUE,
        symbol=SYMBOL,
        side=side,
        qty=qty,
        price=Decimal(60_000 + i % 50),
        strategy=STRATEGY,
    )
    out: list[Message] = [sub, PlaceOrder(ts_event=ts, ts_recv=ts, order=sub)]
    if not answered:
        return out
    if i % 50 == 7:
        out.append(
            OrderStatusUnknown(
                ts_event=ts, ts_recv=ts, client_order_id=coid, venue=VENUE, codes=["timeout"]
            )
        )
    out.append(
        OrderAccepted(
            ts_event=ts, ts_recv=ts, client_order_id=coid, venue=VENUE, venue_order_id=f"v{i}"
        )
    )
    if i % 3 == 0:
        out.append(CancelOrder(ts_event=ts, ts_recv=ts, client_order_id=coid, venue=VENUE))
        out.append(OrderCanceled(ts_event=ts, ts_recv=ts, client_order_id=coid, venue=VENUE))
        return out
    parts = (qty,) if i % 3 == 1 else (Decimal("0.001"), Decimal("0.001"))
    for k, q in enumerate(parts):
        out.append(
            OrderFilled(
                ts_event=ts,
                ts_recv=ts,
                client_order_id=coid,
                venue=VENUE,
                symbol=SYMBOL,
                side=side,
                fill_id=f"t{i}-{k}",
                qty=q,
                price=Decimal(60_000 + i % 50),
                fee=Decimal("0.05"),
                fee_ccy="USDT",
            )
        )
    return out


def orders(n_orders: int, start: int = 0, t0: int = 1_700_000_000_000_000_000) -> Iterator[Message]:
    """The messages of orders `start` .. `start + n_orders`, stamped (src, epoch, seq)."""
    replace = msgspec.structs.replace
    for i in range(start, start + n_orders):
        answered = i < start + n_orders - IN_FLIGHT
        for k, msg in enumerate(_lifecycle(i, t0 + i * 1_000_000, answered)):
            yield replace(msg, src="gen", epoch=1, seq=i * 16 + k + 1)


ROWS_PER_ORDER = 4.7
"""About how many journal rows one generated order takes."""


def write_journal(store: Store, rows: int, batch: int = 20_000) -> int:
    """Commit about `rows` journal rows of generated orders; returns the rows written."""
    written = 0
    for msg in orders(max(IN_FLIGHT + 1, int(rows / ROWS_PER_ORDER))):
        store.stage(msg)
        if store.staged >= batch:
            written += store.commit()
    return written + store.commit()
