"""Shutdown hooks: run once, newest first, per event loop; a failing hook does not stop the rest."""

from __future__ import annotations

import asyncio
import logging

import pytest

from pyengine.shutdown import on_shutdown, run_shutdown_hooks
from pyengine.sim.host import WorldOptions, find_world, start_world


def test_hooks_run_once_newest_first_and_survive_a_failure(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ran: list[str] = []

    async def first() -> None:
        ran.append("first")

    async def broken() -> None:
        raise RuntimeError("boom")

    async def last() -> None:
        ran.append("last")

    async def main() -> None:
        on_shutdown(first)
        on_shutdown(broken)
        on_shutdown(last)
        on_shutdown(first)  # registered twice, runs once
        await run_shutdown_hooks()
        await run_shutdown_hooks()  # forgotten after running

    with caplog.at_level(logging.ERROR, logger="pyengine.shutdown"):
        asyncio.run(main())
    assert ran == ["last", "first"]
    assert "shutdown hook" in caplog.text


def test_hooks_belong_to_their_loop() -> None:
    ran: list[str] = []

    async def hook() -> None:
        ran.append("hook")

    async def register() -> None:
        on_shutdown(hook)

    async def other_loop() -> None:
        await run_shutdown_hooks()

    asyncio.run(register())
    asyncio.run(other_loop())
    assert ran == []


def test_the_simulated_world_registers_its_own_stop() -> None:
    async def main() -> None:
        hosted = start_world("w", WorldOptions())
        await hosted.ready.wait()
        await run_shutdown_hooks()
        assert find_world("w") is None
        assert hosted.task is not None and hosted.task.done()

    asyncio.run(main())
