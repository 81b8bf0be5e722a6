"""The local chain's JSON-RPC on the wire: node-shaped answers, and bad input answered with
JSON-RPC errors (never a crash, never an HTML page)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest
import requests
from eth_utils.crypto import keccak
from web3.types import RPCEndpoint

from tests.integration.chain_harness import SharedChain, shared_chain


@pytest.fixture(scope="module")
def shared() -> SharedChain:
    return shared_chain()


def _post(url: str, body: Any, raw: bytes | None = None) -> Any:
    r = requests.post(url, data=raw, json=None if raw is not None else body, timeout=10)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/json")
    return r.json()


def _rpc(url: str, method: str, *params: Any) -> Any:
    return _post(url, {"jsonrpc": "2.0", "id": 7, "method": method, "params": list(params)})


def test_node_shaped_answers(shared: SharedChain) -> None:
    url, d = shared.url, shared.deployment
    assert _rpc(url, "eth_chainId")["result"] == hex(d.chain_id)
    assert _rpc(url, "net_version")["result"] == str(d.chain_id)
    block = _rpc(url, "eth_getBlockByNumber", "0x1", True)["result"]  # a deployment
    assert len(block["logsBloom"]) == 2 + 512 and block["baseFeePerGas"].startswith("0x")
    tx = block["transactions"][0]
    assert tx["input"].startswith("0x") and "data" not in tx
    by_hash = _rpc(url, "eth_getTransactionByHash", tx["hash"])["result"]
    assert by_hash["hash"] == tx["hash"] and by_hash["blockNumber"] == block["number"]
    receipt = _rpc(url, "eth_getTransactionReceipt", tx["hash"])["result"]
    assert receipt["status"] in ("0x0", "0x1") and receipt["transactionHash"] == tx["hash"]
    assert _rpc(url, "eth_getTransactionReceipt", "0x" + "ab" * 32)["result"] is None
    balance = int(_rpc(url, "eth_getBalance", d.dev_account, "latest")["result"], 16)
    assert balance > 0
    batch = _post(url, [{"jsonrpc": "2.0", "id": i, "method": "eth_blockNumber"} for i in (1, 2)])
    assert [a["id"] for a in batch] == [1, 2]


def test_a_revert_is_error_3_with_its_data(shared: SharedChain) -> None:
    d = shared.deployment
    selector = keccak(text="verifyNonce(address,uint128)")[:4]
    data = selector + bytes(12) + bytes.fromhex(d.dev_account[2:]) + bytes(32)  # nonce 0
    answer = _rpc(shared.url, "eth_call", {"to": d.minting, "data": "0x" + data.hex()}, "latest")
    assert answer["error"]["code"] == 3
    assert answer["error"]["data"] == "0x" + keccak(text="InvalidNonce()")[:4].hex()


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{not json", -32700),
        (b"[1, 2]", -32600),
        (b'{"jsonrpc": "2.0", "id": 1, "method": "eth_sign", "params": []}', -32601),
        (b'{"jsonrpc": "2.0", "id": 1, "method": "eth_getBalance", "params": ["0x12", "x"]}', None),
        (
            b'{"jsonrpc": "2.0", "id": 1, "method": "eth_sendRawTransaction", "params": ["0x00"]}',
            None,
        ),
        (b'{"jsonrpc": "2.0", "id": 1, "method": "eth_getStorageAt", "params": []}', None),
        (b'{"jsonrpc": "2.0", "id": 1, "method": "eth_call", "params": [5]}', -32602),
    ],
)
def test_bad_input_is_a_json_rpc_error(shared: SharedChain, body: bytes, code: int | None) -> None:
    answer = _post(shared.url, None, raw=body)
    answers = answer if isinstance(answer, list) else [answer]
    for a in answers:
        assert isinstance(a["error"]["code"], int) and a["error"]["message"]
        if code is not None:
            assert a["error"]["code"] == code
    assert "result" in _rpc(shared.url, "eth_blockNumber")  # still serving


def test_interval_mining_keeps_chain_time_on_the_wall_clock(shared: SharedChain) -> None:
    """Mainnet-like mode: transactions wait for the next block, mined every block_time_s;
    block timestamps follow the wall clock."""
    import asyncio
    import time

    from pyengine.chain.client import Web3ChainClient
    from pyengine.chain.local import LocalChain, LocalChainConfig, dev_key, local_minter_keys
    from pyengine.chain.order import Order, Route, sign_order
    from pyengine.chain.rpc import RpcServer

    chain = LocalChain.start(LocalChainConfig(automine=False))
    d = chain.deployment

    async def go() -> None:
        server = RpcServer(chain, block_time_s=0.5)
        url = await server.start()
        c = Web3ChainClient(
            url,
            minting=d.minting,
            usde=d.usde,
            chain_id=d.chain_id,
            minter_keys=local_minter_keys(),
        )
        try:
            now = int(time.time())
            o = Order.checked(order_id="interval", order_type=0, expiry=now + 60, nonce=now,
                              benefactor=d.dev_account, beneficiary=d.dev_account,
                              collateral_asset=d.tokens["USDC"], collateral_amount=10**6,
                              usde_amount=10**18)  # fmt: skip
            route = Route(d.custodians, (3333, 3333, 3334))
            sub = await c.submit_mint(o, route, sign_order(o, d.domain, dev_key(0)))
            assert await c.receipt_status(sub.tx_hash, timeout_s=10) == 1
            head = await c.w3.eth.get_block("latest")
            assert abs(int(head["timestamp"]) - time.time()) <= 2
            await asyncio.sleep(1.5)  # idle: empty blocks keep coming
            assert await c.block_number() > int(head["number"])
        finally:
            await c.close()
            await server.stop()

    asyncio.run(go())
    status = d.status("http://127.0.0.1:8545")
    assert status["minting_contract"] == d.minting
    tokens = status["tokens"]
    assert isinstance(tokens, dict)
    assert set(tokens) == {"USDT", "USDC", "stETH", "WETH", "WBTC", "USDe"}


def test_an_unreachable_node_is_a_chain_error() -> None:
    import asyncio
    import socket

    from pyengine.chain.client import ChainError, Web3ChainClient
    from pyengine.chain.local import DEV_ACCOUNT, local_minter_keys
    from pyengine.chain.order import Order, Route, Signature, SignatureType

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    minting = "0x" + "11" * 20
    order = Order.checked(order_id="x", order_type=0, expiry=2**40, nonce=1, benefactor=DEV_ACCOUNT,
                          beneficiary=DEV_ACCOUNT, collateral_asset=minting, collateral_amount=1,
                          usde_amount=1)  # fmt: skip
    sig = Signature(SignatureType.EIP712, bytes(65))
    route = Route((DEV_ACCOUNT,), (10_000,))

    async def go() -> None:
        c = Web3ChainClient(f"http://127.0.0.1:{port}", minting=minting, usde=minting, chain_id=1,
                            minter_keys=local_minter_keys())  # fmt: skip
        try:
            with pytest.raises(ChainError):
                await c.simulate_mint(order, route, sig)
            with pytest.raises(ChainError):
                await c.submit_mint(order, route, sig)
        finally:
            await c.close()

    asyncio.run(go())


def test_a_read_cancelled_while_queued_leaves_the_client_working(shared: SharedChain) -> None:
    """Every chain call of the engine runs under a deadline, so cancellations are routine.
    web3's own provider queues each request on a process-wide lock taken from a thread pool;
    a request cancelled while queued there (here: behind a lock holder standing for another
    request in flight) left the lock taken for good once the pool's thread got it: every later
    web3 call of the process hung (a restarted rfq actor, a second client) and the interpreter
    could not exit. Our provider keeps a session of its own and takes no such lock."""
    from web3._utils.http_session_manager import HTTPSessionManager

    lock = HTTPSessionManager._lock

    async def main() -> None:
        client = shared.client()
        try:
            lock.acquire()  # another request in flight, holding web3's session lock
            read = asyncio.ensure_future(client.block_number())
            await asyncio.sleep(0.05)
            read.cancel()
            await asyncio.gather(read, return_exceptions=True)
            with contextlib.suppress(RuntimeError):  # web3's cancelled waiter releases it
                lock.release()
            await asyncio.sleep(0.05)
            assert await asyncio.wait_for(client.block_number(), 5) >= 1
            batch = await asyncio.wait_for(
                client.w3.provider.make_batch_request(
                    [(RPCEndpoint("eth_chainId"), []), (RPCEndpoint("eth_blockNumber"), [])]
                ),
                5,
            )
            assert isinstance(batch, list)
            assert int(batch[0]["result"], 16) == shared.deployment.chain_id
        finally:
            await client.close()
        other = shared.client()  # a second client in the same process, on another loop
        try:
            assert await asyncio.wait_for(other.block_number(), 5) >= 1
        finally:
            await other.close()

    try:
        asyncio.run(main())
        asyncio.run(main())
        assert not lock.locked()
    finally:
        if lock.locked():  # a regression: free the wedged lock so the rest of the run can exit
            lock.release()
