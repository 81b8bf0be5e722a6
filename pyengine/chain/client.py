"""ChainClient: what the front door needs from the chain, and its web3.py implementation.

Reads (balances, allowances, delegated signers, every fact an order's validation needs, at
one pinned block), simulation by eth_call before submitting, submission of mint/redeem from
a pool of minter keys with per-key nonces and a gas ceiling, and the Mint/Redeem events that
confirm each order. `Web3ChainClient` speaks HTTP JSON-RPC (mainnet, or the local chain
served by rpc.py: the same code talks to both).
"""

from __future__ import annotations

import asyncio
import enum
import itertools
from collections.abc import Sequence
from typing import Any, Protocol

import aiohttp
import msgspec
from eth_abi.abi import decode as abi_decode
from eth_typing import HexStr
from eth_utils.abi import event_abi_to_log_topic
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from web3 import AsyncWeb3
from web3.exceptions import (
    ContractCustomError,
    ContractLogicError,
    TransactionNotFound,
    Web3RPCError,
)

from pyengine.chain.artifacts import artifact
from pyengine.chain.facts import Batch, Fns, read_order_facts, revert_data
from pyengine.chain.keys import MinterKey
from pyengine.chain.order import (
    Domain,
    Order,
    Route,
    Signature,
)
from pyengine.chain.refusals import Refusal, kind_from_revert
from pyengine.chain.transport import OwnSessionProvider
from pyengine.chain.validate import OrderFacts
from pyengine.errors import EngineError

DEFAULT_GAS_CEILING = 1_500_000
GAS_HEADROOM_NUM, GAS_HEADROOM_DEN = 12, 10  # 20 % over the estimate
# A node estimates on the last mined block; the transaction lands in the next, where the
# minting contract's per-block counters start at zero: two first writes (2 x 17,100 gas)
# more than an estimate made after another order of the same block.
GAS_FIXED_MARGIN = 40_000


class ChainError(EngineError, RuntimeError):
    """The chain could not answer (transport, or a revert that is not an order refusal)."""


class GasCeilingExceeded(ChainError):
    pass


