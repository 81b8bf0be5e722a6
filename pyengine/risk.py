"""Pre-trade risk for strategy scripts and the router.

`RiskEngine.check(instrument, side, qty, price, ts_ms)` returns a `Verdict`: truthy when
approved, otherwise `codes` and `reasons` list every check that refused the order (a
refusal is a value, never an exception). `check_batch(orders)` checks many in one call
and returns `BatchVerdicts`: `approved` (one bool per order), `refused` (indices) and
`codes` at once, and the order's `Verdict` by index or iteration (the same verdict the
single check gives). Checks: price tick and lot, min/max size and
notional, price band against the mark, order notional, position per instrument and
gross notional per venue, portfolio net delta, venue concentration, margin headroom and
liquidation distance after the order, order rate, and trading state (active /
reduce-only / halted, globally, per venue or per instrument). Exposure limits refuse only
orders that make things worse, so a breach can always be repaired.

The limits table comes from config and can be replaced at run time
(`RiskEngine.set_limits`, `set_state`). In TOML (`limits_from_toml`), amounts may be
strings or numbers; numbers are read as `Decimal`, never as binary floats::

    price_band = 0.05
    max_net_delta_usd = "250000"
    max_orders_per_window = 50
    rate_window_ms = 1000
    [venues.bybit]
    max_share = 0.5
    [instruments."binance-usdm:BTCUSDT"]
    max_position = "25"
    state = "reduce-only"

An unknown key is a `RiskConfigError`, so a typo never silently disables a limit. A side
other than "buy"/"sell", or an order that is not an `(instrument, side, qty, price,
ts_ms)` tuple, is `InvalidArgument`.
`Gatekeeper` is the mint/redeem circuit breaker (docs/risk-playbooks.md#gatekeeper).
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

from pyengine._core import (
    BatchVerdicts,
    EngineError,
    GateDecision,
    Gatekeeper,
    InvalidArgument,
    RiskConfigError,
    RiskEngine,
    UnknownInstrument,
    Verdict,
)

__all__ = [
    "BatchVerdicts",
    "EngineError",
    "GateDecision",
    "Gatekeeper",
    "InvalidArgument",
    "Order",
    "RiskConfigError",
    "RiskEngine",
    "UnknownInstrument",
    "Verdict",
    "engine_from_limits",
    "limits_from_toml",
    "limits_json",
    "position_limits",
    "read_limits",
]


class Order(NamedTuple):
    """One order for `RiskEngine.check_batch` (a plain tuple works too)."""

    instrument: int
    side: str
    qty: Decimal
    price: Decimal
    ts_ms: int = 0


def _plain(value: object, path: str) -> object:
    if isinstance(value, Mapping):
        return {str(k): _plain(v, f"{path}.{k}" if path else str(k)) for k, v in value.items()}
    if isinstance(value, bool) or value is None or isinstance(value, int | str):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, float):
        raise RiskConfigError(f"bad limit {path}: float {value!r} is not exact, use a str")
    raise RiskConfigError(f"bad limit {path}: unsupported value {value!r}")


def limits_json(limits: Mapping[str, object]) -> str:
    """The JSON text `RiskEngine` reads, from a mapping (Decimal values become strings)."""
    return json.dumps(_plain(limits, ""))


def read_limits(path: str | Path) -> dict[str, object]:
    """A limits table from TOML, numbers as Decimal."""
    with Path(path).open("rb") as f:
        return tomllib.load(f, parse_float=Decimal)


def limits_from_toml(path: str | Path) -> str:
    """Read a limits table from TOML (numbers as Decimal) and return its JSON text."""
    return limits_json(read_limits(path))


def position_limits(limits: Mapping[str, object]) -> dict[str, Decimal]:
    """`"venue:symbol"` -> `max_position` of a limits table's instruments that have one
    (units, either side). The table is the one a `RiskEngine` accepted, so each is exact."""
    out: dict[str, Decimal] = {}
    instruments = limits.get("instruments")
    if isinstance(instruments, Mapping):
        for key, inst in instruments.items():
            if isinstance(inst, Mapping) and inst.get("max_position") is not None:
                out[str(key)] = Decimal(str(inst["max_position"]))
    return out


def engine_from_limits(limits: Mapping[str, object] | str | Path | None = None) -> RiskEngine:
    """A `RiskEngine` from a mapping, a TOML file path, or nothing (no limits)."""
    if limits is None:
        return RiskEngine()
    if isinstance(limits, Mapping):
        return RiskEngine(limits_json(limits))
    return RiskEngine(limits_from_toml(limits))
