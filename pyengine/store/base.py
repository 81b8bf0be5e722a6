"""The store interface shared by SQLite and PostgreSQL."""

from __future__ import annotations

import abc
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, NamedTuple

from pyengine.errors import EngineError
from pyengine.messages import Message, decode
from pyengine.store.migrations import latest, statements
from pyengine.store.records import TABLES, Row, Table, journal_row, typed_row


class StoreError(EngineError, OSError):
    """The database refused or failed an operation."""


class Snapshot(NamedTuple):
    """One actor's saved recovery state: `state` as of journal row `journal_id`."""

    actor: str
    version: int
    journal_id: int
    taken_ns: int
    state: bytes


JOURNAL_PAGE = 5000
"""Journal rows read per query: a replay holds one page of payloads at a time."""


class Store(abc.ABC):
    """Durable records: stage messages, `commit` them in one transaction, read them back.

    `commit` returns only after the transaction is durable, so a caller may acknowledge
    what it staged. Rows are keyed by the message's delivery identity; staging the same
    message twice stores it once.
    """

    dialect: str
    placeholder = "?"

    def __init__(self) -> None:
        self._journal: list[Row] = []
        self._typed: dict[str, list[Row]] = {}
        self.committed = 0

    def stage(self, msg: Message, topic: str | None = None) -> None:
        """Add a message to the next transaction."""
        t = msg.topic() if topic is None else topic
        self._journal.append(journal_row(msg, t))
        typed = typed_row(msg, t)
        if typed is not None:
            table, row = typed
            self._typed.setdefault(table.name, []).append(row)

    @property
    def staged(self) -> int:
        return len(self._journal)

    def write(self, msgs: Iterable[Message]) -> int:
        """Stage and commit (tests, tools)."""
        for m in msgs:
            self.stage(m)
        return self.commit()

    def commit(self) -> int:
        """Write everything staged in one durable transaction; returns the messages written."""
        if not self._journal:
            return 0
        journal, typed = self._journal, self._typed
        self._journal, self._typed = [], {}
        try:
            self._write(journal, typed)
        except Exception:
            self._journal = journal + self._journal
            for name, rows in typed.items():
                self._typed[name] = rows + self._typed.get(name, [])
            raise
        self.committed += len(journal)
        return len(journal)

    def _insert_sql(self, table: str, columns: Sequence[str]) -> str:
        marks = ", ".join([self.placeholder] * len(columns))
        return (
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}) "
            "ON CONFLICT (src, epoch, topic, seq) DO NOTHING"
        )

    def _typed_columns(self, table: Table) -> tuple[str, ...]:
        return ("src", "epoch", "topic", "seq", "type", *table.columns)

    def _plan(self, journal: list[Row], typed: dict[str, list[Row]]) -> list[tuple[str, list[Row]]]:
        """Statements of one commit after the journal's own: the typed tables, and the
        newest position per (src, topic) (`positions` reads it without a scan)."""
        newest: dict[tuple[Any, Any], tuple[Any, Any]] = {}
        for src, epoch, topic, seq, *_ in journal:
            old = newest.get((src, topic))
            if old is None or (epoch, seq) > old:
                newest[(src, topic)] = (epoch, seq)
        out = [(self._positions_sql, [(s, t, e, q) for (s, t), (e, q) in newest.items()])]
        for t in TABLES:
            rows = typed.get(t.name)
            if rows:
                out.append((self._insert_sql(t.name, self._typed_columns(t)), rows))
        return out

    @property
    def _positions_sql(self) -> str:
        m = self.placeholder
        return (
            f"INSERT INTO journal_positions (src, topic, epoch, seq) VALUES ({m}, {m}, {m}, {m})"
            " ON CONFLICT (src, topic) DO UPDATE SET epoch = excluded.epoch, seq = excluded.seq"
            " WHERE excluded.epoch > journal_positions.epoch OR (excluded.epoch ="
            " journal_positions.epoch AND excluded.seq > journal_positions.seq)"
        )

    def migrate(self) -> int:
        """Apply every migration newer than the database's version; returns the version."""
        current = self._version()
        for version in range(current + 1, latest() + 1):
            self._apply(version, statements(self.dialect, version))
        return latest()

    def journal(self, prefixes: Sequence[str] = (), after_id: int = 0) -> Iterator[Message]:
        """Recorded messages in recording order, optionally only topics under `prefixes`."""
        for _, msg in self.journal_after(prefixes, after_id):
            yield msg

    def journal_after(
        self, prefixes: Sequence[str] = (), after_id: int = 0, upto: int | None = None
    ) -> Iterator[tuple[int, Message]]:
        """(row id, message) of the journal after row `after_id` (and up to `upto`), in
        recording order, read a page at a time through the primary key: the cost is the
        rows after `after_id`, never the journal's history."""
        heads = tuple(prefixes)
        while True:
            page = self._journal_page(after_id, JOURNAL_PAGE)
            for row_id, topic, payload in page:
                if upto is not None and row_id > upto:
                    return
                if not heads or topic.startswith(heads):
                    yield row_id, decode(payload)
            if len(page) < JOURNAL_PAGE:
                return
            after_id = page[-1][0]

    def _journal_rows(self, after_id: int) -> Iterator[tuple[int, str, bytes]]:
        while True:
            page = self._journal_page(after_id, JOURNAL_PAGE)
            yield from page
            if len(page) < JOURNAL_PAGE:
                return
            after_id = page[-1][0]

    def _journal_page(self, after_id: int, limit: int) -> list[tuple[int, str, bytes]]:
        m = self.placeholder
        rows = self._fetch(
            f"SELECT id, topic, payload FROM journal WHERE id > {m} ORDER BY id LIMIT {m}",
            (after_id, limit),
        )
        return [(int(a), str(b), bytes(c)) for a, b, c in rows]

    def journal_rows(self) -> int:
        return self.count("journal")

    def last_journal_id(self) -> int:
        """The newest journal row's id (0: empty); through the primary key, O(1)."""
        rows = self._fetch("SELECT max(id) FROM journal", ())
        return int(rows[0][0] or 0) if rows else 0

    def positions(self) -> list[tuple[str, str, int, int]]:
        """(src, topic, epoch, seq) of the newest recorded message per (src, topic)."""
        rows = self._fetch("SELECT src, topic, epoch, seq FROM journal_positions", ())
        return [(str(a), str(b), int(c), int(d)) for a, b, c, d in rows]

    def load_snapshot(self, actor: str) -> Snapshot | None:
        m = self.placeholder
        rows = self._fetch(
            f"SELECT actor, version, journal_id, taken_ns, state FROM snapshots WHERE actor = {m}",
            (actor,),
        )
        if not rows:
            return None
        a, v, j, t, blob = rows[0]
        return Snapshot(str(a), int(v), int(j), int(t), bytes(blob))

    def save_snapshot(self, snap: Snapshot) -> None:
        """Replace one actor's snapshot in one transaction (never half written)."""
        m = self.placeholder
        self._execute(
            "INSERT INTO snapshots (actor, version, journal_id, taken_ns, state)"
            f" VALUES ({m}, {m}, {m}, {m}, {m}) ON CONFLICT (actor) DO UPDATE SET"
            " version = excluded.version, journal_id = excluded.journal_id,"
            " taken_ns = excluded.taken_ns, state = excluded.state",
            tuple(snap),
        )

    @abc.abstractmethod
    def _fetch(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        """Rows of one query."""

    @abc.abstractmethod
    def _execute(self, sql: str, params: tuple[Any, ...]) -> None:
        """One statement in its own durable transaction."""

    @abc.abstractmethod
    def _write(self, journal: list[Row], typed: dict[str, list[Row]]) -> None: ...

    @abc.abstractmethod
    def _version(self) -> int: ...

    @abc.abstractmethod
    def _apply(self, version: int, stmts: list[str]) -> None: ...

    @abc.abstractmethod
    def count(self, table: str) -> int:
        """Rows in one table."""

    @abc.abstractmethod
    def close(self) -> None: ...
