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
