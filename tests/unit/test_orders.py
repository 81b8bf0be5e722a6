"""The order state machine: every (state, trigger) pair of the table, and the races."""

# The tests assert a status, change the order, then assert another: mypy's narrowing of the
# first assert would call the second unreachable.
# mypy: disable-error-code="comparison-overlap"

from __future__ import annotations

import copy
import itertools
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyengine.messages import (
    AlertRaised,
    CancelOrder,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderRejected,
    OrderUpdate,
    PlaceOrder,
    SubmitOrder,
)
from pyengine.orders import (
    OPEN,
    TERMINAL,
    TRANSITIONS,
    Change,
    DuplicateOrderId,
    IllegalTransition,
    InvalidFill,
    Order,
    OrderStatus,
    OrderTable,
    Rule,
    Trigger,
    illegal_alert,
    is_ambiguous,
)

S = OrderStatus
QTY = Decimal(3)
PX = Decimal(100)


def order_in(status: OrderStatus) -> Order:
    """An order brought to `status` along a legal path (qty 3)."""
    o = Order(client_order_id="c1", venue="binance", symbol="BTCUSDT", side="buy", qty=QTY)
    paths: dict[OrderStatus, list[Trigger | str]] = {
        S.NEW: [],
        S.IN_FLIGHT: [Trigger.SUBMIT],
        S.ACCEPTED: [Trigger.SUBMIT, Trigger.ACCEPT],
        S.PARTIALLY_FILLED: [Trigger.SUBMIT, Trigger.ACCEPT, "fill1"],
        S.PENDING_CANCEL: [Trigger.SUBMIT, Trigger.ACCEPT, Trigger.CANCEL_REQUEST],
        S.FILLED: [Trigger.SUBMIT, Trigger.ACCEPT, "fill3"],
        S.CANCELED: [Trigger.SUBMIT, Trigger.ACCEPT, Trigger.CANCEL],
        S.REJECTED: [Trigger.SUBMIT, Trigger.REJECT],
        S.EXPIRED: [Trigger.SUBMIT, Trigger.ACCEPT, Trigger.EXPIRE],
    }
    for step in paths[status]:
        if step == "fill1":
            o.fill("t0", Decimal(1), PX)
        elif step == "fill3":
            o.fill("t0", QTY, PX)
        else:
            assert isinstance(step, Trigger)
            o.apply(step)
    assert o.status is status
    return o


def fire(o: Order, trigger: Trigger) -> Change:
    if trigger is Trigger.FILL:
        return o.fill("t-new", Decimal(1), PX)
    return o.apply(trigger)


PAIRS = list(itertools.product(OrderStatus, Trigger))
LEGAL = [p for p in PAIRS if p in TRANSITIONS]
ILLEGAL = [p for p in PAIRS if p not in TRANSITIONS]


def _id(p: tuple[OrderStatus, Trigger]) -> str:
    return f"{p[0].value}+{p[1].value}"


@pytest.mark.parametrize("pair", LEGAL, ids=_id)
def test_every_legal_pair_reaches_the_table_target(pair: tuple[OrderStatus, Trigger]) -> None:
    status, trigger = pair
    o = order_in(status)
    previous = o.previous
    fire(o, trigger)
    target = TRANSITIONS[pair]
    if isinstance(target, OrderStatus):
        assert o.status is target
    elif target is Rule.KEEP:
        assert o.status is status
    elif target is Rule.PREVIOUS:
        assert o.status is previous
    elif status in TERMINAL:  # BY_FILL from here: one more lot of 1 on the path's fills
        assert o.status is status
    elif o.filled_qty >= QTY:
        assert o.status is S.FILLED
    elif status is S.PENDING_CANCEL:
        assert o.status is S.PENDING_CANCEL and o.previous is S.PARTIALLY_FILLED
    else:
        assert o.status is S.PARTIALLY_FILLED


@pytest.mark.parametrize("pair", ILLEGAL, ids=_id)
def test_every_other_pair_is_an_illegal_transition_and_changes_nothing(
    pair: tuple[OrderStatus, Trigger],
) -> None:
    status, trigger = pair
    o = order_in(status)
    before = copy.deepcopy(o)
    with pytest.raises(IllegalTransition) as info:
        fire(o, trigger)
    assert isinstance(info.value, ValueError)
    assert (info.value.status, info.value.trigger) == pair
    assert o == before


