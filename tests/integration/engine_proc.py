"""The embedded default as a process, for restart and fault tests: start it in a
directory, time until `status` answers, read its peak memory, stop or kill it."""

from __future__ import annotations

import contextlib
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


def child_pids(pid: int) -> list[int]:
    """The live processes whose parent is `pid`."""
    out: list[int] = []
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            stat = (p / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            out.append(int(p.name))
    return out


def node_pid(pid: int) -> int | None:
    """The local chain node process the engine `pid` started (None: none)."""
    for child in child_pids(pid):
        with contextlib.suppress(OSError):
            if b"pyengine.chain.node_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                return child
    return None


def alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@dataclass
class ChainReady:
    seconds: float
    """From the engine's start until `status` showed its chain connected."""
    main_rss_mb: float
    """The engine process's peak RSS by then."""
    node_rss_mb: float
    """Its local chain node process's peak RSS by then (0: no node process)."""
    node_pid: int | None


def wait_chain(cwd: Path, s: Started, timeout_s: float = 120.0) -> ChainReady:
    """Wait until the engine started as `s` in `cwd` shows its chain in `status`."""
    deadline = time.perf_counter() + timeout_s
    ep = endpoint(cwd)
    while True:
        if s.proc.poll() is not None:
            raise RuntimeError(f"engine exited with {s.proc.returncode} before its chain")
        report = status(ep, timeout_s=1.0)
        if (report.chain or {}).get("rpc_url"):
            break
        if time.perf_counter() > deadline:
            raise TimeoutError(f"no chain after {timeout_s}s")
        time.sleep(0.1)
    seconds = time.perf_counter() - s.t0
    node = node_pid(s.proc.pid)
    return ChainReady(
        seconds,
        peak_rss_mb(s.proc.pid),
        peak_rss_mb(node) if node is not None else 0.0,
        node,
    )


@dataclass
class Started:
    proc: subprocess.Popen[bytes]
    seconds: float
    """From the process's start until `status` answered with the recovery done."""
    rss_mb: float
    """Peak RSS at that moment."""
    report: StatusReport
    t0: float = 0.0
    """`time.perf_counter()` when the process was started."""


def start(
    cwd: Path,
    timeout_s: float = 600.0,
    log: Path | None = None,
    module: str = "pyengine.cli",
    env: dict[str, str] | None = None,
) -> Started:
    """Start `pyengine run` (the embedded default and the example strategy) in `cwd`
    (through `module`'s command line, and with `env` added to the environment)."""
    err = open(log or cwd / "engine.log", "ab")  # noqa: SIM115  (owned by the process)
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", module, "run", "--strategy", EXAMPLE],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=err,
        env={**os.environ, **(env or {}), "PYTHONPATH": str(ROOT)},
    )
    err.close()
    try:
        return _reachable(proc, endpoint(cwd), t0, timeout_s)
    except BaseException:
        # a test's timeout too: never leave an engine (holding its ports) behind
        proc.kill()
        proc.wait(30)
        raise


def _reachable(proc: subprocess.Popen[bytes], ep: str, t0: float, timeout_s: float) -> Started:
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"engine exited with {proc.returncode} while starting")
        if time.perf_counter() - t0 > timeout_s:
            raise TimeoutError(f"engine not reachable after {timeout_s}s")
        try:
            report = status(ep, timeout_s=0.2)
        except ControlError:
            time.sleep(0.02)
            continue
        if report.recovering:
            time.sleep(0.05)
            continue
        return Started(proc, time.perf_counter() - t0, peak_rss_mb(proc.pid), report, t0)


def stop(proc: subprocess.Popen[bytes], timeout_s: float = 60.0) -> int:
    """SIGTERM, wait; the exit code."""
    proc.send_signal(signal.SIGTERM)
    return proc.wait(timeout_s)


def kill(proc: subprocess.Popen[bytes]) -> None:
    proc.kill()
    proc.wait(30)
