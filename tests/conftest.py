"""Shared fixtures: polling with a deadline, a real PostgreSQL server, engine subprocesses."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parent.parent

# CI explores a fixed, reproducible set of examples (a red CI must be reproducible and must
# not depend on luck); local runs keep hypothesis' random exploration to find new cases.
settings.register_profile("ci", derandomize=True, print_blob=True, deadline=None)
if os.environ.get("CI"):
    settings.load_profile("ci")


def _busy_threads() -> list[str]:
    """Non-daemon threads still doing work (an idle executor worker waits in `_worker`)."""
    frames = sys._current_frames()
    busy = []
    for t in threading.enumerate():
        f = frames.get(t.ident or -1)
        if t is threading.main_thread() or t.daemon or f is None:
            continue
        if f.f_code.co_name == "_worker" and f.f_code.co_filename.endswith("futures/thread.py"):
            continue
        while f.f_back is not None and not f.f_code.co_filename.endswith("futures/thread.py"):
            f = f.f_back
        item = f.f_locals.get("self") if f.f_code.co_name == "run" else None
        busy.append(f"{t.name}: {getattr(item, 'fn', f.f_code.co_name)!r}")
    return busy


def pytest_unconfigure(config: pytest.Config) -> None:
    """A thread left working at the end blocks interpreter exit forever (CI then dies at its
    time limit with every test green): name it and exit with a failure instead."""
    deadline = time.monotonic() + 5
    while (busy := _busy_threads()) and time.monotonic() < deadline:
        time.sleep(0.1)
    if busy:
        sys.stderr.write("threads still working after the tests, exit would hang:\n")
        sys.stderr.write("".join(f"  {b}\n" for b in busy))
        sys.stderr.flush()
        sys.stdout.flush()
        os._exit(3)


def wait_until(cond: Callable[[], object], timeout: float = 10.0, what: str = "condition") -> None:
    """Poll `cond` until truthy; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


async def async_wait_until(
    cond: Callable[[], object], timeout: float = 10.0, what: str = "condition"
) -> None:
    """`wait_until` for the event loop (yields to other tasks while polling)."""
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.005)


@pytest.fixture
def poll() -> Callable[..., None]:
    return wait_until


@pytest.fixture
def apoll() -> Callable[..., Awaitable[None]]:
    return async_wait_until


@pytest.fixture(scope="session")
def pg_server() -> str:
    """URL of a throwaway PostgreSQL cluster (scripts/ensure_postgres.sh installs, starts it)."""
    out = subprocess.run(
        ["bash", str(ROOT / "scripts" / "ensure_postgres.sh")],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return out.stdout.strip().splitlines()[-1]


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A fresh, empty database on the test server for one test."""
    import psycopg

    name = f"t_{os.getpid()}_{time.monotonic_ns()}"
    admin = pg_server.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}".encode())
    try:
        yield pg_server.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)".encode())


def engine_cmd(*args: str) -> list[str]:
    """Command line for `python -m pyengine.cli ...`."""
    return [sys.executable, "-m", "pyengine.cli", *args]
