"""Off-chain validation of a signed order: the minting contract's rules as pure functions.

Each check mirrors Minting.vy (and ERC20.vy for the token moves) in the same order, so the
first refusal here is the revert the chain would give; the differential test
(tests/integration/test_chain_differential.py) holds that for generated orders. The chain
facts an order needs are read once into `OrderFacts` (ChainClient.order_facts); the checks
themselves do no I/O.
"""

from __future__ import annotations

import msgspec

from pyengine.chain.order import (
    MAX_UINT120,
    ZERO_ADDRESS,
    Domain,
    Order,
    OrderType,
    Route,
    Signature,
    SignatureType,
    order_digest,
    recover_signer,
    split_route,
)
from pyengine.chain.refusals import Refusal, RefusalKind

TOKEN_STABLE = 0
DELEGATE_ACCEPTED = 2
ROUTE_TOTAL_BPS = 10_000
STABLES_BPS = 10_000
UNLIMITED_ALLOWANCE = 2**256 - 1
MIN_EXPIRY_AHEAD_S = 30


class TokenConfig(msgspec.Struct, frozen=True):
    token_type: int
    is_active: bool
    max_mint_per_block: int
    max_redeem_per_block: int


class OrderFacts(msgspec.Struct, frozen=True, kw_only=True):
    """What the chain says about one order, read at one block (all amounts exact ints)."""

    domain: Domain
    timestamp: int
    token: TokenConfig
    collateral_decimals: int
    usde_decimals: int
    asset_minted: int
    asset_redeemed: int
    global_minted: int
    global_redeemed: int
    global_max_mint: int
    global_max_redeem: int
    stables_delta_limit: int
    benefactor_whitelisted: bool
    beneficiary_approved: bool
    # delegatedSigner(signer, benefactor) for the signer recovered off-chain
    delegation_status: int
    # isValidSignature through the chain, for EIP-1271 orders only
    eip1271_valid: bool | None
    custodians: frozenset[str]
    nonce_word: int
    collateral_balance: int
    collateral_allowance: int
    usde_balance: int
    usde_allowance: int
    contract_collateral_balance: int


def _refuse(kind: RefusalKind, detail: str = "") -> Refusal:
    return Refusal(kind, detail)


def check_caps(order: Order, facts: OrderFacts, *, is_mint: bool) -> Refusal | None:
    """Per-asset then global per-block cap (docs/mint-redeem.md#block-limits: V2 TokenConfig /
    GlobalConfig).

    The function called (mint or redeem) picks the caps, not the order's type: the type is
    only checked after the caps, as on chain.
    """
    if not facts.token.is_active:
        return _refuse(RefusalKind.UNSUPPORTED_ASSET, order.collateral_asset)
    amount = order.usde_amount
    if is_mint:
        if facts.asset_minted + amount > facts.token.max_mint_per_block:
            left = facts.token.max_mint_per_block - facts.asset_minted
            return _refuse(RefusalKind.MAX_MINT_PER_BLOCK, f"asset remaining {max(left, 0)}")
        if facts.global_minted + amount > facts.global_max_mint:
            left = facts.global_max_mint - facts.global_minted
            return _refuse(RefusalKind.GLOBAL_MAX_MINT_PER_BLOCK, f"remaining {max(left, 0)}")
        return None
    if facts.asset_redeemed + amount > facts.token.max_redeem_per_block:
        left = facts.token.max_redeem_per_block - facts.asset_redeemed
        return _refuse(RefusalKind.MAX_REDEEM_PER_BLOCK, f"asset remaining {max(left, 0)}")
    if facts.global_redeemed + amount > facts.global_max_redeem:
        left = facts.global_max_redeem - facts.global_redeemed
        return _refuse(RefusalKind.GLOBAL_MAX_REDEEM_PER_BLOCK, f"remaining {max(left, 0)}")
    return None


def stables_ok(order: Order, collateral_decimals: int, usde_decimals: int, limit_bps: int) -> bool:
    """docs/mint-redeem.md#stables-limit: only the side adverse to the protocol is bounded."""
    coll, usde = order.collateral_amount, order.usde_amount
    if usde_decimals > collateral_decimals:
        norm = coll * 10 ** (usde_decimals - collateral_decimals)
    else:
        norm = coll // 10 ** (collateral_decimals - usde_decimals)
    diff_bps = abs(norm - usde) * STABLES_BPS // usde
    if order.order_type == OrderType.MINT:
        return bool(usde <= norm or diff_bps <= limit_bps)
    return bool(norm <= usde or diff_bps <= limit_bps)


def check_signature(order: Order, signature: Signature, facts: OrderFacts) -> Refusal | None:
    if order.nonce > MAX_UINT120:
        return _refuse(RefusalKind.INVALID_NONCE, "nonce wider than the type string's uint120")
    if signature.signature_type == SignatureType.EIP712:
        signer = recover_signer(order_digest(order, facts.domain), signature.signature_bytes)
        if signer is None or not (
            signer == order.benefactor or facts.delegation_status == DELEGATE_ACCEPTED
        ):
            return _refuse(RefusalKind.INVALID_EIP712_SIGNATURE, f"signer {signer}")
        return None
    if signature.signature_type == SignatureType.EIP1271:
        if not facts.eip1271_valid:
            return _refuse(RefusalKind.INVALID_EIP1271_SIGNATURE)
        return None
    return _refuse(RefusalKind.UNKNOWN_SIGNATURE_TYPE)


