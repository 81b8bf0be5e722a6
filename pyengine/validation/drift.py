"""Venue clock drift: a robust running estimate of ts_recv - ts_event per venue
(docs/market-data-validity.md#clock-drift-and-look-back)."""

from __future__ import annotations

from collections import deque


class DriftTracker:
    """Median of the last `window` samples of ts_recv - ts_event, per venue, in ms.

    The median ignores the odd slow frame (a GC pause, a burst) that a mean or max would
    chase; its absolute value is the drift, since a venue clock running ahead of ours shows
    up as a negative lag and is just as wrong. Samples are kept in ns; the median is computed
    lazily and cached until the next sample.
    """

    def __init__(self, window: int = 512, min_samples: int = 16) -> None:
        self.window = window
        self.min_samples = min_samples
        self._samples: dict[str, deque[int]] = {}
        self._cache: dict[str, int | None] = {}

    def add(self, venue: str, lag_ns: int) -> None:
        q = self._samples.get(venue)
        if q is None:
            q = self._samples[venue] = deque(maxlen=self.window)
        q.append(lag_ns)
        self._cache.pop(venue, None)

    def drift_ms(self, venue: str) -> int | None:
        """|median lag| in whole ms (rounded up), or None before `min_samples` samples."""
        if venue in self._cache:
            return self._cache[venue]
        q = self._samples.get(venue)
        result = None
        if q is not None and len(q) >= self.min_samples:
            ordered = sorted(q)
            n = len(ordered)
            med2 = ordered[n // 2] * 2 if n % 2 else ordered[n // 2 - 1] + ordered[n // 2]
            result = -(-abs(med2) // 2_000_000)
        self._cache[venue] = result
        return result

    def worst(self) -> tuple[str, int]:
        """(venue, drift_ms) of the venue with the largest drift; ("", 0) if none is known."""
        best = ("", 0)
        for venue in sorted(self._samples):
            d = self.drift_ms(venue)
            if d is not None and d > best[1]:
                best = (venue, d)
        return best
