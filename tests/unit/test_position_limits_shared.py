"""The risk gate's `max_position` table is the one a config writes: the plan hands it to
the hedger and pricing (pyengine/runtime/limits.py), keeps a planner's tighter limits, and
refuses a looser one, which would plan sells the gate refuses."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from pyengine.actors.base import ActorContext
from pyengine.actors.hedger import Hedger
from pyengine.actors.pricing import PricingActor
from pyengine.config import parse_config
from pyengine.errors import ConfigError
from pyengine.runtime.plan import EnginePlan, make_plan

GATE = {"instruments": {"okx:ETH-USDT-SWAP": {"max_position": "4000"},
                        "bybit:ETHUSDT": {"max_position": "2500.5"}}}  # fmt: skip


def plan(*actors: dict[str, Any]) -> EnginePlan:
    return make_plan(parse_config({"actors": list(actors)}))


def options(p: EnginePlan, name: str) -> dict[str, Any]:
    return next(a.options for a in p.actors if a.name == name)


def test_a_planner_without_limits_gets_the_gates_table() -> None:
    p = plan(
        {"name": "risk", "kind": "risk", "options": {"limits": GATE}},
        {"name": "hedger", "kind": "hedger"},
        {"name": "pricing", "kind": "pricing"},
    )
    want = {"okx:ETH-USDT-SWAP": "4000", "bybit:ETHUSDT": "2500.5"}
    assert options(p, "hedger")["max_position"] == want
    assert options(p, "pricing")["max_position"] == want
    # and the actors built from the plan plan inside it
    hedger = next(a for a in p.actors if a.name == "hedger")
    built = hedger.cls(_ctx("hedger", hedger.options))
    assert isinstance(built, Hedger)
    assert built.route.max_position[("okx", "ETH-USDT-SWAP")] == Decimal("4000")
    pricing = next(a for a in p.actors if a.name == "pricing")
    assert isinstance(pricing.cls(_ctx("pricing", pricing.options)), PricingActor)


def test_a_tighter_limit_is_kept_and_the_rest_filled_in() -> None:
    p = plan(
        {"name": "risk", "kind": "risk", "options": {"limits": GATE}},
        {"name": "hedger", "kind": "hedger",
         "options": {"max_position": {"okx:ETH-USDT-SWAP": "1000"}}},
    )  # fmt: skip
    assert options(p, "hedger")["max_position"] == {
        "okx:ETH-USDT-SWAP": "1000",
        "bybit:ETHUSDT": "2500.5",
    }


def test_a_looser_limit_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"bybit:ETHUSDT.*2600.*above the risk gate's 2500\.5"):
        plan(
            {"name": "risk", "kind": "risk", "options": {"limits": GATE}},
            {"name": "pricing", "kind": "pricing",
             "options": {"max_position": {"bybit:ETHUSDT": "2600"}}},
        )  # fmt: skip


def test_a_limits_file_and_several_gates(tmp_path: Path) -> None:
    f = tmp_path / "limits.toml"
    f.write_text('[instruments."okx:ETH-USDT-SWAP"]\nmax_position = "3000"\n')
    p = plan(
        {"name": "risk", "kind": "risk", "options": {"limits": GATE}},
        {"name": "risk2", "kind": "risk", "options": {"limits_file": str(f)}},
        {"name": "hedger", "kind": "hedger"},
    )
    assert options(p, "hedger")["max_position"]["okx:ETH-USDT-SWAP"] == "3000"


def test_a_planner_limit_that_is_not_a_table_is_a_config_error() -> None:
    for bad in ("4000", ["okx:ETH-USDT-SWAP"], {"okx:ETH-USDT-SWAP": "lots"}):
        with pytest.raises(ConfigError, match=r"max_position|decimal"):
            plan(
                {"name": "risk", "kind": "risk", "options": {"limits": GATE}},
                {"name": "hedger", "kind": "hedger", "options": {"max_position": bad}},
            )


def test_without_a_gate_limit_nothing_is_added() -> None:
    p = plan({"name": "risk", "kind": "risk"}, {"name": "hedger", "kind": "hedger"})
    assert "max_position" not in options(p, "hedger")


def _ctx(name: str, opts: dict[str, Any]) -> ActorContext:
    return ActorContext(name=name, options=opts)
