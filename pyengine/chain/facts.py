"""Read, at one pinned block, every chain fact the off-chain validator needs for one order.

The reads mirror what Minting.vy looks at while it runs `mint`/`redeem`: token config and
this block's totals, the allow-list, the approved beneficiary, the delegation of the signer
recovered off-chain, EIP-1271 through the benefactor's wallet, the route's custodians, the
nonce bitmap word, and the balances and allowances the token moves need.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, TypeVar

from eth_abi.abi import encode as abi_encode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from web3.exceptions import ContractCustomError, ContractLogicError, Web3RPCError

from pyengine.chain.order import (
    MAX_UINT120,
    Order,
    Route,
    Signature,
    SignatureType,
    order_digest,
    recover_signer,
)
from pyengine.chain.refusals import RefusalKind, kind_from_revert
from pyengine.chain.validate import OrderFacts, TokenConfig, nonce_slot

if TYPE_CHECKING:
    from pyengine.chain.client import Web3ChainClient

EIP1271_MAGIC = bytes.fromhex("1626ba7e")
IS_VALID_SIGNATURE = keccak(text="isValidSignature(bytes32,bytes)")[:4]
T = TypeVar("T")


class FactsError(Exception):
    """A read the validation needs failed in a way that is not an order refusal."""


def revert_data(e: Exception) -> bytes | None:
    data = getattr(e, "data", None)
    if isinstance(data, dict):
        data = data.get("data")
    if isinstance(data, str) and data.startswith("0x"):
        try:
            return bytes.fromhex(data[2:])
        except ValueError:
            return None
    return None


async def _const(value: T) -> T:
    return value


async def _is_contract(c: Web3ChainClient, address: str, block: int) -> bool:
    return len(await c.w3.eth.get_code(to_checksum_address(address), block)) > 0


async def _eip1271(c: Web3ChainClient, order: Order, signature: Signature, block: int) -> bool:
    if order.nonce > MAX_UINT120 or not await _is_contract(c, order.benefactor, block):
        return False
    digest = order_digest(order, c.domain)
    data = IS_VALID_SIGNATURE + abi_encode(
        ["bytes32", "bytes"], [digest, signature.signature_bytes]
    )
    call: Any = {"to": order.benefactor, "data": "0x" + data.hex()}
    try:
        out = await c.w3.eth.call(call, block)
    except (ContractLogicError, ContractCustomError, Web3RPCError):
        return False
    return len(out) == 32 and bytes(out[:4]) == EIP1271_MAGIC


async def _nonce_word(c: Web3ChainClient, order: Order, block: int) -> int:
    """The bitmap word at the order's slot (V2 exposes it only through verifyNonce)."""
    if order.nonce == 0:
        return 0
    fn = c.minting.functions.verifyNonce(order.benefactor, order.nonce)
    try:
        _, word, _ = await fn.call(block_identifier=block)
    except (ContractLogicError, ContractCustomError) as e:
        if kind_from_revert(revert_data(e) or b"") is RefusalKind.INVALID_NONCE:
            return nonce_slot(order.nonce)[1]  # the order's bit is already set
        raise FactsError("verifyNonce failed") from e
    return int(word)


async def read_order_facts(
    c: Web3ChainClient, order: Order, signature: Signature, route: Route | None
) -> OrderFacts:
    head = await c.w3.eth.get_block("latest")
    block = int(head["number"])
    m = c.minting.functions
    asset, benefactor, minting = order.collateral_asset, order.benefactor, c.minting.address
    raw_cfg = await m.tokenConfig(asset).call(block_identifier=block)
    token = TokenConfig(int(raw_cfg[0]), bool(raw_cfg[1]), int(raw_cfg[2]), int(raw_cfg[3]))
    # An inactive asset is refused before any of its token reads would matter.
    live = token.is_active and await _is_contract(c, asset, block)
    signer = None
    if signature.signature_type == SignatureType.EIP712 and order.nonce <= MAX_UINT120:
        signer = recover_signer(order_digest(order, c.domain), signature.signature_bytes)
    collateral = c.token(asset).functions

    def at(call: Any) -> Awaitable[Any]:
        result: Awaitable[Any] = call.call(block_identifier=block)
        return result

    def if_live(call: Any) -> Awaitable[Any]:
        return at(call) if live else _const(0)

    addresses = tuple(route.addresses) if route else ()
    reads = await asyncio.gather(
        if_live(collateral.decimals()),
        at(m.totalPerBlockPerAsset(block, asset)),
        at(m.totalPerBlock(block)),
        at(m.globalConfig()),
        at(m.stablesDeltaLimit()),
        at(m.isWhitelistedBenefactor(benefactor)),
        at(m.isApprovedBeneficiary(benefactor, order.beneficiary)),
        at(m.delegatedSigner(signer, benefactor)) if signer else _const(0),
        _eip1271(c, order, signature, block)
        if signature.signature_type == SignatureType.EIP1271
        else _const(None),
        asyncio.gather(*(at(m.isCustodianAddress(a)) for a in addresses)),
        _nonce_word(c, order, block),
        if_live(collateral.balanceOf(benefactor)),
        if_live(collateral.allowance(benefactor, minting)),
        at(c.token(c.usde).functions.balanceOf(benefactor)),
        at(c.token(c.usde).functions.allowance(benefactor, minting)),
        if_live(collateral.balanceOf(minting)),
        c.usde_decimals(),
    )
    (decimals, per_asset, total, global_cfg, limit, listed, approved, delegation, ok_1271,
     custodial, word, c_bal, c_allow, u_bal, u_allow, contract_bal, usde_dec) = reads  # fmt: skip
    return OrderFacts(
        domain=c.domain,
        timestamp=int(head["timestamp"]),
        token=token,
        collateral_decimals=int(decimals),
        usde_decimals=int(usde_dec),
        asset_minted=int(per_asset[0]),
        asset_redeemed=int(per_asset[1]),
        global_minted=int(total[0]),
        global_redeemed=int(total[1]),
        global_max_mint=int(global_cfg[0]),
        global_max_redeem=int(global_cfg[1]),
        stables_delta_limit=int(limit),
        benefactor_whitelisted=bool(listed),
        beneficiary_approved=bool(approved),
        delegation_status=int(delegation),
        eip1271_valid=ok_1271,
        custodians=frozenset(a for a, yes in zip(addresses, custodial, strict=True) if yes),
        nonce_word=int(word),
        collateral_balance=int(c_bal),
        collateral_allowance=int(c_allow),
        usde_balance=int(u_bal),
        usde_allowance=int(u_allow),
        contract_collateral_balance=int(contract_bal),
    )
