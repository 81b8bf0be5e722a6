"""Shutdown hooks: what a part of the engine needs done when its event loop's engine exits.

A part that starts something living beyond one actor (the simulated world, run as a task
and shared by several actors) registers a hook from the loop it runs on; the runtime runs
the hooks of its loop last, after every actor closed. The runtime so stops what it does not
know of, and no lower layer imports the runtime (the layer rule in the README).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger("pyengine.shutdown")

Hook = Callable[[], Awaitable[None]]

_HOOKS: dict[int, tuple[asyncio.AbstractEventLoop, list[Hook]]] = {}


def on_shutdown(hook: Hook) -> None:
    """Run `hook` when the engine of the running event loop exits (once, however often it
    is registered)."""
    loop = asyncio.get_running_loop()
    for key, (other, _) in list(_HOOKS.items()):
        if other.is_closed():
            del _HOOKS[key]
    known = _HOOKS.setdefault(id(loop), (loop, []))
    if known[0] is not loop:
        known = _HOOKS[id(loop)] = (loop, [])
    if hook not in known[1]:
        known[1].append(hook)


async def run_shutdown_hooks() -> None:
    """Run and forget the hooks of the running loop, newest first; a failing hook is logged
    and the others still run."""
    loop = asyncio.get_running_loop()
    known = _HOOKS.pop(id(loop), None)
    if known is None or known[0] is not loop:
        return
    for hook in reversed(known[1]):
        try:
            await hook()
        except Exception:
            log.exception("shutdown hook %r failed", hook)


__all__ = ["Hook", "on_shutdown", "run_shutdown_hooks"]
