"""One table of position limits: the risk gate's.

The hedger and pricing plan sells only into the room each instrument has left under the
risk gate's `max_position` (`routing.request.sell_cap`); a plan past it is refused child by
child, and a hedge planned into a full instrument never ends. So the table is written once,
in the risk actor's limits, and the plan hands it on:

- a hedger or pricing actor that gives no `max_position` gets the gate's whole table;
- one that gives its own may only be tighter: an instrument it leaves out gets the gate's
  limit, and a limit above the gate's is a config error (it would plan what the gate
  refuses);
- with several gates, the tightest limit of each instrument holds.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from pyengine.actors.base import Actor
from pyengine.actors.hedger import Hedger
from pyengine.actors.pricing import PricingActor
from pyengine.actors.risk_gate import RiskGate
from pyengine.errors import ConfigError

PLANNERS = (Hedger, PricingActor)
"""The actors that plan sells into the gate's limits (their option `max_position`)."""


def is_gate(cls: type[Actor]) -> bool:
    return issubclass(cls, RiskGate)


def is_planner(cls: type[Actor]) -> bool:
    return issubclass(cls, PLANNERS)


def gate_limits(actors: list[Actor]) -> dict[str, Decimal]:
    """`"venue:symbol"` -> the tightest `max_position` of the risk gates among `actors`."""
    out: dict[str, Decimal] = {}
    for actor in actors:
        if isinstance(actor, RiskGate):
            for key, limit in actor.position_limits.items():
                out[key] = min(limit, out.get(key, limit))
    return out


def planner_limits(own: dict[str, Any], gate: dict[str, Decimal], where: str) -> dict[str, str]:
    """A planner's `max_position` under the gate's table: its own (checked to be no looser)
    and the gate's for every instrument it does not name."""
    for key, value in own.items():
        limit = gate.get(key)
        try:
            mine = Decimal(str(value))
        except InvalidOperation:
            continue  # the actor's own check names a bad value
        if limit is not None and mine > limit:
            raise ConfigError(
                f"{where}.max_position[{key!r}]: {value} is above the risk gate's {limit}: "
                "it would plan sells the gate refuses (leave it out to use the gate's)"
            )
    return {**{k: str(v) for k, v in gate.items()}, **{k: str(v) for k, v in own.items()}}
