"""Ids, refusal codes and Literal types on the wire; the derived critical topic lists."""

from __future__ import annotations

from decimal import Decimal

import msgspec
import pytest

from pyengine.messages import (
    CancelOrder,
    DecodeError,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderRejected,
    OrderUpdate,
    PlaceOrder,
    SubmitOrder,
    decode,
    encode,
    message_types,
)
from pyengine.messages.critical import journal_prefixes, recover_prefixes


def _submit(**kw: object) -> SubmitOrder:
    return SubmitOrder(
        ts_event=1,
        ts_recv=2,
        client_order_id="hedge-9-0",
        venue="binance",
        symbol="BTCUSDT",
        side="sell",
        qty=Decimal("0.010"),
        price=Decimal("65000.1"),
        **kw,  # type: ignore[arg-type]
    )


EVENTS = [
    _submit(parent_id="hedge-9", correlation_id="req-3"),
    CancelOrder(
        ts_event=1,
        ts_recv=1,
        client_order_id="c",
        venue="okx",
        parent_id="hedge-9",
        correlation_id="req-3",
    ),
    PlaceOrder(
        ts_event=1,
        ts_recv=1,
        order=_submit(parent_id="hedge-9", correlation_id="req-3"),
        parent_id="hedge-9",
        correlation_id="req-3",
    ),
    OrderAccepted(
        ts_event=1,
        ts_recv=1,
        client_order_id="c",
        venue="okx",
        parent_id="hedge-9",
        correlation_id="req-3",
    ),
    OrderRejected(
        ts_event=1,
        ts_recv=1,
        client_order_id="c",
        venue="okx",
        reason="notional_limit: 1 > 0; price_band: far",
        stage="risk",
        codes=["notional_limit", "price_band"],
        parent_id="hedge-9",
        correlation_id="req-3",
    ),
    OrderCanceled(
        ts_event=1,
        ts_recv=1,
        client_order_id="c",
        venue="okx",
        parent_id="hedge-9",
        correlation_id="req-3",
    ),
    OrderFilled(
        ts_event=1,
        ts_recv=1,
        client_order_id="c",
        venue="okx",
        symbol="BTC-USDT-SWAP",
        side="buy",
        fill_id="t1",
        qty=Decimal("1"),
        price=Decimal("2"),
        parent_id="hedge-9",
        correlation_id="req-3",
    ),
    OrderUpdate(
        ts_event=1,
        ts_recv=1,
        venue="okx",
        symbol="BTC-USDT-SWAP",
        client_order_id="c",
        status="partially_filled",
        side="buy",
        qty=Decimal("1"),
        parent_id="hedge-9",
        correlation_id="req-3",
    ),
]


@pytest.mark.parametrize("msg", EVENTS, ids=lambda m: type(m).__name__)
def test_new_fields_round_trip(msg: object) -> None:
    back = decode(encode(msg))
    assert back == msg
    ids = msgspec.structs.asdict(back)
    assert (ids["parent_id"], ids["correlation_id"]) == ("hedge-9", "req-3")


@pytest.mark.parametrize("msg", EVENTS, ids=lambda m: type(m).__name__)
def test_old_payloads_without_the_new_fields_still_decode(msg: object) -> None:
    # What an old writer (or an old journal row) has: the same message minus new fields.
    raw = msgspec.to_builtins(msg)
    new = {"parent_id", "correlation_id", "codes"}
    old = {k: v for k, v in raw.items() if k not in new}
    if "order" in old:
        old["order"] = {k: v for k, v in old["order"].items() if k not in new}
    back = decode(msgspec.msgpack.encode(old))
    assert type(back) is type(msg)
    ids = msgspec.structs.asdict(back)
    assert (ids["parent_id"], ids["correlation_id"]) == ("", "")
    if isinstance(back, OrderRejected):
        assert back.codes == []


@pytest.mark.parametrize(
    ("field", "value"),
    [("side", "BUY"), ("side", "hold"), ("order_type", "stop"), ("tif", "day")],
)
def test_the_schema_refuses_what_it_does_not_accept(field: str, value: str) -> None:
    raw = msgspec.to_builtins(_submit())
    raw[field] = value
    with pytest.raises(DecodeError, match=field):
        decode(msgspec.msgpack.encode(raw))


def test_an_order_update_keeps_the_venues_own_order_type() -> None:
    msg = msgspec.to_builtins(EVENTS[-1])
    msg["order_type"] = "stop_market"
    assert decode(msgspec.msgpack.encode(msg)).order_type == "stop_market"  # type: ignore[attr-defined]
    msg["status"] = "open"
    with pytest.raises(DecodeError, match="status"):
        decode(msgspec.msgpack.encode(msg))


# The hand-written lists these replace (recorder.py and runtime/engine.py at 1700b6b), plus
# the critical topics added since: every new one must be added here on purpose.
OLD_JOURNAL = (
    "cmd.quote.request",
    "mint.",
    "hedge.",
    "quote.",
    "cmd.order.",
    "cmd.venue.",
    "cmd.transfer.",
    "exec.",
    "collateral.transfer.",
    "alert.",
    "ctl.mint.",
)
OLD_RECOVER = (
    "mint.",
    "hedge.",
    "cmd.order.",
    "cmd.venue.",
    "exec.",
    "collateral.transfer.",
    "cmd.transfer.",
    "ctl.mint.",
)


def _topic_of(cls: type) -> str:
    from tests.unit.test_messages import example

    return str(example(cls).topic())


@pytest.mark.parametrize("cls", message_types(), ids=lambda c: c.__name__)
def test_derived_lists_match_the_hand_written_ones_for_every_message(cls: type) -> None:
    topic = _topic_of(cls)
    assert topic.startswith(cls.TOPIC)  # type: ignore[attr-defined]
    assert topic.startswith(journal_prefixes()) == topic.startswith(OLD_JOURNAL)
    assert topic.startswith(recover_prefixes()) == topic.startswith(OLD_RECOVER)
    if topic.startswith(journal_prefixes()):
        assert cls.CRITICAL  # type: ignore[attr-defined]


def test_a_recovered_class_is_journaled_and_a_snapshot_is_not() -> None:
    for cls in message_types():
        if cls.RECOVER:
            assert cls.CRITICAL and not cls.SNAPSHOT
        if cls.SNAPSHOT:
            assert cls.CRITICAL
    assert set(recover_prefixes()) <= set(journal_prefixes())


def test_the_recorder_and_the_runtime_use_the_derived_lists() -> None:
    from pyengine.actors.recorder import CRITICAL_PREFIXES
    from pyengine.runtime.engine import RECOVER_PREFIXES

    assert journal_prefixes() == CRITICAL_PREFIXES
    assert recover_prefixes() == RECOVER_PREFIXES
