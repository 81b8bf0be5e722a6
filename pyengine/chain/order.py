"""The signed V2 mint/redeem order (docs/mint-redeem.md#signed-order): value types, EIP-712 digest,
signing, recovery.

Amounts are exact Python ints at every step (a 25 USDe order is already above 2^64). The
digest is eth-account's EIP-712 encoding of the contract's own type string, so it equals
`hashOrder` on chain; the differential test holds the two together.
"""

from __future__ import annotations

import enum
import functools
from typing import Any

import msgspec
from eth_account import Account
from eth_account.messages import SignableMessage, encode_typed_data
from eth_keys.datatypes import Signature as EcdsaSignature
from eth_keys.exceptions import BadSignature
from eth_utils.address import is_hex_address, to_checksum_address
from eth_utils.crypto import keccak

from pyengine.errors import EngineError

DOMAIN_NAME = "EthenaMinting"
DOMAIN_VERSION = "1"
MAINNET_CHAIN_ID = 1
MAINNET_V2_CONTRACT = "0xe3490297a08d6fC8Da46Edb7B6142E4F461b62D3"

# The contract's type string declares `uint128 expiry,uint120 nonce` while its ABI struct
# carries uint120 expiry and uint128 nonce (docs/mint-redeem.md#signed-order): the digest follows
# the type string.
ORDER_TYPE_STRING = (
    "Order(string order_id,uint8 order_type,uint128 expiry,uint120 nonce,address benefactor,"
    "address beneficiary,address collateral_asset,uint128 collateral_amount,uint128 usde_amount)"
)
ORDER_EIP712_FIELDS: tuple[dict[str, str], ...] = (
    {"name": "order_id", "type": "string"},
    {"name": "order_type", "type": "uint8"},
    {"name": "expiry", "type": "uint128"},
    {"name": "nonce", "type": "uint120"},
    {"name": "benefactor", "type": "address"},
    {"name": "beneficiary", "type": "address"},
    {"name": "collateral_asset", "type": "address"},
    {"name": "collateral_amount", "type": "uint128"},
    {"name": "usde_amount", "type": "uint128"},
)
DOMAIN_FIELDS: tuple[dict[str, str], ...] = (
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
)

# Bounds of the V2 ABI struct, which the contract's decoder enforces.
ORDER_ID_MAX_BYTES = 128  # Minting.vy: String[128]
SIGNATURE_MAX_BYTES = 1024  # Minting.vy: Bytes[1024]
ROUTE_MAX_LEN = 16
MAX_UINT120 = 2**120 - 1
MAX_UINT128 = 2**128 - 1
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
SECP256K1_HALF_N = SECP256K1_N // 2
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


class OrderType(enum.IntEnum):
    MINT = 0
    REDEEM = 1


class SignatureType(enum.IntEnum):
    EIP712 = 0
    EIP1271 = 1


class OrderSchemaError(EngineError, ValueError):
    """The order does not fit the V2 ABI (a field out of range, a malformed address)."""


class Order(msgspec.Struct, frozen=True, kw_only=True):
    """V2 `Order`, field for field; build it with `Order.checked` to enforce the ABI bounds."""

    order_id: str
    order_type: OrderType
    expiry: int
    nonce: int
    benefactor: str
    beneficiary: str
    collateral_asset: str
    collateral_amount: int
    usde_amount: int

    @classmethod
    def checked(
        cls,
        *,
        order_id: str,
        order_type: int,
        expiry: int,
        nonce: int,
        benefactor: str,
        beneficiary: str,
        collateral_asset: str,
        collateral_amount: int,
        usde_amount: int,
    ) -> Order:
        """Raise `OrderSchemaError` unless every field fits the V2 ABI struct."""
        if len(order_id.encode()) > ORDER_ID_MAX_BYTES:
            raise OrderSchemaError(f"order_id longer than {ORDER_ID_MAX_BYTES} bytes")
        if isinstance(order_type, bool) or order_type not in (OrderType.MINT, OrderType.REDEEM):
            raise OrderSchemaError(f"order_type {order_type} is neither MINT (0) nor REDEEM (1)")
        for name, value, top in (
            ("expiry", expiry, MAX_UINT120),
            ("nonce", nonce, MAX_UINT128),
            ("collateral_amount", collateral_amount, MAX_UINT128),
            ("usde_amount", usde_amount, MAX_UINT128),
        ):
            if type(value) is not int or not 0 <= value <= top:
                raise OrderSchemaError(f"{name} must be an integer in [0, {top}]")
        return cls(
            order_id=order_id,
            order_type=OrderType(order_type),
            expiry=expiry,
            nonce=nonce,
            benefactor=_address(benefactor, "benefactor"),
            beneficiary=_address(beneficiary, "beneficiary"),
            collateral_asset=_address(collateral_asset, "collateral_asset"),
            collateral_amount=collateral_amount,
            usde_amount=usde_amount,
        )

    def as_abi(self) -> tuple[Any, ...]:
        """The tuple a web3 contract call takes for the `Order` struct argument."""
        return (
            self.order_id,
            int(self.order_type),
            self.expiry,
            self.nonce,
            self.benefactor,
            self.beneficiary,
            self.collateral_asset,
            self.collateral_amount,
            self.usde_amount,
        )


class Signature(msgspec.Struct, frozen=True):
    # A SignatureType, or any other uint8 a caller of the contract may pass (refused as
    # UnknownSignatureType on both sides).
    signature_type: int
    signature_bytes: bytes

    def as_abi(self) -> tuple[int, bytes]:
        return (int(self.signature_type), self.signature_bytes)


