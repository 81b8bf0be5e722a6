"""The pre-trade risk gate between strategies (or the router) and the venues (kind `risk`).

Every `SubmitOrder` comes here (acknowledged path) and leaves either as a `PlaceOrder` to the
venue's execution actor or as an `OrderRejected` with `stage="risk"` whose reason lists
every check that refused it. The checks are the Rust `RiskEngine` (`pyengine.risk`: tick
and lot, size and notional, price band, positions, net delta, concentration, margin
headroom, liquidation distance, order rate, trading state) over the limits table of the
options, plus two here: the client order id must be new, and (with `require_valid`) the
validator must currently call the instrument `valid` (docs/market-data-validity.md#consequences: do
not trade on bad data).

What the engine is fed:

- instruments: the instrument files of the options (the venues' own `exchangeInfo`-style
  responses, loaded by `pyengine.contracts`);
- marks and index prices from `MarkFunding`; a book's mid stands in for the mark of an
  instrument with no mark stream; the book's touch prices a market order;
- the orders it approved or refused, and their events (`exec.*`, `cmd.order.cancel`), in an
  `OrderTable` (`pyengine.orders`): a client order id is used once, and the table answers
  which orders are open;
- positions from fills (`exec.fill.*`, acknowledged, each fill once), rebuilt from the
  journal on restart (unless `recover_positions` is off). A venue `PositionReport` that
  disagrees with them for longer than `reconcile_after_s`, with no fill in between,
  replaces them (a restarted simulated venue, a fill missed while down) and is logged;
- venue collateral from `BalanceReport` wallets (stablecoins as USD, coins at their index).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal

import msgspec

from pyengine.actors.base import Actor, ActorContext
from pyengine.actors.snapshots import GateState, decode_gate, encode_gate
from pyengine.contracts import HaircutTiers, InstrumentSpec, load_instruments_file
from pyengine.errors import ConfigError
from pyengine.messages import (
    BalanceReport,
    BookTop,
    CancelOrder,
    Health,
    MarkFunding,
    Message,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderRejected,
    OrderStatusUnknown,
    PlaceOrder,
    PortfolioDelta,
    PositionReport,
    SubmitOrder,
    topics,
)
from pyengine.messages.market_status import VenueTrading
from pyengine.messages.validity import VALID, InstrumentValidity
from pyengine.orders import OrderError, OrderTable
from pyengine.orders.spent import SpentIds
from pyengine.orders.table_state import restore_table, table_state
from pyengine.risk import (
    EngineError,
    engine_from_limits,
    position_limits,
    read_limits,
)

log = logging.getLogger("pyengine.actors.risk")


def md_name(spec: InstrumentSpec) -> str:
    """The name the feed actor publishes `spec`'s market data under: Bybit books are
    `<category>:<symbol>` (linear and spot share symbol names; `actors/feed.py`), the
    category being `spot`, or the payoff (`linear`, `inverse`) of a derivative; every
    other venue's is the symbol itself. Orders and positions keep the plain symbol."""
    if spec.venue != "bybit":
        return spec.symbol
    category = "spot" if spec.kind == "spot" else spec.payoff
    return f"{category}:{spec.symbol}"


