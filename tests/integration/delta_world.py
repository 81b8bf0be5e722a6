"""The hedging loop in one thread with a manual clock: simulated venues on a scripted market,
the real feed actors (the venues' wire bytes through the Rust normalisers), execution
actors, risk gate, hedger and portfolio (with its delta keeper), wired by topic prefix as
the bus wires them. Each actor's `handle` is called directly; its effects (`Call`s to the
simulated exchange) are run at once, their answers handed back as `Replied`, and the
exchanges' private streams are drained into their execution actors. No event loop, no
thread: a run is deterministic and fast enough for a property test.

Not in the loop: the validator (every book is declared `valid` once it is synced), the
oracles, the custodian's settlement cycles and the RFQ/chain front door (a mint is its
`MintOrderAccepted` and the `HedgeRequest` the RFQ actor would publish after it).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Coroutine, Iterable, Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from functools import partial
from pathlib import Path
from typing import Any

from pyengine.actors.base import Actor, ActorContext
from pyengine.actors.effects import Call, Stream
from pyengine.actors.execution import ExecutionActor
from pyengine.actors.feed import FeedActor
from pyengine.actors.hedger import Hedger
from pyengine.actors.portfolio import PortfolioActor
from pyengine.actors.risk_gate import RiskGate, md_name
from pyengine.clock import ManualClock
from pyengine.contracts import InstrumentSpec
from pyengine.messages import HedgeRequest, Message, MintOrderAccepted, OrderFilled, topics
from pyengine.messages.effects import Received, Replied
from pyengine.messages.validity import InstrumentValidity
from pyengine.portfolio import AssetDelta
from pyengine.runtime.embedded import (
    SHORT,
    default_hedger_options,
    default_portfolio_options,
    default_risk_options,
)
from pyengine.sim import SimExchange, VirtualScheduler
from pyengine.sim.market import MarketUpdate, ScriptedMarket
from pyengine.sim.profiles import profile
from pyengine.sim.world import level_size, world_specs

SEC = 1_000_000_000
T0 = 1_700_000_000_000_000_000
TICK = SEC // 5
"""One step of the settle loop: the hedger's round pause (0.2 s by default)."""
LEVELS = 10
SPREAD_BPS = Decimal(1)
"""Half the spread, and the spacing of the levels, in basis points of the mid."""
COLLATERAL_USD = Decimal(1_000_000_000)
"""Margin each venue account holds: enough that no hedge is refused or liquidated for it."""
STEP_NS = 100_000_000


def _run(call: Call) -> object:
    """Run one effect synchronously: the simulated exchange's calls never wait (no latency
    configured), so the coroutine ends at its first step."""
    coro = call.start()
    assert isinstance(coro, Coroutine)
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value
    coro.close()
    raise AssertionError(f"{call.correlation_id}: the simulated call waited")


