"""Oracle actors driven with no event loop: the requests they ask for, and `handle` with the
replies their runner would deliver (fixture responses, failures) in; OraclePrice, Health
and the next request's timing out."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from pyengine.actors.base import Actor, ActorContext
from pyengine.actors.effects import Call, Output, Stream
from pyengine.actors.oracle import PythOracle, RedstoneOracle
from pyengine.clock import ManualClock
from pyengine.errors import ConfigError
from pyengine.messages import Health, OraclePrice
from pyengine.messages.effects import Failed, Replied
from pyengine.oracles.pyth import PythParseError, parse_latest
from pyengine.oracles.redstone import parse_response

DATA = Path(__file__).resolve().parent.parent / "data"
PYTH_V2 = DATA / "pyth" / "hermes_v2_updates_price_latest_btc_and_1_more_docs.json"
PYTH_LEGACY = DATA / "pyth" / "hermes_api_latest_price_feeds_eth_legacy_docs.json"
REDSTONE = DATA / "redstone" / "primary_prod_data_packages_20240701_btc_eth_usdt_usdc.json"
S = 1_000_000_000


def prices(msgs: Sequence[Output]) -> list[OraclePrice]:
    return [m for m in msgs if isinstance(m, OraclePrice)]


def health(msgs: Sequence[Output]) -> list[Health]:
    return [m for m in msgs if isinstance(m, Health)]


def asks(out: Sequence[Output]) -> list[Call | Stream]:
    return [e for e in out if isinstance(e, Call | Stream)]


def ask(a: Actor) -> str:
    """Start the actor; the correlation id of the one request it asks for."""
    (effect,) = asks(a.on_start())
    return effect.correlation_id


def deliver(a: Actor, cid: str, item: object) -> list[Output]:
    """The runner handing one network result to the actor, then its next timer tick."""
    return [*a.handle(Replied(correlation_id=cid, value=item)), *a.on_timer(a.now())]


def pyth(clock: ManualClock, **opts: object) -> PythOracle:
    options: dict[str, object] = {
        "feeds": {
            "BTC": "0xE62DF6C8B4A85FE1A67DB44DC12DE5DB330F7AC66B72DC658AFEDF0F4A415B43",
            "ETH": "ff61491a931112ddf1bd8147cd1b641375f79f5825126d665480874634fd0ace",
        },
    }
    options.update(opts)
    return PythOracle(ActorContext(name="pyth", clock=clock, options=options))


def test_pyth_actor_publishes_configured_feeds_once() -> None:
    clock = ManualClock(1_714_746_102 * S)
    a = pyth(clock)
    out = deliver(a, ask(a), parse_latest(PYTH_V2.read_bytes()))
    (btc,) = prices(out)
    assert (btc.source, btc.symbol, btc.price, btc.conf) == (
        "pyth",
        "BTC",
        "61409.93501000",
        "32.87868567",
    )
    assert btc.publish_ns == btc.ts_event == 1_714_746_101 * S
    assert btc.ts_recv == clock.now_ns()
    assert btc.topic() == "oracle.pyth.BTC"
    assert a.counts["unknown_feed"] == 1
    # ETH has never been seen: degraded, not ok.
    (h,) = health(out)
    assert (h.component, h.status) == ("oracle.pyth", "degraded")
    # The same publish time again is not news.
    assert prices(a.ingest(parse_latest(PYTH_V2.read_bytes()), clock.now_ns())) == []
    (eth,) = prices(a.ingest(parse_latest(PYTH_LEGACY.read_bytes()), clock.now_ns()))
    assert eth.price == "1841.36023127"


def test_pyth_actor_health_tracks_freshness_and_errors() -> None:
    clock = ManualClock(1_714_746_102 * S)
    a = pyth(
        clock,
        feeds={"BTC": "e62df6c8b4a85fe1a67db44dc12de5db330f7ac66b72dc658afedf0f4a415b43"},
        stale_after_s=10.0,
    )
    cid = ask(a)
    assert health(deliver(a, cid, parse_latest(PYTH_V2.read_bytes())))[0].status == "ok"
    assert health(a.on_timer(clock.advance(S))) == []  # unchanged, not yet due
    a.handle(Failed(correlation_id=cid, reason="error", error="ClientConnectorError: refused"))
    out = a.on_timer(clock.advance(10 * S))
    (h,) = health(out)
    assert (h.status, h.detail) == ("down", "ClientConnectorError: refused")
    (again,) = asks(out)  # the backoff is over: it reconnects
    deliver(a, again.correlation_id, PythParseError("bad"))
    assert a.counts["malformed_events"] == 1 and a.counts["io_errors"] == 1


def ask_again(a: Actor, clock: ManualClock, after_ns: int) -> str:
    (effect,) = asks(a.on_timer(clock.advance(after_ns)))
    return effect.correlation_id


def test_pyth_polls_on_its_clock_and_backs_off_after_failures() -> None:
    clock = ManualClock(1_714_746_102 * S)
    a = pyth(clock, mode="poll", poll_interval_s=1.0, backoff_initial_s=0.5, timeout_s=5.0)
    (call,) = asks(a.on_start())
    assert isinstance(call, Call) and call.deadline_ns == clock.now_ns() + 6 * S
    assert asks(a.on_timer(clock.now_ns())) == []  # one request at a time
    deliver(a, call.correlation_id, parse_latest(PYTH_V2.read_bytes()))
    assert asks(a.on_timer(clock.advance(S // 2))) == []  # poll_interval_s not yet over
    cid = ask_again(a, clock, S // 2)
    # A missed deadline is a failure: health shows it, the next try waits 0.25-0.5 s ...
    a.handle(Failed(correlation_id=cid, reason="timeout", error="deadline passed"))
    assert a.counts["io_errors"] == 1 and a.last_error == "deadline passed"
    assert asks(a.on_timer(clock.advance(S // 4 - 1))) == []
    cid = ask_again(a, clock, S // 4 + 1)
    # ... and each further failure twice as long (0.5-1 s).
    a.handle(Failed(correlation_id=cid, reason="error", error="OSError: x"))
    assert asks(a.on_timer(clock.advance(S // 2 - 1))) == []
    assert asks(a.on_timer(clock.advance(S // 2 + 1)))
    # A late answer to an old request changes nothing.
    assert a.handle(Replied(correlation_id=call.correlation_id, value=None)) == []


def test_a_stream_that_ends_after_data_reconnects_without_backoff_growth() -> None:
    clock = ManualClock(1_714_746_102 * S)
    a = pyth(clock, backoff_initial_s=0.5)
    cid = ask(a)
    deliver(a, cid, parse_latest(PYTH_V2.read_bytes()))
    assert asks(a.on_timer(clock.now_ns())) == []  # the stream is still open
    a.handle(Failed(correlation_id=cid, reason="ended"))
    assert a.counts["io_errors"] == 0
    assert asks(a.on_timer(clock.advance(S // 2 - 1))) == []
    (again,) = asks(a.on_timer(clock.advance(1)))
    assert isinstance(again, Stream)
    assert asks(pyth(clock, connect=False).on_start()) == []


def test_pyth_actor_rejects_empty_feeds() -> None:
    with pytest.raises(ConfigError):
        PythOracle(ActorContext(name="pyth", options={"feeds": {}, "connect": False}))
    with pytest.raises(ConfigError):
        PythOracle(ActorContext(name="pyth", options={"mode": "carrier-pigeon"}))


def test_redstone_actor_verifies_and_publishes_medians() -> None:
    clock = ManualClock(1_719_856_905 * S)
    a = RedstoneOracle(ActorContext(name="redstone", clock=clock, options={}))
    cid = ask(a)
    out = deliver(a, cid, parse_response(REDSTONE.read_bytes(), a.by_feed))
    got = {p.symbol: p.price for p in prices(out)}
    assert got == {
        "BTC": "63597.79995623",
        "ETH": "3486.95203485",
        "USDT": "0.99877775",
        "USDC": "0.99988697",
    }
    assert all(p.publish_ns == 1_719_856_900_000 * 1_000_000 for p in prices(out))
    assert health(out)[0].status == "ok"
    assert a.stats()["published"] == 4


def test_redstone_actor_counts_rejections_by_reason() -> None:
    clock = ManualClock(1_719_856_905 * S)
    a = RedstoneOracle(
        ActorContext(
            name="redstone",
            clock=clock,
            options={
                "connect": False,
                "allowed_signers": [
                    "0x51Ce04Be4b3E32572C4Ec9135221d0691Ba7d202",
                    "0x8BB8F32Df04c8b654987DAaeD53D6B6091e3B774",
                ],
                "min_signers": 3,
            },
        )
    )
    out = a.ingest(parse_response(REDSTONE.read_bytes(), a.by_feed), clock.now_ns())
    assert prices(out) == []  # only two allowed signers: below the threshold
    assert a.stats()["rejected_unknown_signer"] == 12
    assert a.counts["short_of_signers"] == 4
    # Stale: the same packages seen two minutes later.
    b = RedstoneOracle(ActorContext(name="r2", clock=clock, options={"connect": False}))
    out = b.ingest(parse_response(REDSTONE.read_bytes(), b.by_feed), clock.now_ns() + 120 * S)
    assert prices(out) == []
    assert b.stats()["rejected_stale"] == 20


def test_redstone_bad_config() -> None:
    with pytest.raises(ConfigError):
        RedstoneOracle(ActorContext(name="r", options={"allowed_signers": ["0xnothex"]}))
    with pytest.raises(ConfigError):
        RedstoneOracle(ActorContext(name="r", options={"min_signers": 0}))
