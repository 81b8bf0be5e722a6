"""The layer rule (pyproject `[tool.importlinter]`) holds, and fails on a planted wrong import."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# import-linter's command, installed beside this interpreter (the dev dependencies).
LINT = Path(sys.executable).with_name("lint-imports")
if not LINT.exists():
    LINT = Path(shutil.which("lint-imports") or LINT)


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(LINT), str(tree / "pyproject.toml"), "--no-cache"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the package's sources and the contract, to plant imports in."""
    shutil.copytree(
        ROOT / "pyengine",
        tmp_path / "pyengine",
        ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.json"),
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _plant(tree: Path, module: str, line: str) -> None:
    path = tree / module
    path.write_text(path.read_text() + f"\n{line}\n")


def test_the_copied_tree_keeps_the_contracts(tree: Path) -> None:
    result = _lint(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "reported"),
    [
        # a floor module reaching up to the actors
        (
            "pyengine/clock.py",
            "import pyengine.actors.base",
            "pyengine.clock -> pyengine.actors.base",
        ),
        # a venue adapter reaching up to the runtime
        (
            "pyengine/venues/base.py",
            "from pyengine.runtime import plan",
            "pyengine.venues.base -> pyengine.runtime.plan",
        ),
        # two independent siblings of the domain layer
        (
            "pyengine/validation/drift.py",
            "import pyengine.oracles.errors",
            "pyengine.validation.drift -> pyengine.oracles.errors",
        ),
        # an actor importing a simulator actor, and the runtime the simulator (layers allow
        # both; the second contract does not)
        (
            "pyengine/actors/monitor.py",
            "import pyengine.actors.sim_world",
            "pyengine.actors.monitor -> pyengine.actors.sim_world",
        ),
        (
            "pyengine/runtime/engine.py",
            "from pyengine.sim.host import close_worlds",
            "pyengine.runtime.engine -> pyengine.sim.host",
        ),
    ],
)
def test_a_planted_wrong_import_breaks_the_contract(
    tree: Path, module: str, line: str, reported: str
) -> None:
    _plant(tree, module, line)
    result = _lint(tree)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "BROKEN" in result.stdout
    assert reported in result.stdout


def test_a_new_top_level_module_must_be_given_a_layer(tree: Path) -> None:
    (tree / "pyengine" / "stray.py").write_text('"""Belongs nowhere yet."""\n')
    result = _lint(tree)
    assert result.returncode == 1
    assert "pyengine.stray" in result.stdout
