"""Dated futures of the simulated world: relisted from real contract terms at the next
quarterly date, priced at the shared index plus a basis that decays to zero, and settled
at expiry. And one index per asset across every venue."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from pyengine.contracts import load_instruments_file
from pyengine.data import COINM_INSTRUMENTS, DERIBIT_BTC_INSTRUMENTS, data_path
from pyengine.data.listings import (
    WORLD_VENUES,
    quarterly_expiry_ms,
    relisted_file,
    world_instruments,
)
from pyengine.messages import SubmitOrder
from pyengine.messages.sim import FuturesSettled
from pyengine.sim import VirtualScheduler, build_world
from pyengine.sim.world import BASIS_APR

SEC = 1_000_000_000
HOUR = 3600 * SEC
YEAR_NS = 365 * 24 * HOUR


def ms(y: int, m: int, d: int, h: int = 0) -> int:
    return int(datetime(y, m, d, h, tzinfo=UTC).timestamp() * 1000)


def test_quarterly_expiry_is_the_last_friday_of_the_quarter_at_8() -> None:
    assert quarterly_expiry_ms(ms(2026, 12, 2)) == ms(2026, 12, 25, 8)
    assert quarterly_expiry_ms(ms(2026, 12, 20)) == ms(2027, 3, 26, 8)  # < 14 days: next
    assert quarterly_expiry_ms(ms(2023, 11, 14)) == ms(2023, 12, 29, 8)
    assert quarterly_expiry_ms(ms(2024, 6, 28, 9), min_days=0) == ms(2024, 9, 27, 8)


@pytest.mark.parametrize(
    ("venue", "relative", "source", "name"),
    [
        ("binance-coinm", COINM_INSTRUMENTS, "BTCUSD_211231", "BTCUSD_261225"),
        ("binance-coinm", COINM_INSTRUMENTS, "ETHUSD_211231", "ETHUSD_261225"),
        ("deribit", DERIBIT_BTC_INSTRUMENTS, "BTC-24SEP21", "BTC-25DEC26"),
    ],
)
def test_a_relisted_future_keeps_the_real_contract_terms(
    venue: str, relative: str, source: str, name: str
) -> None:
    names, path = relisted_file(venue, relative, [source], ms(2026, 12, 2))
    assert names == {source: name}
    (new,) = load_instruments_file(venue, path)
    (old,) = [s for s in load_instruments_file(venue, data_path(relative)) if s.symbol == source]
    assert new.symbol == name and new.expiry_ms == ms(2026, 12, 25, 8) and new.active
    for field in ("kind", "payoff", "base", "settle", "tick", "lot", "contract_size", "multiplier"):
        assert getattr(new, field) == getattr(old, field), field
    assert relisted_file(venue, relative, [source], ms(2026, 12, 3)) == (names, path)


def test_world_instruments_cover_every_venue() -> None:
    table = world_instruments(ms(2026, 12, 2))
    assert (
        {v for v, _, _ in table}
        == set(WORLD_VENUES)
        == {
            "binance-usdm",
            "binance-coinm",
            "bybit",
            "okx",
            "deribit",
        }
    )
    for venue, path, symbols in table:
        found = {s.symbol for s in load_instruments_file(venue, path)}
        assert set(symbols) <= found, (venue, symbols)


def test_one_index_per_asset_across_venues() -> None:
    sched = VirtualScheduler()
    w = build_world(sched, seed=4)
    w.start()
    for _ in range(5):
        sched.step_until(sched.now_ns() + 6 * SEC)
        assert w.index is not None
        for asset in ("BTC", "ETH"):
            truth = w.index.at(asset, sched.now_ns())
            prices = [ex.core.account.prices.get(asset) for ex in w.exchanges.values()]
            seen = [p for p in prices if p is not None]
            assert len(seen) >= 4  # Bybit lists no ETH
            # Each venue rounds the index to its tick (0.5 at most here).
            assert all(abs(p - truth) <= D("0.5") for p in seen), (asset, truth, seen)


def test_futures_carry_a_basis_that_decays_and_settle_at_expiry() -> None:
    sched = VirtualScheduler()
    w = build_world(sched, seed=2, step_ns=HOUR)
    w.start()
    coinm, deribit = w.exchanges["binance-coinm"], w.exchanges["deribit"]
    fut = {"binance-coinm": "BTCUSD_231229", "deribit": "BTC-29DEC23"}
    expiry = coinm.core.specs[fut["binance-coinm"]].expiry_ms
    assert expiry is not None
    expiry_ns = expiry * 1_000_000
    # Long enough for the premium to reach its target, well before expiry.
    sched.step_until(sched.now_ns() + 200 * HOUR)
    for ex in (coinm, deribit):
        sym = fut[ex.venue]
        mid = ex.core.books[sym].mid()
        index = ex.core.account.prices["BTC"]
        assert mid is not None and index is not None
        left = (expiry_ns - sched.now_ns()) / YEAR_NS
        expected = BASIS_APR[ex.venue] * left
        got = float(mid / index - 1)
        assert abs(got - expected) < 0.002, (ex.venue, got, expected)
        assert got > 0.001  # a positive basis, well above the perps' premium
    coinm.credit_delegation("BTC", D(5))
    order = SubmitOrder(
        ts_event=0,
        ts_recv=0,
        client_order_id="short-fut",
        venue="binance-coinm",
        symbol=fut["binance-coinm"],
        side="sell",
        qty=D(10),
        order_type="market",
    )
    assert type(coinm.place_now(order)).__name__ == "OrderAccepted"
    sched.step_until(expiry_ns - 2 * HOUR)
    # Two hours before expiry the basis is all but gone.
    mid, index = coinm.core.books[fut["binance-coinm"]].mid(), coinm.core.account.prices["BTC"]
    assert mid is not None and abs(float(mid / index - 1)) < 0.001
    sched.step_until(expiry_ns + 3 * HOUR)
    settled = [m for m in coinm.journal if isinstance(m, FuturesSettled)]
    assert [(m.symbol, m.qty) for m in settled] == [(fut["binance-coinm"], D(-10))]
    # Settled at the index, and delisted: the mark stays the settlement price.
    assert settled[0].price == coinm.core.account.marks[fut["binance-coinm"]]
    assert coinm.core.account.qty(fut["binance-coinm"]) == 0
    late = coinm.place_now(
        SubmitOrder(
            ts_event=0,
            ts_recv=0,
            client_order_id="too-late",
            venue="binance-coinm",
            symbol=fut["binance-coinm"],
            side="sell",
            qty=D(1),
            order_type="market",
        )
    )
    assert getattr(late, "reason", "") == "instrument_expired"
