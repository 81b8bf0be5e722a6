"""Everything we hold, folded from messages: positions from our fills, what the venues owe
us per currency, custody per custodian, marks, venue reports and the USDe liability.

Sources (each counted once, so a replayed journal rebuilds the same state):

- `OrderFilled` (`exec.fill.*`, keyed by venue and fill id) moves positions; its fee and the
  PnL it realises stay with the venue until a custodian settlement moves them
  (docs/custody.md#settlement-cycles); `FundingPaid` and `FuturesSettled` likewise;
- `MintOrderAccepted` adds the collateral to custody (at `mint_custodian`) and the USDe to
  the liability, a redeem takes both out, a `MintOrderConfirmed` "failed" undoes its order;
- the custodian's messages: a confirmed withdrawal leaves custody, a settled
  `CustodySettled` moves PnL from the venue into custody; delegation moves nothing
  (the backing stays with the custodian, docs/custody.md#model);
- `PositionReport` is compared with our position and never copied over it (a mismatch is
  counted and listed); `BalanceReport` gives each venue's equity (roll rule);
- `MarkFunding` marks, else a `BookTop` mid.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from pyengine.messages import (
    BalanceReport,
    BookTop,
    MarkFunding,
    Message,
    MintOrderAccepted,
    MintOrderConfirmed,
    OrderFilled,
    PositionReport,
    TransferConfirmed,
    TransferFailed,
    TransferRequested,
)
from pyengine.messages.sim import CustodySettled, FundingPaid, FuturesSettled
from pyengine.portfolio.delta import AssetDelta, InstrumentDelta, asset_delta, instrument_delta
from pyengine.portfolio.positions import Book, Instruments, PortfolioError, plain

ZERO = Decimal(0)
DEFAULT_FACTORS: dict[str, tuple[str, Decimal]] = {
    "stETH": ("ETH", Decimal(1)),
    "WETH": ("ETH", Decimal(1)),
    "WBTC": ("BTC", Decimal(1)),
}
"""Collateral tokens and the coin they count as (an LST at about 1: configure its rate)."""
STABLES = frozenset({"USDT", "USDC", "USD", "FDUSD", "BUSD", "DAI", "USDE"})


def _dec(value: str) -> Decimal | None:
    try:
        out = Decimal(value)
    except (InvalidOperation, ValueError):
        return None
    return out if out.is_finite() and out > 0 else None


@dataclass
class Mismatch:
    """Our position and the venue's report of it disagree."""

    venue: str
    symbol: str
    ours: Decimal
    theirs: Decimal
    since_ns: int


