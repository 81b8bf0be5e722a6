"""The ids of forgotten orders, in bounded memory: an id, once used, is never used again.

An `OrderTable` forgets ended orders beyond its cap but must still answer that their ids
are spent, for as long as the engine runs (months: millions of ids, hundreds of MB as a
set of strings). `SpentIds` keeps the newest `exact_cap` of them in a set and folds older ones
into Bloom filters of `capacity` ids each (Bloom, "Space/time trade-offs in hash coding
with allowable errors", CACM 13(7), 1970): about 4.8 bytes per id at a false-positive
rate of 1e-8 per filter. A Bloom filter has no false negatives, so a spent id is always
answered spent; the error is only ever the other way, the safe one: a fresh id taken for
a spent one is refused (`DuplicateOrderId`) and the sender makes another.

Ids of the engine's own shape (`<scope>-<n>`, made in sequence) go to runs of numbers
instead (`spent_runs.py`): exact, and a few integers for millions of ids, so what a table
remembers of its history does not grow with it; the Bloom filters take the other ids.
"""

from __future__ import annotations

import hashlib
import math

import msgspec

from pyengine.orders.spent_runs import Runs, scoped

FALSE_POSITIVE = 1e-8
"""Per new filter, when full: a fresh order id refused about once in weeks of traffic."""
_FIRST_RATE = 1e-7
"""The rate of filters saved without their size (`BloomState.m == 0`)."""


class BloomState(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    capacity: int
    count: int
    bits: bytes
    m: int = 0
    """Bits in the filter, and hashes per id: a filter keeps the sizes it was made with."""
    k: int = 0


class SpentState(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    exact: list[str]
    filters: list[BloomState]
    exact_cap: int
    capacity: int
    runs: dict[str, list[int]] = {}
    """`spent_runs.Runs` per scope (empty in states saved before runs existed)."""
    run_count: int = 0


def _sizes(capacity: int, rate: float) -> tuple[int, int]:
    m = math.ceil(-capacity * math.log(rate) / math.log(2) ** 2)
    return m, min(32, max(1, round(m / capacity * math.log(2))))


class _Bloom:
    def __init__(
        self,
        capacity: int,
        bits: bytes | None = None,
        count: int = 0,
        sizes: tuple[int, int] | None = None,
    ) -> None:
        self.capacity = capacity
        m, self.k = sizes or _sizes(capacity, FALSE_POSITIVE)
        self.m = m
        # a restored filter shares the decoded bytes (no copy: restores stay small); it is
        # copied into a bytearray only if ids are added to it (only the newest filter)
        self.bits: bytes | bytearray = bits if bits is not None else bytearray((m + 7) // 8)
        if len(self.bits) != (m + 7) // 8:
            raise ValueError(f"bloom filter of {len(self.bits)} bytes, expected {(m + 7) // 8}")
        self.count = count

    def _positions(self, key: str) -> list[int]:
        # k independent 32-bit hashes (two 64-byte BLAKE2b digests); double hashing
        # (a + i*b mod m) was measured 200x above the nominal rate at small m
        raw = key.encode()
        d = hashlib.blake2b(raw, digest_size=64).digest()
        d += hashlib.blake2b(raw, digest_size=64, person=b"spent-ids-2").digest()
        m = self.m
        return [int.from_bytes(d[4 * i : 4 * i + 4], "little") % m for i in range(self.k)]

    def add(self, key: str) -> None:
        if not isinstance(self.bits, bytearray):
            self.bits = bytearray(self.bits)
        bits = self.bits
        for p in self._positions(key):
            bits[p >> 3] |= 1 << (p & 7)
        self.count += 1

    def has(self, positions: list[int]) -> bool:
        bits = self.bits
        return all(bits[p >> 3] & (1 << (p & 7)) for p in positions)


class SpentIds:
    """A set of ids that only grows: `add`, `in`; bounded memory (module docstring)."""

    def __init__(self, exact_cap: int = 10_000, capacity: int = 200_000) -> None:
        self.exact_cap = exact_cap
        self.capacity = capacity
        self._exact: dict[str, None] = {}
        """The newest ids, oldest first (a dict keeps insertion order)."""
        self._filters: list[_Bloom] = []
        self._runs = Runs()

    def add(self, key: str) -> None:
        if key in self._exact:
            return
        self._exact[key] = None
        if len(self._exact) > self.exact_cap:
            old = next(iter(self._exact))
            del self._exact[old]
            parts = scoped(old)
            if parts is None:
                self._to_filter(old)
                return
            self._runs.add(*parts)
            if self._runs.over():
                for spilled in self._runs.spill():
                    self._to_filter(spilled)

    def _to_filter(self, key: str) -> None:
        if not self._filters or self._filters[-1].count >= self.capacity:
            self._filters.append(_Bloom(self.capacity))
        self._filters[-1].add(key)

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        if key in self._exact:
            return True
        parts = scoped(key)
        if parts is not None and parts in self._runs:
            return True
        if not self._filters:
            return False
        cache: dict[tuple[int, int], list[int]] = {}
        for f in self._filters:  # filters of one size share the positions
            ps = cache.get((f.m, f.k))
            if ps is None:
                ps = cache[(f.m, f.k)] = f._positions(key)
            if f.has(ps):
                return True
        return False

    def __len__(self) -> int:
        return len(self._exact) + self._runs.count + sum(f.count for f in self._filters)

    def state(self) -> SpentState:
        return SpentState(
            exact=list(self._exact),
            filters=[
                BloomState(f.capacity, f.count, bytes(f.bits), f.m, f.k) for f in self._filters
            ],
            exact_cap=self.exact_cap,
            capacity=self.capacity,
            runs=self._runs.state(),
            run_count=self._runs.count,
        )

    @classmethod
    def restore(cls, state: SpentState) -> SpentIds:
        out = cls(state.exact_cap, state.capacity)
        out._exact = dict.fromkeys(state.exact)
        out._filters = [
            _Bloom(
                f.capacity,
                f.bits,
                f.count,
                (f.m, f.k) if f.m else _sizes(f.capacity, _FIRST_RATE),
            )
            for f in state.filters
        ]
        out._runs = Runs.restore(state.runs, state.run_count)
        return out
