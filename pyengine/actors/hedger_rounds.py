"""The hedger's bookkeeping: hedges, their rounds of child orders, and the journal.

`Rounds` is the hedger actor's state, synchronous and loop-free (`pyengine.actors.hedger`
says what it does; this is how). Every public entry point stages what it changed in the
journal and commits before returning the messages it produced: write-ahead.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from decimal import ROUND_DOWN, Decimal
from typing import Any

import msgspec

from pyengine.errors import EngineError
from pyengine.messages import (
    CancelOrder,
    HedgeRequest,
    HedgeResult,
    Message,
    OrderFilled,
    OrderRejected,
    SubmitOrder,
)
from pyengine.messages.hedging import HedgeState
from pyengine.orders import OrderError, OrderTable, child_order_id, is_ambiguous
from pyengine.orders.outcome import is_duplicate_submit
from pyengine.routing.children import ChildSpec, child_for, slices
from pyengine.routing.explain import explain_plan
from pyengine.routing.market import Instrument, MarketView
from pyengine.routing.planner import HedgePlan, plan
from pyengine.routing.progress import Child, Hedge, PlannedRound
from pyengine.routing.request import Holdings, RouteConfig, build_request, ref_price
from pyengine.store.hedges import HedgeJournal

log = logging.getLogger("pyengine.actors.hedger")

Pair = tuple[str, str]
_QUANTUM = Decimal("1e-12")
CHECKPOINT_NS = 1_000_000_000
"""How often the timer folds the journal's WAL back (never inside a commit)."""


