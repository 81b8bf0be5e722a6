"""The local chain over loopback HTTP: a mint and a redeem through ChainClient end with
their events and exact balance moves; nonce reuse, per-block caps, the route split vector."""

from __future__ import annotations

import time
from collections.abc import Sequence

import pytest
from eth_utils.crypto import keccak

from pyengine.chain.client import ConfirmationKind, RefusedOnChain, Web3ChainClient, order_id_hash
from pyengine.chain.local import DEV_ACCOUNT, dev_key, local_minter_keys
from pyengine.chain.order import Order, OrderType, Route, order_digest, sign_order
from pyengine.chain.refusals import RefusalKind
from pyengine.chain.validate import check_mint, check_redeem
from tests.integration.chain_harness import SharedChain, chain_snapshot, run, shared_chain

E18 = 10**18
MAX_UINT128 = 2**128 - 1


@pytest.fixture(scope="module")
def shared() -> SharedChain:
    s = shared_chain()
    print(f"\nchain: contracts {s.load_s:.2f} s, py-evm start + deploy {s.start_s:.2f} s")
    return s


async def _head_ts(c: Web3ChainClient) -> int:
    return int((await c.w3.eth.get_block("latest"))["timestamp"])


def _order(shared: SharedChain, ts: int, **kw: object) -> Order:
    d = shared.deployment
    fields: dict[str, object] = {
        "order_id": f"rfq-{time.monotonic_ns()}",
        "order_type": OrderType.MINT,
        "expiry": ts + 60,
        "nonce": time.monotonic_ns() % 2**60 + 1,
        "benefactor": d.dev_account,
        "beneficiary": d.dev_account,
        "collateral_asset": d.tokens["stETH"],
        "collateral_amount": 25 * E18,
        "usde_amount": 75_000 * E18,
    }
    fields.update(kw)
    return Order.checked(**fields)  # type: ignore[arg-type]


def test_dev_account_is_set_up(shared: SharedChain) -> None:
    d = shared.deployment
    assert d.dev_account == DEV_ACCOUNT

    async def go() -> None:
        c = shared.client()
        try:
            assert await c.w3.eth.chain_id == d.chain_id == 31337
            for symbol, token in d.tokens.items():
                assert await c.balance_of(token, DEV_ACCOUNT) > 0, symbol
                assert await c.allowance(token, DEV_ACCOUNT, d.minting) == 2**256 - 1
            assert await c.balance_of(d.usde, DEV_ACCOUNT) > 1_000_000 * E18
            assert await c.minting.functions.isWhitelistedBenefactor(DEV_ACCOUNT).call()
        finally:
            await c.close()

    run(go())


def test_mint_round_trip_over_http(shared: SharedChain) -> None:
    """25 stETH (25e18 > 2^64 base units) for 75,000 USDe: event and balances exact."""
    d = shared.deployment

    async def go() -> None:
        c = shared.client()
        try:
            o = _order(shared, await _head_ts(c))
            assert o.collateral_amount > 2**64
            sig = sign_order(o, d.domain, dev_key(0))
            route = Route(d.custodians, (3333, 3333, 3334))
            assert await c.hash_order(o) == order_digest(o, d.domain)
            facts = await c.order_facts(o, sig, route)
            assert check_mint(o, route, sig, facts) is None
            assert await c.simulate_mint(o, route, sig) is None
            steth = d.tokens["stETH"]
            before = [await c.balance_of(steth, a) for a in (DEV_ACCOUNT, *d.custodians)]
            usde_before = await c.balance_of(d.usde, DEV_ACCOUNT)
            start = await c.block_number()
            t0 = time.perf_counter()
            sub = await c.submit_mint(o, route, sig)
            assert await c.receipt_status(sub.tx_hash) == 1
            took = time.perf_counter() - t0
            print(f"\nmint round trip (estimate, sign, send, receipt): {took:.3f} s")
            confs = await c.confirmations(start + 1, await c.block_number())
            assert [x.kind for x in confs] == [ConfirmationKind.MINT]
            conf = confs[0]
            assert conf.order_id_hash == order_id_hash(o.order_id)
            assert (conf.benefactor, conf.beneficiary, conf.minter) == (
                o.benefactor,
                o.beneficiary,
                sub.minter,
            )
            assert (conf.collateral_amount, conf.usde_amount) == (25 * E18, 75_000 * E18)
            after = [await c.balance_of(steth, a) for a in (DEV_ACCOUNT, *d.custodians)]
            shares = [
                8_332_500_000_000_000_000,
                8_332_500_000_000_000_000,
                8_335_000_000_000_000_000,
            ]
            assert before[0] - after[0] == 25 * E18
            assert [a - b for a, b in zip(after[1:], before[1:], strict=True)] == shares
            assert await c.balance_of(d.usde, DEV_ACCOUNT) - usde_before == 75_000 * E18
            # The same order again: its nonce is spent, on both sides.
            assert (await c.simulate_mint(o, route, sig)).kind is RefusalKind.INVALID_NONCE  # type: ignore[union-attr]
            again = check_mint(o, route, sig, await c.order_facts(o, sig, route))
            assert again is not None and again.kind is RefusalKind.INVALID_NONCE
        finally:
            await c.close()

    run(go())


