"""One order lifecycle in the execution actor, driven with no event loop: the Binance
private client is the actor's client (its `lookup` is the status query, its error mapping
makes the venue's refusals), and `handle` gets the replies its runner would deliver."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal as D

import msgspec
import pytest

from pyengine.actors.effects import Call
from pyengine.actors.execution import ExecutionActor
from pyengine.clock import ManualClock
from pyengine.errors import ConfigError
from pyengine.messages import (
    AlertRaised,
    CancelOrder,
    Message,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderRejected,
    OrderStatusUnknown,
    OrderUpdate,
    PlaceOrder,
)
from pyengine.messages.effects import Failed, Replied
from pyengine.orders import OrderStatus, OrderTable
from pyengine.orders.outcome import is_ambiguous
from pyengine.venues.private import Credentials, PrivateClientConfig, private_client
from pyengine.venues.private.client import PrivateClient
from pyengine.venues.private.errors import VenueRequestError
from tests.unit.test_execution import SEC, VENUE, accepted, actor, calls, exchange, place

Out = Sequence[object]


def binance() -> PrivateClient:
    """A real Binance USD-M client; its calls are only built here, never run."""
    cfg = PrivateClientConfig(venue=VENUE, rest_url="http://127.0.0.1:9", ws_url="ws://x")
    return private_client(cfg, Credentials("k", "s"))


def opened(clock: ManualClock, **options: object) -> tuple[ExecutionActor, PrivateClient]:
    a = actor(clock, **options)
    a.on_start()
    client = binance()
    a.handle(Replied(correlation_id="client", value=client))
    return a, client


def of(kind: type[Message], out: Out) -> list[Message]:
    return [m for m in out if isinstance(m, kind)]


def update(coid: str, status: str, filled: str = "0") -> OrderUpdate:
    return OrderUpdate(
        ts_event=5,
        ts_recv=5,
        venue=VENUE,
        symbol="BTCUSDT",
        client_order_id=coid,
        venue_order_id="v1",
        status=status,  # type: ignore[arg-type]
        side="buy",
        qty=D("0.01"),
        filled_qty=D(filled),
    )


def fill(coid: str, trade: str, qty: str = "0.01") -> OrderFilled:
    return OrderFilled(
        ts_event=6,
        ts_recv=6,
        client_order_id=coid,
        venue=VENUE,
        symbol="BTCUSDT",
        side="buy",
        fill_id=trade,
        qty=D(qty),
        price=D("60000"),
    )


def status(a: ExecutionActor, coid: str) -> OrderStatus:
    order = a.orders.get(coid)
    assert order is not None
    return order.status


def venue_refusal(client: PrivateClient, coid: str, code: str, text: str) -> OrderRejected:
    """What the Binance client makes of a venue error answer."""
    return client.rejected(coid, VenueRequestError(code, text))


def test_a_timeout_is_queried_and_the_venue_s_answer_settles_it_filled() -> None:
    clock = ManualClock()
    a, client = opened(clock)
    a.handle(place("o1"))
    out = a.handle(Failed(correlation_id="place:o1", reason="timeout", error="deadline"))
    assert not of(OrderRejected, out) and len(of(OrderStatusUnknown, out)) == 1
    q = calls(out)["query:o1"]
    assert isinstance(q, Call) and q.deadline_ns == clock.now_ns() + 30 * SEC
    # the query is the client's single-order lookup of this order
    assert getattr(q.start, "func", None) == client.lookup and q.start.args == ("o1", "BTCUSDT")  # type: ignore[attr-defined]
    assert status(a, "o1") is OrderStatus.IN_FLIGHT
    assert "query:o1" not in calls(a.on_timer(clock.now_ns()))  # one query at a time
    out = a.handle(Replied(correlation_id="query:o1", value=update("o1", "filled", "0.01")))
    (acc,) = of(OrderAccepted, out)
    assert isinstance(acc, OrderAccepted) and acc.venue_order_id == "v1"
    assert status(a, "o1") is OrderStatus.ACCEPTED and "o1" not in a.queries
    assert a.handle(Replied(correlation_id="account", value=fill("o1", "t1"))) == [fill("o1", "t1")]
    assert status(a, "o1") is OrderStatus.FILLED
    assert a.counters["unknown_outcomes"] == 1 and a.counters["illegal"] == 0


def test_an_ambiguous_venue_code_is_not_a_rejection_but_a_definitive_one_is() -> None:
    a, client = opened(ManualClock())
    a.handle(place("amb"))
    a.handle(place("bad"))
    unknown = venue_refusal(client, "amb", "-1006", "An unexpected response was received.")
    assert is_ambiguous(unknown)
    out = a.handle(Replied(correlation_id="place:amb", value=unknown))
    assert not of(OrderRejected, out)
    (ev,) = of(OrderStatusUnknown, out)
    assert isinstance(ev, OrderStatusUnknown) and ev.codes == ["-1006"]
    assert "query:amb" in calls(out) and status(a, "amb") is OrderStatus.IN_FLIGHT
    refused = venue_refusal(client, "bad", "-2010", "Order would immediately trigger.")
    assert a.handle(Replied(correlation_id="place:bad", value=refused)) == [refused]
    assert refused.stage == "venue" and refused.codes == ["-2010"]
    assert status(a, "bad") is OrderStatus.REJECTED and "bad" not in a.queries
    # the -1006 order: the venue, asked, says it refused it after all
    out = a.handle(Replied(correlation_id="query:amb", value=update("amb", "rejected")))
    (rej,) = of(OrderRejected, out)
    assert isinstance(rej, OrderRejected) and rej.stage == "venue"
    assert status(a, "amb") is OrderStatus.REJECTED


def test_not_found_is_a_rejection_only_once_the_venue_proved_it() -> None:
    clock = ManualClock()
    a, _ = opened(clock, query_attempts=3)
    a.handle(place("gone"))
    out = a.handle(
        Failed(correlation_id="place:gone", reason="error", error="VenueTransportError: reset")
    )
    assert "query:gone" in calls(out)
    for _ in range(2):
        assert a.handle(Replied(correlation_id="query:gone", value=None)) == []
        assert status(a, "gone") is OrderStatus.IN_FLIGHT
        assert "query:gone" in calls(a.on_timer(clock.now_ns()))
    out = a.handle(Replied(correlation_id="query:gone", value=None))
    (rej,) = of(OrderRejected, out)
    assert isinstance(rej, OrderRejected) and rej.codes == ["not_found"] and rej.stage == "venue"
    assert status(a, "gone") is OrderStatus.REJECTED
    assert "query:gone" not in calls(a.on_timer(clock.now_ns()))


def test_a_failed_query_is_asked_again_without_settling_anything() -> None:
    clock = ManualClock()
    a, _ = opened(clock)
    a.handle(place("o1"))
    a.handle(Failed(correlation_id="place:o1", reason="timeout"))
    assert "query:o1" not in calls(a.on_timer(clock.now_ns()))  # one query at a time
    assert a.handle(Failed(correlation_id="query:o1", reason="timeout")) == []
    assert status(a, "o1") is OrderStatus.IN_FLIGHT and a.counters["query_errors"] == 1
    assert "query:o1" in calls(a.on_timer(clock.now_ns()))


def test_a_late_timeout_after_the_stream_settled_the_order_publishes_nothing() -> None:
    a, _ = opened(ManualClock())
    a.handle(place("o1"))
    a.handle(Replied(correlation_id="account", value=fill("o1", "t1")))  # fill before the ack
    assert status(a, "o1") is OrderStatus.FILLED
    assert a.handle(Failed(correlation_id="place:o1", reason="timeout")) == []
    assert a.handle(Replied(correlation_id="place:o1", value=accepted("o1"))) == [accepted("o1")]
    assert status(a, "o1") is OrderStatus.FILLED and a.counters["illegal"] == 0


def test_a_fill_after_a_cancel_request_and_a_duplicate_fill() -> None:
    a, client = opened(ManualClock())
    a.handle(place("o1"))
    a.handle(Replied(correlation_id="place:o1", value=accepted("o1")))
    cancel = CancelOrder(ts_event=3, ts_recv=3, client_order_id="o1", venue=VENUE)
    assert set(calls(a.handle(cancel))) == {"cancel:o1"}
    assert status(a, "o1") is OrderStatus.PENDING_CANCEL
    half = fill("o1", "t1", "0.004")
    assert a.handle(Replied(correlation_id="account", value=half)) == [half]
    assert a.handle(Replied(correlation_id="account", value=half)) == []  # same trade id
    assert a.counters["duplicate_fills"] == 1 and a.counters["fills"] == 1
    rest = fill("o1", "t2", "0.006")
    a.handle(Replied(correlation_id="account", value=rest))
    order = a.orders.get("o1")
    assert order is not None and order.status is OrderStatus.FILLED
    assert order.filled_qty == D("0.01")
    # the cancel then fails: the cancel's refusal, not the order's
    too_late = venue_refusal(client, "o1", "-2011", "Unknown order sent.")
    a.handle(Replied(correlation_id="cancel:o1", value=too_late))
    assert status(a, "o1") is OrderStatus.FILLED and a.counters["illegal"] == 0


def test_an_illegal_transition_is_an_alert_never_a_crash() -> None:
    a, client = opened(ManualClock())
    a.handle(place("o1"))
    refused = venue_refusal(client, "o1", "-2019", "Margin is insufficient.")
    a.handle(Replied(correlation_id="place:o1", value=refused))
    late = fill("o1", "t1")
    out = a.handle(Replied(correlation_id="account", value=late))
    assert out[0] == late  # a fill moved a position: still published
    (alert,) = of(AlertRaised, out)
    assert isinstance(alert, AlertRaised) and alert.code == "order_illegal_transition"
    assert status(a, "o1") is OrderStatus.REJECTED  # never silently overwritten
    assert a.counters["illegal"] == 1 and a.stats()["orders_illegal"] == 1


def test_a_cancel_without_an_answer_is_queried_and_ended_once() -> None:
    a, _ = opened(ManualClock())
    a.handle(place("o1"))
    a.handle(Replied(correlation_id="place:o1", value=accepted("o1")))
    a.handle(CancelOrder(ts_event=3, ts_recv=3, client_order_id="o1", venue=VENUE))
    out = a.handle(Failed(correlation_id="cancel:o1", reason="timeout"))
    (ev,) = of(OrderStatusUnknown, out)
    assert isinstance(ev, OrderStatusUnknown) and ev.request == "cancel"
    assert status(a, "o1") is OrderStatus.PENDING_CANCEL
    out = a.handle(Replied(correlation_id="query:o1", value=update("o1", "canceled")))
    assert len(of(OrderCanceled, out)) == 1 and status(a, "o1") is OrderStatus.CANCELED
    ended = update("o1", "canceled")
    assert not of(OrderCanceled, a.handle(Replied(correlation_id="account", value=ended)))


def test_a_duplicate_id_refusal_is_already_known_and_queried() -> None:
    a, client = opened(ManualClock())
    a.handle(place("o1"))
    dup = venue_refusal(client, "o1", "-4116", "ClientOrderId is duplicated.")
    out = a.handle(Replied(correlation_id="place:o1", value=dup))
    assert not of(OrderRejected, out) and "query:o1" in calls(out)
    assert status(a, "o1") is OrderStatus.IN_FLIGHT


def test_a_restart_queries_the_unanswered_orders_and_resends_those_the_venue_lacks() -> None:
    clock = ManualClock()
    now = clock.now_ns()
    unknown = OrderStatusUnknown(
        ts_event=now, ts_recv=now, client_order_id="unk", venue=VENUE, codes=["timeout"]
    )
    other = PlaceOrder(
        ts_event=now,
        ts_recv=now,
        order=msgspec.structs.replace(place("elsewhere", now).order, venue="bybit"),
    )
    journal: list[Message] = [
        place("j1", now),
        place("old", now - 60 * SEC),
        place("done", now),
        accepted("done"),
        place("unk", now),
        unknown,
        other,
    ]
    a = actor(clock)
    a.recover(journal)
    assert status(a, "done") is OrderStatus.ACCEPTED and "elsewhere" not in a.orders
    a.on_start()
    out = calls(a.handle(Replied(correlation_id="client", value=binance())))
    assert sorted(c for c in out if c.startswith(("place:", "query:"))) == [
        "query:j1",
        "query:old",
        "query:unk",
    ]
    # j1: the venue never got it, it is sent again under the same id
    (resend,) = a.handle(Replied(correlation_id="query:j1", value=None))
    assert isinstance(resend, Call) and resend.correlation_id == "place:j1"
    assert getattr(resend.start, "args", ()) == (place("j1", now).order,)
    # unk: the venue has it; old: too old to resend, and proven absent after the queries
    out2 = a.handle(Replied(correlation_id="query:unk", value=update("unk", "new")))
    assert of(OrderAccepted, out2) and status(a, "unk") is OrderStatus.ACCEPTED
    assert a.handle(Replied(correlation_id="query:old", value=None)) == []
    assert a.counters["resent"] == 1
    # a redelivered PlaceOrder of the journal is not sent again
    assert a.handle(place("j1", now)) == [] and a.counters["redelivered"] == 1


def test_a_restart_replays_to_the_same_lifecycle_as_the_strategies_see() -> None:
    """The actor's table and a strategy's table, fed the same journal, agree."""
    clock = ManualClock()
    a, client = opened(clock)
    published: list[Message] = []
    for coid in ("a", "b", "c"):
        published.append(place(coid))
        a.handle(place(coid))
    published += a.handle(Replied(correlation_id="place:a", value=accepted("a")))  # type: ignore[arg-type]
    published += a.handle(Failed(correlation_id="place:b", reason="timeout"))  # type: ignore[arg-type]
    refused = venue_refusal(client, "c", "-2019", "Margin is insufficient.")
    published += a.handle(Replied(correlation_id="place:c", value=refused))  # type: ignore[arg-type]
    msgs = [m for m in published if isinstance(m, Message)]
    strategy = OrderTable()
    strategy.replay(msgs)
    again = actor(clock)
    again.recover(msgs)
    for coid in ("a", "b", "c"):
        assert status(again, coid) is status(a, coid)
        got = strategy.get(coid)
        assert got is not None and got.status is status(a, coid)
    assert status(a, "b") is OrderStatus.IN_FLIGHT
    assert strategy.counters["illegal"] == 0


@pytest.mark.parametrize("attempts", [0, -1])
def test_query_attempts_must_be_positive(attempts: int) -> None:
    with pytest.raises(ConfigError, match="query_attempts"):
        actor(ManualClock(), query_attempts=attempts)


def test_the_private_stream_settles_a_queried_order_for_everyone() -> None:
    """Strategies and risk do not read `OrderUpdate`: the stream's word on an order whose
    outcome was unknown is published as the order event their tables read."""
    a, _ = opened(ManualClock())
    a.handle(place("o1"))
    a.handle(Failed(correlation_id="place:o1", reason="timeout"))
    rests = update("o1", "new")
    out = a.handle(Replied(correlation_id="account", value=rests))
    assert out[0] == rests and len(of(OrderAccepted, out)) == 1
    assert status(a, "o1") is OrderStatus.ACCEPTED and "o1" not in a.queries
    assert a.handle(Replied(correlation_id="query:o1", value=rests)) == []  # already settled


def test_a_cancel_without_an_answer_of_a_resting_order_is_sent_again() -> None:
    a, _ = opened(ManualClock())
    a.handle(place("o1"))
    a.handle(Replied(correlation_id="place:o1", value=accepted("o1")))
    a.handle(CancelOrder(ts_event=3, ts_recv=3, client_order_id="o1", venue=VENUE))
    a.handle(Failed(correlation_id="cancel:o1", reason="error", error="VenueTransportError: x"))
    out = a.handle(Replied(correlation_id="query:o1", value=update("o1", "new")))
    assert "cancel:o1" in calls(out) and status(a, "o1") is OrderStatus.PENDING_CANCEL
    done = OrderCanceled(ts_event=7, ts_recv=7, client_order_id="o1", venue=VENUE)
    assert a.handle(Replied(correlation_id="cancel:o1", value=done)) == [done]
    assert status(a, "o1") is OrderStatus.CANCELED


def test_without_a_lookup_absence_from_open_orders_proves_nothing() -> None:
    """The simulated exchange has only `open_orders`: an order it does not list may have
    filled; after the attempts it is left to reconciliation with an alert, never rejected."""
    clock = ManualClock()
    a = actor(clock, query_attempts=2)
    a.on_start()
    a.handle(Replied(correlation_id="client", value=exchange()))
    a.handle(place("o1"))
    out = a.handle(Failed(correlation_id="place:o1", reason="timeout"))
    q = calls(out)["query:o1"]
    assert isinstance(q, Call) and getattr(q.start, "__name__", "") == "open_orders"
    assert a.handle(Replied(correlation_id="query:o1", value=[])) == []
    assert "query:o1" in calls(a.on_timer(clock.now_ns()))
    (alert,) = a.handle(Replied(correlation_id="query:o1", value=[]))
    assert isinstance(alert, AlertRaised) and alert.code == "order_status_unknown"
    assert status(a, "o1") is OrderStatus.IN_FLIGHT


def test_a_refused_cancel_of_an_unacknowledged_order_is_not_its_rejection() -> None:
    """The place timed out, the cancel is refused "unknown order": that proves nothing (the
    order may have just filled); it stays pending and the venue's answer settles it."""
    a, client = opened(ManualClock())
    a.handle(place("o1"))
    a.handle(Failed(correlation_id="place:o1", reason="timeout"))
    a.handle(CancelOrder(ts_event=3, ts_recv=3, client_order_id="o1", venue=VENUE))
    refused = venue_refusal(client, "o1", "-2011", "Unknown order sent.")
    out = a.handle(Replied(correlation_id="cancel:o1", value=refused))
    assert not of(OrderRejected, out) and of(OrderStatusUnknown, out)
    assert status(a, "o1") is OrderStatus.PENDING_CANCEL
    out = a.handle(Replied(correlation_id="query:o1", value=update("o1", "filled", "0.01")))
    assert of(OrderAccepted, out) and "cancel:o1" not in calls(out)  # nothing left to cancel
    a.handle(Replied(correlation_id="account", value=fill("o1", "t1")))
    assert status(a, "o1") is OrderStatus.FILLED and a.counters["illegal"] == 0
