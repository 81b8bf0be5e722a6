"""A store too large to check in full at start is checked in constant time there and in
full in the background by the recorder, whose bad verdict is a store fault."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyengine.actors.base import ActorContext
from pyengine.actors.effects import Call
from pyengine.actors.recorder import Recorder
from pyengine.messages.effects import Failed, Replied
from pyengine.store import StoreError, open_store
from pyengine.store.check import check_store, store_verdict
from tests.journal_gen import write_journal


def recorder(db: Path) -> Recorder:
    return Recorder(ActorContext(name="recorder", store_url=f"sqlite:///{db}"))


def test_a_large_store_is_checked_in_the_background(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "engine.db"
    store = open_store(f"sqlite:///{db}")
    write_journal(store, 2000)
    store.close()
    assert store_verdict(db) == "ok"
    monkeypatch.setattr("pyengine.store.check.FULL_CHECK_BYTES", 0)
    check_store(f"sqlite:///{db}")  # the constant-time check passes a good store
    monkeypatch.setattr("pyengine.actors.recorder.FULL_CHECK_BYTES", 0)
    r = recorder(db)
    (call,) = r.on_start()
    assert isinstance(call, Call) and call.correlation_id == "store-check"
    assert r.handle(Replied(correlation_id="store-check", value="ok")) == []
    r.handle(Failed(correlation_id="store-check", reason="error", error="OSError: x"))
    with pytest.raises(StoreError, match="corrupt"):
        r.handle(Replied(correlation_id="store-check", value="*** page 7 is never used"))
    assert r.store is not None and r.store.staged == 0  # nothing of it was recorded
    r.close()


def test_a_small_store_is_checked_in_full_at_start(tmp_path: Path) -> None:
    db = tmp_path / "engine.db"
    open_store(f"sqlite:///{db}").close()
    r = recorder(db)
    assert r.on_start() == []
    r.close()
