"""The defects the delta property (tests/integration/test_delta_property.py) found, each
pinned at its cause: a venue's fills reached the bus without their order's `parent_id`
(the keeper then traded against a hedge still working), a funding-only `MarkFunding` was
counted as bad input by the portfolio, and a hedger whose children were all refused at
once (a stale reference price after a fast move) burnt its whole round budget in one
instant and failed the hedge, and the delta keeper, re-armed while its own request was
open, re-issued a failed request the moment it failed instead of after `retry_after_s`."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

from pyengine.actors.base import ActorContext
from pyengine.actors.execution import ExecutionActor
from pyengine.clock import ManualClock, SequentialIds
from pyengine.messages import (
    HedgeResult,
    MarkFunding,
    OrderAccepted,
    OrderFilled,
    PlaceOrder,
    SubmitOrder,
)
from pyengine.messages.effects import Replied
from pyengine.portfolio import Keeper, KeeperConfig, KeeperInput
from pyengine.sim import VirtualScheduler, build_world
from tests.unit.portfolio_helpers import holdings
from tests.unit.test_hedger import SEC, hedger, request, results, risk_refusal, submits

VENUE = "binance-usdm"


def test_the_venue_s_answers_and_fills_carry_the_order_s_parent_and_correlation_ids() -> None:
    clock = ManualClock()
    ex = build_world(VirtualScheduler(), seed=5).exchanges[VENUE]
    a = ExecutionActor(
        ActorContext(name="exec", clock=clock, ids=SequentialIds("e"), options={"venue": VENUE})
    )
    a.on_start()
    a.handle(Replied(correlation_id="client", value=ex))
    order = SubmitOrder(
        ts_event=1,
        ts_recv=1,
        client_order_id="mint-1-0",
        venue=VENUE,
        symbol="ETHUSDT",
        side="sell",
        qty=D(1),
        price=D(3000),
        parent_id="mint-1",
        correlation_id="order-7",
    )
    a.handle(PlaceOrder(ts_event=1, ts_recv=1, order=order, parent_id="mint-1"))
    # the venue knows neither id
    acc = OrderAccepted(ts_event=2, ts_recv=2, client_order_id="mint-1-0", venue=VENUE)
    fill = OrderFilled(
        ts_event=3,
        ts_recv=3,
        client_order_id="mint-1-0",
        venue=VENUE,
        symbol="ETHUSDT",
        side="sell",
        fill_id="F1",
        qty=D(1),
        price=D(3000),
    )
    (got_acc,) = a.handle(Replied(correlation_id="place:mint-1-0", value=acc))
    (got_fill,) = a.handle(Replied(correlation_id="account", value=fill))
    for got in (got_acc, got_fill):
        assert isinstance(got, OrderAccepted | OrderFilled)
        assert (got.parent_id, got.correlation_id) == ("mint-1", "order-7")
    assert isinstance(got_fill, OrderFilled) and got_fill.fill_id == "F1"


def test_a_funding_only_update_is_not_bad_input_for_the_portfolio() -> None:
    h = holdings()
    m = MarkFunding(
        ts_event=1,
        ts_recv=1,
        venue="okx",
        symbol="ETH-USDT-SWAP",
        mark_px="",
        funding_rate="0.0001",
    )
    assert h.observe(m) == set()
    assert ("okx", "ETH-USDT-SWAP") not in h.marks


def test_refusals_everywhere_at_once_leave_the_hedge_working_until_it_can_route(
    tmp_path: Path,
) -> None:
    clock = ManualClock()
    h = hedger(tmp_path, clock, max_rounds=3, refusal_backoff_s=1.0)
    pending = submits(h.handle(request("-60")))
    refused = 0
    while pending:  # the risk gate refuses every child (its reference price is stale)
        o = pending.pop(0)
        out = h.handle(risk_refusal(o, "price_band"))
        refused += 1
        assert not results(out), f"ended after {refused} refusals in one instant"
        pending += submits(out)
    assert refused > 3  # more re-routes than the budget of rounds
    clock.advance(2 * SEC)  # the backoff passed: a round of the budget routes again
    again = submits(h.on_timer(clock.now_ns()))
    assert again and {o.parent_id for o in again} == {"mint-1"}


def test_without_a_refusal_backoff_re_routes_count_so_refusals_still_end_the_hedge(
    tmp_path: Path,
) -> None:
    h = hedger(tmp_path, ManualClock(), max_rounds=3, refusal_backoff_s=0.0)
    pending = submits(h.handle(request("-60")))
    ended = []
    for _ in range(1000):  # bounded: the same instruments come back at once, forever
        if not pending:
            break
        o = pending.pop(0)
        out = h.handle(risk_refusal(o, "max_position"))
        ended += results(out)
        pending += submits(out)
    (res,) = ended
    assert res.state == "failed" and res.reason == "max_rounds"


def test_a_failed_keeper_request_is_retried_after_retry_after_s_not_at_once() -> None:
    k = Keeper(KeeperConfig(default_tolerance_usd=D(20_000), retry_after_s=30))
    t0, px = 1_700_000_000_000_000_000, D(3900)
    unhedged = KeeperInput("ETH", D("-92.8"), px)  # nothing left to buy back: it will fail
    (req,) = k.decide(t0, unhedged)
    k.observe_request(req)
    for s in range(1, 4):  # the portfolio's timer while it works: its pending nets it to 0
        assert k.decide(t0 + s * SEC, unhedged) == []
    failed = HedgeResult(
        ts_event=t0 + 4 * SEC,
        ts_recv=t0 + 4 * SEC,
        hedge_id=req.hedge_id,
        asset="ETH",
        target=req.delta,
        filled=D(0),
        residual=req.delta,
        state="failed",
    )
    k.observe_result(failed)
    for s in range(4, 34):
        assert k.decide(t0 + s * SEC, unhedged) == [], s
    (again,) = k.decide(t0 + 34 * SEC, unhedged)
    assert again.hedge_id == "keeper-ETH-2"
