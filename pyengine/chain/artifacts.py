"""Compiled contracts of the local chain: Vyper sources shipped as package data.

Each source ships with its build (`contracts/build/<Name>.json`: ABI, bytecode, the
compiler version and the source's SHA-256), so starting a chain needs no compile; a source
that no longer matches its build is compiled afresh. `python -m pyengine.chain.artifacts`
rewrites the builds; tests/unit/test_chain_artifacts.py fails while one is stale.
"""

from __future__ import annotations

import decimal
import functools
import hashlib
import json
import sys
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import msgspec


class Artifact(msgspec.Struct, frozen=True):
    name: str
    abi: list[dict[str, Any]]
    bytecode: bytes


class Build(msgspec.Struct, frozen=True):
    name: str
    vyper: str
    source_sha256: str
    abi: list[dict[str, Any]]
    bytecode: str


CONTRACTS = ("ERC20", "Minting", "SmartWallet")


def _contracts_dir() -> Traversable:
    return resources.files("pyengine.chain").joinpath("contracts")


def source(name: str) -> str:
    return _contracts_dir().joinpath(f"{name}.vy").read_text()


def source_sha256(name: str) -> str:
    return hashlib.sha256(source(name).encode()).hexdigest()


def shipped_build(name: str) -> Build | None:
    path = _contracts_dir().joinpath("build").joinpath(f"{name}.json")
    if not path.is_file():
        return None
    return msgspec.json.decode(path.read_bytes(), type=Build)


def compile_build(name: str) -> Build:
    # Importing vyper sets the process-wide decimal precision to 78 digits, which would
    # silently change every Decimal amount computed afterwards: import and compile inside a
    # local context, which is restored on exit.
    with decimal.localcontext() as ctx:
        ctx.prec = 78
        import vyper  # needed only where a source changed since its build

        out = vyper.compile_code(source(name), output_formats=["abi", "bytecode"])
        version = str(vyper.__version__)
    return Build(
        name=name,
        vyper=version,
        source_sha256=source_sha256(name),
        abi=out["abi"],
        bytecode=out["bytecode"],
    )


@functools.cache
def artifact(name: str) -> Artifact:
    build = shipped_build(name)
    if build is None or build.source_sha256 != source_sha256(name):
        build = compile_build(name)
    return Artifact(name=name, abi=build.abi, bytecode=bytes.fromhex(build.bytecode[2:]))


def write_builds(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name in CONTRACTS:
        build = msgspec.to_builtins(compile_build(name))
        (directory / f"{name}.json").write_text(json.dumps(build, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    target = Path(__file__).resolve().parent / "contracts" / "build"
    write_builds(target)
    sys.stdout.write(f"wrote {len(CONTRACTS)} builds to {target}\n")