def test_route_split_vector_and_reused_low_bits(shared: SharedChain) -> None:
    """docs/mint-redeem.md#route: 1,000,000,001 @ [3333,3333,3334] -> 333,300,000 / 333,300,000 /
    333,400,001;
    a nonce equal in its low 64 bits to a spent one is spent too."""
    d = shared.deployment

    async def go() -> None:
        c = shared.client()
        try:
            usdt = d.tokens["USDT"]
            o = _order(
                shared,
                await _head_ts(c),
                collateral_asset=usdt,
                collateral_amount=1_000_000_001,
                usde_amount=1_000 * E18,
            )
            sig = sign_order(o, d.domain, dev_key(0))
            route = Route(d.custodians, (3333, 3333, 3334))
            before = [await c.balance_of(usdt, a) for a in d.custodians]
            assert await c.receipt_status((await c.submit_mint(o, route, sig)).tx_hash) == 1
            after = [await c.balance_of(usdt, a) for a in d.custodians]
            assert [a - b for a, b in zip(after, before, strict=True)] == [
                333_300_000,
                333_300_000,
                333_400_001,
            ]
            twin = _order(shared, await _head_ts(c), nonce=o.nonce + 2**64, collateral_asset=usdt,
                          collateral_amount=1_000_000, usde_amount=1 * E18)  # fmt: skip
            twin_sig = sign_order(twin, d.domain, dev_key(0))
            refusal = await c.simulate_mint(twin, route, twin_sig)
            assert refusal is not None and refusal.kind is RefusalKind.INVALID_NONCE
        finally:
            await c.close()

    run(go())


def test_redeem_round_trip(shared: SharedChain) -> None:
    d = shared.deployment

    async def go() -> None:
        c = shared.client()
        try:
            weth = d.tokens["WETH"]
            o = _order(
                shared,
                await _head_ts(c),
                order_type=OrderType.REDEEM,
                collateral_asset=weth,
                collateral_amount=3 * E18 + 7,
                usde_amount=9_000 * E18 + 11,
            )
            sig = sign_order(o, d.domain, dev_key(0))
            assert check_redeem(o, sig, await c.order_facts(o, sig)) is None
            coll0, usde0 = (
                await c.balance_of(weth, DEV_ACCOUNT),
                await c.balance_of(d.usde, DEV_ACCOUNT),
            )
            start = await c.block_number()
            sub = await c.submit_redeem(o, sig)
            assert await c.receipt_status(sub.tx_hash) == 1
            assert await c.balance_of(weth, DEV_ACCOUNT) - coll0 == 3 * E18 + 7
            assert usde0 - await c.balance_of(d.usde, DEV_ACCOUNT) == 9_000 * E18 + 11
            confs = await c.confirmations(start + 1, await c.block_number())
            assert [(x.kind, x.usde_amount) for x in confs] == [
                (ConfirmationKind.REDEEM, 9_000 * E18 + 11)
            ]
        finally:
            await c.close()

    run(go())


