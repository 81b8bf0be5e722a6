"""A control endpoint that cannot bind is fatal: one clear line, exit code 2, before any actor
starts (it used to fail inside a task, silently, and the engine ran unreachable)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pyengine.bus import BindError, Bus, check_endpoint


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: PLW1510
        [sys.executable, "-m", "pyengine.cli", "run", *args, "--duration", "3"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_run_directory_being_a_file_is_fatal(tmp_path: Path) -> None:
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "run").write_text("not a directory")
    out = run(tmp_path)
    assert out.returncode == 2, out.stderr
    assert out.stderr.strip().splitlines() == [
        "pyengine: cannot bind ipc://./var/run/engine.control: var/run exists and is not a"
        " directory"
    ]


def test_socket_path_over_the_unix_limit_is_fatal(tmp_path: Path) -> None:
    var = "./" + "v" * 100
    (tmp_path / "engine.toml").write_text(f'embedded = true\nvar_dir = "{var}"\n')
    out = run(tmp_path, "engine.toml")
    assert out.returncode == 2, out.stderr
    (line,) = out.stderr.strip().splitlines()
    assert "over the 107-byte limit of unix sockets" in line
    assert "Traceback" not in out.stderr


def test_bind_errors_are_typed(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="107-byte limit"):
        check_endpoint("ipc://" + "x" * 108)
    check_endpoint("ipc://" + "x" * 107)
    (tmp_path / "file").write_text("")
    bus = Bus()
    try:
        with pytest.raises(BindError, match="not a directory"):
            bus.router(f"ipc://{tmp_path}/file/engine.control")
    finally:
        bus.close()
