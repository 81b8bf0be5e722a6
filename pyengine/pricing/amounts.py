"""Exact amounts: whole units to base units and back, rounding always against the requester.

Base units are integers (`collateral x 10**decimals`, USDe at 18 decimals). Conversion is
integer arithmetic on the decimal's digits, never a context that could round silently: a
mint's USDe out and a redeem's collateral out round DOWN, a redeem's USDe in rounds UP
(docs/pricing.md#formula, "ours"). The stables check is the minting contract's own integer
rule (docs/mint-redeem.md#stables-limit).
"""

from __future__ import annotations

from decimal import (
    ROUND_CEILING,
    ROUND_FLOOR,
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
)
from fractions import Fraction
from typing import Literal

from pyengine.errors import EngineError

USDE_DECIMALS = 18
Rounding = Literal["down", "up"]

EXACT = Context(prec=100, traps=[Inexact, InvalidOperation, DivisionByZero, Overflow])
"""Additions and products that must be exact: an inexact result raises, never rounds."""
DOWN = Context(prec=100, rounding=ROUND_FLOOR, traps=[InvalidOperation, DivisionByZero, Overflow])
UP = Context(prec=100, rounding=ROUND_CEILING, traps=[InvalidOperation, DivisionByZero, Overflow])


class AmountError(EngineError, ValueError):
    """An amount that cannot become base units (negative, not finite)."""


def to_base(amount: Decimal | Fraction, decimals: int, rounding: Rounding) -> int:
    """`amount x 10**decimals` as an integer, rounded `down` (floor) or `up` (ceiling)."""
    if isinstance(amount, Decimal):
        if not amount.is_finite():
            raise AmountError(f"{amount} is not a finite amount")
        amount = Fraction(amount)
    if amount < 0:
        raise AmountError(f"{amount} is negative")
    scaled = amount * 10**decimals
    q, r = divmod(scaled.numerator, scaled.denominator)
    return int(q + 1 if r and rounding == "up" else q)


def from_base(units: int, decimals: int) -> Decimal:
    """Base units back to whole units, exactly."""
    return Decimal(units).scaleb(-decimals, EXACT)


def quantize(value: Decimal, decimals: int, rounding: Rounding) -> Decimal:
    """`value` to `decimals` places, floor or ceiling (a double rounding in one direction
    at 100 digits then at `decimals` equals the single rounding)."""
    ctx = DOWN if rounding == "down" else UP
    return value.quantize(Decimal(1).scaleb(-decimals), context=ctx)


def stables_limit_ok(
    side: Literal["MINT", "REDEEM"],
    collateral_units: int,
    collateral_decimals: int,
    usde_units: int,
    limit_bps: int,
) -> bool:
    """The minting contract's `verifyStablesLimit`: only the side adverse to the protocol is
    limited, `diff_bps = floor(|norm - usde| x 10000 / usde)` in integers."""
    if usde_units <= 0:
        return False
    shift = USDE_DECIMALS - collateral_decimals
    norm = collateral_units * 10**shift if shift >= 0 else collateral_units // 10**-shift
    if (side == "MINT" and usde_units <= norm) or (side == "REDEEM" and norm <= usde_units):
        return True
    return bool(abs(norm - usde_units) * 10_000 // usde_units <= limit_bps)
