"""No store, no engine: an unusable store stops `pyengine run` before any actor starts, with
one clear line and exit code 2 (it used to trade anyway while the recorder restarted forever,
then exit 1 after a hang)."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from pyengine.store import StoreError, open_store
from pyengine.store.check import check_store


def make_directory(var: Path) -> None:
    (var / "engine.db").mkdir(parents=True)


def make_random(var: Path) -> None:
    var.mkdir()
    (var / "engine.db").write_bytes(bytes(range(256)) * 40)


def make_corrupt(var: Path) -> None:
    var.mkdir()
    db = var / "engine.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE t (x TEXT)")
        conn.executemany("INSERT INTO t VALUES (?)", [("x" * 200,)] * 500)
        conn.execute("CREATE INDEX i ON t (x)")
    raw = bytearray(db.read_bytes())
    raw[4096 * 3 : 4096 * 6] = b"\xff" * (4096 * 3)  # pages of the table and index
    db.write_bytes(bytes(raw))


def make_under_file(var: Path) -> None:
    var.mkdir()
    (var / "sub").write_text("a file")


CASES: dict[str, tuple[Callable[[Path], None], str, str]] = {
    "directory": (make_directory, "sqlite:///var/engine.db", "is a directory"),
    "random bytes": (make_random, "sqlite:///var/engine.db", "not a database"),
    "corrupt pages": (make_corrupt, "sqlite:///var/engine.db", "malformed|corrupt"),
    "under a file": (make_under_file, "sqlite:///var/sub/engine.db", "not a directory"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_unusable_store_is_refused_at_once(tmp_path: Path, case: str) -> None:
    make, url, why = CASES[case]
    make(tmp_path / "var")
    (tmp_path / "engine.toml").write_text(f'embedded = true\n[store]\nurl = "{url}"\n')
    t0 = time.monotonic()
    out = subprocess.run(  # noqa: PLW1510
        [sys.executable, "-m", "pyengine.cli", "run", "engine.toml", "--duration", "5"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    took = time.monotonic() - t0
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("pyengine: store "), lines[0]
    assert re.search(why, lines[0]), lines[0]
    assert took < 4, f"refusal took {took:.1f}s"


def test_check_store_accepts_a_good_store_and_makes_it_private(tmp_path: Path) -> None:
    db = tmp_path / "var" / "engine.db"
    check_store(f"sqlite:///{db}")
    assert db.stat().st_mode & 0o777 == 0o600
    open_store(f"sqlite:///{db}").close()
    check_store(f"sqlite:///{db}")


def test_check_store_refuses_postgres_it_cannot_reach() -> None:
    with pytest.raises(StoreError, match="postgres"):
        check_store("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2")


def test_a_recorder_with_its_own_unusable_store_is_refused(tmp_path: Path) -> None:
    (tmp_path / "own.db").mkdir()
    (tmp_path / "engine.toml").write_text(
        '[[actors]]\nname = "recorder"\nkind = "recorder"\n'
        f'[actors.options]\nurl = "sqlite:///{tmp_path / "own.db"}"\n'
    )
    out = subprocess.run(  # noqa: PLW1510
        [sys.executable, "-m", "pyengine.cli", "run", "engine.toml", "--duration", "5"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2, out.stderr
    assert "own.db is a directory" in out.stderr
