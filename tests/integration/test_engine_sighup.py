"""SIGHUP (a closed terminal or ssh session) stops the engine cleanly like SIGTERM: drained,
exit 0, a sound database; with `--service` it is ignored (it used to kill the engine)."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

Poll = Callable[..., None]
EXAMPLE = str(Path(__file__).resolve().parents[2] / "examples" / "mean_reversion.py")


def engine_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "pyengine.cli", *args]


def answers(cwd: Path) -> bool:
    out = subprocess.run(  # noqa: PLW1510
        engine_cmd("status", "--timeout", "1"), cwd=cwd, capture_output=True, timeout=20
    )
    return out.returncode == 0


def test_sighup_stops_cleanly(tmp_path: Path, poll: Poll) -> None:
    proc = subprocess.Popen(
        engine_cmd("run", "--strategy", EXAMPLE), cwd=tmp_path, stderr=subprocess.PIPE, text=True
    )
    try:
        poll(lambda: answers(tmp_path), 30, "the engine to answer")
        time.sleep(1.0)  # some traffic into the store
        proc.send_signal(signal.SIGHUP)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "stopping (SIGHUP)" in err
    assert "stopped cleanly, nothing in flight" in err
    with sqlite3.connect(tmp_path / "var" / "engine.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_sighup_is_ignored_as_a_service(tmp_path: Path, poll: Poll) -> None:
    proc = subprocess.Popen(
        engine_cmd("run", "--service"), cwd=tmp_path, stderr=subprocess.PIPE, text=True
    )
    try:
        poll(lambda: answers(tmp_path), 30, "the engine to answer")
        proc.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        assert proc.poll() is None
        assert answers(tmp_path)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "SIGHUP ignored (running as a service)" in err
