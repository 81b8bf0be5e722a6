"""Differential test (issue 12): for every test order, the off-chain validator and the Vyper
contract agree on the digest (hashOrder) and on accept/refuse, refusal kind included
(verifyOrder, and mint/redeem by eth_call). Orders are signed with real keys."""

from __future__ import annotations

import os
import time
from typing import Any

import msgspec
import pytest
from eth_abi.abi import encode
from eth_account import Account
from eth_utils.abi import function_signature_to_4byte_selector
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyengine.chain.client import Web3ChainClient
from pyengine.chain.local import dev_key
from pyengine.chain.order import (
    MAX_UINT120,
    SECP256K1_N,
    Order,
    OrderType,
    Route,
    Signature,
    order_digest,
    sign_order,
)
from pyengine.chain.refusals import Refusal, RefusalKind, kind_from_revert
from pyengine.chain.validate import check_mint, check_redeem, check_verify_order
from tests.integration.chain_harness import SharedChain, run, shared_chain

E18 = 10**18
PRICE = {"USDT": 1, "stETH": 3_000, "WBTC": 60_000, "unsupported": 1}
DECIMALS = {"USDT": 6, "stETH": 18, "WBTC": 8, "unsupported": 18}
UNSUPPORTED = "0x000000000000000000000000000000000000dEaD"
ACCEPTED_DELEGATE, PENDING_DELEGATE, OTHER, STRANGER, APPROVED, UNAPPROVED = 9, 8, 13, 12, 11, 14


class Case(msgspec.Struct, frozen=True):
    kind: str = "mint"
    order_type: str = "match"
    benefactor: str = "dev"
    beneficiary: str = "same"
    asset: str = "stETH"
    collateral: str = "normal"
    usde: str = "fair"
    expiry: str = "future"
    nonce: str = "fresh"
    signer: str = "benefactor"
    signature_type: int = 0
    route: str = "ok"


class World(msgspec.Struct):
    wallet: str
    used_nonce: int


def _addr(i: int) -> str:
    return str(Account.from_key(dev_key(i)).address)


def _calldata(signature: str, *args: Any) -> bytes:
    types = signature[signature.index("(") + 1 : -1].split(",")
    return function_signature_to_4byte_selector(signature) + encode(types, list(args))


@pytest.fixture(scope="module")
def world() -> tuple[SharedChain, World]:
    s = shared_chain()
    d = s.deployment
    dev = d.dev_account
    # A confirmed and a pending delegated signer for the dev account, an approved beneficiary.
    assert (
        s.transact(dev, d.minting, "setDelegatedSigner(address)", _addr(ACCEPTED_DELEGATE))[
            "status"
        ]
        == 1
    )
    assert (
        s.transact(_addr(ACCEPTED_DELEGATE), d.minting, "confirmDelegatedSigner(address)", dev)[
            "status"
        ]
        == 1
    )
    assert (
        s.transact(dev, d.minting, "setDelegatedSigner(address)", _addr(PENDING_DELEGATE))["status"]
        == 1
    )
    assert (
        s.transact(dev, d.minting, "setApprovedBeneficiary(address,bool)", _addr(APPROVED), True)[
            "status"
        ]
        == 1
    )
    # An EIP-1271 wallet owned by the dev key: whitelisted, funded, approving the contract.
    wallet = s.deploy("SmartWallet", d.admin, dev)
    assert (
        s.transact(d.admin, d.minting, "addWhitelistedBenefactor(address)", wallet)["status"] == 1
    )
    for sym in ("USDT", "stETH", "WBTC"):
        token = d.tokens[sym]
        assert (
            s.transact(
                d.admin, token, "mint(address,uint256)", wallet, 10**6 * 10 ** DECIMALS[sym]
            )["status"]
            == 1
        )
        assert (
            s.transact(
                dev, wallet, "approveToken(address,address,uint256)", token, d.minting, 2**256 - 1
            )["status"]
            == 1
        )
    assert (
        s.transact(
            dev, wallet, "approveToken(address,address,uint256)", d.usde, d.minting, 2**256 - 1
        )["status"]
        == 1
    )
    # Spend one nonce of the dev account with a real mint.
    used = 1_700_000_123

    async def spend() -> None:
        c = s.client()
        try:
            ts = int((await c.w3.eth.get_block("latest"))["timestamp"])
            o = Order.checked(
                order_id="spent",
                order_type=0,
                expiry=ts + 600,
                nonce=used,
                benefactor=dev,
                beneficiary=dev,
                collateral_asset=d.tokens["USDT"],
                collateral_amount=10**6,
                usde_amount=E18,
            )
            sub = await c.submit_mint(
                o, Route(d.custodians[:1], (10_000,)), sign_order(o, d.domain, dev_key(0))
            )
            assert await c.receipt_status(sub.tx_hash) == 1
        finally:
            await c.close()

    run(spend())
    return s, World(wallet=wallet, used_nonce=used)


