"""From a hedge to the planner's input: every routable instrument of the asset, its depth,
fees, concentration limits and what we already hold (pure).

The hedge is signed coins (`HedgeRequest.delta`: negative sells, i.e. adds to the short;
positive buys back). Holdings are our own, from our fills (`Holdings`), never the venue's
word: `VenueLimit.current_coins` is our short on the venue in coins, and a buy's candidate
carries the short held on that instrument (`position_coins`), so a buy only ever reduces
a short and never flips it (issue 13: "a redeem unwinds without flipping the position").
Sizes are coins at one reference price (the median mid of the candidates), as the planner
wants (`pyengine.routing.planner`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from pyengine.routing.market import Instrument, MarketView, Pair
from pyengine.routing.planner import Candidate, PlanRequest, Side, VenueLimit

_QUANTUM = Decimal("1e-12")


def planner_coins(coins: Decimal) -> Decimal:
    """A short in coins as the planner takes it: rounded down to 1e-12. An inverse short
    divides (N x cv / P has no end), and the planner takes at most 28 significant digits;
    a buy capped a hair below the short still never flips it."""
    return coins.quantize(_QUANTUM, ROUND_DOWN)


@dataclass(frozen=True, slots=True)
class Fees:
    taker: Decimal = Decimal("0.0005")
    maker: Decimal = Decimal("0.0002")


@dataclass(frozen=True, slots=True)
class RouteConfig:
    """Fees and concentration limits per venue (absent: `default_fees`, share 1)."""

    fees: Mapping[str, Fees] = field(default_factory=dict)
    max_share: Mapping[str, Decimal] = field(default_factory=dict)
    default_fees: Fees = Fees()
    horizon_min: int = 0
    max_levels: int = 50
    max_position: Mapping[Pair, Decimal] = field(default_factory=dict)
    """Largest position per instrument, units, either side (the risk gate's `max_position`):
    a sell is planned only into the room left, so the gate does not refuse it."""


@dataclass
class Holdings:
    """Our signed position per instrument (units, long > 0), from our own fills."""

    qty: dict[Pair, Decimal] = field(default_factory=dict)

    def add(self, pair: Pair, side: str, qty: Decimal) -> None:
        signed = qty if side == "buy" else -qty
        self.qty[pair] = self.qty.get(pair, Decimal(0)) + signed

    def short_coins(self, inst: Instrument, price: Decimal) -> Decimal:
        """Our short on `inst` in coins (0 when flat or long), as `planner_coins`."""
        q = self.qty.get((inst.venue, inst.symbol), Decimal(0))
        if q >= 0:
            return Decimal(0)
        return planner_coins(inst.coins(-q, price))


def sell_cap(
    max_qty: Decimal | None, limit: Decimal | None, held: Decimal, lot: Decimal, min_qty: Decimal
) -> Decimal | None:
    """The largest sell leg on an instrument (units): its largest order, within the room its
    position limit leaves (`held` signed, long > 0; a long is sold down first), in lots.
    0 when the room is below one order; None: no cap."""
    if limit is None:
        return max_qty
    room = ((limit + held) // lot) * lot
    if room <= 0 or room < min_qty:
        return Decimal(0)
    return room if max_qty is None else min(max_qty, room)


def ref_price(mids: Iterable[Decimal]) -> Decimal | None:
    """The median of the candidates' mids (lower median: an exact member)."""
    ordered = sorted(mids)
    return ordered[(len(ordered) - 1) // 2] if ordered else None


def build_request(
    asset: str,
    coins: Decimal,
    instruments: Sequence[Instrument],
    market: MarketView,
    *,
    holdings: Holdings,
    cfg: RouteConfig,
    venues: Sequence[str] = (),
    exclude: Sequence[str] = (),
    exclude_pairs: Collection[Pair] = (),
) -> PlanRequest | str:
    """The `PlanRequest` for changing the hedge of `asset` by `coins` (signed), or why
    there is none ("no_candidates", "no_price")."""
    side: Side = "sell" if coins < 0 else "buy"
    usable = [
        i
        for i in instruments
        if i.base == asset
        and (not venues or i.venue in venues)
        and i.venue not in exclude
        and (i.venue, i.symbol) not in exclude_pairs
        and market.routable((i.venue, i.symbol))
    ]
    mids = [m for i in usable if (m := market.books[(i.venue, i.symbol)].mid) is not None]
    ref = ref_price(mids)
    if ref is None:
        return "no_candidates" if not usable else "no_price"
    candidates: list[Candidate] = []
    for inst in usable:
        book = market.books[(inst.venue, inst.symbol)]
        depth = book.depth(side, cfg.max_levels)
        if depth is None:
            continue
        max_qty = inst.max_qty
        if side == "sell":
            limit = cfg.max_position.get((inst.venue, inst.symbol))
            held = holdings.qty.get((inst.venue, inst.symbol), Decimal(0))
            max_qty = sell_cap(inst.max_qty, limit, held, inst.lot, inst.min_qty)
            if max_qty == 0:
                continue  # full: the risk gate would refuse any sell here
        fees = cfg.fees.get(inst.venue, cfg.default_fees)
        carry: tuple[str, Decimal, int] | None = None
        rate = market.funding.get((inst.venue, inst.symbol))
        if rate is not None and inst.kind == "perpetual" and inst.funding_interval_min:
            carry = ("funding", rate, inst.funding_interval_min)
        candidates.append(
            Candidate(
                venue=inst.venue,
                symbol=inst.symbol,
                depth=depth,
                payoff="inverse" if inst.payoff == "inverse" else "linear",
                multiplier=inst.multiplier,
                lot=inst.lot,
                min_qty=inst.min_qty,
                max_qty=max_qty,
                tick=inst.tick,
                taker_fee=fees.taker,
                maker_fee=fees.maker,
                carry=carry,  # type: ignore[arg-type]
                position_coins=holdings.short_coins(inst, ref),
            )
        )
    if not candidates:
        return "no_candidates"
    shorts: dict[str, Decimal] = {}
    for inst in instruments:
        if inst.base == asset:
            held = holdings.short_coins(inst, ref)
            shorts[inst.venue] = shorts.get(inst.venue, Decimal(0)) + held
    names = sorted({c.venue for c in candidates} | set(shorts))
    limits = [
        VenueLimit(
            venue=v,
            current_coins=shorts.get(v, Decimal(0)),
            max_share=cfg.max_share.get(v, Decimal(1)),
            healthy=market.healthy(v),
        )
        for v in names
    ]
    return PlanRequest(
        asset=asset,
        side=side,
        target_coins=abs(coins),
        ref_price=ref,
        venues=limits,
        candidates=candidates,
        horizon_min=cfg.horizon_min,
    )
