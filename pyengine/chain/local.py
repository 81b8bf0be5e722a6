"""The embedded default's chain: a real EVM (py-evm through eth-tester) with our contracts.

`LocalChain.start()` builds a fresh chain from the well-known development mnemonic, deploys
the collateral tokens, USDe and the minting contract, whitelists the standard development
account (the mnemonic's first account, 0xf39F...2266), funds it with every collateral token
and with USDe, and approves the minting contract for all of them. `rpc.py` serves it over
HTTP JSON-RPC so that clients talk to it exactly as to mainnet.

The keys here are the public development keys of that mnemonic: the local chain is the only
place they may sign. Production minter keys come from `keys.py` (files or environment).
"""

from __future__ import annotations

import functools
import threading
import time
from typing import Any

import msgspec
from eth_abi.abi import encode
from eth_account import Account
from eth_account.hdaccount import ETHEREUM_DEFAULT_PATH
from eth_tester import EthereumTester, PyEVMBackend
from eth_utils.abi import function_signature_to_4byte_selector
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from pyengine.chain.artifacts import artifact
from pyengine.chain.keys import MinterKey
from pyengine.chain.order import Domain

DEV_MNEMONIC = "test test test test test test test test test test test junk"
DEV_ACCOUNT = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
LOCAL_CHAIN_ID = 31337  # the usual local-development chain id, so wallets recognise it
UNLIMITED = 2**256 - 1
HD_BASE = ETHEREUM_DEFAULT_PATH.rsplit("/", 1)[0]  # m/44'/60'/0'/0

# Account roles by mnemonic index.
DEV_INDEX = 0
ADMIN_INDEX = 1
MINTER_INDEXES = (2, 3, 4)
CUSTODIAN_INDEXES = (5, 6, 7)
ACCOUNT_COUNT = 10
GENESIS_LAG_S = 3_600


class TokenSpec(msgspec.Struct, frozen=True):
    symbol: str
    decimals: int
    stable: bool
    dev_units: int  # whole units given to the development account and to the contract


DEFAULT_TOKENS: tuple[TokenSpec, ...] = (
    TokenSpec("USDT", 6, True, 100_000_000),
    TokenSpec("USDC", 6, True, 100_000_000),
    TokenSpec("stETH", 18, False, 100_000),
    TokenSpec("WETH", 18, False, 100_000),
    TokenSpec("WBTC", 8, False, 10_000),
)
E18 = 10**18


class LocalChainConfig(msgspec.Struct, frozen=True, kw_only=True):
    chain_id: int = LOCAL_CHAIN_ID
    tokens: tuple[TokenSpec, ...] = DEFAULT_TOKENS
    # docs/mint-redeem.md#block-limits vector: global 10M, per asset 5M USDe per block.
    max_mint_per_block: int = 5_000_000 * E18
    max_redeem_per_block: int = 5_000_000 * E18
    global_max_mint_per_block: int = 10_000_000 * E18
    global_max_redeem_per_block: int = 10_000_000 * E18
    stables_delta_limit_bps: int = 0
    dev_usde_units: int = 100_000_000
    # True: every transaction is mined at once in its own block (tests). False: pending
    # transactions wait for the next block, as on mainnet; pair it with RpcServer's
    # block_time_s. Each block must be at least one second after its parent, so mining a
    # block per transaction runs the chain's clock ahead of the wall clock under load.
    automine: bool = True


class Deployment(msgspec.Struct, frozen=True, kw_only=True):
    """Where everything lives on the local chain (what `status --json` shows as `chain`)."""

    chain_id: int
    minting: str
    usde: str
    tokens: dict[str, str]
    decimals: dict[str, int]
    custodians: tuple[str, ...]
    admin: str
    minters: tuple[str, ...]
    dev_account: str

    @property
    def domain(self) -> Domain:
        return Domain(chain_id=self.chain_id, verifying_contract=self.minting)

    def status(self, rpc_url: str) -> dict[str, object]:
        """The `chain` section of `pyengine status --json` (issue 12)."""
        return {
            "rpc_url": rpc_url,
            "chain_id": self.chain_id,
            "minting_contract": self.minting,
            "tokens": {**self.tokens, "USDe": self.usde},
        }


def local_minter_keys() -> tuple[MinterKey, ...]:
    """The local chain's MINTER/REDEEMER keys: public development keys, for it alone."""
    return tuple(MinterKey(dev_key(i)) for i in MINTER_INDEXES)


@functools.cache
def dev_key(index: int) -> bytes:
    """Private key of the development mnemonic's account `index` (public test keys)."""
    Account.enable_unaudited_hdwallet_features()
    acct = Account.from_mnemonic(DEV_MNEMONIC, account_path=f"{HD_BASE}/{index}")
    return bytes(acct.key)


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