def _build(s: SharedChain, w: World, case: Case, ts: int) -> tuple[Order, Signature, Route]:
    d = s.deployment
    dev = d.dev_account
    benefactor = {"dev": dev, "wallet": w.wallet, "stranger": _addr(STRANGER)}[case.benefactor]
    beneficiary = {
        "same": benefactor,
        "approved": _addr(APPROVED),
        "unapproved": _addr(UNAPPROVED),
        "zero": "0x0000000000000000000000000000000000000000",
    }[case.beneficiary]
    asset = UNSUPPORTED if case.asset == "unsupported" else d.tokens[case.asset]
    unit = 10 ** DECIMALS[case.asset]
    collateral = {"normal": 2 * unit, "zero": 0, "huge": 10**9 * unit, "max": 2**128 - 1}[
        case.collateral
    ]
    fair = 2 * PRICE[case.asset] * E18
    usde = {"fair": fair, "zero": 0, "over": fair * 10_002 // 10_000, "huge": 6_000_000 * E18,
            "max": 2**128 - 1}[case.usde]  # fmt: skip
    is_mint = case.kind == "mint"
    if case.order_type == "match":
        order_type = OrderType.MINT if is_mint else OrderType.REDEEM
    else:
        order_type = OrderType.REDEEM if is_mint else OrderType.MINT
    nonce = {"fresh": time.monotonic_ns() % 2**62 + 1, "zero": 0, "used": w.used_nonce,
             "used_twin": w.used_nonce + 5 * 2**64, "wide": 2**120 + 17}[case.nonce]  # fmt: skip
    order = Order.checked(
        order_id=f"diff-{time.monotonic_ns()}",
        order_type=order_type,
        expiry=ts + 3_600 if case.expiry == "future" else ts - 1,
        nonce=nonce,
        benefactor=benefactor,
        beneficiary=beneficiary,
        collateral_asset=asset,
        collateral_amount=collateral,
        usde_amount=usde,
    )
    own = {"dev": 0, "wallet": 0, "stranger": STRANGER}[case.benefactor]
    key_index = {"accepted_delegate": ACCEPTED_DELEGATE, "pending_delegate": PENDING_DELEGATE,
                 "other": OTHER}.get(case.signer, own)  # fmt: skip
    signable = order if order.nonce <= MAX_UINT120 else msgspec.structs.replace(order, nonce=1)
    raw = sign_order(signable, d.domain, dev_key(key_index)).signature_bytes
    if case.signer == "high_s":
        s_val = SECP256K1_N - int.from_bytes(raw[32:64], "big")
        raw = raw[:32] + s_val.to_bytes(32, "big") + bytes([55 - raw[64]])
    elif case.signer == "short":
        raw = raw[:64]
    elif case.signer == "bad_v":
        raw = raw[:64] + bytes([29])
    route = {
        "ok": Route(d.custodians, (3333, 3333, 3334)),
        "bad_sum": Route(d.custodians, (3333, 3333, 3333)),
        "non_custodian": Route((d.custodians[0], dev), (5000, 5000)),
        "mismatch": Route(d.custodians, (5000, 5000)),
        "zero_ratio": Route(d.custodians[:2], (10_000, 0)),
        "empty": Route((), ()),
    }[case.route]
    return order, Signature(case.signature_type, raw), route


