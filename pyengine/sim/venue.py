"""The simulated venue's synchronous core: books, orders, account, funding, expiry, liquidation.

`SimVenue` is a state machine driven by calls at explicit times (`submit`, `cancel`,
`amend`, `on_market`, `funding`, `expire`); every outcome is appended, in order, to
`journal` (messages) and `frames` (raw market-data bytes in the venue's wire format).
`pyengine.sim.exchange.SimExchange` puts it behind the async `VenueAdapter` interface.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from pyengine.contracts import InstrumentSpec
from pyengine.messages import (
    BalanceReport,
    Message,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderRejected,
    OrderUpdate,
    PositionReport,
    SubmitOrder,
)
from pyengine.messages.execution import parse_side
from pyengine.sim.accounts import Account
from pyengine.sim.book import SimBook
from pyengine.sim.matching import take
from pyengine.sim.orders import SimOrder, static_reject
from pyengine.sim.profiles import VenueProfile
from pyengine.sim.wire import BinanceWire, Wire
from pyengine.sim.wire_bybit import BybitWire
from pyengine.sim.wire_deribit import DeribitWire
from pyengine.sim.wire_okx import OkxWire

OrderReply = OrderAccepted | OrderRejected


def make_wire(profile: VenueProfile, spec: InstrumentSpec) -> Wire:
    """The encoder of `spec`'s market data in the wire format of `profile.wire`."""
    sym, tick, lot, perp = spec.symbol, spec.tick, spec.lot, spec.kind == "perpetual"
    if profile.wire in ("binance-usdm", "binance-coinm"):
        return BinanceWire(sym, tick, lot, profile.wire == "binance-coinm")
    if profile.wire == "bybit":
        return BybitWire(sym, tick, lot, profile.book_depth)
    if profile.wire == "okx":
        inst_type = "SWAP" if perp else "FUTURES"
        return OkxWire(
            sym, tick, lot, swap=perp, inst_type=inst_type, checksum=profile.okx_checksum
        )
    if profile.wire == "deribit":
        return DeribitWire(sym, tick, lot, perpetual=perp)
    raise ValueError(f"{profile.name}: no simulated wire format {profile.wire!r}")