class Route(msgspec.Struct, frozen=True):
    """Custodian split picked by the operator, not signed (docs/mint-redeem.md#route)."""

    addresses: tuple[str, ...]
    ratios: tuple[int, ...]

    def as_abi(self) -> tuple[list[str], list[int]]:
        return (list(self.addresses), list(self.ratios))


class Domain(msgspec.Struct, frozen=True):
    chain_id: int
    verifying_contract: str
    name: str = DOMAIN_NAME
    version: str = DOMAIN_VERSION


class UnsignableOrder(EngineError, ValueError):
    """The order has no EIP-712 digest under the type string (nonce wider than uint120)."""


def _address(value: str, field: str) -> str:
    if not isinstance(value, str) or not is_hex_address(value):
        raise OrderSchemaError(f"{field} is not a 20-byte hex address")
    return to_checksum_address(value)


def typed_data(order: Order, domain: Domain) -> dict[str, Any]:
    """The EIP-712 message a client signs (eth_signTypedData_v4 shape)."""
    return {
        "types": {"EIP712Domain": list(DOMAIN_FIELDS), "Order": list(ORDER_EIP712_FIELDS)},
        "primaryType": "Order",
        "domain": {
            "name": domain.name,
            "version": domain.version,
            "chainId": domain.chain_id,
            "verifyingContract": domain.verifying_contract,
        },
        "message": order_body(order),
    }


def order_body(order: Order) -> dict[str, Any]:
    """The order as JSON fields: the EIP-712 message, and the body of `POST /order` (amounts
    as integers of any size, as a market maker's client sends them)."""
    return {
        "order_id": order.order_id,
        "order_type": int(order.order_type),
        "expiry": order.expiry,
        "nonce": order.nonce,
        "benefactor": order.benefactor,
        "beneficiary": order.beneficiary,
        "collateral_asset": order.collateral_asset,
        "collateral_amount": order.collateral_amount,
        "usde_amount": order.usde_amount,
    }


def signable(order: Order, domain: Domain) -> SignableMessage:
    if order.nonce > MAX_UINT120:
        raise UnsignableOrder("nonce does not fit the type string's uint120")
    return encode_typed_data(full_message=typed_data(order, domain))


_ORDER_TYPEHASH = keccak(ORDER_TYPE_STRING.encode())
_DOMAIN_TYPEHASH = keccak(
    b"EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
)
_WIDTHS = (8, 128, 120, 128, 128)  # order_type, expiry, nonce, collateral_amount, usde_amount


@functools.lru_cache(maxsize=64)
def domain_separator(domain: Domain) -> bytes:
    """EIP-712 `hashStruct(EIP712Domain)` of the minting contract's domain."""
    return keccak(
        _DOMAIN_TYPEHASH
        + keccak(domain.name.encode())
        + keccak(domain.version.encode())
        + domain.chain_id.to_bytes(32, "big")
        + bytes(12)
        + bytes.fromhex(domain.verifying_contract[2:])
    )


def order_digest(order: Order, domain: Domain) -> bytes:
    """keccak256(0x1901 ‖ domainSeparator ‖ structHash): the contract's `hashOrder`.

    The struct is fixed, so its words are laid out here directly (EIP-712 `encodeData`: a
    string as its keccak, integers and addresses as 32-byte big-endian words), five times
    cheaper than eth_account's generic encoder on every POST; `tests/unit/test_chain_order.py`
    holds the two equal on random orders and the contract's `hashOrder` on the
    differential set."""
    ints: tuple[int, ...] = (int(order.order_type), order.expiry, order.nonce)
    ints += (order.collateral_amount, order.usde_amount)
    if any(not 0 <= v < 1 << w for v, w in zip(ints, _WIDTHS, strict=True)):
        raise UnsignableOrder("a field does not fit its type string width")
    words = [_ORDER_TYPEHASH, keccak(order.order_id.encode())]
    words += [v.to_bytes(32, "big") for v in ints[:3]]
    words += [bytes(12) + bytes.fromhex(a[2:]) for a in (
        order.benefactor, order.beneficiary, order.collateral_asset
    )]  # fmt: skip
    words += [v.to_bytes(32, "big") for v in ints[3:]]
    return keccak(b"\x19\x01" + domain_separator(domain) + keccak(b"".join(words)))


def sign_order(order: Order, domain: Domain, private_key: bytes | str) -> Signature:
    """EIP-712 signature (r ‖ s ‖ v, v in {27, 28}), as a market maker's client makes it."""
    signed = Account.sign_message(signable(order, domain), private_key=private_key)
    return Signature(SignatureType.EIP712, bytes(signed.signature))


def recover_signer(digest: bytes, signature_bytes: bytes) -> str | None:
    """Signer of a 65-byte r ‖ s ‖ v signature, or None where the contract's check fails.

    Mirrors Minting.vy `_recover`: exactly 65 bytes, v in {27, 28}, 0 < r < n and
    0 < s <= n/2 (EIP-2: a high-s twin is malleable and refused), and a recoverable point.
    """
    if len(signature_bytes) != 65:
        return None
    r = int.from_bytes(signature_bytes[0:32], "big")
    s = int.from_bytes(signature_bytes[32:64], "big")
    v = signature_bytes[64]
    if v not in (27, 28) or not 0 < r < SECP256K1_N or not 0 < s <= SECP256K1_HALF_N:
        return None
    try:
        sig = EcdsaSignature(vrs=(v - 27, r, s))
        return str(sig.recover_public_key_from_msg_hash(digest).to_checksum_address())
    except (BadSignature, ValueError):
        return None


def split_route(amount: int, ratios: tuple[int, ...]) -> tuple[int, ...]:
    """docs/mint-redeem.md#route: share = floor(amount x ratio / 10000), the remainder to the last
    custodian."""
    shares = [amount * r // 10_000 for r in ratios[:-1]]
    return (*shares, amount - sum(shares))
