"""The market-data validator (docs/market-data-validity.md), driven with explicit times: no clock,
no sleeps."""

from __future__ import annotations

from decimal import Decimal

import msgspec
import pytest

from pyengine.actors.base import ActorContext
from pyengine.actors.validator import Validator
from pyengine.clock import ManualClock
from pyengine.errors import ConfigError
from pyengine.messages import (
    AlertCleared,
    AlertRaised,
    BestBidOffer,
    BookFault,
    BookTop,
    Message,
    OraclePrice,
)
from pyengine.messages.validity import InstrumentValidity, RfqLookback
from pyengine.validation import (
    DriftTracker,
    MarketValidator,
    Thresholds,
    ValidatorConfig,
    deviation_bps,
    infer_asset,
)

MS = 1_000_000
T0 = 1_800_000_000_000 * MS
V, S = "binance", "BTCUSDT"


def cfg(**kw: object) -> ValidatorConfig:
    base: dict[str, object] = {
        "defaults": {
            "stale_ms": 2_000,
            "tol_bps": "50",
            "suspend_ms": 5_000,
            "resume_ms": 1_000,
            "resume_hold_ms": 10_000,
        },
        "start_suspended": False,
        "drift_min_samples": 4,
    }
    base.update(kw)
    return msgspec.convert(base, ValidatorConfig)


def book(
    t_recv: int, bid: str = "60000", ask: str = "60001", lag_ms: int = 10, **kw: object
) -> BookTop:
    return BookTop(
        ts_event=t_recv - lag_ms * MS,
        ts_recv=t_recv,
        venue=str(kw.get("venue", V)),
        symbol=str(kw.get("symbol", S)),
        bids=[(bid, "1")] if bid else [],
        asks=[(ask, "1")] if ask else [],
        valid=bool(kw.get("valid", True)),
    )


def oracle(t: int, px: str = "60000", source: str = "pyth", symbol: str = "BTC") -> OraclePrice:
    return OraclePrice(ts_event=t, ts_recv=t, source=source, symbol=symbol, price=px, publish_ns=t)


def validity(msgs: list[Message]) -> list[InstrumentValidity]:
    return [m for m in msgs if isinstance(m, InstrumentValidity)]


def state(
    mv: MarketValidator, t: int, venue: str = V, symbol: str = S
) -> tuple[str, tuple[str, ...]]:
    v = mv.verdict(venue, symbol, t)
    assert v is not None
    return v.state, v.reasons


def fresh(mv: MarketValidator, t: int, px: str = "60000") -> None:
    mv.on_message(oracle(t, px, "pyth"), t)
    mv.on_message(oracle(t, px, "redstone"), t)


def test_valid_book_publishes_valid_with_deviation_and_lag() -> None:
    mv = MarketValidator(cfg())
    fresh(mv, T0)
    out = validity(mv.on_message(book(T0, "60000", "60001", lag_ms=7), T0))
    (m,) = out
    assert (m.state, m.reasons, m.lag_ms, m.dev_bps) == ("valid", [], 7, "0.08")
    assert m.mid == "60000.5"
    assert m.oracle_px == "60000"
    assert m.topic() == "md.validity.binance.BTCUSDT"
    # Unchanged verdict: nothing new until the refresh period.
    assert validity(mv.on_message(book(T0 + 100 * MS), T0 + 100 * MS)) == []
    assert validity(mv.on_timer(T0 + 1_000 * MS))  # refresh


def test_staleness_from_lag_and_from_silence() -> None:
    mv = MarketValidator(cfg())
    fresh(mv, T0)
    mv.on_message(book(T0, lag_ms=2_001), T0)
    assert state(mv, T0) == ("invalid", ("stale",))
    mv.on_message(book(T0 + MS, lag_ms=1_999), T0 + MS)
    assert state(mv, T0 + MS) == ("valid", ())
    # No message for a while: the newest data ages.
    assert state(mv, T0 + MS + 2 * 1000 * MS) == ("invalid", ("stale",))


