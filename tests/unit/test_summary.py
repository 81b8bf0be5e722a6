"""The monitor's one-line engine summary."""

from __future__ import annotations

from decimal import Decimal

from pyengine.actors.summary import MarketSummary
from pyengine.messages import AlertCleared, AlertRaised, OrderFilled, OrderRejected
from pyengine.messages.validity import InstrumentValidity


def validity(symbol: str, state: str, reasons: list[str]) -> InstrumentValidity:
    return InstrumentValidity(
        ts_event=1,
        ts_recv=1,
        venue="binance-usdm",
        symbol=symbol,
        state=state,
        reasons=reasons,
        dev_bps="1.5",
        lag_ms=3,
        mid="100.5",
    )


def test_summary_counts_validity_fills_rejects_and_open_alerts() -> None:
    s = MarketSummary()
    s.observe(validity("BTCUSDT", "valid", []))
    s.observe(validity("ETHUSDT", "suspended", ["stale"]))
    s.observe(validity("ETHUSDT", "invalid", ["deviation"]))  # the latest verdict wins
    s.observe(
        OrderFilled(
            ts_event=1,
            ts_recv=1,
            client_order_id="c1",
            venue="binance-usdm",
            symbol="BTCUSDT",
            side="buy",
            fill_id="f1",
            qty=Decimal("0.010"),
            price=Decimal("100.5"),
        )
    )
    s.observe(OrderRejected(ts_event=1, ts_recv=1, client_order_id="c2", venue="x", reason="risk"))
    for alert_id in ("a", "b"):
        s.observe(
            AlertRaised(
                ts_event=1,
                ts_recv=1,
                alert_id=alert_id,
                severity="critical",
                source="m",
                code="c",
                text="t",
            )
        )
    s.observe(AlertCleared(ts_event=1, ts_recv=1, alert_id="a", source="m"))
    line = s.line()
    assert line.startswith("instruments 1/2 valid")
    assert "binance-usdm:BTCUSDT valid mid 100.5" in line
    assert "binance-usdm:ETHUSDT invalid (deviation)" in line
    assert "fills 1, rejects 1, last buy 0.010 BTCUSDT @ 100.5 on binance-usdm" in line
    assert line.endswith("alerts open 1 (1 critical)")
