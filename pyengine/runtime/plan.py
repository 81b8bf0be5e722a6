"""From config to a plan: which actor classes, where each listens, who takes what reliably.

Each actor is built once here, to check its options and read its wiring (`topics`,
`colocated_with`): actor constructors have no side effects (`pyengine.actors.base.Actor`),
so this opens nothing. An actor that reads another actor's in-process state (a simulated
venue's feed, execution or oracle reads the `sim_world` of its process) says so with
`colocated_with()`; the plan refuses a config that puts them in different process groups.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from pyengine.actors.base import Actor, ActorContext
from pyengine.actors.directory import Directory, PeerAddress
from pyengine.actors.supervisor import SupervisorActor
from pyengine.config import ActorConfig, EngineConfig
from pyengine.errors import ConfigError
from pyengine.runtime.limits import gate_limits, is_gate, is_planner, planner_limits

KINDS: dict[str, str] = {
    "recorder": "pyengine.actors.recorder:Recorder",
    "monitor": "pyengine.actors.monitor:Monitor",
    "risk": "pyengine.actors.risk_gate:RiskGate",
    "sim_world": "pyengine.actors.sim_world:SimWorld",
    "sim_feed": "pyengine.actors.sim_feed:SimFeed",
    "feed": "pyengine.actors.feed:FeedActor",
    "execution": "pyengine.actors.execution:ExecutionActor",
    "sim_oracle": "pyengine.actors.sim_oracle:SimOracle",
    "pyth": "pyengine.actors.oracle:PythOracle",
    "redstone": "pyengine.actors.oracle:RedstoneOracle",
    "validator": "pyengine.actors.validator:Validator",
    "pricing": "pyengine.actors.pricing:PricingActor",
    "strategy": "pyengine.strategy:StrategyHost",
    "portfolio": "pyengine.actors.portfolio:PortfolioActor",
    "hedger": "pyengine.actors.hedger:Hedger",
    # The rfq actor with its HTTP server (the api floor sits beside the runtime).
    "rfq": "pyengine.api.service:RfqService",
    "sim_mm": "pyengine.actors.sim_mm:SimMarketMaker",
}


def register_kind(kind: str, target: str) -> None:
    """Name an actor class (`module:Class`) so configs can say `kind = "<kind>"`."""
    KINDS[kind] = target


def resolve_kind(kind: str, key: str = "kind") -> type[Actor]:
    """The actor class of a registered kind or a `module:Class` path."""
    target = KINDS.get(kind, kind)
    mod_name, _, cls_name = target.partition(":")
    if not cls_name:
        raise ConfigError(f"{key}: unknown actor kind {kind!r} (known: {', '.join(sorted(KINDS))})")
    try:
        module = importlib.import_module(mod_name)
    except ImportError as exc:
        raise ConfigError(f"{key}: cannot import {mod_name!r}: {exc}") from None
    cls = getattr(module, cls_name, None)
    if not (isinstance(cls, type) and issubclass(cls, Actor)):
        raise ConfigError(f"{key}: {target!r} is not an Actor class")
    return cls


@dataclass
class ActorPlan:
    """One actor as the engine will run it."""

    name: str
    cls: type[Actor]
    process: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class EnginePlan:
    """The whole engine: actors per process and the directory every process shares."""

    config: EngineConfig
    actors: list[ActorPlan]
    directory: Directory
    store_url: str

    def local(self, group: str) -> list[ActorPlan]:
        return [a for a in self.actors if a.process == group]


def supervisor_name(group: str) -> str:
    return "supervisor" if group == "main" else f"supervisor_{group}"


def _endpoints(cfg: EngineConfig, index: int, name: str, a: ActorConfig | None) -> tuple[str, str]:
    bus = cfg.bus
    if bus.transport == "inproc":
        pub, box = f"inproc://{cfg.name}.{name}.pub", f"inproc://{cfg.name}.{name}.mailbox"
    elif bus.transport == "ipc":
        pub, box = (
            f"ipc://{bus.ipc_dir}/{cfg.name}.{name}.pub",
            f"ipc://{bus.ipc_dir}/{cfg.name}.{name}.mailbox",
        )
    else:
        port = bus.tcp_base_port + 2 * index
        pub, box = f"tcp://{bus.tcp_host}:{port}", f"tcp://{bus.tcp_host}:{port + 1}"
    if a is not None:
        pub, box = a.pub or pub, a.mailbox or box
    return pub, box


def _store_url(cfg: EngineConfig) -> str:
    url = cfg.store.url
    if url == "sqlite:///var/engine.db" and cfg.var_dir != "./var":
        return f"sqlite:///{Path(cfg.var_dir) / 'engine.db'}"
    return url


def make_plan(cfg: EngineConfig, strategies: list[str] | None = None) -> EnginePlan:
    """Resolve every actor class and endpoint; `strategies` adds `--strategy` files."""
    actor_cfgs = list(cfg.actors)
    for i, path in enumerate(strategies or []):
        name = "strategy" if i == 0 else f"strategy{i + 1}"
        actor_cfgs.append(ActorConfig(name=name, kind="strategy", options={"path": path}))
    store_url = _store_url(cfg)
    plans: list[ActorPlan] = []
    peers: list[PeerAddress] = []
    needs: dict[str, tuple[int, tuple[str, ...]]] = {}
    index = 0
    for group in cfg.processes():
        name = supervisor_name(group)
        pub, box = _endpoints(cfg, index, name, None)
        index += 1
        peers.append(PeerAddress(name, pub, box, (), group))
        plans.append(ActorPlan(name, SupervisorActor, group))
    classes = [resolve_kind(a.kind, f"actors[{i}].kind") for i, a in enumerate(actor_cfgs)]
    # The risk gates first: their position limits are the hedger's and pricing's.
    gates = {
        i: _build(cls, actor_cfgs[i], i, store_url) for i, cls in enumerate(classes) if is_gate(cls)
    }
    limits = gate_limits(list(gates.values()))
    for i, cls in enumerate(classes):
        a = actor_cfgs[i]
        own = a.options.get("max_position") or {}
        # (a `max_position` that is not a table is left to the actor's own check to name)
        if limits and is_planner(cls) and isinstance(own, dict):
            where = f"actors[{i}] ({a.name}).options"
            options = {**a.options, "max_position": planner_limits(own, limits, where)}
            a = actor_cfgs[i] = msgspec.structs.replace(a, options=options)
        checked = gates[i] if i in gates else _build(cls, a, i, store_url)
        pub, box = _endpoints(cfg, index, a.name, a)
        index += 1
        _, reliable = checked.topics()
        colocated = checked.colocated_with()
        if colocated:
            needs[a.name] = (i, colocated)
        peers.append(PeerAddress(a.name, pub, box, tuple(reliable), a.process))
        plans.append(ActorPlan(a.name, cls, a.process, dict(a.options)))
    _check_colocation(actor_cfgs, needs)
    return EnginePlan(cfg, plans, Directory(peers), store_url)


def _build(cls: type[Actor], a: ActorConfig, i: int, store_url: str) -> Actor:
    """An instance of `a`, which checks its options; any failure is a `ConfigError`."""
    try:
        return cls(ActorContext(name=a.name, options=a.options, store_url=store_url))
    except ConfigError:
        raise
    except Exception as exc:
        raise ConfigError(f"actors[{i}] ({a.name}): {type(exc).__name__}: {exc}") from exc


def _check_colocation(
    actors: list[ActorConfig], needs: dict[str, tuple[int, tuple[str, ...]]]
) -> None:
    process = {a.name: a.process for a in actors}
    for name, (i, others) in needs.items():
        for other in others:
            if other not in process:
                raise ConfigError(
                    f"actors[{i}] ({name}): needs actor {other!r} in its process, and there is none"
                )
            if process[other] != process[name]:
                raise ConfigError(
                    f"actors[{i}].process: {name} reads {other!r} in memory, so both must run in"
                    f" one process group ({process[name]!r} != {process[other]!r})"
                )
