"""Restart in constant time: snapshots of the actors' recovery state.

An actor that opts in (`Actor.snapshot_version`, `snapshot`, `restore`) gets a *fold*: a
second instance of it, built like the live one but fed only by `recover`, with the journal
row its state covers. The fold is what `recover(whole journal)` would build, so its
snapshot is consistent with the journal by construction, whatever the live actor has
handled but the recorder not yet committed (or the reverse).

- start: each fold restores its actor's saved snapshot (same version), then folds the
  journal rows after it (read through the primary key, a page at a time: the cost is the
  rows since the snapshot, never the history); the live actor restores the fold's state;
- every `snapshot_rows` new rows or `snapshot_interval_s` (config `[store]`), and at clean
  shutdown: folds catch up and their snapshots are saved, one row per actor replaced in one
  transaction, with the journal row they cover;
- an actor restart: the fold catches up, the new life restores its state.

A snapshot that cannot be restored (another version, a blob that does not decode) is
logged and the journal is replayed from its start: slow once, never wrong. Actors whose
`recover` takes no snapshots are given the whole journal, as before.

The journal's row ids are assigned in commit order (one recorder writes it; SQLite
serialises writers), so rows up to a position read once are never joined by older ones.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field

from pyengine.actors.base import Actor
from pyengine.messages import Message
from pyengine.store import Snapshot, Store, StoreError

log = logging.getLogger("pyengine.checkpoint")

PAGE = 5000
"""Journal rows folded between two yields to the event loop."""


def takes_snapshots(actor: Actor) -> bool:
    return type(actor).snapshot_version > 0


def recovers(actor: Actor) -> bool:
    """Whether the actor rebuilds anything from the journal."""
    return type(actor).recover is not Actor.recover


@dataclass
class Fold:
    """One actor's recovery state at a journal row, kept encoded (`Actor.snapshot`): an
    instance is built from it only while the journal is folded in, so the state is held
    once as objects (by the live actor), never twice. Once saved, the encoded state is not
    held at all (`stored`): the store has it, and it is read back when it is needed (a
    fold moving on, an actor's restart), so what a start restores is in memory once."""

    name: str
    build: Callable[[], Actor]
    version: int
    state: bytes | None = None
    """The state at `position`, when it is not the store's snapshot (`stored`)."""
    stored: bool = False
    """The store's snapshot of this actor is the state at `position` (not held here)."""
    position: int = 0
    snapshot_at: int = 0
    """The journal row of the snapshot restored at start (0: none)."""
    replayed: int = 0
    """Journal messages folded in since the start."""
    saved_at: int = 0
    saved_ns: int = 0
    source: str = "journal"
    summary: dict[str, int] = field(default_factory=dict)
    """`Actor.recovered()` at `position`."""

    store: Store | None = None
    """Where the snapshot is read back from when `stored`."""

    def blob(self) -> bytes | None:
        """The encoded state (None: the empty state), read from the store if saved."""
        if not self.stored:
            return self.state
        snap = self.store.load_snapshot(self.name) if self.store is not None else None
        if snap is None or snap.journal_id != self.position or snap.version != self.version:
            raise StoreError(f"{self.name}: its snapshot at journal row {self.position} is gone")
        return snap.state

    def open(self) -> Actor:
        actor = self.build()
        blob = self.blob()
        if blob is not None:
            actor.restore(blob)
        return actor


@dataclass
class Checkpointer:
    """The folds of one process's actors and their snapshots in `store`."""

    store: Store
    prefixes: Sequence[str]
    every_rows: int = 100_000
    every_s: float = 300.0
    now_ns: Callable[[], int] = time.time_ns
    folds: dict[str, Fold] = field(default_factory=dict)

    def add(self, name: str, build: Callable[[], Actor]) -> Fold:
        """Start `name`'s fold from its saved snapshot, if one can be restored."""
        probe = build()
        version = type(probe).snapshot_version
        fold = Fold(name, build, version, store=self.store)
        snap = self.store.load_snapshot(name)
        if snap is not None and snap.version != version:
            log.warning(
                "%s: snapshot version %d, the actor's is %d: replaying the journal",
                name,
                snap.version,
                version,
            )
        elif snap is not None and snap.journal_id > self.store.last_journal_id():
            log.warning(
                "%s: snapshot at journal row %d, past the journal's end (%d): replaying it",
                name,
                snap.journal_id,
                self.store.last_journal_id(),
            )
        elif snap is not None:
            try:
                probe.restore(snap.state)
            except Exception as exc:
                log.warning("%s: snapshot unreadable (%s): replaying the journal", name, exc)
            else:
                fold.stored = True  # validated; read again when needed, not held
                fold.position = fold.snapshot_at = fold.saved_at = snap.journal_id
                fold.saved_ns = snap.taken_ns
                fold.source = f"snapshot at journal row {snap.journal_id}"
                fold.summary = probe.recovered()
        self.folds[name] = fold
        return fold

    def _pages(self, upto: int) -> Generator[None, None, None]:
        """Fold every fold up to journal row `upto`, yielding between pages. A fold moves
        (state, position) only once all of it is folded: one abandoned at a yield (a
        cancelled task) is left where it was."""
        behind = [f for f in self.folds.values() if f.position < upto]
        if not behind:
            return
        actors = {f.name: f.open() for f in behind}
        start = min(f.position for f in behind)
        pending: dict[str, list[Message]] = {f.name: [] for f in behind}
        counts = dict.fromkeys(pending, 0)
        rows = self.store.journal_after(self.prefixes, start, upto)
        for n, (row_id, msg) in enumerate(rows, 1):
            for f in behind:
                if row_id > f.position:
                    pending[f.name].append(msg)
            if n % PAGE == 0:
                self._apply(actors, pending, counts)
                yield
        self._apply(actors, pending, counts)
        for f in behind:
            actor = actors.pop(f.name)
            actor.recover(())  # derive what is derived (the contract allows it empty)
            f.state, f.stored = actor.snapshot(), False
            f.summary = actor.recovered()
            f.position = upto
            f.replayed += counts[f.name]

    @staticmethod
    def _apply(
        actors: dict[str, Actor], pending: dict[str, list[Message]], counts: dict[str, int]
    ) -> None:
        for name, msgs in pending.items():
            if msgs:
                actors[name].recover(msgs)
                counts[name] += len(msgs)
                pending[name] = []

    def catch_up(self) -> int:
        """Fold the journal as it is now; returns the journal row folded to."""
        upto = self.store.last_journal_id()
        for _ in self._pages(upto):
            pass
        return upto

    async def catch_up_async(self) -> int:
        """`catch_up`, yielding to the event loop between pages."""
        upto = self.store.last_journal_id()
        for _ in self._pages(upto):
            await asyncio.sleep(0)
        return upto

    def state(self, name: str) -> bytes | None:
        """The fold's state for a new life of the live actor (None: nothing to restore)."""
        return self.folds[name].blob()

    def save(self, names: Sequence[str] | None = None) -> int:
        """Save the folds' snapshots (those that moved since the last save); returns how
        many were written."""
        written = 0
        for name in self.folds if names is None else names:
            f = self.folds[name]
            if f.position == f.saved_at or f.state is None:
                continue
            now = self.now_ns()
            self.store.save_snapshot(Snapshot(name, f.version, f.position, now, f.state))
            f.saved_at, f.saved_ns = f.position, now
            f.state, f.stored = None, True  # the store holds it now
            written += 1
        return written

    def due(self, last_row: int, now_ns: int) -> bool:
        """Whether a periodic snapshot is due, `last_row` being the journal's newest row."""
        for f in self.folds.values():
            behind = last_row - f.saved_at
            if behind >= self.every_rows:
                return True
            if behind > 0 and now_ns - f.saved_ns >= self.every_s * 1e9:
                return True
        return False

    def report(self, name: str) -> dict[str, int | str]:
        f = self.folds[name]
        return {
            "source": f.source,
            "snapshot_row": f.snapshot_at,
            "journal_rows": f.replayed,
            "position": f.position,
        }
