"""The embedded default as a process, for restart and fault tests: start it in a
directory, time until `status` answers, read its peak memory, stop or kill it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from pyengine.config import EngineConfig
from pyengine.messages import StatusReport
from pyengine.runtime.control import ControlError, status

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = str(ROOT / "examples" / "mean_reversion.py")


def endpoint(cwd: Path) -> str:
    """The control socket of the embedded default started in `cwd`."""
    return f"ipc://{cwd}/var/run/{EngineConfig().name}.control"


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for pid {pid}")


@dataclass
class Started:
    proc: subprocess.Popen[bytes]
    seconds: float
    """From the process's start until `status` answered with the recovery done."""
    rss_mb: float
    """Peak RSS at that moment."""
    report: StatusReport


def start(cwd: Path, timeout_s: float = 600.0, log: Path | None = None) -> Started:
    """Start `pyengine run` (the embedded default and the example strategy) in `cwd`."""
    err = open(log or cwd / "engine.log", "ab")  # noqa: SIM115  (owned by the process)
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "pyengine.cli", "run", "--strategy", EXAMPLE],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=err,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    err.close()
    ep = endpoint(cwd)
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"engine exited with {proc.returncode} while starting")
        if time.perf_counter() - t0 > timeout_s:
            proc.kill()
            raise TimeoutError(f"engine not reachable after {timeout_s}s")
        try:
            report = status(ep, timeout_s=0.2)
        except ControlError:
            time.sleep(0.02)
            continue
        if report.recovering:
            time.sleep(0.05)
            continue
        return Started(proc, time.perf_counter() - t0, peak_rss_mb(proc.pid), report)


def stop(proc: subprocess.Popen[bytes], timeout_s: float = 60.0) -> int:
    """SIGTERM, wait; the exit code."""
    proc.send_signal(signal.SIGTERM)
    return proc.wait(timeout_s)


def kill(proc: subprocess.Popen[bytes]) -> None:
    proc.kill()
    proc.wait(30)
