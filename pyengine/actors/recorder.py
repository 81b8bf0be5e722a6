"""The recorder: every quote, order, fill, transfer and alert, durably, before it is acknowledged.

Critical messages reach it through its mailbox; the runtime acknowledges a batch only after
`flush` (one database transaction) returned, so an acknowledged message is on disk. Extra
topics (`record_topics`, e.g. `price.indicative.`) come over PUB/SUB and are committed after
each received batch; on restart the recorder resumes their sequence positions from
the journal, so what was published while it was down shows up as a reported gap.

Any failure of the store is raised as `StoreError`: the supervisor then pauses minting and
trading at once. After the first commit of a life the recorder publishes `Health(store, ok)`,
which lets the risk gate trade again.
"""

from __future__ import annotations

import logging

import msgspec

from pyengine.actors.base import Actor, ActorContext
from pyengine.messages import Health, Message, topics
from pyengine.messages.critical import journal_prefixes
from pyengine.store import Store, StoreError, open_store

log = logging.getLogger("pyengine.recorder")

CRITICAL_PREFIXES = journal_prefixes()
"""Every critical message that is not a snapshot (`Message.CRITICAL` / `SNAPSHOT`)."""


class RecorderOptions(msgspec.Struct, forbid_unknown_fields=True):
    """`[actors.options]` of a recorder."""

    url: str = ""
    synchronous: str = "full"
    record_topics: list[str] = msgspec.field(
        default_factory=lambda: [topics.HEALTH_GAP, topics.SUP]
    )


class Recorder(Actor):
    """Writes messages to the store; `flush` commits."""

    reliable = CRITICAL_PREFIXES
    timer_interval = 1.0

    def __init__(self, ctx: ActorContext) -> None:
        super().__init__(ctx)
        self.opts = ctx.options_as(RecorderOptions)
        self.url = self.opts.url or ctx.store_url
        self.store: Store | None = None
        self.ok_to_report = False
        self.reported_ok = False

    def topics(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return tuple(self.opts.record_topics), CRITICAL_PREFIXES

    def on_start(self) -> list[Message]:
        try:
            self.store = open_store(self.url, self.opts.synchronous)
        except StoreError:
            raise
        except Exception as exc:
            raise StoreError(f"cannot open the store: {exc}") from exc
        return []

    def resume_positions(self) -> list[tuple[str, str, int, int]]:
        """Last recorded (src, topic, epoch, seq) of the PUB/SUB topics it records."""
        if self.store is None:
            return []
        prefixes = tuple(self.opts.record_topics)
        return [p for p in self.store.positions() if prefixes and p[1].startswith(prefixes)]

    def handle(self, msg: Message) -> list[Message]:
        assert self.store is not None
        self.store.stage(msg)
        return []

    def flush(self) -> None:
        if self.store is not None and self.store.staged:
            try:
                self.store.commit()
            except StoreError:
                raise
            except Exception as exc:
                raise StoreError(f"commit failed: {exc}") from exc
            self.ok_to_report = True

    def on_timer(self, now_ns: int) -> list[Message]:
        if self.ok_to_report and not self.reported_ok:
            self.reported_ok = True
            detail = "recorder committed"
            return [
                Health(
                    ts_event=now_ns, ts_recv=now_ns, component="store", status="ok", detail=detail
                )
            ]
        return []

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
            self.store = None

    def stats(self) -> dict[str, int]:
        return {"committed": 0 if self.store is None else self.store.committed}
