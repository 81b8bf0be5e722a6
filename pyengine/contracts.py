"""Contract mathematics for strategy scripts: instrument specs, PnL, funding, margin.

Every amount is a `decimal.Decimal` in and out (an `int` or a `str` is accepted too; a
`float` is refused with `InvalidDecimal` because it is not exact). The arithmetic runs in
Rust (`engine_core::contracts`), exactly: additions and multiplications are exact, and
divisions (inverse PnL, average entry, APRs) round to 28 significant digits, like
Python's default decimal context.

Conventions (SPEC section 2):

* quantities are signed (long > 0) and in the venue's native order unit; an instrument's
  `multiplier` is what one unit is worth: coins for a linear contract, USD for an inverse
  one (Binance COIN-M BTCUSD_PERP: 100);
* linear PnL `mult x qty x (exit - entry)` is in the quote currency, inverse PnL
  `mult x qty x (1/entry - 1/exit)` in the coin;
* rates are fractions (`Decimal("0.0001")` is 0.01 %).

Errors are typed: `ContractMathError` (zero price, overflow, bad route),
`InstrumentSpecError` (an instrument message missing a field, named in the message),
`InvalidDecimal`, `UnknownVenue`, `InvalidArgument` (a payoff or tier basis that is not
one of its names); all derive from `EngineError`.
"""

from __future__ import annotations

from pathlib import Path

from pyengine._core import (
    ContractMathError,
    EngineError,
    HaircutTiers,
    InstrumentSpec,
    InstrumentSpecError,
    InvalidArgument,
    InvalidDecimal,
    LiquidationModel,
    Portfolio,
    Position,
    PositionMarks,
    UnknownVenue,
    basis,
    basis_apr,
    coin_delta,
    funding_apr,
    funding_payment,
    funding_rate,
    inverse_rehedge,
    load_instruments,
    lst_liquidation_price,
    notional,
    pnl,
    pnl_usd,
    premium_index,
    split_route,
    weighted_premium,
)

__all__ = [
    "ContractMathError",
    "EngineError",
    "HaircutTiers",
    "InstrumentSpec",
    "InstrumentSpecError",
    "InvalidArgument",
    "InvalidDecimal",
    "LiquidationModel",
    "Portfolio",
    "Position",
    "PositionMarks",
    "UnknownVenue",
    "basis",
    "basis_apr",
    "coin_delta",
    "funding_apr",
    "funding_payment",
    "funding_rate",
    "inverse_rehedge",
    "load_instruments",
    "load_instruments_file",
    "lst_liquidation_price",
    "notional",
    "pnl",
    "pnl_usd",
    "premium_index",
    "split_route",
    "weighted_premium",
]


def load_instruments_file(venue: str, path: str | Path) -> list[InstrumentSpec]:
    """Specs from a saved instrument response (`exchangeInfo`, `instruments-info`, ...).

    Entries of kinds the engine does not trade (options, BitMEX quanto) are left out;
    call `load_instruments` to see them with their reasons.
    """
    specs, _skipped = load_instruments(venue, Path(path).read_text(encoding="utf-8"))
    return specs
