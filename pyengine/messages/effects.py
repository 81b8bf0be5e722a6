"""What an actor's own I/O hands back to its `handle`: in-process messages, never on the wire.

The actor runner (`pyengine.actors.runner`) runs the effects an actor returns
(`pyengine.actors.effects.Call`, `Stream`) and reads the sources it declares; results come
back to the same actor's `handle` as these messages, tagged with the effect's
`correlation_id`, the moment they exist (no timer tick in between).

They are deliberately *not* registered with `register_message`: they carry Python objects
(a venue client, a parsed batch, an exception), and no peer may forge one over a socket, so
the wire decoder must not know them. Publishing one is a bug: `topic()` raises.
"""

from __future__ import annotations

from typing import Literal

from pyengine.messages.base import Message

FailReason = Literal["timeout", "error", "ended"]


class _Local(Message, frozen=True, kw_only=True):
    ts_event: int = 0
    ts_recv: int = 0

    def topic(self) -> str:
        raise TypeError(f"{type(self).__name__} is in-process only and is never published")


class Replied(_Local, frozen=True, kw_only=True, tag="local.replied"):
    """A `Call`'s result, or one item of a `Stream`."""

    correlation_id: str
    value: object = None


class Failed(_Local, frozen=True, kw_only=True, tag="local.failed"):
    """A `Call` or `Stream` that gave no (further) result.

    `reason`: "timeout" (its `deadline_ns` passed; the call was cancelled, its outcome at
    the far end is unknown), "error" (it raised: `error` is "Type: text", `exception` the
    exception itself), "ended" (a stream's iterator finished).
    """

    correlation_id: str
    reason: FailReason
    error: str = ""
    exception: object = None


class Received(_Local, frozen=True, kw_only=True, tag="local.received"):
    """One item of a declared source (`Actor.sources`) that is not itself a `Message`."""

    source: str
    item: object = None
