"""No store, no engine: the store is opened and checked before any actor starts.

Nothing may be acted on that cannot be recorded, so `pyengine run` refuses to start on a store
it cannot use: a path that is a directory or lies under a file, a file that is not a SQLite
database or fails `PRAGMA quick_check`, a database that refuses a write transaction, or a
PostgreSQL server it cannot connect to. The SQLite file and its WAL/SHM files are made 0600.

`quick_check` reads every page, so at start it runs in full only on a store of up to
`FULL_CHECK_BYTES` (a fraction of a second); a larger one (months of journal) is checked at
start in constant time (its small tables, the newest journal pages, a write transaction)
and in full in the background by the recorder (`store_verdict`), whose failure pauses
minting and trading like any store fault: a start never grows with the journal's history.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from pyengine.permissions import private_dir, private_file
from pyengine.store import SQLiteStore, Store, StoreError, open_store


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite store URL (None for PostgreSQL)."""
    if url.startswith(("postgresql://", "postgres://")):
        return None
    if url.startswith("sqlite:///"):
        return Path(url[len("sqlite:///") :])
    return Path(url)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}" + (f": {exc.filename}" if exc.filename else "")
    return str(exc) or type(exc).__name__


FULL_CHECK_BYTES = 64 * 2**20

_SMALL_TABLES = ("schema_version", "snapshots", "journal_positions")


def store_verdict(path: Path) -> str:
    """`PRAGMA quick_check` of the whole file, on its own read-only connection: "ok", or
    what is wrong (the first five findings)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = conn.execute("PRAGMA quick_check").fetchall()
    finally:
        conn.close()
    return "; ".join(str(r[0]) for r in rows[:5])


async def verify(path: Path) -> str:
    """`store_verdict` in a thread (SQLite releases the GIL while it reads)."""
    return await asyncio.to_thread(store_verdict, path)


def _bounded_verdict(conn: sqlite3.Connection) -> str:
    for table in _SMALL_TABLES:
        rows = conn.execute(f"PRAGMA quick_check({table})").fetchall()
        verdict = "; ".join(str(r[0]) for r in rows[:5])
        if verdict != "ok":
            return verdict
    conn.execute("SELECT id, payload FROM journal ORDER BY id DESC LIMIT 1000").fetchall()
    return "ok"


def _check_sqlite(path: Path, synchronous: str) -> None:
    if path.is_dir():
        raise StoreError(f"{path} is a directory, not a database file")
    for parent in path.parents:
        if parent.exists() and not parent.is_dir():
            raise StoreError(f"{path}: {parent} is not a directory")
    private_dir(path.parent)
    store: Store | None = None
    try:
        store = open_store(f"sqlite:///{path}", synchronous)
        assert isinstance(store, SQLiteStore)
        if path.stat().st_size <= FULL_CHECK_BYTES:
            rows = store.conn.execute("PRAGMA quick_check").fetchall()
            verdict = "; ".join(str(r[0]) for r in rows[:5])
        else:
            verdict = _bounded_verdict(store.conn)
        if verdict != "ok":
            raise StoreError(f"{path} is corrupt (quick_check: {verdict})")
        # a write transaction proves the file (and its directory, for the WAL) is writable
        store.conn.execute("BEGIN IMMEDIATE")
        store.conn.execute("ROLLBACK")
    except StoreError:
        raise
    except (sqlite3.Error, OSError) as exc:
        raise StoreError(f"{path}: {_describe(exc)}") from None
    finally:
        if store is not None:
            store.close()
    for suffix in ("", "-wal", "-shm"):
        private_file(Path(f"{path}{suffix}"))


def check_store(url: str, synchronous: str = "full") -> None:
    """Open, migrate and check the store; `StoreError` with one clear sentence if unusable."""
    path = sqlite_path(url)
    if path is not None:
        _check_sqlite(path, synchronous)
        return
    try:
        open_store(url, synchronous).close()
    except StoreError:
        raise
    except Exception as exc:
        raise StoreError(f"postgres: {_describe(exc)}") from None
