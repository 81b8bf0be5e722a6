from __future__ import annotations

from pathlib import Path

import pytest

from pyengine.config import parse_config
from pyengine.errors import ConfigError
from pyengine.runtime.embedded import embedded_config
from pyengine.runtime.plan import make_plan, resolve_kind

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "mean_reversion.py"


def test_default_plan_one_process_inproc() -> None:
    plan = make_plan(embedded_config(), [str(EXAMPLE)])
    names = [a.name for a in plan.actors]
    assert names[0] == "supervisor"
    venues = ("usdm", "coinm", "bybit", "okx", "deribit")
    assert set(names) == {
        "supervisor", "recorder", "monitor", "sim", "oracles", "validator", "risk", "strategy",
        "pricing", "portfolio", "hedger", "rfq", "sim_mm", *(f"feed_{v}" for v in venues),
        *(f"exec_{v}" for v in venues),
    }  # fmt: skip
    hedge = [p.name for p in plan.directory.reliable_for("hedge.request.ETH")]
    assert {"recorder", "hedger"} <= set(hedge)
    kinds = {a.kind for a in embedded_config().actors}
    assert {"sim_world", "sim_feed", "execution", "sim_oracle", "validator", "risk"} <= kinds
    assert {a.process for a in plan.actors} == {"main"}
    assert all(p.pub.startswith("inproc://") for p in plan.directory.peers.values())
    rec = [p.name for p in plan.directory.reliable_for("exec.fill.binance-usdm")]
    assert {"recorder", "risk", "strategy", "portfolio"} <= set(rec)
    assert [p.name for p in plan.directory.reliable_for("cmd.order.submit")] == ["recorder", "risk"]
    place = [p.name for p in plan.directory.reliable_for("cmd.venue.binance-coinm.place")]
    assert place == ["recorder", "exec_coinm"]
    cancel = {p.name for p in plan.directory.reliable_for("cmd.order.cancel")}
    # Risk does not check a cancel, but its order table must know one is in flight (a
    # refused cancel must not read as the order's refusal).
    assert {"exec_usdm", "exec_coinm", "recorder", "risk"} <= cancel


def test_ipc_and_tcp_endpoints() -> None:
    cfg = parse_config(
        {
            "bus": {"transport": "ipc", "ipc_dir": "/tmp/x"},
            "actors": [{"name": "r", "kind": "recorder", "process": "p"}],
        }
    )
    plan = make_plan(cfg)
    assert plan.directory["r"].pub == "ipc:///tmp/x/engine.r.pub"
    assert plan.directory["supervisor_p"].process == "p"


def test_unknown_kind_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown actor kind"):
        resolve_kind("nope")
    with pytest.raises(ConfigError, match="cannot import"):
        resolve_kind("no_such_module:X")
    with pytest.raises(ConfigError, match="not an Actor"):
        resolve_kind("pyengine.config:EngineConfig")
    with pytest.raises(ConfigError, match=r"actors\.a\.options"):
        make_plan(parse_config({"actors": [{"name": "a", "kind": "risk", "options": {"bad": 1}}]}))
