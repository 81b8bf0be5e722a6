"""The embedded default's chain node: a LocalChain served over loopback JSON-RPC.

Building the chain (compiling the contracts, deploying, funding the development account)
takes seconds of CPU, so it runs on a worker thread, off the event loop. Blocks come every
`block_time_s` without automine, as on a live chain: transactions wait in the pending block,
so per-block caps, pending nonces and receipts behave as on mainnet.

The engine runs it in a process of its own (`node_main.py`, started by `node_process.py`),
as a production engine talks to a node it does not host; tests may start it in-process.
"""

from __future__ import annotations

import asyncio
import socket

from pyengine.chain.client import Web3ChainClient
from pyengine.chain.local import LocalChain, LocalChainConfig, local_minter_keys
from pyengine.chain.rpc import RpcServer


class LocalNode:
    def __init__(self, chain: LocalChain, server: RpcServer) -> None:
        self.chain = chain
        self.server = server
        self.deployment = chain.deployment

    @property
    def url(self) -> str:
        return self.server.url

    @classmethod
    async def start(
        cls,
        config: LocalChainConfig | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        block_time_s: float | None = 1.0,
        sock: socket.socket | None = None,
    ) -> LocalNode:
        cfg = config or LocalChainConfig(automine=block_time_s is None)
        loop = asyncio.get_running_loop()
        chain = await loop.run_in_executor(None, LocalChain.start, cfg)
        server = RpcServer(chain, host=host, port=port, block_time_s=block_time_s, sock=sock)
        await server.start()
        return cls(chain, server)

    def client(self) -> Web3ChainClient:
        d = self.deployment
        return Web3ChainClient(
            self.url,
            minting=d.minting,
            usde=d.usde,
            chain_id=d.chain_id,
            minter_keys=local_minter_keys(),
        )

    async def stop(self) -> None:
        await self.server.stop()
