"""Benchmark helpers: every speed claim is a ratio against a baseline timed in the same run."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"


def best_of(fn: Callable[[], Any], rounds: int = 5) -> float:
    """Minimum wall time of `rounds` calls, in seconds (min filters scheduler noise)."""
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def report(name: str, **numbers: float) -> None:
    """Print a benchmark's numbers on one line (shown with pytest -s or in CI logs)."""
    body = ", ".join(f"{k}={v:.3g}" for k, v in numbers.items())
    print(f"\n[bench] {name}: {body}")
