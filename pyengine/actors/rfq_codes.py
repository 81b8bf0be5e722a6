"""The RFQ API's numbered errors: code, HTTP status and message (docs/mint-redeem.md#error-codes).

Ethena answers errors numbered 0 to 37 and publishes the meaning of only a few; those keep
their documented numbers here (8, 9, 17, 18, 20, 23, 24, 28, 33, 34, 37). The others are
ours, chosen inside the same range so a client that switches on the number sees one range.
"""

from __future__ import annotations

import enum

from pyengine.chain.refusals import RefusalKind


class ApiCode(enum.IntEnum):
    INTERNAL = 0
    BAD_REQUEST = 1
    NOT_FOUND = 2
    METHOD_NOT_ALLOWED = 3
    UNSUPPORTED_PAIR = 4
    INVALID_SIGNATURE = 5
    BENEFACTOR_NOT_WHITELISTED = 6
    BENEFICIARY_NOT_APPROVED = 7
    SIZE_BELOW_GAS = 8  # documented
    MINT_CAPACITY = 9  # documented (block capacity exhausted; 9 mint, 17 redeem: our reading)
    UNKNOWN_RFQ = 10
    QUOTE_MISMATCH = 11
    INSUFFICIENT_BALANCE = 12
    INSUFFICIENT_ALLOWANCE = 13
    MINTING_PAUSED = 14
    INVALID_AMOUNT = 15
    STABLE_PRICE = 16
    REDEEM_CAPACITY = 17  # documented
    RFQ_EXPIRED = 18  # documented
    CHAIN_UNAVAILABLE = 19
    MARKET_MOVED = 20  # documented
    INVALID_ORDER = 21
    NOT_READY = 22
    ORDER_EXPIRY = 23  # documented (past expiry; ours: also less than 30 s ahead)
    DUPLICATE_NONCE = 24  # documented
    UNKNOWN_ORDER = 25
    UNSUPPORTED_ASSET = 26
    INVALID_ROUTE = 27
    THROTTLED = 28  # documented
    NO_PRICE_SOURCE = 33  # documented
    CONTRACT_BALANCE = 34  # documented
    RFQ_REUSED = 37  # documented

    @property
    def status(self) -> int:
        return _STATUS.get(self, 400)


_STATUS: dict[ApiCode, int] = {
    ApiCode.INTERNAL: 500,
    ApiCode.NOT_FOUND: 404,
    ApiCode.METHOD_NOT_ALLOWED: 405,
    ApiCode.BENEFACTOR_NOT_WHITELISTED: 403,
    ApiCode.BENEFICIARY_NOT_APPROVED: 403,
    ApiCode.UNKNOWN_RFQ: 404,
    ApiCode.UNKNOWN_ORDER: 404,
    ApiCode.MINTING_PAUSED: 503,
    ApiCode.NOT_READY: 503,
    ApiCode.CHAIN_UNAVAILABLE: 503,
    ApiCode.NO_PRICE_SOURCE: 503,
    ApiCode.THROTTLED: 429,
    ApiCode.RFQ_REUSED: 409,
}

_FROM_REFUSAL: dict[RefusalKind, ApiCode] = {
    RefusalKind.UNSUPPORTED_ASSET: ApiCode.UNSUPPORTED_ASSET,
    RefusalKind.MAX_MINT_PER_BLOCK: ApiCode.MINT_CAPACITY,
    RefusalKind.GLOBAL_MAX_MINT_PER_BLOCK: ApiCode.MINT_CAPACITY,
    RefusalKind.MAX_REDEEM_PER_BLOCK: ApiCode.REDEEM_CAPACITY,
    RefusalKind.GLOBAL_MAX_REDEEM_PER_BLOCK: ApiCode.REDEEM_CAPACITY,
    RefusalKind.INVALID_ORDER: ApiCode.INVALID_ORDER,
    RefusalKind.INVALID_EIP712_SIGNATURE: ApiCode.INVALID_SIGNATURE,
    RefusalKind.INVALID_EIP1271_SIGNATURE: ApiCode.INVALID_SIGNATURE,
    RefusalKind.UNKNOWN_SIGNATURE_TYPE: ApiCode.INVALID_SIGNATURE,
    RefusalKind.BENEFACTOR_NOT_WHITELISTED: ApiCode.BENEFACTOR_NOT_WHITELISTED,
    RefusalKind.BENEFICIARY_NOT_APPROVED: ApiCode.BENEFICIARY_NOT_APPROVED,
    RefusalKind.INVALID_ADDRESS: ApiCode.BAD_REQUEST,
    RefusalKind.INVALID_AMOUNT: ApiCode.INVALID_AMOUNT,
    RefusalKind.INVALID_STABLE_PRICE: ApiCode.STABLE_PRICE,
    RefusalKind.SIGNATURE_EXPIRED: ApiCode.ORDER_EXPIRY,
    RefusalKind.EXPIRY_TOO_SOON: ApiCode.ORDER_EXPIRY,
    RefusalKind.INVALID_ROUTE: ApiCode.INVALID_ROUTE,
    RefusalKind.INVALID_NONCE: ApiCode.DUPLICATE_NONCE,
    RefusalKind.INSUFFICIENT_ALLOWANCE: ApiCode.INSUFFICIENT_ALLOWANCE,
    RefusalKind.INSUFFICIENT_BALANCE: ApiCode.INSUFFICIENT_BALANCE,
    RefusalKind.INSUFFICIENT_CONTRACT_BALANCE: ApiCode.CONTRACT_BALANCE,
}


def code_of(kind: RefusalKind) -> ApiCode:
    """The API code of a contract refusal (the documented ones agree with `api_code`)."""
    return _FROM_REFUSAL[kind]
