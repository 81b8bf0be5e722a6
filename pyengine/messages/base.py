"""The base every wire message derives from, and the envelope fields the bus stamps."""

from __future__ import annotations

from typing import ClassVar

import msgspec


class Message(msgspec.Struct, frozen=True, kw_only=True, tag_field="type"):
    """A message that crosses a socket.

    `ts_event` is when the thing happened (venue or producer time) and `ts_recv` when this
    process learnt of it, both integer nanoseconds since the Unix epoch (UTC).

    `src`, `epoch` and `seq` form the envelope; the bus stamps them on publish, so producers
    leave them at their defaults: `src` is the publishing actor, `epoch` identifies one life of
    that actor (it changes on restart, which resets `seq`), and `seq` counts 1, 2, 3... per
    (src, topic), so a subscriber knows when it missed something.

    `CRITICAL` messages (orders, fills, transfers, firm quotes, alerts, controls) are also
    delivered point to point with acknowledgement and resend to every actor that declares a
    reliable subscription for their topic; they are never dropped silently. The recorder
    journals every critical message except `SNAPSHOT`s (a state report the next one on its
    topic replaces, e.g. instrument validity: record those with `record_topics`), and the
    runtime hands actors the journaled `RECOVER` ones to rebuild their state from on
    restart (`pyengine.messages.critical`).

    `TOPIC` is the static head of `topic()` (a constant of `pyengine.messages.topics`).
    """

    ts_event: int
    ts_recv: int
    src: str = ""
    epoch: int = 0
    seq: int = 0

    CRITICAL: ClassVar[bool] = False
    SNAPSHOT: ClassVar[bool] = False
    RECOVER: ClassVar[bool] = False
    TOPIC: ClassVar[str] = ""

    def topic(self) -> str:
        """The dotted topic this message is published on, most general part first."""
        raise NotImplementedError(type(self).__name__)


def tag_of(cls: type[Message]) -> str:
    """The wire tag of a message class."""
    tag = cls.__struct_config__.tag
    if not isinstance(tag, str):
        raise TypeError(f"{cls.__name__} has no explicit string tag")
    return tag
