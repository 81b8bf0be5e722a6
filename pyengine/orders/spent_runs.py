"""Spent ids of the engine's own shape, `<scope>-<n>`, as runs of numbers per scope.

The engine makes its ids in sequence within a scope (`pyengine.clock.SequentialIds`:
`{prefix}{actor}-{epoch}-{n}`, n = 1, 2, 3 ... in one life), so the ids a table forgets
are long runs of consecutive numbers: a run is two integers however many ids it holds,
where a Bloom filter needs about 4.8 bytes per id, and it is exact. Months of one
strategy's orders are a handful of runs.

Two runs of a scope less than `GAP` apart are joined: the numbers between them are then
answered spent too. That is the safe error (`spent.py`: a fresh id taken for a spent one
is refused, and the sender makes another), and for ids made in sequence it never refuses a
fresh one: a generator only counts up, and a new life has a new scope. Ids of other shapes
(a venue's, a hash) are not runs; scopes that stay small (the few children of one parent)
are handed back to the Bloom filters once there are more than `MAX_RUNS` runs (`spill`),
so the runs' memory is bounded whatever the ids look like.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator

_SCOPED = re.compile(r"(.*-)(0|[1-9][0-9]{0,17})")
"""`<scope>-<n>`, n without leading zeros (so `f"{scope}{n}"` spells the id again)."""
GAP = 256
MAX_RUNS = 4096
KEEP_SCOPE = 100_000
"""A scope holding this many ids is never spilled (its runs are worth far more)."""


def scoped(key: str) -> tuple[str, int] | None:
    m = _SCOPED.fullmatch(key)
    return (m[1], int(m[2])) if m else None


class Runs:
    def __init__(self) -> None:
        self.scopes: dict[str, list[int]] = {}
        """Per scope, its runs flat and sorted: [lo0, hi0, lo1, hi1, ...]."""
        self.runs = 0
        self.count = 0
        """Ids added (the numbers between joined runs not counted)."""

    def __contains__(self, item: tuple[str, int]) -> bool:
        scope, n = item
        flat = self.scopes.get(scope)
        if not flat:
            return False
        i = bisect_right(flat, n)
        return i % 2 == 1 or (i > 0 and flat[i - 1] == n)

    def add(self, scope: str, n: int) -> None:
        flat = self.scopes.setdefault(scope, [])
        i = bisect_right(flat, n)
        if i % 2 == 1 or (i > 0 and flat[i - 1] == n):
            return  # inside a run already
        left = i >= 2 and n - flat[i - 1] <= GAP
        right = i < len(flat) and flat[i] - n <= GAP
        if left and right:
            del flat[i - 1 : i + 1]
            self.runs -= 1
        elif left:
            flat[i - 1] = n
        elif right:
            flat[i] = n
        else:
            flat[i:i] = [n, n]
            self.runs += 1
        self.count += 1

    def over(self) -> bool:
        return self.runs > MAX_RUNS

    def spill(self) -> Iterator[str]:
        """Remove the smallest scopes until at most half of `MAX_RUNS` runs are left; yields
        every id they answered spent (for the Bloom filters)."""
        sizes = sorted(
            (sum(flat[k + 1] - flat[k] + 1 for k in range(0, len(flat), 2)), scope)
            for scope, flat in self.scopes.items()
        )
        for size, scope in sizes:
            if self.runs <= MAX_RUNS // 2 or size >= KEEP_SCOPE:
                return
            flat = self.scopes.pop(scope)
            self.runs -= len(flat) // 2
            self.count -= size
            for k in range(0, len(flat), 2):
                for n in range(flat[k], flat[k + 1] + 1):
                    yield f"{scope}{n}"

    def state(self) -> dict[str, list[int]]:
        return {s: list(flat) for s, flat in self.scopes.items()}

    @classmethod
    def restore(cls, scopes: dict[str, list[int]], count: int) -> Runs:
        out = cls()
        for scope, flat in scopes.items():
            if len(flat) % 2 or flat != sorted(flat):
                raise ValueError(f"spent runs of {scope!r} are not sorted pairs")
            out.scopes[scope] = list(flat)
            out.runs += len(flat) // 2
        out.count = count
        return out
