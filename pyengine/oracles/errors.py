"""Errors of the oracle clients."""

from __future__ import annotations

from pyengine.errors import EngineError


class OracleParseError(EngineError, ValueError):
    """An oracle response that cannot be parsed at all (one bad item is counted, not raised)."""
