"""The local chain nodes of one engine process: started before its actors, stopped after.

An actor asks for one through `Actor.local_node` (the rfq actor with `chain = "local"`):
the node runs in a process of its own (`pyengine.chain.node_process`), so this process
never imports the EVM, and the actor is given the node's URL as option `rpc_url`. The node
outlives the actor's restarts, as a real node does. A node that cannot be started is a
`NodeError` before any actor runs; one that exits while the engine runs stops the engine
as a fault (its last words in the log and the reason).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from typing import Any

from pyengine.chain.node_process import NodeProcess
from pyengine.runtime.plan import ActorPlan

log = logging.getLogger("pyengine.engine")


class LocalNodes:
    def __init__(self) -> None:
        self.nodes: dict[str, NodeProcess] = {}
        """By the name of the actor each serves."""
        self._watchers: list[asyncio.Task[None]] = []

    async def start(self, actors: Sequence[ActorPlan]) -> None:
        """Start the node of every actor that asks for one (`NodeError` if one cannot be
        started: the ones already started are stopped)."""
        try:
            for a in actors:
                spec = a.cls.local_node(a.options)
                if spec is not None:
                    self.nodes[a.name] = await NodeProcess.start(spec)
        except BaseException:
            await self.stop()
            raise

    def options(self, name: str, options: dict[str, Any]) -> dict[str, Any]:
        """`options` of actor `name`, with its node's URL if it has one."""
        node = self.nodes.get(name)
        return options if node is None else {**options, "rpc_url": node.url}

    def watch(self, on_exit: Callable[[str], None]) -> None:
        """Call `on_exit(reason)` if a node exits before `stop`."""
        loop = asyncio.get_running_loop()
        for node in self.nodes.values():
            self._watchers.append(loop.create_task(self._watch(node, on_exit)))

    @staticmethod
    async def _watch(node: NodeProcess, on_exit: Callable[[str], None]) -> None:
        rc = await node.wait()
        if not node.stopping:
            on_exit(node.failure(rc))

    async def stop(self) -> None:
        for task in self._watchers:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._watchers.clear()
        for name, node in list(self.nodes.items()):
            try:
                await node.stop()
            except Exception:
                log.exception("%s: stopping its local chain node failed", name)
        self.nodes.clear()
