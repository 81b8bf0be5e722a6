"""The benchmark's side of `benches.http_load`: starts the client and quoter processes, sends
them one phase at a time, and pools what they measured into lines.

Server CPU is the CPU time of the thread that runs the event loop (HTTP, Litestar, the
actors, the bus), less its idle rate measured just before (timers and the rfq actor's chain
polls); the local chain's own worker thread is not in it. Load CPU is what the two load
processes used, so a reader can see the generator had room to spare.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benches.conftest import report

ROOT = Path(__file__).resolve().parents[1]
Command = dict[str, Any]


def pct(sorted_ns: list[int], p: float) -> float:
    """Nearest-rank percentile, in microseconds."""
    if not sorted_ns:
        return math.nan
    return sorted_ns[min(len(sorted_ns) - 1, max(0, math.ceil(p * len(sorted_ns)) - 1))] / 1e3


def merge(mine: dict[str, int], theirs: dict[str, int]) -> None:
    for k, v in theirs.items():
        mine[k] = mine.get(k, 0) + v


@dataclass
class Phase:
    """One line's phases, pooled: the timed requests, and the quoter's GETs beside them."""

    latency_ns: list[int] = field(default_factory=list)
    lag_ns: list[int] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    codes: dict[str, int] = field(default_factory=dict)
    scheduled: int = 0
    span_s: float = 0.0
    """First answer to last, summed over the phases (n answers: n - 1 intervals in each)."""
    gaps: int = 0
    quote_statuses: dict[str, int] = field(default_factory=dict)
    quotes: int = 0
    quote_span_s: float = 0.0
    quote_gaps: int = 0
    quote_lag_ns: list[int] = field(default_factory=list)
    cpu_s: float = 0.0
    """Event-loop CPU seconds over the phases, idle included."""
    wall_s: float = 0.0
    idle_rate: float = 0.0
    """Event-loop CPU seconds per second with no request, measured in the same run."""
    load_cpu_s: float = 0.0

    @classmethod
    def of(cls, out: Command, quoted: Command | None = None) -> Phase:
        phase = cls(
            latency_ns=out["latency_ns"],
            lag_ns=out["lag_ns"],
            statuses=out["statuses"],
            codes=out["codes"],
            scheduled=out["scheduled"],
            span_s=out["span_s"],
            gaps=max(0, len(out["latency_ns"]) - 1),
        )
        if quoted is not None:
            phase.quote_statuses = quoted["statuses"]
            phase.quotes = len(quoted["latency_ns"])
            phase.quote_span_s = quoted["span_s"]
            phase.quote_gaps = max(0, phase.quotes - 1)
            phase.quote_lag_ns = quoted["lag_ns"]
        return phase

    def add(self, other: Phase) -> None:
        self.latency_ns += other.latency_ns
        self.lag_ns += other.lag_ns
        merge(self.statuses, other.statuses)
        merge(self.codes, other.codes)
        merge(self.quote_statuses, other.quote_statuses)
        self.scheduled += other.scheduled
        self.span_s += other.span_s
        self.gaps += other.gaps
        self.quotes += other.quotes
        self.quote_span_s += other.quote_span_s
        self.quote_gaps += other.quote_gaps
        self.quote_lag_ns += other.quote_lag_ns
        self.cpu_s += other.cpu_s
        self.wall_s += other.wall_s
        self.load_cpu_s += other.load_cpu_s

    @property
    def requests(self) -> int:
        return self.scheduled + self.quotes

    @property
    def rate(self) -> float:
        """Requests answered per second (over the span of their answers): the timed ones
        and the quoter's."""
        timed = self.gaps / self.span_s if self.span_s else 0.0
        return timed + (self.quote_gaps / self.quote_span_s if self.quote_span_s else 0.0)

    @property
    def cpu_per_request(self) -> float:
        """Server CPU seconds per request (the quoter's included), its idle rate taken out."""
        return max(0.0, self.cpu_s - self.idle_rate * self.wall_s) / max(1, self.requests)

    def p(self, q: float) -> float:
        return pct(sorted(self.latency_ns), q)

    def show(self, name: str, offered: float) -> None:
        report(
            f"rfq http {name}",
            offered_per_s=offered,
            achieved_per_s=self.rate,
            timed=len(self.latency_ns),
            p50_us=self.p(0.5),
            p99_us=self.p(0.99),
            max_us=self.p(1.0),
            send_lag_p99_us=pct(sorted(self.lag_ns), 0.99),
            quoter_lag_p99_us=pct(sorted(self.quote_lag_ns), 0.99),
            server_cpu_us_per_request=self.cpu_per_request * 1e6,
            load_cpu_us_per_request=self.load_cpu_s / max(1, self.requests) * 1e6,
        )


class Load:
    """The client and quoter processes, joined by a pipe (quoter writes, client reads)."""

    def __init__(self) -> None:
        self.procs: dict[str, asyncio.subprocess.Process] = {}
        self._idle_cpu = self._idle_wall = 0.0

    async def start(self) -> None:
        read, write = os.pipe()
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        try:
            for role, fd in (("client", read), ("quoter", write)):
                self.procs[role] = await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "benches.http_load",
                    role,
                    str(fd),
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                    pass_fds=(fd,),
                    cwd=ROOT,
                    env=env,
                    limit=1 << 24,
                )
        finally:
            os.close(read)
            os.close(write)

    async def idle(self, seconds: float) -> None:
        """Sample the event loop's CPU with no request (timers, chain polls)."""
        cpu, t0 = time.thread_time(), time.perf_counter()
        await asyncio.sleep(seconds)
        self._idle_cpu += time.thread_time() - cpu
        self._idle_wall += time.perf_counter() - t0

    @property
    def idle_rate(self) -> float:
        """Event-loop CPU seconds per second with no request, over every sample taken."""
        return self._idle_cpu / self._idle_wall if self._idle_wall else 0.0

    async def _ask(self, role: str, cmd: Command) -> Command:
        proc = self.procs[role]
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(json.dumps(cmd).encode() + b"\n")
        await proc.stdin.drain()
        line = await asyncio.wait_for(proc.stdout.readline(), 60)
        assert line, f"the {role} load process ended (exit code {proc.returncode})"
        out: Command = json.loads(line)
        return out

    def load_cpu(self) -> float:
        """CPU seconds the load processes have used so far (Linux /proc)."""
        ticks = 0
        for proc in self.procs.values():
            fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")

    async def run(self, client: Command, quoter: Command | None = None) -> Phase:
        """One phase: the client's timed requests, with the quoter's beside them if given."""
        cpu, t0, load_cpu = time.thread_time(), time.perf_counter(), self.load_cpu()
        if quoter is None:
            phase = Phase.of(await self._ask("client", client))
        else:
            # the client first: it must be reading the pipe before the quoter writes to it
            timed = asyncio.ensure_future(self._ask("client", client))
            quoted = await self._ask("quoter", quoter)
            phase = Phase.of(await timed, quoted)
        phase.cpu_s = time.thread_time() - cpu
        phase.wall_s = time.perf_counter() - t0
        phase.load_cpu_s = self.load_cpu() - load_cpu
        return phase

    async def close(self) -> None:
        for proc in self.procs.values():
            if proc.stdin is not None:
                proc.stdin.close()
        for proc in self.procs.values():
            try:
                await asyncio.wait_for(proc.wait(), 10)
            except TimeoutError:
                proc.kill()
                await proc.wait()