class Rounds:
    """Every hedge of one hedger, its children and our holdings from their fills."""

    def __init__(
        self,
        name: str,
        journal: HedgeJournal,
        instruments: dict[Pair, Instrument],
        route: RouteConfig,
        *,
        tolerance_usd: Decimal,
        max_rounds: int,
        round_interval_ns: int,
        require_valid: bool = True,
        max_child_usd: Decimal | None = None,
        refusal_backoff_ns: int = 2_000_000_000,
        max_wait_ns: int = 30_000_000_000,
    ) -> None:
        self.name = name
        self.journal = journal
        self.instruments = instruments
        self.route = route
        self.tolerance_usd = tolerance_usd
        self.max_rounds = max_rounds
        self.round_interval_ns = round_interval_ns
        self.max_child_usd = max_child_usd
        self.refusal_backoff_ns = refusal_backoff_ns
        self.max_wait_ns = max_wait_ns
        self.market = MarketView(require_valid=require_valid)
        self.holdings = Holdings()
        self.orders = OrderTable()
        self.hedges: dict[str, Hedge] = {}
        self.finished: dict[str, HedgeResult] = {}
        self.child_of: dict[str, Hedge] = {}
        self.spent: set[str] = set()
        """Hedge ids of an earlier run not resumed (`restart(resume=False)`): never reused."""
        self.submits: dict[str, SubmitOrder] = {}
        self.refused: dict[str, dict[Pair, int]] = {}
        """Per hedge, instruments that refused a child, and until when they are avoided."""
        self.ref: dict[str, Decimal] = {}
        self.rerouted: dict[str, int] = {}
        """Per hedge, its rounds that re-routed a refused child's quantity at once: the same
        round sent elsewhere, not a round of the `max_rounds` budget."""
        self.checkpoint_ns = 0
        self.counters: dict[str, int] = dict.fromkeys(
            ("requests", "duplicates", "children", "fills", "rounds", "resent", "bad_input"), 0
        )

    # Entry points

    def handle(self, msg: Message, now: int) -> list[Message]:
        out: list[Message] = []
        if self.market.update(msg):
            self._on_market(msg, now, out)
        elif isinstance(msg, HedgeRequest):
            self._request(msg, now, out)
        else:
            coid = getattr(msg, "client_order_id", None)
            hedge = self.child_of.get(coid) if isinstance(coid, str) else None
            if hedge is not None:
                self._event(hedge, msg, now, out)
        self.journal.commit()
        return out

    def on_timer(self, now: int) -> list[Message]:
        out: list[Message] = []
        for hedge in list(self.hedges.values()):
            for c in hedge.open_children():
                timeout = int(hedge.request.post_only_timeout_s * 1e9)
                if c.order_type == "post_only" and not c.cancel_sent and now - c.sent_ns > timeout:
                    out.append(self._cancel(hedge, c, now))
            self._advance(hedge, now, out)
        self.journal.commit()
        if now - self.checkpoint_ns >= CHECKPOINT_NS:
            self.checkpoint_ns = now
            self.journal.checkpoint()
        return out

    def restart(self, replay: Iterable[Message], now: int, *, resume: bool = True) -> list[Message]:
        """Rebuild from the journal, settle it with the engine journal's events, resend the
        children nobody answered (same ids) and re-plan the rest.

        `resume=False` (venues that start afresh with the process, as the simulated ones):
        nothing is resumed and no holding is kept; the journal's hedge ids stay spent."""
        if not resume:
            self.spent.update(h.request.hedge_id for h in self.journal.load(include_finished=True))
            return []
        for jh in self.journal.load(include_finished=True):
            if jh.result is not None:
                self.finished[jh.request.hedge_id] = jh.result
            hedge = Hedge(jh.request, started_ns=jh.started_ns, round=jh.rounds)
            for jc in jh.children:
                s = jc.submit
                child = Child.of(s, jc.index, jc.round, jc.ref_price, jc.sent_ns)
                child.done = jc.done
                hedge.children[s.client_order_id] = child
                hedge.next_index = max(hedge.next_index, jc.index + 1)
                self.child_of[s.client_order_id] = hedge
                self._submit_table(s)
            for cid, fid, qty, px, fee in jh.fills:
                self._count_fill(hedge, hedge.children[cid], (fid, qty, px, fee), journal=False)
            if jh.result is None:
                self.hedges[hedge.hedge_id] = hedge
        out: list[Message] = []
        answered: set[str] = set()
        for msg in replay:
            if isinstance(msg, HedgeRequest):
                if msg.hedge_id not in self.hedges and msg.hedge_id not in self.finished:
                    self._request(msg, now, out, plan_now=False)
                continue
            coid = getattr(msg, "client_order_id", "")
            known = self.child_of.get(coid)
            if known is not None:
                answered.add(coid)
                self._event(known, msg, now, out, replan=False)
        for hedge in self.hedges.values():
            for c in hedge.open_children():
                if c.client_order_id not in answered:
                    out.append(self._submit_msg(c, now))
                    self.counters["resent"] += 1
        self.journal.commit()
        return out

    # Requests and rounds

    def _request(
        self, msg: HedgeRequest, now: int, out: list[Message], *, plan_now: bool = True
    ) -> None:
        hid = msg.hedge_id
        if hid in self.hedges or hid in self.finished or hid in self.spent:
            self.counters["duplicates"] += 1
            return
        if msg.asset not in {i.base for i in self.instruments.values()} or msg.delta == 0:
            self.counters["bad_input"] += 1
            result = Hedge(msg).result(
                "failed", now, "nothing to hedge on" if msg.delta else "zero"
            )
            self.journal.begin(msg, now)
            self._finish_result(result, out)
            return
        self.counters["requests"] += 1
        hedge = Hedge(msg, started_ns=now)
        self.hedges[hid] = hedge
        self.journal.begin(msg, now)
        if plan_now:
            self._round(hedge, now, out)

    def _tolerance_coins(self, hedge: Hedge) -> Decimal:
        ref = self.ref.get(hedge.request.asset)
        if ref is None or ref <= 0:
            return Decimal(0)
        return self.tolerance_usd / ref

    def _advance(self, hedge: Hedge, now: int, out: list[Message]) -> None:
        """Start the next round if this one is over (or finish the hedge)."""
        if hedge.hedge_id in self.hedges:
            self._round(hedge, now, out, paced=True)

    def _round(
        self,
        hedge: Hedge,
        now: int,
        out: list[Message],
        *,
        paced: bool = False,
        reroute: bool = False,
    ) -> None:
        req = hedge.request
        # The planner takes at most 18 decimals; inverse fills divide. Toward zero.
        need = (hedge.remaining - hedge.working(self.instruments)).quantize(_QUANTUM, ROUND_DOWN)
        if req.delta * need <= 0:  # nothing left in the hedge's direction
            need = Decimal(0)
        tol = self._tolerance_coins(hedge)
        busy = bool(hedge.open_children())
        if need == 0 or abs(need) <= tol:
            if not busy:
                self._finish(hedge, "done", now, out)
            return
        # Re-routes after refusals come at once, with no time for the market (or the risk
        # gate's reference price) to move: counted, a price-band refusal of every venue
        # burnt the whole budget in one instant and failed the hedge.
        if hedge.round - self.rerouted.get(hedge.hedge_id, 0) >= self.max_rounds:
            if not busy:
                state: HedgeState = "partial" if hedge.filled else "failed"
                self._finish(hedge, state, now, out, hedge.reason or "max_rounds")
            return
        if paced and now - hedge.last_round_ns < self.round_interval_ns:
            return  # the books refill between rounds
        hedge.last_round_ns = now
        built = build_request(
            req.asset,
            need,
            list(self.instruments.values()),
            self.market,
            holdings=self.holdings,
            cfg=self.route,
            venues=req.venues,
            exclude=req.exclude_venues,
            exclude_pairs={p for p, t in self.refused.get(hedge.hedge_id, {}).items() if t > now},
        )
        result: HedgePlan | None = None
        why = built if isinstance(built, str) else ""
        if not isinstance(built, str):
            try:
                result = plan(built)
            except EngineError as exc:  # input the planner refuses: this round plans nothing
                why = f"planner: {exc}"
        if result is None or isinstance(built, str):
            # Nothing to route on (no valid book, every venue down): wait for the market,
            # up to `max_wait_ns` from the start; these waits are not rounds.
            hedge.reason = why
            hedge.empty_rounds += 1
            if not busy and now - hedge.started_ns > self.max_wait_ns:
                end: HedgeState = "partial" if hedge.filled else "failed"
                self._finish(hedge, end, now, out, why)
            return
        hedge.round += 1
        if reroute:
            self.rerouted[hedge.hedge_id] = self.rerouted.get(hedge.hedge_id, 0) + 1
        self.counters["rounds"] += 1
        self.ref[req.asset] = Decimal(built.ref_price)
        hedge.rounds.append(
            PlannedRound(
                hedge.round, result.filled_coins, result.vwap, result.cost, result.shortfall
            )
        )
        sent: list[str] = []
        for leg in result.legs:
            inst = self.instruments.get((leg.venue, leg.symbol))
            if inst is None:
                continue
            pair = (leg.venue, leg.symbol)
            opposite = "buy" if leg.side == "sell" else "sell"
            spec = child_for(
                inst,
                leg.side,
                leg.qty,
                req.policy,
                take_touch=self.market.touch(pair, leg.side),
                make_touch=self.market.touch(pair, opposite),
                slippage_bps=req.slippage_bps,
            )
            if spec is None:
                continue
            ref = Decimal(built.ref_price)
            for qty in slices(spec.qty, inst, ref, self.max_child_usd):
                sent.append(self._child(hedge, spec, qty, ref, now=now, out=out))
        self.journal.plan(
            hedge.hedge_id, hedge.round, now, explain_plan(need, built, result, sent, req.policy)
        )
        if not sent:
            hedge.reason = result.shortfall or "no_legs"
            if result.shortfall in ("lot", "min_size") and not hedge.open_children():
                last: HedgeState = "done" if hedge.filled else "failed"
                self._finish(hedge, last, now, out, f"residual below {result.shortfall}")

    def _child(
        self,
        hedge: Hedge,
        spec: ChildSpec,
        qty: Decimal,
        ref: Decimal,
        *,
        now: int,
        out: list[Message],
    ) -> str:
        """Journal one child (staged; committed before `handle` returns) and send it."""
        index = hedge.next_index
        hedge.next_index += 1
        coid = child_order_id(hedge.hedge_id, index, spec.venue)
        submit = SubmitOrder(
            ts_event=now,
            ts_recv=now,
            client_order_id=coid,
            venue=spec.venue,
            symbol=spec.symbol,
            side=spec.side,
            qty=qty,
            price=spec.price,
            order_type=spec.order_type,
            tif=spec.tif,
            reduce_only=spec.reduce_only,
            strategy=self.name,
            parent_id=hedge.hedge_id,
            correlation_id=hedge.request.source_id,
        )
        hedge.children[coid] = Child.of(submit, index, hedge.round, ref, now)
        self.child_of[coid] = hedge
        self._submit_table(submit)
        self.journal.child(submit, index, hedge.round, ref, now)
        self.counters["children"] += 1
        out.append(submit)
        return coid

    def _finish(
        self, hedge: Hedge, state: HedgeState, now: int, out: list[Message], reason: str = ""
    ) -> None:
        self.hedges.pop(hedge.hedge_id, None)
        self.rerouted.pop(hedge.hedge_id, None)
        self._finish_result(hedge.result(state, now, reason), out)

    def _finish_result(self, result: HedgeResult, out: list[Message]) -> None:
        self.finished[result.hedge_id] = result
        self.journal.finish(result)
        out.append(result)

    # Orders

    def _submit_table(self, submit: SubmitOrder) -> None:
        self.submits[submit.client_order_id] = submit
        try:
            self.orders.submit(submit)
        except OrderError as exc:
            log.warning("%s: %s", self.name, exc)

    def _submit_msg(self, c: Child, now: int) -> SubmitOrder:
        """A child sent again after a restart: the order as journaled, under its id."""
        return msgspec.structs.replace(self.submits[c.client_order_id], ts_event=now, ts_recv=now)

    def _cancel(self, hedge: Hedge, c: Child, now: int) -> CancelOrder:
        c.cancel_sent = True
        cancel = CancelOrder(
            ts_event=now,
            ts_recv=now,
            client_order_id=c.client_order_id,
            venue=c.venue,
            parent_id=hedge.hedge_id,
        )
        try:
            self.orders.apply(cancel)
        except OrderError as exc:
            log.warning("%s: %s", self.name, exc)
        return cancel

    def _event(
        self, hedge: Hedge, msg: Message, now: int, out: list[Message], *, replan: bool = True
    ) -> None:
        child = hedge.children[msg.client_order_id]  # type: ignore[attr-defined]
        try:
            self.orders.apply(msg)
        except OrderError as exc:
            log.warning("%s: %s", self.name, exc)
        if isinstance(msg, OrderFilled):
            self._count_fill(hedge, child, (msg.fill_id, msg.qty, msg.price, msg.fee), journal=True)
        refused = False
        if (
            isinstance(msg, OrderRejected)
            and not is_ambiguous(msg)
            and not is_duplicate_submit(msg)
        ):
            avoid = self.refused.setdefault(hedge.hedge_id, {})
            avoid[(child.venue, child.symbol)] = now + self.refusal_backoff_ns
            refused = True
        order = self.orders.get(child.client_order_id)
        if not child.done and order is not None and order.is_terminal:
            child.done = True
            self.journal.child_done(child.client_order_id)
        if not replan or hedge.hedge_id not in self.hedges:
            return
        if refused:  # its quantity goes elsewhere now, away from the refusing instrument
            # Free of the round budget only while the refusing instrument is avoided: each
            # re-route then has one instrument fewer, so they end (no backoff: they count).
            self._round(hedge, now, out, reroute=self.refusal_backoff_ns > 0)
        elif not hedge.open_children():
            self._advance(hedge, now, out)

    def _count_fill(
        self,
        hedge: Hedge,
        child: Child,
        fill: tuple[str, Decimal, Decimal, Decimal],
        *,
        journal: bool,
    ) -> None:
        """Count `fill` (fill_id, qty, price, fee) of `child` once."""
        fill_id, qty, price, fee = fill
        inst = self.instruments.get((child.venue, child.symbol))
        if not hedge.apply_fill(child, fill_id, qty, price, fee=fee, inst=inst):
            return
        self.counters["fills"] += 1
        self.holdings.add((child.venue, child.symbol), child.side, qty)
        if journal:
            self.journal.fill(
                hedge.hedge_id, child.client_order_id, fill_id, qty=qty, price=price, fee=fee
            )
            if child.done:
                self.journal.child_done(child.client_order_id)

    # Market

    def _on_market(self, msg: Message, now: int, out: list[Message]) -> None:
        venue = getattr(msg, "component", None)
        if venue is None:
            return
        for v in list(self.market.down):
            for hedge in list(self.hedges.values()):
                moved = False
                for c in hedge.open_children():
                    if c.venue != v:
                        continue
                    if not c.cancel_sent:
                        out.append(self._cancel(hedge, c, now))
                    # Its leaves go to the healthy venues; a late fill still counts.
                    c.done = True
                    self.journal.child_done(c.client_order_id)
                    moved = True
                if moved:
                    hedge.last_round_ns = 0
                    self._advance(hedge, now, out)

    # Views

    def requests(self) -> list[dict[str, Any]]:
        """Working hedges, then the last 50 ended ones (`hedging.requests[]` of status)."""
        rows = [
            (h.hedge_id, h.request.asset, h.target, h.filled, "working")
            for h in self.hedges.values()
        ]
        rows += [
            (r.hedge_id, r.asset, r.target, r.filled, r.state)
            for r in list(self.finished.values())[-50:]
        ]
        keys = ("id", "asset", "target", "filled", "state")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def stats(self) -> dict[str, int]:
        return {**self.counters, "working": len(self.hedges)}


__all__ = ["Rounds", "ref_price"]