class InstrumentFile(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """A saved instrument response of one venue, and which of its symbols to trade."""

    venue: str
    path: str
    symbols: list[str] = []
    """Empty: every instrument of the file."""


class RiskOptions(msgspec.Struct, forbid_unknown_fields=True):
    """`[actors.options]` of the risk gate.

    `limits` is the limits table inline (amounts as strings: a TOML float is refused as
    inexact), `limits_file` a TOML file of it; see `pyengine.risk` for the keys.
    """

    instruments: list[InstrumentFile] = []
    limits: dict[str, Any] = {}
    limits_file: str = ""
    require_valid: bool = True
    reconcile_after_s: float = 3.0
    recover_positions: bool = True
    """Rebuild positions from the journal's fills on (re)start. The embedded default turns it
    off: its simulated venues start afresh in every process, so fills of an earlier run are
    not positions of this one (the venue reports settle a restart within this run)."""
    stablecoins: list[str] = msgspec.field(
        default_factory=lambda: ["USDT", "USDC", "USD", "FDUSD", "BUSD", "DAI", "USDE"]
    )


Side = Literal["buy", "sell"]


class RiskGate(Actor):
    """Approves or refuses orders with the Rust `RiskEngine`."""

    subscribe = (
        topics.MD_BOOK,
        topics.MD_FUNDING,
        topics.MD_VALIDITY,
        topics.ACCT_POSITION,
        topics.ACCT_BALANCE,
        topics.HEALTH_STORE,
        # custody from its owner, the portfolio: the net-delta limit is custody plus the
        # hedge, not the hedge alone (the shorts of a hedged book are not a naked short)
        topics.RISK_DELTA,
    )
    reliable = (topics.CMD_ORDER_SUBMIT, topics.CMD_ORDER_CANCEL, topics.EXEC)

    def __init__(self, ctx: ActorContext) -> None:
        super().__init__(ctx)
        opts = ctx.options_as(RiskOptions)
        self.opts = opts
        key = f"actors.{self.name}.options"
        if opts.limits and opts.limits_file:
            raise ConfigError(f"{key}: give limits or limits_file, not both")
        try:
            table = read_limits(opts.limits_file) if opts.limits_file else opts.limits
            self.engine = engine_from_limits(table)
        except (EngineError, OSError, ValueError) as exc:
            raise ConfigError(f"{key}.limits: {exc}") from None
        self.position_limits = position_limits(table)
        """`"venue:symbol"` -> `max_position` (units): what the hedger and pricing plan
        inside (`pyengine.runtime.limits`)."""
        self.specs: dict[tuple[str, str], InstrumentSpec] = {}
        self.inst_ids: dict[tuple[str, str], int] = {}
        self.md_names: dict[tuple[str, str], tuple[str, str]] = {}
        """Market-data name -> instrument key where they differ (Bybit, see `md_name`)."""
        for i, f in enumerate(opts.instruments):
            self._load(f, f"{key}.instruments[{i}]")
        self.stables = set(opts.stablecoins)
        self.orders = OrderTable()
        self.seen_fills = SpentIds(exact_cap=20_000)
        """Fills already counted, by venue, client order id and fill id: a resent fill
        counts once. Bounded (`pyengine.orders.spent`): the newest exactly, older ones in
        Bloom filters, whose rare false positive (about 1e-7) would drop a fill, which the
        venue's position report then reconciles (`mismatch`)."""
        self.touch: dict[tuple[str, str], tuple[Decimal | None, Decimal | None]] = {}
        self.has_mark: set[tuple[str, str]] = set()
        self.validity: dict[tuple[str, str], InstrumentValidity] = {}
        self.last_fill_ns: dict[tuple[str, str], int] = {}
        self.mismatch: dict[tuple[str, str], tuple[int, Decimal, Decimal]] = {}
        self.store_down = ""
        """Why the store is down (empty: up); no order is approved that cannot be recorded."""
        self.counters: dict[str, int] = dict.fromkeys(
            ("approved", "refused", "fills", "bad_input", "reconciled"), 0
        )

    def _load(self, f: InstrumentFile, key: str) -> None:
        try:
            specs = load_instruments_file(f.venue, Path(f.path))
        except (EngineError, OSError) as exc:
            raise ConfigError(f"{key}: {exc}") from None
        wanted = set(f.symbols)
        found = {s.symbol for s in specs}
        missing = sorted(wanted - found)
        if missing:
            raise ConfigError(f"{key}.symbols: not in {f.path}: {', '.join(missing)}")
        for spec in specs:
            if wanted and spec.symbol not in wanted:
                continue
            pair = (spec.venue, spec.symbol)
            self.specs[pair] = spec
            self.inst_ids[pair] = self.engine.add_instrument(spec)
            name = md_name(spec)
            if name != spec.symbol:
                self.md_names[(spec.venue, name)] = pair

    def _md_pair(self, venue: str, symbol: str) -> tuple[str, str]:
        """The instrument key of market data (books, marks, validity) named `symbol`."""
        return self.md_names.get((venue, symbol), (venue, symbol))

    def recover(self, journal: Iterable[Message]) -> None:
        for msg in journal:
            self._track(msg)
            if isinstance(msg, OrderFilled) and self.opts.recover_positions:
                self._fill(msg)

    snapshot_version = 1

    def snapshot(self) -> bytes | None:
        positions = []
        for (venue, symbol), inst in sorted(self.inst_ids.items()):
            qty, avg = self.engine.position(inst)[:2]
            if qty:
                positions.append((venue, symbol, qty, avg))
        return encode_gate(
            GateState(
                orders=table_state(self.orders),
                positions=positions,
                seen_fills=self.seen_fills.state(),
                last_fill_ns=[(v, s, t) for (v, s), t in sorted(self.last_fill_ns.items())],
                fills=self.counters["fills"],
            )
        )

    def restore(self, blob: bytes) -> None:
        """Positions are set as (qty, average entry): what every check reads; the realised
        PnL and fees the Rust engine also sums restart from zero (no check reads them)."""
        state = decode_gate(blob)
        restore_table(state.orders, self.orders)
        for venue, symbol, qty, avg in state.positions:
            inst = self.inst_ids.get((venue, symbol))
            if inst is None:  # no longer configured: as a replay of its fills would
                self.counters["bad_input"] += 1
                continue
            self.engine.set_position(inst, qty, avg)
        self.seen_fills = SpentIds.restore(state.seen_fills)
        self.last_fill_ns = {(v, s): t for v, s, t in state.last_fill_ns}
        self.counters["fills"] = state.fills

    def recovered(self) -> dict[str, int]:
        held = sum(1 for inst in self.inst_ids.values() if self.engine.position(inst)[0])
        return {"positions": held, "orders_open": len(self.orders.open_orders())}

    def _track(self, msg: Message) -> None:
        """Apply an order command or event to the table; a contradiction is logged and
        counted (`orders_illegal`), the strategy host that owns the order alerts."""
        try:
            self.orders.apply(msg)
        except OrderError as exc:
            log.warning("%s: %s", self.name, exc)

    def _bad(self, what: str, msg: Message) -> None:
        self.counters["bad_input"] += 1
        if self.counters["bad_input"] <= 20 or self.counters["bad_input"] % 1000 == 0:
            log.warning("%s: dropped %s: %s", self.name, what, msg)

    def _fill(self, msg: OrderFilled) -> None:
        key = f"{msg.venue}\x1f{msg.client_order_id}\x1f{msg.fill_id}"
        if key in self.seen_fills:
            return
        inst = self.inst_ids.get((msg.venue, msg.symbol))
        if inst is None or msg.side not in ("buy", "sell"):
            self._bad("fill of an unknown instrument or side", msg)
            return
        side: Side = "buy" if msg.side == "buy" else "sell"
        try:
            self.engine.apply_fill(inst, side, msg.qty, msg.price, msg.fee)
        except EngineError as exc:
            self._bad(f"fill ({exc})", msg)
            return
        self.seen_fills.add(key)
        self.counters["fills"] += 1
        self.last_fill_ns[(msg.venue, msg.symbol)] = self.now()
        self.mismatch.pop((msg.venue, msg.symbol), None)

    def _reason(self, order: SubmitOrder) -> tuple[list[str], list[str], Decimal | None]:
        """Every code and reason to refuse `order` (empty: approved), and the price checked.

        Codes are the Rust `Refusal` codes plus the checks made here:
        `duplicate_client_order_id`, `bad_side`, `market_data`."""
        pair = (order.venue, order.symbol)
        codes: list[str] = []
        reasons: list[str] = []

        def refuse(code: str, reason: str) -> tuple[list[str], list[str], None]:
            return [*codes, code], [*reasons, reason], None

        if order.client_order_id in self.orders:
            codes.append("duplicate_client_order_id")
            reasons.append("duplicate client_order_id")
        if self.store_down:
            codes.append("store_down")
            reasons.append(f"store_down: {self.store_down}")
        inst = self.inst_ids.get(pair)
        if inst is None:
            return refuse("unknown_instrument", f"unknown_instrument: {order.venue}:{order.symbol}")
        if order.side not in ("buy", "sell"):
            return refuse("bad_side", f"bad side {order.side!r}")
        if not order.qty.is_finite() or order.qty <= 0:
            return refuse("bad_quantity", f"qty {order.qty} must be positive")
        price = order.price
        if price is None:
            bid, ask = self.touch.get(pair, (None, None))
            price = ask if order.side == "buy" else bid
            if price is None:
                return refuse(
                    "no_reference_price", "no_reference_price: no book to price a market order"
                )
        elif not price.is_finite() or price <= 0:
            return refuse("bad_price", f"price {price} must be positive")
        if self.opts.require_valid:
            v = self.validity.get(pair)
            if v is None:
                codes.append("market_data")
                reasons.append("market_data: no validity from the validator yet")
            elif v.state != VALID:
                codes.append("market_data")
                reasons.append(f"market_data: {v.state} ({', '.join(v.reasons)})")
        side: Side = "buy" if order.side == "buy" else "sell"
        verdict = self.engine.check(inst, side, order.qty, price, self.now() // 1_000_000)
        codes.extend(verdict.codes)
        reasons.extend(verdict.reasons)
        return codes, reasons, price

    def check(self, order: SubmitOrder) -> str:
        """Empty string if the order passes, else every reason, joined."""
        return "; ".join(self._reason(order)[1])

    def handle(self, msg: Message) -> list[Message]:
        if isinstance(msg, SubmitOrder):
            return [self._decide(msg)]
        if isinstance(
            msg, CancelOrder | OrderAccepted | OrderRejected | OrderCanceled | OrderStatusUnknown
        ):
            # An unknown outcome keeps the order open in the table (its id stays spent);
            # only a definitive refusal ends it (`pyengine.orders.outcome`).
            self._track(msg)
        elif isinstance(msg, OrderFilled):
            self._track(msg)
            self._fill(msg)
        elif isinstance(msg, BookTop):
            self._book(msg)
        elif isinstance(msg, MarkFunding):
            self._mark(msg)
        elif isinstance(msg, InstrumentValidity):
            self.validity[self._md_pair(msg.venue, msg.symbol)] = msg
        elif isinstance(msg, PositionReport):
            self._position(msg)
        elif isinstance(msg, BalanceReport):
            self._balance(msg)
        elif isinstance(msg, PortfolioDelta):
            self._custody(msg)
        elif isinstance(msg, Health) and msg.component == "store":
            self.store_down = "" if msg.status == "ok" else (msg.detail or msg.status)
        return []

    def _book(self, msg: BookTop) -> None:
        pair = self._md_pair(msg.venue, msg.symbol)
        if pair not in self.inst_ids:
            return
        if not msg.valid or not msg.bids or not msg.asks:
            self.touch.pop(pair, None)
            return
        try:
            bid, ask = Decimal(msg.bids[0][0]), Decimal(msg.asks[0][0])
        except (InvalidOperation, ValueError, IndexError):
            self._bad("book", msg)
            return
        self.touch[pair] = (bid, ask)
        if pair not in self.has_mark and bid > 0 and ask > 0:
            self.engine.set_mark(self.inst_ids[pair], (bid + ask) / 2)

    def _mark(self, msg: MarkFunding) -> None:
        pair = self._md_pair(msg.venue, msg.symbol)
        inst = self.inst_ids.get(pair)
        if inst is None:
            return
        try:
            if msg.mark_px:
                self.engine.set_mark(inst, Decimal(msg.mark_px))
                self.has_mark.add(pair)
            if msg.index_px:
                self.engine.set_index(self.specs[pair].base, Decimal(msg.index_px))
        except (InvalidOperation, ValueError, EngineError):
            self._bad("mark", msg)

    def _position(self, msg: PositionReport) -> None:
        pair = (msg.venue, msg.symbol)
        inst = self.inst_ids.get(pair)
        if inst is None:
            return
        qty = self.engine.position(inst)[0]
        if msg.qty == qty:
            self.mismatch.pop(pair, None)
            return
        now = self.now()
        seen = self.mismatch.get(pair)
        if seen is None or seen[1:] != (qty, msg.qty):
            self.mismatch[pair] = (now, qty, msg.qty)
            return
        if now - seen[0] < int(self.opts.reconcile_after_s * 1e9):
            return
        try:
            self.engine.set_position(inst, msg.qty, msg.entry_price if msg.qty else Decimal(0))
        except EngineError as exc:
            self._bad(f"position report ({exc})", msg)
            return
        self.counters["reconciled"] += 1
        self.mismatch.pop(pair, None)
        log.warning(
            "%s: %s:%s position %s from fills, %s at the venue for %.1fs: taking the venue's",
            self.name,
            msg.venue,
            msg.symbol,
            qty,
            msg.qty,
            (now - seen[0]) / 1e9,
        )

    def _custody(self, msg: PortfolioDelta) -> None:
        try:
            self.engine.set_spot(msg.asset, msg.custody)
        except EngineError as exc:
            self._bad(f"custody ({exc})", msg)

    def _balance(self, msg: BalanceReport) -> None:
        asset = "USD" if msg.asset in self.stables else msg.asset
        try:
            self.engine.set_collateral(
                msg.venue, msg.asset, asset, msg.wallet, 1, HaircutTiers.flat(1)
            )
        except EngineError as exc:
            self._bad(f"balance ({exc})", msg)

    def _decide(self, msg: SubmitOrder) -> PlaceOrder | OrderRejected:
        now = self.now()
        codes, reasons, _ = self._reason(msg)
        duplicate = msg.client_order_id in self.orders
        if not duplicate:
            self.orders.submit(msg)
        if not reasons:
            self.counters["approved"] += 1
            return PlaceOrder(
                ts_event=now,
                ts_recv=now,
                order=msg,
                approved_by=self.name,
                parent_id=msg.parent_id,
                correlation_id=msg.correlation_id,
            )
        self.counters["refused"] += 1
        refusal = OrderRejected(
            ts_event=now,
            ts_recv=now,
            client_order_id=msg.client_order_id,
            venue=msg.venue,
            reason="; ".join(reasons),
            stage="risk",
            parent_id=msg.parent_id,
            correlation_id=msg.correlation_id,
            codes=codes,
        )
        if not duplicate:  # the known order under that id is another one: leave it be
            self._track(refusal)
        return refusal

    def stats(self) -> dict[str, int]:
        return {
            **self.counters,
            "orders_open": len(self.orders.open_orders()),
            "orders_illegal": self.orders.counters["illegal"],
        }

    def status_sections(self) -> dict[str, object]:
        """The trading state orders to each venue of its instruments are checked against,
        for `pyengine status` (read from the engine that checks them)."""
        venues = sorted({venue for venue, _ in self.inst_ids})
        return {
            "venues": [VenueTrading(name=v, state=self.engine.trading_state(v)) for v in venues]
        }
