"""The embedded engine: what `pyengine run` starts with no config file.

Every actor in one process, trading on the simulated world: Binance USD-M and COIN-M,
Bybit (linear), OKX and Deribit, each speaking its own wire format, and a custodian
(`sim_world`), a feed and an execution actor per venue, simulated oracles,
the validator, pricing, pre-trade risk, the recorder and the monitor. The venues' instrument files
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
MAX_POSITION_USD = Decimal(1_000_000)
"""Per-instrument position limit of the embedded risk gate, about this notional: room to
hedge the starting custody (about $3.6M) and the simulated market maker's mints within the
venues' concentration caps (at $300k the BTC custody alone filled every BTC instrument)."""
_PRICES = {"BTC": Decimal(60_000), "ETH": Decimal(3_000)}
SIM_CUSTODIAN = "copper-sim"
SIM_CUSTODY = {"USDT": "4000000", "BTC": "40", "ETH": "400"}
"""What the simulated custodian holds at start: given to the world and, as the custody it
starts from, to the portfolio (later changes reach it as messages). The delta keeper hedges
it at start, through the hedger."""
HEDGE_VENUES: dict[str, dict[str, str]] = {
    # The simulated venues' fees (their profiles) and concentration caps after the
    # documented split (docs/risk-playbooks.md#venue-split: Binance 50 %, Bybit 25 %, OKX
    # 15 %, Deribit 5 %), with room so an asset listed on fewer venues (ETH has no Bybit
    # perpetual here) can still be hedged whole.
    "binance-usdm": {"taker_fee": "0.0005", "maker_fee": "0.0002", "max_share": "0.5"},
    "binance-coinm": {"taker_fee": "0.0005", "maker_fee": "0.0002", "max_share": "0.25"},
    "bybit": {"taker_fee": "0.00055", "maker_fee": "0.0002", "max_share": "0.25"},
    "okx": {"taker_fee": "0.0005", "maker_fee": "0.0002", "max_share": "0.25"},
    "deribit": {"taker_fee": "0.0005", "maker_fee": "0", "max_share": "0.15"},
}
SIM_TAKER_FEES: dict[str, str] = {v: terms["taker_fee"] for v, terms in HEDGE_VENUES.items()}
"""The simulated venues' taker fees (VIP 0, `pyengine.sim.profiles`, which the runtime does
not import: a test keeps the two equal). Pricing and the hedger read the same table, so a
quote prices the fees the router pays."""
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


def default_pricing_options(now_ms: int | None = None) -> dict[str, Any]:
    """Pricing options of the embedded engine: the risk gate's instruments (every linear
    and inverse perpetual and future of the simulated venues) and position limits, the
    hedger's fees and concentration caps; the rest is `PricingConfig`'s defaults (gas $10,
    spread 1 bp, oracle band 50 bp)."""
    risk = default_risk_options(now_ms)
    return {
        "instruments": risk["instruments"],
        # the router's terms, so a quote prices the split the hedger will trade
        "taker_fees": dict(SIM_TAKER_FEES),
        "maker_fees": {v: terms["maker_fee"] for v, terms in HEDGE_VENUES.items()},
        "venue_max_share": {v: terms["max_share"] for v, terms in HEDGE_VENUES.items()},
        "max_position": _position_limits(risk),
    }


def _position_limits(risk: dict[str, Any]) -> dict[str, str]:
    """The risk gate's per-instrument `max_position`, for the router and pricing."""
    return {k: v["max_position"] for k, v in risk["limits"]["instruments"].items()}


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


def default_portfolio_options(now_ms: int | None = None) -> dict[str, Any]:
    """Portfolio and delta keeper of the embedded engine: the instruments the world lists,
    the custodian's starting custody, and no positions from an earlier run's journal (its
    simulated venues start afresh in every process, as the risk gate's)."""
    return {
        "instruments": [
            {"venue": venue, "path": path, "symbols": symbols}
            for venue, path, symbols in sim_instruments(now_ms)
        ],
        "custody": {SIM_CUSTODIAN: dict(SIM_CUSTODY)},
        "recover_positions": False,
    }


def default_hedger_options(now_ms: int | None = None) -> dict[str, Any]:
    """Hedger options of the embedded engine: the risk gate's instruments and position
    limits, the venues' fees and concentration caps."""
    risk = default_risk_options(now_ms)
    return {
        "instruments": risk["instruments"],
        "venues": HEDGE_VENUES,
        # the risk gate's per-instrument limits, so plans stay inside them
        "max_position": _position_limits(risk),
        # below the risk gate's max_order_notional_usd, so no child is refused for its size
        "max_child_usd": "400000",
        # the simulated world starts afresh in each process: nothing of an earlier run resumes
        "recover": False,
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
    feed and an execution actor per venue, simulated oracles, the validator, pricing,
    pre-trade risk, the recorder and the monitor, all in the main process. Seeded: the same seed
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
        ActorConfig(
            name=world, kind="sim_world", options={"seed": 7, "custody": dict(SIM_CUSTODY)}
        ),
    ]
    for venue in SIM_VENUES:
        out.append(
            ActorConfig(
                name=f"feed_{short[venue]}",
                kind="sim_feed",
                # BookDepth for pricing (docs/pricing.md#formula): 50 levels, <= 10 Hz a book.
                options={"world": world, "venue": venue, "book_depth": True},
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
        ActorConfig(name="portfolio", kind="portfolio", options=default_portfolio_options()),
        ActorConfig(name="pricing", kind="pricing", options=default_pricing_options()),
        ActorConfig(name="hedger", kind="hedger", options=default_hedger_options()),
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
    return out


def embedded_config(base: EngineConfig | None = None) -> EngineConfig:
    """The whole embedded engine: `base`'s settings (default: the config defaults) with
    `default_actors` in front of any actors it lists."""
    if base is None:
        return EngineConfig(actors=default_actors())
    return msgspec.structs.replace(base, actors=[*default_actors(), *base.actors])


__all__ = [
    "CATEGORIES",
    "HEDGE_VENUES",
    "SHORT",
    "SIM_TAKER_FEES",
    "SIM_VENUES",
    "SIM_WORLD",
    "default_actors",
    "default_hedger_options",
    "default_portfolio_options",
    "default_pricing_options",
    "default_risk_options",
    "embedded_config",
    "sim_instruments",
    "validator_assets",
]
