"""The actor: a synchronous state machine the runtime feeds with messages.

An actor never touches a socket, a clock or a random source of its own: it gets messages
through `handle`, time and ids through its `ActorContext`, and returns the messages it wants
published. Its own I/O (a venue connection, an HTTP request) is declared, not run: sources
it reads and effects it returns, which its runner runs and answers through `handle`
(`pyengine.actors.effects`). Tests call `handle` directly; a replay with a `ManualClock` is
deterministic.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import msgspec

from pyengine.actors.effects import Output, Source
from pyengine.clock import Clock, IdSource, SequentialIds, SystemClock
from pyengine.errors import ConfigError
from pyengine.messages import Message

if TYPE_CHECKING:
    from pyengine.chain.node_process import NodeSpec

T = TypeVar("T")


@dataclass
class ActorContext:
    """What the runtime injects into an actor."""

    name: str
    clock: Clock = field(default_factory=SystemClock)
    ids: IdSource = field(default_factory=lambda: SequentialIds("id"))
    options: Mapping[str, Any] = field(default_factory=dict)
    epoch: int = 0
    store_url: str = ""

    def options_as(self, kind: type[T]) -> T:
        """This actor's `options` table converted to `kind`; errors name the offending key."""
        try:
            return msgspec.convert(dict(self.options), kind)
        except msgspec.ValidationError as exc:
            raise ConfigError(f"actors.{self.name}.options: {exc}") from None


class Actor:
    """Base class: override `handle`, and the hooks you need.

    Class attributes say what the actor wants from the bus:

    - `subscribe`: dotted topic prefixes delivered over PUB/SUB (lossy at the high-water mark,
      gaps detected from sequence numbers and reported).
    - `reliable`: topic prefixes of *critical* messages (orders, fills, transfers, quotes,
      alerts, controls) delivered to this actor's mailbox with acknowledgement and resend.
      An acknowledgement is sent only after `handle` and `flush` returned.
    - `timer_interval`: seconds between `on_timer` calls (None: no timer).

    Errors: bad input is logged, counted and dropped by the actor itself; an exception out of
    `handle` (or out of one of its `sources`) means a broken invariant, and the supervisor
    restarts the actor from scratch.

    Construction has no side effects (no socket, session, task, file or thread): the plan
    builds each actor once to check its options and read its wiring (`topics`,
    `colocated_with`) before anything runs. What a life opens, it opens in `on_start` or
    through its effects, and releases in `close` / `cleanups`.
    """

    subscribe: ClassVar[tuple[str, ...]] = ()
    reliable: ClassVar[tuple[str, ...]] = ()
    timer_interval: ClassVar[float | None] = None

    def __init__(self, ctx: ActorContext) -> None:
        self.ctx = ctx
        self.name = ctx.name
        self.clock = ctx.clock
        self.ids = ctx.ids

    def now(self) -> int:
        """The injected clock, in ns."""
        return self.clock.now_ns()

    def topics(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(subscribe, reliable) prefixes of this instance; defaults to the class attributes."""
        return type(self).subscribe, type(self).reliable

    def timer_period(self) -> float | None:
        """Seconds between `on_timer` calls of this instance (default: `timer_interval`)."""
        return type(self).timer_interval

    @classmethod
    def local_node(cls, options: Mapping[str, Any]) -> NodeSpec | None:
        """A local chain node the engine runs for this actor with these options: a process
        of its own, started before the actors and stopped after them, its URL given to
        the actor as option `rpc_url`. None (the default): none."""
        return None

    def colocated_with(self) -> tuple[str, ...]:
        """Actors whose in-process state this one reads, so they must share its process
        group (a simulated venue's feed reads its `sim_world`); the plan checks it."""
        return ()

    def sources(self) -> Sequence[Source]:
        """This life's own inputs, read by the runner once `on_start` returned; each item
        goes to `handle` (`pyengine.actors.effects`)."""
        return ()

    def cleanups(self) -> Sequence[Callable[[], Awaitable[object]]]:
        """Async releases (connections, sessions) the runner awaits after `close`."""
        return ()

    snapshot_version: ClassVar[int] = 0
    """Version of this actor's `snapshot` format; 0: it takes none (opt-in, below)."""

    def recover(self, journal: Iterable[Message]) -> None:
        """Rebuild state from recorded messages (oldest first) before the first `handle`.

        With snapshots (below) it must also be incremental: `recover(a); recover(b)` leaves
        the same state as `recover(a + b)`, and it may be called with no messages at all
        (derive what is derived, e.g. orders still unanswered, at the end of each call)."""

    def snapshot(self) -> bytes | None:
        """The state `recover` built, encoded (msgspec), or None to take no snapshot.

        Opt-in, for an actor whose `recover` folds the journal: set `snapshot_version`
        to 1 and implement this and `restore`. The runtime keeps a copy of the actor
        built only by `recover` (never fed live input), folds the journal into it as it
        grows, and saves its snapshot with the journal row it covers
        (`pyengine.runtime.checkpoint`); a start or restart then calls
        `restore(blob)` and `recover(rows after it)` instead of `recover(whole journal)`.
        So `restore(snapshot())` followed by `recover(rest)` must equal
        `recover(everything)`. Change the encoded layout: bump `snapshot_version`; a saved
        snapshot of another version is never restored (the journal is replayed)."""
        return None

    def restore(self, blob: bytes) -> None:
        """Load what `snapshot` returned (same `snapshot_version`), on a freshly built
        actor, before `recover`. Raise on a blob it cannot read: the runtime falls back to
        replaying the journal."""
        raise NotImplementedError(f"{type(self).__name__} takes no snapshots")

    def recovered(self) -> dict[str, int]:
        """What recovery rebuilt, for the log and `status` (orders in flight, positions,
        transfers ...)."""
        return {}

    def resume_positions(self) -> list[tuple[str, str, int, int]]:
        """(src, topic, epoch, seq) to resume gap detection from after a process restart."""
        return []

    def on_start(self) -> Sequence[Output]:
        """Called once the actor's sockets are up; may return messages to publish."""
        return []

    def handle(self, msg: Message) -> Sequence[Output]:
        """React to one message; return the messages to publish (commands and events) and
        the effects to run (`Call`, `Stream`: their replies come back here)."""
        return []

    def on_timer(self, now_ns: int) -> Sequence[Output]:
        """Called every `timer_interval` seconds while the engine runs (not while draining)."""
        return []

    def flush(self) -> None:
        """Make everything handled so far durable; acknowledgements follow it."""

    def on_stop(self) -> Sequence[Output]:
        """Called at graceful shutdown, after the last message; may return final messages."""
        return []

    def close(self) -> None:
        """Release resources (also called after a failure, before a restart)."""

    def stats(self) -> dict[str, int]:
        """Actor-specific counters for status."""
        return {}

    def status_sections(self) -> dict[str, object]:
        """Top-level sections this actor adds to `pyengine status --json` (by name)."""
        return {}
