"""SQLite store: the embedded default. WAL journal; `commit` returns after the transaction is
durable (`synchronous=FULL` by default: survives power loss; `NORMAL` survives a process
kill but not power loss)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from pyengine.store.base import Store, StoreError
from pyengine.store.records import JOURNAL_COLUMNS, Row

SYNC_MODES = ("full", "normal", "extra")


class SQLiteStore(Store):
    """A store in one SQLite file."""

    dialect = "sqlite"

    def __init__(self, path: str | Path, synchronous: str = "full") -> None:
        super().__init__()
        if synchronous not in SYNC_MODES:
            raise ValueError(f"store.synchronous must be one of {SYNC_MODES}, not {synchronous!r}")
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute(f"PRAGMA synchronous={synchronous.upper()}")
        self.conn.execute("PRAGMA busy_timeout=5000")
        self._journal_sql = self._insert_sql("journal", JOURNAL_COLUMNS)

    def _write(self, journal: list[Row], typed: dict[str, list[Row]]) -> None:
        cur = self.conn.cursor()
        try:
            cur.execute("BEGIN IMMEDIATE")
            cur.executemany(self._journal_sql, journal)
            for sql, rows in self._plan(journal, typed):
                cur.executemany(sql, rows)
            cur.execute("COMMIT")
        except sqlite3.Error as exc:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise StoreError(f"sqlite {self.path}: {exc}") from exc

    def _version(self) -> int:
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version"
            " (version INTEGER NOT NULL, applied_ns INTEGER)"
        )
        row = self.conn.execute("SELECT max(version) FROM schema_version").fetchone()
        return int(row[0] or 0)

    def _apply(self, version: int, stmts: list[str]) -> None:
        cur = self.conn.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            for s in stmts:
                cur.execute(s)
            cur.execute(
                "INSERT INTO schema_version (version, applied_ns)"
                " VALUES (?, strftime('%s','now') * 1000000000)",
                (version,),
            )
            cur.execute("COMMIT")
        except sqlite3.Error as exc:
            self.conn.execute("ROLLBACK")
            raise StoreError(f"sqlite {self.path}: migration {version}: {exc}") from exc

    def _fetch(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        try:
            return self.conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"sqlite {self.path}: {exc}") from exc

    def _execute(self, sql: str, params: tuple[Any, ...]) -> None:
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute(sql, params)
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise StoreError(f"sqlite {self.path}: {exc}") from exc

    def count(self, table: str) -> int:
        if not table.isidentifier():
            raise ValueError(table)
        return int(self.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])

    def close(self) -> None:
        self.conn.close()
