"""A saved fold holds no copy of its state: the store has it, and it is read back (the
same bytes) when an actor's life or the fold itself needs it; a snapshot that vanished
from under it is a store error, never an empty state."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyengine.messages.critical import recover_prefixes
from pyengine.runtime.checkpoint import Checkpointer
from pyengine.store import StoreError, open_store
from tests.journal_gen import STRATEGY, orders, write_journal
from tests.unit.test_snapshots import strategy


def test_a_saved_fold_is_read_back_from_the_store(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    store = open_store(url)
    write_journal(store, 3000)
    cp = Checkpointer(open_store(url), recover_prefixes())
    fold = cp.add(STRATEGY, strategy)
    cp.catch_up()
    held = fold.state
    assert held is not None and not fold.stored
    assert cp.save() == 1
    assert fold.state is None and fold.stored  # not held twice
    assert cp.state(STRATEGY) == held

    again = Checkpointer(open_store(url), recover_prefixes())
    restarted = again.add(STRATEGY, strategy)
    assert restarted.stored and restarted.state is None  # validated, then let go
    assert again.state(STRATEGY) == held

    store.write(orders(5, start=10_000))  # the fold moves on from the stored state
    again.catch_up()
    assert not restarted.stored and restarted.state not in (None, held)
    for c in (cp, again):
        c.store.close()
    store.close()


def test_a_vanished_snapshot_is_a_store_error(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    store = open_store(url)
    write_journal(store, 500)
    cp = Checkpointer(open_store(url), recover_prefixes())
    cp.add(STRATEGY, strategy)
    cp.catch_up()
    cp.save()
    store._execute("DELETE FROM snapshots", ())
    with pytest.raises(StoreError, match="snapshot at journal row"):
        cp.state(STRATEGY)
    cp.store.close()
    store.close()
