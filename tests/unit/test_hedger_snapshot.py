"""The hedger's snapshot: a restart from a restored snapshot plus the engine journal after
it sends exactly what a restart from the whole engine journal sends; with `recover` off
the snapshot keeps nothing (its restart reads nothing of the engine journal)."""

from __future__ import annotations

import shutil
from decimal import Decimal as D
from pathlib import Path

import msgspec
import pytest

from pyengine.actors.base import ActorContext
from pyengine.actors.hedger import Hedger, ReplayState
from pyengine.clock import ManualClock
from pyengine.messages import Message, decode, encode
from tests.unit.test_hedger import accepted, fill, hedger, ioc_end, options, request, submits

SEC = 1_000_000_000


def killed(tmp_path: Path, clock: ManualClock) -> list[Message]:
    """A hedger killed mid-hedge; the engine journal it leaves (other traffic included)."""
    h = hedger(tmp_path, clock)
    kids = submits(h.handle(request("-1000")))
    assert len(kids) >= 3
    done, lost = kids[0], kids[1]
    events: list[Message] = [accepted(done), fill(done), accepted(lost)]
    for e in events:
        h.handle(e)
    h.close()
    half = (lost.qty / 2).quantize(D(1)) if lost.venue != "binance-usdm" else D(1)
    unrelated = request("-5", hid="other-1")
    journal = [request("-1000"), *events, fill(lost, qty=half), ioc_end(lost), unrelated]
    return [decode(encode(m)) for m in journal]


def restarted(tmp_path: Path, clock: ManualClock, tag: str, **extra: object) -> Hedger:
    """A new life on a copy of the killed hedger's own journal."""
    db = tmp_path / f"{tag}.db"
    shutil.copy(tmp_path / "h.db", db)
    return Hedger(ActorContext(name="hedger", clock=clock, options=options(db, **extra)))


@pytest.mark.parametrize("split", [0, 1, 3, 5, 7])
def test_restore_then_the_rest_restarts_as_the_whole_replay(tmp_path: Path, split: int) -> None:
    clock = ManualClock()
    journal = killed(tmp_path, clock)
    clock.advance(SEC)
    whole = restarted(tmp_path, clock, "whole")
    whole.recover(journal)
    first = restarted(tmp_path, clock, "first")
    first.recover(journal[:split])
    again = restarted(tmp_path, clock, "again")
    again.restore(first.snapshot() or b"")
    again.recover(journal[split:])
    assert again.snapshot() == whole.snapshot()
    assert again.recovered() == whole.recovered() == {"replay_messages": len(journal)}
    out = again.on_start()
    assert out == whole.on_start()
    assert submits(out)  # the children nobody answered are resent: not a vacuous compare


def test_without_recover_the_snapshot_keeps_nothing(tmp_path: Path) -> None:
    clock = ManualClock()
    journal = killed(tmp_path, clock)
    off = restarted(tmp_path, clock, "off", recover=False)
    off.recover(journal)
    blob = off.snapshot() or b""
    assert msgspec.msgpack.decode(blob, type=ReplayState).replay == []
    back = restarted(tmp_path, clock, "back", recover=False)
    back.restore(blob)
    assert back.on_start() == []


def test_a_blob_of_another_layout_is_refused(tmp_path: Path) -> None:
    fresh = Hedger(
        ActorContext(name="hedger", clock=ManualClock(), options=options(tmp_path / "h.db"))
    )
    with pytest.raises(msgspec.ValidationError):
        fresh.restore(msgspec.msgpack.encode({"replay": [], "extra": 1}))
