"""What every private-stream parser and client shares: credentials, exact decimals, errors."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson

from pyengine.errors import EngineError
from pyengine.messages import BalanceReport, OrderFilled, OrderUpdate, PositionReport
from pyengine.messages.execution import Side, parse_side

AccountEvent = OrderUpdate | OrderFilled | PositionReport | BalanceReport


class PrivateMessageError(EngineError, ValueError):
    """A private-stream or account REST payload that cannot be parsed; says which field."""


@dataclass(frozen=True)
class Credentials:
    """API key, secret and (OKX) passphrase. `repr` never shows the secret or passphrase."""

    api_key: str
    secret: str = field(repr=False)
    passphrase: str = field(default="", repr=False)

    @classmethod
    def from_env(cls, prefix: str) -> Credentials:
        """`<PREFIX>_API_KEY`, `<PREFIX>_API_SECRET`, `<PREFIX>_API_PASSPHRASE`."""
        key = os.environ.get(f"{prefix}_API_KEY", "")
        secret = os.environ.get(f"{prefix}_API_SECRET", "")
        if not key or not secret:
            raise PrivateMessageError(f"{prefix}_API_KEY and {prefix}_API_SECRET must be set")
        return cls(key, secret, os.environ.get(f"{prefix}_API_PASSPHRASE", ""))


def loads(raw: bytes) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise PrivateMessageError(f"not JSON: {exc}") from None


def dec(obj: dict[str, Any], key: str) -> Decimal:
    """The exact decimal in `obj[key]` (a string or integer, never a float)."""
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise PrivateMessageError(f"{key}: expected a decimal string, got {value!r}")
    try:
        d = Decimal(value)
    except InvalidOperation:
        raise PrivateMessageError(f"{key}: not a decimal: {value!r}") from None
    if not d.is_finite():
        raise PrivateMessageError(f"{key}: not finite: {value!r}")
    return d


def opt_dec(obj: dict[str, Any], key: str, zero_is_none: bool = False) -> Decimal | None:
    """Like `dec`, but absent or empty is None (and 0 too when `zero_is_none`)."""
    if obj.get(key) in (None, ""):
        return None
    d = dec(obj, key)
    return None if zero_is_none and d == 0 else d


def text(obj: dict[str, Any], key: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise PrivateMessageError(f"{key}: expected text, got {value!r}")
    return str(value)


def side_of(obj: dict[str, Any], key: str) -> Side:
    """An order side in any case ("BUY", "Sell", "buy")."""
    try:
        return parse_side(text(obj, key).lower())
    except ValueError:
        raise PrivateMessageError(f"{key}: expected buy or sell, got {obj.get(key)!r}") from None


def ms_ns(value: object) -> int:
    """Venue milliseconds (int or digit string) as ns; 0 when absent."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value * 1_000_000
    if isinstance(value, str) and value.isdigit():
        return int(value) * 1_000_000
    return 0


def rows(obj: Any, key: str = "data") -> list[dict[str, Any]]:
    data = obj.get(key) if isinstance(obj, dict) else None
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise PrivateMessageError(f"{key}: expected a list of objects")
    return data
