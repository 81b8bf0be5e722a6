"""The simulated world of the embedded default: venues, a custodian and their market.

`build_world` makes one simulated exchange per venue of `pyengine.data.listings`
(Binance USD-M and COIN-M, Bybit linear, OKX swaps, Deribit), with the real instruments
of the files shipped in `pyengine.data` and quarterly futures relisted from them, each
speaking its venue's own wire format. One `SharedIndex` per asset drives every venue's
books (each adds its own premium, and a dated future its basis), so prices agree across
venues as they do live. A looped capture may replace the seeded model of Binance USD-M.
One Copper-like custodian delegates to every venue. Pass a `VirtualScheduler` for tests
and backtests, a `RealtimeScheduler` for `pyengine run`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from pyengine.contracts import InstrumentSpec, load_instruments_file
from pyengine.data import COINM_INSTRUMENTS, USDM_INSTRUMENTS, data_path
from pyengine.data.listings import world_instruments
from pyengine.sim.clock import Scheduler
from pyengine.sim.custodian import SimCustodian
from pyengine.sim.exchange import SimExchange
from pyengine.sim.index import IndexParams, SharedIndex
from pyengine.sim.market import CaptureMarket, MarketModel, SeededMarket, SymbolParams
from pyengine.sim.profiles import profile

USDM_FILE = data_path(USDM_INSTRUMENTS)
COINM_FILE = data_path(COINM_INSTRUMENTS)
STARTS = {"BTC": Decimal(60000), "ETH": Decimal(3000)}
LEVEL_USD = Decimal(150_000)
"""About this much notional per book level, in each instrument's own unit."""
BASIS_APR = {"binance-coinm": 0.05, "deribit": 0.06}
"""Annualised basis of the dated futures over the index, per venue."""


def specs_from(venue: str, path: Path, symbols: list[str]) -> dict[str, InstrumentSpec]:
    """The named instruments of a saved instrument response."""
    specs = {s.symbol: s for s in load_instruments_file(venue, path)}
    missing = [s for s in symbols if s not in specs]
    if missing:
        raise KeyError(f"{path.name}: no instrument {', '.join(missing)}")
    return {s: specs[s] for s in symbols}


def level_size(spec: InstrumentSpec, price: Decimal) -> Decimal:
    """`LEVEL_USD` in `spec`'s unit: coins x multiplier for linear, contracts of
    `multiplier` USD for inverse; at least one lot."""
    if spec.payoff == "inverse":
        qty = LEVEL_USD / spec.multiplier
    else:
        qty = LEVEL_USD / (price * spec.multiplier)
    return max(spec.lot, (qty // spec.lot) * spec.lot)


def seeded_for(
    specs: dict[str, InstrumentSpec],
    seed: int,
    step_ns: int,
    index: SharedIndex,
    basis_apr: float = 0.0,
) -> SeededMarket:
    """A seeded market over `specs` on the world's index of each base asset, sized in each
    instrument's own unit; dated futures carry `basis_apr`."""
    params = []
    for sym, spec in sorted(specs.items()):
        start = STARTS.get(spec.base, Decimal(100))
        expiry = spec.expiry_ms if spec.kind == "future" else None
        params.append(
            SymbolParams(
                sym,
                start,
                spec.tick,
                spec.lot,
                base_size=level_size(spec, start),
                asset=spec.base,
                expiry_ns=expiry * 1_000_000 if expiry is not None else None,
                basis_apr=basis_apr if expiry is not None else 0.0,
            )
        )
    return SeededMarket(params, seed=seed, step_ns=step_ns, index=index)


@dataclass
class World:
    """Everything simulated, on one scheduler."""

    scheduler: Scheduler
    exchanges: dict[str, SimExchange]
    custodian: SimCustodian
    index: SharedIndex | None = None

    def start(self) -> None:
        """Schedule markets, funding, expiries and settlement cycles."""
        for ex in self.exchanges.values():
            ex.start()
        self.custodian.start()


def world_specs(now_ms: int) -> dict[str, dict[str, InstrumentSpec]]:
    """Per venue, the instruments the world lists at `now_ms`."""
    out: dict[str, dict[str, InstrumentSpec]] = {}
    for venue, path, symbols in world_instruments(now_ms):
        out.setdefault(venue, {}).update(specs_from(venue, path, symbols))
    return out


def build_world(
    scheduler: Scheduler,
    *,
    seed: int = 7,
    step_ns: int = 100_000_000,
    capture: Path | None = None,
    funds: dict[str, Decimal] | None = None,
    overrides: dict[str, dict[str, object]] | None = None,
) -> World:
    """The embedded default world; `capture` loops a Binance USD-M capture instead of the
    seeded model for that venue; `overrides` changes venue profile fields by venue
    (`{"okx": {"okx_checksum": "zero"}}`)."""
    listings = world_specs(scheduler.now_ns() // 1_000_000)
    bases = sorted({sp.base for specs in listings.values() for sp in specs.values()})
    starts = {a: IndexParams(STARTS.get(a, Decimal(100))) for a in bases}
    index = SharedIndex(starts, seed, step_ns)
    exchanges: dict[str, SimExchange] = {}
    for k, (venue, listed) in enumerate(listings.items()):
        market: MarketModel
        specs = listed
        if capture is not None and venue == "binance-usdm":
            cap = CaptureMarket(venue, capture)
            specs = {s: sp for s, sp in listed.items() if s in cap.symbols}
            market = cap
        else:
            market = seeded_for(specs, seed + k, step_ns, index, BASIS_APR.get(venue, 0.0))
        prof = profile(venue, **(overrides or {}).get(venue, {}))
        exchanges[venue] = SimExchange(
            prof, specs, market, scheduler, seed=seed + k, step_ns=step_ns
        )
    custodian = SimCustodian("copper-sim", scheduler, list(exchanges.values()))
    for ccy, amount in sorted((funds or {"USDT": Decimal(1_000_000), "BTC": Decimal(10)}).items()):
        custodian.fund(ccy, amount)
    return World(scheduler, exchanges, custodian, index)