def test_deviation_against_median_of_fresh_oracles() -> None:
    mv = MarketValidator(cfg())
    mv.on_message(oracle(T0, "60000", "pyth"), T0)
    mv.on_message(oracle(T0, "59000", "redstone"), T0)  # median of two = 59500
    mv.on_message(book(T0, "59800", "59802"), T0)
    v = mv.verdict(V, S, T0)
    assert v is not None
    assert v.oracle_px == Decimal(59500)
    assert v.dev_bps == deviation_bps(Decimal(59801), Decimal(59500))
    assert v.state == "invalid" and v.reasons == ("deviation",)
    # RedStone ages out (60 s): Pyth alone is the reference and the mid is within 50 bp.
    t = T0 + 61_000 * MS
    mv.on_message(oracle(t, "59950", "pyth"), t)
    mv.on_message(book(t, "59800", "59802"), t)
    assert state(mv, t) == ("valid", ())


def test_usdt_quoted_reference_divides_by_usdt() -> None:
    mv = MarketValidator(cfg(assets={"BTCUSDT": "BTC/USDT"}))
    mv.on_message(oracle(T0, "60000"), T0)
    mv.on_message(oracle(T0, "0.99", symbol="USDT"), T0)
    mv.on_message(book(T0, "60606", "60607"), T0)
    v = mv.verdict(V, S, T0)
    assert v is not None and v.oracle_px is not None
    assert v.oracle_px.quantize(Decimal("0.01")) == Decimal("60606.06")
    assert v.state == "valid"


@pytest.mark.parametrize(
    ("bid", "ask", "valid", "reason"),
    [
        ("60001", "60000", True, "crossed"),
        ("60000", "60000", True, "crossed"),
        ("60000", "", True, "one_sided"),
        ("abc", "60000", True, "bad_price"),
        ("-1", "60000", True, "bad_price"),
        ("60000", "60001", False, "book_invalid"),
    ],
)
def test_bad_books_are_invalid(bid: str, ask: str, valid: bool, reason: str) -> None:
    mv = MarketValidator(cfg())
    fresh(mv, T0)
    (m,) = validity(mv.on_message(book(T0, bid, ask, valid=valid), T0))
    assert m.state == "invalid"
    assert reason in m.reasons


def test_fault_invalidates_until_next_valid_book() -> None:
    mv = MarketValidator(cfg())
    fresh(mv, T0)
    mv.on_message(book(T0), T0)
    f = BookFault(ts_event=T0, ts_recv=T0, venue=V, symbol=S, reason="gap")
    (m,) = validity(mv.on_message(f, T0 + MS))
    assert (m.state, m.reasons) == ("invalid", ["fault:gap"])
    (m,) = validity(mv.on_message(book(T0 + 2 * MS), T0 + 2 * MS))
    assert m.state == "valid"


def test_bbo_counts_as_a_book() -> None:
    mv = MarketValidator(cfg())
    fresh(mv, T0)
    bbo = BestBidOffer(
        ts_event=T0 - 5 * MS, ts_recv=T0, venue=V, symbol=S,
        bid_px="60000", bid_sz="1", ask_px="60002", ask_sz="1",
    )  # fmt: skip
    (m,) = validity(mv.on_message(bbo, T0))
    assert (m.state, m.lag_ms) == ("valid", 5)


def test_suspend_then_resume_only_after_the_hold() -> None:
    mv = MarketValidator(cfg())
    fresh(mv, T0)
    mv.on_message(book(T0), T0)
    t = T0 + 100 * MS
    (m,) = validity(mv.on_message(book(t, lag_ms=5_001), t))
    assert m.state == "suspended" and "lag_suspend" in m.reasons
    # Lag falls between resume and suspend: still suspended, hold not started.
    t += 100 * MS
    fresh(mv, t)
    mv.on_message(book(t, lag_ms=1_500), t)
    assert state(mv, t) == ("suspended", ("lag_above_resume",))
    # Below resume_ms: the hold starts ...
    t_clear = t + 100 * MS
    mv.on_message(book(t_clear, lag_ms=900), t_clear)
    assert state(mv, t_clear) == ("suspended", ("resume_hold",))
    # ... a single lag spike above resume_ms restarts it ...
    t = t_clear + 5_000 * MS
    fresh(mv, t)
    mv.on_message(book(t, lag_ms=1_200), t)
    assert state(mv, t)[0] == "suspended"
    t_clear = t + 100 * MS
    for i in range(0, 10_000, 500):  # data every 500 ms, lag 900 ms
        now = t_clear + i * MS
        fresh(mv, now)
        mv.on_message(book(now, lag_ms=900), now)
        assert state(mv, now)[0] == "suspended", i
    # ... and it resumes exactly when lag stayed below resume_ms for resume_hold_ms.
    now = t_clear + 10_000 * MS
    fresh(mv, now)
    out = mv.on_message(book(now, lag_ms=900), now)
    (m,) = validity(out)
    assert m.state == "valid"
    assert any(isinstance(x, AlertCleared) for x in out)


