from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from pyengine.actors.base import ActorContext
from pyengine.clock import ManualClock, SequentialIds
from pyengine.errors import ConfigError
from pyengine.messages import BookTop, OrderFilled, OrderRejected, SubmitOrder
from pyengine.strategy import Strategy, StrategyHost, load_strategy_class

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "mean_reversion.py"


def host(path: Path, **params: object) -> StrategyHost:
    return StrategyHost(
        ActorContext(
            name="strategy",
            clock=ManualClock(),
            ids=SequentialIds("strategy-1"),
            options={"path": str(path), "params": params},
        )
    )


def book(mid: str) -> BookTop:
    m = Decimal(mid)
    return BookTop(
        ts_event=1,
        ts_recv=1,
        venue="binance-usdm",
        symbol="BTCUSDT",
        bids=[(str(m - 1), "1")],
        asks=[(str(m + 1), "1")],
    )


def test_example_loads_and_submits_through_risk() -> None:
    h = host(EXAMPLE, window=3, threshold_bps="1")
    assert h.topics()[0] == ("md.book.binance-usdm.BTCUSDT",)
    assert "exec.fill." in h.topics()[1]
    assert h.on_start() == []
    assert h.handle(book("100")) == []
    assert h.handle(book("100")) == []
    (order,) = h.handle(book("90"))
    assert isinstance(order, SubmitOrder)
    assert order.side == "buy"
    assert order.strategy == "strategy"
    fill = OrderFilled(
        ts_event=1,
        ts_recv=1,
        client_order_id=order.client_order_id,
        venue="binance-usdm",
        symbol="BTCUSDT",
        side="buy",
        fill_id="f",
        qty=order.qty,
        price=Decimal(91),
    )
    h.handle(fill)
    assert h.strategy.position == order.qty  # type: ignore[attr-defined]
    assert h.strategy.working == {}  # type: ignore[attr-defined]
    other = OrderFilled(
        ts_event=1,
        ts_recv=1,
        client_order_id="someone-else",
        venue="binance-usdm",
        symbol="BTCUSDT",
        side="buy",
        fill_id="g",
        qty=Decimal(5),
        price=Decimal(91),
    )
    h.handle(other)
    assert h.strategy.position == order.qty  # type: ignore[attr-defined]


