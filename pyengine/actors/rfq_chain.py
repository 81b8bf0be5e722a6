"""The rfq actor's chain: what it knows of the deployment, and the I/O its effects run.

Each coroutine here is the body of one `Call` the actor returns (opening the chain, reading
an order's facts, submitting, polling confirmations and capacity); the actor decides what
their answers mean in `handle`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypeVar

import msgspec

from pyengine.chain.client import Capacity, ChainClient, Confirmation, Submission
from pyengine.chain.order import Order, Route, Signature
from pyengine.chain.validate import OrderFacts

# The hedged asset of each collateral (docs/mint-redeem.md#flow: a mint opens a short of
# about the same notional); stables are not hedged.
HEDGED_ASSET = {"stETH": "ETH", "WETH": "ETH", "WBTC": "BTC"}
LOCAL_ROUTE_RATIOS = (3333, 3333, 3334)
T = TypeVar("T")
LOCAL_NODE_TIMEOUT_S = 120.0
"""How long a node that is still building its chain (compiling, deploying) may take."""


class TokenOption(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    address: str
    decimals: int
    stable: bool = False


@dataclass(frozen=True, slots=True)
class Token:
    symbol: str
    address: str
    decimals: int
    stable: bool

    def units(self, base: int) -> Decimal:
        return Decimal(base).scaleb(-self.decimals)


@dataclass(slots=True)
class ChainSetup:
    client: ChainClient
    tokens: dict[str, Token]
    usde: str
    route: Route
    status: dict[str, object] = field(default_factory=dict)
    start_block: int = 0
    close: Callable[[], Awaitable[None]] | None = None

    def by_address(self, address: str) -> Token | None:
        low = address.lower()
        return next((t for t in self.tokens.values() if t.address.lower() == low), None)


async def open_local(
    rpc_url: str, block_time_s: float, timeout_s: float = LOCAL_NODE_TIMEOUT_S
) -> ChainSetup:
    """Connect to the local chain node at `rpc_url` (the one the engine started for this
    actor), learning its deployment from it; with no `rpc_url`, start a node of our own
    (its own process, stopped by `close`)."""
    from pyengine.chain.node_process import NodeProcess, NodeSpec

    if rpc_url:
        return await _connect_local(rpc_url, timeout_s, None)
    owned = await NodeProcess.start(NodeSpec(block_time_s=block_time_s))
    try:
        return await _connect_local(owned.url, timeout_s, owned.stop)
    except BaseException:
        await owned.stop()
        raise


async def _connect_local(
    url: str, timeout_s: float, stop_node: Callable[[], Awaitable[int]] | None
) -> ChainSetup:
    from pyengine.chain.client import Web3ChainClient
    from pyengine.chain.devnet import DEFAULT_TOKENS, Deployment, local_minter_keys
    from pyengine.chain.node_process import fetch_deployment

    d = msgspec.convert(await fetch_deployment(url, timeout_s), Deployment)
    stable = {t.symbol: t.stable for t in DEFAULT_TOKENS}
    tokens = {
        sym: Token(sym, addr, d.decimals[sym], stable.get(sym, False))
        for sym, addr in d.tokens.items()
    }
    client = Web3ChainClient(
        url, minting=d.minting, usde=d.usde, chain_id=d.chain_id, minter_keys=local_minter_keys()
    )

    async def close() -> None:
        await client.close()
        if stop_node is not None:
            await stop_node()

    try:
        start_block = await client.block_number()
    except BaseException:
        await client.close()
        raise
    return ChainSetup(
        client=client,
        tokens=tokens,
        usde=d.usde,
        route=Route(tuple(d.custodians), LOCAL_ROUTE_RATIOS),
        status=d.status(url),
        start_block=start_block,
        close=close,
    )


async def open_rpc(
    rpc_url: str,
    *,
    chain_id: int,
    minting: str,
    usde: str,
    tokens: Mapping[str, TokenOption],
    route: Route,
) -> ChainSetup:
    """Connect to a node with the minter keys of the environment (`chain.keys`)."""
    from pyengine.chain.client import Web3ChainClient
    from pyengine.chain.keys import load_minter_keys

    client = Web3ChainClient(
        rpc_url, minting=minting, usde=usde, chain_id=chain_id, minter_keys=load_minter_keys()
    )
    return ChainSetup(
        client=client,
        tokens={s: Token(s, t.address, t.decimals, t.stable) for s, t in tokens.items()},
        usde=usde,
        route=route,
        status={
            "rpc_url": rpc_url,
            "chain_id": chain_id,
            "minting_contract": minting,
            "tokens": {**{s: t.address for s, t in tokens.items()}, "USDe": usde},
        },
        start_block=await client.block_number(),
        close=client.close,
    )


async def read_facts(
    client: ChainClient, order: Order, signature: Signature, route: Route | None
) -> OrderFacts:
    return await client.order_facts(order, signature, route)


async def submit(
    client: ChainClient, order: Order, route: Route, signature: Signature, is_mint: bool
) -> Submission:
    if is_mint:
        return await client.submit_mint(order, route, signature)
    return await client.submit_redeem(order, signature)


@dataclass(frozen=True, slots=True)
class Poll:
    head: int
    events: list[Confirmation]
    failed: list[str]


async def poll(client: ChainClient, from_block: int, pending: list[str]) -> Poll:
    """Mint/Redeem events from `from_block` to the head, and pending transactions that failed."""
    head = await client.block_number()
    events = await client.confirmations(from_block, head) if head >= from_block else []
    failed = [tx for tx in pending if await client.receipt_status_now(tx) == 0]
    return Poll(head, events, failed)


async def capacities(client: ChainClient, tokens: list[Token]) -> dict[str, Capacity]:
    caps = await client.capacities([t.address for t in tokens])
    return {t.symbol: caps[t.address] for t in tokens}


async def deliver(reply: Callable[[T], None], answer: T) -> None:
    """The reply effect: hand an answer back to the HTTP server that waits for it."""
    reply(answer)
