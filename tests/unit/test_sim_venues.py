"""Every simulated venue speaks its own wire format: fed through that venue's real Rust
normaliser (`pyengine.marketdata.Feed`) its frames build books equal to the simulator's,
level by level, through deltas, taker sweeps, dropped messages and resyncs."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal as D

import orjson
import pytest

from pyengine.errors import ConfigError
from pyengine.marketdata import BookFault, Feed, MarkFunding, Trade
from pyengine.sim import SimExchange, VirtualScheduler, build_world
from pyengine.sim.host import WorldOptions
from pyengine.sim.profiles import profile
from pyengine.sim.wire_okx import OkxWire
from pyengine.sim.world import World
from tests.unit.test_sim_feed import apply, feed_for, pump

SEC = 1_000_000_000
OKX_CAPTURE = (
    "tests/data/okx/l2_capture_v5_books_btcusd220527_uniusdswap_btcusdt_20220513_cryptofeed.jsonl"
)
STREAM_VENUES = ("bybit", "okx", "deribit")


def started(seed: int = 3) -> tuple[VirtualScheduler, World]:
    sched = VirtualScheduler()
    w = build_world(sched, seed=seed)
    w.start()
    return sched, w


def assert_equal_books(ex: SimExchange, feed: Feed) -> None:
    for sym, book in ex.core.books.items():
        view = feed.book(sym, 10_000)
        assert view.valid and view.cross == "normal", (ex.venue, sym)
        assert [(D(p), D(s)) for p, s in view.bids] == book.sorted_bids(), (ex.venue, sym)
        assert [(D(p), D(s)) for p, s in view.asks] == book.sorted_asks(), (ex.venue, sym)
        bb, ba = book.best_bid(), book.best_ask()
        assert bb is not None and ba is not None
        assert (D(view.bids[0][0]), D(view.asks[0][0])) == (bb[0], ba[0])


def test_the_world_has_the_documented_venues_and_instruments() -> None:
    _, w = started()
    assert {v: sorted(ex.core.specs) for v, ex in w.exchanges.items()} == {
        "binance-usdm": ["BTCUSDT", "ETHUSDT"],
        "binance-coinm": ["BTCUSD_231229", "BTCUSD_PERP", "ETHUSD_231229", "ETHUSD_PERP"],
        "bybit": ["BTCUSDT"],
        "okx": ["BTC-USD-SWAP", "BTC-USDT-SWAP", "ETH-USDT-SWAP"],
        "deribit": ["BTC-29DEC23", "BTC-PERPETUAL", "ETH-PERPETUAL"],
    }
    kinds = {
        (sp.base, sp.kind, sp.payoff)
        for ex in w.exchanges.values()
        for sp in ex.core.specs.values()
    }
    for asset in ("BTC", "ETH"):
        assert {(asset, "perpetual", "linear"), (asset, "perpetual", "inverse")} <= kinds
        assert (asset, "future", "inverse") in kinds
    assert {ex.feed_venue for ex in w.exchanges.values()} == set(w.exchanges)
    assert w.exchanges["bybit"].category == "linear"


def test_every_venue_builds_equal_books_through_its_normaliser() -> None:
    sched, w = started()
    feeds = {v: feed_for(ex) for v, ex in w.exchanges.items()}
    for _ in range(30):
        sched.step_until(sched.now_ns() + SEC // 2)
        for v, ex in w.exchanges.items():
            pump(ex, feeds[v])
    for v, ex in w.exchanges.items():
        stats = feeds[v].stats()
        assert stats["gaps"] == 0 and stats["rejected"] == 0, (v, stats, feeds[v].last_error())
        assert stats["book_updates"] > 30 * len(ex.core.specs), v
        assert_equal_books(ex, feeds[v])
    okx = feeds["okx"].stats()
    # Every OKX book message carried a CRC32 that the normaliser verified.
    assert okx["checksum_ok"] == okx["book_updates"] and okx["checksum_failed"] == 0


def test_okx_checksum_agrees_with_the_venue_on_a_real_capture() -> None:
    """The encoder's CRC32 of a real OKX book (parsed to decimals, re-written the OKX way)
    equals the checksum OKX sent with it."""
    checked = 0
    with open(OKX_CAPTURE, encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            if rec.get("t") != "recv" or '"action":"snapshot"' not in rec["data"]:
                continue
            msg = json.loads(rec["data"])
            inst = msg["arg"]["instId"]
            if inst != "BTC-USD-220527":
                continue
            row = msg["data"][0]
            wire = OkxWire(inst, D("0.1"), D(1), swap=False, inst_type="FUTURES")
            bids = [(D(p), D(s)) for p, s, *_ in row["bids"]]
            asks = [(D(p), D(s)) for p, s, *_ in row["asks"]]
            assert wire.checksum(bids, asks) == row["checksum"]
            checked += 1
    assert checked >= 1


def drop_one_book_frame(ex: SimExchange, feed: Feed) -> str:
    """Apply the frames of one step except the first book message: return its symbol."""
    frames = ex.take_frames()
    marker = {
        "bybit": b'"topic":"orderbook.',
        "okx": b'"channel":"books"',
        "deribit": b'"channel":"book.',
    }[ex.venue]
    k = next(i for i, fr in enumerate(frames) if marker in fr.data)
    victim = frames.pop(k)
    apply(feed, frames)
    return next(s for s in ex.core.specs if s.encode() in victim.data)


@pytest.mark.parametrize("venue", STREAM_VENUES)
def test_a_lost_message_faults_the_book_and_a_resubscription_heals_it(venue: str) -> None:
    sched, w = started(seed=5)
    ex = w.exchanges[venue]
    feed = feed_for(ex)
    sched.step_until(sched.now_ns() + SEC)
    pump(ex, feed)
    assert_equal_books(ex, feed)
    sched.step_until(sched.now_ns() + SEC // 10)
    victim = drop_one_book_frame(ex, feed)
    sched.step_until(sched.now_ns() + SEC // 10)
    events = []
    for fr in ex.take_frames():
        events += feed.on_message(fr.data, fr.ts_recv)
    faults = [e for e in events if isinstance(e, BookFault)]
    assert [f.symbol for f in faults] == [victim]
    assert not feed.book(victim).valid
    assert victim in feed.unsynced()
    # The feed actor's move: resubscribe, and the venue pushes a snapshot on the stream.
    asyncio.run(ex.resync(victim))
    resync = ex.take_frames()
    assert [fr.kind for fr in resync] == ["stream"]
    apply(feed, resync)
    assert_equal_books(ex, feed)
    sched.step_until(sched.now_ns() + 2 * SEC)
    pump(ex, feed)
    assert_equal_books(ex, feed)
    assert feed.stats()["gaps"] + feed.stats()["checksum_failed"] >= 1


@pytest.mark.parametrize("venue", STREAM_VENUES)
def test_a_reconnection_resyncs_every_book_from_the_stream(venue: str) -> None:
    sched, w = started(seed=6)
    ex = w.exchanges[venue]
    feed = feed_for(ex)
    sched.step_until(sched.now_ns() + SEC)
    pump(ex, feed)
    ex.disconnect(2 * SEC)
    sched.step_until(sched.now_ns() + 3 * SEC)
    frames = ex.take_frames()
    assert frames[0].kind == "reconnected"
    apply(feed, frames)
    assert sorted(feed.unsynced()) == sorted(ex.core.specs)
    pump(ex, feed)  # resubscribes every unsynced book
    assert_equal_books(ex, feed)


def test_taker_orders_fill_on_every_venue_with_its_own_fees() -> None:
    sched, w = started(seed=8)
    sched.step_until(sched.now_ns() + SEC)
    feeds = {v: feed_for(ex) for v, ex in w.exchanges.items()}
    for v, ex in w.exchanges.items():
        pump(ex, feeds[v])
    collateral = {"USDT": D(1_000_000), "BTC": D(10), "ETH": D(100)}
    perps = {
        "binance-usdm": "BTCUSDT",
        "binance-coinm": "ETHUSD_PERP",
        "bybit": "BTCUSDT",
        "okx": "BTC-USD-SWAP",
        "deribit": "ETH-PERPETUAL",
    }
    from pyengine.messages import OrderFilled, SubmitOrder

    for v, sym in perps.items():
        ex = w.exchanges[v]
        spec = ex.core.specs[sym]
        ex.credit_delegation(spec.settle, collateral[spec.settle])
        qty = spec.lot * 3 if spec.payoff == "linear" else spec.lot * 5
        reply = ex.place_now(
            SubmitOrder(
                ts_event=0,
                ts_recv=0,
                client_order_id=f"t-{v}",
                venue=v,
                symbol=sym,
                side="buy",
                qty=qty,
                order_type="market",
            )
        )
        assert reply.venue == v and type(reply).__name__ == "OrderAccepted", reply
        fills = [m for m in ex.take_events() if isinstance(m, OrderFilled)]
        assert fills and sum(f.qty for f in fills) == qty
        for f in fills:
            usd = qty_usd(ex, sym, f.qty, f.price)
            coins = usd if spec.payoff == "linear" else usd / f.price
            assert f.fee == (coins * ex.profile.taker_fee).quantize(D("1e-10")), v
            assert f.fee_ccy == spec.settle
        # The sweep reached the wire: the normaliser's book still equals the venue's.
        pump(ex, feeds[v])
        assert_equal_books(ex, feeds[v])
    assert profile("deribit").maker_fee == 0 and profile("bybit").taker_fee == D("0.00055")


def qty_usd(ex: SimExchange, sym: str, qty: D, price: D) -> D:
    spec = ex.core.specs[sym]
    return qty * spec.multiplier * (price if spec.payoff == "linear" else 1)


def test_trades_marks_and_funding_reach_the_normalisers() -> None:
    sched, w = started(seed=9)
    feeds = {v: feed_for(ex) for v, ex in w.exchanges.items()}
    events: dict[str, list[object]] = {v: [] for v in w.exchanges}
    for _ in range(40):
        sched.step_until(sched.now_ns() + SEC // 2)
        for v, ex in w.exchanges.items():
            for fr in ex.take_frames():
                if fr.kind == "stream":
                    events[v] += feeds[v].on_message(fr.data, fr.ts_recv)
    for v, ex in w.exchanges.items():
        assert feeds[v].stats()["rejected"] == 0, (v, feeds[v].last_error())
        trades = [e for e in events[v] if isinstance(e, Trade)]
        marks = [e for e in events[v] if isinstance(e, MarkFunding)]
        assert trades and {t.aggressor for t in trades} <= {"buy", "sell"}, v
        for sym, spec in ex.core.specs.items():
            mine = [m for m in marks if m.symbol == sym and m.mark_px is not None]
            assert mine, (v, sym)
            if spec.kind == "perpetual":
                assert any(m.funding_rate is not None for m in marks if m.symbol == sym), v
            else:
                assert all(m.funding_rate is None for m in marks if m.symbol == sym), v


def test_deribit_levels_are_new_change_and_delete_as_the_venue_sends_them() -> None:
    sched, w = started(seed=10)
    ex = w.exchanges["deribit"]
    actions: set[str] = set()
    for _ in range(20):
        sched.step_until(sched.now_ns() + SEC // 2)
        for fr in ex.take_frames():
            msg = orjson.loads(fr.data)
            assert msg["jsonrpc"] == "2.0" and msg["method"] == "subscription"
            data = msg["params"]["data"]
            if msg["params"]["channel"].startswith("book."):
                assert data["change_id"] > data.get("prev_change_id", 0)
                actions |= {lvl[0] for lvl in data["bids"] + data["asks"]}
    assert actions == {"new", "change", "delete"}


def test_okx_can_send_the_zero_checksum_of_the_deprecation() -> None:
    sched = VirtualScheduler()
    w = build_world(sched, seed=3, overrides={"okx": {"okx_checksum": "zero"}})
    zero = w.exchanges["okx"]
    assert zero.profile.okx_checksum == "zero"
    w.start()
    sched.step_until(sched.now_ns() + SEC)
    books = [orjson.loads(fr.data) for fr in zero.take_frames() if b'"books"' in fr.data]
    assert books and all(m["data"][0]["checksum"] == 0 for m in books)
    assert all(m["data"][0]["prevSeqId"] < m["data"][0]["seqId"] for m in books)
    with pytest.raises(ConfigError, match="okx_checksum"):
        WorldOptions(okx_checksum="md5").check()


@pytest.mark.parametrize("checksum", ["crc32", "zero"])
def test_okx_feed_stays_valid_with_either_checksum(checksum: str) -> None:
    """The Rust OKX feed reading the simulated venue: with "zero" (OKX from 23 June 2026)
    no checksum is checked and the books stay synced on seqId alone; with "crc32" each
    one is checked."""
    sched = VirtualScheduler()
    w = build_world(sched, seed=5, overrides={"okx": {"okx_checksum": checksum}})
    okx = w.exchanges["okx"]
    w.start()
    feed = feed_for(okx)
    for _ in range(5):
        sched.step_until(sched.now_ns() + SEC)
        pump(okx, feed)
    assert feed.symbols() and not feed.unsynced()
    assert_equal_books(okx, feed)
    st = feed.stats()
    assert st["rejected"] == st["checksum_failed"] == st["gaps"] == 0
    checked, skipped = (st["checksum_ok"], st["checksum_skipped"])
    assert (checked > 0, skipped > 0) == (checksum == "crc32", checksum == "zero")


def test_same_seed_same_bytes_on_every_venue() -> None:
    def digests(seed: int) -> dict[str, str]:
        sched, w = started(seed)
        sched.step_until(sched.now_ns() + 5 * SEC)
        return {v: ex.digest() for v, ex in w.exchanges.items()}

    assert digests(21) == digests(21)
    other = digests(22)
    assert all(a != b for a, b in zip(digests(21).values(), other.values(), strict=True))