def test_the_table_is_what_the_issue_names() -> None:
    # new -> in flight -> accepted -> partially filled -> filled, cancel in flight ->
    # cancelled, rejected, expired; terminal states never lead out.
    assert TRANSITIONS[(S.NEW, Trigger.SUBMIT)] is S.IN_FLIGHT
    assert TRANSITIONS[(S.IN_FLIGHT, Trigger.ACCEPT)] is S.ACCEPTED
    assert TRANSITIONS[(S.ACCEPTED, Trigger.CANCEL_REQUEST)] is S.PENDING_CANCEL
    assert TRANSITIONS[(S.PENDING_CANCEL, Trigger.CANCEL)] is S.CANCELED
    for (status, _), target in TRANSITIONS.items():
        if status in TERMINAL:
            assert target in (Rule.KEEP, Rule.BY_FILL)
    assert (S.PARTIALLY_FILLED, Trigger.REJECT) not in TRANSITIONS


# -- the races, through the table and the wire's messages -----------------------------


def submit(**kw: object) -> SubmitOrder:
    fields: dict[str, object] = {
        "ts_event": 1,
        "ts_recv": 1,
        "client_order_id": "c1",
        "venue": "binance",
        "symbol": "BTCUSDT",
        "side": "buy",
        "qty": QTY,
        "price": PX,
        "parent_id": "hedge-1",
    }
    fields.update(kw)
    return SubmitOrder(**fields)  # type: ignore[arg-type]


def accepted(coid: str = "c1") -> OrderAccepted:
    return OrderAccepted(ts_event=2, ts_recv=2, client_order_id=coid, venue="binance")


def filled(fill_id: str, qty: str, coid: str = "c1") -> OrderFilled:
    return OrderFilled(
        ts_event=3,
        ts_recv=3,
        client_order_id=coid,
        venue="binance",
        symbol="BTCUSDT",
        side="buy",
        fill_id=fill_id,
        qty=Decimal(qty),
        price=PX,
    )


def rejected(reason: str, stage: str = "venue", codes: list[str] | None = None) -> OrderRejected:
    return OrderRejected(
        ts_event=4,
        ts_recv=4,
        client_order_id="c1",
        venue="binance",
        reason=reason,
        stage=stage,  # type: ignore[arg-type]
        codes=codes or [],
    )


def cancel() -> CancelOrder:
    return CancelOrder(ts_event=5, ts_recv=5, client_order_id="c1", venue="binance")


def canceled(reason: str = "requested") -> OrderCanceled:
    return OrderCanceled(
        ts_event=6, ts_recv=6, client_order_id="c1", venue="binance", reason=reason
    )


def table_with(*msgs: object) -> OrderTable:
    t = OrderTable()
    t.submit(submit())
    for m in msgs:
        t.apply(m)  # type: ignore[arg-type]
    return t


def test_fill_before_the_venue_ack_is_legal_and_the_late_ack_changes_nothing() -> None:
    t = table_with(filled("f1", "1"))
    o = t.orders["c1"]
    assert o.status is S.PARTIALLY_FILLED
    assert t.apply(accepted()) is Change.UNCHANGED
    assert o.status is S.PARTIALLY_FILLED
    assert t.apply(filled("f2", "2")) is Change.CHANGED
    assert o.status is S.FILLED and o.avg_price == PX


def test_fill_after_a_cancel_request_counts_and_a_refused_cancel_restores() -> None:
    t = table_with(accepted(), cancel())
    o = t.orders["c1"]
    assert o.status is S.PENDING_CANCEL and o.previous is S.ACCEPTED
    t.apply(filled("f1", "1"))
    assert o.status is S.PENDING_CANCEL and o.previous is S.PARTIALLY_FILLED
    assert o.filled_qty == 1
    t.apply(rejected("-2011: Unknown order sent."))
    assert o.status is S.PARTIALLY_FILLED and not o.cancel_outstanding


