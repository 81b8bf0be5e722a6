"""The native error funnel: each bad input raises its own class, and every class derives
from `_core.EngineError` (an `Exception`, not a `ValueError`), so a caller can catch one
name, and from its closest builtin."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest

from pyengine import _core
from pyengine import contracts as c
from pyengine import risk as r

DATA = Path(__file__).resolve().parents[1] / "data"
USDM = DATA / "instruments" / "binance_usdm" / "rest_exchangeInfo_fapi_20210722_trimmed.json"
CAPTURE = DATA / "binance_usdm" / "l2_capture_btcusdt_perp_20240808_snapshot_plus_diffs.txt"

NATIVE_ERRORS = sorted(
    (
        obj
        for obj in vars(_core).values()
        if inspect.isclass(obj) and issubclass(obj, BaseException)
    ),
    key=lambda cls: cls.__name__,
)


def text(s: str) -> Any:
    """Text the stub's `Literal` types refuse: the point of these tests is the run-time check."""
    return s


def synced_feed() -> _core.Feed:
    frames = [line.split(b" ", 1)[1] for line in CAPTURE.read_bytes().splitlines()[:50] if line]
    feed = _core.Feed("binance-usdm")
    feed.on_messages(frames, 0, events=False)
    assert feed.book("BTCUSDT").valid
    return feed


def engine_with_eth() -> tuple[r.RiskEngine, int]:
    engine = r.RiskEngine()
    spec = next(s for s in c.load_instruments_file("binance-usdm", USDM) if s.symbol == "ETHUSDT")
    return engine, engine.add_instrument(spec)


def test_every_native_exception_derives_from_engine_error() -> None:
    names = {cls.__name__ for cls in NATIVE_ERRORS}
    assert {"EngineError", "InvalidArgument", "InvalidDecimal", "UnknownVenue"} <= names
    for cls in NATIVE_ERRORS:
        assert issubclass(cls, _core.EngineError), cls


#: Each native class and its closest builtin (engine_core/src/python/errors.rs).
CLOSEST_BUILTIN: dict[str, type[Exception]] = {
    "InvalidArgument": ValueError,
    "InvalidDecimal": ValueError,
    "VenueMessageError": ValueError,
    "UnknownVenue": ValueError,
    "UnknownInstrument": LookupError,
    "ContractMathError": ValueError,
    "InstrumentSpecError": ValueError,
    "RiskConfigError": ValueError,
}


def test_the_native_root_is_not_a_value_error() -> None:
    assert _core.EngineError.__bases__ == (Exception,)
    assert not issubclass(_core.EngineError, ValueError)


@pytest.mark.parametrize("name", sorted(CLOSEST_BUILTIN))
def test_each_native_error_is_also_its_closest_builtin(name: str) -> None:
    cls = getattr(_core, name)
    builtin = CLOSEST_BUILTIN[name]
    assert issubclass(cls, _core.EngineError) and issubclass(cls, builtin)
    others = {ValueError, LookupError} - {builtin}
    assert not any(issubclass(cls, o) for o in others), cls
    assert cls.__doc__ and cls.__module__ == _core.EngineError.__module__
    # Raised and caught as either.
    with pytest.raises(builtin):
        raise cls("x")


def test_every_native_class_has_its_builtin_listed() -> None:
    assert {c.__name__ for c in NATIVE_ERRORS} - {"EngineError"} == set(CLOSEST_BUILTIN)


def test_native_errors_raised_by_the_core_are_their_builtin() -> None:
    with pytest.raises(ValueError):
        _core.Feed("no-such-venue")
    with pytest.raises(LookupError):
        synced_feed().book("NOSUCH")
    with pytest.raises(_core.UnknownInstrument):
        synced_feed().book("NOSUCH")


def test_invalid_argument_is_its_own_class() -> None:
    assert issubclass(_core.InvalidArgument, _core.EngineError)
    for other in (_core.InvalidDecimal, _core.RiskConfigError, _core.ContractMathError):
        assert not issubclass(_core.InvalidArgument, other)
    assert c.InvalidArgument is r.InvalidArgument is _core.InvalidArgument


BAD_ENUM_TEXT: list[tuple[str, Callable[[], Any]]] = [
    ("payoff", lambda: c.notional(text("linearr"), 1, 1, 1)),
    ("payoff", lambda: c.Position(text("Linear"), 1)),
    ("payoff", lambda: c.Portfolio([(text("quanto"), 1)])),
    ("payoff", lambda: c.LiquidationModel().add_position(text(""), 1, 1, 1, D("0.01"))),
    ("basis", lambda: c.HaircutTiers(text("notional"), [(1, 1)], 1)),
    ("flow", lambda: r.Gatekeeper().observe(0, text("burn"), 1, 1)),
]


@pytest.mark.parametrize(("what", "call"), BAD_ENUM_TEXT)
def test_bad_enum_text_is_invalid_argument(what: str, call: Callable[[], Any]) -> None:
    with pytest.raises(_core.InvalidArgument, match=f"{what} must be"):
        call()