def test_suspension_raises_an_alert_once() -> None:
    mv = MarketValidator(cfg())
    fresh(mv, T0)
    mv.on_message(book(T0), T0)
    out = mv.on_message(book(T0 + MS, lag_ms=6_000), T0 + MS)
    alerts = [m for m in out if isinstance(m, AlertRaised)]
    assert len(alerts) == 1 and alerts[0].code == "md.suspended"
    out = mv.on_message(book(T0 + 2 * MS, lag_ms=7_000), T0 + 2 * MS)
    assert not [m for m in out if isinstance(m, AlertRaised)]


def test_oracle_goes_stale_suspends_then_resumes_after_hold() -> None:
    mv = MarketValidator(cfg())
    fresh(mv, T0)
    mv.on_message(book(T0), T0)
    assert state(mv, T0)[0] == "valid"

    # Books keep flowing; Pyth stops at T0 and RedStone at T0 too: Pyth is stale after 10 s,
    # RedStone after 60 s; at 60.001 s no oracle is fresh.
    t = T0
    while t < T0 + 60_000 * MS:
        t += 500 * MS
        mv.on_message(book(t), t)
        mv.on_timer(t)
        assert state(mv, t)[0] == "valid", (t - T0) // MS
    t = T0 + 60_001 * MS
    out = mv.on_message(book(t), t) + mv.on_timer(t)
    assert state(mv, t) == ("suspended", ("oracle_stale",))
    assert any(isinstance(m, AlertRaised) for m in out)

    # The oracle returns: suspended through the hold, valid after it.
    back = t + 1_000 * MS
    now = back
    while now < back + 10_000 * MS:
        fresh(mv, now)
        mv.on_message(book(now), now)
        mv.on_timer(now)
        assert state(mv, now)[0] == "suspended"
        now += 250 * MS
    fresh(mv, now)
    mv.on_message(book(now), now)
    assert state(mv, now) == ("valid", ())


def test_start_suspended_needs_the_hold_first() -> None:
    mv = MarketValidator(cfg(start_suspended=True))
    fresh(mv, T0)
    (m,) = validity(mv.on_message(book(T0), T0))
    assert (m.state, m.reasons) == ("suspended", ["startup", "resume_hold"])
    t = T0 + 10_000 * MS
    fresh(mv, t)
    (m,) = validity(mv.on_message(book(t), t))
    assert m.state == "valid"
    # A first suspension at startup is not an alert (nothing was trading yet).


def test_fault_before_any_book_is_suspended_without_data() -> None:
    mv = MarketValidator(cfg())
    fresh(mv, T0)
    f = BookFault(ts_event=T0, ts_recv=T0, venue=V, symbol=S, reason="resync")
    (m,) = validity(mv.on_message(f, T0))
    assert m.state == "suspended"
    assert "no_data" in m.reasons


def test_drift_lengthens_the_lookback() -> None:
    mv = MarketValidator(cfg(base_lookback_ms=100, max_lookback_ms=1_000))
    fresh(mv, T0)
    (lb,) = [m for m in mv.on_timer(T0) if isinstance(m, RfqLookback)]
    assert (lb.lookback_ms, lb.drift_ms) == (100, 0)
    t = T0
    for lag in (10, 12, 11, 400, 13):  # one outlier does not move the median
        t += MS
        mv.on_message(book(t, lag_ms=lag), t)
        mv.on_message(book(t, lag_ms=3, venue="okx"), t)
    (lb,) = [m for m in mv.on_timer(t) if isinstance(m, RfqLookback)]
    assert (lb.lookback_ms, lb.drift_ms, lb.worst_venue) == (112, 12, "binance")
    assert [m for m in mv.on_timer(t + MS) if isinstance(m, RfqLookback)] == []
    # Binance's clock falls 300 ms behind: the look-back follows.
    for _ in range(10):
        t += MS
        mv.on_message(book(t, lag_ms=300), t)
    (lb,) = [m for m in mv.on_timer(t) if isinstance(m, RfqLookback)]
    assert lb.lookback_ms == 400
    # ... and is capped.
    for _ in range(20):
        t += MS
        mv.on_message(book(t, lag_ms=5_000), t)
    (lb,) = [m for m in mv.on_timer(t) if isinstance(m, RfqLookback)]
    assert lb.lookback_ms == 1_000


