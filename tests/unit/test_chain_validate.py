"""Pure validation rules: the stables and block-cap vectors of docs/mint-redeem.md, refusal
codes, keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyengine.chain.keys import ENV_KEYS, ENV_KEYS_FILE, MinterKeyError, load_minter_keys
from pyengine.chain.order import Domain, Order, Route, Signature, SignatureType, sign_order
from pyengine.chain.refusals import RefusalKind, kind_from_revert
from pyengine.chain.validate import (
    OrderFacts,
    TokenConfig,
    check_caps,
    check_expiry_ahead,
    check_mint,
    stables_ok,
)

E18 = 10**18
KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
DEV = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
USDT = "0xdAC17F958D2ee523a2206206994597C13D831ec7"
CUSTODIAN = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc"
DOMAIN = Domain(chain_id=31337, verifying_contract="0xC6bA8C3233eCF65B761049ef63466945c362EdD2")


def _order(coll: int, usde: int, order_type: int = 0) -> Order:
    return Order.checked(order_id="r", order_type=order_type, expiry=2_000_000_000, nonce=5,
                         benefactor=DEV, beneficiary=DEV, collateral_asset=USDT,
                         collateral_amount=coll, usde_amount=usde)  # fmt: skip


def _facts(**kw: object) -> OrderFacts:
    fields: dict[str, object] = {
        "domain": DOMAIN, "timestamp": 1_900_000_000,
        "token": TokenConfig(0, True, 5_000_000 * E18, 5_000_000 * E18),
        "collateral_decimals": 6, "usde_decimals": 18,
        "asset_minted": 0, "asset_redeemed": 0, "global_minted": 0, "global_redeemed": 0,
        "global_max_mint": 10_000_000 * E18, "global_max_redeem": 10_000_000 * E18,
        "stables_delta_limit": 0, "benefactor_whitelisted": True, "beneficiary_approved": False,
        "delegation_status": 0, "eip1271_valid": None, "custodians": frozenset({CUSTODIAN}),
        "nonce_word": 0, "collateral_balance": 10**15, "collateral_allowance": 2**256 - 1,
        "usde_balance": 0, "usde_allowance": 0, "contract_collateral_balance": 0,
    }  # fmt: skip
    fields.update(kw)
    return OrderFacts(**fields)  # type: ignore[arg-type]


def test_stables_limit_vectors() -> None:
    """docs/mint-redeem.md#stables-limit: 1,000,000 USDC for 1,000,100 USDe is 0 bp and
    passes at 0; 1,000,200 is 1 bp."""
    assert stables_ok(_order(10**12, 1_000_100 * E18), 6, 18, 0)
    assert not stables_ok(_order(10**12, 1_000_200 * E18), 6, 18, 0)
    assert stables_ok(_order(10**12, 1_000_200 * E18), 6, 18, 1)
    # Only the adverse side is bounded: a redeem paying less collateral than USDe is fine.
    assert stables_ok(_order(10**12, 1_100_000 * E18, order_type=1), 6, 18, 0)
    assert not stables_ok(_order(10**12, 900_000 * E18, order_type=1), 6, 18, 0)


def test_block_cap_vector() -> None:
    """docs/mint-redeem.md#block-limits: global 10M, USDT 5M with 4.5M used; +1M USDT ->
    MaxMintPerBlockExceeded (9)."""
    refusal = check_caps(
        _order(10**12, 1_000_000 * E18), _facts(asset_minted=4_500_000 * E18), is_mint=True
    )
    assert refusal is not None and refusal.kind is RefusalKind.MAX_MINT_PER_BLOCK
    assert refusal.api_code == 9 and "500000000000000000000000" in refusal.detail
    assert (
        check_caps(
            _order(10**12, 500_000 * E18), _facts(asset_minted=4_500_000 * E18), is_mint=True
        )
        is None
    )
    g = check_caps(_order(10**12, 1 * E18), _facts(global_minted=10_000_000 * E18), is_mint=True)
    assert g is not None and g.kind is RefusalKind.GLOBAL_MAX_MINT_PER_BLOCK


def test_a_valid_mint_passes_and_a_used_nonce_is_24() -> None:
    o = _order(10**6, E18)
    sig = sign_order(o, DOMAIN, KEY)
    route = Route((CUSTODIAN,), (10_000,))
    assert check_mint(o, route, sig, _facts()) is None
    used = check_mint(o, route, sig, _facts(nonce_word=1 << 5))
    assert used is not None and used.kind is RefusalKind.INVALID_NONCE and used.api_code == 24
    forged = Signature(SignatureType.EIP712, sig.signature_bytes[:64] + b"\x1d")
    bad = check_mint(o, route, forged, _facts())
    assert (
        bad is not None
        and bad.kind is RefusalKind.INVALID_EIP712_SIGNATURE
        and bad.api_code is None
    )


def test_allowance_is_checked_before_balance_share_by_share() -> None:
    o = _order(10**6, E18)
    sig = sign_order(o, DOMAIN, KEY)
    route = Route((CUSTODIAN,), (10_000,))
    r = check_mint(o, route, sig, _facts(collateral_allowance=10**6 - 1, collateral_balance=0))
    assert r is not None and r.kind is RefusalKind.INSUFFICIENT_ALLOWANCE
    r = check_mint(o, route, sig, _facts(collateral_balance=10**6 - 1))
    assert r is not None and r.kind is RefusalKind.INSUFFICIENT_BALANCE


def test_expiry_must_be_30_s_ahead() -> None:
    o = _order(10**6, E18)
    assert check_expiry_ahead(o, now_s=o.expiry - 30) is None
    late = check_expiry_ahead(o, now_s=o.expiry - 29)
    assert late is not None and late.api_code == 23


def test_revert_selectors_round_trip() -> None:
    for kind in RefusalKind:
        assert kind_from_revert(kind.selector + b"\x00" * 4) is kind
    assert kind_from_revert(b"\x08\xc3\x79\xa0") is None  # Error(string) is not ours
    assert kind_from_revert(b"") is None


def test_minter_keys_from_env_and_file(tmp_path: Path) -> None:
    other = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
    keys = load_minter_keys({ENV_KEYS: f"{KEY}, {other}"})
    assert next(k.address for k in keys) == DEV and len(keys) == 2
    assert KEY[2:] not in repr(keys) and KEY[2:] not in str(keys[0])
    path = tmp_path / "minters"
    path.write_text(f"# pool\n{other}\n\n{KEY}  # second\n")
    assert [k.address for k in load_minter_keys({ENV_KEYS_FILE: str(path), ENV_KEYS: KEY})][
        1
    ] == DEV


@pytest.mark.parametrize(
    "env",
    [{}, {ENV_KEYS: "0xnothex"}, {ENV_KEYS: f"{KEY},{KEY}"}, {ENV_KEYS_FILE: "/nonexistent/keys"}],
)
def test_bad_key_sources_are_typed_errors_without_key_material(env: dict[str, str]) -> None:
    with pytest.raises(MinterKeyError) as err:
        load_minter_keys(env)
    assert KEY[2:] not in str(err.value)
