"""One root for every exception the engine raises (the bottom floor).

`EngineError` is the native extension's root (`pyengine._core.EngineError`), re-exported,
so a caller catches one name for a Rust failure (bad decimal, unknown venue, contract math)
and a Python one (bad config, undecodable message, store, venue client, oracle, control
socket) alike. Every exception class of the package derives from it and also from the
closest builtin, so `except OSError` or `except ConnectionError` still reads naturally.
The root itself is a plain `Exception`: a `StoreError` is an `OSError`, not a `ValueError`.
The native classes follow the same rule (engine_core/src/python/errors.rs): bad input
(`InvalidDecimal`, `InvalidArgument`, `VenueMessageError`, `UnknownVenue`,
`ContractMathError`, `InstrumentSpecError`, `RiskConfigError`) is a `ValueError`, and
`UnknownInstrument` (no book or no limits for that name) a `LookupError`.

Errors shared across layers are defined here; a package's own errors stay in that package
(`messages.codec.DecodeError`, `store.StoreError`, `oracles.errors`, `venues.private.errors`,
`runtime.control.ControlError`) and derive from this root. `tests/unit/test_errors.py`
walks every module and checks it.
"""

from __future__ import annotations

from pyengine._core import (
    ContractMathError,
    EngineError,
    InstrumentSpecError,
    InvalidDecimal,
    RiskConfigError,
    UnknownInstrument,
    UnknownVenue,
    VenueMessageError,
)


class ConfigError(EngineError, ValueError):
    """A config value is wrong; the message names the key."""


__all__ = [
    "ConfigError",
    "ContractMathError",
    "EngineError",
    "InstrumentSpecError",
    "InvalidDecimal",
    "RiskConfigError",
    "UnknownInstrument",
    "UnknownVenue",
    "VenueMessageError",
]
