"""Hedge routing: pure logic the router and the pricing actor share (no I/O)."""

from pyengine.routing.planner import (
    Candidate,
    Depth,
    HedgeLeg,
    HedgePlan,
    PlanRequest,
    VenueLimit,
    plan,
)

__all__ = [
    "Candidate",
    "Depth",
    "HedgeLeg",
    "HedgePlan",
    "PlanRequest",
    "VenueLimit",
    "plan",
]
