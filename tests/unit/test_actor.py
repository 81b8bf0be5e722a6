from __future__ import annotations

from decimal import Decimal

import pytest

from pyengine.actors.base import ActorContext, ConfigError, ManualClock, SequentialIds
from pyengine.actors.monitor import Monitor
from pyengine.actors.paper import DemoMarket, PaperVenue
from pyengine.actors.risk_gate import RiskGate
from pyengine.messages import (
    AlertCleared,
    AlertRaised,
    BookTop,
    GapDetected,
    Heartbeat,
    OrderAccepted,
    OrderFilled,
    OrderRejected,
    PlaceOrder,
    SubmitOrder,
)


def ctx(name: str, clock: ManualClock | None = None, **options: object) -> ActorContext:
    return ActorContext(
        name=name, clock=clock or ManualClock(), ids=SequentialIds(name), options=options
    )


def order(
    coid: str = "o1", qty: str = "1", side: str = "buy", price: str | None = None
) -> SubmitOrder:
    return SubmitOrder(
        ts_event=1,
        ts_recv=1,
        client_order_id=coid,
        venue="paper",
        symbol="BTCUSDT",
        side=side,
        qty=Decimal(qty),
        price=None if price is None else Decimal(price),
    )


def test_risk_approves_refuses_and_tracks_position() -> None:
    risk = RiskGate(ctx("risk", max_order_qty="2", max_position="3"))
    out = risk.handle(order("o1", "2"))
    assert isinstance(out[0], PlaceOrder)
    assert out[0].order.client_order_id == "o1"
    (dup,) = risk.handle(order("o1", "1"))
    assert isinstance(dup, OrderRejected)
    assert dup.stage == "risk"
    assert "duplicate" in dup.reason
    (big,) = risk.handle(order("o2", "5"))
    assert isinstance(big, OrderRejected)
    assert "max_order_qty" in big.reason
    fill = OrderFilled(
        ts_event=1,
        ts_recv=1,
        client_order_id="o1",
        venue="paper",
        symbol="BTCUSDT",
        side="buy",
        fill_id="f1",
        qty=Decimal(2),
        price=Decimal(1),
    )
    risk.handle(fill)
    risk.handle(fill)  # a resent fill counts once
    assert risk.position[("paper", "BTCUSDT")] == 2
    (over,) = risk.handle(order("o3", "2"))
    assert isinstance(over, OrderRejected)
    assert "max_position" in over.reason


def test_risk_recovers_from_journal() -> None:
    first = RiskGate(ctx("risk"))
    placed = first.handle(order("o1"))
    second = RiskGate(ctx("risk"))
    second.recover(placed)
    (again,) = second.handle(order("o1"))
    assert isinstance(again, OrderRejected)


def test_options_errors_name_the_key() -> None:
    with pytest.raises(ConfigError, match=r"actors\.risk\.options"):
        RiskGate(ctx("risk", max_order_qty=3))
    with pytest.raises(ConfigError, match="unknown"):
        RiskGate(ctx("risk", typo=1))


def test_market_and_paper_venue_fill_at_the_touch() -> None:
    clock = ManualClock()
    market = DemoMarket(ctx("market", clock, symbols=["BTCUSDT"], start=["100.00"]))
    (book,) = market.on_timer(clock.now_ns())
    assert isinstance(book, BookTop)
    assert Decimal(book.bids[0][0]) < Decimal(book.asks[0][0])
    venue = PaperVenue(ctx("paper", clock))
    (rej,) = venue.handle(PlaceOrder(ts_event=1, ts_recv=1, order=order("o0")))
    assert isinstance(rej, OrderRejected)  # no book yet
    venue.handle(book)
    acc, fill = venue.handle(PlaceOrder(ts_event=1, ts_recv=1, order=order("o1")))
    assert isinstance(acc, OrderAccepted)
    assert isinstance(fill, OrderFilled)
    assert fill.price == Decimal(book.asks[0][0])
    assert venue.handle(PlaceOrder(ts_event=1, ts_recv=1, order=order("o1"))) == []  # idempotent
    (rest,) = venue.handle(PlaceOrder(ts_event=1, ts_recv=1, order=order("o2", price="1")))
    assert isinstance(rest, OrderAccepted)


def test_deterministic_with_manual_clock() -> None:
    def run() -> list[BookTop]:
        clock = ManualClock()
        m = DemoMarket(ctx("market", clock))
        out = []
        for _ in range(5):
            out += m.on_timer(clock.advance(100_000_000))
        return out  # type: ignore[return-value]

    assert run() == run()


def test_monitor_alerts_on_stale_heartbeat_and_gaps() -> None:
    clock = ManualClock()
    mon = Monitor(ctx("monitor", clock, stale_after_s=1.0))
    hb = Heartbeat(ts_event=1, ts_recv=1, actor="risk", pid=1)
    assert mon.handle(hb) == []
    assert mon.on_timer(clock.advance(500_000_000)) == []
    (alert,) = mon.on_timer(clock.advance(1_000_000_000))
    assert isinstance(alert, AlertRaised)
    assert alert.code == "heartbeat.missing"
    assert mon.on_timer(clock.advance(1_000_000_000)) == []  # once
    (cleared,) = mon.handle(hb)
    assert isinstance(cleared, AlertCleared)
    gap = GapDetected(
        ts_event=1,
        ts_recv=1,
        actor="rec",
        peer="px",
        peer_topic="price.x",
        expected=2,
        received=9,
        missing=7,
    )
    (g,) = mon.handle(gap)
    assert isinstance(g, AlertRaised)
    assert "7" in g.text
    assert mon.handle(gap) == []  # rate-limited
