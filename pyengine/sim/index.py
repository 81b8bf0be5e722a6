"""One index price per asset for the whole simulated world.

Every venue's book of an asset sits around the same index (plus its own premium or basis),
as the real venues do around their spot index: without it the venues of the world would
drift apart on independent random walks and no cross-venue price would mean anything.

The index of each asset is a geometric random walk with jumps, stepped every `step_ns` from
the first time anyone asks, with its own generator seeded by (seed, asset): what one asset
does never depends on which venue asked first or on the other assets. Floats only for
the draws; the price is a Decimal on a 1e-8 grid.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from decimal import Decimal

_YEAR_NS = 365 * 24 * 3_600_000_000_000
_GRID = Decimal("0.00000001")


@dataclass
class IndexParams:
    """The random walk of one asset's index."""

    start: Decimal
    vol: float = 0.6
    """Annualised volatility."""
    jump_prob: float = 0.0005
    """Probability of a jump per step."""
    jump_vol: float = 0.01


class SharedIndex:
    """The index prices of the world's assets, a deterministic function of (seed, time)."""

    def __init__(
        self, params: dict[str, IndexParams], seed: int = 7, step_ns: int = 100_000_000
    ) -> None:
        self.params = dict(params)
        self.step_ns = step_ns
        self.rngs = {a: random.Random(f"{seed}:{a}") for a in sorted(params)}
        self.prices = {a: p.start for a, p in params.items()}
        self.times: dict[str, int] = {}

    def at(self, asset: str, ts_ns: int) -> Decimal:
        """The index of `asset` at `ts_ns` (times before the last one asked get the last
        price: the walk never goes back). `KeyError` for an asset it does not price."""
        p, rng = self.params[asset], self.rngs[asset]
        last = self.times.setdefault(asset, ts_ns)
        dt = self.step_ns / _YEAR_NS
        price = self.prices[asset]
        while last + self.step_ns <= ts_ns:
            last += self.step_ns
            ret = p.vol * math.sqrt(dt) * rng.gauss(0.0, 1.0)
            if rng.random() < p.jump_prob:
                ret += rng.gauss(0.0, p.jump_vol)
            price = (price * (1 + Decimal(f"{ret:.12f}"))).quantize(_GRID)
            price = max(price, _GRID)
        self.times[asset], self.prices[asset] = last, price
        return price
