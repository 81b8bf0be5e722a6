"""What the RFQ HTTP layer hands the rfq actor and what it answers: typed, exact, no I/O.

The HTTP layer (`pyengine.api`) parses a request into one of the `*Query` / `OrderPost`
values below and hands it over as an `ApiCall` (an item of the actor's server source); the
actor decides and answers an `ApiAnswer`, which the server writes back. Amounts leave as
plain base-10 integer strings (a JSON float or scientific notation would round a 25 USDe
amount, which is above 2^64); they arrive as JSON integers of any size or such strings.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

import msgspec

from pyengine.actors.rfq_codes import ApiCode
from pyengine.errors import EngineError

Route = Literal["availability", "rfq", "order", "confirmation", "chain"]
_DIGITS = re.compile(r"[0-9]{1,80}")
_SIZE = re.compile(r"[0-9]{1,30}(\.[0-9]{1,18})?")


class ErrorBody(msgspec.Struct, frozen=True):
    error: str
    code: int


class Availability(msgspec.Struct, frozen=True):
    mint: list[str]
    redeem: list[str]


class RfqResponse(msgspec.Struct, frozen=True):
    rfq_id: str
    pair: str
    side: str
    size: str
    collateral_asset: str
    collateral_amount: str
    usde_amount: str
    gas: str


class OrderResponse(msgspec.Struct, frozen=True):
    tx: str


class ConfirmationResponse(msgspec.Struct, frozen=True):
    order_id: str
    status: str
    tx: str
    block: int = 0


class ChainInfo(msgspec.Struct, frozen=True):
    """Ours, beyond Ethena's API: where orders settle, so a client can sign for it."""

    chain_id: int
    minting_contract: str
    rpc_url: str
    tokens: dict[str, str]


class OrderBody(msgspec.Struct, frozen=True, forbid_unknown_fields=False):
    """The signed V2 order as posted (field names of Ethena's API and the V2 struct)."""

    order_id: str
    order_type: int | str
    expiry: int | str
    nonce: int | str
    benefactor: str
    beneficiary: str
    collateral_asset: str
    collateral_amount: int | str
    usde_amount: int | str


class RfqQuery(msgspec.Struct, frozen=True):
    pair: str
    side: Literal["MINT", "REDEEM"]
    size: Decimal
    type_: str = "ALGO"
    benefactor: str = ""


class OrderPost(msgspec.Struct, frozen=True):
    order_id: str
    order_type: int
    expiry: int
    nonce: int
    benefactor: str
    beneficiary: str
    collateral_asset: str
    collateral_amount: int
    usde_amount: int
    signature: bytes
    signature_type: int


class ConfirmationQuery(msgspec.Struct, frozen=True):
    order_id: str


Payload = Availability | RfqResponse | OrderResponse | ConfirmationResponse | ChainInfo | ErrorBody


@dataclass(frozen=True, slots=True)
class ApiAnswer:
    status: int
    body: Payload

    @classmethod
    def error(cls, code: ApiCode, message: str) -> ApiAnswer:
        return cls(code.status, ErrorBody(error=message, code=int(code)))


@dataclass(frozen=True, slots=True)
class ApiCall:
    """One HTTP request for the actor; `reply` hands the answer back to the server."""

    correlation_id: str
    route: Route
    params: RfqQuery | OrderPost | ConfirmationQuery | None
    reply: Callable[[ApiAnswer], None]


class ParseError(EngineError, ValueError):
    """A request that does not parse; its message is the API error text (code 1)."""


def base_units(value: object, field: str) -> int:
    """An amount in base units: a JSON integer of any size, or a plain base-10 string."""
    if type(value) is int:
        if value < 0:
            raise ParseError(f"{field} must not be negative")
        return value
    if isinstance(value, str) and _DIGITS.fullmatch(value):
        return int(value)
    raise ParseError(f"{field} must be a non-negative integer or a base-10 integer string")


def parse_order(body: OrderBody, signature: str, signature_type: str) -> OrderPost:
    sig = signature.strip()
    if not sig.startswith("0x") or len(sig) % 2:
        raise ParseError("signature must be 0x-prefixed hex")
    try:
        sig_bytes = bytes.fromhex(sig[2:])
    except ValueError:
        raise ParseError("signature must be 0x-prefixed hex") from None
    kinds = {"": 0, "EIP712": 0, "EIP1271": 1}
    if signature_type.upper() not in kinds:
        raise ParseError("signature_type must be EIP712 or EIP1271")
    return OrderPost(
        order_id=body.order_id,
        order_type=base_units(body.order_type, "order_type"),
        expiry=base_units(body.expiry, "expiry"),
        nonce=base_units(body.nonce, "nonce"),
        benefactor=body.benefactor,
        beneficiary=body.beneficiary,
        collateral_asset=body.collateral_asset,
        collateral_amount=base_units(body.collateral_amount, "collateral_amount"),
        usde_amount=base_units(body.usde_amount, "usde_amount"),
        signature=sig_bytes,
        signature_type=kinds[signature_type.upper()],
    )


def parse_rfq(params: dict[str, str]) -> RfqQuery:
    pair = params.get("pair", "")
    side = params.get("side", "").upper()
    if not pair:
        raise ParseError("pair is required")
    if side not in ("MINT", "REDEEM"):
        raise ParseError("side must be MINT or REDEEM")
    raw = params.get("size", "")
    if not _SIZE.fullmatch(raw):
        raise ParseError("size must be a plain decimal number with at most 18 decimals")
    try:
        size = Decimal(raw)
    except (InvalidOperation, ValueError):
        raise ParseError("size must be a decimal number") from None
    if size <= 0:
        raise ParseError("size must be positive")
    return RfqQuery(
        pair=pair,
        side="MINT" if side == "MINT" else "REDEEM",
        size=size,
        type_=params.get("type_", "ALGO"),
        benefactor=params.get("benefactor", ""),
    )


def plain(n: int) -> str:
    """A base-unit amount as the API writes it: a base-10 integer string."""
    return str(n)


def plain_decimal(d: Decimal) -> str:
    """A decimal in fixed-point notation (never `1E+2`)."""
    return format(d.normalize(), "f") if d == d.to_integral_value() else format(d, "f")
