"""The pricing actor (kind `pricing`): indicative ladders and firm quote prices.

A thin shell over `pyengine.pricing` (docs/pricing.md): it feeds the `MarketView` with
depth (`md.depth.`), validity (`md.validity.`), oracles (`oracle.`), the minting contract's
capacity (`chain.capacity.`) and the hedge held (`acct.position.`), and

- publishes an `IndicativeLadder` per pair every `ladder_interval_s` (250 ms) and at once
  when a change of the asset's market moves it materially (a side withdrawn or back, a
  rung more or less, capacity, a rung's price by `material_bps` or more);
- answers each `QuoteRequest` (reliable mailbox) with a `QuotePriced` in base units or a
  `QuoteUnavailable` with the API's code, under the same `request_id`; each priced quote
  also goes out as a `QuotePlan` (same `plan_id`: inputs and legs), which is critical, so
  the recorder journals it for `pyengine explain`.

Options: every `PricingConfig` field, plus `instruments` (the risk gate's list of saved
instrument files), `ladder_interval_s` and `material_bps`.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec

from pyengine._core import EngineError
from pyengine.actors.base import Actor, ActorContext
from pyengine.actors.effects import Output
from pyengine.contracts import InstrumentSpec, load_instruments_file
from pyengine.errors import ConfigError
from pyengine.messages import (
    BookDepth,
    IndicativeLadder,
    LadderRung,
    Message,
    MintCapacity,
    OraclePrice,
    PositionReport,
    QuotePlan,
    QuotePriced,
    QuoteRequest,
    QuoteUnavailable,
    topics,
)
from pyengine.messages.pricing_plan import PlanBook, PlannedLeg
from pyengine.messages.validity import InstrumentValidity
from pyengine.pricing import Capacity, Ladder, MarketView, Priced, Pricer, PricingConfig


class InstrumentFile(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """A saved instrument response of one venue and the symbols to price on (the risk
    gate's `instruments` entries)."""

    venue: str
    path: str
    symbols: list[str] = []


class PricingOptions(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    instruments: list[InstrumentFile] = []
    ladder_interval_s: float = 0.25
    material_bps: Decimal = Decimal(1)


class PricingActor(Actor):
    subscribe = (
        topics.MD_DEPTH,
        topics.MD_VALIDITY,
        topics.ORACLE,
        topics.CHAIN_CAPACITY,
        topics.ACCT_POSITION,
    )
    reliable = (topics.CMD_QUOTE_REQUEST,)

    def __init__(self, ctx: ActorContext) -> None:
        super().__init__(ctx)
        raw: dict[str, Any] = dict(ctx.options)
        own = {
            k: raw.pop(k) for k in ("instruments", "ladder_interval_s", "material_bps") if k in raw
        }
        try:
            self.opts = msgspec.convert(own, PricingOptions)
            self.cfg = msgspec.convert(raw, PricingConfig)
        except (msgspec.ValidationError, ValueError) as exc:
            raise ConfigError(f"actors.{self.name}.options: {exc}") from None
        if self.opts.ladder_interval_s <= 0 or self.opts.material_bps < 0:
            raise ConfigError(
                f"actors.{self.name}.options: ladder_interval_s > 0, material_bps >= 0"
            )
        self._specs: list[InstrumentSpec] | None = None
        self._market: MarketView | None = None
        self._pricer: Pricer | None = None
        self.capacity: dict[str, Capacity] = {}
        self.last: dict[str, IndicativeLadder] = {}
        self.counters = dict.fromkeys(("ladders", "quotes", "priced", "unavailable", "ignored"), 0)

    def timer_period(self) -> float | None:
        return self.opts.ladder_interval_s

    @property
    def pricer(self) -> Pricer:
        """Built on first use: construction reads no file (actors/base.py)."""
        if self._pricer is None:
            specs: list[InstrumentSpec] = []
            for i, f in enumerate(self.opts.instruments):
                try:
                    loaded = load_instruments_file(f.venue, Path(f.path))
                except (EngineError, OSError) as exc:
                    raise ConfigError(
                        f"actors.{self.name}.options.instruments[{i}]: {exc}"
                    ) from None
                specs += [s for s in loaded if not f.symbols or s.symbol in f.symbols]
            self._market = MarketView(self.cfg, specs)
            self._pricer = Pricer(self.cfg, self._market)
        return self._pricer

    @property
    def market(self) -> MarketView:
        return self.pricer.market

    def on_start(self) -> Sequence[Output]:
        self.pricer  # noqa: B018  (load the instrument files now, not on the first book)
        return []

    def handle(self, msg: Message) -> Sequence[Output]:
        t = type(msg)
        now = self.now()
        market = self.market
        if t is BookDepth:
            return self._refresh(market.on_depth(msg), now)  # type: ignore[arg-type]
        if t is InstrumentValidity:
            return self._refresh(market.on_validity(msg, now), now)  # type: ignore[arg-type]
        if t is OraclePrice:
            return self._refresh(market.on_oracle(msg, now), now)  # type: ignore[arg-type]
        if t is QuoteRequest:
            return self._quote(msg, now)  # type: ignore[arg-type]
        if t is MintCapacity:
            return self._on_capacity(msg, now)  # type: ignore[arg-type]
        if t is PositionReport:
            return self._refresh(market.on_position(msg), now)  # type: ignore[arg-type]
        self.counters["ignored"] += 1
        return []

    def on_timer(self, now_ns: int) -> Sequence[Output]:
        self.pricer.new_pass()
        return [self._ladder(name, now_ns) for name in self.cfg.pairs]

    def _on_capacity(self, msg: MintCapacity, now: int) -> list[Output]:
        self.capacity[msg.collateral.upper()] = Capacity(
            msg.remaining_mint,
            msg.remaining_redeem,
            msg.max_mint_per_order,
            msg.max_redeem_per_order,
        )
        names = [
            n for n, p in self.cfg.pairs.items() if p.collateral.upper() == msg.collateral.upper()
        ]
        return self._publish_changed(names, now)

    def _refresh(self, asset: str | None, now: int) -> list[Output]:
        if asset is None:
            return []
        names = [n for n, p in self.cfg.pairs.items() if p.asset == asset]
        return self._publish_changed(names, now)

    def _publish_changed(self, names: list[str], now: int) -> list[Output]:
        self.pricer.new_pass()
        out: list[Output] = []
        for name in names:
            before = self.last.get(name)
            ladder = self._ladder(name, now)
            if before is None or material(before, ladder, self.opts.material_bps):
                out.append(ladder)
            else:
                self.last[name] = before  # keep the published one as the yardstick
        return out

    def _cap(self, collateral: str) -> Capacity:
        return self.capacity.get(collateral.upper(), Capacity())

    def _ladder(self, name: str, now: int) -> IndicativeLadder:
        pc = self.cfg.pairs[name]
        cap = self._cap(pc.collateral)
        lad: Ladder = self.pricer.ladder(name, now, cap)
        msg = IndicativeLadder(
            ts_event=now,
            ts_recv=now,
            pair=name,
            collateral=pc.collateral,
            mint=[LadderRung(p.size, p.unit_price) for p in lad.mint],
            redeem=[LadderRung(p.size, p.unit_price) for p in lad.redeem],
            mint_reason=lad.mint_reason,
            redeem_reason=lad.redeem_reason,
            gas_usd=self.cfg.gas_usd,
            max_mint=cap.max_mint,
            max_redeem=cap.max_redeem,
            remaining_mint=cap.remaining_mint,
            remaining_redeem=cap.remaining_redeem,
            oracle_px=lad.oracle_px,
        )
        self.last[name] = msg
        self.counters["ladders"] += 1
        return msg

    def _quote(self, req: QuoteRequest, now: int) -> list[Output]:
        self.counters["quotes"] += 1
        found = self.cfg.pair(req.pair)
        cap = self._cap(found[1].collateral) if found else Capacity()
        got = self.pricer.quote(req.pair, req.side, req.size, now, cap)
        if not isinstance(got, Priced):
            self.counters["unavailable"] += 1
            return [
                QuoteUnavailable(
                    ts_event=now,
                    ts_recv=now,
                    request_id=req.request_id,
                    pair=req.pair,
                    side=req.side,
                    code=got.code,
                    reason=got.reason,
                )
            ]
        self.counters["priced"] += 1
        plan_id = self.ids.next_id("plan-")
        priced = QuotePriced(
            ts_event=now,
            ts_recv=now,
            request_id=req.request_id,
            pair=got.pair,
            side=req.side,
            size=req.size,
            collateral_asset=got.collateral,
            collateral_amount=Decimal(got.collateral_amount),
            usde_amount=Decimal(got.usde_amount),
            gas_usd=got.gas_usd,
            hedge_vwap=got.hedge_vwap,
            oracle_px=got.oracle_px,
            plan_id=plan_id,
        )
        return [priced, quote_plan(got, plan_id, req.request_id, self.cfg, now)]

    def stats(self) -> dict[str, int]:
        extra = {} if self._pricer is None else {**self.pricer.counters, **self.market.counters}
        return {**self.counters, **extra}


def material(old: IndicativeLadder, new: IndicativeLadder, bps: Decimal) -> bool:
    """A change worth publishing before the timer: availability, rungs, capacity, or a rung
    price moved by `bps` or more."""
    if (old.mint_reason, old.redeem_reason) != (new.mint_reason, new.redeem_reason):
        return True
    if len(old.mint) != len(new.mint) or len(old.redeem) != len(new.redeem):
        return True
    if (old.remaining_mint, old.remaining_redeem, old.max_mint, old.max_redeem) != (
        new.remaining_mint,
        new.remaining_redeem,
        new.max_mint,
        new.max_redeem,
    ):
        return True
    for a, b in zip([*old.mint, *old.redeem], [*new.mint, *new.redeem], strict=True):
        if a.price and abs(b.price - a.price) * 10_000 >= bps * a.price:
            return True
    return False


def quote_plan(
    got: Priced, plan_id: str, request_id: str, cfg: PricingConfig, now: int
) -> QuotePlan:
    """The explainable record of one priced quote."""
    pc = cfg.pairs[got.pair]
    hedge = got.plan
    return QuotePlan(
        ts_event=now,
        ts_recv=now,
        plan_id=plan_id,
        request_id=request_id,
        pair=got.pair,
        side=got.side,
        size=got.size,
        asset=pc.asset,
        target_coins=hedge.target_coins if hedge else got.size,
        gross=got.gross,
        fee=got.fee,
        spread=got.spread,
        gas_usd=got.gas_usd,
        spread_bps=cfg.spread_bps if hedge else Decimal(0),
        ratio=pc.ratio,
        hedge_vwap=got.hedge_vwap,
        ref_px=got.ref_px,
        oracle_px=got.oracle_px,
        collateral_amount=Decimal(got.collateral_amount),
        usde_amount=Decimal(got.usde_amount),
        legs=[
            PlannedLeg(
                leg.venue,
                leg.symbol,
                leg.side,
                leg.qty,
                leg.coins,
                leg.vwap,
                leg.worst_px,
                leg.levels,
                leg.gross,
                leg.fee,
            )
            for leg in (hedge.legs if hedge else [])
        ],
        books=[PlanBook(v, s, q) for v, s, q in got.books],
        stops=list(hedge.stops) if hedge else [],
    )
