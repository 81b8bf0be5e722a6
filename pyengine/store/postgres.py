"""PostgreSQL store (psycopg 3): production. `commit` returns after the server committed."""

from __future__ import annotations

from typing import Any

import psycopg

from pyengine.store.base import Store, StoreError
from pyengine.store.records import JOURNAL_COLUMNS, Row


class PostgresStore(Store):
    """A store in a PostgreSQL database."""

    dialect = "postgres"
    placeholder = "%s"

    def __init__(self, url: str) -> None:
        super().__init__()
        try:
            self.conn = psycopg.connect(url, autocommit=False)
        except psycopg.Error as exc:
            raise StoreError(f"postgres: cannot connect: {exc}") from exc
        self._journal_sql = self._insert_sql("journal", JOURNAL_COLUMNS)

    def _write(self, journal: list[Row], typed: dict[str, list[Row]]) -> None:
        try:
            with self.conn.cursor() as cur:
                cur.executemany(self._journal_sql, journal)
                for sql, rows in self._plan(journal, typed):
                    cur.executemany(sql, rows)
            self.conn.commit()
        except psycopg.Error as exc:
            self.conn.rollback()
            raise StoreError(f"postgres: {exc}") from exc

    def _version(self) -> int:
        with self.conn.cursor() as cur:
            cur.execute(
                "CREATE TABLE IF NOT EXISTS schema_version"
                " (version INTEGER NOT NULL, applied_ns BIGINT)"
            )
            cur.execute("SELECT max(version) FROM schema_version")
            row = cur.fetchone()
        self.conn.commit()
        return int(row[0] or 0) if row else 0

    def _apply(self, version: int, stmts: list[str]) -> None:
        try:
            with self.conn.cursor() as cur:
                cur.execute("LOCK TABLE schema_version IN EXCLUSIVE MODE")
                cur.execute("SELECT max(version) FROM schema_version")
                row = cur.fetchone()
                if row and row[0] is not None and int(row[0]) >= version:
                    self.conn.rollback()
                    return
                for s in stmts:
                    cur.execute(s.encode())
                cur.execute(
                    "INSERT INTO schema_version (version, applied_ns) "
                    "VALUES (%s, (extract(epoch from now()) * 1e9)::bigint)",
                    (version,),
                )
            self.conn.commit()
        except psycopg.Error as exc:
            self.conn.rollback()
            raise StoreError(f"postgres: migration {version}: {exc}") from exc

    def _fetch(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        try:
            with self.conn.cursor() as cur:
                cur.execute(sql.encode(), params)
                rows = cur.fetchall()
            self.conn.commit()
        except psycopg.Error as exc:
            self.conn.rollback()
            raise StoreError(f"postgres: {exc}") from exc
        return rows

    def _execute(self, sql: str, params: tuple[Any, ...]) -> None:
        try:
            with self.conn.cursor() as cur:
                cur.execute(sql.encode(), params)
            self.conn.commit()
        except psycopg.Error as exc:
            self.conn.rollback()
            raise StoreError(f"postgres: {exc}") from exc

    def count(self, table: str) -> int:
        if not table.isidentifier():
            raise ValueError(table)
        with self.conn.cursor() as cur:
            cur.execute(f"SELECT count(*) FROM {table}".encode())
            row = cur.fetchone()
        self.conn.commit()
        return int(row[0]) if row else 0

    def close(self) -> None:
        self.conn.close()