@pytest.mark.parametrize("side", ["bid", "BUY", "long", ""])
def test_bad_order_side_is_invalid_argument(side: str) -> None:
    engine, eth = engine_with_eth()
    with pytest.raises(_core.InvalidArgument, match="side must be"):
        engine.check(eth, text(side), 1, 2000)
    with pytest.raises(_core.InvalidArgument, match="side must be"):
        engine.apply_fill(eth, text(side), 1, 2000)
    with pytest.raises(_core.InvalidArgument, match="side must be"):
        engine.check_batch([(eth, side, 1, 2000, 0)])


@pytest.mark.parametrize(
    "order",
    [
        (0, "buy", 1, 2000),
        (0, "buy", 1, 2000, 0, 0),
        [0, "buy", 1, 2000, 0],
        "order",
        (0, 1, 1, 1, 0),
    ],
)
def test_bad_order_shape_is_invalid_argument(order: Any) -> None:
    engine, _ = engine_with_eth()
    with pytest.raises(_core.InvalidArgument, match="order"):
        engine.check_batch([order])
    with pytest.raises(_core.InvalidArgument, match="order"):
        engine.check_batch([order], cumulative=True)


def test_good_order_sides_still_pass() -> None:
    engine, eth = engine_with_eth()
    engine.set_mark(eth, 2000)
    # A side built at run time is not the interned literal: the text path must accept it.
    buy, sell = "".join(["b", "uy"]), "".join(["se", "ll"])
    verdicts = engine.check_batch(
        [(eth, buy, D("0.01"), 2000, 0), r.Order(eth, sell, D(1), D(2000), 0)]
    )
    assert verdicts.approved == [True, True]


@pytest.mark.parametrize("side", ["bids", "buy", "sell", "asks", "Bid", ""])
def test_feed_side_is_bid_or_ask_only(side: str) -> None:
    feed = synced_feed()
    with pytest.raises(_core.InvalidArgument, match="side must be"):
        feed.sweep("BTCUSDT", text(side), "1")
    with pytest.raises(_core.InvalidArgument, match="side must be"):
        feed.depth_within_bps("BTCUSDT", text(side), 10)


def test_feed_documented_sides_work() -> None:
    feed = synced_feed()
    assert feed.sweep("BTCUSDT", "bid", "0.001").complete
    assert feed.sweep("BTCUSDT", "ask", "0.001").complete
    size, _ = feed.depth_within_bps("BTCUSDT", "ask", 10)
    assert D(size) > 0


UNKNOWN_VENUE: list[Callable[[], Any]] = [
    lambda: _core.Feed("nasdaq"),
    lambda: c.load_instruments("nasdaq", "{}"),
    lambda: r.RiskEngine().instrument_id("nasdaq", "X"),
    lambda: r.RiskEngine().set_state("halted", venue="nasdaq"),
    lambda: r.RiskEngine().set_collateral("nasdaq", "USDT", "USDT", 1, 1, c.HaircutTiers.flat(1)),
]


@pytest.mark.parametrize("call", UNKNOWN_VENUE)
def test_unknown_venue_everywhere(call: Callable[[], Any]) -> None:
    with pytest.raises(_core.UnknownVenue, match="nasdaq"):
        call()


def test_domain_errors_keep_their_classes() -> None:
    feed = synced_feed()
    with pytest.raises(_core.InvalidDecimal):
        feed.sweep("BTCUSDT", "bid", "1.2.3")
    with pytest.raises(_core.UnknownInstrument):
        feed.book("ETHUSDT")
    with pytest.raises(_core.VenueMessageError, match="category"):
        _core.Feed("bybit", category="options")
    with pytest.raises(_core.ContractMathError):
        c.coin_delta("inverse", 1, 1, 0)
    with pytest.raises(_core.InstrumentSpecError):
        c.load_instruments("bybit", "not json")
    with pytest.raises(_core.RiskConfigError):
        r.RiskEngine('{"max_net_delta_usd": "x"}')
    with pytest.raises(_core.RiskConfigError):
        r.RiskEngine().set_state(text("paused"))
    engine, eth = engine_with_eth()
    with pytest.raises(_core.RiskConfigError, match="already registered"):
        engine.add_instrument(
            next(s for s in c.load_instruments_file("binance-usdm", USDM) if s.symbol == "ETHUSDT")
        )
    with pytest.raises(_core.UnknownInstrument):
        engine.position(eth + 1)
    with pytest.raises(_core.UnknownInstrument):
        engine.set_mark(eth + 1, 1)


def test_aggregate_overflow_is_contract_math_error() -> None:
    engine, eth = engine_with_eth()
    engine.set_position(eth, D("1e20"), 1)
    engine.set_mark(eth, D("1e20"))
    with pytest.raises(_core.ContractMathError, match="overflow"):
        engine.exposure()
    assert engine.check(eth, "sell", D("0.01"), 2000).codes == ["arithmetic"]
