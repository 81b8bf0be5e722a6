"""Compiled contracts of the local chain: Vyper sources shipped as package data."""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

import msgspec


class Artifact(msgspec.Struct, frozen=True):
    name: str
    abi: list[dict[str, Any]]
    bytecode: bytes


CONTRACTS = ("ERC20", "Minting", "SmartWallet")


def source(name: str) -> str:
    return (
        resources.files("pyengine.chain").joinpath("contracts").joinpath(f"{name}.vy").read_text()
    )


@functools.cache
def artifact(name: str) -> Artifact:
    """Compile one contract once per process (about a second for Minting.vy)."""
    import vyper  # the compiler is only needed where a chain is deployed or an ABI read

    out = vyper.compile_code(source(name), output_formats=["abi", "bytecode"])
    return Artifact(name=name, abi=out["abi"], bytecode=bytes.fromhex(out["bytecode"][2:]))
