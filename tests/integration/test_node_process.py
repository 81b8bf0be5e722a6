"""The embedded default's local chain runs as a node process the engine owns: the engine
process never imports the EVM, `status` shows the node's chain, the node dies with the
engine, and a node that cannot start or dies is a clear error and a non-zero exit."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.engine_proc import (
    ROOT,
    ChainReady,
    Started,
    alive,
    endpoint,
    node_pid,
    start,
    wait_chain,
)

EVM_MODULES = ("eth", "eth_tester", "vyper", "py_evm")
"""py-evm's package is `eth`; eth-tester; the Vyper compiler."""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Started, ChainReady]]:
    cwd = tmp_path_factory.mktemp("node")
    (cwd / "var").mkdir()
    s = start(
        cwd,
        timeout_s=120,
        module="tests.integration.modules_probe",
        env={"MODULES_OUT": str(cwd / "modules.txt")},
    )
    try:
        yield cwd, s, wait_chain(cwd, s)
    finally:
        if s.proc.poll() is None:
            s.proc.kill()
        s.proc.wait(30)


def _rpc(url: str, method: str) -> object:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": []}).encode()
    req = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())["result"]


def test_the_engine_process_does_not_import_the_evm(
    engine: tuple[Path, Started, ChainReady],
) -> None:
    cwd, s, ready = engine
    out = cwd / "modules.txt"
    s.proc.send_signal(signal.SIGUSR1)
    deadline = time.monotonic() + 10
    while not out.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    modules = set(out.read_text().split())
    assert "pyengine.actors.rfq" in modules and "web3" in modules  # the probe saw the engine
    loaded = sorted(m for m in modules if m.split(".")[0] in EVM_MODULES)
    assert loaded == []
    assert ready.node_pid is not None and ready.node_pid != s.proc.pid
    print(f"\nmain peak RSS {ready.main_rss_mb:.0f} MB, node {ready.node_rss_mb:.0f} MB")


def test_status_shows_the_nodes_chain(engine: tuple[Path, Started, ChainReady]) -> None:
    from pyengine.runtime.control import status

    cwd, _, _ = engine
    chain = status(endpoint(cwd), timeout_s=5).chain or {}
    assert chain["chain_id"] == 31337
    url = str(chain["rpc_url"])
    assert int(str(_rpc(url, "eth_chainId")), 16) == 31337
    deployment = _rpc(url, "pyengine_deployment")
    assert isinstance(deployment, dict)
    assert chain["minting_contract"] == deployment["minting"]
    assert chain["tokens"] == {**deployment["tokens"], "USDe": deployment["usde"]}


def test_the_node_dies_with_the_engine(engine: tuple[Path, Started, ChainReady]) -> None:
    _, s, ready = engine
    assert ready.node_pid is not None and alive(ready.node_pid)
    s.proc.kill()  # SIGKILL: no cleanup of the engine's runs
    s.proc.wait(30)
    deadline = time.monotonic() + 5
    while alive(ready.node_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(ready.node_pid)


def _config(cwd: Path, node_port: int) -> Path:
    path = cwd / "engine.toml"
    path.write_text(
        f"""name = "nodetest"
var_dir = "{cwd / "var"}"

[[actors]]
name = "rfq"
kind = "rfq"
[actors.options]
port = 0
node_port = {node_port}
"""
    )
    return path


def _run(cwd: Path, config: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "pyengine.cli", "run", str(config)],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def test_a_node_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        proc = _run(tmp_path, _config(tmp_path, port))
        _, err = proc.communicate(timeout=60)
    text = err.decode()
    assert proc.returncode == 2
    assert f"the local chain node cannot listen on 127.0.0.1:{port}" in text
    assert "Traceback" not in text


def test_a_node_that_dies_stops_the_engine_as_a_fault(tmp_path: Path) -> None:
    proc = _run(tmp_path, _config(tmp_path, 0))
    try:
        deadline = time.monotonic() + 60
        node = None
        while node is None and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
            node = node_pid(proc.pid)
        assert node is not None
        os.kill(node, signal.SIGKILL)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)
    text = err.decode()
    assert proc.returncode == 1
    assert f"the local chain node (pid {node}) exited with -9" in text
    assert "Traceback" not in text


def test_an_actor_outside_an_engine_owns_its_node() -> None:
    import asyncio

    from pyengine.actors.rfq_chain import open_local

    async def go() -> tuple[dict[str, object], list[int]]:
        setup = await open_local("", 1.0)
        kids = [p for p in _children() if p not in before]
        assert setup.close is not None
        await setup.close()
        return setup.status, kids

    before = set(_children())
    chain, kids = asyncio.run(go())
    assert chain["chain_id"] == 31337 and str(chain["rpc_url"]).startswith("http://127.0.0.1:")
    assert len(kids) == 1
    assert not alive(kids[0])  # stopped with the chain's close


def _children() -> list[int]:
    from tests.integration.engine_proc import child_pids

    return child_pids(os.getpid())