def test_loading_errors_are_clear(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_strategy_class(str(tmp_path / "nope.py"))
    none = tmp_path / "none.py"
    none.write_text("x = 1\n")
    with pytest.raises(ConfigError, match="found none"):
        load_strategy_class(str(none))
    broken = tmp_path / "broken.py"
    broken.write_text("raise RuntimeError('bad import')\n")
    with pytest.raises(ConfigError, match="bad import"):
        load_strategy_class(str(broken))
    two = tmp_path / "two.py"
    two.write_text(
        "from pyengine.strategy import Strategy\nclass A(Strategy): pass\nclass B(Strategy): pass\n"
    )
    with pytest.raises(ConfigError, match="A, B"):
        load_strategy_class(str(two))
    cls = load_strategy_class(str(two), "B")
    assert issubclass(cls, Strategy)
    assert cls.__name__ == "B"


def test_example_counts_orders_in_flight_against_its_limit() -> None:
    h = host(EXAMPLE, window=2, threshold_bps="1", clip="0.01", max_position="0.01")
    h.on_start()
    h.handle(book("100"))
    (first,) = h.handle(book("90"))
    assert isinstance(first, SubmitOrder)
    assert h.handle(book("80")) == []  # the first is still working: the limit is used up
    h.handle(
        OrderRejected(
            ts_event=1,
            ts_recv=1,
            client_order_id=first.client_order_id,
            venue="binance-usdm",
            reason="r",
            stage="risk",
        )
    )
    (second,) = h.handle(book("70"))
    assert isinstance(second, SubmitOrder) and second.side == "buy"


PARENT = """
from decimal import Decimal
from pyengine.strategy import Strategy

class Hedger(Strategy):
    def on_start(self):
        for i in range(2):
            self.submit("binance-usdm", "BTCUSDT", "sell", Decimal("0.01"), price=Decimal(9),
                        parent_id="hedge-7", child=i)
"""


def test_orders_of_a_parent_get_derived_ids_and_are_tracked(tmp_path: Path) -> None:
    from pyengine.messages import AlertRaised, OrderAccepted
    from pyengine.orders import OrderStatus

    path = tmp_path / "hedger.py"
    path.write_text(PARENT)
    h = host(path)
    first, second = h.on_start()
    assert isinstance(first, SubmitOrder) and isinstance(second, SubmitOrder)
    assert (first.client_order_id, second.client_order_id) == ("hedge-7-0", "hedge-7-1")
    assert first.parent_id == "hedge-7"
    assert [o.client_order_id for o in h.strategy.open_orders(parent_id="hedge-7")] == [
        "hedge-7-0",
        "hedge-7-1",
    ]
    rejected = OrderRejected(
        ts_event=2,
        ts_recv=2,
        client_order_id="hedge-7-0",
        venue="binance-usdm",
        reason="price_band: far",
        stage="risk",
        codes=["price_band"],
    )
    assert h.handle(rejected) == []
    order = h.strategy.order("hedge-7-0")
    assert order is not None and order.status is OrderStatus.REJECTED
    # A venue ack for an order risk refused: two sources disagree, so an alert goes out.
    late = OrderAccepted(ts_event=3, ts_recv=3, client_order_id="hedge-7-0", venue="binance-usdm")
    (alert,) = h.handle(late)
    assert isinstance(alert, AlertRaised) and alert.code == "order_illegal_transition"
    assert order.status is OrderStatus.REJECTED

    # A restarted host rebuilds its table from the journal; the strategy derives the same
    # ids again, and the host does not send an order it already has.
    again = host(path)
    again.recover([first, second, rejected, late])
    assert again.orders.get("hedge-7-0") is not None
    assert [o.client_order_id for o in again.strategy.open_orders()] == ["hedge-7-1"]
    assert again.on_start() == []
    # Without the journal the same ids go out, and risk or the venue refuses the duplicate;
    # that refusal is about the resend, so the order under the id stays as it was.
    fresh = host(path)
    resent = fresh.on_start()
    assert [m.client_order_id for m in resent if isinstance(m, SubmitOrder)] == [
        "hedge-7-0",
        "hedge-7-1",
    ]
    fresh.handle(
        OrderRejected(
            ts_event=4,
            ts_recv=4,
            client_order_id="hedge-7-1",
            venue="binance-usdm",
            reason="duplicate client_order_id",
            stage="risk",
            codes=["duplicate_client_order_id"],
        )
    )
    dup = fresh.strategy.order("hedge-7-1")
    assert dup is not None and dup.status is OrderStatus.IN_FLIGHT
    assert fresh.orders.counters["duplicate_submits"] == 1


def test_recover_ignores_other_strategies_orders(tmp_path: Path) -> None:
    h = host(EXAMPLE)
    theirs = SubmitOrder(
        ts_event=1,
        ts_recv=1,
        client_order_id="x-1",
        venue="binance-usdm",
        symbol="BTCUSDT",
        side="buy",
        qty=Decimal(1),
        strategy="other",
    )
    h.recover([theirs])
    assert "x-1" not in h.orders


def test_another_order_under_a_used_child_id_is_a_typed_error(tmp_path: Path) -> None:
    from pyengine.orders import DuplicateOrderId

    path = tmp_path / "hedger.py"
    path.write_text(PARENT)
    h = host(path)
    h.on_start()
    with pytest.raises(DuplicateOrderId, match="hedge-7-0"):
        h.strategy.submit("binance-usdm", "BTCUSDT", "buy", Decimal(1), parent_id="hedge-7")


@pytest.mark.parametrize(
    ("field", "value"), [("side", "BUY"), ("order_type", "stop"), ("tif", "day")]
)
def test_a_value_the_schema_refuses_is_refused_at_submit(field: str, value: str) -> None:
    h = host(EXAMPLE)
    kwargs: dict[str, object] = {field: value} if field != "side" else {}
    side = value if field == "side" else "buy"
    with pytest.raises(ValueError, match=field):
        h.strategy.submit("binance-usdm", "BTCUSDT", side, Decimal(1), **kwargs)  # type: ignore[arg-type]
    assert h.outbox == [] and len(h.orders) == 0


WATCHER = """
from decimal import Decimal
from pyengine.strategy import Strategy

class Watcher(Strategy):
    def on_start(self):
        self.seen = []
        self.submit("binance-usdm", "BTCUSDT", "buy", Decimal("0.01"), price=Decimal(9),
                    parent_id="w", child=0)

    def on_order(self, msg):
        self.seen.append(msg)
"""


def test_an_unknown_outcome_reaches_the_strategy_and_is_not_a_rejection(tmp_path: Path) -> None:
    from pyengine.messages import OrderAccepted, OrderStatusUnknown
    from pyengine.orders import OrderStatus

    path = tmp_path / "watcher.py"
    path.write_text(WATCHER)
    h = host(path)
    (sent,) = h.on_start()
    assert isinstance(sent, SubmitOrder)
    unknown = OrderStatusUnknown(
        ts_event=2,
        ts_recv=2,
        client_order_id=sent.client_order_id,
        venue="binance-usdm",
        reason="client_error: TimeoutError: deadline",
        codes=["timeout"],
    )
    assert h.handle(unknown) == []
    assert h.strategy.seen == [unknown]  # type: ignore[attr-defined]
    order = h.strategy.order(sent.client_order_id)
    assert order is not None and order.status is OrderStatus.IN_FLIGHT and order.ambiguous == 1
    assert [o.client_order_id for o in h.strategy.open_orders()] == [sent.client_order_id]
    # the status query settles it: accepted, never an illegal transition
    ack = OrderAccepted(
        ts_event=3, ts_recv=3, client_order_id=sent.client_order_id, venue="binance-usdm"
    )
    assert h.handle(ack) == []
    assert order.status is OrderStatus.ACCEPTED  # type: ignore[comparison-overlap]
    assert h.orders.counters["illegal"] == 0