async def _chain_digest(c: Web3ChainClient, order: Order) -> bytes | RefusalKind:
    data = c.minting.encode_abi("hashOrder", args=[order.as_abi()])
    try:
        return bytes(await c.w3.eth.call({"to": c.minting.address, "data": data}))
    except Exception as e:  # the revert carries a refusal selector
        raw = getattr(e, "data", None)
        kind = kind_from_revert(bytes.fromhex(raw[2:])) if isinstance(raw, str) else None
        assert kind is not None, f"hashOrder failed without a refusal: {e!r}"
        return kind


def _kind(r: Refusal | None) -> RefusalKind | None:
    return None if r is None else r.kind


async def _compare(s: SharedChain, w: World, case: Case) -> RefusalKind | None:
    c = s.client()
    try:
        ts = int((await c.w3.eth.get_block("latest"))["timestamp"])
        order, sig, route = _build(s, w, case, ts)
        on_digest = await _chain_digest(c, order)
        if order.nonce <= MAX_UINT120:
            assert on_digest == order_digest(order, s.deployment.domain)
        else:
            assert on_digest is RefusalKind.INVALID_NONCE
        facts = await c.order_facts(order, sig, route if case.kind == "mint" else None)
        assert _kind(check_verify_order(order, sig, facts)) is _kind(
            await c.simulate_verify(order, sig)
        ), case
        if case.kind == "mint":
            off, on = check_mint(order, route, sig, facts), await c.simulate_mint(order, route, sig)
        else:
            off, on = check_redeem(order, sig, facts), await c.simulate_redeem(order, sig)
        assert _kind(off) is _kind(on), (case, off, on)
        return _kind(off)
    finally:
        await c.close()