def test_a_fill_completing_during_a_cancel_fills_and_the_cancels_refusal_is_absorbed() -> None:
    t = table_with(accepted(), cancel(), filled("f1", "3"))
    o = t.orders["c1"]
    assert o.status is S.FILLED
    assert t.apply(rejected("-2011: Unknown order sent.")) is Change.UPDATED
    assert o.status is S.FILLED and t.counters["illegal"] == 0


def test_a_fill_after_the_cancel_is_applied_but_the_status_stays_cancelled() -> None:
    t = table_with(accepted(), cancel(), canceled(), filled("f1", "1"))
    o = t.orders["c1"]
    assert o.status is S.CANCELED
    assert o.filled_qty == 1 and o.late_fills == 1 and t.counters["late_fills"] == 1


def test_a_duplicate_fill_is_dropped_before_it_changes_anything() -> None:
    t = table_with(accepted(), filled("f1", "1"))
    o = t.orders["c1"]
    before = copy.deepcopy(o)
    assert t.apply(filled("f1", "1")) is Change.DUPLICATE_FILL
    assert o == before and t.counters["duplicate_fills"] == 1


def test_an_overfill_is_recorded_not_clamped() -> None:
    t = table_with(accepted(), filled("f1", "2"), filled("f2", "2"))
    o = t.orders["c1"]
    assert o.status is S.FILLED
    assert o.filled_qty == 4 and o.overfilled and o.overfill == 1
    t.apply(filled("f3", "0.5"))
    assert o.overfill == Decimal("1.5") and t.counters["overfills"] == 1


@pytest.mark.parametrize(
    "msg",
    [
        rejected("client_error: VenueTransportError: binance: POST /fapi/v1/order", "execution"),
        rejected(
            "-1007: Timeout waiting for response from backend server."
            " Send status unknown; execution status unknown."
        ),
        rejected("-1006: An unexpected response was received from the message bus."),
        rejected("50004: Endpoint request timeout"),
        rejected("10006: Too many visits!"),
        rejected("slow down", codes=["rate_limited"]),
        rejected("gone", codes=["disconnected"]),
    ],
    ids=["transport", "binance-1007", "binance-1006", "okx-50004", "bybit-10006", "rate", "dc"],
)
def test_an_ambiguous_outcome_leaves_the_order_in_flight(msg: OrderRejected) -> None:
    assert is_ambiguous(msg)
    t = table_with(msg)
    o = t.orders["c1"]
    assert o.status is S.IN_FLIGHT and o.ambiguous == 1 and t.counters["ambiguous"] == 1
    assert t.open_orders("binance") == [o]
    t.apply(accepted())  # the venue's own answer settles it
    assert o.status is S.ACCEPTED


@pytest.mark.parametrize(
    "msg",
    [
        rejected("-2019: Margin is insufficient."),
        rejected("-5022: Due to the order could not be executed as maker, the Post Only order"),
        rejected("notional_limit: too big", "risk", ["notional_limit"]),
        # A risk refusal is definitive even with words that would be ambiguous elsewhere.
        rejected("rate: order rate limit", "risk", ["rate_limited"]),
    ],
    ids=["margin", "post-only", "risk", "risk-rate"],
)
def test_only_a_definitive_refusal_rejects(msg: OrderRejected) -> None:
    assert not is_ambiguous(msg)
    t = table_with(msg)
    o = t.orders["c1"]
    assert o.status is S.REJECTED and o.codes == tuple(msg.codes)
    assert t.open_orders() == []


def test_an_illegal_transition_raises_counts_and_makes_an_alert() -> None:
    t = table_with(rejected("-2019: Margin is insufficient."))
    o = t.orders["c1"]
    before = copy.deepcopy(o)
    with pytest.raises(IllegalTransition) as info:
        t.apply(accepted())
    assert o == before and t.counters["illegal"] == 1
    alert = illegal_alert(info.value, source="strategy", now=9)
    assert isinstance(alert, AlertRaised) and alert.code == "order_illegal_transition"
    assert "c1" in alert.text and alert.CRITICAL


