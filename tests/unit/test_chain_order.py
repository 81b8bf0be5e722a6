"""Order value type, EIP-712 digest, signing and recovery with real keys; the vectors of
docs/mint-redeem.md."""

from __future__ import annotations

import itertools

import pytest
from eth_account import Account
from eth_utils.crypto import keccak
from hypothesis import given
from hypothesis import strategies as st

from pyengine.chain.order import (
    MAINNET_CHAIN_ID,
    MAINNET_V2_CONTRACT,
    ORDER_TYPE_STRING,
    SECP256K1_N,
    Domain,
    Order,
    OrderSchemaError,
    OrderType,
    UnsignableOrder,
    order_digest,
    recover_signer,
    sign_order,
    split_route,
    typed_data,
)
from pyengine.chain.validate import nonce_slot

KEY = bytes.fromhex("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")
ADDRESS = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
MAINNET = Domain(chain_id=MAINNET_CHAIN_ID, verifying_contract=MAINNET_V2_CONTRACT)
USDT = "0xdAC17F958D2ee523a2206206994597C13D831ec7"
HEAD_TYPES = ("bytes32", "bytes32", "uint8", "uint128", "uint120")


def _order(**kw: object) -> Order:
    fields: dict[str, object] = {
        "order_id": "rfq-1",
        "order_type": 0,
        "expiry": 1_732_000_060,
        "nonce": 1_732_000_060,
        "benefactor": ADDRESS,
        "beneficiary": ADDRESS,
        "collateral_asset": USDT,
        "collateral_amount": 25_000_000,
        "usde_amount": 25 * 10**18,
    }
    fields.update(kw)
    return Order.checked(**fields)  # type: ignore[arg-type]


def test_type_string_is_the_contracts() -> None:
    """The digest hashes the V2 type string (uint128 expiry, uint120 nonce), not the struct."""
    fields = typed_data(_order(), MAINNET)["types"]["Order"]
    rebuilt = "Order(" + ",".join(f"{f['type']} {f['name']}" for f in fields) + ")"
    assert rebuilt == ORDER_TYPE_STRING


def test_sign_and_recover_with_a_real_key() -> None:
    o = _order()
    sig = sign_order(o, MAINNET, KEY)
    assert len(sig.signature_bytes) == 65 and sig.signature_bytes[64] in (27, 28)
    assert recover_signer(order_digest(o, MAINNET), sig.signature_bytes) == ADDRESS
    # Any field changed, or another domain, recovers someone else.
    other = Domain(chain_id=31337, verifying_contract=MAINNET_V2_CONTRACT)
    assert recover_signer(order_digest(o, other), sig.signature_bytes) != ADDRESS
    bumped = _order(usde_amount=25 * 10**18 + 1)
    assert recover_signer(order_digest(bumped, MAINNET), sig.signature_bytes) != ADDRESS


def test_digest_matches_a_hand_built_eip712_encoding() -> None:
    from eth_abi.abi import encode

    o = _order()
    domain_type = keccak(
        text="EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
    )
    sep = keccak(
        encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [domain_type, keccak(text="EthenaMinting"), keccak(text="1"), 1, MAINNET_V2_CONTRACT],
        )
    )
    struct = keccak(
        encode(
            [*HEAD_TYPES, "address", "address", "address", "uint128", "uint128"],
            [keccak(text=ORDER_TYPE_STRING), keccak(text="rfq-1"), 0, o.expiry, o.nonce,
             ADDRESS, ADDRESS, USDT, o.collateral_amount, o.usde_amount],
        )
    )  # fmt: skip
    assert order_digest(o, MAINNET) == keccak(b"\x19\x01" + sep + struct)


def test_malleable_and_malformed_signatures_recover_nobody() -> None:
    o = _order()
    digest = order_digest(o, MAINNET)
    raw = sign_order(o, MAINNET, KEY).signature_bytes
    s = int.from_bytes(raw[32:64], "big")
    high_s = raw[:32] + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - raw[64]])
    for bad in (high_s, raw[:64], raw + b"\x00", raw[:64] + b"\x1d", raw[:64] + b"\x00", bytes(65)):
        assert recover_signer(digest, bad) is None


