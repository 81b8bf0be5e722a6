"""From a planned leg to the child order that trades it, per execution policy (pure).

- `ioc` (default): a limit IOC at the touch moved by `slippage_bps` against us, rounded to
  the tick toward the touch (never past the cap): it takes what the book has within the
  cap and the venue cancels the rest, which the next round re-plans.
- `post_only`: a maker order resting at our side's touch (best ask for a sell, best bid
  for a buy); the hedger cancels it after `post_only_timeout_s` and re-plans the rest.
- `market`: no price (the risk gate prices it at the touch).

A buy closes shorts: it is `reduce_only`, so the venue itself refuses to flip a position
(the planner already caps a buy at the short held).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from pyengine.messages.execution import OrderType, Side, TimeInForce
from pyengine.routing.market import Instrument

_BPS = Decimal(10_000)


@dataclass(frozen=True, slots=True)
class ChildSpec:
    """One child order, before it has an id."""

    venue: str
    symbol: str
    side: Side
    qty: Decimal
    price: Decimal | None
    order_type: OrderType
    tif: TimeInForce
    reduce_only: bool


def round_to_tick(price: Decimal, tick: Decimal, *, up: bool) -> Decimal:
    steps = (price / tick).to_integral_value(rounding=ROUND_CEILING if up else ROUND_FLOOR)
    return steps * tick


def capped_price(touch: Decimal, side: Side, slippage_bps: Decimal, tick: Decimal) -> Decimal:
    """The IOC limit: `touch` moved `slippage_bps` against us, on the tick, within the cap."""
    if side == "sell":
        return round_to_tick(touch * (1 - slippage_bps / _BPS), tick, up=True)
    return round_to_tick(touch * (1 + slippage_bps / _BPS), tick, up=False)


def child_for(
    inst: Instrument,
    side: Side,
    qty: Decimal,
    policy: str,
    *,
    take_touch: Decimal | None,
    make_touch: Decimal | None,
    slippage_bps: Decimal,
) -> ChildSpec | None:
    """The child order of one leg, or None when the book it needs is gone.

    `take_touch` is the price a taker meets first (best bid for a sell), `make_touch` the
    best price on our own side (best ask for a sell)."""
    reduce_only = side == "buy"
    if policy == "market":
        return ChildSpec(inst.venue, inst.symbol, side, qty, None, "market", "ioc", reduce_only)
    if policy == "post_only":
        if make_touch is None:
            return None
        return ChildSpec(
            inst.venue, inst.symbol, side, qty, make_touch, "post_only", "gtx", reduce_only
        )
    if take_touch is None:
        return None
    price = capped_price(take_touch, side, slippage_bps, inst.tick)
    return ChildSpec(inst.venue, inst.symbol, side, qty, price, "limit", "ioc", reduce_only)


def slices(qty: Decimal, inst: Instrument, ref: Decimal, max_usd: Decimal | None) -> list[Decimal]:
    """`qty` cut into children of at most `max_usd` each at `ref` (the risk gate's largest
    order notional), on the lot; a last piece below the minimum size is left for the next
    round rather than sent to be refused."""
    if max_usd is None or max_usd <= 0:
        return [qty]
    unit_usd = inst.multiplier if inst.payoff == "inverse" else inst.multiplier * ref
    if unit_usd <= 0:
        return [qty]
    most = (max_usd / unit_usd / inst.lot).to_integral_value(rounding=ROUND_FLOOR) * inst.lot
    if most <= 0 or most < inst.min_qty:
        return []
    out: list[Decimal] = []
    left = qty
    while left > most:
        out.append(most)
        left -= most
    if left > 0 and left >= inst.min_qty:
        out.append(left)
    return out
