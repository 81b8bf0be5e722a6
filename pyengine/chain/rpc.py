"""HTTP JSON-RPC for the local chain: the Ethereum methods web3 clients call, on loopback.

eth-tester has no wire server of its own (web3's EthereumTesterProvider is in-process and
speaks Python values), so this maps each JSON-RPC method onto eth-tester and formats the
answer as a node does: hex quantities, camelCase keys, reverts as error code 3 with the
revert data, so web3's ContractCustomError / ContractLogicError decode them as on mainnet.
All chain access runs on one worker thread, off the event loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import logging
import socket
import time
from collections.abc import Callable
from typing import Any

import msgspec
from aiohttp import web
from eth.vm.spoof import SpoofTransaction
from eth_tester.backends.pyevm.main import _get_vm_for_block_number
from eth_tester.exceptions import BlockNotFound, TransactionNotFound
from eth_utils.address import to_checksum_address

from pyengine.chain.local import LocalChain
from pyengine.errors import EngineError

log = logging.getLogger(__name__)

ZERO = "0x0000000000000000000000000000000000000000"
BLOCK_TAGS = {"latest", "earliest", "pending", "safe", "finalized"}
MAX_BODY_BYTES = 1 << 20
PRIORITY_FEE_WEI = 1_000_000_000


class RpcError(EngineError, RuntimeError):
    def __init__(self, code: int, message: str, data: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data


def _qty(value: Any, name: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.startswith("0x"):
        try:
            return int(value, 16)
        except ValueError:
            pass
    raise RpcError(-32602, f"{name} is not a hex quantity")


def _block(tag: Any) -> int | str:
    if tag is None:
        return "latest"
    if isinstance(tag, str) and tag in BLOCK_TAGS:
        return "latest" if tag in ("safe", "finalized") else tag
    if isinstance(tag, dict) and "blockNumber" in tag:
        return _qty(tag["blockNumber"], "blockNumber")
    return _qty(tag, "block")


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(p.title() for p in rest)


def _wire(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        out = {_camel(k): _wire(v, k) for k, v in value.items()}
        # eth-tester names a transaction's calldata `data`; nodes say `input` (logs keep it).
        is_tx = "transactionIndex" in out and "blockHash" in out and "topics" not in out
        if is_tx and "data" in out and "input" not in out:
            out["input"] = out.pop("data")
        return out
    if isinstance(value, list | tuple):
        return [_wire(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return value
    if isinstance(value, int):
        if key == "logs_bloom":
            return "0x" + value.to_bytes(256, "big").hex()
        return hex(value)
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return value


def _tx_in(obj: Any) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise RpcError(-32602, "transaction object expected")
    tx: dict[str, Any] = {"from": to_checksum_address(obj.get("from") or ZERO)}
    if obj.get("to"):
        tx["to"] = to_checksum_address(obj["to"])
    data = obj.get("input") or obj.get("data")
    if data:
        tx["data"] = data
    for src, dst in (("gas", "gas"), ("value", "value")):
        if obj.get(src) is not None:
            tx[dst] = _qty(obj[src], src)
    return tx


class ChainRpc:
    """Synchronous method table over one LocalChain (called on the worker thread)."""

    def __init__(self, chain: LocalChain) -> None:
        self.chain = chain
        self.t = chain.tester
        self.methods: dict[str, Callable[[list[Any]], Any]] = {
            "web3_clientVersion": lambda p: "pyengine-localchain/py-evm",
            "net_version": lambda p: str(chain.deployment.chain_id),
            "net_listening": lambda p: True,
            "eth_chainId": lambda p: hex(chain.deployment.chain_id),
            "eth_syncing": lambda p: False,
            "eth_accounts": lambda p: [],
            "eth_blockNumber": lambda p: hex(self.t.get_block_by_number("latest")["number"]),
            "eth_gasPrice": self._gas_price,
            "eth_maxPriorityFeePerGas": lambda p: hex(PRIORITY_FEE_WEI),
            "eth_feeHistory": self._fee_history,
            "eth_getBalance": lambda p: hex(self.t.get_balance(p[0], _block(_at(p, 1)))),
            "eth_getTransactionCount": lambda p: hex(self.t.get_nonce(p[0], _block(_at(p, 1)))),
            "eth_getCode": lambda p: self.t.get_code(p[0], _block(_at(p, 1))),
            "eth_getStorageAt": lambda p: self.t.get_storage_at(
                p[0], _qty(p[1], "slot"), _block(_at(p, 2))
            ),
            "eth_call": self._call,
            "eth_estimateGas": self._estimate_gas,
            "eth_sendRawTransaction": self._send_raw,
            "eth_getTransactionReceipt": self._receipt,
            "eth_getTransactionByHash": self._transaction,
            "eth_getBlockByNumber": lambda p: self._get_block(
                lambda: self.t.get_block_by_number(_block(p[0]), bool(_at(p, 1)))
            ),
            "eth_getBlockByHash": lambda p: self._get_block(
                lambda: self.t.get_block_by_hash(p[0], bool(_at(p, 1)))
            ),
            "eth_getLogs": self._logs,
            "evm_mine": lambda p: self._mine(),
            "evm_setAutomine": self._set_automine,
            "evm_snapshot": lambda p: hex(self.t.take_snapshot()),
            "evm_revert": self._revert,
            # where the contracts are (`pyengine.chain.devnet.Deployment`): how a client
            # of this node learns its deployment, since the node process made it
            "pyengine_deployment": lambda p: msgspec.to_builtins(chain.deployment),
        }

    def dispatch(self, method: str, params: list[Any]) -> Any:
        fn = self.methods.get(method)
        if fn is None:
            raise RpcError(-32601, f"method {method} not supported")
        with self.chain.lock:
            return fn(params)

    def _gas_price(self, _: list[Any]) -> str:
        base = int(self.t.get_block_by_number("pending")["base_fee_per_gas"])
        return hex(base + PRIORITY_FEE_WEI)

    def _fee_history(self, p: list[Any]) -> Any:
        count = _qty(p[0], "blockCount")
        return _wire(self.t.get_fee_history(count, _block(_at(p, 1)), _at(p, 2) or []))

    def _execute(self, tx: dict[str, Any], block: int | str) -> tuple[Any, int]:
        """Run a call on eth-tester's backend, keeping the revert data its `call` drops.

        Returns the computation and the transaction's intrinsic gas.
        """
        backend = self.chain.backend
        raw = self.t.normalizer.normalize_inbound_transaction(tx)
        raw.setdefault("gas", backend._max_available_gas())
        vm = _get_vm_for_block_number(backend.chain, block)
        # A node runs eth_call without charging the caller: fee at the block's base fee, no
        # tip, and the sender's balance topped up inside the throw-away state.
        base_fee = int(getattr(vm.get_header(), "base_fee_per_gas", 0) or 0)
        raw.setdefault("max_fee_per_gas", base_fee)
        raw.setdefault("max_priority_fee_per_gas", 0)
        unsigned = backend._get_normalized_and_unsigned_evm_transaction(raw, block)
        spoofed = SpoofTransaction(unsigned, from_=raw["from"])
        state = vm.state
        snapshot = state.snapshot()
        try:
            need = raw["gas"] * base_fee + int(raw.get("value", 0))
            if state.get_balance(raw["from"]) < need:
                state.set_balance(raw["from"], need)
            computation = state.apply_transaction(spoofed)
        finally:
            state.revert(snapshot)
        if computation.is_error:
            data = "0x" + bytes(computation.output).hex()
            raise RpcError(3, "execution reverted", data)
        return computation, int(unsigned.intrinsic_gas)

    def _call(self, p: list[Any]) -> str:
        computation, _ = self._execute(_tx_in(p[0]), _block(_at(p, 1)))
        return "0x" + bytes(computation.output).hex()

    def _estimate_gas(self, p: list[Any]) -> str:
        """Gas used by one run, plus the 1/64 each nested call keeps back, checked by a run.

        py-evm's own estimate is a binary search of about a dozen runs (~0.3 s for a mint);
        a revert answers with its data, as a node does.
        """
        tx, block = _tx_in(p[0]), _block(_at(p, 1))
        # Estimate in the block the transaction would join, not the last mined one: there the
        # contract's per-block counters may still be zero, and a first write costs more.
        if block == "latest":
            block = "pending"
        computation, intrinsic = self._execute(tx, block)
        candidate = intrinsic + computation.get_gas_used() * 64 // 63 + 2_300
        try:
            self._execute({**tx, "gas": candidate}, block)
        except RpcError:
            return hex(self.t.estimate_gas(tx, block))
        return hex(candidate)

    def _send_raw(self, p: list[Any]) -> str:
        if self.t.auto_mine_transactions:
            return str(self.t.send_raw_transaction(p[0]))
        # Without automine, eth-tester queues the transaction outside the chain until the
        # next block, so the pending state (nonces, eth_call "pending", per-block totals)
        # would not see it; a node applies it to the block being built, so do that.
        raw = bytes.fromhex(p[0][2:]) if isinstance(p[0], str) and p[0].startswith("0x") else b""
        if not raw:
            raise RpcError(-32602, "raw transaction must be 0x-prefixed hex")
        return "0x" + bytes(self.chain.backend.send_raw_transaction(raw)).hex()

    def _receipt(self, p: list[Any]) -> Any:
        try:
            receipt = self.t.get_transaction_receipt(p[0])
        except TransactionNotFound:
            return None
        pending = self.t.get_block_by_number("pending")["number"]
        if receipt.get("block_number") is None or receipt["block_number"] >= pending:
            return None  # in the block being built: no receipt until it is mined
        out = _wire(receipt)
        out["logsBloom"] = "0x" + bytes(256).hex()
        out.pop("stateRoot", None)
        return out

    def _transaction(self, p: list[Any]) -> Any:
        try:
            return _wire(self.t.get_transaction_by_hash(p[0]))
        except TransactionNotFound:
            return None

    def _get_block(self, get: Callable[[], Any]) -> Any:
        try:
            return _wire(get())
        except BlockNotFound:
            return None

    def _logs(self, p: list[Any]) -> Any:
        f = p[0] if p and isinstance(p[0], dict) else {}
        latest = int(self.t.get_block_by_number("latest")["number"])

        def bound(tag: Any, default: int) -> int:
            b = _block(tag) if tag is not None else default
            return latest if isinstance(b, str) else b

        from_block, to_block = bound(f.get("fromBlock"), latest), bound(f.get("toBlock"), latest)
        logs = self.t.get_logs(
            from_block=from_block,
            to_block=to_block,
            address=f.get("address"),
            topics=f.get("topics"),
        )
        return [{**_wire(entry), "removed": False} for entry in logs]

    def _mine(self) -> str:
        self.t.mine_blocks(1)
        return "0x0"

    def _set_automine(self, p: list[Any]) -> bool:
        if _at(p, 0):
            self.t.enable_auto_mine_transactions()
        else:
            self.t.disable_auto_mine_transactions()
        return True

    def _revert(self, p: list[Any]) -> bool:
        self.t.revert_to_snapshot(_qty(p[0], "snapshot"))
        return True


def _at(params: list[Any], i: int) -> Any:
    return params[i] if len(params) > i else None


class RpcServer:
    """aiohttp JSON-RPC endpoint; `url` is set once `start()` has bound the port.

    With `block_time_s`, an empty block is mined whenever none was for that long, as a live
    chain does every 12 s: block time and number move on (expiry checks, per-block caps)
    even while nobody transacts.
    """

    def __init__(
        self,
        chain: LocalChain,
        host: str = "127.0.0.1",
        port: int = 0,
        block_time_s: float | None = None,
        sock: socket.socket | None = None,
    ) -> None:
        """`sock`: an already listening socket to serve on (the node process is handed
        its socket bound by the engine) instead of binding `host`:`port`."""
        self.rpc = ChainRpc(chain)
        self.sock = sock
        self.chain = chain
        self.host, self.port = host, port
        self.block_time_s = block_time_s
        self.url = ""
        self._runner: web.AppRunner | None = None
        self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="localchain")
        self._ticker: asyncio.Task[None] | None = None

    async def start(self) -> str:
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        app.router.add_post("/", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site: web.BaseSite
        if self.sock is not None:
            site = web.SockSite(self._runner, self.sock)
            self.host = str(self.sock.getsockname()[0])
        else:
            site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])  # the bound port when asked for 0
        self.url = f"http://{self.host}:{self.port}"
        if self.block_time_s is not None:
            self._ticker = asyncio.create_task(self._tick(self.block_time_s))
        return self.url

    def _mine_if_idle(self, block_time_s: float) -> None:
        with self.chain.lock:
            latest = self.chain.tester.get_block_by_number("latest")["timestamp"]
            if time.time() - latest >= block_time_s:
                self.chain.tester.mine_blocks(1)

    async def _tick(self, block_time_s: float) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(block_time_s / 4)
            await loop.run_in_executor(self._pool, self._mine_if_idle, block_time_s)

    async def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
        if self._runner is not None:
            await self._runner.cleanup()
        self._pool.shutdown(wait=True)

    async def _handle(self, request: web.Request) -> web.Response:
        try:
            body = json.loads(await request.read())
        except (ValueError, UnicodeDecodeError):
            return _json(
                {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "parse error"}}
            )
        if isinstance(body, list):
            answers = [await self._one(item) for item in body]
            return _json(answers)
        return _json(await self._one(body))

    async def _one(self, req: Any) -> dict[str, Any]:
        if not isinstance(req, dict) or not isinstance(req.get("method"), str):
            return {
                "jsonrpc": "2.0",
                "id": None,
                "error": {"code": -32600, "message": "invalid request"},
            }
        rid = req.get("id")
        params = req.get("params") or []
        if not isinstance(params, list):
            params = [params]
        loop = asyncio.get_running_loop()
        try:
            result = await loop.run_in_executor(
                self._pool, self.rpc.dispatch, req["method"], params
            )
        except RpcError as e:
            err: dict[str, Any] = {"code": e.code, "message": e.message}
            if e.data is not None:
                err["data"] = e.data
            return {"jsonrpc": "2.0", "id": rid, "error": err}
        except Exception as e:  # a bad transaction or argument is the caller's error, not ours
            log.debug("rpc %s refused: %s", req["method"], type(e).__name__)
            return {"jsonrpc": "2.0", "id": rid, "error": {"code": -32000, "message": str(e)}}
        return {"jsonrpc": "2.0", "id": rid, "result": result}


def _json(payload: Any) -> web.Response:
    # Python's json keeps big integers exact; every quantity here is a hex string anyway.
    return web.Response(text=json.dumps(payload), content_type="application/json")
