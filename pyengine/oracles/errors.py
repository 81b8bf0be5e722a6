"""Errors of the oracle clients."""

from __future__ import annotations


class OracleParseError(ValueError):
    """An oracle response that cannot be parsed at all (one bad item is counted, not raised)."""