def test_schema_bounds() -> None:
    with pytest.raises(OrderSchemaError):
        _order(order_id="x" * 129)
    with pytest.raises(OrderSchemaError):
        _order(expiry=2**120)
    with pytest.raises(OrderSchemaError):
        _order(collateral_amount=2**128)
    with pytest.raises(OrderSchemaError):
        _order(usde_amount=-1)
    with pytest.raises(OrderSchemaError):
        _order(order_type=2)
    with pytest.raises(OrderSchemaError):
        _order(order_type=True)
    with pytest.raises(OrderSchemaError):
        _order(benefactor="0x1234")
    with pytest.raises(OrderSchemaError):
        _order(collateral_amount=1.0)  # a float is never an amount
    assert _order(nonce=2**128 - 1).nonce == 2**128 - 1  # fits the ABI struct...
    with pytest.raises(UnsignableOrder):  # ...but not the type string
        order_digest(_order(nonce=2**120), MAINNET)


def test_route_split_vector() -> None:
    """docs/mint-redeem.md#route: 1,000,000,001 @ [3333,3333,3334] -> 333,300,000 / 333,300,000 /
    333,400,001."""
    assert split_route(1_000_000_001, (3333, 3333, 3334)) == (333_300_000, 333_300_000, 333_400_001)


@given(st.integers(0, 2**128 - 1), st.lists(st.integers(1, 9_999), unique=True, max_size=15))
def test_route_split_conserves_the_amount(amount: int, cuts: list[int]) -> None:
    """For any valid route (non-zero ratios summing to 10,000 bps) nothing is lost or made."""
    points = [0, *sorted(cuts), 10_000]
    ratios = tuple(b - a for a, b in itertools.pairwise(points))
    shares = split_route(amount, ratios)
    assert sum(shares) == amount and all(x >= 0 for x in shares)
    assert all(x == amount * r // 10_000 for x, r in zip(shares[:-1], ratios, strict=False))


def test_nonce_slot_vector() -> None:
    """docs/mint-redeem.md#nonces: 1732000060 -> slot 6,765,625, bit 60; only the low 64 bits
    count."""
    assert nonce_slot(1_732_000_060) == (6_765_625, 1 << 60)
    assert nonce_slot(1_732_000_060 + 7 * 2**64) == nonce_slot(1_732_000_060)


def test_order_type_enum_values() -> None:
    assert (OrderType.MINT, OrderType.REDEEM) == (0, 1)
    assert Account.from_key(KEY).address == ADDRESS


@given(
    order_id=st.text(min_size=1, max_size=40),
    order_type=st.sampled_from([0, 1]),
    expiry=st.integers(0, 2**120 - 1),
    nonce=st.integers(1, 2**120 - 1),
    amounts=st.tuples(st.integers(0, 2**128 - 1), st.integers(0, 2**128 - 1)),
    chain_id=st.integers(1, 2**64),
    addresses=st.lists(st.binary(min_size=20, max_size=20), min_size=4, max_size=4),
)
def test_the_direct_digest_is_eth_account_s_on_random_orders(  # noqa: PLR0917
    order_id: str,
    order_type: int,
    expiry: int,
    nonce: int,
    amounts: tuple[int, int],
    chain_id: int,
    addresses: list[bytes],
) -> None:
    """`order_digest` lays the fixed struct's words out itself (the POST path's hot spot);
    eth_account's generic EIP-712 encoder is the reference."""
    from eth_utils.address import to_checksum_address

    from pyengine.chain.order import signable

    a = [to_checksum_address(b) for b in addresses]
    try:
        o = _order(
            order_id=order_id,
            order_type=order_type,
            expiry=expiry,
            nonce=nonce,
            benefactor=a[0],
            beneficiary=a[1],
            collateral_asset=a[2],
            collateral_amount=amounts[0],
            usde_amount=amounts[1],
        )
    except OrderSchemaError:
        return  # outside the schema (e.g. an order_id too long in bytes): not signable
    domain = Domain(chain_id=chain_id, verifying_contract=a[3])
    msg = signable(o, domain)
    assert order_digest(o, domain) == keccak(b"\x19" + msg.version + msg.header + msg.body)