def test_per_block_caps(shared: SharedChain) -> None:
    """docs/mint-redeem.md#block-limits vector shape: per-asset cap 5M; two 3M mints in one block:
    the second is
    refused at estimation and, forced, reverts; a 6M order is refused off-chain and by
    eth_call alike; capacity() shows what the pending block has left."""
    d = shared.deployment
    usdt = d.tokens["USDT"]
    with chain_snapshot(shared):

        async def go() -> None:
            c = shared.client()
            try:
                ts = await _head_ts(c)
                route = Route(d.custodians, (5000, 2500, 2500))
                big = _order(shared, ts, collateral_asset=usdt, collateral_amount=6_000_000 * 10**6,
                             usde_amount=6_000_000 * E18)  # fmt: skip
                big_sig = sign_order(big, d.domain, dev_key(0))
                off = check_mint(big, route, big_sig, await c.order_facts(big, big_sig, route))
                on = await c.simulate_mint(big, route, big_sig)
                assert off is not None and on is not None
                assert off.kind is on.kind is RefusalKind.MAX_MINT_PER_BLOCK
                assert off.api_code == 9
                orders = [
                    _order(
                        shared,
                        ts,
                        collateral_asset=usdt,
                        collateral_amount=3_000_000 * 10**6,
                        usde_amount=3_000_000 * E18,
                    )
                    for _ in range(2)
                ]
                sigs = [sign_order(o, d.domain, dev_key(0)) for o in orders]
                subs = []
                await c.w3.provider.make_request("evm_setAutomine", [False])
                full = (await c.capacities([usdt]))[usdt]
                assert full.remaining_mint == 5_000_000 * E18
                subs.append(await c.submit_mint(orders[0], route, sigs[0]))
                left = (await c.capacities([usdt]))[usdt]  # the pending block holds 3M
                assert (left.block_number, left.remaining_mint) == (
                    full.block_number,
                    2_000_000 * E18,
                )
                assert left.remaining_redeem == 5_000_000 * E18
                # The second 3M no longer fits this block: the estimate (in the pending block)
                # refuses it before anything is sent ...
                with pytest.raises(RefusedOnChain) as refused:
                    await c.submit_mint(orders[1], route, sigs[1])
                assert refused.value.refusal.kind is RefusalKind.MAX_MINT_PER_BLOCK
                # ... and sent regardless, the contract reverts it inside the block.
                forced = await _force_send(c, "mint", [orders[1].as_abi(), route.as_abi(),
                                                       sigs[1].as_abi()])  # fmt: skip
                await c.w3.provider.make_request("evm_mine", [])
                await c.w3.provider.make_request("evm_setAutomine", [True])
                assert [await c.receipt_status(h) for h in (subs[0].tx_hash, forced)] == [1, 0]
            finally:
                await c.close()

        run(go())


async def _force_send(c: Web3ChainClient, fn: str, args: Sequence[object]) -> str:
    """Sign and send a minting-contract call with a fixed gas limit, skipping estimation."""
    key = local_minter_keys()[-1]
    nonce = await c.w3.eth.get_transaction_count(key.address, "pending")  # type: ignore[arg-type]
    head = await c.w3.eth.get_block("latest")
    fee = 2 * int(head["baseFeePerGas"]) + 10**9
    tx = {
        "type": 2,
        "chainId": c.domain.chain_id,
        "nonce": nonce,
        "to": c.minting.address,
        "data": c.minting.encode_abi(fn, args=list(args)),
        "value": 0,
        "gas": 600_000,
        "maxPriorityFeePerGas": 10**9,
        "maxFeePerGas": fee,
    }
    return "0x" + bytes(await c.w3.eth.send_raw_transaction(key.sign_transaction(tx))).hex()


def test_disable_mint_redeem_zeroes_global_caps(shared: SharedChain) -> None:
    d = shared.deployment
    with chain_snapshot(shared):
        gatekeeper = keccak(text="GATEKEEPER_ROLE")
        assert (
            shared.transact(d.admin, d.minting, "grantRole(bytes32,address)", gatekeeper, d.admin)[
                "status"
            ]
            == 1
        )
        assert shared.transact(d.admin, d.minting, "disableMintRedeem()")["status"] == 1

        async def go() -> None:
            c = shared.client()
            try:
                o = _order(shared, await _head_ts(c))
                sig = sign_order(o, d.domain, dev_key(0))
                route = Route(d.custodians, (3333, 3333, 3334))
                off = check_mint(o, route, sig, await c.order_facts(o, sig, route))
                on = await c.simulate_mint(o, route, sig)
                assert off is not None and on is not None
                assert off.kind is on.kind is RefusalKind.GLOBAL_MAX_MINT_PER_BLOCK
            finally:
                await c.close()

        run(go())