def test_cancel_before_ack_then_the_orders_refusal_then_the_cancels() -> None:
    t = table_with(cancel())
    o = t.orders["c1"]
    assert o.status is S.PENDING_CANCEL and o.previous is S.IN_FLIGHT
    t.apply(rejected("-2019: Margin is insufficient."))
    assert o.status is S.REJECTED
    assert t.apply(rejected("-2011: Unknown order sent.")) is Change.UPDATED
    assert o.status is S.REJECTED and t.counters["illegal"] == 0


def test_a_late_ack_during_a_cancel_keeps_the_cancel_and_a_refusal_returns_to_accepted() -> None:
    t = table_with(cancel(), accepted())
    o = t.orders["c1"]
    assert o.status is S.PENDING_CANCEL and o.previous is S.ACCEPTED
    t.apply(rejected("-2011: Unknown order sent."))
    assert o.status is S.ACCEPTED


def test_a_cancel_whose_outcome_is_unknown_stays_pending() -> None:
    t = table_with(accepted(), cancel(), rejected("client_error: TimeoutError: ", "execution"))
    assert t.orders["c1"].status is S.PENDING_CANCEL


def test_venue_status_reports_and_expiry() -> None:
    def update(status: str) -> OrderUpdate:
        return OrderUpdate(
            ts_event=7,
            ts_recv=7,
            venue="binance",
            symbol="BTCUSDT",
            client_order_id="c1",
            venue_order_id="v9",
            status=status,  # type: ignore[arg-type]
            side="buy",
            qty=QTY,
        )

    t = table_with(update("new"))
    o = t.orders["c1"]
    assert o.status is S.ACCEPTED and o.venue_order_id == "v9"
    t.apply(update("expired"))
    assert o.status is S.EXPIRED
    t.apply(canceled("expired"))  # the execution actor's announcement of the same end
    assert o.status is S.EXPIRED
    t2 = table_with(accepted(), canceled("expired"))
    assert t2.orders["c1"].status is S.EXPIRED
    t3 = table_with(update("rejected"))
    assert t3.orders["c1"].status is S.REJECTED


def test_open_orders_by_venue_symbol_and_parent() -> None:
    t = OrderTable()
    t.submit(submit(client_order_id="a", parent_id="p1"))
    t.submit(submit(client_order_id="b", parent_id="p2", symbol="ETHUSDT"))
    t.submit(PlaceOrder(ts_event=1, ts_recv=1, order=submit(client_order_id="c", venue="okx")))
    t.apply(accepted("a"))
    assert [o.client_order_id for o in t.open_orders()] == ["a", "b", "c"]
    assert [o.client_order_id for o in t.open_orders("binance")] == ["a", "b"]
    assert [o.client_order_id for o in t.open_orders("binance", "ETHUSDT")] == ["b"]
    assert [o.client_order_id for o in t.open_orders(parent_id="p1")] == ["a"]
    t.apply(filled("f1", "3", coid="a"))
    assert [o.client_order_id for o in t.open_orders(parent_id="p1")] == []
    assert [o.client_order_id for o in t.children("p1")] == ["a"]


def test_unknown_orders_other_venues_and_bad_fills() -> None:
    t = table_with()
    assert t.apply(accepted("nope")) is Change.UNKNOWN
    other = OrderAccepted(ts_event=1, ts_recv=1, client_order_id="c1", venue="okx")
    assert t.apply(other) is Change.UNKNOWN
    assert t.counters["unknown"] == 2
    assert t.apply(submit()) is Change.UNCHANGED  # a resend of the live order
    with pytest.raises(DuplicateOrderId):
        t.submit(submit(qty=Decimal(5)))
    with pytest.raises(InvalidFill):
        t.apply(filled("f0", "0"))
    t.apply(filled("f1", "3"))
    with pytest.raises(IllegalTransition):
        t.submit(submit())  # an ended order's id is never sent again


def test_replay_rebuilds_and_counts_contradictions() -> None:
    t = OrderTable()
    t.replay([submit(), accepted(), filled("f1", "1"), filled("f1", "1"), rejected("-2019: x")])
    o = t.orders["c1"]
    assert o.status is S.PARTIALLY_FILLED and o.filled_qty == 1
    assert t.counters["duplicate_fills"] == 1 and t.counters["illegal"] == 1


