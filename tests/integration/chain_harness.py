"""One local chain per test session, served over loopback HTTP from a background loop.

Compiling the Vyper contracts and starting py-evm costs seconds, so every chain test in a
session shares one chain (`shared_chain()`); tests that change chain-wide settings run
inside `chain_snapshot()` and leave the chain as they found it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import threading
import time
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

from eth_abi.abi import encode
from eth_utils.abi import function_signature_to_4byte_selector
from eth_utils.address import to_checksum_address

from pyengine.chain.artifacts import artifact
from pyengine.chain.client import Web3ChainClient
from pyengine.chain.local import LocalChain, local_minter_keys
from pyengine.chain.rpc import RpcServer

T = TypeVar("T")


class SharedChain:
    def __init__(self) -> None:
        t0 = time.perf_counter()
        for name in ("ERC20", "Minting", "SmartWallet"):
            artifact(name)
        t1 = time.perf_counter()
        self.chain = LocalChain.start()
        t2 = time.perf_counter()
        self.load_s, self.start_s = t1 - t0, t2 - t1
        self.deployment = self.chain.deployment
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self.server = RpcServer(self.chain)
        self.url = asyncio.run_coroutine_threadsafe(self.server.start(), self._loop).result(30)

    def client(self) -> Web3ChainClient:
        d = self.deployment
        return Web3ChainClient(
            self.url,
            minting=d.minting,
            usde=d.usde,
            chain_id=d.chain_id,
            minter_keys=local_minter_keys(),
        )

    def transact(self, sender: str, to: str, signature: str, *args: Any) -> dict[str, Any]:
        """A setup transaction from one of eth-tester's unlocked development accounts."""
        types = signature[signature.index("(") + 1 : -1]
        arg_types = [t for t in types.split(",") if t] if "(" not in types else None
        if arg_types is None:
            raise ValueError("tuple arguments: build the calldata yourself")
        data = function_signature_to_4byte_selector(signature) + encode(arg_types, list(args))
        with self.chain.lock:
            tx = self.chain.tester.send_transaction(
                {"from": sender, "to": to, "data": "0x" + data.hex(), "gas": 2_000_000}
            )
            receipt: dict[str, Any] = self.chain.tester.get_transaction_receipt(tx)
        return receipt

    def deploy(self, name: str, sender: str, *args: Any) -> str:
        art = artifact(name)
        ctor = next(e for e in art.abi if e.get("type") == "constructor")
        data = art.bytecode + encode([i["type"] for i in ctor["inputs"]], list(args))
        with self.chain.lock:
            tx = self.chain.tester.send_transaction(
                {"from": sender, "data": "0x" + data.hex(), "gas": 3_000_000}
            )
            address = self.chain.tester.get_transaction_receipt(tx)["contract_address"]
        return to_checksum_address(address)


@functools.cache
def shared_chain() -> SharedChain:
    return SharedChain()


@contextlib.contextmanager
def chain_snapshot(shared: SharedChain) -> Iterator[None]:
    with shared.chain.lock:
        snap = shared.chain.tester.take_snapshot()
    try:
        yield
    finally:
        with shared.chain.lock:
            shared.chain.tester.revert_to_snapshot(snap)
            shared.chain.tester.enable_auto_mine_transactions()


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)
