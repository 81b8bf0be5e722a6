"""Simulated market data through the real normaliser: equal books, outages the way a real
venue shows them, and byte-identical streams under a seed."""

from __future__ import annotations

import asyncio
from decimal import Decimal as D

from pyengine._core import Feed
from pyengine.messages import SubmitOrder
from pyengine.messages.execution import Side
from pyengine.sim import SimExchange, VirtualScheduler, build_world
from pyengine.venues.base import ExecutionClient, Frame, MarketDataSource, VenueAdapter

SEC = 1_000_000_000


def feed_for(ex: SimExchange) -> Feed:
    """The normaliser of one connection to `ex` (Bybit: of its category)."""
    return Feed(ex.feed_venue, category=ex.category) if ex.category else Feed(ex.feed_venue)


def apply(feed: Feed, frames: list[Frame]) -> None:
    for fr in frames:
        if fr.kind == "reconnected":
            feed.on_reconnect()
        elif fr.kind == "rest":
            feed.on_rest_snapshot(fr.data, fr.symbol, fr.ts_recv)
        else:
            feed.on_message(fr.data, fr.ts_recv)


def pump(ex: SimExchange, feed: Feed) -> None:
    """What the feed actor does: apply frames, resync unsynced books (a REST snapshot on
    Binance, a resubscription's snapshot on the stream elsewhere)."""
    apply(feed, ex.take_frames())
    for sym in sorted(set(ex.core.specs) - set(feed.symbols()) | set(feed.unsynced())):
        asyncio.run(ex.resync(sym))
    resync = ex.take_frames()
    kind = ex.core.wires[next(iter(ex.core.specs))].snapshot_kind
    assert all(fr.kind == kind for fr in resync)
    apply(feed, resync)


def assert_equal_books(ex: SimExchange, feed: Feed) -> None:
    for sym, book in ex.core.books.items():
        view = feed.book(sym, 10_000)
        assert view.valid and view.cross == "normal", sym
        assert [(D(p), D(s)) for p, s in view.bids] == book.sorted_bids()
        assert [(D(p), D(s)) for p, s in view.asks] == book.sorted_asks()


def test_sim_is_a_venue_adapter() -> None:
    w = build_world(VirtualScheduler())
    for ex in w.exchanges.values():
        assert isinstance(ex, VenueAdapter)
        assert isinstance(ex, MarketDataSource) and isinstance(ex, ExecutionClient)


def test_frames_build_equal_books_in_the_rust_feed() -> None:
    sched = VirtualScheduler()
    w = build_world(sched, seed=3)
    w.start()
    feeds = {v: feed_for(ex) for v, ex in w.exchanges.items()}
    assert set(feeds) == {"binance-usdm", "binance-coinm", "bybit", "okx", "deribit"}
    for _ in range(20):
        sched.step_until(sched.now_ns() + SEC // 2)
        for v, ex in w.exchanges.items():
            pump(ex, feeds[v])
    for v, ex in w.exchanges.items():
        stats = feeds[v].stats()
        assert stats["gaps"] == 0 and stats["rejected"] == 0, stats
        assert stats["book_updates"] > 20
        assert_equal_books(ex, feeds[v])


def test_disconnect_is_seen_as_reconnect_and_resync() -> None:
    sched = VirtualScheduler()
    w = build_world(sched, seed=4)
    w.start()
    ex = w.exchanges["binance-usdm"]
    feed = Feed("binance-usdm")
    sched.step_until(sched.now_ns() + SEC)
    pump(ex, feed)
    assert_equal_books(ex, feed)
    ex.disconnect(2 * SEC)
    sched.step_until(sched.now_ns() + SEC)
    assert ex.take_frames() == [] and ex.dropped_frames > 0
    sched.step_until(sched.now_ns() + 2 * SEC)
    frames = ex.take_frames()
    assert frames[0].kind == "reconnected"
    feed.on_reconnect()
    assert sorted(feed.unsynced()) == sorted(ex.core.specs)
    assert not feed.book("BTCUSDT").valid
    for fr in frames[1:]:
        feed.on_message(fr.data, fr.ts_recv)
    assert not feed.book("BTCUSDT").valid  # diffs alone never resync a Binance book
    pump(ex, feed)
    assert_equal_books(ex, feed)


def test_stale_data_stops_updates_but_not_the_market() -> None:
    sched = VirtualScheduler()
    w = build_world(sched, seed=5)
    w.start()
    ex = w.exchanges["binance-usdm"]
    feed = Feed("binance-usdm")
    sched.step_until(sched.now_ns() + SEC)
    pump(ex, feed)
    ts_before = feed.book("BTCUSDT").ts_event
    ex.stale(5 * SEC)
    sched.step_until(sched.now_ns() + 3 * SEC)
    pump(ex, feed)
    view = feed.book("BTCUSDT")
    assert view.ts_event == ts_before and view.synced  # no reconnect: just no news
    assert sched.now_ns() - view.ts_event >= 3 * SEC
    sched.step_until(sched.now_ns() + 3 * SEC)
    pump(ex, feed)
    # Frames resume where the venue is: a gap, so the normaliser resyncs.
    assert feed.stats()["gaps"] >= 1
    pump(ex, feed)
    assert_equal_books(ex, feed)


def run_once(seed: int) -> str:
    sched = VirtualScheduler()
    w = build_world(sched, seed=seed)
    w.start()
    ex = w.exchanges["binance-usdm"]
    asyncio.run(w.custodian.delegate("d1", ex.venue, "USDT", D(500_000)))
    for i in range(10):
        sched.step_until(sched.now_ns() + SEC)
        side: Side = "buy" if i % 2 else "sell"
        ex.place_now(
            SubmitOrder(
                ts_event=0,
                ts_recv=0,
                client_order_id=f"o{i}",
                venue=ex.venue,
                symbol="BTCUSDT",
                side=side,
                qty=D("0.5"),
                order_type="market",
            )
        )
        pump(ex, Feed("binance-usdm"))
    return ex.digest() + w.exchanges["binance-coinm"].digest()


def test_same_seed_same_bytes() -> None:
    assert run_once(11) == run_once(11)
    assert run_once(11) != run_once(12)
