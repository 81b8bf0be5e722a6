from __future__ import annotations

import typing
from decimal import Decimal
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pyengine.messages import (
    BookTop,
    DecodeError,
    Message,
    OrderFilled,
    PlaceOrder,
    SubmitOrder,
    decode,
    encode,
    message_types,
    register_message,
    tag_of,
)


def _value(tp: Any) -> Any:
    origin = typing.get_origin(tp)
    if tp is str:
        return "x"
    if tp is bool:
        return True
    if tp is int:
        return 7
    if tp is float:
        return 0.5
    if tp is Decimal:
        return Decimal("1.25")
    if tp is typing.Any:
        return "x"
    if origin is typing.Literal:
        return typing.get_args(tp)[0]
    if origin is list:
        (inner,) = typing.get_args(tp)
        return [_value(inner)]
    if origin is tuple:
        return tuple(_value(a) for a in typing.get_args(tp))
    if origin is dict:
        key, val = typing.get_args(tp)
        return {_value(key): _value(val)}
    if origin in (typing.Union, __import__("types").UnionType):
        return _value(next(a for a in typing.get_args(tp) if a is not type(None)))
    if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
        return example(tp)
    raise TypeError(tp)


def example(cls: type[Any]) -> Any:
    hints = typing.get_type_hints(cls)
    kwargs = {f: _value(hints[f]) for f in cls.__struct_fields__}
    return cls(**kwargs)


@pytest.mark.parametrize("cls", message_types(), ids=lambda c: c.__name__)
def test_every_message_round_trips_and_has_an_explicit_tag(cls: type[Message]) -> None:
    tag = tag_of(cls)
    assert tag != cls.__name__
    msg = example(cls)
    assert decode(encode(msg)) == msg
    assert msg.topic().split(".")[0]
    assert cls.__struct_config__.frozen


def test_tags_are_unique() -> None:
    tags = [tag_of(c) for c in message_types()]
    assert len(tags) == len(set(tags))


def test_register_refuses_implicit_or_reused_tags() -> None:
    class Implicit(Message, frozen=True, kw_only=True):
        pass

    class Reuse(Message, frozen=True, kw_only=True, tag="md.book_top"):
        pass

    with pytest.raises(TypeError, match="explicit tag"):
        register_message(Implicit)
    with pytest.raises(TypeError, match="already used"):
        register_message(Reuse)


def test_bad_bytes_raise_decode_error() -> None:
    with pytest.raises(DecodeError):
        decode(b"\xff\x00garbage")
    with pytest.raises(DecodeError):
        decode(msgspec.msgpack.encode({"type": "no.such.tag", "ts_event": 1, "ts_recv": 1}))
    with pytest.raises(DecodeError):
        decode(msgspec.msgpack.encode({"type": "md.book_top", "ts_event": "x"}))


def test_schema_evolution_unknown_fields_ignored_and_defaults_filled() -> None:
    newer = {
        "type": "exec.fill",
        "ts_event": 1,
        "ts_recv": 2,
        "client_order_id": "c",
        "venue": "v",
        "symbol": "s",
        "side": "buy",
        "fill_id": "f",
        "qty": "1",
        "price": "2",
        "field_from_the_future": [1, 2],
    }
    msg = decode(msgspec.msgpack.encode(newer))
    assert isinstance(msg, OrderFilled)
    assert msg.fee == Decimal(0)
    assert msg.seq == 0


def test_money_is_exact_on_the_wire() -> None:
    msg = example(SubmitOrder)
    msg = msgspec.structs.replace(msg, qty=Decimal("0.1") + Decimal("0.2"))
    wire = msgspec.msgpack.decode(encode(msg))
    assert wire["qty"] == "0.3"
    assert decode(encode(msg)) == msg


def test_nested_order_topic() -> None:
    order = example(SubmitOrder)
    placed = PlaceOrder(ts_event=1, ts_recv=1, order=order)
    assert placed.topic() == f"cmd.venue.{order.venue}.place"
    assert placed.CRITICAL


@given(
    bids=st.lists(
        st.tuples(st.decimals(allow_nan=False, allow_infinity=False), st.decimals(0, 10**9))
    ),
    seq=st.integers(0, 2**63 - 1),
    ts=st.integers(0, 2**63 - 1),
    valid=st.booleans(),
)
def test_book_top_round_trip(
    bids: list[tuple[Decimal, Decimal]], seq: int, ts: int, valid: bool
) -> None:
    levels = [(str(p), str(s)) for p, s in bids]
    msg = BookTop(
        ts_event=ts,
        ts_recv=ts,
        seq=seq,
        venue="binance",
        symbol="BTCUSDT",
        bids=levels,
        asks=[],
        valid=valid,
    )
    back = decode(encode(msg))
    assert back == msg
    assert [Decimal(p) for p, _ in back.bids] == [p for p, _ in bids]
