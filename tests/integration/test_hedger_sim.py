"""The hedger on the simulated world, in one process: the embedded actors (venues in their
own wire formats, the Rust normalisers, the validator, the real risk gate, the execution
actors) plus the hedger; a $10M ETH mint hedge ends as shorts whose coin delta matches,
split across venues within their caps; a venue taken down mid-hedge gets no new children;
a redeem buys back reduce-only without flipping any position."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import msgspec
import pytest
import uvloop

from pyengine.actors.hedger import Hedger
from pyengine.actors.hedger_rounds import Rounds
from pyengine.config import ActorConfig, parse_config
from pyengine.messages import Health, HedgeRequest, HedgeResult
from pyengine.runtime.embedded import HEDGE_VENUES, default_actors
from pyengine.runtime.engine import Engine
from pyengine.runtime.plan import EnginePlan, make_plan
from pyengine.sim.host import find_world
from pyengine.sim.venue import SimVenue
from pyengine.store.hedges import HedgeJournal

Poll = Callable[..., Awaitable[None]]
ETH = {
    ("binance-usdm", "ETHUSDT"),
    ("binance-coinm", "ETHUSD_PERP"),
    ("binance-coinm", "ETHUSD_261225"),
    ("okx", "ETH-USDT-SWAP"),
    ("deribit", "ETH-PERPETUAL"),
}


def actors(keeper: bool = False, recover: bool = False) -> list[ActorConfig]:
    out: list[ActorConfig] = []
    for a in default_actors():
        if a.kind == "portfolio" and not keeper:
            # its delta keeper hedges the custodian's starting custody through the hedger;
            # left out so these tests see only their own requests
            continue
        options = dict(a.options)
        if a.kind == "risk":
            limits = dict(a.options["limits"])
            limits.update(
                max_order_notional_usd="20000000",
                max_net_delta_usd="50000000",
                max_orders_per_window=100000,
                instruments={k: {"max_position": "100000000"} for k in limits["instruments"]},
            )
            options["limits"] = limits
        if a.kind == "hedger":
            options.update(
                journal_synchronous="normal",
                round_interval_s=0.3,
                max_rounds=60,
                # the risk gate's raised limits, mirrored
                max_position=dict.fromkeys(options["max_position"], "100000000"),
                tolerance_usd="5000",
                # the world outlives an actor restart here: resume from the journal
                recover=recover,
            )
        out.append(msgspec.structs.replace(a, options=options))
    out.append(ActorConfig(name="poker", kind="pyengine.actors.base:Actor"))
    return out


def request(hid: str, delta: str, reason: Any = "mint") -> HedgeRequest:
    return HedgeRequest(
        ts_event=1, ts_recv=1, hedge_id=hid, asset="ETH", delta=D(delta), reason=reason
    )


def engine_plan(tmp_path: Path, keeper: bool = False, recover: bool = False) -> EnginePlan:
    cfg = parse_config(
        {
            "var_dir": str(tmp_path / "var"),
            "bus": {"transport": "inproc", "heartbeat_s": 0.1},
            "supervisor": {"backoff_initial_s": 0.05, "backoff_max_s": 0.2, "max_failures": 100},
            "actors": [msgspec.to_builtins(a) for a in actors(keeper, recover)],
        }
    )
    return make_plan(cfg)


def test_a_10m_eth_hedge_on_the_simulated_venues(tmp_path: Path, apoll: Poll) -> None:
    plan = engine_plan(tmp_path)

    async def main() -> None:
        engine = Engine(plan)
        run = asyncio.create_task(engine.run())
        try:
            await apoll(engine.ready.is_set, 20, "engine ready")
            poker = engine.runners["poker"]

            def hedger() -> Hedger:
                actor = engine.runners["hedger"].actor
                assert isinstance(actor, Hedger) and actor.rounds is not None
                return actor

            def routable() -> bool:
                a = engine.runners["hedger"].actor
                return (
                    isinstance(a, Hedger)
                    and a.rounds is not None
                    and all(a.rounds.market.routable(p) for p in ETH)
                )

            await apoll(routable, 40, "every ETH instrument valid for the hedger")
            await apoll(lambda: "hedger" in poker.peers_seen, 10, "hedger reachable")
            usd = D(10_000_000)
            mid = hedger().rounds.market.books[("binance-usdm", "ETHUSDT")].mid  # type: ignore[union-attr]
            assert mid is not None
            target = -(usd / mid).quantize(D("0.001"))
            poker.emit([request("mint-10m", str(target))])

            def result(hid: str) -> HedgeResult | None:
                return hedger().rounds.finished.get(hid)  # type: ignore[union-attr]

            await apoll(lambda: result("mint-10m") is not None, 90, "the $10M hedge to end")
            res = result("mint-10m")
            assert res is not None
            assert res.state == "done", res
            tol = D(5000) / mid
            assert abs(res.filled - target) <= tol
            for leg in res.legs:
                assert leg.side == "sell"
            # concentration, as the planner enforces it: every venue's short in coins at one
            # price (inverse coins drift with the price, so fill-time coins would not add up)
            r0 = hedger().rounds
            assert r0 is not None
            ref = r0.ref["ETH"]
            by_venue: dict[str, D] = {}
            for (venue, symbol), qty in r0.holdings.qty.items():
                coins = r0.instruments[(venue, symbol)].coins(-qty, ref)
                by_venue[venue] = by_venue.get(venue, D(0)) + coins
            assert len(by_venue) >= 3  # split, not one book
            total = sum(by_venue.values(), D(0))
            for venue, coins in by_venue.items():
                cap = D(HEDGE_VENUES[venue]["max_share"])
                assert coins <= cap * total * D("1.01"), (venue, coins, total)
            # the venues hold what the hedger believes: shorts, each fill counted once
            world = find_world("sim")
            assert world is not None
            rounds = hedger().rounds
            assert rounds is not None
            for (venue, symbol), qty in rounds.holdings.qty.items():
                pos = world.exchange(venue).core.account.qty(symbol)
                assert pos == qty and qty < 0, (venue, symbol, pos, qty)
            status = engine.status()
            (row,) = [r for r in status.hedging.requests if r.id == "mint-10m"]
            assert row.state == "done" and row.target == target

            # a venue down mid-hedge: no new child goes there, the rest is hedged elsewhere
            poker.emit([request("mint-2", "-500")])
            await apoll(
                lambda: any(s.parent_id == "mint-2" for s in rounds.submits.values()),
                10,
                "mint-2 started",
            )
            now = poker.clock.now_ns()
            poker.emit([Health(ts_event=now, ts_recv=now, component="venue.okx", status="down")])
            await apoll(lambda: "okx" in rounds.market.down, 5, "okx down for the hedger")
            down_at = poker.clock.now_ns()
            await apoll(lambda: result("mint-2") is not None, 60, "mint-2 to end")
            res2 = result("mint-2")
            assert res2 is not None and res2.state == "done", res2
            late = [
                c
                for c in rounds.submits.values()
                if c.parent_id == "mint-2" and c.venue == "okx" and c.ts_event > down_at
            ]
            assert not late

            # a redeem buys back, reduce-only, and flips nothing
            before = dict(rounds.holdings.qty)
            poker.emit([request("redeem-1", "1000", reason="redeem")])
            await apoll(lambda: result("redeem-1") is not None, 60, "the redeem to end")
            res3 = result("redeem-1")
            assert res3 is not None and res3.state == "done", res3
            kids = [s for s in rounds.submits.values() if s.parent_id == "redeem-1"]
            assert kids and all(s.side == "buy" and s.reduce_only for s in kids)
            for pair, qty in rounds.holdings.qty.items():
                assert qty <= 0 and qty >= before.get(pair, D(0)), pair
        finally:
            engine.request_stop("test over")
            await asyncio.wait_for(run, 30)

    uvloop.run(main())


def test_a_hedger_crash_mid_hedge_resumes_from_its_journal(
    tmp_path: Path, apoll: Poll, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hedger fails mid-execution (an exception out of `handle` after some fills, the
    supervisor restarts it from scratch): the new life rebuilds the hedge from its journal
    and the engine journal, under the same child ids; every order at the venues is one the
    journal knew, no fill is lost (the venues hold exactly what the hedger counts), and the
    residual is re-planned until done."""
    plan = engine_plan(tmp_path, recover=True)
    crashed = {"n": 0, "done": False}
    real = Rounds._count_fill

    def count_fill(self: Rounds, *args: Any, **kwargs: Any) -> None:
        real(self, *args, **kwargs)
        crashed["n"] += 1
        if crashed["n"] == 6 and not crashed["done"]:
            crashed["done"] = True
            raise RuntimeError("injected: the hedger dies mid-hedge")

    monkeypatch.setattr(Rounds, "_count_fill", count_fill)
    at_venue: dict[str, int] = {}
    real_submit = SimVenue.submit

    def submit(self: SimVenue, order: Any, ts: int) -> Any:
        at_venue[order.client_order_id] = at_venue.get(order.client_order_id, 0) + 1
        return real_submit(self, order, ts)

    monkeypatch.setattr(SimVenue, "submit", submit)

    async def main() -> None:
        engine = Engine(plan)
        run = asyncio.create_task(engine.run())
        try:
            await apoll(engine.ready.is_set, 20, "engine ready")
            poker = engine.runners["poker"]
            runner = engine.runners["hedger"]

            def rounds() -> Rounds | None:
                a = runner.actor
                return a.rounds if isinstance(a, Hedger) else None

            def routable() -> bool:
                r = rounds()
                return r is not None and all(r.market.routable(p) for p in ETH)

            await apoll(routable, 40, "every ETH instrument valid for the hedger")
            await apoll(lambda: "hedger" in poker.peers_seen, 10, "hedger reachable")
            first = runner.epoch
            poker.emit([request("mint-crash", "-2000")])
            await apoll(lambda: runner.epoch != first, 30, "the hedger to crash and restart")
            await apoll(routable, 40, "the new life to see valid books")

            def ended() -> bool:
                r = rounds()
                return r is not None and "mint-crash" in r.finished

            await apoll(ended, 90, "the hedge to end after the restart")
            r = rounds()
            assert r is not None
            res = r.finished["mint-crash"]
            assert res.state == "done", res
            print("after the restart:", r.stats())
            assert r.counters["rounds"] >= 1  # the new life re-planned the residual
            assert abs(res.filled + 2000) <= D(5000) / D(3000)
            journal = HedgeJournal(runner.actor.path)  # type: ignore[union-attr]
            try:
                (jh,) = [
                    h
                    for h in journal.load(include_finished=True)
                    if h.request.hedge_id == "mint-crash"
                ]
                known = {c.submit.client_order_id for c in jh.children}
                indices = sorted(c.index for c in jh.children)
            finally:
                journal.close()
            mine = {c for c in at_venue if c.startswith("mint-crash")}
            assert mine and mine <= known  # nothing reached a venue the journal did not know
            assert indices == list(range(len(indices)))  # one id per index, none reused
            world = find_world("sim")
            assert world is not None
            for (venue, symbol), qty in r.holdings.qty.items():
                assert world.exchange(venue).core.account.qty(symbol) == qty, (venue, symbol)
            assert sum(r.holdings.qty.values(), D(0)) != 0
        finally:
            engine.request_stop("test over")
            await asyncio.wait_for(run, 30)

    uvloop.run(main())


def test_the_delta_keeper_s_requests_leave_the_engine_delta_neutral(
    tmp_path: Path, apoll: Poll
) -> None:
    """The embedded default as it is (the portfolio and its delta keeper included): the
    custodian's starting custody is hedged through the hedger until every asset's net delta
    is within its tolerance, and `pyengine status` shows the requests done."""
    plan = engine_plan(tmp_path, keeper=True)

    async def main() -> None:
        engine = Engine(plan)
        run = asyncio.create_task(engine.run())
        try:
            await apoll(engine.ready.is_set, 20, "engine ready")

            def neutral() -> bool:
                view = engine.status().portfolio
                if view is None or not view.assets or view.open_requests:
                    return False
                return all(
                    a.custody != 0 and a.hedge != 0 and abs(a.delta_usd) <= a.tolerance_usd
                    for a in view.assets.values()
                )

            await apoll(neutral, 90, "every asset hedged within tolerance")
            rows = engine.status().hedging.requests
            assert rows and all(r.state == "done" for r in rows), rows
            view = engine.status().portfolio
            assert view is not None and {"BTC", "ETH"} <= set(view.assets)
        finally:
            engine.request_stop("test over")
            await asyncio.wait_for(run, 30)

    uvloop.run(main())