class SimVenue:
    """One venue account with its instruments, driven at explicit times."""

    def __init__(
        self,
        profile: VenueProfile,
        specs: Mapping[str, InstrumentSpec],
        links: Mapping[str, tuple[str, Decimal]] | None = None,
    ) -> None:
        self.profile = profile
        self.name = profile.name
        self.specs = dict(specs)
        self.account = Account(profile, self.specs, links)
        self.books = {s: SimBook(s) for s in self.specs}
        self.wires = {s: make_wire(profile, sp) for s, sp in self.specs.items()}
        self.orders: dict[str, SimOrder] = {}
        self.replies: dict[str, OrderReply] = {}
        self.rates: dict[str, Decimal] = {}
        self.expired: set[str] = set()
        self.journal: list[Message] = []
        self.frames: list[tuple[int, bytes, str | None]] = []
        self._n = 0
        self._tops: dict[str, tuple[object, object]] = {}
        self._last_mark_ms: dict[str, int] = {}
        self._margin_call = False

    def _id(self, prefix: str) -> str:
        self._n += 1
        return f"{prefix}{self._n}"

    def _emit(self, msg: Message) -> None:
        self.journal.append(msg)

    def _frame(self, ts: int, data: bytes) -> None:
        self.frames.append((ts, data, None))

    def resting(self, symbol: str) -> list[SimOrder]:
        """Working orders of `symbol`, oldest first."""
        return [
            o
            for o in self.orders.values()
            if o.symbol == symbol and o.status in ("new", "partially_filled")
        ]

    def _update(self, o: SimOrder, ts: int, reason: str = "") -> None:
        self._emit(
            OrderUpdate(
                ts_event=ts,
                ts_recv=ts,
                venue=self.name,
                symbol=o.symbol,
                client_order_id=o.client_order_id,
                venue_order_id=o.venue_order_id,
                status=o.status,
                side=parse_side(o.side),
                order_type=o.order_type,
                qty=o.qty,
                price=o.price,
                filled_qty=o.filled,
                avg_price=o.avg_price,
                reduce_only=o.reduce_only,
                reason=reason,
            )
        )

    def report(self, symbol: str, ts: int) -> None:
        """Emit the position of `symbol` and the balance of its settle currency."""
        spec, acct = self.specs[symbol], self.account
        pos = acct.position(symbol)
        mark = acct.marks.get(symbol)
        self._emit(
            PositionReport(
                ts_event=ts,
                ts_recv=ts,
                venue=self.name,
                symbol=symbol,
                qty=pos.qty,
                entry_price=pos.avg_entry,
                mark_price=mark,
                unrealised_pnl=pos.unrealised(mark) if mark is not None else Decimal(0),
                settle_ccy=spec.settle,
                liquidation_price=acct.liquidation_price(symbol) if pos.qty else None,
            )
        )
        self.balance_report(spec.settle, ts)

    def balance_report(self, asset: str, ts: int) -> None:
        """Emit one wallet."""
        acct = self.account
        self._emit(
            BalanceReport(
                ts_event=ts,
                ts_recv=ts,
                venue=self.name,
                asset=asset,
                wallet=acct.balances.get(asset, Decimal(0)),
                available=acct.available(asset),
            )
        )

    def _on_fill(self, ts: int) -> object:
        def sink(o: SimOrder, qty: Decimal, price: Decimal, liq: str) -> None:
            spec = self.specs[o.symbol]
            rate = self.profile.maker_fee if liq == "maker" else self.profile.taker_fee
            fee = self.account.fee(o.symbol, qty, price, rate)
            o.fill(qty, price)
            self.account.apply_fill(o.symbol, o.sign * qty, price, fee)
            self._emit(
                OrderFilled(
                    ts_event=ts,
                    ts_recv=ts,
                    client_order_id=o.client_order_id,
                    venue=self.name,
                    symbol=o.symbol,
                    side=parse_side(o.side),
                    fill_id=self._id("F"),
                    qty=qty,
                    price=price,
                    fee=fee,
                    fee_ccy=spec.settle,
                    liquidity=liq,
                )
            )
            self._update(o, ts)
            self.report(o.symbol, ts)

        return sink

    def reject(self, order: SubmitOrder, reason: str, ts: int) -> OrderRejected:
        """Refuse an order with a reason (remembered: a retry gets the same answer)."""
        rej = OrderRejected(
            ts_event=ts,
            ts_recv=ts,
            client_order_id=order.client_order_id,
            venue=self.name,
            reason=reason,
        )
        self.replies[order.client_order_id] = rej
        self._emit(rej)
        return rej

    def submit(self, order: SubmitOrder, ts: int) -> OrderReply:
        """Place an order; a known `client_order_id` gets its first answer again."""
        known = self.replies.get(order.client_order_id)
        if known is not None:
            return known
        spec = self.specs.get(order.symbol)
        mark = self.account.marks.get(order.symbol)
        reason = static_reject(order, spec, mark)
        if reason is None and order.symbol in self.expired:
            reason = "instrument_expired"
        if reason is not None:
            return self.reject(order, reason, ts)
        o = SimOrder(
            order.client_order_id,
            self._id("O"),
            order.symbol,
            order.side,
            order.qty,
            order.price if order.order_type != "market" else None,
            order.order_type,
            order.tif,
            order.reduce_only,
        )
        reason = self._dynamic_reject(o)
        if reason is not None:
            return self.reject(order, reason, ts)
        acc = OrderAccepted(
            ts_event=ts,
            ts_recv=ts,
            client_order_id=o.client_order_id,
            venue=self.name,
            venue_order_id=o.venue_order_id,
        )
        self.replies[o.client_order_id] = acc
        self.orders[o.client_order_id] = o
        self._emit(acc)
        self._update(o, ts)
        self._execute(o, ts)
        return acc

    def _dynamic_reject(self, o: SimOrder) -> str | None:
        book, acct = self.books[o.symbol], self.account
        pos = acct.qty(o.symbol)
        if o.reduce_only and (pos == 0 or (pos > 0) == (o.side == "buy") or o.qty > abs(pos)):
            return "reduce_only_violation"
        if o.post_only and o.price is not None and book.crosses(o.side, o.price):
            return "post_only_would_cross"
        if o.order_type == "market" and not (book.asks if o.side == "buy" else book.bids):
            return "no_liquidity"
        extra: dict[str, Decimal] = {}
        for r in [*self.resting(o.symbol), o]:
            extra[r.symbol] = extra.get(r.symbol, Decimal(0)) + r.sign * r.remaining
        grows = abs(pos + o.sign * o.qty) > abs(pos)
        if grows and acct.initial_usd(extra) > acct.equity_usd():
            return "insufficient_margin"
        return None

    def _execute(self, o: SimOrder, ts: int) -> None:
        book = self.books[o.symbol]
        taken = take(book, o, self._on_fill(ts))  # type: ignore[arg-type]
        if taken:
            self._publish_take(o.symbol, o.side, taken, ts)
        if o.remaining > 0 and (o.order_type == "market" or o.tif in ("ioc", "fok")):
            o.status = "canceled"
            self._emit(
                OrderCanceled(
                    ts_event=ts,
                    ts_recv=ts,
                    client_order_id=o.client_order_id,
                    venue=self.name,
                    reason="ioc_remainder",
                )
            )
            self._update(o, ts, "ioc_remainder")

    def _publish_take(
        self, symbol: str, side: str, taken: list[tuple[Decimal, Decimal]], ts: int
    ) -> None:
        book, wire, ms = self.books[symbol], self.wires[symbol], ts // 1_000_000
        book_side = book.asks if side == "buy" else book.bids
        changes = [
            ("ask" if side == "buy" else "bid", px, book_side.get(px, Decimal(0)))
            for px, _ in taken
        ]
        frame = wire.depth_update(sorted(changes, key=lambda c: c[1]), ms, book)
        if frame is not None:
            self._frame(ts, frame)
        for px, qty in taken:
            self._frame(ts, wire.trade(px, qty, side == "sell", ms))
        self._ticker(symbol, ts)

    def _ticker(self, symbol: str, ts: int) -> None:
        book = self.books[symbol]
        bb, ba = book.best_bid(), book.best_ask()
        if bb is None or ba is None or self._tops.get(symbol) == (bb, ba):
            return
        self._tops[symbol] = (bb, ba)
        self._frame(ts, self.wires[symbol].book_ticker(bb, ba, ts // 1_000_000))

    def cancel(self, coid: str, ts: int, reason: str = "canceled") -> OrderCanceled | OrderRejected:
        """Cancel a working order."""
        o = self.orders.get(coid)
        if o is None or o.status not in ("new", "partially_filled"):
            rej = OrderRejected(
                ts_event=ts,
                ts_recv=ts,
                client_order_id=coid,
                venue=self.name,
                reason="unknown_order",
            )
            self._emit(rej)
            return rej
        o.status = "canceled"
        ev = OrderCanceled(
            ts_event=ts, ts_recv=ts, client_order_id=coid, venue=self.name, reason=reason
        )
        self._emit(ev)
        self._update(o, ts, reason)
        return ev

    def amend(self, coid: str, ts: int, qty: Decimal | None, price: Decimal | None) -> OrderReply:
        """Change a working order's size and/or price (a crossing new price executes)."""
        o = self.orders.get(coid)
        if o is None or o.status not in ("new", "partially_filled"):
            rej = OrderRejected(
                ts_event=ts,
                ts_recv=ts,
                client_order_id=coid,
                venue=self.name,
                reason="unknown_order",
            )
            self._emit(rej)
            return rej
        spec, new_qty = self.specs[o.symbol], qty if qty is not None else o.qty
        new_px = price if price is not None else o.price
        reason = None
        if new_qty <= o.filled or not spec.on_lot(new_qty):
            reason = "bad_size"
        elif new_px is None or new_px <= 0 or not spec.on_tick(new_px):
            reason = "bad_tick"
        elif o.post_only and self.books[o.symbol].crosses(o.side, new_px):
            reason = "post_only_would_cross"
        if reason is not None:
            rej = OrderRejected(
                ts_event=ts, ts_recv=ts, client_order_id=coid, venue=self.name, reason=reason
            )
            self._emit(rej)
            return rej
        o.qty, o.price = new_qty, new_px
        acc = OrderAccepted(
            ts_event=ts,
            ts_recv=ts,
            client_order_id=coid,
            venue=self.name,
            venue_order_id=o.venue_order_id,
        )
        self._emit(acc)
        self._update(o, ts, "amended")
        self._execute(o, ts)
        return acc
