"""The risk gate actor over the Rust `RiskEngine`: every reason of a refusal, validity,
marks, positions from fills (each once), journal recovery and venue reconciliation."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path
from typing import Any

import msgspec
import pytest

from pyengine.actors.base import ActorContext
from pyengine.actors.risk_gate import RiskGate, md_name
from pyengine.clock import ManualClock, SequentialIds
from pyengine.contracts import load_instruments_file
from pyengine.errors import ConfigError
from pyengine.messages import (
    BalanceReport,
    BookTop,
    Health,
    MarkFunding,
    OrderFilled,
    OrderRejected,
    PlaceOrder,
    PositionReport,
    SubmitOrder,
)
from pyengine.messages.execution import Side
from pyengine.messages.validity import InstrumentValidity
from pyengine.runtime.embedded import default_risk_options

VENUE, SYMBOL = "binance-usdm", "BTCUSDT"
SEC = 1_000_000_000


def gate(clock: ManualClock | None = None, **changes: Any) -> RiskGate:
    options = default_risk_options()
    options["limits"]["instruments"][f"{VENUE}:{SYMBOL}"] = {"max_position": "0.05"}
    options.update(changes)
    return RiskGate(
        ActorContext(
            name="risk", clock=clock or ManualClock(), ids=SequentialIds("risk"), options=options
        )
    )


def ready(g: RiskGate, venue: str = VENUE, symbol: str = SYMBOL) -> RiskGate:
    """Valid market data, a mark, and collateral on the venue."""
    g.handle(
        InstrumentValidity(
            ts_event=1,
            ts_recv=1,
            venue=venue,
            symbol=symbol,
            state="valid",
            reasons=[],
            dev_bps="0",
            lag_ms=0,
        )
    )
    g.handle(
        MarkFunding(
            ts_event=1, ts_recv=1, venue=venue, symbol=symbol, mark_px="60000", index_px="60000"
        )
    )
    g.handle(
        BalanceReport(
            ts_event=1, ts_recv=1, venue=venue, asset="USDT", wallet=D(100000), available=D(100000)
        )
    )
    return g


def order(
    coid: str, qty: str = "0.01", price: str | None = "60000.0", side: Side = "buy"
) -> SubmitOrder:
    return SubmitOrder(
        ts_event=1,
        ts_recv=1,
        client_order_id=coid,
        venue=VENUE,
        symbol=SYMBOL,
        side=side,
        qty=D(qty),
        price=None if price is None else D(price),
        order_type="limit" if price is not None else "market",
    )


def fill(coid: str, qty: str, fill_id: str = "F1", side: Side = "buy") -> OrderFilled:
    return OrderFilled(
        ts_event=1,
        ts_recv=1,
        client_order_id=coid,
        venue=VENUE,
        symbol=SYMBOL,
        side=side,
        fill_id=fill_id,
        qty=D(qty),
        price=D(60000),
        fee=D("0.3"),
        fee_ccy="USDT",
    )


def refused(out: list[Any]) -> OrderRejected:
    (msg,) = out
    assert isinstance(msg, OrderRejected) and msg.stage == "risk"
    return msg


def test_approves_once_data_is_valid_and_lists_every_reason() -> None:
    g = gate()
    assert "market_data: no validity" in refused(g.handle(order("o0"))).reason
    ready(g)
    (placed,) = g.handle(order("o1"))
    assert isinstance(placed, PlaceOrder) and placed.approved_by == "risk"
    assert placed.order.client_order_id == "o1"
    assert "duplicate client_order_id" in refused(g.handle(order("o1"))).reason
    bad = refused(g.handle(order("o2", qty="0.0105", price="60000.005"))).reason
    assert "tick" in bad and "lot" in bad  # both reasons, not just the first
    assert (
        "unknown_instrument"
        in refused(
            g.handle(
                SubmitOrder(
                    ts_event=1,
                    ts_recv=1,
                    client_order_id="o3",
                    venue="x",
                    symbol="Y",
                    side="buy",
                    qty=D(1),
                )
            )
        ).reason
    )
    assert "band" in refused(g.handle(order("o4", price="70000.0"))).reason


def test_invalid_data_refuses() -> None:
    g = ready(gate())
    g.handle(
        InstrumentValidity(
            ts_event=2,
            ts_recv=2,
            venue=VENUE,
            symbol=SYMBOL,
            state="suspended",
            reasons=["oracle_stale"],
            dev_bps="",
            lag_ms=0,
        )
    )
    assert "suspended (oracle_stale)" in refused(g.handle(order("o1"))).reason


def test_market_orders_are_priced_from_the_book() -> None:
    g = ready(gate())
    assert "no_reference_price" in refused(g.handle(order("m1", price=None))).reason
    g.handle(
        BookTop(
            ts_event=1,
            ts_recv=1,
            venue=VENUE,
            symbol=SYMBOL,
            bids=[("59999.9", "1")],
            asks=[("60000.1", "1")],
        )
    )
    (placed,) = g.handle(order("m2", price=None))
    assert isinstance(placed, PlaceOrder) and placed.order.price is None


def test_positions_from_fills_counted_once_and_limit_enforced() -> None:
    g = ready(gate())
    g.handle(order("o1", qty="0.04"))
    g.handle(fill("o1", "0.04"))
    g.handle(fill("o1", "0.04"))  # a resent fill counts once
    assert g.engine.position(g.inst_ids[(VENUE, SYMBOL)])[0] == D("0.04")
    reason = refused(g.handle(order("o2", qty="0.02"))).reason
    assert "position" in reason
    (ok,) = g.handle(order("o3", qty="0.02", side="sell"))  # reducing is always allowed
    assert isinstance(ok, PlaceOrder)
    # the same fill id of another order is another fill (a restarted venue reuses ids)
    g.handle(fill("o3", "0.02", side="sell"))
    assert g.engine.position(g.inst_ids[(VENUE, SYMBOL)])[0] == D("0.02")


def test_recovers_orders_and_fills_from_the_journal() -> None:
    first = ready(gate())
    journal = [*first.handle(order("o1", qty="0.04")), fill("o1", "0.04")]
    second = ready(gate(recover_positions=True))
    second.recover(journal)
    assert "duplicate" in refused(second.handle(order("o1"))).reason
    assert second.engine.position(second.inst_ids[(VENUE, SYMBOL)])[0] == D("0.04")
    embedded = ready(gate())  # the simulated world starts afresh: no positions from before
    embedded.recover(journal)
    assert "duplicate" in refused(embedded.handle(order("o1"))).reason
    assert embedded.engine.position(embedded.inst_ids[(VENUE, SYMBOL)])[0] == 0


def test_a_lasting_venue_disagreement_is_reconciled() -> None:
    clock = ManualClock()
    g = ready(gate(clock))
    g.handle(fill("o1", "0.04"))

    def report(qty: str) -> PositionReport:
        return PositionReport(
            ts_event=1, ts_recv=1, venue=VENUE, symbol=SYMBOL, qty=D(qty), entry_price=D(60000)
        )

    inst = g.inst_ids[(VENUE, SYMBOL)]
    g.handle(report("0"))  # a fill may still be on its way: wait
    clock.advance(SEC)
    g.handle(report("0"))
    assert g.engine.position(inst)[0] == D("0.04")
    clock.advance(3 * SEC)
    g.handle(report("0"))
    assert g.engine.position(inst)[0] == 0
    assert g.counters["reconciled"] == 1
    g.handle(report("0"))
    assert g.counters["reconciled"] == 1


def test_options_errors_name_the_key() -> None:
    with pytest.raises(ConfigError, match=r"actors\.risk\.options\.limits: .*float"):
        gate(limits={"price_band": 0.05})
    with pytest.raises(ConfigError, match=r"actors\.risk\.options"):
        gate(typo=1)
    with pytest.raises(ConfigError, match=r"instruments\[0\]\.symbols: .*NOPE"):
        gate(
            instruments=[
                {
                    "venue": VENUE,
                    "path": default_risk_options()["instruments"][0]["path"],
                    "symbols": ["NOPE"],
                }
            ]
        )


def test_refusal_codes_and_order_ids_reach_the_wire() -> None:
    g = gate()
    msg = refused(g.handle(order("o0")))
    assert msg.codes[0] == "market_data" and len(msg.codes) == len(msg.reason.split("; "))
    ready(g)
    bad = refused(g.handle(order("o2", qty="0.0105", price="60000.005")))
    assert {"price_tick", "qty_lot"} <= set(bad.codes)
    assert len(bad.codes) == len(bad.reason.split("; "))
    dup = refused(g.handle(order("o2")))
    assert dup.codes[0] == "duplicate_client_order_id"
    linked = SubmitOrder(
        ts_event=1,
        ts_recv=1,
        client_order_id="h-1-0",
        venue=VENUE,
        symbol=SYMBOL,
        side="buy",
        qty=D("0.01"),
        price=D("60000.0"),
        parent_id="h-1",
        correlation_id="rq-5",
    )
    (placed,) = g.handle(linked)
    assert isinstance(placed, PlaceOrder)
    assert (placed.parent_id, placed.correlation_id) == ("h-1", "rq-5")
    assert [o.client_order_id for o in g.orders.open_orders(VENUE, parent_id="h-1")] == ["h-1-0"]


def test_the_order_table_follows_events_and_a_refused_cancel_is_not_a_rejection() -> None:
    from pyengine.messages import CancelOrder, OrderAccepted
    from pyengine.orders import OrderStatus

    g = ready(gate())
    g.handle(order("o1"))
    g.handle(OrderAccepted(ts_event=2, ts_recv=2, client_order_id="o1", venue=VENUE))
    g.handle(CancelOrder(ts_event=3, ts_recv=3, client_order_id="o1", venue=VENUE))
    g.handle(
        OrderRejected(
            ts_event=4,
            ts_recv=4,
            client_order_id="o1",
            venue=VENUE,
            reason="-2011: Unknown order sent.",
        )
    )
    o = g.orders.get("o1")
    assert o is not None and o.status is OrderStatus.ACCEPTED
    g.handle(fill("o1", "0.01"))
    assert o.status is OrderStatus.FILLED  # type: ignore[comparison-overlap]
    assert g.stats()["orders_open"] == 0
    assert g.stats()["orders_illegal"] == 0


def test_an_unknown_outcome_keeps_the_order_open_for_risk() -> None:
    from pyengine.messages import OrderAccepted, OrderStatusUnknown
    from pyengine.orders import OrderStatus

    g = ready(gate())
    g.handle(order("o1"))
    g.handle(
        OrderStatusUnknown(
            ts_event=2, ts_recv=2, client_order_id="o1", venue=VENUE, codes=["-1006"]
        )
    )
    o = g.orders.get("o1")
    assert o is not None and o.status is OrderStatus.IN_FLIGHT
    assert g.stats()["orders_open"] == 1
    g.handle(OrderAccepted(ts_event=3, ts_recv=3, client_order_id="o1", venue=VENUE))
    assert o.status is OrderStatus.ACCEPTED  # type: ignore[comparison-overlap]
    assert g.stats()["orders_illegal"] == 0
    # and a resend of its id is still a duplicate
    assert refused(g.handle(order("o1"))).codes[0] == "duplicate_client_order_id"


def test_a_refused_order_of_the_journal_is_a_duplicate_after_restart() -> None:
    first = gate()
    journal = [order("o1"), *first.handle(order("o1"))]  # refused: no validity yet
    second = ready(gate())
    second.recover(journal)
    assert refused(second.handle(order("o1"))).codes[0] == "duplicate_client_order_id"


def test_no_order_is_approved_while_the_store_is_down() -> None:
    g = ready(gate())
    down = Health(ts_event=1, ts_recv=1, component="store", status="down", detail="disk full")
    g.handle(down)
    assert "store_down: disk full" in refused(g.handle(order("s1"))).reason
    g.handle(Health(ts_event=2, ts_recv=2, component="store", status="ok"))
    (placed,) = g.handle(order("s2"))
    assert isinstance(placed, PlaceOrder)


def test_bybit_market_data_under_its_category_name_reaches_the_instrument() -> None:
    """The Bybit feed names books `linear:BTCUSDT` (the Rust normaliser keys by category);
    orders and limits say (bybit, BTCUSDT): the gate maps the one to the other, so a valid
    Bybit book lets a Bybit order through (found by the simulated world)."""
    bybit = msgspec.structs.replace(order("by-1"), venue="bybit")
    # Another category's book of the same symbol is not this instrument's.
    spot = ready(gate(), "bybit", "spot:BTCUSDT")
    assert "market_data" in refused(spot.handle(bybit)).reason
    g = ready(gate(), "bybit", "linear:BTCUSDT")
    placed = g.handle(bybit)[0]
    assert isinstance(placed, PlaceOrder), placed
    g.handle(
        BookTop(
            ts_event=2,
            ts_recv=2,
            venue="bybit",
            symbol="linear:BTCUSDT",
            bids=[("59990", "1")],
            asks=[("60010", "1")],
        )
    )
    assert g.touch[("bybit", "BTCUSDT")] == (D("59990"), D("60010"))
    # Another venue's plain name is untouched, and a spot category stays apart.
    assert g._md_pair("binance-usdm", "BTCUSDT") == ("binance-usdm", "BTCUSDT")
    assert g._md_pair("bybit", "spot:BTCUSDT") == ("bybit", "spot:BTCUSDT")


def test_md_name_follows_the_bybit_category() -> None:
    data = Path(__file__).resolve().parents[1] / "data" / "instruments" / "bybit"
    linear = load_instruments_file(
        "bybit", data / "rest_instruments_info_linear_20260809_trimmed.json"
    )
    spot = load_instruments_file("bybit", data / "rest_instruments_info_spot_20260809_trimmed.json")
    assert {md_name(s) for s in linear if s.symbol == "BTCUSDT"} == {"linear:BTCUSDT"}
    assert {md_name(s) for s in spot if s.symbol == "BTCUSDT"} == {"spot:BTCUSDT"}
    usdm = gate().specs[(VENUE, SYMBOL)]
    assert md_name(usdm) == SYMBOL


def test_the_net_delta_limit_counts_the_portfolio_s_custody() -> None:
    """Custody is the portfolio's (its `PortfolioDelta`): a short that hedges coins held is
    not a naked short, and the limit binds on custody plus hedge."""
    from pyengine.messages import PortfolioDelta

    limits = dict(default_risk_options()["limits"])
    limits["max_net_delta_usd"] = "1000"
    limits["instruments"] = {f"{VENUE}:{SYMBOL}": {"max_position": "1"}}
    g = ready(gate(limits=limits))
    sell = order("S1", qty="0.04", side="sell")  # $2,400 short with nothing held: refused
    assert "net delta" in refused(g.handle(sell)).reason

    def custody(coins: str) -> PortfolioDelta:
        return PortfolioDelta(
            ts_event=2, ts_recv=2, asset="BTC", custody=D(coins), hedge=D(0), delta=D(coins),
            price=D(60000), delta_usd=D(coins) * 60000, tolerance_usd=D(1000),
        )  # fmt: skip

    g.handle(custody("0.04"))  # 0.04 BTC held: the same short now brings delta to zero
    (ok,) = g.handle(order("S2", qty="0.04", side="sell"))
    assert isinstance(ok, PlaceOrder)
    g.handle(custody("0"))  # redeemed: a further short is naked again
    assert "net delta" in refused(g.handle(order("S3", qty="0.04", side="sell"))).reason
