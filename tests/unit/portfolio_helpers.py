"""Messages and holdings for the portfolio tests (the simulated world's instruments)."""

from __future__ import annotations

import functools
from decimal import Decimal

from pyengine.messages import BookTop, OrderFilled
from pyengine.portfolio import Holdings, Instruments
from pyengine.runtime.embedded import sim_instruments

T0 = 1_700_000_000_000_000_000
_fid = iter(range(1, 10**9))


@functools.cache
def instruments() -> Instruments:
    out = Instruments()
    for venue, path, symbols in sim_instruments(T0 // 1_000_000):
        out.load(venue, path, symbols)
    return out


def holdings(custody: dict[str, str] | None = None, count_upl: bool = True) -> Holdings:
    h = Holdings(instruments(), count_upl=count_upl)
    for ccy, amount in (custody or {}).items():
        h.fund("copper", ccy, Decimal(amount))
    return h


def fill(
    venue: str,
    symbol: str,
    side: str,
    qty: str | Decimal,
    price: str | Decimal,
    *,
    fid: str = "",
    parent: str = "",
    fee: str = "0",
    fee_ccy: str = "",
    ts: int = T0,
) -> OrderFilled:
    return OrderFilled(
        ts_event=ts,
        ts_recv=ts,
        client_order_id=f"c{fid}",
        venue=venue,
        symbol=symbol,
        side="buy" if side == "buy" else "sell",
        fill_id=fid or f"F{next(_fid)}",
        qty=Decimal(qty),
        price=Decimal(price),
        fee=Decimal(fee),
        fee_ccy=fee_ccy,
        parent_id=parent,
    )


def book(venue: str, symbol: str, mid: str | Decimal, ts: int = T0) -> BookTop:
    """A one-level book whose mid is exactly `mid` (bid and ask 0.5 either side)."""
    m = Decimal(mid)
    half = Decimal("0.5")
    return BookTop(
        ts_event=ts,
        ts_recv=ts,
        venue=venue,
        symbol=symbol,
        bids=[(str(m - half), "1")],
        asks=[(str(m + half), "1")],
    )


def future(venue: str, asset: str) -> str:
    """The dated future of `asset` the world lists on `venue` at T0."""
    (sym,) = [
        s.symbol
        for s in instruments().specs.values()
        if s.venue == venue and s.base == asset and s.kind == "future"
    ]
    return sym


ETH_BOOKS = (
    ("binance-usdm", "ETHUSDT"),
    ("binance-coinm", "ETHUSD_PERP"),
    ("binance-coinm", future("binance-coinm", "ETH")),
    ("okx", "ETH-USDT-SWAP"),
    ("deribit", "ETH-PERPETUAL"),
)


def mark_all(h: Holdings, books: tuple[tuple[str, str], ...], mid: str | Decimal) -> None:
    for venue, symbol in books:
        h.observe(book(venue, symbol, mid))
