"""The embedded engine: what `pyengine run` starts with no config file.

Every actor in one process, trading on the simulated world: two simulated Binance venues
and a custodian (`sim_world`), a feed and an execution actor per venue, simulated oracles,
the validator, pre-trade risk, the recorder and the monitor. The venues' instrument files
ship in the package (`pyengine.data`), so an installed wheel runs from any directory. The
wiring names actor kinds only: the runtime itself never imports the simulator.
"""

from __future__ import annotations

from typing import Any

import msgspec

from pyengine.config import ActorConfig, EngineConfig
from pyengine.data import COINM_INSTRUMENTS, USDM_INSTRUMENTS, data_path

SIM_WORLD = "sim"
SIM_VENUES: dict[str, list[str]] = {
    "binance-usdm": ["BTCUSDT", "ETHUSDT"],
    "binance-coinm": ["BTCUSD_PERP", "ETHUSD_PERP"],
}
"""The venues and instruments of the simulated world (`pyengine.sim.world.build_world`)."""


def default_risk_options() -> dict[str, Any]:
    """Risk gate options of the embedded engine: the simulated venues' instrument files and
    a conservative limits table (amounts as strings: exact decimals)."""
    files = {"binance-usdm": USDM_INSTRUMENTS, "binance-coinm": COINM_INSTRUMENTS}
    return {
        "instruments": [
            {"venue": venue, "path": str(data_path(files[venue])), "symbols": symbols}
            for venue, symbols in SIM_VENUES.items()
        ],
        # The simulated world starts afresh in each process: positions come from its fills.
        "recover_positions": False,
        "limits": {
            "price_band": "0.02",
            "max_order_notional_usd": "500000",
            "max_net_delta_usd": "2000000",
            "min_margin_headroom_usd": "0",
            "max_orders_per_window": 20,
            "rate_window_ms": 1000,
            "instruments": {
                "binance-usdm:BTCUSDT": {"max_position": "5"},
                "binance-usdm:ETHUSDT": {"max_position": "100"},
                "binance-coinm:BTCUSD_PERP": {"max_position": "3000"},
                "binance-coinm:ETHUSD_PERP": {"max_position": "30000"},
            },
        },
    }


def default_actors() -> list[ActorConfig]:
    """The embedded engine's actors: the simulated world (two venues and a custodian), a
    feed and an execution actor per venue, simulated oracles, the validator, pre-trade
    risk, the recorder and the monitor, all in the main process. Seeded: the same seed
    gives the same market; time is the wall clock."""
    world = SIM_WORLD
    short = {"binance-usdm": "usdm", "binance-coinm": "coinm"}
    out = [
        # Besides every critical message: validity verdicts and the venues' account reports.
        ActorConfig(
            name="recorder",
            kind="recorder",
            options={"record_topics": ["health.gap.", "sup.", "md.validity.", "acct."]},
        ),
        ActorConfig(name="monitor", kind="monitor"),
        ActorConfig(name=world, kind="sim_world", options={"seed": 7}),
    ]
    for venue in SIM_VENUES:
        out.append(
            ActorConfig(
                name=f"feed_{short[venue]}",
                kind="sim_feed",
                options={"world": world, "venue": venue},
            )
        )
    for venue in SIM_VENUES:
        out.append(
            ActorConfig(
                name=f"exec_{short[venue]}",
                kind="execution",
                options={"client": "sim", "world": world, "venue": venue},
            )
        )
    out += [
        ActorConfig(name="oracles", kind="sim_oracle", options={"world": world}),
        # A 3 s resume hold (10 s by default) so a newcomer sees valid books sooner.
        ActorConfig(
            name="validator", kind="validator", options={"defaults": {"resume_hold_ms": 3000}}
        ),
        ActorConfig(name="risk", kind="risk", options=default_risk_options()),
    ]
    return out


def embedded_config(base: EngineConfig | None = None) -> EngineConfig:
    """The whole embedded engine: `base`'s settings (default: the config defaults) with
    `default_actors` in front of any actors it lists."""
    if base is None:
        return EngineConfig(actors=default_actors())
    return msgspec.structs.replace(base, actors=[*default_actors(), *base.actors])


__all__ = [
    "SIM_VENUES",
    "SIM_WORLD",
    "default_actors",
    "default_risk_options",
    "embedded_config",
]
