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

import dataclasses
from dataclasses import dataclass, field
from decimal import Decimal
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
from pyengine.routing.planner import Num
from pyengine.routing.request import sell_cap

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
class Rung:
    """One size valued: the hedge's gross (carry included), fee and spread in USD, and the
    price per collateral unit before gas, rounded against the requester."""

    size: Decimal
    gross: Decimal
    fee: Decimal
    spread: Decimal
    unit_price: Decimal
    hedge: HedgePlan | None
    hedge_vwap: Decimal | None


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
    mint: list[Rung] = field(default_factory=list)
    redeem: list[Rung] = field(default_factory=list)
    mint_reason: str = ""
    redeem_reason: str = ""
    oracle_px: Decimal | None = None


class Pricer:
    """Quotes and ladders over one `MarketView`; pure (time comes in as `now_ns`).

    Within one pass (`new_pass` starts one: the market changed) plans and candidate lists
    are shared, so stETH and WETH at ratio 1 plan each size once."""

    def __init__(self, cfg: PricingConfig, market: MarketView) -> None:
        self.cfg = cfg
        self.market = market
        self._plans: dict[tuple[str, str, Decimal], HedgePlan | Refused] = {}
        self._values: dict[tuple[str, Decimal, str, Decimal], Rung | Refused] = {}
        self._requests: dict[tuple[str, str], tuple[PlanRequest, Decimal] | Refused] = {}
        self._fitness: dict[tuple[str, int], Fitness] = {}
        self.counters = {"plans": 0, "plan_errors": 0}

    def new_pass(self) -> None:
        """Forget what the last market state planned."""
        self._plans.clear()
        self._values.clear()
        self._requests.clear()
        self._fitness.clear()

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
        self.new_pass()
        fit = None if pc.kind == "stable" else self.market.fitness(pc.asset, now_ns)
        if fit is not None and fit.reason:
            return Refused(NO_PRICE, fit.reason)
        try:
            rung = self._value(pc, side, size, fit)
            if isinstance(rung, Refused):
                return rung
            got = self._amounts(name, pc, side, rung, fit)
        except ArithmeticError as exc:  # Inexact, Overflow: a size no amount can carry
            return Refused(NO_PRICE, f"size {size} cannot be priced exactly: {exc!r}")
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
        _, pc = found
        fit = None if pc.kind == "stable" else self._fit(pc.asset, now_ns)
        out = Ladder(oracle_px=fit.oracle_px if fit is not None else None)
        if fit is not None and fit.reason:
            out.mint_reason = out.redeem_reason = fit.reason
            return out
        out.mint, out.mint_reason = self._rungs(pc, "MINT", fit, cap.limit("MINT"))
        out.redeem, out.redeem_reason = self._rungs(pc, "REDEEM", fit, cap.limit("REDEEM"))
        return out

    def _fit(self, asset: str, now_ns: int) -> Fitness:
        key = (asset, now_ns)
        held = self._fitness.get(key)
        if held is None:
            held = self._fitness[key] = self.market.fitness(asset, now_ns)
        return held

    def _rungs(
        self, pc: PairConfig, side: Side, fit: Fitness | None, limit: Decimal | None
    ) -> tuple[list[Rung], str]:
        rungs: list[Rung] = []
        size = self.cfg.ladder_start
        values = self._values
        for _ in range(self.cfg.ladder_rungs):
            key = (pc.asset, pc.ratio, side, size)
            got = values.get(key)
            if got is None:  # stETH at ratio 1 values like WETH: once a pass
                got = values[key] = self._value(pc, side, size, fit)
            if isinstance(got, Refused):
                return rungs, "" if rungs else got.reason
            if limit is not None and EXACT.multiply(got.unit_price, size) > limit:
                return rungs, "" if rungs else "capacity"
            rungs.append(got)
            size = EXACT.multiply(size, 2)
        return rungs, ""

    def _value(
        self, pc: PairConfig, side: Side, size: Decimal, fit: Fitness | None
    ) -> Rung | Refused:
        cfg = self.cfg
        hedge: HedgePlan | None
        vwap: Decimal | None
        if fit is None:  # a stable: 1:1 less costs
            gross, hedge, vwap, spread = size, None, Decimal(1), _ZERO
            fee = EXACT.multiply(size, cfg.stables_cost_bps).scaleb(-4, EXACT)
        else:
            planned = self._plan(pc.asset, side, EXACT.multiply(size, pc.ratio), fit)
            if isinstance(planned, Refused):
                return planned
            hedge, vwap = planned, planned.vwap
            gross, fee = hedge.gross, hedge.fee
            if hedge.residual_coins > 0:
                # Less than one lot the router cannot trade: priced at the plan's worst
                # price and dearest fee, against the requester.
                gross, fee = _with_residual(hedge, side, cfg)
            gross = EXACT.add(gross, hedge.carry)
            spread = EXACT.multiply(gross, cfg.spread_bps).scaleb(-4, EXACT)
        if side == "MINT":
            net = EXACT.subtract(EXACT.subtract(gross, fee), spread)
            unit = quantize(DOWN.divide(net, size), cfg.price_decimals, "down")
        else:
            net = EXACT.add(EXACT.add(gross, fee), spread)
            unit = quantize(UP.divide(net, size), cfg.price_decimals, "up")
        return Rung(size, gross, fee, spread, max(unit, _ZERO), hedge, vwap)

    def _amounts(
        self, name: str, pc: PairConfig, side: Side, r: Rung, fit: Fitness | None
    ) -> Priced | Refused:
        """Base units of a valued size, rounded against the requester."""
        gas, size = self.cfg.gas_usd, r.size
        costs = EXACT.add(EXACT.add(r.fee, r.spread), gas)
        if side == "MINT":
            usde = to_base(max(_ZERO, EXACT.subtract(r.gross, costs)), USDE_DECIMALS, "down")
            coll = to_base(size, pc.decimals, "up")
        else:
            usde = to_base(EXACT.add(r.gross, costs), USDE_DECIMALS, "up")
            # collateral_out = (usde_in - costs) / VWAP_ask / ratio, VWAP_ask = gross / coins,
            # coins = size x ratio: (usde_in - costs) x size / gross, never above the size.
            usde_in = Decimal(usde).scaleb(-USDE_DECIMALS, EXACT)
            out = DOWN.divide(DOWN.multiply(EXACT.subtract(usde_in, costs), size), r.gross)
            coll = min(to_base(out, pc.decimals, "down"), to_base(size, pc.decimals, "down"))
        if (
            fit is None
            and usde > 0
            and not stables_limit_ok(side, coll, pc.decimals, usde, self.cfg.stables_limit_bps)
        ):
            return Refused(NO_PRICE, "outside the stables limit")
        hedge = r.hedge
        books: tuple[tuple[str, str, int], ...] = ()
        if fit is not None and hedge is not None:
            legs = {(leg.venue, leg.symbol) for leg in hedge.legs}
            books = tuple(
                (b.key[0], b.key[1], b.seq)
                for b in fit.books
                if (b.spec.venue, b.spec.symbol) in legs
            )
        return Priced(
            name, side, size, pc.collateral, coll, usde, r.gross, r.fee, r.spread, gas,
            r.unit_price, r.hedge_vwap, fit.ref_px if fit else None,
            fit.oracle_px if fit else None, hedge, books,
        )  # fmt: skip

    def _plan(self, asset: str, side: Side, coins: Decimal, fit: Fitness) -> HedgePlan | Refused:
        key = (asset, side, coins)
        held = self._plans.get(key)
        if held is None:
            held = self._plans[key] = self._plan_now(asset, side, coins, fit)
        return held

    def _request(
        self, asset: str, side: Side, fit: Fitness
    ) -> tuple[PlanRequest, Decimal] | Refused:
        """The plan request of one side, target left to fill in, and the coins its books
        hold in all (built once a pass)."""
        key = (asset, side)
        held = self._requests.get(key)
        if held is None:
            held = self._requests[key] = self._request_now(asset, side, fit)
        return held

    def _request_now(
        self, asset: str, side: Side, fit: Fitness
    ) -> tuple[PlanRequest, Decimal] | Refused:
        cfg, market = self.cfg, self.market
        assert fit.ref_px is not None
        sell = side == "MINT"
        # Not reduce-only: every instrument and venue may buy back any size.
        unlimited = not sell and not cfg.reduce_only_redeem
        cands = []
        short: dict[str, Decimal] = {}
        total = _ZERO
        now_min = fit.now_ns // 60_000_000_000
        for b in fit.books:
            s = b.spec
            carry: tuple[Literal["funding", "basis"], Num, int] | None = None
            if s.expiry_ms is not None:
                # A future's basis is given back by expiry: the planner values a short at
                # px - basis x (T - horizon) / T, not at its premium (docs/pricing.md).
                minutes = s.expiry_ms // 60_000 - now_min
                if minutes <= 0:
                    continue
                carry = ("basis", str(EXACT.subtract(mid_of(b), fit.ref_px)), minutes)
            held = _UNLIMITED if unlimited else market.short_coins(s, fit.ref_px)
            short[s.venue] = short.get(s.venue, _ZERO) + held
            if not sell and held <= 0:
                continue
            max_qty = s.max_qty
            if sell:
                limit = cfg.max_position.get(f"{s.venue}:{s.symbol}")
                pos = market.positions.get((s.venue, s.symbol), _ZERO)
                max_qty = sell_cap(s.max_qty, limit, pos, s.lot, s.min_qty)
                if max_qty == 0:
                    continue  # full: the router will not sell here either
            depth = b.bids if sell else b.asks
            on_book = Decimal(sum(q for _, q in depth.levels)).scaleb(-depth.sz_scale, EXACT)
            units = UP.multiply(on_book if max_qty is None else min(on_book, max_qty), s.multiplier)
            coins = units if s.payoff == "linear" else UP.divide(units, fit.ref_px)
            total = UP.add(total, coins if sell else min(coins, held))
            cands.append(
                # Exact decimal strings: Rust parses them itself, a third faster a plan
                # than converting Decimals (benches/test_bench_pricing.py).
                Candidate(
                    s.venue, s.symbol, b.bids if sell else b.asks, payoff=s.payoff,
                    multiplier=str(s.multiplier), lot=str(s.lot), min_qty=str(s.min_qty),
                    max_qty=None if max_qty is None else str(max_qty), tick=str(s.tick),
                    taker_fee=str(cfg.taker_fees[s.venue]),
                    maker_fee=str(cfg.maker_fees.get(s.venue, _ZERO)), carry=carry,
                    position_coins=str(held),
                )
            )  # fmt: skip
        if not cands:
            return Refused(NO_PRICE, "no hedge to buy back" if not sell else "no_valid_book")
        venues = [
            VenueLimit(v, current_coins=str(c), max_share=str(cfg.venue_max_share.get(v, 1)))
            for v, c in short.items()
        ]
        req = PlanRequest(
            asset, "sell" if sell else "buy", 0, str(fit.ref_px), venues, cands, cfg.horizon_min
        )
        return req, total

    def _plan_now(
        self, asset: str, side: Side, coins: Decimal, fit: Fitness
    ) -> HedgePlan | Refused:
        got = self._request(asset, side, fit)
        if isinstance(got, Refused):
            return got
        req, total = got
        if coins > total:  # the books cannot fill it: no need to walk them all to know
            return Refused(NO_PRICE, f"depth: {total} of {coins} coins in the books")
        try:
            hedge = plan(dataclasses.replace(req, target_coins=coins))
        except (ContractMathError, InvalidDecimal) as exc:
            self.counters["plan_errors"] += 1
            return Refused(NO_PRICE, f"planner refused: {exc}")
        self.counters["plans"] += 1
        if hedge.gross <= 0 or (hedge.residual_coins > 0 and hedge.shortfall != "lot"):
            return Refused(
                NO_PRICE, f"{hedge.shortfall or 'depth'}: {hedge.filled_coins} of {coins} coins"
            )
        return hedge


_UNLIMITED = Decimal(10**8)
"""Coins a not-reduce-only redeem may buy back per instrument: more than any book holds."""


def _with_residual(hedge: HedgePlan, side: Side, cfg: PricingConfig) -> tuple[Decimal, Decimal]:
    legs = hedge.legs
    worst = min(x.worst_px for x in legs) if side == "MINT" else max(x.worst_px for x in legs)
    rate = max(cfg.taker_fees[x.venue] for x in legs)
    extra = EXACT.multiply(hedge.residual_coins, worst)
    return EXACT.add(hedge.gross, extra), EXACT.add(hedge.fee, EXACT.multiply(extra, rate))