class RefusedOnChain(ChainError):
    """The node's gas estimate reverted with an order refusal: nothing was sent."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(f"refused on chain: {refusal.kind}")
        self.refusal = refusal


class ConfirmationKind(enum.StrEnum):
    MINT = "Mint"
    REDEEM = "Redeem"


class Submission(msgspec.Struct, frozen=True):
    tx_hash: str
    minter: str
    nonce: int
    gas: int


class Confirmation(msgspec.Struct, frozen=True, kw_only=True):
    """A Mint/Redeem event; `order_id` is indexed, so the log only carries its hash."""

    kind: ConfirmationKind
    order_id_hash: str
    benefactor: str
    beneficiary: str
    minter: str
    collateral_asset: str
    collateral_amount: int
    usde_amount: int
    tx_hash: str
    block_number: int
    log_index: int


class Capacity(msgspec.Struct, frozen=True):
    """USDe that can still be minted/redeemed against one asset in the block being built."""

    block_number: int
    remaining_mint: int
    remaining_redeem: int


class ChainClient(Protocol):
    @property
    def domain(self) -> Domain: ...
    async def block_number(self) -> int: ...
    async def balance_of(self, token: str, owner: str) -> int: ...
    async def allowance(self, token: str, owner: str, spender: str) -> int: ...
    async def delegated_signer_status(self, signer: str, benefactor: str) -> int: ...
    async def hash_order(self, order: Order) -> bytes: ...
    async def order_facts(
        self, order: Order, signature: Signature, route: Route | None = None
    ) -> OrderFacts: ...
    async def simulate_verify(self, order: Order, signature: Signature) -> Refusal | None: ...
    async def simulate_mint(
        self, order: Order, route: Route, signature: Signature
    ) -> Refusal | None: ...
    async def simulate_redeem(self, order: Order, signature: Signature) -> Refusal | None: ...
    async def submit_mint(self, order: Order, route: Route, signature: Signature) -> Submission: ...
    async def submit_redeem(self, order: Order, signature: Signature) -> Submission: ...
    async def confirmations(self, from_block: int, to_block: int) -> list[Confirmation]: ...
    async def receipt_status(self, tx_hash: str, timeout_s: float = 30.0) -> int: ...
    async def receipt_status_now(self, tx_hash: str) -> int | None: ...
    async def close(self) -> None: ...
    async def capacities(self, assets: Sequence[str]) -> dict[str, Capacity]: ...


# What a node or the network can throw at a request; surfaced as ChainError.
TRANSPORT_ERRORS = (aiohttp.ClientError, asyncio.TimeoutError, OSError)


def order_id_hash(order_id: str) -> str:
    """The topic a Mint/Redeem log carries for its indexed `order_id` string."""
    return "0x" + keccak(text=order_id).hex()


class _KeySlot:
    def __init__(self, key: MinterKey) -> None:
        self.key = key
        self.nonce: int | None = None
        self.lock = asyncio.Lock()


class Web3ChainClient:
    """ChainClient over web3.py's async HTTP provider."""

    def __init__(
        self,
        rpc_url: str,
        *,
        minting: str,
        usde: str,
        chain_id: int,
        minter_keys: Sequence[MinterKey] = (),
        gas_ceiling: int = DEFAULT_GAS_CEILING,
    ) -> None:
        self.w3 = AsyncWeb3(OwnSessionProvider(rpc_url))
        self._domain = Domain(chain_id=chain_id, verifying_contract=to_checksum_address(minting))
        self.minting = self.w3.eth.contract(
            address=to_checksum_address(minting), abi=artifact("Minting").abi
        )
        self.usde = to_checksum_address(usde)
        self._erc20_abi = artifact("ERC20").abi
        self._slots = [_KeySlot(k) for k in minter_keys]
        self._next_slot = itertools.cycle(range(len(self._slots))) if self._slots else None
        self.gas_ceiling = gas_ceiling
        self._usde_decimals: int | None = None
        # Reads encoded from the ABIs once (facts.Fn), not by web3's contract functions
        self.minting_fns = Fns(artifact("Minting").abi)
        self.erc20_fns = Fns(self._erc20_abi)
        # Read from our compiled ABI (plain dicts), so the topics follow the contract's events.
        events: dict[ConfirmationKind, Any] = {
            ConfirmationKind(e["name"]): e
            for e in artifact("Minting").abi
            if e.get("type") == "event" and e.get("name") in ("Mint", "Redeem")
        }
        self._topics = {"0x" + event_abi_to_log_topic(e).hex(): k for k, e in events.items()}

    @property
    def domain(self) -> Domain:
        return self._domain

    def _token(self, address: str) -> Any:
        return self.w3.eth.contract(address=to_checksum_address(address), abi=self._erc20_abi)

    async def close(self) -> None:
        await self.w3.provider.disconnect()

    async def block_number(self) -> int:
        return int(await self.w3.eth.block_number)

    async def balance_of(self, token: str, owner: str, block: Any = "latest") -> int:
        return int(await self._token(token).functions.balanceOf(owner).call(block_identifier=block))

    async def allowance(self, token: str, owner: str, spender: str, block: Any = "latest") -> int:
        fn = self._token(token).functions.allowance(owner, spender)
        return int(await fn.call(block_identifier=block))

    async def delegated_signer_status(
        self, signer: str, benefactor: str, block: Any = "latest"
    ) -> int:
        fn = self.minting.functions.delegatedSigner(signer, benefactor)
        return int(await fn.call(block_identifier=block))

    async def hash_order(self, order: Order) -> bytes:
        return bytes(await self.minting.functions.hashOrder(order.as_abi()).call())

    async def order_facts(
        self, order: Order, signature: Signature, route: Route | None = None
    ) -> OrderFacts:
        """Every chain fact `validate.check_*` needs, read at one block (facts.py)."""
        return await read_order_facts(self, order, signature, route)

    async def usde_decimals(self) -> int:
        if self._usde_decimals is None:
            self._usde_decimals = int(await self._token(self.usde).functions.decimals().call())
        return self._usde_decimals

    async def capacities(self, assets: Sequence[str]) -> dict[str, Capacity]:
        """docs/mint-redeem.md#rfq-api remaining-mint / remaining-redeem of each asset:
        min(asset cap, global cap) less what this block already took, read in the pending
        block (transactions not yet mined), all assets in one round trip."""
        pending = await self.w3.eth.get_block("pending")
        n = int(pending["number"])
        f, to = self.minting_fns, self.minting.address
        b = Batch("pending")
        i_glob = b.add_call(to, f["globalConfig"])
        i_total = b.add_call(to, f["totalPerBlock"], n)
        per = [
            (
                a,
                b.add_call(to, f["tokenConfig"], a),
                b.add_call(to, f["totalPerBlockPerAsset"], n, a),
            )
            for a in assets
        ]
        answers = await b.run(self)
        glob, total = answers[i_glob].value(), answers[i_total].value()
        out: dict[str, Capacity] = {}
        for asset, i_cfg, i_per in per:
            cfg, taken = answers[i_cfg].value(), answers[i_per].value()
            if not cfg[1]:
                out[asset] = Capacity(block_number=n, remaining_mint=0, remaining_redeem=0)
                continue
            mint = min(int(cfg[2]) - int(taken[0]), int(glob[0]) - int(total[0]))
            redeem = min(int(cfg[3]) - int(taken[1]), int(glob[1]) - int(total[1]))
            out[asset] = Capacity(
                block_number=n, remaining_mint=max(mint, 0), remaining_redeem=max(redeem, 0)
            )
        return out

    @staticmethod
    def _mint_args(order: Order, route: Route, signature: Signature) -> list[Any]:
        return [order.as_abi(), route.as_abi(), signature.as_abi()]

    @staticmethod
    def _redeem_args(order: Order, signature: Signature) -> list[Any]:
        return [order.as_abi(), signature.as_abi()]

    async def _simulate(self, fn: str, args: list[Any], sender: str) -> Refusal | None:
        data = self.minting.encode_abi(fn, args=args)
        try:
            await self.w3.eth.call(
                {"from": sender, "to": self.minting.address, "data": data}, "latest"
            )
        except (ContractLogicError, ContractCustomError) as e:
            kind = kind_from_revert(revert_data(e) or b"")
            if kind is None:
                raise ChainError(f"{fn} reverted with data not of an order refusal") from e
            return Refusal(kind, "eth_call")
        except TRANSPORT_ERRORS as e:
            raise ChainError(f"{fn} simulation: {type(e).__name__}") from e
        return None

    def _simulation_sender(self) -> str:
        if not self._slots:
            raise ChainError("no minter keys: cannot simulate or submit")
        return self._slots[0].key.address

    async def simulate_verify(self, order: Order, signature: Signature) -> Refusal | None:
        fn = self.minting.functions.verifyOrder(order.as_abi(), signature.as_abi())
        try:
            await fn.call()
        except (ContractLogicError, ContractCustomError) as e:
            kind = kind_from_revert(revert_data(e) or b"")
            if kind is None:
                raise ChainError("verifyOrder reverted with unknown data") from e
            return Refusal(kind, "eth_call")
        except TRANSPORT_ERRORS as e:
            raise ChainError(f"verifyOrder: {type(e).__name__}") from e
        return None

    async def simulate_mint(
        self, order: Order, route: Route, signature: Signature
    ) -> Refusal | None:
        return await self._simulate(
            "mint", self._mint_args(order, route, signature), self._simulation_sender()
        )

    async def simulate_redeem(self, order: Order, signature: Signature) -> Refusal | None:
        return await self._simulate(
            "redeem", self._redeem_args(order, signature), self._simulation_sender()
        )

    async def _submit(self, fn: str, args: list[Any]) -> Submission:
        if self._next_slot is None:
            raise ChainError("no minter keys: cannot submit")
        slot = self._slots[next(self._next_slot)]
        data = self.minting.encode_abi(fn, args=args)
        async with slot.lock:
            try:
                return await self._submit_with(slot, fn, data)
            except TRANSPORT_ERRORS as e:
                # Whether the node got the transaction is unknown: re-read this key's nonce.
                slot.nonce = None
                raise ChainError(f"{fn} submission: {type(e).__name__}") from e

    async def _submit_with(self, slot: _KeySlot, fn: str, data: str) -> Submission:
        """Estimate, sign and send from one key (its lock held by the caller)."""
        sender = slot.key.address
        if slot.nonce is None:
            slot.nonce = int(
                await self.w3.eth.get_transaction_count(to_checksum_address(sender), "pending")
            )
        call = {"from": sender, "to": self.minting.address, "data": data}
        try:
            estimate = int(await self.w3.eth.estimate_gas(call))  # type: ignore[arg-type]
        except (ContractLogicError, ContractCustomError) as e:
            kind = kind_from_revert(revert_data(e) or b"")
            if kind is None:
                raise ChainError(f"{fn} gas estimate reverted") from e
            raise RefusedOnChain(Refusal(kind, "eth_estimateGas")) from e
        gas = estimate * GAS_HEADROOM_NUM // GAS_HEADROOM_DEN + GAS_FIXED_MARGIN
        if gas > self.gas_ceiling:
            raise GasCeilingExceeded(f"{fn} needs {gas} gas, ceiling {self.gas_ceiling}")
        head = await self.w3.eth.get_block("latest")
        priority = int(await self.w3.eth.max_priority_fee)
        tx = {
            "type": 2,
            "chainId": self._domain.chain_id,
            "nonce": slot.nonce,
            "to": self.minting.address,
            "data": data,
            "value": 0,
            "gas": gas,
            "maxPriorityFeePerGas": priority,
            "maxFeePerGas": 2 * int(head["baseFeePerGas"]) + priority,
        }
        raw = slot.key.sign_transaction(tx)
        try:
            tx_hash = await self.w3.eth.send_raw_transaction(raw)
        except Web3RPCError as e:
            slot.nonce = None  # resynchronise from the node on the next submission
            raise ChainError(f"{fn} submission refused by the node") from e
        nonce = slot.nonce
        slot.nonce += 1
        return Submission(tx_hash="0x" + bytes(tx_hash).hex(), minter=sender, nonce=nonce, gas=gas)

    async def submit_mint(self, order: Order, route: Route, signature: Signature) -> Submission:
        return await self._submit("mint", self._mint_args(order, route, signature))

    async def submit_redeem(self, order: Order, signature: Signature) -> Submission:
        return await self._submit("redeem", self._redeem_args(order, signature))

    async def receipt_status(self, tx_hash: str, timeout_s: float = 30.0) -> int:
        receipt = await self.w3.eth.wait_for_transaction_receipt(
            HexStr(tx_hash), timeout=timeout_s, poll_latency=0.05
        )
        return int(receipt["status"])

    async def receipt_status_now(self, tx_hash: str) -> int | None:
        """The receipt's status, or None while the transaction is not mined."""
        try:
            receipt = await self.w3.eth.get_transaction_receipt(HexStr(tx_hash))
        except TransactionNotFound:
            return None
        return int(receipt["status"])

    async def confirmations(self, from_block: int, to_block: int) -> list[Confirmation]:
        logs = await self.w3.eth.get_logs(
            {
                "fromBlock": from_block,
                "toBlock": to_block,
                "address": self.minting.address,
                "topics": [list(self._topics)],
            }
        )
        out: list[Confirmation] = []
        for entry in logs:
            topics = ["0x" + bytes(t).hex() for t in entry["topics"]]
            kind = self._topics.get(topics[0])
            if kind is None or len(topics) != 4:
                continue
            minter, asset, coll, usde = abi_decode(
                ["address", "address", "uint256", "uint256"], bytes(entry["data"])
            )
            out.append(
                Confirmation(
                    kind=kind,
                    order_id_hash=topics[1],
                    benefactor=to_checksum_address("0x" + topics[2][-40:]),
                    beneficiary=to_checksum_address("0x" + topics[3][-40:]),
                    minter=to_checksum_address(minter),
                    collateral_asset=to_checksum_address(asset),
                    collateral_amount=int(coll),
                    usde_amount=int(usde),
                    tx_hash="0x" + bytes(entry["transactionHash"]).hex(),
                    block_number=int(entry["blockNumber"]),
                    log_index=int(entry["logIndex"]),
                )
            )
        return out
