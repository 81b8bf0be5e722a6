"""The hedger's process killed with SIGKILL mid-execution, at random points, several times,
while the venues live on: no order placed twice, no fill lost, and the hedge still ends done
at its target.

The engine runs in two processes over ipc: `main` holds the simulated world, its venues'
feeds and execution actors, the risk gate and the recorder; `hedging` holds the hedger and
nothing else. Killing `hedging` is a crash of the component that decides and journals the
child orders, with the venues (and their orders and fills) surviving it, as live venues
would; main's supervisor starts the process again and the hedger resumes from its journal.
Everything is checked from main's store, i.e. from what the venues said: the child orders
placed (`cmd.venue.*.place`, one per client order id), the venues' fills (one per fill id),
and the sum of those fills in coins against the request.

The default kills 3 times; `PYENGINE_KILLS=20` (`make bench`) 20 times.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import msgspec
import pytest

from pyengine.contracts import load_instruments_file
from pyengine.messages import OrderFilled, PlaceOrder, decode
from pyengine.routing.market import Instrument
from pyengine.runtime.embedded import default_actors, sim_instruments
from tests.integration.test_embedded_default import ROOT

pytestmark = pytest.mark.slow
KILLS = int(os.environ.get("PYENGINE_KILLS", "3"))
HEDGE_ID = "kill-1"
TARGET = D(-900)  # about $2.7M of ETH: rounds of children across the five ETH books
TOLERANCE_USD = D(1000)
DROPPED = {"portfolio", "pricing", "rfq", "sim_mm"}
"""Left out: the delta keeper would add requests of its own, and the front door is not in
this test (it also needs the fixed API port)."""

STRATEGY = f'''
from decimal import Decimal
from pyengine.messages import HedgeRequest
from pyengine.strategy import Strategy


class HedgeOnce(Strategy):
    """Asks for one hedge, {HEDGE_ID}, a few seconds after start (the books settle), with IOC
    children priced at the touch (0 bp slippage): each round takes only the best levels, so
    the hedge runs over many rounds (one a second) while the books refill."""

    timer_interval = 0.5

    def on_start(self) -> None:
        self.started = self.now()
        self.sent = False

    def on_timer(self, now_ns: int) -> None:
        if not self.sent and now_ns - self.started > 4_000_000_000:
            self.sent = True
            self.publish(HedgeRequest(
                ts_event=now_ns, ts_recv=now_ns, hedge_id="{HEDGE_ID}", asset="ETH",
                delta=Decimal("{TARGET}"), reason="mint",
                slippage_bps=Decimal(0),
            ))
'''


def config(tmp_path: Path) -> Path:
    actors: list[dict[str, Any]] = []
    for a in default_actors():
        if a.name in DROPPED:
            continue
        spec: dict[str, Any] = msgspec.to_builtins(a)
        if a.kind == "hedger":
            spec["process"] = "hedging"
            spec["options"].update(
                # the venues outlive the hedger here: resume from its journal
                recover=True,
                journal=str(tmp_path / "var" / "hedger.db"),
                round_interval_s=1.0,
                max_rounds=200,
                max_wait_s=60.0,
                tolerance_usd=str(TOLERANCE_USD),
            )
        actors.append(spec)
    doc = {
        "var_dir": str(tmp_path / "var"),
        "store": {"url": f"sqlite:///{tmp_path / 'var' / 'engine.db'}"},
        "bus": {"transport": "ipc"},
        "supervisor": {"backoff_initial_s": 0.1, "backoff_max_s": 0.5, "max_failures": 1000},
        "actors": actors,
    }
    path = tmp_path / "engine.toml"
    path.write_bytes(msgspec.toml.encode(doc))
    return path


def hedging_pids(cfg: Path) -> list[int]:
    """Pids of the `pyengine child hedging <cfg>` processes."""
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"child" in argv and b"hedging" in argv and str(cfg).encode() in argv:
            pids.append(int(proc.name))
    return pids


def journal(db: Path, like: str) -> list[Any]:
    try:
        with sqlite3.connect(db, timeout=10) as conn:
            rows = conn.execute(
                "SELECT payload FROM journal WHERE topic LIKE ? ORDER BY id", (like,)
            ).fetchall()
    except sqlite3.OperationalError:
        return []
    return [decode(bytes(r[0])) for r in rows]


def ended(db: Path) -> bool:
    return any(m.hedge_id == HEDGE_ID for m in journal(db, "hedge.result.%"))


def instruments() -> dict[tuple[str, str], Instrument]:
    out = {}
    for venue, path, symbols in sim_instruments():
        for spec in load_instruments_file(venue, path):
            if spec.symbol in symbols:
                out[(venue, spec.symbol)] = Instrument.from_spec(spec)
    return out


def test_the_hedger_killed_mid_hedge_resumes_without_duplicates_or_lost_fills(
    tmp_path: Path,
) -> None:
    cfg = config(tmp_path)
    strategy = tmp_path / "hedge_once.py"
    strategy.write_text(STRATEGY)
    db = tmp_path / "var" / "engine.db"
    log = open(tmp_path / "engine.log", "wb")  # noqa: SIM115  (owned by the process)
    argv = [sys.executable, "-m", "pyengine.cli", "run", str(cfg), "--strategy", str(strategy)]
    proc = subprocess.Popen(
        [*argv, "--duration", "240"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=log,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    log.close()
    rng = random.Random(int(os.environ.get("PYENGINE_KILL_SEED", str(time.time_ns()))))
    killed: list[tuple[int, int]] = []  # (pid, children placed before the kill)
    try:
        deadline = time.monotonic() + 120
        while not journal(db, "cmd.venue.%"):  # the hedge's first children are out
            assert proc.poll() is None, (tmp_path / "engine.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "no child order within 120 s"
            time.sleep(0.1)
        for _ in range(KILLS):
            time.sleep(rng.uniform(0.0, 0.8))
            if ended(db):
                break  # done before this kill: the rest is checked as it is
            pids = hedging_pids(cfg)
            assert len(pids) == 1, pids
            os.kill(pids[0], signal.SIGKILL)
            placed = len(journal(db, "cmd.venue.%"))
            killed.append((pids[0], placed))
            deadline = time.monotonic() + 60
            while not (now := hedging_pids(cfg)) or now == [pids[0]]:
                assert time.monotonic() < deadline, "the hedging process did not come back"
                time.sleep(0.05)
            # the next kill after the new life has acted (placed a child) or the hedge ended
            deadline = time.monotonic() + 30
            while len(journal(db, "cmd.venue.%")) == placed and not ended(db):
                assert time.monotonic() < deadline, "the restarted hedger did nothing"
                time.sleep(0.05)
        deadline = time.monotonic() + 150
        while not (results := [m for m in journal(db, "hedge.result.%") if m.hedge_id == HEDGE_ID]):
            assert proc.poll() is None, (tmp_path / "engine.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "the hedge did not end"
            time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(30)
    assert killed, "the hedge ended before the first kill: nothing was tested"

    places = [m for m in journal(db, "cmd.venue.%") if isinstance(m, PlaceOrder)]
    ours = {p.order.client_order_id: p.order for p in places if p.parent_id == HEDGE_ID}
    counts = Counter(p.order.client_order_id for p in places if p.parent_id == HEDGE_ID)
    assert ours and max(counts.values()) == 1, counts.most_common(3)  # none placed twice
    fills = [m for m in journal(db, "exec.fill.%") if isinstance(m, OrderFilled)]
    mine = [f for f in fills if f.client_order_id in ours]
    ids = Counter((f.venue, f.client_order_id, f.fill_id) for f in mine)
    assert max(ids.values()) == 1, ids.most_common(3)  # no fill twice
    specs = instruments()

    def spec(f: OrderFilled) -> Instrument:
        return specs[(f.venue, f.symbol.rpartition(":")[2])]

    coins = sum(
        (spec(f).coins(f.qty, f.price) * (1 if f.side == "buy" else -1) for f in mine),
        D(0),
    )
    (res,) = results[-1:]
    assert res.state == "done", res
    # what the venues filled is what the hedger counts (no fill lost across the kills) ...
    assert abs(res.filled - coins) <= D("0.000001"), (res.filled, coins)
    # ... and it is the request, within the hedger's tolerance: no child was sent again
    # under a new id for a quantity already working (that would overshoot)
    price = max(f.price for f in mine if spec(f).payoff == "linear")
    assert abs(coins - TARGET) * price <= TOLERANCE_USD * 2, (coins, TARGET)
    assert proc.returncode == 0, (tmp_path / "engine.log").read_text()[-3000:]
    print(f"kills at children placed {[n for _, n in killed]}, {len(ours)} children, "
          f"{len(mine)} fills, filled {coins} of {TARGET}")  # fmt: skip
