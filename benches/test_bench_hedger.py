"""Hedge request -> first child order handed to the venue client, in one process.

The path is the real actors' `handle`s in a row, as their runners call them: the hedger
plans the split (Rust planner over five ETH books) and commits its write-ahead journal
(SQLite, `synchronous=FULL` and `NORMAL` both measured), the risk gate checks the child
(Rust `RiskEngine`), and the execution actor turns the approved `PlaceOrder` into the
`Call` whose start hands the order to its venue client; the clock stops when the client's
`place` is called. The two bus hops between the three actors are not in it: the baseline,
one bare `zmq.asyncio` inproc hop (half a ping-pong) measured in the same run, says what
they add. p50 and p99 over >= 10,000 requests are printed absolute and as ratios; only a
loose ratio is asserted (a shared 2-core machine).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import uvloop
import zmq

from benches.conftest import report
from benches.test_bench_bus import BarePingPong, pct
from pyengine.actors.base import ActorContext
from pyengine.actors.effects import Call
from pyengine.actors.execution import ExecutionActor
from pyengine.actors.hedger import Hedger
from pyengine.actors.risk_gate import RiskGate
from pyengine.clock import ManualClock
from pyengine.messages import (
    BalanceReport,
    BookDepth,
    BookTop,
    HedgeRequest,
    Message,
    PlaceOrder,
    SubmitOrder,
)
from pyengine.messages.effects import Replied
from pyengine.messages.validity import InstrumentValidity
from pyengine.runtime.embedded import default_hedger_options, default_risk_options

N = 10_000
WARMUP = 500
BOOKS = {
    ("binance-usdm", "ETHUSDT"): (D("0.01"), D("50")),
    ("binance-coinm", "ETHUSD_PERP"): (D("0.01"), D("15000")),
    ("okx", "ETH-USDT-SWAP"): (D("0.01"), D("500")),
    ("deribit", "ETH-PERPETUAL"): (D("0.05"), D("150000")),
}


class Client:
    """A venue client (`ExecutionClient`) that answers nothing: the clock stops when the
    execution actor's `Call` hands it the order."""

    def __init__(self, venue: str) -> None:
        self._venue = venue

    @property
    def venue(self) -> str:
        return self._venue

    async def place(self, order: Any) -> Any:
        return None

    async def cancel(self, client_order_id: str, symbol: str) -> Any:
        return None

    async def amend(self, *args: Any, **kwargs: Any) -> Any:
        return None

    async def account_events(self) -> AsyncIterator[Any]:
        await asyncio.sleep(3600)
        yield None

    async def open_orders(self) -> list[Any]:
        return []

    async def positions(self) -> list[Any]:
        return []

    async def balances(self) -> list[Any]:
        return []


def market(mid: D) -> list[Message]:
    out: list[Message] = []
    for (venue, symbol), (tick, size) in BOOKS.items():
        bids = [(str(mid - tick * (i + 1)), str(size)) for i in range(50)]
        asks = [(str(mid + tick * (i + 1)), str(size)) for i in range(50)]
        out.append(
            BookDepth(ts_event=1, ts_recv=1, venue=venue, symbol=symbol, bids=bids, asks=asks)
        )
        out.append(
            BookTop(ts_event=1, ts_recv=1, venue=venue, symbol=symbol, bids=bids[:5], asks=asks[:5])
        )
        out.append(
            InstrumentValidity(
                ts_event=1,
                ts_recv=1,
                venue=venue,
                symbol=symbol,
                state="valid",
                reasons=[],
                dev_bps="",
                lag_ms=0,
            )
        )
    return out


def pipeline(tmp: Path, sync: str) -> list[float]:
    clock = ManualClock()
    hopts = {**default_hedger_options(), "journal": str(tmp / f"h-{sync}.db")}
    hopts["journal_synchronous"] = sync
    hedger = Hedger(ActorContext(name="hedger", clock=clock, options=hopts))
    ropts = default_risk_options()
    limits = dict(ropts["limits"])
    limits.update(
        max_order_notional_usd="1000000000",
        max_net_delta_usd="1000000000000",
        max_orders_per_window=10_000_000,
        instruments={k: {"max_position": "100000000000"} for k in limits["instruments"]},
    )
    risk = RiskGate(ActorContext(name="risk", clock=clock, options={**ropts, "limits": limits}))
    execs: dict[str, tuple[ExecutionActor, Client]] = {}
    for venue, _ in BOOKS:
        ex = ExecutionActor(
            ActorContext(name=f"exec_{venue}", clock=clock, options={"venue": venue})
        )
        ex.on_start()
        client = Client(venue)
        ex.handle(Replied(correlation_id="client", value=client))
        execs[venue] = (ex, client)
    hedger.on_start()
    for m in market(D(3000)):
        hedger.handle(m)
        risk.handle(m)
    for venue, _ in BOOKS:  # collateral, so margin headroom is no limit here
        big = D(10) ** 12
        risk.handle(
            BalanceReport(
                ts_event=1, ts_recv=1, venue=venue, asset="USDT", wallet=big, available=big
            )
        )
    samples: list[float] = []
    for i in range(N + WARMUP):
        req = HedgeRequest(
            ts_event=1,
            ts_recv=1,
            hedge_id=f"b-{sync}-{i}",
            asset="ETH",
            delta=D("-1"),
            reason="manual",
        )
        t0 = time.perf_counter_ns()
        first = next(m for m in hedger.handle(req) if isinstance(m, SubmitOrder))
        (placed,) = risk.handle(first)
        assert isinstance(placed, PlaceOrder), placed
        ex, client = execs[first.venue]
        call = next(e for e in ex.handle(placed) if isinstance(e, Call))
        coro = call.start()  # the order is handed to the client here
        t1 = time.perf_counter_ns()
        coro.close()  # type: ignore[attr-defined]
        if i >= WARMUP:
            samples.append((t1 - t0) / 1000)
        if i % 200 == 0:  # the hedger's timer, between requests as in the engine
            clock.advance(1_000_000_000)
            hedger.on_timer(clock.now_ns())
    hedger.close()
    return samples


async def bare_hops(n: int) -> list[float]:
    ctx: zmq.Context[Any] = zmq.Context()
    pp = BarePingPong(ctx, "inproc://bench-hedger-hop")
    try:
        for _ in range(WARMUP):
            await pp.round()
        return [await pp.round() / 2 for _ in range(n)]
    finally:
        await pp.close()
        ctx.term()


def test_hedge_request_to_first_child_at_the_venue_client(tmp_path: Path) -> None:
    hop = uvloop.run(bare_hops(N))
    normal = pipeline(tmp_path, "normal")
    full = pipeline(tmp_path, "full")
    hop50, hop99 = pct(hop, 0.5), pct(hop, 0.99)
    n50, n99 = pct(normal, 0.5), pct(normal, 0.99)
    f50, f99 = pct(full, 0.5), pct(full, 0.99)
    report(
        "hedger request->first child at the client (us)",
        bare_hop_p50=hop50,
        bare_hop_p99=hop99,
        normal_p50=n50,
        normal_p90=pct(normal, 0.9),
        normal_p99=n99,
        full_p50=f50,
        full_p90=pct(full, 0.9),
        full_p99=f99,
        normal_p50_x_hop=n50 / hop50,
        normal_p99_x_hop=n99 / hop99,
        full_p50_x_hop=f50 / hop50,
        full_p99_x_hop=f99 / hop99,
    )
    assert len(normal) >= 10_000 and len(full) >= 10_000
    # loose: the in-process path is a bounded number of bus hops' worth of work
    assert n50 / hop50 < 200
