"""The simulated world of the embedded default: venues, a custodian and their market.

`build_world` makes a Binance USD-M (linear, USDT) and a Binance COIN-M (inverse, coin)
simulated exchange from the real instrument files shipped in `pyengine.data`, driven by a
seeded market model (or a looped capture), plus one Copper-like custodian that delegates
to both. Pass a `VirtualScheduler` for tests and backtests, a `RealtimeScheduler` for
`pyengine run`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from pyengine.contracts import InstrumentSpec, load_instruments_file
from pyengine.data import COINM_INSTRUMENTS, USDM_INSTRUMENTS, data_path
from pyengine.sim.clock import Scheduler
from pyengine.sim.custodian import SimCustodian
from pyengine.sim.exchange import SimExchange
from pyengine.sim.market import CaptureMarket, MarketModel, SeededMarket, SymbolParams
from pyengine.sim.profiles import profile

USDM_FILE = data_path(USDM_INSTRUMENTS)
COINM_FILE = data_path(COINM_INSTRUMENTS)
STARTS = {"BTC": Decimal(60000), "ETH": Decimal(3000)}


def specs_from(venue: str, path: Path, symbols: list[str]) -> dict[str, InstrumentSpec]:
    """The named instruments of a saved instrument response."""
    specs = {s.symbol: s for s in load_instruments_file(venue, path)}
    missing = [s for s in symbols if s not in specs]
    if missing:
        raise KeyError(f"{path.name}: no instrument {', '.join(missing)}")
    return {s: specs[s] for s in symbols}


def seeded_for(specs: dict[str, InstrumentSpec], seed: int, step_ns: int) -> SeededMarket:
    """A seeded market over `specs`, sized in each instrument's own unit."""
    params = []
    for sym, spec in sorted(specs.items()):
        start = STARTS.get(spec.base, Decimal(100))
        size = Decimal(1000) if spec.payoff == "inverse" else Decimal(2)
        params.append(SymbolParams(sym, start, spec.tick, spec.lot, base_size=size))
    return SeededMarket(params, seed=seed, step_ns=step_ns)


@dataclass
class World:
    """Everything simulated, on one scheduler."""

    scheduler: Scheduler
    exchanges: dict[str, SimExchange]
    custodian: SimCustodian

    def start(self) -> None:
        """Schedule markets, funding, expiries and settlement cycles."""
        for ex in self.exchanges.values():
            ex.start()
        self.custodian.start()


def build_world(
    scheduler: Scheduler,
    *,
    seed: int = 7,
    step_ns: int = 100_000_000,
    capture: Path | None = None,
    funds: dict[str, Decimal] | None = None,
) -> World:
    """The embedded default world; `capture` loops a Binance USD-M capture instead of the
    seeded model for the linear venue."""
    usdm_specs = specs_from("binance-usdm", USDM_FILE, ["BTCUSDT", "ETHUSDT"])
    coinm_specs = specs_from("binance-coinm", COINM_FILE, ["BTCUSD_PERP", "ETHUSD_PERP"])
    usdm_market: MarketModel
    if capture is not None:
        cap = CaptureMarket("binance-usdm", capture)
        usdm_specs = {s: sp for s, sp in usdm_specs.items() if s in cap.symbols}
        usdm_market = cap
    else:
        usdm_market = seeded_for(usdm_specs, seed, step_ns)
    usdm = SimExchange(
        profile("binance-usdm"), usdm_specs, usdm_market, scheduler, seed=seed, step_ns=step_ns
    )
    coinm = SimExchange(
        profile("binance-coinm"),
        coinm_specs,
        seeded_for(coinm_specs, seed + 1, step_ns),
        scheduler,
        seed=seed + 1,
        step_ns=step_ns,
    )
    custodian = SimCustodian("copper-sim", scheduler, [usdm, coinm])
    for ccy, amount in sorted((funds or {"USDT": Decimal(1_000_000), "BTC": Decimal(10)}).items()):
        custodian.fund(ccy, amount)
    return World(scheduler, {usdm.venue: usdm, coinm.venue: coinm}, custodian)
