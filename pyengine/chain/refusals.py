"""Typed refusals of a signed order, named as the minting contract's custom errors.

A refusal is a value, not an exception. `kind` is the V2 error name that Minting.vy reverts
with (its 4-byte selector is `selector`), so an off-chain refusal and an on-chain revert
compare directly. `api_code` is the RFQ API error code (docs/mint-redeem.md#error-codes) where those
are documented one; the other codes of Ethena's 0-37 list are unpublished, so those kinds carry None
and the HTTP layer answers them with its generic refusal.
"""

from __future__ import annotations

import enum

import msgspec
from eth_utils.crypto import keccak


class RefusalKind(enum.StrEnum):
    UNSUPPORTED_ASSET = "UnsupportedAsset"
    MAX_MINT_PER_BLOCK = "MaxMintPerBlockExceeded"
    GLOBAL_MAX_MINT_PER_BLOCK = "GlobalMaxMintPerBlockExceeded"
    MAX_REDEEM_PER_BLOCK = "MaxRedeemPerBlockExceeded"
    GLOBAL_MAX_REDEEM_PER_BLOCK = "GlobalMaxRedeemPerBlockExceeded"
    INVALID_ORDER = "InvalidOrder"
    INVALID_EIP712_SIGNATURE = "InvalidEIP712Signature"
    INVALID_EIP1271_SIGNATURE = "InvalidEIP1271Signature"
    UNKNOWN_SIGNATURE_TYPE = "UnknownSignatureType"
    BENEFACTOR_NOT_WHITELISTED = "BenefactorNotWhitelisted"
    BENEFICIARY_NOT_APPROVED = "BeneficiaryNotApproved"
    INVALID_ADDRESS = "InvalidAddress"
    INVALID_AMOUNT = "InvalidAmount"
    INVALID_STABLE_PRICE = "InvalidStablePrice"
    SIGNATURE_EXPIRED = "SignatureExpired"
    INVALID_ROUTE = "InvalidRoute"
    INVALID_NONCE = "InvalidNonce"
    INSUFFICIENT_ALLOWANCE = "InsufficientAllowance"
    INSUFFICIENT_BALANCE = "InsufficientBalance"
    INSUFFICIENT_CONTRACT_BALANCE = "InsufficientContractBalance"
    # Off-chain policy only (docs/mint-redeem.md#last-look): the contract accepts any unexpired
    # order.
    EXPIRY_TOO_SOON = "ExpiryTooSoon"

    @property
    def selector(self) -> bytes:
        """The 4-byte revert data Minting.vy / ERC20.vy emit for this kind."""
        return keccak(text=f"{self.value}()")[:4]

    @property
    def api_code(self) -> int | None:
        return _API_CODES.get(self)


# docs/mint-redeem.md#error-codes: the codes our checks emit. Which of 9/17 is mint and which redeem
# is not written down; 9 mint and 17 redeem is our reading.
_API_CODES: dict[RefusalKind, int] = {
    RefusalKind.MAX_MINT_PER_BLOCK: 9,
    RefusalKind.GLOBAL_MAX_MINT_PER_BLOCK: 9,
    RefusalKind.MAX_REDEEM_PER_BLOCK: 17,
    RefusalKind.GLOBAL_MAX_REDEEM_PER_BLOCK: 17,
    RefusalKind.SIGNATURE_EXPIRED: 23,
    RefusalKind.EXPIRY_TOO_SOON: 23,
    RefusalKind.INVALID_NONCE: 24,
    RefusalKind.INSUFFICIENT_CONTRACT_BALANCE: 34,
}

_BY_SELECTOR: dict[bytes, RefusalKind] = {k.selector: k for k in RefusalKind}


class Refusal(msgspec.Struct, frozen=True):
    kind: RefusalKind
    detail: str = ""

    @property
    def api_code(self) -> int | None:
        return self.kind.api_code


def kind_from_revert(data: bytes) -> RefusalKind | None:
    """Map revert data from the contract back to a refusal kind (None: not one of ours)."""
    return _BY_SELECTOR.get(bytes(data[:4])) if len(data) >= 4 else None
