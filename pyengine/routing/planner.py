"""The split planner: how to trade one hedge across venues at the least expected cost.

The pricing actor and the router call the same `plan`, so a quote prices exactly the
split the router would trade (issues 12 and 13). It runs in Rust (`engine_core::planner`,
whose module docs state the algorithm and its optimality caveats):

* a greedy walk over every candidate book's levels, cheapest effective price first,
  where `effective = px x (1 -/+ taker fee) + carry` (sell / buy) and carry is what a
  short earns over `horizon_min` (perpetual funding `rate x ref x horizon / interval`;
  a dated future gives back `basis x (expiry - horizon) / expiry`);
* each take bounded by depth, max order size, the venue's concentration cap
  (`max_share x (all hedges + target) - current`), its margin headroom and, for a buy,
  the short held, then rounded down to the lot; legs below the minimum order size are
  dropped and the rest re-planned;
* sizes are coin deltas at `ref_price` (an inverse contract of `cv` USD is `cv / ref`
  coins), so legs, caps and target compare exactly.

Everything is exact: amounts are `Decimal` (`int` and `str` accepted, `float` refused),
book depth is integer mantissas with their scales (`Depth.from_levels` builds one from
exact decimals), passed to Rust as one int64 array. Outputs that divide (inverse coins,
VWAPs) are rounded half to even at 18 decimals. A refused input raises `ContractMathError`
or `InvalidDecimal`.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from pyengine._core import HedgeLeg, HedgePlan, InvalidDecimal, plan_hedge

Side = Literal["sell", "buy"]
Payoff = Literal["linear", "inverse"]
Num = Decimal | int | str

__all__ = ["Candidate", "Depth", "HedgeLeg", "HedgePlan", "PlanRequest", "VenueLimit", "plan"]

_MAX_SCALE = 18


@dataclass(frozen=True, slots=True)
class Depth:
    """Levels of the side to be taken, best first: `(price, size)` integer mantissas at
    `px_scale` / `sz_scale` decimals (the form a book holds), sizes in the instrument's unit.
    `packed` is the same levels as one int64 array (`px, sz, px, sz, ...`), which crosses
    into Rust in one copy."""

    px_scale: int
    sz_scale: int
    levels: tuple[tuple[int, int], ...]
    packed: array[int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            packed = array("q", [x for level in self.levels for x in level])
        except OverflowError as e:
            raise InvalidDecimal(f"a depth mantissa does not fit 64 bits: {e}") from None
        object.__setattr__(self, "packed", packed)

    @classmethod
    def from_levels(cls, levels: Iterable[tuple[Num, Num]]) -> Depth:
        """Exact decimals (or ints / decimal strings) to mantissas at the finest scale."""
        parsed = [(_exact(p), _exact(q)) for p, q in levels]
        ps = max((_scale(p) for p, _ in parsed), default=0)
        qs = max((_scale(q) for _, q in parsed), default=0)
        if ps > _MAX_SCALE or qs > _MAX_SCALE:
            raise InvalidDecimal(f"depth has more than {_MAX_SCALE} decimals")
        return cls(ps, qs, tuple((_mantissa(p, ps), _mantissa(q, qs)) for p, q in parsed))


@dataclass(frozen=True, slots=True)
class VenueLimit:
    """A venue's limits: our hedge there (coins), its largest share of the asset's hedge,
    the extra notional margin allows (USD at the reference price, None = unlimited)."""

    venue: str
    current_coins: Num = 0
    max_share: Num = 1
    headroom_usd: Num | None = None
    healthy: bool = True


@dataclass(frozen=True, slots=True)
class Candidate:
    """An instrument the hedge may trade. `multiplier` is coins per unit (linear) or USD
    per contract (inverse); `lot`, `min_qty`, `max_qty` are in units; `carry` is None,
    `("funding", rate_per_interval, interval_min)` or `("basis", usd_per_coin,
    minutes_to_expiry)`; `position_coins` is our short here (a buy never takes more)."""

    venue: str
    symbol: str
    depth: Depth
    payoff: Payoff = "linear"
    multiplier: Num = 1
    lot: Num = 1
    min_qty: Num = 0
    max_qty: Num | None = None
    tick: Num = 1
    taker_fee: Num = 0
    maker_fee: Num = 0
    carry: tuple[Literal["funding", "basis"], Num, int] | None = None
    position_coins: Num = 0
    healthy: bool = True


@dataclass(frozen=True, slots=True)
class PlanRequest:
    """The hedge: sell (open a short, take bids) or buy (close one, take asks)."""

    asset: str
    side: Side
    target_coins: Num
    ref_price: Num
    venues: Sequence[VenueLimit]
    candidates: Sequence[Candidate]
    horizon_min: int = 0


def plan(req: PlanRequest) -> HedgePlan:
    """Plan `req`; deterministic (the same request in any candidate order, same plan)."""
    return plan_hedge(
        req.asset,
        req.side,
        req.target_coins,
        req.ref_price,
        req.horizon_min,
        [(v.venue, v.current_coins, v.max_share, v.headroom_usd, v.healthy) for v in req.venues],
        [
            (
                c.venue,
                c.symbol,
                c.payoff,
                (c.multiplier, c.lot, c.min_qty, c.max_qty, c.tick),
                (c.taker_fee, c.maker_fee),
                c.carry,
                c.position_coins,
                c.healthy,
                (c.depth.px_scale, c.depth.sz_scale, c.depth.packed),
            )
            for c in req.candidates
        ],
    )


def _exact(v: Num) -> Decimal:
    if isinstance(v, float | bool):
        raise InvalidDecimal(f"{v!r} is not an exact amount: pass a Decimal, int or str")
    d = Decimal(v)
    if not d.is_finite():
        raise InvalidDecimal(f"{v!r} is not a finite decimal")
    return d


def _scale(d: Decimal) -> int:
    exp = d.as_tuple().exponent
    return max(0, -exp) if isinstance(exp, int) else 0


def _mantissa(d: Decimal, scale: int) -> int:
    # Integer arithmetic, not Decimal.scaleb: the context's 28 digits must not round.
    sign, digits, exp = d.as_tuple()
    if not isinstance(exp, int):
        raise InvalidDecimal(f"{d} is not a finite decimal")
    m: int = int("".join(map(str, digits)) or "0") * int(10 ** (exp + scale))
    return -m if sign else m