# -- properties ------------------------------------------------------------------------

EVENTS = st.one_of(
    st.sampled_from(
        [
            "accept",
            "reject",
            "ambiguous",
            "cancel_request",
            "canceled",
            "expired",
            "cancel_refused",
        ]
    ),
    st.tuples(st.sampled_from(["f1", "f2", "f3", "f4", "f5"]), st.integers(1, 4)),
)


def _message(ev: str | tuple[str, int]) -> object:
    if isinstance(ev, tuple):
        return filled(ev[0], str(ev[1]))
    return {
        "accept": accepted(),
        "reject": rejected("-2019: Margin is insufficient."),
        "ambiguous": rejected("-1007: Timeout"),
        "cancel_request": cancel(),
        "canceled": canceled(),
        "expired": canceled("expired"),
        "cancel_refused": rejected("-2011: Unknown order sent."),
    }[ev]


@settings(max_examples=400, deadline=None)
@given(st.lists(EVENTS, max_size=25))
def test_random_sequences_keep_the_invariants(events: list[str | tuple[str, int]]) -> None:
    t = OrderTable()
    o = t.submit(submit())
    ended: OrderStatus | None = None
    for ev in events:
        before = copy.deepcopy(o)
        try:
            t.apply(_message(ev))  # type: ignore[arg-type]
        except IllegalTransition:
            assert o == before  # an illegal event changes nothing
        # Filled quantity never exceeds the order's without the overfill flag and amount.
        assert o.filled_qty <= o.qty or (o.overfilled and o.overfill == o.filled_qty - o.qty)
        assert o.filled_qty == sum(Decimal(int(f[1])) for f in _applied(events, o))
        # Terminal states are absorbing.
        if ended is not None:
            assert o.status is ended
        elif o.status in TERMINAL:
            ended = o.status
        assert (o in t.open_orders()) == (o.status in OPEN)
        assert o.previous is None or o.status is S.PENDING_CANCEL


def _applied(events: list[str | tuple[str, int]], o: Order) -> list[tuple[str, int]]:
    """The first fill of each trade id that the order took (duplicates are dropped)."""
    seen: dict[str, tuple[str, int]] = {}
    for ev in events:
        if isinstance(ev, tuple) and ev[0] in o.trade_ids and ev[0] not in seen:
            seen[ev[0]] = ev
    return list(seen.values())


@pytest.mark.parametrize(
    "msg",
    [
        rejected("duplicate client_order_id", "risk", ["duplicate_client_order_id"]),
        rejected("-4116: ClientOrderId is duplicated."),
        rejected("duplicated", codes=["51016"]),
    ],
    ids=["risk", "binance-4116", "okx-51016"],
)
def test_a_refused_duplicate_submit_leaves_the_order_under_the_id_alone(
    msg: OrderRejected,
) -> None:
    t = table_with(accepted())
    assert t.apply(msg) is Change.UNCHANGED
    assert t.orders["c1"].status is S.ACCEPTED and t.counters["duplicate_submits"] == 1


def test_venue_codes_count_from_the_codes_field_too() -> None:
    assert is_ambiguous(rejected("Timeout waiting for response", codes=["-1007"]))
    assert not is_ambiguous(rejected("Margin is insufficient.", codes=["-2019"]))


def test_old_ended_orders_are_forgotten_but_their_ids_stay_spent() -> None:
    t = OrderTable(keep_closed=2)
    for coid in ("a", "b", "c"):
        t.submit(submit(client_order_id=coid))
        t.apply(filled(f"f-{coid}", "3", coid=coid))
    t.submit(submit(client_order_id="d"))  # open: never forgotten
    assert "a" in t and t.get("a") is None and t.counters["forgotten"] == 1
    assert [o.client_order_id for o in t.open_orders()] == ["d"]
    assert t.get("b") is not None and t.get("c") is not None
    with pytest.raises(DuplicateOrderId, match="spent"):
        t.submit(submit(client_order_id="a"))
    assert t.apply(filled("f-late", "1", coid="a")) is Change.UNKNOWN
