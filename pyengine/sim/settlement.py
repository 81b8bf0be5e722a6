"""The market side of a simulated venue: book updates, funding, expiry, margin calls and
liquidation. Functions over a `SimVenue`, called by the exchange's scheduler."""

from __future__ import annotations

from decimal import Decimal

from pyengine.messages import AlertCleared, AlertRaised, OrderFilled, OrderUpdate
from pyengine.messages.execution import Side
from pyengine.messages.sim import FundingPaid, FuturesSettled, PositionLiquidated
from pyengine.sim.book import diff_levels
from pyengine.sim.market import MarketUpdate
from pyengine.sim.matching import cross_resting, trade_through
from pyengine.sim.venue import SimVenue

_MARK_EVERY_MS = 1_000


def on_market(v: SimVenue, up: MarketUpdate, ts: int) -> None:
    """Apply one market update: new levels (diff frame), prints, mark; then fill resting
    orders the market went through and check margin."""
    sym = up.symbol
    if sym not in v.books or sym in v.expired:
        # An expired future is delisted: its book stays as it was at expiry.
        return
    book, wire, ms, acct = v.books[sym], v.wires[sym], ts // 1_000_000, v.account
    if up.bids is not None and up.asks is not None:
        changes = book.replace(up.bids, up.asks)
        frame = wire.depth_update(changes, ms, book) if changes else None
        if frame is not None:
            v._frame(ts, frame)
    for t in up.trades:
        v._frame(ts, wire.trade(t.price, t.qty, t.aggressor == "sell", ms))
    if up.mark is not None:
        acct.marks[sym] = up.mark
    if up.index is not None:
        acct.prices[v.specs[sym].base] = up.index
    if up.funding_rate is not None:
        v.rates[sym] = up.funding_rate
    sink = v._on_fill(ts)
    resting = v.resting(sym)
    if resting:
        old_bids, old_asks = dict(book.bids), dict(book.asks)
        cross_resting(book, resting, sink)  # type: ignore[arg-type]
        for t in up.trades:
            trade_through(t, v.resting(sym), sink)  # type: ignore[arg-type]
        consumed = diff_levels("bid", old_bids, book.bids) + diff_levels("ask", old_asks, book.asks)
        frame = wire.depth_update(consumed, ms, book) if consumed else None
        if frame is not None:
            v._frame(ts, frame)
    v._ticker(sym, ts)
    if up.mark is not None and ms - v._last_mark_ms.get(sym, -_MARK_EVERY_MS) >= _MARK_EVERY_MS:
        v._last_mark_ms[sym] = ms
        index = up.index if up.index is not None else up.mark
        perpetual = v.specs[sym].kind == "perpetual"
        rate = v.rates.get(sym, Decimal(0)) if perpetual else None
        nxt = next_funding_ms(v, sym, ms)
        for frame in wire.mark_price(up.mark, index, rate, nxt, ms):
            v._frame(ts, frame)
    check_margin(v, ts)


