"""Positions per (venue, instrument), kept from our fills with the Rust contract maths.

Quantities are signed and in the instrument's own unit (coins on linear contracts,
contracts on inverse ones); entry, realised and unrealised PnL come from
`pyengine.contracts.Position` (exact: linear PnL in the quote currency, inverse PnL in the
coin, docs/contracts.md#payoffs).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from pyengine.contracts import InstrumentSpec, Position, load_instruments_file
from pyengine.errors import EngineError

ZERO = Decimal(0)


class PortfolioError(EngineError, ValueError):
    """A message the portfolio cannot use (unknown instrument, bad amount); counted."""


def plain(symbol: str) -> str:
    """A book's symbol without the feed's category (`linear:BTCUSDT` -> `BTCUSDT`)."""
    return symbol.rpartition(":")[2]


class Instruments:
    """The instrument table: every (venue, symbol) the portfolio can hold."""

    def __init__(self, specs: list[InstrumentSpec] | None = None) -> None:
        self.specs: dict[tuple[str, str], InstrumentSpec] = {}
        for spec in specs or []:
            self.specs[(spec.venue, spec.symbol)] = spec

    def load(self, venue: str, path: str | Path, symbols: list[str] | None = None) -> None:
        """Add the instruments of one saved instrument response (all, or `symbols`)."""
        try:
            specs = load_instruments_file(venue, path)
        except (EngineError, OSError) as exc:
            raise PortfolioError(f"{path}: {exc}") from None
        wanted = set(symbols or [])
        missing = sorted(wanted - {s.symbol for s in specs})
        if missing:
            raise PortfolioError(f"not in {path}: {', '.join(missing)}")
        for spec in specs:
            if not wanted or spec.symbol in wanted:
                self.specs[(spec.venue, spec.symbol)] = spec

    def get(self, venue: str, symbol: str) -> InstrumentSpec:
        spec = self.specs.get((venue, plain(symbol)))
        if spec is None:
            raise PortfolioError(f"unknown instrument {venue}:{symbol}")
        return spec

    def known(self, venue: str, symbol: str) -> bool:
        return (venue, plain(symbol)) in self.specs

    def assets(self) -> list[str]:
        return sorted({s.base for s in self.specs.values()})


@dataclass
class PositionRow:
    """One position: its instrument and the Rust position kept from fills."""

    venue: str
    symbol: str
    spec: InstrumentSpec
    pos: Position
    fills: int = 0
    realised_before: Decimal = ZERO
    """Realised PnL of a restored snapshot: a `Position` is rebuilt as (qty, entry) only."""

    @property
    def qty(self) -> Decimal:
        return self.pos.qty

    @property
    def entry(self) -> Decimal:
        return self.pos.avg_entry

    @property
    def realised(self) -> Decimal:
        """Realised PnL in the settle currency (fees and funding kept apart)."""
        return self.realised_before + self.pos.realised_pnl


@dataclass
class Book:
    """Every position we hold, by (venue, symbol)."""

    instruments: Instruments
    rows: dict[tuple[str, str], PositionRow] = field(default_factory=dict)

    def apply(self, venue: str, symbol: str, signed_qty: Decimal, price: Decimal) -> Decimal:
        """Apply one signed fill; returns the PnL it realised (settle currency)."""
        spec = self.instruments.get(venue, symbol)
        key = (venue, spec.symbol)
        row = self.rows.get(key)
        if row is None:
            row = PositionRow(venue, spec.symbol, spec, Position(spec.payoff, spec.multiplier))
        try:
            _closed, _opened, realised = row.pos.apply(signed_qty, price)
        except EngineError as exc:
            raise PortfolioError(f"fill on {venue}:{symbol}: {exc}") from None
        row.fills += 1
        self.rows[key] = row
        return realised

    def __iter__(self) -> Iterator[PositionRow]:
        return iter(self.rows[k] for k in sorted(self.rows))

    def of_asset(self, asset: str) -> list[PositionRow]:
        return [r for r in self if r.spec.base == asset]

    def get(self, venue: str, symbol: str) -> PositionRow | None:
        return self.rows.get((venue, plain(symbol)))