# One case per outcome: valid orders and every refusal kind the contract can give.
TARGETED: dict[str, tuple[Case, RefusalKind | None]] = {
    "valid mint": (Case(), None),
    "valid redeem": (Case(kind="redeem"), None),
    "valid stable mint": (Case(asset="USDT"), None),
    "delegated signer": (Case(signer="accepted_delegate"), None),
    "eip1271 wallet": (Case(benefactor="wallet", signature_type=1), None),
    "approved beneficiary": (Case(beneficiary="approved"), None),
    "unsupported asset": (Case(asset="unsupported"), RefusalKind.UNSUPPORTED_ASSET),
    "asset cap": (Case(usde="huge"), RefusalKind.MAX_MINT_PER_BLOCK),
    "asset redeem cap": (Case(kind="redeem", usde="huge"), RefusalKind.MAX_REDEEM_PER_BLOCK),
    "wrong type": (Case(order_type="other"), RefusalKind.INVALID_ORDER),
    "wide nonce": (Case(nonce="wide"), RefusalKind.INVALID_NONCE),
    "other signer": (Case(signer="other"), RefusalKind.INVALID_EIP712_SIGNATURE),
    "pending delegate": (Case(signer="pending_delegate"), RefusalKind.INVALID_EIP712_SIGNATURE),
    "high s": (Case(signer="high_s"), RefusalKind.INVALID_EIP712_SIGNATURE),
    "short signature": (Case(signer="short"), RefusalKind.INVALID_EIP712_SIGNATURE),
    "bad v": (Case(signer="bad_v"), RefusalKind.INVALID_EIP712_SIGNATURE),
    "eip1271 on an EOA": (Case(signature_type=1), RefusalKind.INVALID_EIP1271_SIGNATURE),
    "eip1271 wrong key": (
        Case(benefactor="wallet", signature_type=1, signer="other"),
        RefusalKind.INVALID_EIP1271_SIGNATURE,
    ),
    "unknown signature type": (Case(signature_type=2), RefusalKind.UNKNOWN_SIGNATURE_TYPE),
    "not whitelisted": (Case(benefactor="stranger"), RefusalKind.BENEFACTOR_NOT_WHITELISTED),
    "unapproved beneficiary": (
        Case(beneficiary="unapproved"),
        RefusalKind.BENEFICIARY_NOT_APPROVED,
    ),
    "zero beneficiary": (Case(beneficiary="zero"), RefusalKind.BENEFICIARY_NOT_APPROVED),
    "zero amount": (Case(collateral="zero"), RefusalKind.INVALID_AMOUNT),
    "stable over limit": (Case(asset="USDT", usde="over"), RefusalKind.INVALID_STABLE_PRICE),
    "stable redeem adverse": (
        Case(kind="redeem", asset="USDT", collateral="huge"),
        RefusalKind.INVALID_STABLE_PRICE,
    ),
    "expired": (Case(expiry="past"), RefusalKind.SIGNATURE_EXPIRED),
    "bad route sum": (Case(route="bad_sum"), RefusalKind.INVALID_ROUTE),
    "non-custodian": (Case(route="non_custodian"), RefusalKind.INVALID_ROUTE),
    "route lengths": (Case(route="mismatch"), RefusalKind.INVALID_ROUTE),
    "zero ratio": (Case(route="zero_ratio"), RefusalKind.INVALID_ROUTE),
    "empty route": (Case(route="empty"), RefusalKind.INVALID_ROUTE),
    "nonce zero": (Case(nonce="zero"), RefusalKind.INVALID_NONCE),
    "nonce reused": (Case(nonce="used"), RefusalKind.INVALID_NONCE),
    "nonce reused in low 64 bits": (Case(nonce="used_twin"), RefusalKind.INVALID_NONCE),
    "collateral balance": (Case(collateral="huge"), RefusalKind.INSUFFICIENT_BALANCE),
    "contract balance": (
        Case(kind="redeem", collateral="huge"),
        RefusalKind.INSUFFICIENT_CONTRACT_BALANCE,
    ),
    "uint128 collateral": (Case(collateral="max"), RefusalKind.INSUFFICIENT_BALANCE),
}


@pytest.mark.parametrize("name", list(TARGETED))
def test_targeted_case(world: tuple[SharedChain, World], name: str) -> None:
    case, expected = TARGETED[name]
    assert run(_compare(*world, case)) is expected


CASES = st.builds(
    Case,
    kind=st.sampled_from(["mint", "redeem"]),
    order_type=st.sampled_from(["match", "match", "match", "other"]),
    benefactor=st.sampled_from(["dev", "dev", "dev", "wallet", "stranger"]),
    beneficiary=st.sampled_from(["same", "same", "approved", "unapproved", "zero"]),
    asset=st.sampled_from(["USDT", "stETH", "WBTC", "unsupported"]),
    collateral=st.sampled_from(["normal", "normal", "zero", "huge", "max"]),
    usde=st.sampled_from(["fair", "fair", "zero", "over", "huge", "max"]),
    expiry=st.sampled_from(["future", "future", "past"]),
    nonce=st.sampled_from(["fresh", "fresh", "zero", "used", "used_twin", "wide"]),
    signer=st.sampled_from(
        [
            "benefactor",
            "benefactor",
            "accepted_delegate",
            "pending_delegate",
            "other",
            "high_s",
            "short",
            "bad_v",
        ]
    ),
    signature_type=st.sampled_from([0, 0, 0, 1, 2]),
    route=st.sampled_from(
        ["ok", "ok", "bad_sum", "non_custodian", "mismatch", "zero_ratio", "empty"]
    ),
)


@settings(
    max_examples=int(os.environ.get("CHAIN_DIFF_EXAMPLES", "200")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(case=CASES)
def test_generated_orders_agree(world: tuple[SharedChain, World], case: Case) -> None:
    run(_compare(*world, case))
