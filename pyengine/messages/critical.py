"""The critical topics, derived from the message classes' flags (messages/base.py).

- `journal_prefixes()`: what the recorder receives reliably and journals (every `CRITICAL`
  class that is not a `SNAPSHOT`);
- `recover_prefixes()`: what the runtime reads back from the journal for `Actor.recover`
  (the journaled classes marked `RECOVER`: orders, fills, transfers, minting control).

A class added with `CRITICAL = True` and its `TOPIC` is journaled without touching the
recorder; `register_message` refuses a critical class without a `TOPIC`.
"""

from __future__ import annotations

from pyengine.messages.base import Message
from pyengine.messages.codec import message_types


def _prefixes(classes: list[type[Message]]) -> tuple[str, ...]:
    """The classes' topic heads, minus those another one already covers, sorted."""
    heads = sorted({c.TOPIC for c in classes})
    return tuple(h for h in heads if not any(h != o and h.startswith(o) for o in heads))


def journal_prefixes() -> tuple[str, ...]:
    return _prefixes([c for c in message_types() if c.CRITICAL and not c.SNAPSHOT])


def recover_prefixes() -> tuple[str, ...]:
    return _prefixes([c for c in message_types() if c.CRITICAL and not c.SNAPSHOT and c.RECOVER])
