"""One engine process's recovery: its actors rebuilt before their first life and before
each restart, from snapshots and the journal after them (`pyengine.runtime.checkpoint`),
or from the whole journal for an actor that takes no snapshots; periodic and final
snapshots; what was recovered, for the log and `pyengine status`."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable, Mapping, Sequence

from pyengine.actors.runner import ActorRunner
from pyengine.config import StoreConfig
from pyengine.messages import ActorRecovery
from pyengine.runtime.checkpoint import Checkpointer, recovers, takes_snapshots
from pyengine.store import StoreError, open_store

log = logging.getLogger("pyengine.engine")


class Recovery:
    def __init__(
        self,
        store_url: str,
        cfg: StoreConfig,
        group: str,
        prefixes: Sequence[str],
        now_ns: Callable[[], int],
    ) -> None:
        self.store_url = store_url
        self.cfg = cfg
        self.group = group
        self.prefixes = tuple(prefixes)
        self.now_ns = now_ns
        self.checkpoints: Checkpointer | None = None
        self.lock = asyncio.Lock()
        self._failing = False
        self.whole_journal: list[str] = []
        """Actors that recover without snapshots: given the whole journal."""
        self.recovered: list[ActorRecovery] = []
        self.took_ms = 0
        self.active = False
        """The start's recovery is running."""

    @property
    def periodic(self) -> bool:
        """Whether there are snapshots to take while running."""
        return self.checkpoints is not None and bool(self.checkpoints.folds)

    def _open(self) -> Checkpointer | None:
        try:
            store = open_store(self.store_url, self.cfg.synchronous)
        except Exception as exc:
            log.warning("no journal to recover from (%s)", exc)
            return None
        return Checkpointer(
            store,
            self.prefixes,
            every_rows=self.cfg.snapshot_rows,
            every_s=self.cfg.snapshot_interval_s,
            now_ns=self.now_ns,
        )

    async def start(self, runners: Mapping[str, ActorRunner], skip: str) -> None:
        """Rebuild every runner's actor that recovers (but `skip`), before any runs; the
        journal is folded a page at a time, so the control socket answers meanwhile."""
        self.active = True
        try:
            await self._start(runners, skip)
        finally:
            self.active = False

    async def _start(self, runners: Mapping[str, ActorRunner], skip: str) -> None:
        t0 = time.monotonic()
        cp = self.checkpoints = self._open()
        if cp is None:
            return
        for name, runner in runners.items():
            if name == skip:
                continue
            probe = runner.spare()
            if takes_snapshots(probe):
                cp.add(name, runner.spare)
            elif recovers(probe):
                self.whole_journal.append(name)
        async with self.lock:
            await cp.catch_up_async()
        for name, fold in cp.folds.items():
            runners[name].set_recovery([], functools.partial(cp.state, name))
            self.recovered.append(
                ActorRecovery(
                    name=name,
                    source=fold.source,
                    snapshot_row=fold.snapshot_at,
                    journal_rows=fold.replayed,
                    state=sorted(fold.summary.items()),
                )
            )
        last = cp.store.last_journal_id() if self.whole_journal else 0
        for name in self.whole_journal:
            # no snapshots: the whole journal, streamed a page at a time by its first life
            # (time grows with history; memory does not)
            runners[name].set_recovery(cp.store.journal(self.prefixes))
            self.recovered.append(
                ActorRecovery(
                    name=name, source="whole journal (takes no snapshots)", journal_rows=last
                )
            )
        self.took_ms = int((time.monotonic() - t0) * 1000)
        for r in self.recovered:
            log.info(
                "%s: recovered from %s + %d journal messages: %s",
                r.name,
                r.source,
                r.journal_rows,
                ", ".join(f"{k} {v}" for k, v in r.state) or "-",
            )
        log.info("%s: recovery took %d ms", self.group, self.took_ms)
        self.save()

    def save(self) -> None:
        cp = self.checkpoints
        if cp is None:
            return
        try:
            cp.save()
        except StoreError as exc:  # a snapshot only saves time: the journal has it all
            if not self._failing:
                log.warning("%s: snapshots not saved (%s)", self.group, exc)
            self._failing = True
            return
        if self._failing:
            log.info("%s: snapshots saved again", self.group)
        self._failing = False

    async def loop(self) -> None:
        """Periodic snapshots (`[store] snapshot_rows`, `snapshot_interval_s`)."""
        cp = self.checkpoints
        assert cp is not None
        while True:
            await asyncio.sleep(min(5.0, cp.every_s))
            try:
                if not cp.due(cp.store.last_journal_id(), self.now_ns()):
                    continue
                async with self.lock:
                    await cp.catch_up_async()
            except StoreError as exc:
                if not self._failing:
                    log.warning("%s: snapshots not taken (%s)", self.group, exc)
                self._failing = True
                continue
            self.save()

    async def refresh(self, runner: ActorRunner) -> None:
        """A restart is rebuilt from the journal as it is now (every acknowledged critical
        message of this session is in it), not as it was at start."""
        cp = self.checkpoints
        if cp is None:
            return
        if runner.name in cp.folds:
            async with self.lock:
                await cp.catch_up_async()
            runner.set_recovery([], functools.partial(cp.state, runner.name))
        elif runner.name in self.whole_journal:
            runner.set_recovery(cp.store.journal(self.prefixes))

    async def final(self) -> None:
        """At clean shutdown (the periodic loop stopped): the journal is complete, every
        fold catches up and is saved, so the next start replays nothing."""
        cp = self.checkpoints
        if cp is None or not cp.folds:
            return
        try:
            async with self.lock:
                await cp.catch_up_async()
        except StoreError as exc:
            log.warning("%s: final snapshots not taken (%s)", self.group, exc)
            return
        self.save()

    def close(self) -> None:
        if self.checkpoints is not None:
            self.checkpoints.store.close()
