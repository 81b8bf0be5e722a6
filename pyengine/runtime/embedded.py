"""The embedded engine: what `pyengine run` starts with no config file.

Every actor in one process, trading on the simulated world: Binance USD-M and COIN-M,
Bybit (linear), OKX and Deribit, each speaking its own wire format, and a custodian
(`sim_world`), a feed and an execution actor per venue, simulated oracles,
the validator, pre-trade risk, the recorder and the monitor. The venues' instrument files
ship in the package (`pyengine.data`), so an installed wheel runs from any directory. The
wiring names actor kinds only: the runtime itself never imports the simulator.
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import msgspec

from pyengine.config import ActorConfig, EngineConfig
from pyengine.contracts import load_instruments_file
from pyengine.data.listings import WORLD_LISTINGS, WORLD_VENUES, world_instruments
from pyengine.runtime.plan import KINDS

SIM_WORLD = "sim"
SIM_VENUES: dict[str, list[str]] = {
    venue: [
        s for lst in WORLD_LISTINGS if lst.venue == venue and not lst.relist for s in lst.symbols
    ]
    for venue in WORLD_VENUES
}
"""The venues of the simulated world (`pyengine.sim.world.build_world`) and their
perpetuals; `sim_instruments` adds the quarterly futures listed at the time."""
SHORT = {
    "binance-usdm": "usdm",
    "binance-coinm": "coinm",
    "bybit": "bybit",
    "okx": "okx",
    "deribit": "deribit",
}
"""Actor name suffix per venue (`feed_usdm`, `exec_okx`, ...)."""
CATEGORIES = {"bybit": "linear"}
"""The Bybit category of each simulated venue's market-data connection."""
MAX_POSITION_USD = Decimal(300_000)
"""Per-instrument position limit of the embedded risk gate, about this notional."""
_PRICES = {"BTC": Decimal(60_000), "ETH": Decimal(3_000)}
API_PORT = 8780
"""The embedded RFQ API's port (`actors.rfq.options.port` in a config overrides it)."""


def sim_instruments(now_ms: int | None = None) -> list[tuple[str, str, list[str]]]:
    """(venue, instrument file, symbols) the simulated world lists at `now_ms` (now)."""
    now = time.time_ns() // 1_000_000 if now_ms is None else now_ms
    return [(v, str(path), symbols) for v, path, symbols in world_instruments(now)]


def _max_position(venue: str, path: str, symbol: str) -> str:
    """`MAX_POSITION_USD` in the instrument's own unit (coins, or contracts)."""
    (spec,) = [s for s in load_instruments_file(venue, path) if s.symbol == symbol]
    if spec.payoff == "inverse":
        qty = MAX_POSITION_USD / spec.multiplier
    else:
        qty = MAX_POSITION_USD / (_PRICES.get(spec.base, Decimal(100)) * spec.multiplier)
    return str(max(spec.lot, (qty // spec.lot) * spec.lot))


def default_risk_options(now_ms: int | None = None) -> dict[str, Any]:
    """Risk gate options of the embedded engine: the simulated venues' instrument files
    (the quarterly futures relisted as the world lists them) and a conservative limits
    table (amounts as strings: exact decimals)."""
    listed = sim_instruments(now_ms)
    return {
        "instruments": [
            {"venue": venue, "path": path, "symbols": symbols} for venue, path, symbols in listed
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
                f"{venue}:{sym}": {"max_position": _max_position(venue, path, sym)}
                for venue, path, symbols in listed
                for sym in symbols
            },
        },
    }


def validator_assets() -> dict[str, str]:
    """Oracle assets of the symbols the validator cannot infer: a Bybit feed publishes its
    books as `<category>:<symbol>` (`linear:BTCUSDT`)."""
    out: dict[str, str] = {}
    for venue, category in CATEGORIES.items():
        for sym in SIM_VENUES[venue]:
            base = next(a for a in ("BTC", "ETH") if sym.startswith(a))
            out[f"{category}:{sym}"] = base
    return out


def default_actors() -> list[ActorConfig]:
    """The embedded engine's actors: the simulated world (five venues and a custodian), a
    feed and an execution actor per venue, simulated oracles, the validator, pre-trade
    risk, the recorder and the monitor, all in the main process. Seeded: the same seed
    gives the same market; time is the wall clock."""
    world = SIM_WORLD
    short = SHORT
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
            name="validator",
            kind="validator",
            options={"defaults": {"resume_hold_ms": 3000}, "assets": validator_assets()},
        ),
        ActorConfig(name="risk", kind="risk", options=default_risk_options()),
        # The front door: the RFQ API on 127.0.0.1:8780 over the embedded chain (py-evm on
        # loopback, a block a second), and a simulated market maker using it over HTTP.
        ActorConfig(
            name="rfq",
            kind="rfq",
            options={"chain": "local", "host": "127.0.0.1", "port": API_PORT, "block_time_s": 1.0},
        ),
        ActorConfig(
            name="sim_mm",
            kind="sim_mm",
            options={"api_url": f"http://127.0.0.1:{API_PORT}", "interval_s": 5.0},
        ),
    ]
    if "pricing" in KINDS:  # the pricing actor, once its kind is registered
        out.append(ActorConfig(name="pricing", kind="pricing"))
    return out


def embedded_config(base: EngineConfig | None = None) -> EngineConfig:
    """The whole embedded engine: `base`'s settings (default: the config defaults) with
    `default_actors` in front of any actors it lists."""
    if base is None:
        return EngineConfig(actors=default_actors())
    return msgspec.structs.replace(base, actors=[*default_actors(), *base.actors])


__all__ = [
    "CATEGORIES",
    "SHORT",
    "SIM_VENUES",
    "SIM_WORLD",
    "default_actors",
    "default_risk_options",
    "embedded_config",
    "sim_instruments",
    "validator_assets",
]
