"""The embedded default's chain: a real EVM (py-evm through eth-tester) with our contracts.

`LocalChain.start()` builds a fresh chain from the well-known development mnemonic, deploys
the collateral tokens, USDe and the minting contract, whitelists the standard development
account (the mnemonic's first account, 0xf39F...2266), funds it with every collateral token
and with USDe, and approves the minting contract for all of them. `rpc.py` serves it over
HTTP JSON-RPC so that clients talk to it exactly as to mainnet.

Its public facts (keys, tokens, `Deployment`) are in `devnet.py`, which does not import the
EVM; they are re-exported here.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from eth_abi.abi import encode
from eth_tester import EthereumTester, PyEVMBackend
from eth_utils.abi import function_signature_to_4byte_selector
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from pyengine.chain.artifacts import artifact
from pyengine.chain.devnet import (
    ACCOUNT_COUNT,
    ADMIN_INDEX,
    CUSTODIAN_INDEXES,
    DEFAULT_TOKENS,
    DEV_ACCOUNT,
    DEV_INDEX,
    DEV_MNEMONIC,
    E18,
    GENESIS_LAG_S,
    HD_BASE,
    LOCAL_CHAIN_ID,
    MINTER_INDEXES,
    UNLIMITED,
    Deployment,
    LocalChainConfig,
    TokenSpec,
    dev_key,
    local_minter_keys,
)


class LocalChain:
    """One py-evm chain. eth-tester is not thread-safe: every access holds `lock`."""

    def __init__(self, tester: EthereumTester, deployment: Deployment) -> None:
        self.tester = tester
        self.deployment = deployment
        self.lock = threading.Lock()

    @property
    def backend(self) -> PyEVMBackend:
        backend: PyEVMBackend = self.tester.backend
        return backend

    @classmethod
    def start(cls, config: LocalChainConfig | None = None) -> LocalChain:
        cfg = config or LocalChainConfig()
        # Genesis an hour back: the ~30 setup blocks, one second apart at least, then end
        # behind the wall clock instead of half a minute ahead of it (block.timestamp is what
        # the contract compares expiries with).
        genesis = PyEVMBackend.generate_genesis_params(
            overrides={"timestamp": int(time.time()) - GENESIS_LAG_S}
        )
        backend = PyEVMBackend.from_mnemonic(
            DEV_MNEMONIC,
            num_accounts=ACCOUNT_COUNT,
            hd_path=HD_BASE,
            genesis_state_overrides={"balance": 10_000 * E18},
            genesis_parameters=genesis,
        )
        # eth-tester hard-codes its own chain id on a class it builds per chain; every VM
        # reads it from there (CHAINID opcode, signed-transaction checks).
        type(backend.chain).chain_id = cfg.chain_id
        tester = EthereumTester(backend)
        deployment = _deploy(tester, cfg)
        tester.mine_blocks(1)  # the head block now carries the current time
        if not cfg.automine:
            tester.disable_auto_mine_transactions()
        return cls(tester, deployment)

    def mine(self, blocks: int = 1) -> None:
        with self.lock:
            self.tester.mine_blocks(blocks)

    def set_automine(self, enabled: bool) -> None:
        with self.lock:
            if enabled:
                self.tester.enable_auto_mine_transactions()
            else:
                self.tester.disable_auto_mine_transactions()


class _Deployer:
    """Setup transactions through eth-tester's unlocked development accounts."""

    def __init__(self, tester: EthereumTester) -> None:
        self.tester = tester

    def _send(self, tx: dict[str, Any]) -> Any:
        # Setup blocks are stamped one second after their parent, from the backdated
        # genesis: left to py-evm, each would take max(now, parent + 1), and the ~30 setup
        # blocks would leave the chain half a minute ahead of the wall clock.
        chain = self.tester.backend.chain
        parent = chain.get_canonical_head()
        chain.header = chain.header.copy(timestamp=parent.timestamp + 1)
        return self.tester.send_transaction(tx)

    def deploy(self, name: str, args: tuple[Any, ...], sender: str) -> str:
        art = artifact(name)
        ctor = next((e for e in art.abi if e.get("type") == "constructor"), None)
        types = [_abi_type(i) for i in ctor["inputs"]] if ctor else []
        data = art.bytecode + (encode(types, list(args)) if types else b"")
        tx_hash = self._send({"from": sender, "data": "0x" + data.hex(), "gas": 8_000_000})
        receipt = self.tester.get_transaction_receipt(tx_hash)
        if receipt["status"] != 1 or not receipt["contract_address"]:
            raise RuntimeError(f"deploying {name} failed")
        return to_checksum_address(receipt["contract_address"])

    def call(self, to: str, signature: str, args: tuple[Any, ...], sender: str) -> None:
        types = signature[signature.index("(") + 1 : -1]
        arg_types = _split_types(types)
        data = function_signature_to_4byte_selector(signature) + encode(arg_types, list(args))
        tx_hash = self._send(
            {"from": sender, "to": to, "data": "0x" + data.hex(), "gas": 2_000_000}
        )
        if self.tester.get_transaction_receipt(tx_hash)["status"] != 1:
            raise RuntimeError(f"setup call {signature} to {to} failed")


