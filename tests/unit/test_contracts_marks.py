"""`Portfolio.mark_each` against a pure-Decimal reference (hypothesis).

The contract: each position's unrealised PnL in USD is exact whenever the exact value has
at most 28 significant digits (Python's default Decimal precision); beyond that (only with
absurd inputs, e.g. 24-decimal quantities) it is within one unit of the 28th significant
digit — the engine's 96-bit decimals keep 28 or 29 digits. Inverse PnL, a quotient, is
rounded once, half-even, to 28 significant digits."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from typing import Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyengine import contracts as c

Payoff = Literal["linear", "inverse"]


def ref_upl(payoff: Payoff, m: Decimal, q: Decimal, e: Decimal, px: Decimal) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 200
        n = q * m * (px - e)
        if payoff == "linear":
            return n
        ctx.prec, ctx.rounding = 28, ROUND_HALF_EVEN
        return n / e


def significant_digits(x: Decimal) -> int:
    # Not x.normalize(): that rounds to the context's precision first.
    digits = "".join(map(str, x.as_tuple().digits)).strip("0")
    return max(len(digits), 1)


def agrees(got: Decimal, want: Decimal) -> bool:
    """Equal when `want` fits 28 significant digits, else within one 28th-digit unit."""
    if significant_digits(want) <= 28:
        return got == want
    ulp = Decimal(1).scaleb(want.adjusted() - 27)
    return abs(got - want) <= ulp


def dec(lo: int, hi: int, places: st.SearchStrategy[int]) -> st.SearchStrategy[Decimal]:
    return st.builds(lambda v, s: Decimal(v).scaleb(-s), st.integers(lo, hi), places)


terms = st.lists(
    st.tuples(st.sampled_from(["linear", "inverse"]), dec(1, 1000, st.integers(0, 3))),
    min_size=1,
    max_size=4,
)
# Mostly ordinary scales; sometimes 20+ decimals, which leaves the integer grid.
places = st.one_of(st.integers(0, 6), st.integers(19, 24))


@settings(max_examples=200, deadline=None)
@given(terms, st.data())
def test_mark_each_matches_decimal(t: list[tuple[Payoff, Decimal]], data: st.DataObject) -> None:
    n = len(t)
    rows = data.draw(
        st.lists(
            # Quantities sometimes far off the grid (20+ decimals); entry prices realistic
            # (<= 8 decimals), so results stay inside the 96-bit range. Beyond it the engine
            # raises ContractMathError (test below), never a wrong number.
            st.tuples(
                st.integers(0, n - 1),
                dec(-(10**7), 10**7, places),
                dec(1, 10**7, st.integers(0, 8)),
            ),
            max_size=40,
        )
    )
    marks = data.draw(st.lists(dec(1, 10**7, st.integers(0, 6)), min_size=n, max_size=n))
    book = c.Portfolio(t)
    book.extend(rows)
    got = book.mark_each(marks)
    want = [ref_upl(t[i][0], t[i][1], q, e, marks[i]) for i, q, e in rows]
    assert len(got) == len(want)
    bad = [(g, w) for g, w in zip(got, want, strict=True) if not agrees(g, w)]
    assert not bad, bad
    if want:
        assert agrees(got[-1], want[-1])


def test_mark_each_vectors() -> None:
    book = c.Portfolio([("linear", 1), ("inverse", 10)])
    book.extend([(0, Decimal("1.5"), 2000), (1, -3, 3)])
    got = book.mark_each([2100, 4])
    assert list(got) == [Decimal(150), Decimal(-10)]
    # 50,000 x $1 inverse long from 10,000 to 11,000: +0.4545.. ETH = $5,000 at the mark.
    inv = c.Portfolio([("inverse", 1)])
    inv.add(0, 50_000, 10_000)
    assert inv.mark_each([11_000])[0] == 5000
    assert repr(got) == "PositionMarks(2 positions)"
    with pytest.raises(IndexError):
        got[2]
    with pytest.raises(c.ContractMathError):
        book.mark_each([0, 1])


def test_results_beyond_the_decimal_range_are_typed_errors_not_wrong_numbers() -> None:
    book = c.Portfolio([("inverse", 1000)])
    # An entry price no venue quotes: refused when the position is added, so no later
    # mark can produce a wrong number from it.
    with pytest.raises(c.ContractMathError, match="entry price"):
        book.add(0, Decimal(10**7), Decimal("1E-24"))
    assert len(book.mark_each([Decimal(10**7)])) == 0
