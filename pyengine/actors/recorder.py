"""The recorder: every quote, order, fill, transfer and alert, durably, before it is acknowledged.

Critical messages reach it through its mailbox; the runtime acknowledges a batch only after
`flush` (one database transaction) returned, so an acknowledged message is on disk. Extra
topics (`record_topics`, e.g. `price.indicative.`) come over PUB/SUB and are committed after
each received batch; on restart the recorder resumes their sequence positions from
the journal, so what was published while it was down shows up as a reported gap.

Any failure of the store is raised as `StoreError`: the supervisor then pauses minting and
trading at once; so is a failed background `quick_check` of a store too large to check in
full at start (`pyengine.store.check`). After the first commit of a life the recorder
publishes `Health(store, ok)`, which lets the risk gate trade again.
"""

from __future__ import annotations

import logging
from functools import partial

import msgspec

from pyengine.actors.base import Actor, ActorContext
from pyengine.actors.effects import Call, Output
from pyengine.messages import Health, Message, topics
from pyengine.messages.critical import journal_prefixes
from pyengine.messages.effects import Failed, Replied
from pyengine.store import SQLiteStore, Store, StoreError, open_store
from pyengine.store.check import FULL_CHECK_BYTES, verify

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

    def on_start(self) -> list[Output]:
        try:
            self.store = open_store(self.url, self.opts.synchronous)
        except StoreError:
            raise
        except Exception as exc:
            raise StoreError(f"cannot open the store: {exc}") from exc
        store = self.store
        if isinstance(store, SQLiteStore) and store.path.stat().st_size > FULL_CHECK_BYTES:
            return [Call(partial(verify, store.path), "store-check")]
        return []

    def resume_positions(self) -> list[tuple[str, str, int, int]]:
        """Last recorded (src, topic, epoch, seq) of the PUB/SUB topics it records."""
        if self.store is None:
            return []
        prefixes = tuple(self.opts.record_topics)
        return [p for p in self.store.positions() if prefixes and p[1].startswith(prefixes)]

    def handle(self, msg: Message) -> list[Message]:
        assert self.store is not None
        if isinstance(msg, Replied | Failed):
            self._checked(msg)
            return []
        self.store.stage(msg)
        return []

    def _checked(self, msg: Replied | Failed) -> None:
        if isinstance(msg, Failed):
            log.warning("%s: the store check did not finish (%s)", self.name, msg.error)
        elif msg.value != "ok":
            raise StoreError(f"the store is corrupt (quick_check: {msg.value})")
        else:
            log.info("%s: the store passed its full check", self.name)

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