def check_verify_order(order: Order, signature: Signature, facts: OrderFacts) -> Refusal | None:
    """The contract's `verifyOrder`, check for check."""
    refusal = check_signature(order, signature, facts)
    if refusal is not None:
        return refusal
    if not facts.benefactor_whitelisted:
        return _refuse(RefusalKind.BENEFACTOR_NOT_WHITELISTED, order.benefactor)
    if order.benefactor != order.beneficiary and not facts.beneficiary_approved:
        return _refuse(RefusalKind.BENEFICIARY_NOT_APPROVED, order.beneficiary)
    if order.beneficiary == ZERO_ADDRESS:
        return _refuse(RefusalKind.INVALID_ADDRESS, "beneficiary is the zero address")
    if order.collateral_amount == 0 or order.usde_amount == 0:
        return _refuse(RefusalKind.INVALID_AMOUNT)
    stable = facts.token.is_active and facts.token.token_type == TOKEN_STABLE
    if stable and not stables_ok(
        order, facts.collateral_decimals, facts.usde_decimals, facts.stables_delta_limit
    ):
        return _refuse(RefusalKind.INVALID_STABLE_PRICE)
    if facts.timestamp > order.expiry:
        return _refuse(RefusalKind.SIGNATURE_EXPIRED, f"expiry {order.expiry}")
    return None


def route_ok(route: Route, custodians: frozenset[str]) -> bool:
    n = len(route.addresses)
    if n == 0 or n != len(route.ratios):
        return False
    for address, ratio in zip(route.addresses, route.ratios, strict=True):
        if address == ZERO_ADDRESS or address not in custodians or ratio == 0:
            return False
    return sum(route.ratios) == ROUTE_TOTAL_BPS


def nonce_slot(nonce: int) -> tuple[int, int]:
    """docs/mint-redeem.md#nonces: slot = uint64(nonce) >> 8, bit = 1 << uint8(nonce)."""
    low = nonce & (2**64 - 1)
    return low >> 8, 1 << (low & 0xFF)


def check_nonce(order: Order, nonce_word: int) -> Refusal | None:
    if order.nonce == 0:
        return _refuse(RefusalKind.INVALID_NONCE, "nonce 0 is invalid")
    _, bit = nonce_slot(order.nonce)
    if nonce_word & bit:
        return _refuse(RefusalKind.INVALID_NONCE, "nonce already used")
    return None


def _check_pull(
    owner: str, shares: tuple[tuple[str, int], ...], facts: OrderFacts
) -> Refusal | None:
    """ERC20.vy transferFrom per custodian share: allowance first, then balance."""
    allowance, balance = facts.collateral_allowance, facts.collateral_balance
    for to, share in shares:
        if allowance != UNLIMITED_ALLOWANCE:
            if allowance < share:
                return _refuse(RefusalKind.INSUFFICIENT_ALLOWANCE, "collateral allowance")
            allowance -= share
        if balance < share:
            return _refuse(RefusalKind.INSUFFICIENT_BALANCE, "collateral balance")
        if to != owner:
            balance -= share
    return None


def check_mint(
    order: Order, route: Route, signature: Signature, facts: OrderFacts
) -> Refusal | None:
    """None when `mint(order, route, signature)` would succeed at the facts' block."""
    refusal = check_caps(order, facts, is_mint=True)
    if refusal is None and order.order_type != OrderType.MINT:
        refusal = _refuse(RefusalKind.INVALID_ORDER, "not a MINT order")
    if refusal is None:
        refusal = check_verify_order(order, signature, facts)
    if refusal is None and not route_ok(route, facts.custodians):
        refusal = _refuse(RefusalKind.INVALID_ROUTE)
    if refusal is None:
        refusal = check_nonce(order, facts.nonce_word)
    if refusal is None:
        shares = split_route(order.collateral_amount, route.ratios)
        pulls = tuple(zip(route.addresses, shares, strict=True))
        refusal = _check_pull(order.benefactor, pulls, facts)
    return refusal


def check_redeem(order: Order, signature: Signature, facts: OrderFacts) -> Refusal | None:
    """None when `redeem(order, signature)` would succeed at the facts' block."""
    refusal = check_caps(order, facts, is_mint=False)
    if refusal is None and order.order_type != OrderType.REDEEM:
        refusal = _refuse(RefusalKind.INVALID_ORDER, "not a REDEEM order")
    if refusal is None:
        refusal = check_verify_order(order, signature, facts)
    if refusal is None:
        refusal = check_nonce(order, facts.nonce_word)
    if refusal is None:
        if facts.usde_allowance != UNLIMITED_ALLOWANCE and facts.usde_allowance < order.usde_amount:
            refusal = _refuse(RefusalKind.INSUFFICIENT_ALLOWANCE, "USDe allowance")
        elif facts.usde_balance < order.usde_amount:
            refusal = _refuse(RefusalKind.INSUFFICIENT_BALANCE, "USDe balance")
        elif facts.contract_collateral_balance < order.collateral_amount:
            refusal = _refuse(RefusalKind.INSUFFICIENT_CONTRACT_BALANCE)
    return refusal


def check_expiry_ahead(
    order: Order, now_s: int, min_ahead_s: int = MIN_EXPIRY_AHEAD_S
) -> Refusal | None:
    """docs/mint-redeem.md#last-look (ours, not the contract's): expiry at least 30 s ahead of
    now."""
    if order.expiry < now_s + min_ahead_s:
        return _refuse(
            RefusalKind.EXPIRY_TOO_SOON, f"expiry {order.expiry} < {now_s + min_ahead_s}"
        )
    return None
