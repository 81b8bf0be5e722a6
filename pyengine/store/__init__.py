"""Durable records: SQLite by default, PostgreSQL when the config gives a `postgresql://` URL."""

from __future__ import annotations

from pathlib import Path

from pyengine.store.base import Snapshot, Store, StoreError
from pyengine.store.sqlite import SQLiteStore


def open_store(url: str, synchronous: str = "full", migrate: bool = True) -> Store:
    """Open (and migrate) the store named by `url`: `sqlite:///path`, a plain path, or
    `postgresql://...`."""
    store: Store
    if url.startswith(("postgresql://", "postgres://")):
        from pyengine.store.postgres import PostgresStore

        store = PostgresStore(url)
    elif url.startswith("sqlite:///"):
        store = SQLiteStore(Path(url[len("sqlite:///") :]), synchronous)
    elif "://" in url:
        raise ValueError(f"store.url {url!r}: expected sqlite:///path or postgresql://...")
    else:
        store = SQLiteStore(Path(url), synchronous)
    if migrate:
        store.migrate()
    return store


__all__ = ["SQLiteStore", "Snapshot", "Store", "StoreError", "open_store"]