def next_funding_ms(v: SimVenue, symbol: str, now_ms: int) -> int:
    """Next funding time of a perpetual (0 for a future)."""
    iv = funding_interval_ns(v, symbol)
    if iv is None:
        return 0
    iv_ms = iv // 1_000_000
    return (now_ms // iv_ms + 1) * iv_ms


def funding_interval_ns(v: SimVenue, symbol: str) -> int | None:
    """The funding interval of `symbol`: the instrument's own, else the venue's."""
    spec = v.specs[symbol]
    if spec.kind != "perpetual":
        return None
    if spec.funding_interval_min:
        return spec.funding_interval_min * 60_000_000_000
    return v.profile.funding_interval_ns


def pay_funding(v: SimVenue, symbol: str, ts: int) -> Decimal:
    """Funding time: every position pays or receives mark x size x F."""
    acct = v.account
    mark, rate = acct.marks.get(symbol), v.rates.get(symbol)
    qty = acct.qty(symbol)
    if mark is None or rate is None or qty == 0:
        return Decimal(0)
    amount = acct.apply_funding(symbol, mark, rate)
    settle = v.specs[symbol].settle
    v._emit(
        FundingPaid(
            ts_event=ts,
            ts_recv=ts,
            venue=v.name,
            symbol=symbol,
            qty=qty,
            mark=mark,
            rate=rate,
            amount=amount,
            asset=settle,
        )
    )
    v.balance_report(settle, ts)
    check_margin(v, ts)
    return amount


def expire(v: SimVenue, symbol: str, ts: int, price: Decimal | None = None) -> Decimal:
    """A dated future expires: cancel its orders and settle the position at `price`
    (default: the index, to which the future converges)."""
    acct, spec = v.account, v.specs[symbol]
    v.expired.add(symbol)
    for o in v.resting(symbol):
        v.cancel(o.client_order_id, ts, "expired")
    px = price if price is not None else acct.prices.get(spec.base, acct.marks.get(symbol))
    qty = acct.qty(symbol)
    if px is None or qty == 0:
        return Decimal(0)
    acct.marks[symbol] = px
    realised = acct.apply_fill(symbol, -qty, px, Decimal(0))
    v._emit(
        FuturesSettled(
            ts_event=ts,
            ts_recv=ts,
            venue=v.name,
            symbol=symbol,
            qty=qty,
            price=px,
            realised=realised,
            asset=spec.settle,
        )
    )
    v.report(symbol, ts)
    return realised


def check_margin(v: SimVenue, ts: int) -> None:
    """Margin call above maintenance x call ratio; liquidation below maintenance."""
    acct = v.account
    maint = acct.maintenance_usd()
    if maint <= 0:
        return
    equity = acct.equity_usd()
    if equity < maint:
        liquidate(v, ts, equity, maint)
        return
    calling = equity < maint * v.profile.margin_call_ratio
    if calling and not v._margin_call:
        v._margin_call = True
        v._emit(
            AlertRaised(
                ts_event=ts,
                ts_recv=ts,
                alert_id=f"{v.name}-margin-call",
                severity="warning",
                source=v.name,
                code="margin_call",
                text=f"equity {equity:.2f} USD < {v.profile.margin_call_ratio} x maintenance "
                f"{maint:.2f} USD",
            )
        )
    elif not calling and v._margin_call:
        v._margin_call = False
        v._emit(
            AlertCleared(ts_event=ts, ts_recv=ts, alert_id=f"{v.name}-margin-call", source=v.name)
        )


def liquidate(v: SimVenue, ts: int, equity: Decimal, maint: Decimal) -> None:
    """Close every position at its mark and cancel every order (full liquidation)."""
    acct = v.account
    for o in list(v.orders.values()):
        if o.status in ("new", "partially_filled"):
            v.cancel(o.client_order_id, ts, "liquidation")
    for sym in sorted(acct.positions):
        qty, mark = acct.qty(sym), acct.marks.get(sym)
        if qty == 0 or mark is None:
            continue
        side: Side = "sell" if qty > 0 else "buy"
        coid = v._id("autoclose-")
        acct.apply_fill(sym, -qty, mark, Decimal(0))
        v._emit(
            OrderUpdate(
                ts_event=ts,
                ts_recv=ts,
                venue=v.name,
                symbol=sym,
                client_order_id=coid,
                status="filled",
                side=side,
                order_type="market",
                qty=abs(qty),
                filled_qty=abs(qty),
                avg_price=mark,
                reduce_only=True,
                reason="liquidation",
            )
        )
        v._emit(
            OrderFilled(
                ts_event=ts,
                ts_recv=ts,
                client_order_id=coid,
                venue=v.name,
                symbol=sym,
                side=side,
                fill_id=v._id("F"),
                qty=abs(qty),
                price=mark,
                fee_ccy=v.specs[sym].settle,
                liquidity="liquidation",
            )
        )
        v._emit(
            PositionLiquidated(
                ts_event=ts,
                ts_recv=ts,
                venue=v.name,
                symbol=sym,
                qty=qty,
                price=mark,
                equity_usd=equity,
                maintenance_usd=maint,
            )
        )
        v.report(sym, ts)
    v._emit(
        AlertRaised(
            ts_event=ts,
            ts_recv=ts,
            alert_id=f"{v.name}-liquidation-{ts}",
            severity="critical",
            source=v.name,
            code="liquidation",
            text=f"equity {equity:.2f} USD < maintenance {maint:.2f} USD",
        )
    )
