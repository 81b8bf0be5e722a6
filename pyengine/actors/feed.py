"""The feed actor: one venue connection's raw frames in, validated market data on the bus.

A synchronous core (`handle` -> `on_frames`, `due_resyncs`, `on_timer`); the connection is
its declared source (`sources`), read by the actor runner, and resyncs are effects:

- frames are handed to one `pyengine._core.Feed` in batches: each item of the source is the
  frame that woke it plus whatever else the connection has ready (`drain_ready`, up to
  `max_batch`), normalised in one `on_messages` call and published at once;
- per batch, each book that changed is published once as `BookTop` (top `depth` levels,
  `valid` flag, venue sequence in `book_seq`); trades, best bid/offer and mark/funding are
  published as they come; a `BookFault` is published when a book breaks its venue rule;
- a broken book is published once as invalid (no levels) and stays so until it resyncs;
  the actor asks the source to resync it at once (a `Call` of `source.resync`), then again
  every `resync_interval_s`
  while it stays unsynced (rate limit); a book left unsynced for `unsynced_grace_s`
  (snapshot lost, venue silent) is resynced the same way;
- a "reconnected" frame resets the normaliser (`Feed.on_reconnect`): every book is
  published invalid, and health goes down until data flows again;
- with `book_depth` on, each book is also published as `BookDepth` (`depth_levels` per
  side, the exact level strings of `Feed.book`) for pricing and routing: at most once per
  `depth_interval_s` per book and only when it changed (a change inside the interval is
  published when the interval ends, by the next batch or the timer), and at once when its
  validity flips, so a consumer never prices on a book the feed already knows is broken.

Keys: `venue` in messages is the normaliser's venue name; Bybit books are keyed
`<category>:<symbol>` (`md.book.bybit.linear:BTCUSDT`), as `pyengine replay` prints them,
because linear and spot share symbol names. Health goes on `health.feed.<venue>`
(Bybit: `health.feed.bybit.<category>`), on every change and every `health_interval_s`.

A source that raises (a connection that gives up) fails the actor: the supervisor restarts
it with backoff, and the new life reconnects.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from functools import partial
from typing import Any, Literal

import msgspec

from pyengine._core import Bbo, BookUpdate, EngineError, Feed, MarkFunding, Trade
from pyengine._core import BookFault as CoreFault
from pyengine.actors.base import Actor, ActorContext
from pyengine.actors.effects import Call, Output, Source
from pyengine.actors.feed_depth import DepthThrottle
from pyengine.actors.feed_status import feed_status
from pyengine.errors import ConfigError
from pyengine.messages import (
    BestBidOffer,
    BookFault,
    BookTop,
    Health,
    Message,
    TradePrint,
)
from pyengine.messages import MarkFunding as MarkFundingMsg
from pyengine.messages.effects import Failed, Received, Replied
from pyengine.recorded.source import RecordedConfig, RecordedSource
from pyengine.venues.base import Frame, MarketDataSource
from pyengine.venues.live import LiveFeedConfig, live_source

log = logging.getLogger("pyengine.actors.feed")


class FeedOptions(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """`[actors.options]` of a feed actor."""

    source: Literal["live", "recorded"] = "live"
    live: LiveFeedConfig | None = None
    recorded: RecordedConfig | None = None
    depth: int = 10
    """Levels per side in `BookTop`."""
    max_batch: int = 1024
    """Most frames handed to the normaliser in one call."""
    resync_interval_s: float = 1.0
    """Least time between two resync requests of one book."""
    unsynced_grace_s: float = 5.0
    """A book unsynced this long without a fault (lost snapshot) is resynced too."""
    health_interval_s: float = 5.0
    trades: bool = True
    bbo: bool = True
    funding: bool = True
    book_depth: bool = False
    """Publish `BookDepth` too (pricing needs depth, not the top levels)."""
    depth_levels: int = 50
    """Levels per side in `BookDepth`."""
    depth_interval_s: float = 0.1
    """Least time between two `BookDepth` of one book (a validity flip goes at once)."""


def _source_of(opts: FeedOptions) -> tuple[str, str | None]:
    cfg: LiveFeedConfig | RecordedConfig | None = (
        opts.live if opts.source == "live" else opts.recorded
    )
    if cfg is None:
        raise ConfigError(f"options.{opts.source}: missing (source = {opts.source!r})")
    return cfg.venue, cfg.category


class FeedActor(Actor):
    """Drives one `MarketDataSource` through one normaliser onto the bus."""

    def __init__(self, ctx: ActorContext, source: MarketDataSource | None = None) -> None:
        super().__init__(ctx)
        self.opts = ctx.options_as(FeedOptions) if source is None else _options(ctx)
        if source is not None:
            venue, category = source.venue, source.category
        else:
            venue, category = _source_of(self.opts)
        try:
            self.feed = Feed(venue, category=category) if category else Feed(venue)
        except EngineError as exc:
            raise ConfigError(f"actors.{self.name}.options: {exc}") from None
        if (
            self.opts.depth < 1
            or self.opts.max_batch < 1
            or self.opts.resync_interval_s <= 0
            or self.opts.depth_levels < 1
            or self.opts.depth_interval_s < 0
        ):
            raise ConfigError(
                f"actors.{self.name}.options: depth, depth_levels, max_batch, intervals > 0"
            )
        self.venue = venue
        self.prefix = f"{category}:" if venue == "bybit" and category else ""
        self.component = f"feed.{venue}" + (f".{category}" if self.prefix else "")
        self._source = source
        self._valid: dict[str, bool] = {}
        self._faulted: set[str] = set()
        self._unsynced_since: dict[str, int] = {}
        self._last_resync: dict[str, int] = {}
        self._status = "down"
        self._detail = "connecting"
        self._health_ns = 0
        self._connected = False
        self._last_frame_ns = 0
        """`ts_recv` of the newest frame (0: none yet), for status."""
        self._changed_ns: dict[str, int] = {}
        """`ts_recv` of the batch that last changed each book, for status."""
        self._health_dirty = True
        """Connection or validity changed since health was last worked out."""
        self._health_every = int(self.opts.health_interval_s * 1e9)
        self._rejected_seen = 0
        self._log_budget = 20
        self._depth_on = self.opts.book_depth
        self._depths = DepthThrottle(
            self.feed, venue, self.prefix, self.opts.depth_levels, self.opts.depth_interval_s
        )
        self.counters: dict[str, int] = dict.fromkeys(
            (
                "frames",
                "batches",
                "rest",
                "reconnects",
                "faults",
                "rejected",
                "resync_requests",
                "resync_errors",
                "book_tops",
                "book_depths",
                "ignored",
            ),
            0,
        )

    @property
    def source(self) -> MarketDataSource:
        """The source, built from options on first use."""
        if self._source is None:
            self._source = build_source(self.opts)
        return self._source

    def on_frames(self, frames: Sequence[Frame]) -> list[Message]:
        """Normalise one batch of frames; return the messages to publish."""
        feed = self.feed
        out: list[Message] = []
        changed: dict[str, None] = {}
        raws: list[bytes] = []
        stamps: list[int] = []
        ts_recv = 0
        for frame in frames:
            kind = frame.kind
            ts_recv = frame.ts_recv
            if kind == "stream":
                raws.append(frame.data)
                stamps.append(ts_recv)
                continue
            if raws:
                self._events(feed.on_messages(raws, stamps), out, changed)
                raws, stamps = [], []
            if kind == "rest":
                self.counters["rest"] += 1
                try:
                    events = feed.on_rest_snapshot(frame.data, frame.symbol, ts_recv)
                except EngineError as exc:
                    self._reject(f"REST snapshot {frame.symbol}: {exc}")
                    continue
                self._events(events, out, changed)
            else:
                self._reconnected(ts_recv, out, changed)
        rejected = -1
        topped: set[str] = set()  # books whose top came back with the fused call
        if raws:
            if not self._connected:
                self._connected = self._health_dirty = True
            # The last run of stream frames ends the batch: its books' tops come back in
            # the same crossing (issue 11 §1); books changed before it are queried below.
            events, tops, rejected = feed.on_messages_tops(raws, stamps, self.opts.depth)
            self._events(events, out, changed)
            for t in tops:
                topped.add(t[0])
                changed[t[0]] = None  # BookDepth still wants to know it changed
                top = self._make_top(t[0], ts_recv, t[1:])
                if top is not None:
                    out.append(top)
        self.counters["frames"] += len(frames)
        self.counters["batches"] += 1
        if frames:
            self._last_frame_ns = ts_recv
        stamp = self._changed_ns
        for sym in changed:
            stamp[sym] = ts_recv
            if sym in topped:
                continue
            top = self._top(sym, ts_recv)
            if top is not None:
                out.append(top)
        if self._depth_on:
            self.counters["book_depths"] += self._depths.publish(changed, self._valid, ts_recv, out)
        if rejected < 0:
            rejected = feed.stats()["rejected"]
        if rejected != self._rejected_seen:
            self._reject(f"{rejected - self._rejected_seen} frame(s): {feed.last_error()}")
            self.counters["rejected"] += rejected - self._rejected_seen - 1
            self._rejected_seen = rejected
        self._health(ts_recv, out)
        return out

    def _events(
        self,
        events: Sequence[BookUpdate | Trade | Bbo | MarkFunding | CoreFault],
        out: list[Message],
        changed: dict[str, None],
    ) -> None:
        venue, prefix, opts = self.venue, self.prefix, self.opts
        for ev in events:
            if type(ev) is BookUpdate:
                changed[ev.symbol] = None
            elif type(ev) is Trade:
                if opts.trades:
                    out.append(
                        TradePrint(
                            ts_event=ev.ts_event,
                            ts_recv=ev.ts_recv,
                            venue=venue,
                            symbol=prefix + ev.symbol,
                            price=ev.price,
                            size=ev.size,
                            side=ev.aggressor or "",
                            trade_id=ev.trade_id,
                        )
                    )
            elif type(ev) is Bbo:
                if opts.bbo:
                    out.append(
                        BestBidOffer(
                            ts_event=ev.ts_event,
                            ts_recv=ev.ts_recv,
                            venue=venue,
                            symbol=prefix + ev.symbol,
                            bid_px=ev.bid_px,
                            bid_sz=ev.bid_sz,
                            ask_px=ev.ask_px,
                            ask_sz=ev.ask_sz,
                        )
                    )
            elif type(ev) is MarkFunding:
                if opts.funding:
                    out.append(
                        MarkFundingMsg(
                            ts_event=ev.ts_event,
                            ts_recv=ev.ts_recv,
                            venue=venue,
                            symbol=prefix + ev.symbol,
                            mark_px=ev.mark_px or "",
                            index_px=ev.index_px or "",
                            funding_rate=ev.funding_rate or "",
                            next_funding_ns=ev.next_funding_ns or 0,
                        )
                    )
            elif type(ev) is CoreFault:
                self.counters["faults"] += 1
                self._faulted.add(ev.symbol)
                changed[ev.symbol] = None
                log.warning("%s: %s book fault %s: %s", self.name, ev.symbol, ev.kind, ev.detail)
                out.append(
                    BookFault(
                        ts_event=ev.ts_recv,
                        ts_recv=ev.ts_recv,
                        venue=venue,
                        symbol=prefix + ev.symbol,
                        reason=f"{ev.kind}: {ev.detail}",
                    )
                )

    def _top(self, sym: str, ts_recv: int) -> BookTop | None:
        view = self.feed.book(sym, self.opts.depth)
        return self._make_top(
            sym, ts_recv, (view.valid, view.seq, view.ts_event, view.bids, view.asks)
        )

    def _make_top(
        self,
        sym: str,
        ts_recv: int,
        state: tuple[bool, int, int, list[tuple[str, str]], list[tuple[str, str]]],
    ) -> BookTop | None:
        """The BookTop of `sym` from its (valid, seq, ts_event, bids, asks)."""
        valid, seq, ts_event, bids, asks = state
        if not valid and self._valid.get(sym) is False:
            return None  # already published as invalid
        if self._valid.get(sym) is not valid:
            self._valid[sym] = valid
            self._health_dirty = True
        self.counters["book_tops"] += 1
        if valid:
            self._unsynced_since.pop(sym, None)
            return BookTop(
                ts_event=ts_event,
                ts_recv=ts_recv,
                venue=self.venue,
                symbol=self.prefix + sym,
                bids=bids,
                asks=asks,
                valid=True,
                book_seq=seq,
            )
        self._unsynced_since.setdefault(sym, ts_recv)
        return BookTop(
            ts_event=ts_recv,
            ts_recv=ts_recv,
            venue=self.venue,
            symbol=self.prefix + sym,
            bids=[],
            asks=[],
            valid=False,
            book_seq=seq,
        )

    def _reconnected(self, ts_recv: int, out: list[Message], changed: dict[str, None]) -> None:
        self.counters["reconnects"] += 1
        self._connected = False
        self._health_dirty = True
        self.feed.on_reconnect()
        for sym in self.feed.symbols():
            changed[sym] = None
            self._unsynced_since[sym] = ts_recv
        self._status, self._detail = "down", "reconnecting"
        self._publish_health(ts_recv, out)

    def _reject(self, what: str) -> None:
        self.counters["rejected"] += 1
        if self._log_budget > 0 or self.counters["rejected"] % 1000 == 0:
            self._log_budget -= 1
            log.warning("%s: rejected %s; total %d", self.name, what, self.counters["rejected"])

    def due_resyncs(self, now_ns: int) -> list[str]:
        """Books to resync now: faulted ones at once, unsynced ones after the grace period,
        each at most once per `resync_interval_s`."""
        interval = int(self.opts.resync_interval_s * 1e9)
        grace = int(self.opts.unsynced_grace_s * 1e9)
        for sym in self.feed.unsynced():
            self._unsynced_since.setdefault(sym, now_ns)
        due: list[str] = []
        for sym, since in list(self._unsynced_since.items()):
            if self.feed.book(sym, 1).synced:
                del self._unsynced_since[sym]
                self._faulted.discard(sym)
                continue
            wanted = sym in self._faulted or now_ns - since >= grace
            if wanted and now_ns - self._last_resync.get(sym, -interval) >= interval:
                self._last_resync[sym] = now_ns
                self._faulted.discard(sym)
                due.append(sym)
        self.counters["resync_requests"] += len(due)
        return due

    def _health(self, now_ns: int, out: list[Message]) -> None:
        if not self._health_dirty and now_ns - self._health_ns < self._health_every:
            return  # nothing it depends on changed, and it is not due
        self._health_dirty = False
        if not self._connected:
            status, detail = "down", "reconnecting" if self.counters["reconnects"] else "connecting"
        else:
            bad = sorted(s for s, ok in self._valid.items() if not ok)
            status = "degraded" if bad else "ok"
            detail = f"invalid: {', '.join(bad[:10])}" if bad else ""
        if (status, detail) != (self._status, self._detail) or (
            now_ns - self._health_ns >= self._health_every
        ):
            self._status, self._detail = status, detail
            self._publish_health(now_ns, out)

    def _publish_health(self, now_ns: int, out: list[Message]) -> None:
        self._health_ns = now_ns
        out.append(
            Health(
                ts_event=now_ns,
                ts_recv=now_ns,
                component=self.component,
                status=self._status,
                detail=self._detail,
            )
        )

    def timer_period(self) -> float | None:
        # Resyncs and health also run after every batch; the timer covers a silent source.
        return min(0.1, self.opts.resync_interval_s / 2)

    def sources(self) -> Sequence[Source]:
        return (Source(self._batches, "frames"),)

    async def _batches(self) -> AsyncIterator[list[Frame]]:
        """The source's frames, batched: the one that arrived plus what is ready behind it."""
        source = self.source
        room = self.opts.max_batch - 1
        async for frame in source.frames():
            yield [frame, *source.drain_ready(room)] if room else [frame]

    def on_start(self) -> list[Output]:
        now = self.now()
        return [
            Health(
                ts_event=now,
                ts_recv=now,
                component=self.component,
                status="down",
                detail="connecting",
            )
        ]

    def handle(self, msg: Message) -> Sequence[Output]:
        if type(msg) is Received:
            frames: list[Frame] = msg.item  # type: ignore[assignment]
            published = self.on_frames(frames)
            if self._faulted or self._unsynced_since:
                return [*published, *self._resyncs(self.now())]
            return published
        if type(msg) is Failed and msg.correlation_id.startswith("resync:"):
            self.counters["resync_errors"] += 1
            log.warning("%s: %s failed: %s", self.name, msg.correlation_id, msg.error)
        elif type(msg) is not Replied:
            self.counters["ignored"] += 1
        return []

    def _resyncs(self, now_ns: int) -> list[Output]:
        source = self.source
        return [
            Call(partial(source.resync, sym), f"resync:{sym}") for sym in self.due_resyncs(now_ns)
        ]

    def on_timer(self, now_ns: int) -> list[Output]:
        out: list[Output] = []
        if self._faulted or self._unsynced_since:
            out.extend(self._resyncs(now_ns))
        health: list[Message] = []
        if self._depths.pending:
            self.counters["book_depths"] += self._depths.publish({}, self._valid, now_ns, health)
        self._health(now_ns, health)
        out.extend(health)
        return out

    def cleanups(self) -> Sequence[Callable[[], Awaitable[object]]]:
        return (self._source.close,) if self._source is not None else ()

    def stats(self) -> dict[str, int]:
        return {**self.counters, **{f"feed_{k}": v for k, v in self.feed.stats().items()}}

    def status_sections(self) -> dict[str, object]:
        """This connection's venue row and its books' rows for `pyengine status`
        (`pyengine.actors.feed_status`), aged at the injected clock's now."""
        return feed_status(
            self.feed,
            venue=self.venue,
            prefix=self.prefix,
            connected=self._connected,
            last_frame_ns=self._last_frame_ns,
            changed_ns=self._changed_ns,
            now_ns=self.now(),
        )


def _options(ctx: ActorContext) -> FeedOptions:
    """Options when the source is injected: the source tables are not needed."""
    data: dict[str, Any] = dict(ctx.options)
    try:
        return msgspec.convert(data, FeedOptions)
    except msgspec.ValidationError as exc:
        raise ConfigError(f"actors.{ctx.name}.options: {exc}") from None


def build_source(opts: FeedOptions) -> MarketDataSource:
    """The source an options table describes."""
    if opts.source == "live":
        assert opts.live is not None
        try:
            return live_source(opts.live)
        except ValueError as exc:
            raise ConfigError(f"options.live: {exc}") from None
    assert opts.recorded is not None
    return RecordedSource(opts.recorded)
