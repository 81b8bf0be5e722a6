"""Prices a mint or redeem from the hedge the router would trade for it (docs/pricing.md).

For an asset pair, `q` collateral units hedge `q x ratio` coins; the split planner plans
that hedge over every usable candidate book (mint sells: bids; redeem buys back: asks),
and with its gross notional `G` (= coins x VWAP, plus the plan's carry: a dated future's
basis, which a short gives back by expiry, so a future's premium is not paid out to the
requester; 0 on perpetuals at the default horizon), its fees `F`, gas `g` and the spread
buffer `s = G x spread_bps`:

- mint:   `usde_out = G - F - g - s`, rounded DOWN to USDe base units;
- redeem: `usde_in = G + F + g + s`, rounded UP, and the collateral paid out is the
  formula's `collateral_out = (usde_in - F - g - s) / VWAP_ask / ratio`, rounded DOWN to
  collateral base units (never more than the size asked);
- stables: VWAP 1 and `F = q x stables_cost_bps`, no spread, inside the contract's stables
  limit (docs/mint-redeem.md#stables-limit).

Refusals carry the API's codes (docs/mint-redeem.md#error-codes): 33 no usable price
(invalid data, oracle, depth short of the size), 8 the size does not cover gas, 9 (mint)
and 17 (redeem) the block or per-order capacity (our assignment of the two codes).
Ladder prices are per collateral unit before gas, floored (mint) or ceiled (redeem).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Literal

from pyengine._core import ContractMathError, HedgePlan, InvalidDecimal
from pyengine.pricing.amounts import (
    DOWN,
    EXACT,
    UP,
    USDE_DECIMALS,
    quantize,
    stables_limit_ok,
    to_base,
)
from pyengine.pricing.config import PairConfig, PricingConfig
from pyengine.pricing.market import Fitness, MarketView, mid_of
from pyengine.routing import Candidate, PlanRequest, VenueLimit, plan

Side = Literal["MINT", "REDEEM"]
NO_PRICE, BELOW_GAS, MINT_CAPACITY, REDEEM_CAPACITY = 33, 8, 9, 17
_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Capacity:
    """The minting contract's room for one collateral, in USDe (None: not known)."""

    remaining_mint: Decimal | None = None
    remaining_redeem: Decimal | None = None
    max_mint: Decimal | None = None
    max_redeem: Decimal | None = None

    def limit(self, side: Side) -> Decimal | None:
        pair = (
            (self.remaining_mint, self.max_mint)
            if side == "MINT"
            else (self.remaining_redeem, self.max_redeem)
        )
        known = [x for x in pair if x is not None]
        return min(known) if known else None


@dataclass(frozen=True, slots=True)
class Priced:
    """A priced size: base-unit amounts, the hedge plan and every input that made it."""

    pair: str
    side: Side
    size: Decimal
    collateral: str
    collateral_amount: int
    usde_amount: int
    gross: Decimal
    fee: Decimal
    spread: Decimal
    gas_usd: Decimal
    unit_price: Decimal
    """USDe per collateral unit before gas (the ladder's price)."""
    hedge_vwap: Decimal | None
    ref_px: Decimal | None
    oracle_px: Decimal | None
    plan: HedgePlan | None = None
    books: tuple[tuple[str, str, int], ...] = ()
    """(venue, book symbol, book sequence) the plan walked."""


@dataclass(frozen=True, slots=True)
class Refused:
    code: int
    reason: str


@dataclass(slots=True)
class Ladder:
    mint: list[Priced] = field(default_factory=list)
    redeem: list[Priced] = field(default_factory=list)
    mint_reason: str = ""
    redeem_reason: str = ""
    oracle_px: Decimal | None = None


