"""A market maker's client, as written against mainnet, works against the local chain.

The ABI below is written from the EthenaMinting V2 interface shapes
(docs/mint-redeem.md#signed-order), not from our compiled contract: the selectors, the struct tuples
and the Mint event topic must match it. The client is synchronous web3.py over HTTP, doing what
Ethena's public minting client does: read the allowance, approve (USDT-style: reset to 0 first),
hash the order on chain with `hashOrder`, sign that hash, check it with `verifyOrder`, then read its
Mint event.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from eth_account import Account
from eth_utils.abi import event_abi_to_log_topic, function_abi_to_4byte_selector
from eth_utils.crypto import keccak
from web3 import Web3
from web3.exceptions import ContractCustomError

from pyengine.chain.artifacts import artifact
from pyengine.chain.local import dev_key
from pyengine.chain.order import Order, Route, Signature, SignatureType, order_digest
from tests.integration.chain_harness import SharedChain, run, shared_chain

E18 = 10**18


def _p(name: str, kind: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": kind, **extra}


ORDER = _p(
    "order",
    "tuple",
    components=[
        _p("order_id", "string"),
        _p("order_type", "uint8"),
        _p("expiry", "uint120"),
        _p("nonce", "uint128"),
        _p("benefactor", "address"),
        _p("beneficiary", "address"),
        _p("collateral_asset", "address"),
        _p("collateral_amount", "uint128"),
        _p("usde_amount", "uint128"),
    ],
)
ROUTE = _p("route", "tuple", components=[_p("addresses", "address[]"), _p("ratios", "uint128[]")])
SIGNATURE = _p(
    "signature", "tuple", components=[_p("signature_type", "uint8"), _p("signature_bytes", "bytes")]
)


def _fn(name: str, inputs: list[Any], outputs: list[Any], mutability: str = "view") -> Any:
    return {
        "type": "function",
        "name": name,
        "inputs": inputs,
        "outputs": outputs,
        "stateMutability": mutability,
    }


def _event(name: str, actor: str) -> Any:
    return {
        "type": "event",
        "name": name,
        "anonymous": False,
        "inputs": [
            _p(actor, "address", indexed=False),
            _p("order_id", "string", indexed=True),
            _p("benefactor", "address", indexed=True),
            _p("beneficiary", "address", indexed=True),
            _p("collateral_asset", "address", indexed=False),
            _p("collateral_amount", "uint256", indexed=False),
            _p("usde_amount", "uint256", indexed=False),
        ],
    }


V2_MINTING_ABI = [
    _fn("hashOrder", [ORDER], [_p("", "bytes32")]),
    _fn("encodeOrder", [ORDER], [_p("", "bytes")], "pure"),
    _fn("verifyOrder", [ORDER, SIGNATURE], [_p("taker_order_hash", "bytes32")]),
    _fn("verifyRoute", [ROUTE], [_p("", "bool")]),
    _fn(
        "verifyNonce",
        [_p("sender", "address"), _p("nonce", "uint128")],
        [_p("", "uint128"), _p("", "uint256"), _p("", "uint256")],
    ),
    _fn(
        "verifyStablesLimit",
        [_p("c", "uint128"), _p("u", "uint128"), _p("a", "address"), _p("t", "uint8")],
        [_p("", "bool")],
    ),
    _fn("mint", [ORDER, ROUTE, SIGNATURE], [], "nonpayable"),
    _fn("redeem", [ORDER, SIGNATURE], [], "nonpayable"),
    _fn("delegatedSigner", [_p("", "address"), _p("", "address")], [_p("", "uint8")]),
    _fn("setDelegatedSigner", [_p("_delegateTo", "address")], [], "nonpayable"),
    _fn("confirmDelegatedSigner", [_p("_delegatedBy", "address")], [], "nonpayable"),
    _fn("setApprovedBeneficiary", [_p("b", "address"), _p("s", "bool")], [], "nonpayable"),
    _fn("isWhitelistedBenefactor", [_p("benefactor", "address")], [_p("", "bool")]),
    _fn("isApprovedBeneficiary", [_p("a", "address"), _p("b", "address")], [_p("", "bool")]),
    _fn("hasRole", [_p("role", "bytes32"), _p("account", "address")], [_p("", "bool")]),
    _fn("getDomainSeparator", [], [_p("", "bytes32")]),
    _fn("globalConfig", [], [_p("m", "uint128"), _p("r", "uint128")]),
    _fn(
        "tokenConfig",
        [_p("", "address")],
        [_p("t", "uint8"), _p("a", "bool"), _p("m", "uint128"), _p("r", "uint128")],
    ),
    _fn("totalPerBlock", [_p("", "uint256")], [_p("m", "uint128"), _p("r", "uint128")]),
    _fn(
        "totalPerBlockPerAsset",
        [_p("", "uint256"), _p("", "address")],
        [_p("m", "uint128"), _p("r", "uint128")],
    ),
    _fn("stablesDeltaLimit", [], [_p("", "uint128")]),
    _fn("DEFAULT_ADMIN_ROLE", [], [_p("", "bytes32")]),
    _event("Mint", "minter"),
    _event("Redeem", "redeemer"),
]
ERC20_ABI = [
    _fn("allowance", [_p("o", "address"), _p("s", "address")], [_p("", "uint256")]),
    _fn("approve", [_p("s", "address"), _p("v", "uint256")], [_p("", "bool")], "nonpayable"),
    _fn("balanceOf", [_p("o", "address")], [_p("", "uint256")]),
    _fn("decimals", [], [_p("", "uint8")]),
]


@pytest.fixture(scope="module")
def shared() -> SharedChain:
    return shared_chain()


def test_v2_selectors_and_event_topics_match() -> None:
    ours: list[Any] = artifact("Minting").abi
    erc20_abi: list[Any] = artifact("ERC20").abi
    our_selectors = {function_abi_to_4byte_selector(e) for e in ours if e["type"] == "function"}
    our_topics = {event_abi_to_log_topic(e) for e in ours if e["type"] == "event"}
    for entry in V2_MINTING_ABI:
        if entry["type"] == "function":
            assert function_abi_to_4byte_selector(entry) in our_selectors, entry["name"]
        else:
            assert event_abi_to_log_topic(entry) in our_topics, entry["name"]
    erc20 = {function_abi_to_4byte_selector(e) for e in erc20_abi if e["type"] == "function"}
    assert all(function_abi_to_4byte_selector(e) in erc20 for e in ERC20_ABI)


def _send(w3: Web3, fn: Any, key: bytes) -> int:
    sender = Account.from_key(key).address
    tx = fn.build_transaction({"from": sender, "nonce": w3.eth.get_transaction_count(sender)})
    signed = Account.sign_transaction(tx, key)
    receipt = w3.eth.wait_for_transaction_receipt(
        w3.eth.send_raw_transaction(signed.raw_transaction)
    )
    return int(receipt["status"])


def test_a_mainnet_style_client_mints_unmodified(shared: SharedChain) -> None:
    d = shared.deployment
    key = dev_key(0)
    w3 = Web3(Web3.HTTPProvider(shared.url))
    assert w3.eth.chain_id == d.chain_id
    minting = w3.eth.contract(address=Web3.to_checksum_address(d.minting), abi=V2_MINTING_ABI)
    usdt = w3.eth.contract(address=Web3.to_checksum_address(d.tokens["USDT"]), abi=ERC20_ABI)
    amount = 25 * 10**6
    # USDT-style approval: reset to 0 first, then the exact amount.
    assert _send(w3, usdt.functions.approve(d.minting, 0), key) == 1
    assert _send(w3, usdt.functions.approve(d.minting, amount), key) == 1
    assert usdt.functions.allowance(d.dev_account, d.minting).call() == amount

    expiry = int(time.time()) + 60
    order_tuple = ("rfq-mm-1", 0, expiry, expiry, d.dev_account, d.dev_account, d.tokens["USDT"],
                   amount, 25 * E18)  # fmt: skip
    order_hash = minting.functions.hashOrder(order_tuple).call()
    signed = Account.unsafe_sign_hash(order_hash, key)
    rsv = signed.r.to_bytes(32, "big") + signed.s.to_bytes(32, "big") + bytes([signed.v])
    assert minting.functions.verifyOrder(order_tuple, (0, rsv)).call() == order_hash
    order = Order.checked(
        order_id="rfq-mm-1",
        order_type=0,
        expiry=expiry,
        nonce=expiry,
        benefactor=d.dev_account,
        beneficiary=d.dev_account,
        collateral_asset=d.tokens["USDT"],
        collateral_amount=amount,
        usde_amount=25 * E18,
    )
    assert bytes(order_hash) == order_digest(order, d.domain)  # the engine's digest too

    start = w3.eth.block_number

    async def submit() -> str:
        c = shared.client()
        try:
            route = Route(d.custodians, (3333, 3333, 3334))
            sub = await c.submit_mint(order, route, Signature(SignatureType.EIP712, rsv))
            assert await c.receipt_status(sub.tx_hash) == 1
            return sub.minter
        finally:
            await c.close()

    minter = run(submit())
    logs = minting.events.Mint().get_logs(from_block=start + 1)
    assert len(logs) == 1
    args = logs[0]["args"]
    assert args["order_id"] == keccak(text="rfq-mm-1")  # indexed strings arrive hashed
    assert (args["minter"], args["benefactor"], args["beneficiary"]) == (
        minter,
        d.dev_account,
        d.dev_account,
    )
    assert (args["collateral_amount"], args["usde_amount"]) == (amount, 25 * E18)
    assert usdt.functions.allowance(d.dev_account, d.minting).call() == 0
    # The spent nonce reverts with the V2 custom error, which the client's web3 surfaces.
    with pytest.raises(ContractCustomError) as err:
        minting.functions.verifyNonce(d.dev_account, expiry).call()
    assert err.value.data == "0x" + keccak(text="InvalidNonce()")[:4].hex()
    # Leave the dev account as the embedded default promises it: unlimited allowance.
    assert _send(w3, usdt.functions.approve(d.minting, 2**256 - 1), key) == 1
