"""One engine per directory: a second `pyengine run` refuses with the first one's pid; a
stale lock of a dead process is taken over."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from pyengine.runtime.lock import LockError, acquire

Poll = Callable[..., None]


def engine_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "pyengine.cli", *args]


def reachable(cwd: Path) -> bool:
    out = subprocess.run(  # noqa: PLW1510
        engine_cmd("status", "--timeout", "1"), cwd=cwd, capture_output=True, timeout=20
    )
    return out.returncode == 0


def test_lock_is_exclusive_and_names_the_holder(tmp_path: Path) -> None:
    with acquire(tmp_path / "var") as held:
        assert (tmp_path / "var" / "engine.lock").read_text().strip() == str(os.getpid())
        assert stat.S_IMODE(held.path.stat().st_mode) == 0o600
        with pytest.raises(LockError, match=f"pid {os.getpid()}") as err:
            acquire(tmp_path / "var")
        assert err.value.holder == os.getpid()
    # released: the next one gets it
    acquire(tmp_path / "var").release()


def test_second_engine_refuses_and_first_stays_reachable(tmp_path: Path, poll: Poll) -> None:
    first = subprocess.Popen(
        engine_cmd("run"), cwd=tmp_path, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        poll(lambda: reachable(tmp_path), 30, "the first engine to answer status")
        second = subprocess.run(  # noqa: PLW1510
            engine_cmd("run", "--duration", "1"),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert second.returncode == 2, second.stderr
        assert f"pid {first.pid}" in second.stderr
        assert "Traceback" not in second.stderr
        # the refused engine touched nothing: the first one's socket is still there
        assert reachable(tmp_path)
        first.send_signal(signal.SIGTERM)
        assert first.wait(30) == 0
    finally:
        if first.poll() is None:
            first.kill()


def test_stale_lock_of_a_dead_process_is_taken_over(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "engine.lock").write_text(f"{dead.pid}\n")
    out = subprocess.run(  # noqa: PLW1510
        engine_cmd("run", "--duration", "0.5"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert "took over the stale lock" in out.stderr, out.stderr
    assert f"of pid {dead.pid} (no longer running)" in out.stderr