def _abi_type(item: dict[str, Any]) -> str:
    kind: str = item["type"]
    if kind.startswith("tuple"):
        inner = ",".join(_abi_type(c) for c in item["components"])
        return f"({inner}){kind[5:]}"
    return kind


def _split_types(types: str) -> list[str]:
    out: list[str] = []
    depth, start = 0, 0
    for i, ch in enumerate(types):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append(types[start:i])
            start = i + 1
    if types:
        out.append(types[start:])
    return out


def _deploy(tester: EthereumTester, cfg: LocalChainConfig) -> Deployment:
    accounts = [to_checksum_address(a) for a in tester.get_accounts()]
    dev, admin = accounts[DEV_INDEX], accounts[ADMIN_INDEX]
    minters = tuple(accounts[i] for i in MINTER_INDEXES)
    custodians = tuple(accounts[i] for i in CUSTODIAN_INDEXES)
    d = _Deployer(tester)

    tokens: dict[str, str] = {}
    decimals: dict[str, int] = {"USDe": 18}
    for spec in cfg.tokens:
        tokens[spec.symbol] = d.deploy("ERC20", (spec.symbol, spec.symbol, spec.decimals), admin)
        decimals[spec.symbol] = spec.decimals
    usde = d.deploy("ERC20", ("USDe", "USDe", 18), admin)
    configs = [
        (0 if s.stable else 1, True, cfg.max_mint_per_block, cfg.max_redeem_per_block)
        for s in cfg.tokens
    ]
    minting = d.deploy(
        "Minting",
        (
            usde,
            [tokens[s.symbol] for s in cfg.tokens],
            configs,
            (cfg.global_max_mint_per_block, cfg.global_max_redeem_per_block),
            list(custodians),
            admin,
        ),
        admin,
    )
    # The genesis USDe supply for the development account, then USDe becomes mintable only
    # by the minting contract.
    d.call(usde, "mint(address,uint256)", (dev, cfg.dev_usde_units * E18), admin)
    d.call(usde, "setMinter(address)", (minting,), admin)
    for spec in cfg.tokens:
        units = spec.dev_units * 10**spec.decimals
        d.call(tokens[spec.symbol], "mint(address,uint256)", (dev, units), admin)
        # The contract's own collateral pays redemptions (docs/mint-redeem.md#flow).
        d.call(tokens[spec.symbol], "mint(address,uint256)", (minting, units), admin)
        d.call(tokens[spec.symbol], "approve(address,uint256)", (minting, UNLIMITED), dev)
    d.call(usde, "approve(address,uint256)", (minting, UNLIMITED), dev)
    for role in ("MINTER_ROLE", "REDEEMER_ROLE"):
        for m in minters:
            d.call(minting, "grantRole(bytes32,address)", (keccak(text=role), m), admin)
    d.call(minting, "addWhitelistedBenefactor(address)", (dev,), admin)
    if cfg.stables_delta_limit_bps:
        d.call(minting, "setStablesDeltaLimit(uint128)", (cfg.stables_delta_limit_bps,), admin)
    return Deployment(
        chain_id=cfg.chain_id,
        minting=minting,
        usde=usde,
        tokens=tokens,
        decimals=decimals,
        custodians=custodians,
        admin=admin,
        minters=minters,
        dev_account=dev,
    )


__all__ = [
    "ACCOUNT_COUNT",
    "ADMIN_INDEX",
    "CUSTODIAN_INDEXES",
    "DEFAULT_TOKENS",
    "DEV_ACCOUNT",
    "DEV_INDEX",
    "DEV_MNEMONIC",
    "E18",
    "GENESIS_LAG_S",
    "HD_BASE",
    "LOCAL_CHAIN_ID",
    "MINTER_INDEXES",
    "UNLIMITED",
    "Deployment",
    "LocalChain",
    "LocalChainConfig",
    "TokenSpec",
    "dev_key",
    "local_minter_keys",
]
