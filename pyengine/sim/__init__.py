"""The simulated world: exchanges, an OES custodian and market models, deterministic under
a seed and an injected clock (see `pyengine.sim.world.build_world`)."""

from pyengine.sim.clock import RealtimeScheduler, Scheduler, VirtualScheduler
from pyengine.sim.custodian import SimCustodian
from pyengine.sim.exchange import SimExchange
from pyengine.sim.market import CaptureMarket, MarketUpdate, SeededMarket, SymbolParams
from pyengine.sim.profiles import PROFILES, VenueProfile, profile
from pyengine.sim.world import World, build_world

__all__ = [
    "PROFILES",
    "CaptureMarket",
    "MarketUpdate",
    "RealtimeScheduler",
    "Scheduler",
    "SeededMarket",
    "SimCustodian",
    "SimExchange",
    "SymbolParams",
    "VenueProfile",
    "VirtualScheduler",
    "World",
    "build_world",
    "profile",
]
