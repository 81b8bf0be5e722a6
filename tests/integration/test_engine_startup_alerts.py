"""A clean start raises no alert: the feeds' "connecting" at start is within their grace
(it used to raise two critical "feed is down: connecting" alerts every time)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path


def test_a_clean_start_raises_no_alert(tmp_path: Path) -> None:
    out = subprocess.run(  # noqa: PLW1510
        [sys.executable, "-m", "pyengine.cli", "run", "--duration", "3"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    with sqlite3.connect(tmp_path / "var" / "engine.db") as conn:
        alerts = conn.execute("SELECT text FROM alerts").fetchall()
    assert alerts == []
