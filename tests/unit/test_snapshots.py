"""Snapshots: restoring one and replaying the journal after it rebuilds exactly what a
replay of the whole journal does, for every actor that takes them; the checkpointer reads
only the rows after a snapshot, and refuses a snapshot it cannot trust."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest

from pyengine.actors.base import Actor, ActorContext
from pyengine.actors.execution import ExecutionActor
from pyengine.actors.risk_gate import RiskGate
from pyengine.actors.snapshots import ExecutionState, GateState, OrdersState
from pyengine.clock import ManualClock, SequentialIds
from pyengine.messages import Message, OrderFilled
from pyengine.messages.critical import recover_prefixes
from pyengine.orders import OrderTable
from pyengine.orders.spent import BloomState, SpentIds, SpentState, _Bloom
from pyengine.orders.spent import _sizes as spent_sizes
from pyengine.orders.table_state import restore_table, table_state
from pyengine.runtime.checkpoint import Checkpointer
from pyengine.runtime.embedded import default_risk_options
from pyengine.store import Snapshot, SQLiteStore, Store, open_store
from pyengine.store.migrations import statements
from pyengine.store.records import JOURNAL_COLUMNS, journal_row
from pyengine.strategy import StrategyHost
from tests.journal_gen import IN_FLIGHT, STRATEGY, SYMBOL, VENUE, orders, write_journal

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "mean_reversion.py"
CLOCK = ManualClock()


def risk() -> Actor:
    options: dict[str, Any] = default_risk_options()
    options["recover_positions"] = True
    ctx = ActorContext(name="risk", clock=CLOCK, ids=SequentialIds("r"), options=options)
    return RiskGate(ctx)


def execution() -> Actor:
    ctx = ActorContext(name="exec", clock=CLOCK, ids=SequentialIds("e"), options={"venue": VENUE})
    return ExecutionActor(ctx)


def strategy() -> Actor:
    options = {"path": str(EXAMPLE)}
    ctx = ActorContext(name=STRATEGY, clock=CLOCK, ids=SequentialIds("s"), options=options)
    return StrategyHost(ctx)


KINDS: dict[str, tuple[Callable[[], Actor], type[msgspec.Struct]]] = {
    "risk": (risk, GateState),
    "execution": (execution, ExecutionState),
    "strategy": (strategy, OrdersState),
}


def state(actor: Actor, kind: type[msgspec.Struct]) -> object:
    blob = actor.snapshot()
    assert blob is not None
    return msgspec.msgpack.decode(blob, type=kind)


@pytest.mark.parametrize("name", sorted(KINDS))
@pytest.mark.parametrize("split", [0, 1, 37, 150, 273])
def test_restore_then_the_rest_equals_the_whole_replay(name: str, split: int) -> None:
    build, kind = KINDS[name]
    journal = list(orders(60))
    assert split <= len(journal)
    whole = build()
    whole.recover(journal)
    first = build()
    first.recover(journal[:split])
    again = build()
    again.restore(first.snapshot() or b"")
    again.recover(journal[split:])
    assert state(again, kind) == state(whole, kind)
    assert again.recovered() == whole.recovered()


def test_what_was_recovered_is_reported() -> None:
    journal = list(orders(61))
    ex, gate, host = execution(), risk(), strategy()
    for a in (ex, gate, host):
        a.recover(journal)
    assert ex.recovered()["orders_in_flight"] == IN_FLIGHT
    assert host.recovered()["orders_open"] == IN_FLIGHT
    net = sum((m.qty if m.side == "buy" else -m.qty) for m in journal if isinstance(m, OrderFilled))
    assert net and gate.recovered()["positions"] == 1
    assert isinstance(gate, RiskGate)
    assert gate.engine.position(gate.inst_ids[(VENUE, SYMBOL)])[0] == net


def test_a_restored_table_forgets_and_refuses_as_the_original() -> None:
    table = OrderTable(keep_closed=5)
    table.replay(orders(20))
    blob = msgspec.msgpack.encode(table_state(table))
    back = restore_table(msgspec.msgpack.decode(blob, type=type(table_state(table))))
    assert back.keep_closed == 5 and len(back) == len(table)
    assert [o.client_order_id for o in back.open_orders()] == [
        o.client_order_id for o in table.open_orders()
    ]
    assert "o-strategy-1-0" in back and back.get("o-strategy-1-0") is None  # forgotten, spent
    more = list(orders(5, start=20))
    table.replay(more)
    back.replay(more)
    assert table_state(back) == table_state(table)
    with pytest.raises(ValueError, match="already holds"):
        restore_table(table_state(table), table)


def test_a_blob_of_another_layout_is_refused() -> None:
    host = strategy()
    with pytest.raises(msgspec.ValidationError):
        host.restore(msgspec.msgpack.encode({"orders": {"orders": []}, "extra": 1}))


def checkpointer(path: Path, **kw: Any) -> Checkpointer:
    return Checkpointer(open_store(f"sqlite:///{path}"), recover_prefixes(), **kw)


def test_a_start_replays_only_the_rows_after_the_snapshot(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite"
    store = open_store(f"sqlite:///{db}")
    write_journal(store, 2000)
    cp = checkpointer(db)
    fold = cp.add(STRATEGY, strategy)
    assert fold.source == "journal"
    upto = cp.catch_up()
    assert fold.position == upto == store.last_journal_id() and fold.replayed == upto
    assert cp.save() == 1 and cp.save() == 0  # nothing moved: nothing rewritten
    before = store.last_journal_id()
    new = list(orders(10, start=10_000))
    store.write(new)
    cp.store.close()

    cp2 = checkpointer(db)
    fold2 = cp2.add(STRATEGY, strategy)
    assert fold2.source == f"snapshot at journal row {before}"
    cp2.catch_up()
    assert fold2.replayed == len(new)
    whole = strategy()
    whole.recover(store.journal(recover_prefixes()))
    assert state(fold2.open(), OrdersState) == state(whole, OrdersState)
    report = cp2.report(STRATEGY)
    assert report["snapshot_row"] == before and report["journal_rows"] == len(new)
    cp2.store.close()
    store.close()


@pytest.mark.parametrize("bad", ["version", "blob", "position"])
def test_an_untrusted_snapshot_means_a_full_replay(tmp_path: Path, bad: str) -> None:
    db = tmp_path / "db.sqlite"
    store = open_store(f"sqlite:///{db}")
    store.write(orders(30))
    last = store.last_journal_id()
    good = strategy()
    good.recover(store.journal(recover_prefixes()))
    version = 99 if bad == "version" else StrategyHost.snapshot_version
    blob = msgspec.msgpack.encode({"no": "such layout"}) if bad == "blob" else good.snapshot()
    at = last + 5 if bad == "position" else last  # a journal restored from an older backup
    store.save_snapshot(Snapshot(STRATEGY, version, at, 1, blob or b""))
    cp = checkpointer(db)
    fold = cp.add(STRATEGY, strategy)
    assert fold.source == "journal" and fold.position == 0
    cp.catch_up()
    assert fold.replayed == sum(1 for _ in store.journal(recover_prefixes()))
    whole = strategy()
    whole.recover(store.journal(recover_prefixes()))
    assert state(fold.open(), OrdersState) == state(whole, OrdersState)
    cp.store.close()
    store.close()


def test_a_fold_cancelled_mid_way_is_left_where_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("pyengine.runtime.checkpoint.PAGE", 50)
    db = tmp_path / "db.sqlite"
    store = open_store(f"sqlite:///{db}")
    store.write(orders(100))
    cp = checkpointer(db)
    fold = cp.add(STRATEGY, strategy)
    pages = cp._pages(store.last_journal_id())
    next(pages)
    next(pages)
    pages.close()  # what a cancelled task leaves
    assert fold.position == 0 and fold.state is None and fold.replayed == 0
    cp.catch_up()
    whole = strategy()
    whole.recover(store.journal(recover_prefixes()))
    assert state(fold.open(), OrdersState) == state(whole, OrdersState)
    cp.store.close()
    store.close()


def test_periodic_snapshots_are_due_by_rows_or_time(tmp_path: Path) -> None:
    cp = checkpointer(tmp_path / "db.sqlite", every_rows=100, every_s=10.0)
    cp.add(STRATEGY, strategy)
    assert not cp.due(0, 0)
    assert cp.due(100, 0) and not cp.due(99, 0)
    assert cp.due(1, 10 * 10**9) and not cp.due(0, 10 * 10**9)
    cp.store.close()


def test_positions_are_kept_per_commit_and_backfilled_by_the_migration(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite"
    old = SQLiteStore(db)
    old._version()
    old._apply(1, statements("sqlite", 1))
    # written as a version-1 store did: the journal alone
    rows = [journal_row(m, m.topic()) for m in orders(5)]
    old.conn.executemany(old._insert_sql("journal", JOURNAL_COLUMNS), rows)
    old.close()
    store = open_store(f"sqlite:///{db}")
    assert isinstance(store, SQLiteStore)
    expected = store.conn.execute(
        "SELECT src, topic, epoch, max(seq) FROM journal GROUP BY src, topic, epoch"
    ).fetchall()
    assert sorted(store.positions()) == sorted(tuple(r) for r in expected)
    later: list[Message] = list(orders(2, start=50))
    store.write(later)
    got = {(s, t): (e, q) for s, t, e, q in store.positions()}
    for m in later:
        assert got[(m.src, m.topic())][1] >= m.seq
    store.close()


def test_the_journal_is_read_a_page_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("pyengine.store.base.JOURNAL_PAGE", 7)
    store = open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    msgs = list(orders(10))
    store.write(msgs)
    got = list(store.journal_after(after_id=3))
    assert [i for i, _ in got] == list(range(4, len(msgs) + 1))
    assert [m for _, m in got] == msgs[3:]
    assert [i for i, _ in store.journal_after(after_id=3, upto=9)] == list(range(4, 10))
    store.close()


def test_spent_ids_are_never_forgotten_in_bounded_memory() -> None:
    spent = SpentIds(exact_cap=100, capacity=1000)
    ids = [f"venue{i}x" for i in range(5000)]  # not the engine's `<scope>-<n>`: filters
    for i in ids:
        spent.add(i)
    assert len(spent) == 5000 and len(spent._exact) == 100 and len(spent._filters) == 5
    assert all(i in spent for i in ids)  # no false negatives, ever
    fresh = sum(f"other{i}x" in spent for i in range(20_000))
    assert fresh <= 1  # false positives at about 1e-7 each
    back = SpentIds.restore(
        msgspec.msgpack.decode(msgspec.msgpack.encode(spent.state()), type=SpentState)
    )
    assert all(i in back for i in ids) and len(back) == 5000
    back.add("o-x")
    assert "o-x" in back and "o-x" not in spent


def test_status_says_what_a_start_recovered() -> None:
    from pyengine.commands import _table
    from pyengine.messages import ActorRecovery, StatusReport, decode, encode

    rec = ActorRecovery(
        name="exec_usdm",
        source="snapshot at journal row 997209",
        snapshot_row=997209,
        journal_rows=12,
        state=[("orders_in_flight", 2), ("orders_open", 3)],
    )
    report = StatusReport(
        ts_event=1,
        ts_recv=1,
        engine="e",
        pid=1,
        started_ns=1,
        minting_paused=False,
        actors=[],
        recovered=[rec],
        recovery_ms=42,
    )
    back = decode(encode(report))
    assert isinstance(back, StatusReport) and back.recovered == [rec]
    text = _table(back)
    assert "recovered at start in 42 ms" in text
    assert "snapshot at journal row 997209 + 12 journal messages" in text
    assert "orders_in_flight 2, orders_open 3" in text


def test_a_filter_keeps_the_sizes_it_was_made_with() -> None:
    spent = SpentIds(exact_cap=1, capacity=100)
    for i in range(50):
        spent.add(f"id{i}x")
    legacy = spent.state()
    (f,) = legacy.filters
    assert f.m and f.k
    # a filter saved without its sizes was made at the first rate, 1e-7
    old = SpentIds(exact_cap=1, capacity=100)
    m, k = spent_sizes(100, 1e-7)
    bloom = _Bloom(100, sizes=(m, k))
    for i in range(49):
        bloom.add(f"id-{i}")
    state = SpentState(
        exact=["id-49"], filters=[BloomState(100, 49, bytes(bloom.bits))], exact_cap=1, capacity=100
    )
    back = SpentIds.restore(state)
    assert all(f"id-{i}" in back for i in range(50)) and len(old) == 0


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def either(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    else:
        url = request.getfixturevalue("pg_url")
    s = open_store(url)
    try:
        yield s
    finally:
        s.close()


def test_snapshots_and_positions_in_either_store(either: Store) -> None:
    store = either
    msgs = list(orders(12))
    store.write(msgs)
    last = store.last_journal_id()
    assert [m for _, m in store.journal_after(after_id=0)][-3:] == msgs[-3:]
    assert sum(1 for _ in store.journal_after(after_id=last - 4)) == 4
    newest = {(s, t): q for s, t, _, q in store.positions()}
    assert newest[("gen", msgs[-1].topic())] == msgs[-1].seq
    assert store.load_snapshot("a") is None
    store.save_snapshot(Snapshot("a", 1, last, 5, b"one"))
    store.save_snapshot(Snapshot("a", 2, last, 6, b"two"))  # replaced whole
    assert store.load_snapshot("a") == Snapshot("a", 2, last, 6, b"two")


def test_a_restored_table_keeps_its_own_cap() -> None:
    big = OrderTable(keep_closed=10)
    big.replay(orders(30))
    small = restore_table(table_state(big), OrderTable(keep_closed=4))
    replayed = OrderTable(keep_closed=4)
    replayed.replay(orders(30))
    assert list(small.orders) == list(replayed.orders)
    assert all(f"o-strategy-1-{i}" in small for i in range(30))
    assert small.counters == replayed.counters
