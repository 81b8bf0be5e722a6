"""The contract builds shipped beside the Vyper sources are what the compiler makes of them."""

from __future__ import annotations

import decimal

import pytest

from pyengine.chain.artifacts import CONTRACTS, compile_build, shipped_build, source_sha256


@pytest.mark.parametrize("name", CONTRACTS)
def test_shipped_build_is_fresh(name: str) -> None:
    shipped = shipped_build(name)
    assert shipped is not None, f"run python -m pyengine.chain.artifacts ({name} has no build)"
    assert shipped.source_sha256 == source_sha256(name), "stale: python -m pyengine.chain.artifacts"
    fresh = compile_build(name)
    assert (shipped.vyper, shipped.abi, shipped.bytecode) == (
        fresh.vyper,
        fresh.abi,
        fresh.bytecode,
    )


def test_compiling_leaves_the_decimal_context_alone() -> None:
    """vyper sets decimal precision to 78 on import; money math elsewhere must not see it."""
    before = decimal.getcontext().copy()
    compile_build("SmartWallet")
    after = decimal.getcontext()
    assert (after.prec, after.rounding, after.Emax) == (before.prec, before.rounding, before.Emax)
