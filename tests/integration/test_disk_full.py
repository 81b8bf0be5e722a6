"""A full disk under the store: the engine pauses minting and trading and says so, loses
nothing it had committed, and records again once space returns (a tmpfs the test mounts
for `var_dir`, then grows; needs root)."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pyengine.runtime.control import ControlError, status
from tests.integration.engine_proc import endpoint, kill, start, stop
from tests.integration.test_kill_restart import check_database, committed


@pytest.fixture
def small_var(tmp_path: Path) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    var = tmp_path / "var"
    var.mkdir()
    out = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=600k,mode=0700", "tmpfs", str(var)],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {out.stderr.strip()}")
    try:
        yield var
    finally:
        subprocess.run(["umount", "-l", str(var)], check=False)


def rows(db: Path) -> int:
    with contextlib.suppress(sqlite3.Error), sqlite3.connect(db, timeout=5) as conn:
        return int(conn.execute("SELECT count(*) FROM journal").fetchone()[0])
    return 0


def wait_for(what: str, cond: object, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if callable(cond) and cond():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_disk_full_pauses_keeps_everything_and_resumes(tmp_path: Path, small_var: Path) -> None:
    db = small_var / "engine.db"
    log = tmp_path / "engine.log"
    started = start(tmp_path, log=log)
    proc = started.proc
    try:
        wait_for(
            "the store to fail",
            lambda: "minting and trading paused" in log.read_text(),
            60,
        )
        report = status(endpoint(tmp_path), timeout_s=2)
        assert report.minting_paused
        assert "database or disk is full" in log.read_text()
        before = committed(db)
        check_database(db)
        assert proc.poll() is None  # paused, not dead
        subprocess.run(["mount", "-o", "remount,size=64m", str(small_var)], check=True)
        # the recorder commits again: the journal grows past where it stopped
        wait_for("the journal to grow", lambda: rows(db) > len(before) + 20, 60)
        assert not before - committed(db)
        check_database(db)
        with contextlib.suppress(ControlError):
            status(endpoint(tmp_path), timeout_s=2)
        stop(proc, timeout_s=90)
    finally:
        if proc.poll() is None:
            kill(proc)
    assert not before - committed(db)
    check_database(db)
