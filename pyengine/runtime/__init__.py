"""The engine process: plan from config, run a process group, control socket."""

from pyengine.runtime.engine import Engine, default_child_argv
from pyengine.runtime.plan import KINDS, EnginePlan, make_plan, register_kind, resolve_kind

__all__ = [
    "KINDS",
    "Engine",
    "EnginePlan",
    "default_child_argv",
    "make_plan",
    "register_kind",
    "resolve_kind",
]
