"""Oracle actors' synchronous half: fixture responses in, OraclePrice and Health out."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyengine.actors.base import ActorContext
from pyengine.actors.oracle import IoFailure, PythOracle, RedstoneOracle
from pyengine.clock import ManualClock
from pyengine.errors import ConfigError
from pyengine.messages import Health, Message, OraclePrice
from pyengine.oracles.pyth import PythParseError, parse_latest
from pyengine.oracles.redstone import parse_response

DATA = Path(__file__).resolve().parent.parent / "data"
PYTH_V2 = DATA / "pyth" / "hermes_v2_updates_price_latest_btc_and_1_more_docs.json"
PYTH_LEGACY = DATA / "pyth" / "hermes_api_latest_price_feeds_eth_legacy_docs.json"
REDSTONE = DATA / "redstone" / "primary_prod_data_packages_20240701_btc_eth_usdt_usdc.json"
S = 1_000_000_000


def prices(msgs: list[Message]) -> list[OraclePrice]:
    return [m for m in msgs if isinstance(m, OraclePrice)]


def health(msgs: list[Message]) -> list[Health]:
    return [m for m in msgs if isinstance(m, Health)]


def pyth(clock: ManualClock, **opts: object) -> PythOracle:
    options = {
        "connect": False,
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
    a.put(clock.now_ns(), parse_latest(PYTH_V2.read_bytes()))
    out = a.on_timer(clock.now_ns())
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
    a.put(clock.now_ns(), parse_latest(PYTH_V2.read_bytes()))
    assert health(a.on_timer(clock.now_ns()))[0].status == "ok"
    assert health(a.on_timer(clock.advance(S))) == []  # unchanged, not yet due
    a.put(clock.now_ns(), IoFailure("ClientConnectorError: refused"))
    clock.advance(10 * S)
    (h,) = health(a.on_timer(clock.now_ns()))
    assert (h.status, h.detail) == ("down", "ClientConnectorError: refused")
    a.put(clock.now_ns(), PythParseError("bad"))
    a.on_timer(clock.now_ns())
    assert a.counts["malformed_events"] == 1 and a.counts["io_errors"] == 1


def test_pyth_actor_rejects_empty_feeds() -> None:
    with pytest.raises(ConfigError):
        PythOracle(ActorContext(name="pyth", options={"feeds": {}, "connect": False}))
    with pytest.raises(ConfigError):
        PythOracle(ActorContext(name="pyth", options={"mode": "carrier-pigeon"}))


def test_redstone_actor_verifies_and_publishes_medians() -> None:
    clock = ManualClock(1_719_856_905 * S)
    a = RedstoneOracle(ActorContext(name="redstone", clock=clock, options={"connect": False}))
    a.put(clock.now_ns(), parse_response(REDSTONE.read_bytes(), a.by_feed))
    out = a.on_timer(clock.now_ns())
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
