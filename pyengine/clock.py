"""Time and ids: where every part of the engine gets them from (the bottom floor).

An actor, the simulator and the runtime read time only through a `Clock` and make ids only
through an `IdSource`, so a replay with a `ManualClock` and `SequentialIds` is
deterministic. This module imports nothing of the package, so any layer may use it.
"""

from __future__ import annotations

import itertools
import time
from typing import Protocol


class Clock(Protocol):
    """Where an actor gets the time from."""

    def now_ns(self) -> int: ...


class SystemClock:
    """Wall-clock nanoseconds since the Unix epoch."""

    def now_ns(self) -> int:
        return time.time_ns()


class ManualClock:
    """A clock tests and replays move by hand."""

    def __init__(self, start_ns: int = 1_700_000_000_000_000_000) -> None:
        self.t = start_ns

    def now_ns(self) -> int:
        return self.t

    def advance(self, ns: int) -> int:
        self.t += ns
        return self.t


class IdSource(Protocol):
    """Where an actor gets unique ids from."""

    def next_id(self, prefix: str = "") -> str: ...


class SequentialIds:
    """`{prefix}{scope}-{n}`: unique per scope; the runtime scopes by actor name and epoch."""

    def __init__(self, scope: str) -> None:
        self.scope = scope
        self._n = itertools.count(1)

    def next_id(self, prefix: str = "") -> str:
        return f"{prefix}{self.scope}-{next(self._n)}"


__all__ = ["Clock", "IdSource", "ManualClock", "SequentialIds", "SystemClock"]