class DeltaWorld:
    """Simulated venues, their feed and execution actors, the risk gate, the hedger and the
    portfolio, for `assets`, starting at `prices`."""

    def __init__(
        self,
        tmp: Path,
        prices: dict[str, Decimal],
        *,
        count_upl: bool,
        tolerance_usd: Decimal,
        hedger_tolerance_usd: Decimal = Decimal(1000),
    ) -> None:
        self.clock = ManualClock(T0)
        self.sched = VirtualScheduler(self.clock)
        self.prices = dict(prices)
        now_ms = T0 // 1_000_000
        self.specs: dict[str, dict[str, InstrumentSpec]] = {}
        self.markets: dict[str, ScriptedMarket] = {}
        self.exchanges: dict[str, SimExchange] = {}
        for venue, specs in world_specs(now_ms).items():
            mine = {s: sp for s, sp in specs.items() if sp.base in prices}
            if not mine:
                continue
            market = ScriptedMarket(sorted(mine))
            ex = SimExchange(profile(venue), mine, market, self.sched, step_ns=STEP_NS)
            ex.core.account.credit("USDT", COLLATERAL_USD)
            self.specs[venue], self.markets[venue], self.exchanges[venue] = mine, market, ex
        self.feeds: dict[str, FeedActor] = {}
        self.execs: dict[str, ExecutionActor] = {}
        for venue, ex in self.exchanges.items():
            self.feeds[venue] = FeedActor(
                self._ctx(f"feed_{SHORT[venue]}", {"book_depth": True}), source=ex
            )
            self.execs[venue] = ExecutionActor(
                self._ctx(f"exec_{SHORT[venue]}", {"venue": venue}), client=ex
            )
        risk = default_risk_options(now_ms)
        limits = dict(risk["limits"])
        # Position and net-delta limits for mints of this size (the embedded default's are
        # for a demo book of $1M per instrument); every other check (order notional,
        # order rate, price band, tick and lot, margin) stays as the embedded engine has it.
        limits.update(
            max_net_delta_usd="500000000",
            instruments={k: {"max_position": "1000000000"} for k in limits["instruments"]},
        )
        risk["limits"] = limits
        self.risk = RiskGate(self._ctx("risk", risk))
        hedger = default_hedger_options(now_ms)
        hedger.update(
            journal=str(tmp / "hedger.db"),
            journal_synchronous="normal",
            tolerance_usd=str(hedger_tolerance_usd),
            # the risk gate's raised limits, mirrored (the hedger plans within them)
            max_position={k: v["max_position"] for k, v in limits["instruments"].items()},
        )
        self.hedger = Hedger(self._ctx("hedger", hedger))
        portfolio = default_portfolio_options(now_ms)
        portfolio.update(
            custody={},
            count_upl=count_upl,
            tolerance_usd={a: str(tolerance_usd) for a in prices},
        )
        self.portfolio = PortfolioActor(self._ctx("portfolio", portfolio))
        self.tolerance_usd = tolerance_usd
        self.actors: list[Actor] = [
            *self.feeds.values(),
            *self.execs.values(),
            self.risk,
            self.hedger,
            self.portfolio,
        ]
        self.routes = {id(a): sum(a.topics(), ()) for a in self.actors}
        self.streams: dict[str, ExecutionActor] = {}
        self.queue: deque[tuple[Actor | None, Message]] = deque()
        self.fills: list[OrderFilled] = []
        self.published: list[Message] = []
        """Everything published but market data, in order."""
        self.timers: dict[int, int] = {}
        self.seq = 0
        self._start()

    def _ctx(self, name: str, options: dict[str, Any]) -> ActorContext:
        return ActorContext(name=name, clock=self.clock, options=options)

    # -- the bus ---------------------------------------------------------------------------

    def _outputs(self, actor: Actor, outs: Iterable[object]) -> None:
        for out in outs:
            if isinstance(out, Call):
                self.queue.append(
                    (actor, Replied(correlation_id=out.correlation_id, value=_run(out)))
                )
            elif isinstance(out, Stream):
                assert isinstance(actor, ExecutionActor) and out.correlation_id == "account"
                self.streams[actor.venue] = actor
            elif isinstance(out, Message):
                self.queue.append((None, out))

    def _deliver(self, to: Actor | None, msg: Message) -> None:
        if to is not None:
            self._outputs(to, to.handle(msg))
            return
        topic = msg.topic()
        if not topic.startswith(topics.MD):  # market data is the bulk: not kept
            self.published.append(msg)
        if isinstance(msg, OrderFilled):
            self.fills.append(msg)
        for actor in self.actors:
            if any(topic.startswith(p) for p in self.routes[id(actor)]):
                self._outputs(actor, actor.handle(msg))

    def publish(self, msgs: Sequence[Message]) -> None:
        for m in msgs:
            self.queue.append((None, m))
        self.drain()

    def drain(self) -> None:
        """Deliver everything queued and everything the venues have for us, until quiet."""
        while True:
            while self.queue:
                self._deliver(*self.queue.popleft())
            moved = False
            for venue, ex in self.exchanges.items():
                frames = ex.take_frames()
                feed = self.feeds[venue]
                if frames:
                    moved = True
                    self._outputs(feed, feed.handle(Received(source="frames", item=frames)))
                stream = self.streams.get(venue)
                if stream is not None:
                    for ev in ex.take_events():
                        moved = True
                        self.queue.append((stream, Replied(correlation_id="account", value=ev)))
            if not moved and not self.queue:
                return

    # -- the market ------------------------------------------------------------------------

    def _book(self, spec: InstrumentSpec, mid: Decimal) -> MarketUpdate:
        tick = spec.tick
        step = max(tick, (mid * SPREAD_BPS / 10_000 / tick).to_integral_value() * tick)
        centre = (mid / tick).to_integral_value(ROUND_HALF_EVEN) * tick
        size = level_size(spec, mid)
        bids = [(centre - step * (i + 1), size) for i in range(LEVELS)]
        asks = [(centre + step * (i + 1), size) for i in range(LEVELS)]
        return MarketUpdate(
            spec.symbol,
            self.clock.now_ns(),
            bids=bids,
            asks=asks,
            mark=centre,
            index=centre,
            funding_rate=Decimal(0),
        )

    def refill(self) -> None:
        """Every book back to full depth around its asset's price (the market's makers
        replace what we took); a mark goes out at most once a second per book."""
        for venue, specs in self.specs.items():
            for spec in specs.values():
                self.markets[venue].push(self._book(spec, self.prices[spec.base]))
        self.sched.step_until(self.clock.now_ns())
        self.drain()

    def move(self, asset: str, pct: int) -> None:
        """The asset's price moves by `pct` percent at once, on every venue."""
        self.prices[asset] = (self.prices[asset] * (100 + pct) / 100).quantize(Decimal("0.01"))
        self.refill()

    # -- time ------------------------------------------------------------------------------

    def _start(self) -> None:
        for ex in self.exchanges.values():
            ex.start()
        for actor in self.actors:
            self._outputs(actor, actor.on_start())
        self.refill()
        for venue, ex in self.exchanges.items():
            for sym in sorted(ex.core.specs):  # the first snapshots, as the feed asks them
                self._outputs(self.feeds[venue], [Call(partial(ex.resync, sym), "resync")])
        self.drain()
        verdicts = []
        for venue, specs in self.specs.items():
            for spec in specs.values():
                assert self.feeds[venue].feed.book(spec.symbol, 1).valid, (venue, spec.symbol)
                now = self.clock.now_ns()
                verdicts.append(
                    InstrumentValidity(
                        ts_event=now,
                        ts_recv=now,
                        venue=venue,
                        symbol=md_name(spec),
                        state="valid",
                        reasons=[],
                        dev_bps="0",
                        lag_ms=0,
                    )
                )
        self.publish(verdicts)
        self.tick(SEC)

    def tick(self, ns: int = TICK) -> None:
        """Time passes: the market refills, every actor's timer that is due runs."""
        self.clock.advance(ns)
        now = self.clock.now_ns()
        self.refill()
        for actor in self.actors:
            period = actor.timer_period()
            if period is None:
                continue
            last = self.timers.get(id(actor), 0)
            if now - last >= int(period * SEC):
                self.timers[id(actor)] = now
                self._outputs(actor, actor.on_timer(now))
        self.drain()

    def busy(self) -> bool:
        rounds = self.hedger.rounds
        working = rounds is not None and bool(rounds.hedges)
        return working or bool(self.portfolio.keeper.open)

    def within(self) -> bool:
        tol = self.portfolio.keeper.config.tolerance
        return all(abs(self.delta(a).delta_usd) <= tol(a) for a in sorted(self.prices))

    def settle(self, limit_s: float = 300.0, *, within: bool = True) -> float:
        """Run until no hedge is working and no request is open, and then either every
        asset is within tolerance after two portfolio timers, or nothing happened for the
        keeper's retry period (it retries a failed hedge after `retry_after_s`); returns the
        virtual seconds it took. `within=False`: a delta is known to be out of reach (the
        keeper retries it for ever), two portfolio timers of quiet are enough."""
        start = self.clock.now_ns()
        idle_since: int | None = None
        retry = int(self.portfolio.keeper.config.retry_after_s * SEC)
        while True:
            now = self.clock.now_ns()
            if now - start > limit_s * SEC:
                raise AssertionError(f"not settled after {limit_s}s: {self.describe()}")
            if self.busy():
                idle_since = None
                self.tick()
                continue
            if idle_since is None:
                idle_since = now
            idle = now - idle_since
            reached = not within or self.within()
            if idle >= 2 * SEC + TICK and (reached or idle >= retry + 2 * SEC):
                return (now - start) / SEC
            self.tick(TICK if idle < 2 * SEC else SEC)

    # -- the front door -------------------------------------------------------------------

    def mint(self, asset: str, coins: Decimal, *, redeem: bool = False) -> str:
        """A mint (or redeem) of `coins` of `asset` (as WETH / WBTC) accepted, and the hedge
        request the RFQ actor publishes after it."""
        self.seq += 1
        kind = "redeem" if redeem else "mint"
        order_id = f"o{self.seq}"
        hedge_id = f"{kind}-{order_id}"
        now = self.clock.now_ns()
        usde = (coins * self.prices[asset]).quantize(Decimal("0.01"))
        accepted = MintOrderAccepted(
            ts_event=now,
            ts_recv=now,
            order_id=order_id,
            order_type="REDEEM" if redeem else "MINT",
            benefactor="0xb",
            beneficiary="0xb",
            collateral={"ETH": "WETH", "BTC": "WBTC"}[asset],
            asset=asset,
            collateral_amount=coins,
            usde_amount=usde,
            hedge_id=hedge_id,
        )
        request = HedgeRequest(
            ts_event=now,
            ts_recv=now,
            hedge_id=hedge_id,
            asset=asset,
            delta=coins if redeem else -coins,
            reason="redeem" if redeem else "mint",
            source_id=order_id,
        )
        self.publish([accepted])
        self.tick()
        self.publish([request])
        return hedge_id

    # -- what it holds ---------------------------------------------------------------------

    def delta(self, asset: str) -> AssetDelta:
        d = self.portfolio.holdings.delta(asset)
        assert d is not None, asset
        return d

    def venue_positions(self) -> dict[tuple[str, str], Decimal]:
        return {
            (venue, sym): ex.core.account.qty(sym)
            for venue, ex in self.exchanges.items()
            for sym in sorted(ex.core.specs)
            if ex.core.account.qty(sym) != 0
        }

    def short_coins(self, asset: str) -> Decimal:
        """Our shorts' contract coin delta at the marks (positive)."""
        return -sum((p.coins for p in self.portfolio.holdings.positions(asset)), Decimal(0))

    def describe(self) -> str:
        rows = []
        for asset in sorted(self.prices):
            d = self.delta(asset)
            rows.append(
                f"{asset}@{d.price}: custody {d.custody} hedge {d.hedge} delta {d.delta} "
                f"(${d.delta_usd:.0f}) drift {d.inverse_drift}"
            )
        rounds = self.hedger.rounds
        working = sorted(rounds.hedges) if rounds is not None else []
        rows.append(f"working {working}, keeper open {sorted(self.portfolio.keeper.open)}")
        rows.append(f"positions {self.venue_positions()}")
        return "; ".join(rows)
