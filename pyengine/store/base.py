"""The store interface shared by SQLite and PostgreSQL."""

from __future__ import annotations

import abc
from collections.abc import Iterable, Iterator, Sequence

from pyengine.errors import EngineError
from pyengine.messages import Message, decode
from pyengine.store.migrations import latest, statements
from pyengine.store.records import TABLES, Row, Table, journal_row, typed_row


class StoreError(EngineError, OSError):
    """The database refused or failed an operation."""


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

    def _plan(self, typed: dict[str, list[Row]]) -> list[tuple[str, list[Row]]]:
        out = []
        for t in TABLES:
            rows = typed.get(t.name)
            if rows:
                out.append((self._insert_sql(t.name, self._typed_columns(t)), rows))
        return out

    def migrate(self) -> int:
        """Apply every migration newer than the database's version; returns the version."""
        current = self._version()
        for version in range(current + 1, latest() + 1):
            self._apply(version, statements(self.dialect, version))
        return latest()

    def journal(self, prefixes: Sequence[str] = (), after_id: int = 0) -> Iterator[Message]:
        """Recorded messages in recording order, optionally only topics under `prefixes`."""
        for _, topic, payload in self._journal_rows(after_id):
            if not prefixes or topic.startswith(tuple(prefixes)):
                yield decode(payload)

    def journal_rows(self) -> int:
        return self.count("journal")

    @abc.abstractmethod
    def _write(self, journal: list[Row], typed: dict[str, list[Row]]) -> None: ...

    @abc.abstractmethod
    def _version(self) -> int: ...

    @abc.abstractmethod
    def _apply(self, version: int, stmts: list[str]) -> None: ...

    @abc.abstractmethod
    def _journal_rows(self, after_id: int) -> Iterator[tuple[int, str, bytes]]: ...

    @abc.abstractmethod
    def count(self, table: str) -> int:
        """Rows in one table."""

    @abc.abstractmethod
    def positions(self) -> list[tuple[str, str, int, int]]:
        """(src, topic, epoch, seq) of the newest recorded message per (src, topic)."""

    @abc.abstractmethod
    def close(self) -> None: ...
