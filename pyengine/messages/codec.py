"""One msgpack encoder and one tagged-union decoder for every socket, built once.

Every message class registers itself with `@register_message` where it is defined, so
there is one place to add a message, and importing `pyengine.messages` registers them all.
"""

from __future__ import annotations

import functools
from typing import Any

import msgspec

from pyengine.errors import EngineError
from pyengine.messages.base import Message, tag_of

_registry: dict[str, type[Message]] = {}


class DecodeError(EngineError, ValueError):
    """Bytes on a socket that are not a known message."""


def register_message(cls: type[Message]) -> type[Message]:
    """Add a message class to the wire union (usable as a class decorator)."""
    tag = tag_of(cls)
    if tag == cls.__name__:
        raise TypeError(
            f"{cls.__name__}: give it an explicit tag=, a rename must not change the wire"
        )
    if cls.CRITICAL and not cls.TOPIC:
        raise TypeError(f"{cls.__name__}: a critical message names its topic head in TOPIC")
    known = _registry.get(tag)
    if known is not None and known is not cls:
        raise TypeError(f"tag {tag!r} is already used by {known.__name__}: tags are never reused")
    _registry[tag] = cls
    _decoder.cache_clear()
    return cls


def message_types() -> tuple[type[Message], ...]:
    """Every registered message class."""
    return tuple(_registry.values())


@functools.cache
def _decoder() -> msgspec.msgpack.Decoder[Any]:
    union: Any = functools.reduce(lambda a, b: a | b, message_types())  # type: ignore[arg-type,return-value]
    return msgspec.msgpack.Decoder(union)


_encoder = msgspec.msgpack.Encoder()
encode = _encoder.encode


def decode(data: bytes | memoryview) -> Message:
    """Decode one payload; raises `DecodeError` naming what is wrong."""
    try:
        msg: Message = _decoder().decode(data)
    except msgspec.DecodeError as exc:
        raise DecodeError(str(exc)) from None
    return msg


def to_json(msg: Message) -> bytes:
    """A message as JSON (for people, logs and the status command)."""
    return msgspec.json.encode(msg)
