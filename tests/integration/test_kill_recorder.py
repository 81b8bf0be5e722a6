"""kill -9 of the recorder's process mid-stream: restarted, the gap is detected and reported,
and no acknowledged record is lost (rows counted before and after)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

Poll = Callable[..., None]

PRODUCER = '''
from decimal import Decimal
from pyengine.actors.base import Actor
from pyengine.messages import IndicativePrice, OrderFilled


class Producer(Actor):
    """A steady stream: one critical fill and one (non-critical) price per tick."""

    timer_interval = 0.005

    def on_start(self):
        self.i = 0
        return []

    def on_timer(self, now_ns):
        out = []
        for _ in range(4):
            self.i += 1
            out.append(OrderFilled(ts_event=now_ns, ts_recv=now_ns, client_order_id=f"o{self.i}",
                venue="sim", symbol="ETHUSDT", side="sell", fill_id=str(self.i),
                qty=Decimal("0.1"), price=Decimal("3000.5")))
            out.append(IndicativePrice(ts_event=now_ns, ts_recv=now_ns, asset="ETH",
                mint_px="3001", redeem_px="2999"))
        return out
'''

CONFIG = """
name = "killtest"
shutdown_timeout_s = 20
[bus]
transport = "ipc"
ipc_dir = "./var/run"
heartbeat_s = 0.1
ack_timeout_s = 0.2
[supervisor]
backoff_initial_s = 0.2
[[actors]]
name = "recorder"
kind = "recorder"
process = "rec"
options = { record_topics = ["price.indicative."] }
[[actors]]
name = "producer"
kind = "simactors:Producer"
"""


def engine_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "pyengine.cli", *args]


def count(db: Path, sql: str) -> int:
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return int(conn.execute(sql).fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def recorder_status(cwd: Path, env: dict[str, str]) -> dict[str, Any] | None:
    out = subprocess.run(  # noqa: PLW1510
        engine_cmd("status", "cfg.toml", "--json", "--timeout", "1"),
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=20,
    )
    if out.returncode != 0:
        return None
    report = json.loads(out.stdout)
    for a in report["actors"]:
        if a["name"] == "recorder":
            return dict(a)
    return None


def test_kill_9_recorder_process(tmp_path: Path, poll: Poll) -> None:
    (tmp_path / "simactors.py").write_text(PRODUCER)
    (tmp_path / "cfg.toml").write_text(CONFIG)
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    db = tmp_path / "var" / "engine.db"
    proc = subprocess.Popen(
        engine_cmd("run", "cfg.toml"), cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        poll(lambda: count(db, "SELECT count(*) FROM fills") >= 200, 30, "fills recorded")
        before_status: dict[str, Any] = {}

        def recorder_up() -> bool:
            st = recorder_status(tmp_path, env)
            if st and st["pid"]:
                before_status.update(st)
                return True
            return False

        poll(recorder_up, 20, "recorder heartbeat")
        pid = int(before_status["pid"])
        assert pid != proc.pid
        os.kill(pid, signal.SIGKILL)
        # everything acknowledged so far was committed first: this many rows must survive
        acked_floor = count(db, "SELECT count(*) FROM fills")
        after: dict[str, Any] = {}

        def restarted_and_gap_reported() -> bool:
            st = recorder_status(tmp_path, env)
            if not st or st["pid"] in (0, pid) or st["restarts"] < 1:
                return False
            after.update(st)
            return int(st["gaps"]) >= 1

        poll(restarted_and_gap_reported, 30, "restart and gap report")
        assert after["dropped"] >= 1 or after["gaps"] >= 1
        poll(
            lambda: count(db, "SELECT count(*) FROM fills") > acked_floor + 200,
            30,
            "recording resumed",
        )
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err[-3000:]
    assert "process:rec failed" in err
    assert "gap on price.indicative.ETH from producer" in err
    fills = count(db, "SELECT count(*) FROM fills")
    assert fills >= acked_floor
    # and beyond the acknowledged floor: every fill the producer emitted is there, once
    produced = count(db, "SELECT max(seq) FROM journal WHERE topic = 'exec.fill.sim'")
    distinct = count(db, "SELECT count(DISTINCT fill_id) FROM fills")
    assert fills == distinct == produced
    assert count(db, "SELECT max(CAST(fill_id AS INTEGER)) FROM fills") == produced
