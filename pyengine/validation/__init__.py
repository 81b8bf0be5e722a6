"""Market-data validity (docs/market-data-validity.md): pure logic the validator actor wraps."""

from pyengine.validation.config import ThresholdOverride, Thresholds, ValidatorConfig, infer_asset
from pyengine.validation.drift import DriftTracker
from pyengine.validation.instrument import InstrumentState, Verdict, deviation_bps
from pyengine.validation.oracle_ref import OracleBoard
from pyengine.validation.validator import MarketValidator

__all__ = [
    "DriftTracker",
    "InstrumentState",
    "MarketValidator",
    "OracleBoard",
    "ThresholdOverride",
    "Thresholds",
    "ValidatorConfig",
    "Verdict",
    "deviation_bps",
    "infer_asset",
]
