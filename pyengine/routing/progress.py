"""One hedge request's progress: its children, their fills, what is left (pure).

The hedge is signed coins; `filled` is the signed coin delta of the fills of its children
(each fill once, by `(client_order_id, fill_id)`; an inverse fill counts `qty x cv / px` at
its own price). What the next round must still do is `remaining - working`, where `working`
is the signed coins of the children that may still trade (their leaves, at the price they
were planned at). Children are numbered once, across rounds (`next_index`), so the client
order ids (`pyengine.orders.ids.child_order_id(hedge_id, index, venue)`) never repeat and a
restart that rebuilds this from the journal derives the same ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from pyengine.messages.execution import SubmitOrder
from pyengine.messages.hedging import HedgeLeg, HedgeRequest, HedgeResult, HedgeState
from pyengine.routing.market import Instrument

Working = str
"""State of a hedge still running."""
WORKING: Working = "working"


@dataclass(slots=True)
class Child:
    """One child order of a hedge, as journaled before it was sent."""

    index: int
    client_order_id: str
    round: int
    venue: str
    symbol: str
    side: str
    qty: Decimal
    price: Decimal | None
    order_type: str
    ref_price: Decimal
    """The reference price of its plan (coins of its leaves are valued at it)."""
    sent_ns: int = 0
    filled_qty: Decimal = Decimal(0)
    usd: Decimal = Decimal(0)
    """USD value of the coins filled, each at its fill price (an inverse contract's cv)."""
    fees: Decimal = Decimal(0)
    coins: Decimal = Decimal(0)
    """Unsigned coins filled."""
    done: bool = False
    """Ended at the venue or refused: it trades no more (a late fill still counts)."""
    cancel_sent: bool = False

    @classmethod
    def of(
        cls, submit: SubmitOrder, index: int, round_no: int, ref: Decimal, sent_ns: int
    ) -> Child:
        """The child that `submit` sends (as journaled)."""
        return cls(
            index=index,
            client_order_id=submit.client_order_id,
            round=round_no,
            venue=submit.venue,
            symbol=submit.symbol,
            side=submit.side,
            qty=submit.qty,
            price=submit.price,
            order_type=submit.order_type,
            ref_price=ref,
            sent_ns=sent_ns,
        )


@dataclass(slots=True)
class PlannedRound:
    round: int
    coins: Decimal
    vwap: Decimal | None
    cost: Decimal
    shortfall: str | None


@dataclass
class Hedge:
    """A hedge request being worked."""

    request: HedgeRequest
    started_ns: int = 0
    state: str = WORKING
    round: int = 0
    next_index: int = 0
    children: dict[str, Child] = field(default_factory=dict)
    fills: set[tuple[str, str]] = field(default_factory=set)
    rounds: list[PlannedRound] = field(default_factory=list)
    empty_rounds: int = 0
    reason: str = ""
    last_round_ns: int = 0

    @property
    def hedge_id(self) -> str:
        return self.request.hedge_id

    @property
    def target(self) -> Decimal:
        return self.request.delta

    @property
    def filled(self) -> Decimal:
        """Signed coins done."""
        total = Decimal(0)
        for c in self.children.values():
            total += c.coins if c.side == "buy" else -c.coins
        return total

    @property
    def remaining(self) -> Decimal:
        return self.target - self.filled

    def working(self, inst: dict[tuple[str, str], Instrument]) -> Decimal:
        """Signed coins of the children that may still trade."""
        total = Decimal(0)
        for c in self.children.values():
            if c.done:
                continue
            spec = inst.get((c.venue, c.symbol))
            leaves = max(c.qty - c.filled_qty, Decimal(0))
            coins = spec.coins(leaves, c.ref_price) if spec is not None else Decimal(0)
            total += coins if c.side == "buy" else -coins
        return total

    def open_children(self) -> list[Child]:
        return [c for c in self.children.values() if not c.done]

    def apply_fill(
        self,
        child: Child,
        fill_id: str,
        qty: Decimal,
        price: Decimal,
        *,
        fee: Decimal,
        inst: Instrument | None,
    ) -> bool:
        """Count one fill of `child` once; False for a fill already counted."""
        key = (child.client_order_id, fill_id)
        if key in self.fills or qty <= 0 or price <= 0:
            return False
        self.fills.add(key)
        child.filled_qty += qty
        child.fees += fee
        if inst is not None:
            coins = inst.coins(qty, price)
            child.coins += coins
            child.usd += coins * price
        if child.filled_qty >= child.qty:
            child.done = True
        return True

    def result(self, state: HedgeState, now: int, reason: str = "") -> HedgeResult:
        """The `HedgeResult`: filled legs per instrument, coin VWAP, cost against the plan."""
        legs: dict[tuple[str, str, str], list[Decimal]] = {}
        for c in self.children.values():
            if c.filled_qty <= 0:
                continue
            acc = legs.setdefault((c.venue, c.symbol, c.side), [Decimal(0)] * 4)
            acc[0] += c.filled_qty
            acc[1] += c.coins
            acc[2] += c.usd
            acc[3] += c.fees
        out: list[HedgeLeg] = []
        usd = coins = Decimal(0)
        for (venue, symbol, side), (qty, leg_coins, leg_usd, fee) in sorted(legs.items()):
            sign = 1 if side == "buy" else -1
            out.append(
                HedgeLeg(
                    venue=venue,
                    symbol=symbol,
                    side="buy" if side == "buy" else "sell",
                    qty=qty,
                    coin_delta=sign * leg_coins,
                    vwap=leg_usd / leg_coins if leg_coins else Decimal(0),
                    fee=fee,
                )
            )
            usd += leg_usd
            coins += leg_coins
        vwap = usd / coins if coins else None
        planned = self._planned_vwap()
        cost = Decimal(0)
        if vwap is not None and planned is not None:
            # Positive = worse than planned: a sell below plan, a buy above it.
            worse = planned - vwap if self.target < 0 else vwap - planned
            cost = worse * coins
        return HedgeResult(
            ts_event=now,
            ts_recv=now,
            hedge_id=self.hedge_id,
            asset=self.request.asset,
            target=self.target,
            filled=self.filled,
            residual=self.remaining,
            state=state,
            legs=out,
            vwap=vwap,
            planned_vwap=planned,
            cost_vs_plan_usd=cost,
            reason=reason,
        )

    def _planned_vwap(self) -> Decimal | None:
        num = den = Decimal(0)
        for r in self.rounds:
            if r.vwap is not None and r.coins > 0:
                num += r.vwap * r.coins
                den += r.coins
        return num / den if den else None
