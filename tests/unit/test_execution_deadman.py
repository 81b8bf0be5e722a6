"""The execution actor's dead man's switch, driven with no event loop: `handle` gets the
replies its runner would deliver for the "cod" calls (docs/venues.md#cancel-on-disconnect).
The clients are the real private clients; their calls are only built here, never run."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec
import pytest

from pyengine.actors.base import ActorContext
from pyengine.actors.effects import Call
from pyengine.actors.execution import ExecutionActor
from pyengine.clock import ManualClock, SequentialIds
from pyengine.errors import ConfigError
from pyengine.messages import AlertCleared, AlertRaised, Message, PlaceOrder
from pyengine.messages.effects import Failed, Replied
from pyengine.venues.private import Credentials, PrivateClientConfig, private_client
from pyengine.venues.private.client import PrivateClient
from pyengine.venues.private.deadman import Armed, check_window, rearm_period
from tests.unit.test_execution import SEC, accepted, calls, exchange, place

Out = Sequence[object]


def client(venue: str = "binance-usdm", **cfg: object) -> PrivateClient:
    conf = PrivateClientConfig(venue=venue, rest_url="http://127.0.0.1:9", ws_url="ws://x", **cfg)  # type: ignore[arg-type]
    return private_client(conf, Credentials("k", "s", "p"))


def actor(clock: ManualClock, venue: str = "binance-usdm") -> ExecutionActor:
    ctx = ActorContext(
        name="exec", clock=clock, ids=SequentialIds("exec"), options={"venue": venue}
    )
    return ExecutionActor(ctx)


def opened(clock: ManualClock, c: PrivateClient) -> tuple[ExecutionActor, Out]:
    a = actor(clock, c.venue)
    a.on_start()
    return a, a.handle(Replied(correlation_id="client", value=c))


def on(venue: str, coid: str, symbol: str) -> PlaceOrder:
    p = place(coid)
    order = msgspec.structs.replace(p.order, venue=venue, symbol=symbol)
    return msgspec.structs.replace(p, order=order)


def of(kind: type[Message], out: Out) -> list[Message]:
    return [m for m in out if isinstance(m, kind)]


def armed(window_s: float = 60.0) -> Replied:
    return Replied(correlation_id="cod", value=Armed(window_s, "symbol", ("BTCUSDT",)))


def refused(error: str = "VenueTransportError: HTTP 503") -> Failed:
    return Failed(correlation_id="cod", reason="error", error=error)


def test_binance_arms_each_symbol_with_its_first_order_and_re_arms_from_the_timer() -> None:
    clock = ManualClock()
    a, out = opened(clock, client())
    assert "cod" not in calls(out)  # per symbol, and no order of ours rests anywhere yet
    sent = calls(a.handle(place("o1")))
    assert list(sent) == ["cod", "place:o1"]  # the arming goes out with the first order
    cod = sent["cod"]
    assert isinstance(cod, Call)
    assert cod.deadline_ns == clock.now_ns() + 20 * SEC  # a re-arm period, not 30 s
    assert list(calls(a.handle(place("o2")))) == ["place:o2"]  # same symbol: covered
    assert a.handle(armed()) == []
    assert a.stats()["cod_armed"] == 1 and a.stats()["cod_expires_in_ms"] == 60_000
    assert a.stats()["cod_window_s"] == 60
    clock.advance(19 * SEC)
    assert "cod" not in calls(a.on_timer(clock.now_ns()))
    clock.advance(1 * SEC)
    assert "cod" in calls(a.on_timer(clock.now_ns()))  # a third of the window later
    assert "cod" not in calls(a.on_timer(clock.now_ns()))  # one in flight at a time
    assert a.counters["cod_arms"] == 1


def test_a_symbol_added_while_arming_is_armed_right_after() -> None:
    clock = ManualClock()
    a, _ = opened(clock, client())
    a.handle(on("binance-usdm", "o1", "BTCUSDT"))
    assert list(calls(a.handle(on("binance-usdm", "o2", "ETHUSDT")))) == ["place:o2"]
    again = calls(a.handle(armed()))
    assert list(again) == ["cod"]
    assert a.deadman.symbols == {"BTCUSDT", "ETHUSDT"}


def test_an_account_wide_switch_is_armed_before_any_order_and_orders_recovered_count() -> None:
    clock = ManualClock()
    _, out = opened(clock, client("okx"))
    assert "cod" in calls(out)  # any order may follow: armed as the client opens
    a = actor(clock)
    a.recover([place("old")])  # an order of the journal never answered
    a.on_start()
    again = calls(a.handle(Replied(correlation_id="client", value=client())))
    assert "cod" in again and a.deadman.symbols == {"BTCUSDT"}


def test_a_failure_is_a_warning_alert_once_retried_and_cleared_by_the_next_success() -> None:
    clock = ManualClock()
    a, _ = opened(clock, client("okx"))
    (alert,) = of(AlertRaised, a.handle(refused()))
    assert isinstance(alert, AlertRaised)
    assert alert.severity == "warning" and alert.code == "cancel_on_disconnect_unarmed"
    assert "not armed" in alert.text and a.counters["cod_failures"] == 1
    clock.advance(4 * SEC)
    assert "cod" not in calls(a.on_timer(clock.now_ns()))
    clock.advance(1 * SEC)
    assert "cod" in calls(a.on_timer(clock.now_ns()))  # a quarter of the re-arm period
    assert a.handle(refused()) == []  # the same run of failures: no second alert
    clock.advance(5 * SEC)
    a.on_timer(clock.now_ns())
    (cleared,) = a.handle(armed())
    assert isinstance(cleared, AlertCleared) and cleared.alert_id == alert.alert_id
    assert a.counters["cod_failures"] == 2 and a.counters["cod_arms"] == 1
    # A later failure, with the venue's timer still running, says how long it has left.
    clock.advance(20 * SEC)
    a.on_timer(clock.now_ns())
    timeout = Failed(correlation_id="cod", reason="timeout", error="deadline passed")
    (late,) = of(AlertRaised, a.handle(timeout))
    assert isinstance(late, AlertRaised) and "runs out in 40 s" in late.text


def test_orders_trade_on_while_the_switch_fails() -> None:
    clock = ManualClock()
    a, _ = opened(clock, client())
    a.handle(place("o1"))
    a.handle(refused())
    assert a.handle(Replied(correlation_id="place:o1", value=accepted("o1"))) == [accepted("o1")]
    assert isinstance(a.handle(place("o2"))[-1], Call)


def test_off_and_clients_without_one_are_never_armed() -> None:
    clock = ManualClock()
    a, out = opened(clock, client("okx", cancel_on_disconnect_s=0))
    assert "cod" not in calls(out) and "cod" not in calls(a.handle(on("okx", "o1", "X")))
    clock.advance(3600 * SEC)
    assert "cod" not in calls(a.on_timer(clock.now_ns()))
    sim = actor(clock)
    sim.on_start()
    sim.handle(Replied(correlation_id="client", value=exchange()))
    assert "cod" not in calls(sim.handle(place("o1")))
    assert sim.stats()["cod_armed"] == 0


def test_only_a_clean_stop_disarms() -> None:
    clock = ManualClock()
    injected = client("okx")
    ctx = ActorContext(
        name="exec", clock=clock, ids=SequentialIds("exec"), options={"venue": "okx"}
    )
    a = ExecutionActor(ctx, client=injected)
    a.on_start()
    assert a.cleanups() == ()  # a crash or a kill: the venue's timer keeps running
    a.handle(armed())
    assert a.cleanups() == ()
    assert a.on_stop() == []  # even had this life failed to arm it: an earlier one may have
    (disarm,) = a.cleanups()  # an injected client is not closed by the actor
    assert disarm == a.deadman.disarm


def test_a_reply_that_is_not_an_arming_is_a_bug() -> None:
    a, _ = opened(ManualClock(), client("okx"))
    with pytest.raises(TypeError, match="cod"):
        a.handle(Replied(correlation_id="cod", value="ok"))


@pytest.mark.parametrize(
    ("venue", "window", "rearm", "bad"),
    [
        ("okx", 5, 0, "10..120"),
        ("okx", 121, 0, "10..120"),
        ("okx", 30.5, 0, "whole seconds"),
        ("bybit", 2, 0, "3..300"),
        ("bybit", 301, 0, "3..300"),
        ("binance-usdm", -1, 0, ">= 0"),
        ("binance-usdm", 10, 10, "shorter than the window"),
    ],
)
def test_windows_outside_the_venue_s_range_are_refused(
    venue: str, window: float, rearm: float, bad: str
) -> None:
    with pytest.raises(ValueError, match=bad):
        check_window(venue, window, rearm)
    live = {"venue": venue, "cancel_on_disconnect_s": window, "cancel_on_disconnect_rearm_s": rearm}
    ctx = ActorContext(
        name="exec",
        clock=ManualClock(),
        ids=SequentialIds("exec"),
        options={"venue": venue, "client": venue, "live": live},
    )
    with pytest.raises(ConfigError, match=bad):
        ExecutionActor(ctx)


def test_windows_the_venues_take() -> None:
    for venue, window in (("okx", 10), ("okx", 120), ("bybit", 3), ("binance-usdm", 0.5)):
        check_window(venue, window, 0)
    check_window("okx", 0, 0)  # off
    assert rearm_period(60, 0) == 20 and rearm_period(60, 15) == 15
    assert client("okx", cancel_on_disconnect_rearm_s=30).cancel_on_disconnect_rearm_s == 30
