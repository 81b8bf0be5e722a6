"""The capture loop: a real Binance USD-M capture drives the simulated exchange, whose
frames rebuild the same book in the Rust normaliser; market orders fill against it."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

from pyengine._core import Feed
from pyengine.messages import OrderFilled, SubmitOrder
from pyengine.sim import VirtualScheduler, build_world
from tests.unit.test_sim_feed import assert_equal_books, pump

DATA = Path(__file__).resolve().parents[1] / "data"
CAPTURE = DATA / "binance_usdm/l2_capture_btcusdt_perp_20240808_snapshot_plus_diffs.txt"
SEC = 1_000_000_000


def test_capture_loop_drives_the_sim() -> None:
    sched = VirtualScheduler()
    w = build_world(sched, capture=CAPTURE)
    w.start()
    ex = w.exchanges["binance-usdm"]
    ex.credit_delegation("USDT", D(1_000_000))
    feed = Feed("binance-usdm")
    for _ in range(6):
        sched.step_until(sched.now_ns() + SEC)
        pump(ex, feed)
    assert feed.stats()["gaps"] == 0
    assert_equal_books(ex, feed)
    best_ask = ex.core.books["BTCUSDT"].best_ask()
    assert best_ask is not None and D(50000) < best_ask[0] < D(70000)
    ex.place_now(
        SubmitOrder(
            ts_event=0,
            ts_recv=0,
            client_order_id="c1",
            venue=ex.venue,
            symbol="BTCUSDT",
            side="buy",
            qty=D("1"),
            order_type="market",
        )
    )
    fills = [e for e in ex.take_events() if isinstance(e, OrderFilled)]
    assert sum(f.qty for f in fills) == D(1) and fills[0].price == best_ask[0]
