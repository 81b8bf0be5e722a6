"""Pyth Hermes parsing on the real docs outputs: exact values, bad feeds counted, SSE framing."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from pyengine.oracles.pyth import (
    PythParseError,
    SseDecoder,
    latest_url,
    normalise_id,
    parse_latest,
    scale,
    stream_url,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "pyth"
BTC = "e62df6c8b4a85fe1a67db44dc12de5db330f7ac66b72dc658afedf0f4a415b43"
ETH = "ff61491a931112ddf1bd8147cd1b641375f79f5825126d665480874634fd0ace"


def test_v2_latest_fixture_exact_values() -> None:
    batch = parse_latest(
        (DATA / "hermes_v2_updates_price_latest_btc_and_1_more_docs.json").read_bytes()
    )
    assert batch.rejected == []
    btc, other = batch.prices
    assert btc.feed_id == BTC
    assert btc.price == Decimal("61409.93501000")
    assert btc.conf == Decimal("32.87868567")
    assert btc.expo == -8
    assert btc.publish_ns == 1_714_746_101_000_000_000
    assert btc.ema_price == Decimal("60940.04700000")
    assert other.price == Decimal("0.04959503")
    assert other.conf == Decimal("0.00005465")


def test_legacy_latest_fixture_exact_values() -> None:
    batch = parse_latest((DATA / "hermes_api_latest_price_feeds_eth_legacy_docs.json").read_bytes())
    (eth,) = batch.prices
    assert eth.feed_id == ETH
    assert eth.price == Decimal("1841.36023127")
    assert eth.conf == Decimal("1.77166324")
    assert eth.publish_ns == 1_692_110_601_000_000_000


@pytest.mark.parametrize(
    ("mantissa", "expo", "want"),
    [
        ("184136023127", -8, "1841.36023127"),
        (-5, -2, "-0.05"),
        ("7", 3, "7E+3"),
        ("123456789012345678901234567890123", -40, "1.23456789012345678901234567890123E-8"),
    ],
)
def test_scale_is_exact(mantissa: str | int, expo: int, want: str) -> None:
    got = scale(mantissa, expo)
    assert got == Decimal(want)
    assert str(got) == str(Decimal(want))


@pytest.mark.parametrize("bad", ["1.5", "abc", "", "1e5"])
def test_scale_rejects_non_integers(bad: str) -> None:
    with pytest.raises(ValueError):
        scale(bad, -8)


def test_one_bad_feed_is_counted_not_fatal() -> None:
    body = (
        b'{"parsed": ['
        b'{"id": "0xAB", "price": {"price": "12", "conf": "1", "expo": -1, "publish_time": 5}},'
        b'{"id": "cd", "price": {"price": "x", "conf": "1", "expo": -1, "publish_time": 5}},'
        b'{"id": "ef", "price": {"price": "1", "conf": "1", "expo": -999, "publish_time": 5}},'
        b'{"nope": 1},'
        b'{"id": "01", "price": {"price": "1", "conf": "-1", "expo": 0, "publish_time": 5}},'
        b'{"id": "02", "price": {"price": "1", "conf": "1", "expo": 0, "publish_time": 0}}'
        b"]}"
    )
    batch = parse_latest(body)
    assert [(p.feed_id, p.price) for p in batch.prices] == [("ab", Decimal("1.2"))]
    assert len(batch.rejected) == 5


@pytest.mark.parametrize("body", [b"", b"{", b"null", b'{"binary": {}}', b"[1", b'"x"'])
def test_garbage_documents_raise_typed_error(body: bytes) -> None:
    with pytest.raises(PythParseError):
        parse_latest(body)


def test_urls() -> None:
    assert latest_url("http://h/", ["0xAB", "cd"]) == (
        "http://h/v2/updates/price/latest?ids[]=ab&ids[]=cd&parsed=true"
    )
    assert latest_url("http://h", ["ab"], legacy=True) == "http://h/api/latest_price_feeds?ids[]=ab"
    assert (
        stream_url("http://h", ["0xab"]) == "http://h/v2/updates/price/stream?ids[]=ab&parsed=true"
    )
    assert normalise_id(" 0XAbC ") == "abc"


def test_sse_decoder_framing() -> None:
    d = SseDecoder()
    assert d.feed(b'data: {"a"') == []
    assert d.feed(b":1}\n") == []
    assert d.feed(b"\n") == [b'{"a":1}']
    # CRLF and CR line ends, comments, other fields, multi-line data.
    got = d.feed(b": keep-alive\r\n\r\nevent: x\rid: 3\rdata:one\r\ndata: two\r\n\r\n")
    assert got == [b"one\ntwo"]
    assert d.comments == 1
    # A CR at the end of one chunk and its LF at the start of the next is one line end.
    assert d.feed(b"data: z\r") == []
    assert d.feed(b"\n\r\n") == [b"z"]


def test_sse_decoder_drops_oversize_events() -> None:
    d = SseDecoder(max_event_bytes=16)
    assert d.feed(b"data: " + b"x" * 40 + b"\n\n" + b"data: ok\n\n") == [b"ok"]
    assert d.oversize == 1
    # An endless line without a newline is cut off too.
    assert d.feed(b"data: " + b"y" * 100) == []
    assert d.oversize == 2
    assert d.feed(b"\n\ndata: fine\n\n") == [b"fine"]


def test_sse_event_from_fixture_parses() -> None:
    raw = (DATA / "hermes_v2_updates_price_latest_btc_and_1_more_docs.json").read_bytes()
    compact = b"".join(raw.split())
    d = SseDecoder()
    (event,) = d.feed(b"data:" + compact + b"\n\n")
    assert parse_latest(event).prices[0].price == Decimal("61409.93501000")