@dataclass
class Holdings:
    """The portfolio's state; `observe` folds one message in and says which assets moved."""

    instruments: Instruments
    factors: dict[str, tuple[str, Decimal]] = field(default_factory=lambda: dict(DEFAULT_FACTORS))
    """Collateral currency -> (asset, factor): `stETH` -> (`ETH`, ~1), docs/contracts.md."""
    mint_custodian: str = "mint"
    count_upl: bool = True
    book: Book = field(init=False)
    custody: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    unsettled: dict[tuple[str, str], Decimal] = field(default_factory=dict)
    marks: dict[tuple[str, str], Decimal] = field(default_factory=dict)
    mids: dict[tuple[str, str], Decimal] = field(default_factory=dict)
    balances: dict[tuple[str, str], BalanceReport] = field(default_factory=dict)
    reports: dict[tuple[str, str], PositionReport] = field(default_factory=dict)
    mismatches: dict[tuple[str, str], Mismatch] = field(default_factory=dict)
    liability: Decimal = ZERO
    mints: dict[str, MintOrderAccepted] = field(default_factory=dict)
    transfers: dict[str, TransferRequested] = field(default_factory=dict)
    seen: set[tuple[str, ...]] = field(default_factory=set)
    counters: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            ("fills", "duplicates", "bad_input", "mismatches", "mints", "settlements"), 0
        )
    )

    def __post_init__(self) -> None:
        self.book = Book(self.instruments)

    # -- what moves the state ------------------------------------------------------------

    def fund(self, custodian: str, currency: str, amount: Decimal) -> None:
        """Custody known at start (configured); later changes come from messages."""
        held = self.custody.setdefault(custodian, {})
        held[currency] = held.get(currency, ZERO) + amount

    def observe(self, msg: Message) -> set[str]:
        """Fold one message in; the assets whose delta may have moved (empty: none).
        Bad input raises `PortfolioError` (the caller counts it); state is unchanged."""
        if isinstance(msg, OrderFilled):
            return self._fill(msg)
        if isinstance(msg, (BookTop, MarkFunding)):
            return self._mark(msg)
        if isinstance(msg, PositionReport):
            self._report(msg)
            return set()
        if isinstance(msg, BalanceReport):
            self.balances[(msg.venue, msg.asset)] = msg
            return set()
        if isinstance(msg, MintOrderAccepted):
            return self._mint(msg)
        if isinstance(msg, MintOrderConfirmed):
            return self._mint_failed(msg) if msg.status == "failed" else set()
        if isinstance(msg, TransferRequested):
            self.transfers.setdefault(msg.transfer_id, msg)
            return set()
        if isinstance(msg, TransferConfirmed):
            return self._transfer_done(msg)
        if isinstance(msg, TransferFailed):
            self.transfers.pop(msg.transfer_id, None)
            return set()
        if isinstance(msg, CustodySettled):
            return self._settled(msg)
        if isinstance(msg, FundingPaid):
            return self._owed(
                ("funding", msg.venue, msg.symbol, str(msg.ts_event)),
                msg.venue,
                msg.asset,
                msg.amount,
            )
        if isinstance(msg, FuturesSettled):
            return self._expired(msg)
        return set()

    def _fill(self, f: OrderFilled) -> set[str]:
        key = ("fill", f.venue, f.fill_id)
        if key in self.seen:
            self.counters["duplicates"] += 1
            return set()
        if f.qty <= 0 or f.price <= 0:
            raise PortfolioError(f"fill {f.venue}:{f.fill_id}: qty and price must be positive")
        spec = self.instruments.get(f.venue, f.symbol)
        signed = f.qty if f.side == "buy" else -f.qty
        realised = self.book.apply(f.venue, f.symbol, signed, f.price)
        self.seen.add(key)
        self.counters["fills"] += 1
        self._add_owed(f.venue, spec.settle, realised)
        if f.fee:
            self._add_owed(f.venue, f.fee_ccy or spec.settle, -f.fee)
        self._check_report(f.venue, spec.symbol, f.ts_event)
        return {spec.base, *self._asset_of(f.fee_ccy or spec.settle)}

    def _expired(self, m: FuturesSettled) -> set[str]:
        key = ("expiry", m.venue, m.symbol, str(m.ts_event))
        if key in self.seen:
            return set()
        row = self.book.get(m.venue, m.symbol)
        self.seen.add(key)
        if row is None or row.qty == 0:
            return set()
        realised = self.book.apply(m.venue, m.symbol, -row.qty, m.price)
        self._add_owed(m.venue, row.spec.settle, realised)
        return {row.spec.base}

    def _add_owed(self, venue: str, ccy: str, amount: Decimal) -> None:
        if amount:
            k = (venue, ccy)
            self.unsettled[k] = self.unsettled.get(k, ZERO) + amount

    def _owed(self, key: tuple[str, ...], venue: str, ccy: str, amount: Decimal) -> set[str]:
        if key in self.seen:
            return set()
        self.seen.add(key)
        self._add_owed(venue, ccy, amount)
        return self._asset_of(ccy)

    def _mark(self, m: BookTop | MarkFunding) -> set[str]:
        venue, symbol = m.venue, plain(m.symbol)
        if not self.instruments.known(venue, symbol):
            return set()
        if isinstance(m, MarkFunding):
            if not m.mark_px:
                # A funding-rate update with no mark (OKX sends funding on a channel of its
                # own): nothing to mark, and not bad input.
                return set()
            px = _dec(m.mark_px)
            if px is None:
                raise PortfolioError(f"mark of {venue}:{symbol}: {m.mark_px!r}")
            self.marks[(venue, symbol)] = px
        else:
            if not m.valid or not m.bids or not m.asks:
                return set()
            bid, ask = _dec(m.bids[0][0]), _dec(m.asks[0][0])
            if bid is None or ask is None:
                raise PortfolioError(f"book of {venue}:{symbol}: bad touch")
            self.mids[(venue, symbol)] = (bid + ask) / 2
        base = self.instruments.get(venue, symbol).base
        return {base}

    def _report(self, r: PositionReport) -> None:
        if not self.instruments.known(r.venue, r.symbol):
            return
        symbol = plain(r.symbol)
        self.reports[(r.venue, symbol)] = r
        self._check_report(r.venue, symbol, r.ts_event)

    def _check_report(self, venue: str, symbol: str, ts: int) -> None:
        report = self.reports.get((venue, symbol))
        if report is None:
            return
        row = self.book.get(venue, symbol)
        ours = row.qty if row is not None else ZERO
        key = (venue, symbol)
        if ours == report.qty:
            self.mismatches.pop(key, None)
        elif key not in self.mismatches or self.mismatches[key].theirs != report.qty:
            if key not in self.mismatches:
                self.counters["mismatches"] += 1
            self.mismatches[key] = Mismatch(venue, symbol, ours, report.qty, ts)
        else:
            self.mismatches[key].ours = ours

    def _asset_of(self, ccy: str) -> set[str]:
        if ccy in self.factors:
            return {self.factors[ccy][0]}
        return set() if ccy in STABLES or not ccy else {ccy}

    def _mint(self, m: MintOrderAccepted) -> set[str]:
        if m.order_id in self.mints:
            return set()
        if m.collateral_amount < 0 or m.usde_amount < 0:
            raise PortfolioError(f"mint order {m.order_id}: negative amount")
        self.mints[m.order_id] = m
        self.counters["mints"] += 1
        sign = 1 if m.order_type == "MINT" else -1
        self.fund(self.mint_custodian, m.collateral, sign * m.collateral_amount)
        self.liability += sign * m.usde_amount
        return self._asset_of(m.collateral) | ({m.asset} if m.asset else set())

    def _mint_failed(self, c: MintOrderConfirmed) -> set[str]:
        m = self.mints.get(c.order_id)
        key = ("mint-failed", c.order_id)
        if m is None or key in self.seen:
            return set()
        self.seen.add(key)
        sign = -1 if m.order_type == "MINT" else 1
        self.fund(self.mint_custodian, m.collateral, sign * m.collateral_amount)
        self.liability += sign * m.usde_amount
        return self._asset_of(m.collateral) | ({m.asset} if m.asset else set())

    def _transfer_done(self, c: TransferConfirmed) -> set[str]:
        t = self.transfers.pop(c.transfer_id, None)
        if t is None or t.kind != "withdraw":
            return set()
        amount = c.settled_amount if c.settled_amount is not None else t.amount
        self.fund(c.custodian, t.asset, -amount)
        return self._asset_of(t.asset)

    def _settled(self, s: CustodySettled) -> set[str]:
        if s.status != "settled":
            return set()
        key = ("settled", s.custodian, s.settlement_id, s.asset)
        if key in self.seen:
            return set()
        self.seen.add(key)
        self.counters["settlements"] += 1
        self.fund(s.custodian, s.asset, s.amount)
        self._add_owed(s.venue, s.asset, -s.amount)
        return self._asset_of(s.asset)

    # -- what it adds up to ---------------------------------------------------------------

    def mark_of(self, venue: str, symbol: str) -> Decimal | None:
        key = (venue, plain(symbol))
        return self.marks.get(key) or self.mids.get(key)

    def price(self, asset: str) -> Decimal | None:
        """The asset's USD price: the median of its perpetuals' marks (exact)."""
        pxs = sorted(
            px
            for (venue, symbol), spec in self.instruments.specs.items()
            if spec.base == asset and spec.kind == "perpetual"
            for px in [self.mark_of(venue, symbol)]
            if px is not None
        )
        if not pxs:
            return None
        n = len(pxs)
        return pxs[n // 2] if n % 2 else (pxs[n // 2 - 1] + pxs[n // 2]) / 2

    def custody_coins(self, asset: str) -> Decimal:
        """Custody of `asset` across custodians, collateral at its factor."""
        total = ZERO
        for held in self.custody.values():
            for ccy, amount in held.items():
                a, factor = self.factors.get(ccy, (ccy, Decimal(1)))
                if a == asset:
                    total += amount * factor
        return total

    def positions(self, asset: str) -> list[InstrumentDelta]:
        """Each position of `asset` at its mark (its entry while it has none)."""
        out = []
        for row in self.book.of_asset(asset):
            if row.qty == 0:
                continue
            mark = self.mark_of(row.venue, row.symbol) or row.entry
            out.append(instrument_delta(row.spec, row.venue, row.qty, row.entry, mark))
        return out

    def delta(self, asset: str) -> AssetDelta | None:
        """The net delta of `asset`; None until the asset has a price."""
        px = self.price(asset)
        if px is None:
            return None
        owed = sum((v for (_, ccy), v in self.unsettled.items() if ccy == asset), ZERO)
        return asset_delta(
            asset,
            px,
            self.custody_coins(asset),
            self.positions(asset),
            owed,
            count_upl=self.count_upl,
            liability=self.liability,
        )

    def assets(self) -> list[str]:
        out = set(self.instruments.assets())
        for held in self.custody.values():
            for ccy in held:
                out |= self._asset_of(ccy)
        return sorted(out)

    def venue_upl_usd(self, venue: str) -> Decimal:
        """Unrealised PnL of every position on `venue`, in USD (coin PnL at the price)."""
        total = ZERO
        for asset in self.assets():
            px = self.price(asset)
            if px is None:
                continue
            for p in self.positions(asset):
                if p.venue == venue:
                    total += p.upl if p.settle in STABLES else p.upl * px
        return total

    def venue_equity_usd(self, venue: str) -> Decimal:
        """The venue account's equity in USD from its balance reports."""
        total = ZERO
        for (v, ccy), b in self.balances.items():
            if v != venue:
                continue
            amount = b.equity if b.equity is not None else b.wallet + b.unrealised_pnl
            if ccy in STABLES:
                total += amount
            else:
                px = self.price(self.factors.get(ccy, (ccy, Decimal(1)))[0])
                total += amount * px if px is not None else ZERO
        return total

    def venues(self) -> list[str]:
        return sorted({r.venue for r in self.book if r.qty != 0})