def test_drift_tracker_uses_absolute_median() -> None:
    d = DriftTracker(window=5, min_samples=3)
    d.add("a", -50 * MS)
    d.add("a", -52 * MS)
    assert d.drift_ms("a") is None
    d.add("a", -51 * MS)
    assert d.drift_ms("a") == 51
    for _ in range(5):
        d.add("a", MS // 2)
    assert d.drift_ms("a") == 1  # rounded up; old samples left the window
    assert d.worst() == ("a", 1)


def test_per_instrument_overrides() -> None:
    c = cfg(overrides={"BTCUSDT": {"tol_bps": "5"}, "okx.BTCUSDT": {"stale_ms": 100}})
    assert c.thresholds("binance", "BTCUSDT").tol_bps == Decimal(5)
    assert c.thresholds("okx", "BTCUSDT").stale_ms == 100
    assert c.thresholds("okx", "BTCUSDT").tol_bps == Decimal(5)
    assert c.thresholds("okx", "ETHUSDT") == c.defaults
    mv = MarketValidator(c)
    fresh(mv, T0)
    mv.on_message(book(T0, "60040", "60042"), T0)
    assert state(mv, T0) == ("invalid", ("deviation",))


@pytest.mark.parametrize(
    "bad",
    [
        {"defaults": {"resume_ms": 5_000, "suspend_ms": 5_000}},
        {"defaults": {"stale_ms": 6_000}},
        {"defaults": {"tol_bps": "0"}},
        {"overrides": {"x": {"resume_ms": 9_999}}},
        {"overrides": {"x": {"bogus": 1}}},
        {"base_lookback_ms": 10, "max_lookback_ms": 5},
    ],
)
def test_bad_config_is_a_config_error(bad: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        Validator(ActorContext(name="validator", options=bad))


def test_thresholds_defaults_are_consistent() -> None:
    t = Thresholds()
    assert t.resume_ms < t.suspend_ms and t.stale_ms <= t.suspend_ms


@pytest.mark.parametrize(
    ("symbol", "asset"),
    [("BTCUSDT", "BTC"), ("BTCUSD_PERP", "BTC"), ("BTC-USD-SWAP", "BTC"),
     ("ETH-PERPETUAL", "ETH"), ("XBTUSD", "BTC"), ("ETHUSDC", "ETH")],
)  # fmt: skip
def test_infer_asset(symbol: str, asset: str) -> None:
    assert infer_asset(symbol) == asset


def test_bad_oracle_prices_are_counted_and_ignored() -> None:
    mv = MarketValidator(cfg())
    for px in ("abc", "-1", "0", "NaN", "Infinity"):
        mv.on_message(oracle(T0, px), T0)
    mv.on_message(oracle(T0, "1", source="chainlink"), T0)
    mv.on_message(book(T0), T0)
    assert mv.oracles.rejected == 5 and mv.oracles.ignored == 1
    assert state(mv, T0) == ("suspended", ("oracle_stale",))
    # An older oracle print never replaces a newer one.
    mv.on_message(oracle(T0, "60000"), T0)
    mv.on_message(oracle(T0 - MS, "1"), T0)
    assert mv.oracles.price("BTC", T0) == Decimal(60000)


def test_actor_wraps_the_core_with_the_injected_clock() -> None:
    clock = ManualClock(T0)
    a = Validator(ActorContext(name="validator", clock=clock, options={"start_suspended": False}))
    assert a.timer_period() == 0.05
    assert any(isinstance(m, RfqLookback) for m in a.on_start())
    a.handle(oracle(T0))
    (m,) = validity(a.handle(book(T0)))
    assert m.state == "valid"
    clock.advance(6_000 * MS)
    out = validity(a.on_timer(clock.now_ns()))
    assert out[0].state == "suspended"
    assert a.stats()["book"] == 1
