from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from pyengine.actors.base import ActorContext
from pyengine.actors.recorder import Recorder
from pyengine.messages import (
    AlertRaised,
    Health,
    IndicativePrice,
    OrderFilled,
    QuoteIssued,
    SubmitOrder,
    TransferRequested,
)
from pyengine.store import Store, StoreError, open_store
from pyengine.store.migrations import latest


def fill(i: int, epoch: int = 1) -> OrderFilled:
    return OrderFilled(
        ts_event=i,
        ts_recv=i,
        src="paper",
        epoch=epoch,
        seq=i,
        client_order_id=f"o{i}",
        venue="paper",
        symbol="BTCUSDT",
        side="buy",
        fill_id=f"f{i}",
        qty=Decimal("0.30000000000000000001"),
        price=Decimal("60000.10"),
    )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    else:
        url = request.getfixturevalue("pg_url")
    s = open_store(url)
    try:
        yield s
    finally:
        s.close()


def test_migrations_are_idempotent(store: Store) -> None:
    assert store.migrate() == latest()
    assert store.migrate() == latest()


def test_write_typed_rows_exact_amounts(store: Store) -> None:
    now = 5
    msgs = [
        fill(1),
        QuoteIssued(
            ts_event=now,
            ts_recv=now,
            src="rfq",
            epoch=1,
            seq=1,
            quote_id="q1",
            side="mint",
            asset="stETH",
            collateral_amount=Decimal("10"),
            usde_amount=Decimal("20700"),
            price=Decimal("2070"),
            expires_ns=99,
        ),
        SubmitOrder(
            ts_event=now,
            ts_recv=now,
            src="strat",
            epoch=1,
            seq=1,
            client_order_id="o1",
            venue="paper",
            symbol="BTCUSDT",
            side="sell",
            qty=Decimal("1.5"),
        ),
        TransferRequested(
            ts_event=now,
            ts_recv=now,
            src="coll",
            epoch=1,
            seq=1,
            transfer_id="t1",
            custodian="copper",
            kind="delegate",
            venue="binance",
            asset="USDT",
            amount=Decimal("5e6"),
        ),
        AlertRaised(
            ts_event=now,
            ts_recv=now,
            src="mon",
            epoch=1,
            seq=1,
            alert_id="a1",
            severity="critical",
            source="mon",
            code="x",
            text="t",
        ),
        IndicativePrice(
            ts_event=now,
            ts_recv=now,
            src="px",
            epoch=1,
            seq=1,
            asset="ETH",
            mint_px="1",
            redeem_px="1",
        ),
    ]
    assert store.write(msgs) == len(msgs)
    counts = {
        t: store.count(t) for t in ("journal", "fills", "quotes", "orders", "transfers", "alerts")
    }
    assert counts == {
        "journal": 6,
        "fills": 1,
        "quotes": 1,
        "orders": 1,
        "transfers": 1,
        "alerts": 1,
    }
    back = list(store.journal())
    assert back == msgs
    assert isinstance(back[0], OrderFilled)
    assert back[0].qty == Decimal("0.30000000000000000001")


def test_same_message_twice_is_stored_once(store: Store) -> None:
    store.write([fill(i) for i in range(1, 11)])
    store.write([fill(i) for i in range(5, 16)])
    assert store.count("journal") == 15
    assert store.count("fills") == 15
    store.write([fill(1, epoch=2)])  # a new life of the publisher is a new message
    assert store.count("fills") == 16


def test_positions_and_filtered_journal(store: Store) -> None:
    store.write([fill(i) for i in range(1, 4)] + [fill(i, epoch=2) for i in range(1, 3)])
    assert store.positions() == [("paper", "exec.fill.paper", 2, 2)]
    assert len(list(store.journal(("exec.",)))) == 5
    assert list(store.journal(("price.",))) == []


def test_staged_rows_survive_a_failed_commit(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "x.db"))
    store.stage(fill(1))
    store.conn.execute("DROP TABLE fills")  # type: ignore[attr-defined]
    with pytest.raises(StoreError):
        store.commit()
    assert store.staged == 1
    store.close()


def test_bad_url() -> None:
    with pytest.raises(ValueError, match=r"store\.url"):
        open_store("mysql://nope")


def test_recorder_store_failures_are_store_errors_and_success_reports_ok(tmp_path: Path) -> None:

    (tmp_path / "dir.db").mkdir()
    broken = Recorder(ActorContext(name="recorder", store_url=f"sqlite:///{tmp_path / 'dir.db'}"))
    with pytest.raises(StoreError):
        broken.on_start()
    rec = Recorder(ActorContext(name="recorder", store_url=f"sqlite:///{tmp_path / 'ok.db'}"))
    rec.on_start()
    assert rec.on_timer(1) == []  # nothing committed yet: nothing to vouch for
    alert = AlertRaised(
        ts_event=1, ts_recv=1, alert_id="a", severity="info", source="t", code="c", text="t"
    )
    rec.handle(alert)
    rec.flush()
    (ok,) = rec.on_timer(2)
    assert isinstance(ok, Health) and (ok.component, ok.status) == ("store", "ok")
    assert rec.on_timer(3) == []
    rec.close()
