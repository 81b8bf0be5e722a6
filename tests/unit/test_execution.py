"""The execution actor's decisions, driven with no event loop: `handle` gets the requests
and the replies its runner would deliver (`Replied` / `Failed`), and returns what it
publishes and the calls it wants run. The calls go to a real simulated exchange; running
them is the runner's job (tests/integration/test_private_execution.py runs it all)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal as D

import msgspec
import pytest

from pyengine.actors.base import ActorContext
from pyengine.actors.effects import Call, Stream
from pyengine.actors.execution import ExecutionActor
from pyengine.clock import ManualClock, SequentialIds
from pyengine.errors import ConfigError
from pyengine.messages import (
    BalanceReport,
    CancelOrder,
    OrderAccepted,
    OrderCanceled,
    OrderRejected,
    OrderStatusUnknown,
    OrderUpdate,
    PlaceOrder,
    SubmitOrder,
)
from pyengine.messages.effects import Failed, Replied
from pyengine.orders import OrderStatus
from pyengine.sim import SimExchange, VirtualScheduler, build_world

VENUE = "binance-usdm"
SEC = 1_000_000_000


def exchange() -> SimExchange:
    w = build_world(VirtualScheduler(), seed=5)
    return w.exchanges[VENUE]


def actor(clock: ManualClock, **options: object) -> ExecutionActor:
    ctx = ActorContext(
        name="exec", clock=clock, ids=SequentialIds("exec"), options={"venue": VENUE, **options}
    )
    return ExecutionActor(ctx)


def place(coid: str, ts: int = 1) -> PlaceOrder:
    order = SubmitOrder(
        ts_event=ts,
        ts_recv=ts,
        client_order_id=coid,
        venue=VENUE,
        symbol="BTCUSDT",
        side="buy",
        qty=D("0.01"),
        price=D("60000"),
    )
    return PlaceOrder(ts_event=ts, ts_recv=ts, order=order)


def calls(out: object) -> dict[str, Call | Stream]:
    assert isinstance(out, list)
    return {e.correlation_id: e for e in out if isinstance(e, Call | Stream)}


def opened(clock: ManualClock, ex: SimExchange, **options: object) -> ExecutionActor:
    a = actor(clock, **options)
    a.on_start()
    a.handle(Replied(correlation_id="client", value=ex))
    return a


def accepted(coid: str) -> OrderAccepted:
    return OrderAccepted(ts_event=2, ts_recv=2, client_order_id=coid, venue=VENUE)


def accepted_of(out: Sequence[object]) -> OrderAccepted:
    (found,) = [m for m in out if isinstance(m, OrderAccepted)]
    return found


def test_opens_its_client_then_sends_what_waited_with_a_deadline() -> None:
    clock = ManualClock()
    a = actor(clock)
    assert a.topics() == ((), ("cmd.venue.binance-usdm.", "cmd.order.cancel"))
    assert a.colocated_with() == ("sim",)
    assert list(calls(a.on_start())) == ["client"]
    assert a.handle(place("o1")) == []  # no client yet: it waits
    ex = exchange()
    out = calls(a.handle(Replied(correlation_id="client", value=ex)))
    assert set(out) == {"account", "positions", "balances", "place:o1"}
    assert isinstance(out["account"], Stream)
    p = out["place:o1"]
    assert isinstance(p, Call) and p.deadline_ns == clock.now_ns() + 30 * SEC
    with pytest.raises(RuntimeError, match="opening the sim client"):
        actor(clock).handle(Failed(correlation_id="client", reason="error", error="X: y"))


def test_replies_are_published_once_and_redeliveries_not_resent() -> None:
    clock = ManualClock()
    a = opened(clock, exchange())
    assert list(calls(a.handle(place("o1")))) == ["place:o1"]
    assert a.handle(place("o1")) == []  # a redelivery is not sent twice
    assert a.handle(Replied(correlation_id="place:o1", value=accepted("o1"))) == [accepted("o1")]
    assert a.counters["placed"] == 1
    report = BalanceReport(
        ts_event=3, ts_recv=3, venue=VENUE, asset="USDT", wallet=D(5), available=D(5)
    )
    assert a.handle(Replied(correlation_id="balances", value=[report])) == [report]


def test_a_failed_or_late_request_is_an_unknown_outcome_not_a_rejection() -> None:
    """A request past its deadline, or one that failed in transport, may have reached the
    venue: the order stays in flight and its status is asked for (the simulated exchange
    has no single-order lookup: its open orders)."""
    clock = ManualClock()
    a = opened(clock, exchange())
    a.handle(place("late"))
    a.handle(place("broken"))
    out = a.handle(Failed(correlation_id="place:late", reason="timeout", error="deadline"))
    (late,) = [m for m in out if isinstance(m, OrderStatusUnknown)]
    assert not [m for m in out if isinstance(m, OrderRejected)]
    assert late.reason == "client_error: TimeoutError: deadline" and late.codes == ["timeout"]
    assert late.request == "place" and late.topic() == "exec.order.binance-usdm"
    q = calls(out)["query:late"]
    assert isinstance(q, Call) and q.deadline_ns == clock.now_ns() + 30 * SEC
    out = a.handle(
        Failed(correlation_id="place:broken", reason="error", error="ConnectionError: reset")
    )
    (broken,) = [m for m in out if isinstance(m, OrderStatusUnknown)]
    assert broken.codes == ["transport"] and "query:broken" in calls(out)
    assert a.counters["client_errors"] == 2
    for coid in ("late", "broken"):
        order = a.orders.get(coid)
        assert order is not None and order.status is OrderStatus.IN_FLIGHT
    # the venue lists one of them: that settles it; the other is asked again each period
    rests = OrderUpdate(
        ts_event=3,
        ts_recv=3,
        venue=VENUE,
        symbol="BTCUSDT",
        client_order_id="late",
        venue_order_id="v9",
        status="new",
        side="buy",
        qty=D("0.01"),
    )
    out = a.handle(Replied(correlation_id="query:late", value=[rests]))
    assert accepted_of(out).venue_order_id == "v9"
    assert a.handle(Replied(correlation_id="query:broken", value=[rests])) == []
    assert set(calls(a.on_timer(clock.now_ns()))) == {"query:broken"}


def test_cancels_and_venue_ended_orders_are_announced_once() -> None:
    a = opened(ManualClock(), exchange())
    (unknown,) = a.handle(CancelOrder(ts_event=1, ts_recv=1, client_order_id="never", venue=VENUE))
    assert isinstance(unknown, OrderRejected) and unknown.stage == "execution"
    assert a.handle(CancelOrder(ts_event=1, ts_recv=1, client_order_id="x", venue="other")) == []
    a.handle(place("rest"))
    cancel = CancelOrder(ts_event=1, ts_recv=1, client_order_id="rest", venue=VENUE)
    assert list(calls(a.handle(cancel))) == ["cancel:rest"]
    done = OrderCanceled(ts_event=2, ts_recv=2, client_order_id="rest", venue=VENUE)
    assert a.handle(Replied(correlation_id="cancel:rest", value=done)) == [done]
    update = OrderUpdate(
        ts_event=3,
        ts_recv=3,
        venue=VENUE,
        symbol="BTCUSDT",
        client_order_id="rest",
        status="canceled",
        side="buy",
        qty=D("0.01"),
    )
    assert a.handle(Replied(correlation_id="account", value=update)) == [update]  # not twice
    # an IOC remainder is ended by the venue: announced as canceled, once
    a.handle(place("ioc"))
    ioc = msgspec.structs.replace(update, client_order_id="ioc", reason="ioc_remainder")
    out = a.handle(Replied(correlation_id="account", value=ioc))
    (ended,) = [m for m in out if isinstance(m, OrderCanceled)]
    assert ended.client_order_id == "ioc" and ended.reason == "ioc_remainder"
    assert a.handle(Replied(correlation_id="account", value=ioc)) == [ioc]


def test_the_account_stream_ending_fails_the_actor() -> None:
    a = opened(ManualClock(), exchange())
    with pytest.raises(RuntimeError, match="account stream ended"):
        a.handle(Failed(correlation_id="account", reason="ended"))


def test_reports_are_asked_again_each_period_one_at_a_time() -> None:
    clock = ManualClock()
    a = opened(clock, exchange())
    assert a.timer_period() == 2.0
    assert calls(a.on_timer(clock.now_ns())) == {}  # the first ones are still in flight
    a.handle(Replied(correlation_id="positions", value=[]))
    a.handle(Failed(correlation_id="balances", reason="timeout"))
    assert set(calls(a.on_timer(clock.now_ns()))) == {"positions", "balances"}


def test_unanswered_orders_of_the_journal_are_sent_again() -> None:
    clock = ManualClock()
    now = clock.now_ns()
    a = actor(clock)
    a.recover(
        [place("j1", now), place("old", now - 60 * SEC), place("done", now), accepted("done")]
    )
    a.on_start()
    out = calls(a.handle(Replied(correlation_id="client", value=exchange())))
    assert [c for c in out if c.startswith("place:")] == ["place:j1"]


def test_options_are_checked() -> None:
    def make(**options: object) -> ExecutionActor:
        return ExecutionActor(ActorContext(name="e", options=options))

    with pytest.raises(ConfigError, match="not a simulated venue"):
        make(venue="nowhere")
    with pytest.raises(ConfigError, match=r"actors\.e\.options\.client: unknown client 'live'"):
        make(venue=VENUE, client="live")
    with pytest.raises(ConfigError, match=r"actors\.e\.options: intervals"):
        make(venue=VENUE, request_timeout_s=0)
    assert make(venue=VENUE).colocated_with() == ("sim",)
