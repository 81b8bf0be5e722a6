"""Pricing speed (issue 12, "Speed"): a book update to the indicative ladder republished, in
one process, and one ladder of 8 sizes over 5 venues recomputed.

The market is five simulated venues' ETH and BTC books (50 levels a side, every linear and
inverse perpetual and future the embedded engine lists), both oracles fresh and every
verdict valid; redeem is priced as well as mint (`reduce_only_redeem = false`, as if the
hedge were held), so each update recomputes both sides of both ETH pairs.

- Update -> ladder: a `BookDepth` is encoded and published on an inproc PUB socket, the
  pricing actor's SUB receives and decodes it, `handle` recomputes the ladders, and each
  `IndicativeLadder` is encoded, published and received decoded by a second subscriber.
  The best bid alternates by 2 bp, so every update is material and republished. Baseline,
  same run: one bare hop of the same `BookDepth` (encode, PUB, SUB, decode). Twice: with
  the ladder running to the end of the depth (11 sizes a side, the worst case) and with
  the V1 launch limit of 100,000 USDe an order (5 sizes a side). Target:
  p99 <= 1 ms; asserted as a multiple of the bare hop's p99 (`HOP_BUDGET`) on the thread's
  CPU time (wall-clock p99 on a shared box is other processes' preemption), wall and CPU
  absolute numbers printed.
- Ladder: `Pricer.ladder` with 8 sizes on WBTC/USDe (BTC is listed on all five venues),
  median; baseline, same run: the 16 bare
  planner calls it makes (8 sizes x 2 sides) on the same candidates.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from decimal import Decimal as D

import msgspec
import pytest
import uvloop

from benches.conftest import report
from pyengine.actors.base import ActorContext
from pyengine.actors.pricing import PricingActor
from pyengine.bus import Bus
from pyengine.clock import ManualClock
from pyengine.messages import BookDepth, IndicativeLadder, MintCapacity, decode, encode
from pyengine.pricing import MarketView, Pricer
from pyengine.routing import Candidate, PlanRequest, VenueLimit, plan
from pyengine.runtime.embedded import default_pricing_options
from tests.unit.pricing_world import FEES, NOW, config, five_venues, market, oracle, verdict

UPDATES = 600
WARMUP = 60
HOP_BUDGET = 50
"""1 ms over a bare inproc hop's p99 of 20 us (what this box measures when quiet): the p99
of an update to a republished ladder may be 50 hops (the target, with the order limit)."""
WORST_BUDGET = 100
"""The worst case (no capacity limit, 11 sizes a side to the end of 2,500 ETH of depth)
measures about 1.0-1.1 ms at p99 here, at or just over the target: guarded at twice it."""
LADDER_BUDGET = 3
"""A ladder may cost at most 3x the planner calls it makes (pricing's own arithmetic,
rounding and candidate building on top of the planner)."""


def p99(xs: list[int]) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(len(s) * 0.99))] / 1e3


def pricing_actor(capacity: bool = False) -> PricingActor:
    opts = default_pricing_options() | {"taker_fees": FEES, "reduce_only_redeem": False}
    a = PricingActor(ActorContext(name="pricing", clock=ManualClock(NOW), options=opts))
    a.on_start()
    if capacity:  # the V1 launch limit: 100,000 USDe an order (docs/mint-redeem.md)
        for coll in ("WETH", "stETH"):
            cap = D(100_000)
            a.handle(
                MintCapacity(
                    ts_event=NOW, ts_recv=NOW, collateral=coll, block=1, remaining_mint=cap * 10,
                    remaining_redeem=cap * 10, max_mint_per_order=cap, max_redeem_per_order=cap,
                )
            )  # fmt: skip
    for b in five_venues():
        a.handle(b)
        a.handle(verdict(b.venue, b.symbol))
    for src in ("pyth", "redstone"):
        a.handle(oracle(src, "ETH", "3000"))
        a.handle(oracle(src, "BTC", "60000"))
    return a


def updates() -> list[BookDepth]:
    (book,) = [b for b in five_venues() if (b.venue, b.symbol) == ("binance-usdm", "ETHUSDT")]
    low = [(str(D(px) - D("0.60")), qty) for px, qty in book.bids]  # 2 bp lower
    return [
        msgspec.structs.replace(book, bids=book.bids if i % 2 else low, book_seq=i + 2)
        for i in range(UPDATES)
    ]


Times = tuple[list[int], list[int]]


async def hop_and_pipeline(capacity: bool = False) -> tuple[Times, Times, int]:
    """((wall, cpu) ns of the bare hop, (wall, cpu) ns of update -> ladder, ladders got)."""
    bus = Bus()
    pub_md, pub_px = bus.pub("inproc://b.md"), bus.pub("inproc://b.px")
    sub_md = bus.sub(["inproc://b.md"], ["md."])
    sub_px = bus.sub(["inproc://b.px"], ["price."])
    await asyncio.sleep(0.05)  # inproc SUB connect (setup only, not timed)
    actor = pricing_actor(capacity)
    msgs = updates()
    clock, cpu = time.perf_counter_ns, time.thread_time_ns
    hop: Times = ([], [])
    for m in msgs:
        t0, c0 = clock(), cpu()
        pub_md.send((m.topic().encode(), encode(m)))
        (fr,) = await sub_md.recv_batch(1)
        decode(fr[1])
        hop[0].append(clock() - t0)
        hop[1].append(cpu() - c0)
    lat: Times = ([], [])
    got = 0
    for m in msgs:
        t0, c0 = clock(), cpu()
        pub_md.send((m.topic().encode(), encode(m)))
        (fr,) = await sub_md.recv_batch(1)
        out = actor.handle(decode(fr[1]))
        for x in out:
            assert isinstance(x, IndicativeLadder)
            pub_px.send((x.topic().encode(), encode(x)))
        want = len(out)
        while want:
            for f in await sub_px.recv_batch(64):
                got += isinstance(decode(f[1]), IndicativeLadder)
                want -= 1
        lat[0].append(clock() - t0)
        lat[1].append(cpu() - c0)
    for ch in (sub_md, sub_px, pub_md, pub_px):
        ch.close()
    bus.close()
    cut = (hop[0][WARMUP:], hop[1][WARMUP:]), (lat[0][WARMUP:], lat[1][WARMUP:])
    return cut[0], cut[1], got


@pytest.mark.parametrize("capacity", [False, True], ids=["to_depth", "cap_100k"])
def test_book_update_to_ladder_republished(capacity: bool) -> None:
    hop, lat, got = uvloop.run(hop_and_pipeline(capacity))
    cpu99, hop_cpu99 = p99(lat[1]), p99(hop[1])
    report(
        f"pricing book update -> ladder republished ({'100k cap' if capacity else 'to depth'})",
        updates=len(lat[0]),
        ladders=got,
        p50_us=statistics.median(lat[0]) / 1e3,
        p99_us=p99(lat[0]),
        cpu_p50_us=statistics.median(lat[1]) / 1e3,
        cpu_p99_us=cpu99,
        bare_hop_p50_us=statistics.median(hop[0]) / 1e3,
        bare_hop_p99_us=p99(hop[0]),
        bare_hop_cpu_p99_us=hop_cpu99,
        cpu_p99_in_hops=cpu99 / hop_cpu99,
    )
    assert got >= 2 * (UPDATES - 1)  # both ETH pairs republished on every update
    # On this thread's CPU time: the box is shared, and a wall-clock p99 there is the
    # scheduler's quantum (a ~10 ms preemption every few hundred ms of work), not ours.
    budget = HOP_BUDGET if capacity else WORST_BUDGET
    assert cpu99 <= budget * hop_cpu99, f"p99 {cpu99:.0f} us = {cpu99 / hop_cpu99:.1f} hops"


def bare_plans(pricer: Pricer, sizes: list[D]) -> None:
    fit = pricer.market.fitness("BTC", NOW)
    assert fit.ref_px is not None
    cfg = pricer.cfg
    for side in ("sell", "buy"):
        cands = [
            Candidate(
                b.spec.venue, b.spec.symbol, b.bids if side == "sell" else b.asks,
                payoff=b.spec.payoff, multiplier=b.spec.multiplier, lot=b.spec.lot,
                min_qty=b.spec.min_qty, max_qty=b.spec.max_qty, tick=b.spec.tick,
                taker_fee=cfg.taker_fees[b.spec.venue], position_coins=10**5,
            )
            for b in fit.books
        ]  # fmt: skip
        venues = [VenueLimit(v, current_coins=10**5) for v in {c.venue for c in cands}]
        for q in sizes:
            plan(PlanRequest("BTC", side, q, fit.ref_px, venues, cands))


def test_ladder_8_sizes_5_venues() -> None:
    cfg = config(ladder_rungs=8, reduce_only_redeem=False)
    m: MarketView = market(cfg, five_venues(), {"ETH": "3000", "BTC": "60000"})
    pricer = Pricer(cfg, m)
    sizes = [D(2) ** k for k in range(1, 9)]
    lad = pricer.ladder("WBTC/USDe", NOW)
    assert len(lad.mint) == len(lad.redeem) == 8
    assert len({b.key[0] for b in m.fitness("BTC", NOW).books}) == 5

    def timed(fn: object) -> list[int]:
        out = []
        for _ in range(200):
            t0 = time.perf_counter_ns()
            fn()  # type: ignore[operator]
            out.append(time.perf_counter_ns() - t0)
        return out[20:]

    def one_ladder() -> None:
        pricer.new_pass()
        pricer.ladder("WBTC/USDe", NOW)

    ladder = statistics.median(timed(one_ladder))
    planner = statistics.median(timed(lambda: bare_plans(pricer, sizes)))
    report(
        "pricing ladder 8 sizes x 5 venues",
        ladder_median_us=ladder / 1e3,
        bare_planner_16_calls_median_us=planner / 1e3,
        ladder_vs_planner=ladder / planner,
    )
    assert ladder <= LADDER_BUDGET * planner, f"{ladder / planner:.1f}x the planner calls"