def test_order_amount_limits_are_exact(shared: SharedChain) -> None:
    """The largest uint128 amounts hash the same on both sides (no float on the way)."""
    d = shared.deployment

    async def go() -> None:
        c = shared.client()
        try:
            o = _order(
                shared,
                0,
                collateral_amount=MAX_UINT128,
                usde_amount=MAX_UINT128 - 1,
                expiry=2**120 - 1,
            )
            assert await c.hash_order(o) == order_digest(o, d.domain)
        finally:
            await c.close()

    run(go())


def test_watcher_confirms_submitted_orders_and_fails_reverted_ones(shared: SharedChain) -> None:
    from pyengine.chain.client import ConfirmationKind
    from pyengine.chain.confirm import ConfirmationTracker, ConfirmationWatcher, OrderStatus

    d = shared.deployment

    async def go() -> None:
        c = shared.client()
        try:
            ts = await _head_ts(c)
            route = Route(d.custodians, (3333, 3333, 3334))
            good = _order(shared, ts)
            tracker = ConfirmationTracker()
            watcher = ConfirmationWatcher(c, tracker, start_block=await c.block_number() + 1)
            # The same nonce twice in one block: the second, forced past estimation, reverts.
            twin = _order(shared, ts, nonce=good.nonce)
            twin_args = [
                twin.as_abi(),
                route.as_abi(),
                sign_order(twin, d.domain, dev_key(0)).as_abi(),
            ]
            await c.w3.provider.make_request("evm_setAutomine", [False])
            try:
                sub = await c.submit_mint(good, route, sign_order(good, d.domain, dev_key(0)))
                bad_hash = await _force_send(c, "mint", twin_args)
            finally:
                await c.w3.provider.make_request("evm_mine", [])
                await c.w3.provider.make_request("evm_setAutomine", [True])
            tracker.submitted(good.order_id, ConfirmationKind.MINT, sub.tx_hash)
            tracker.submitted(twin.order_id, ConfirmationKind.MINT, bad_hash)
            changed = await watcher.poll_once()
            assert {(t.order_id, t.status) for t in changed} == {
                (good.order_id, OrderStatus.CONFIRMED),
                (twin.order_id, OrderStatus.FAILED),
            }
            confirmed = tracker.status(good.order_id)
            assert confirmed is not None and confirmed.confirmation is not None
            assert confirmed.confirmation.usde_amount == good.usde_amount
            assert await watcher.poll_once() == []
        finally:
            await c.close()

    run(go())


def test_consecutive_mints_get_enough_gas(shared: SharedChain) -> None:
    """Each mint lands in a fresh block whose per-block counters are zero: the estimate
    (made in the pending block) plus headroom must cover those first writes."""
    d = shared.deployment

    async def go() -> None:
        c = shared.client()
        try:
            route = Route(d.custodians, (3333, 3333, 3334))
            for _ in range(3):
                o = _order(shared, await _head_ts(c))
                sub = await c.submit_mint(o, route, sign_order(o, d.domain, dev_key(0)))
                receipt = await c.w3.eth.wait_for_transaction_receipt(sub.tx_hash)  # type: ignore[arg-type]
                assert receipt["status"] == 1 and receipt["gasUsed"] < sub.gas
        finally:
            await c.close()

    run(go())


def test_gatekeeper_strips_a_minter_key(shared: SharedChain) -> None:
    """A key without MINTER_ROLE is not an order refusal: the client says so as ChainError."""
    from pyengine.chain.client import ChainError

    d = shared.deployment
    with chain_snapshot(shared):
        gatekeeper = keccak(text="GATEKEEPER_ROLE")
        grant = shared.transact(
            d.admin, d.minting, "grantRole(bytes32,address)", gatekeeper, d.admin
        )
        assert grant["status"] == 1
        for m in d.minters:
            assert (
                shared.transact(d.admin, d.minting, "removeMinterRole(address)", m)["status"] == 1
            )

        async def go() -> None:
            c = shared.client()
            try:
                o = _order(shared, await _head_ts(c))
                sig = sign_order(o, d.domain, dev_key(0))
                route = Route(d.custodians, (3333, 3333, 3334))
                assert check_mint(o, route, sig, await c.order_facts(o, sig, route)) is None
                with pytest.raises(ChainError):
                    await c.simulate_mint(o, route, sig)
                with pytest.raises(ChainError):
                    await c.submit_mint(o, route, sig)
            finally:
                await c.close()

        run(go())
