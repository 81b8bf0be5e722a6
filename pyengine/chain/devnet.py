"""The local development chain's public facts: the development mnemonic and its keys, the
tokens, the limits and where everything is deployed (`Deployment`).

Nothing here imports the EVM (`local.py` does): the engine process reads these facts while
the chain itself runs in its own node process (`node_main.py`), so the engine never loads
py-evm or eth-tester.

The keys here are the public development keys of that mnemonic: the local chain is the only
place they may sign. Production minter keys come from `keys.py` (files or environment).
"""

from __future__ import annotations

import functools

import msgspec
from eth_account import Account
from eth_account.hdaccount import ETHEREUM_DEFAULT_PATH

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