class Pricer:
    """Quotes and ladders over one `MarketView`; pure (time comes in as `now_ns`)."""

    def __init__(self, cfg: PricingConfig, market: MarketView) -> None:
        self.cfg = cfg
        self.market = market
        self._plans: dict[tuple[str, str, Decimal], HedgePlan | Refused] = {}
        self.counters = {"plans": 0, "plan_errors": 0}

    def quote(
        self, pair: str, side: Side, size: Decimal, now_ns: int, cap: Capacity = Capacity()
    ) -> Priced | Refused:
        """Price `size` collateral units of `pair` for `side`, checked against capacity."""
        found = self.cfg.pair(pair)
        if found is None:
            return Refused(NO_PRICE, f"unknown pair {pair}")
        name, pc = found
        if not size.is_finite() or size <= 0:
            return Refused(NO_PRICE, f"size must be > 0, got {size}")
        self._plans.clear()
        fit = None if pc.kind == "stable" else self.market.fitness(pc.asset, now_ns)
        if fit is not None and fit.reason:
            return Refused(NO_PRICE, fit.reason)
        got = self._price(name, pc, side, size, fit)
        if isinstance(got, Refused):
            return got
        if got.gross - got.fee - got.spread <= got.gas_usd:
            return Refused(BELOW_GAS, f"size {size} does not cover gas of {got.gas_usd} USD")
        limit = cap.limit(side)
        if limit is not None and to_base(limit, USDE_DECIMALS, "down") < got.usde_amount:
            code = MINT_CAPACITY if side == "MINT" else REDEEM_CAPACITY
            return Refused(code, f"{side.lower()} capacity {limit} USDe is below the order")
        return got

    def ladder(self, pair: str, now_ns: int, cap: Capacity = Capacity()) -> Ladder:
        """Sizes doubling from `ladder_start` on each side until depth or capacity ends."""
        found = self.cfg.pair(pair)
        if found is None:
            return Ladder(mint_reason="unknown pair", redeem_reason="unknown pair")
        name, pc = found
        fit = None if pc.kind == "stable" else self.market.fitness(pc.asset, now_ns)
        out = Ladder(oracle_px=fit.oracle_px if fit is not None else None)
        if fit is not None and fit.reason:
            out.mint_reason = out.redeem_reason = fit.reason
            return out
        for side in ("MINT", "REDEEM"):
            rungs, reason = self._rungs(name, pc, side, fit, cap.limit(side))
            if side == "MINT":
                out.mint, out.mint_reason = rungs, reason
            else:
                out.redeem, out.redeem_reason = rungs, reason
        return out

    def new_pass(self) -> None:
        """Forget plans shared between pairs of one asset (call when the market changed)."""
        self._plans.clear()

    def _rungs(
        self, name: str, pc: PairConfig, side: Side, fit: Fitness | None, limit: Decimal | None
    ) -> tuple[list[Priced], str]:
        rungs: list[Priced] = []
        size = self.cfg.ladder_start
        for _ in range(self.cfg.ladder_rungs):
            got = self._price(name, pc, side, size, fit)
            if isinstance(got, Refused):
                return rungs, "" if rungs else got.reason
            if limit is not None and EXACT.multiply(got.unit_price, size) > limit:
                return rungs, "" if rungs else "capacity"
            rungs.append(got)
            size = EXACT.multiply(size, 2)
        return rungs, ""

    def _price(
        self, name: str, pc: PairConfig, side: Side, size: Decimal, fit: Fitness | None
    ) -> Priced | Refused:
        cfg = self.cfg
        gas = cfg.gas_usd
        hedge: HedgePlan | None
        vwap: Decimal | None
        if fit is None:  # a stable: 1:1 less costs
            gross, hedge, vwap = size, None, Decimal(1)
            fee = EXACT.multiply(size, cfg.stables_cost_bps).scaleb(-4, EXACT)
            spread, coins = _ZERO, size
        else:
            coins = EXACT.multiply(size, pc.ratio)
            planned = self._plan(pc.asset, side, coins, fit)
            if isinstance(planned, Refused):
                return planned
            hedge = planned
            gross, fee = hedge.gross, hedge.fee
            if hedge.residual_coins > 0:
                # Less than one lot the router cannot trade: priced at the plan's worst
                # price and dearest fee, against the requester.
                gross, fee = _with_residual(hedge, side, cfg)
            gross = EXACT.add(gross, hedge.carry)
            spread = EXACT.multiply(gross, cfg.spread_bps).scaleb(-4, EXACT)
            vwap = hedge.vwap
        if side == "MINT":
            net = EXACT.subtract(EXACT.subtract(gross, fee), spread)
            usde = to_base(max(_ZERO, EXACT.subtract(net, gas)), USDE_DECIMALS, "down")
            coll = to_base(size, pc.decimals, "up")
            per_unit = DOWN.divide(net, size)
            unit = quantize(per_unit, cfg.price_decimals, "down") if net > 0 else _ZERO
        else:
            costs = EXACT.add(EXACT.add(fee, spread), gas)
            usde = to_base(EXACT.add(gross, costs), USDE_DECIMALS, "up")
            # collateral_out = (usde_in - costs) / VWAP_ask / ratio, VWAP_ask = gross / coins
            out = (Fraction(usde, 10**USDE_DECIMALS) - Fraction(costs)) * Fraction(coins)
            out /= Fraction(gross) * Fraction(pc.ratio) if fit is not None else Fraction(gross)
            coll = min(to_base(out, pc.decimals, "down"), to_base(size, pc.decimals, "down"))
            per_unit = UP.divide(EXACT.add(gross, EXACT.add(fee, spread)), size)
            unit = quantize(per_unit, cfg.price_decimals, "up")
        if (
            fit is None
            and usde > 0
            and not stables_limit_ok(side, coll, pc.decimals, usde, cfg.stables_limit_bps)
        ):
            return Refused(NO_PRICE, "outside the stables limit")
        books = (
            tuple(
                (b.key[0], b.key[1], b.seq)
                for b in fit.books
                if any(leg.venue == b.key[0] and leg.symbol == b.spec.symbol for leg in hedge.legs)
            )
            if fit is not None and hedge is not None
            else ()
        )
        return Priced(
            name,
            side,
            size,
            pc.collateral,
            coll,
            usde,
            gross,
            fee,
            spread,
            gas,
            unit,
            vwap,
            fit.ref_px if fit else None,
            fit.oracle_px if fit else None,
            hedge,
            books,
        )

    def _plan(self, asset: str, side: Side, coins: Decimal, fit: Fitness) -> HedgePlan | Refused:
        key = (asset, side, coins)
        held = self._plans.get(key)
        if held is not None:
            return held
        result = self._plan_now(asset, side, coins, fit)
        self._plans[key] = result
        return result

    def _plan_now(
        self, asset: str, side: Side, coins: Decimal, fit: Fitness
    ) -> HedgePlan | Refused:
        cfg, market = self.cfg, self.market
        assert fit.ref_px is not None
        sell = side == "MINT"
        cands = []
        short: dict[str, Decimal] = {}
        now_min = fit.now_ns // 60_000_000_000
        for b in fit.books:
            s = b.spec
            carry = None
            if s.expiry_ms is not None:
                # A future's basis is given back by expiry: the planner values a short at
                # px - basis x (T - horizon) / T, not at its premium (docs/pricing.md).
                minutes = s.expiry_ms // 60_000 - now_min
                if minutes <= 0:
                    continue
                carry = ("basis", EXACT.subtract(mid_of(b), fit.ref_px), minutes)
            held = market.short_coins(s, fit.ref_px)
            short[s.venue] = short.get(s.venue, _ZERO) + held
            if not sell and cfg.reduce_only_redeem and held <= 0:
                continue
            cands.append(
                Candidate(
                    s.venue,
                    s.symbol,
                    b.bids if sell else b.asks,
                    payoff=s.payoff,
                    multiplier=s.multiplier,
                    lot=s.lot,
                    min_qty=s.min_qty,
                    max_qty=s.max_qty,
                    tick=s.tick,
                    taker_fee=cfg.taker_fees[s.venue],
                    maker_fee=cfg.maker_fees.get(s.venue, _ZERO),
                    carry=carry,  # type: ignore[arg-type]
                    position_coins=held if cfg.reduce_only_redeem else coins,
                )
            )
        if not cands:
            return Refused(NO_PRICE, "no hedge to buy back" if not sell else "no_valid_book")
        venues = [
            VenueLimit(
                v,
                # A buy is capped by the hedge held on the venue: unless reduce-only, enough.
                current_coins=c if sell or cfg.reduce_only_redeem else coins,
                max_share=cfg.venue_max_share.get(v, Decimal(1)),
            )
            for v, c in short.items()
        ]
        req = PlanRequest(
            asset, "sell" if sell else "buy", coins, fit.ref_px, venues, cands, cfg.horizon_min
        )
        try:
            hedge = plan(req)
        except (ContractMathError, InvalidDecimal) as exc:
            self.counters["plan_errors"] += 1
            return Refused(NO_PRICE, f"planner refused: {exc}")
        self.counters["plans"] += 1
        if hedge.gross <= 0 or (hedge.residual_coins > 0 and hedge.shortfall != "lot"):
            return Refused(
                NO_PRICE, f"{hedge.shortfall or 'depth'}: {hedge.filled_coins} of {coins} coins"
            )
        return hedge


def _with_residual(hedge: HedgePlan, side: Side, cfg: PricingConfig) -> tuple[Decimal, Decimal]:
    legs = hedge.legs
    worst = min(x.worst_px for x in legs) if side == "MINT" else max(x.worst_px for x in legs)
    rate = max(cfg.taker_fees[x.venue] for x in legs)
    extra = EXACT.multiply(hedge.residual_coins, worst)
    return EXACT.add(hedge.gross, extra), EXACT.add(hedge.fee, EXACT.multiply(extra, rate))
