"""The simulated exchange behind the `VenueAdapter` interface, with latency and faults.

`SimExchange` wraps a `SimVenue` (the synchronous core) and a `MarketModel`, all driven
by one `Scheduler`: market steps every `step_ns`, funding at each perpetual's funding
times, expiry of dated futures, and delayed order arrivals. Under a `VirtualScheduler`
and a seed, two runs with the same inputs give byte-identical event streams
(`digest()` hashes every frame and message in order); under a `RealtimeScheduler` it runs
on the wall clock for `pyengine run`.

Market data leaves as the venue's wire bytes (`Frame`s); `feed_venue` names the
`pyengine._core.Feed` normaliser that reads them. Faults: `latency_ns` on order entry,
`md_latency_ns` on market data, `reject_rate` (seeded), `disconnect` (frames stop, the
market moves on, then a "reconnected" frame: books must resync from `resync`), `stale`
(frames stop, the connection stays up) and `reject_all` (every order refused).
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import random
from collections import deque
from collections.abc import AsyncIterator, Mapping
from decimal import Decimal

from pyengine.contracts import InstrumentSpec
from pyengine.messages import (
    BalanceReport,
    Message,
    OrderCanceled,
    OrderFilled,
    OrderRejected,
    OrderUpdate,
    PositionReport,
    SubmitOrder,
    encode,
)
from pyengine.messages.execution import parse_side
from pyengine.sim.clock import Scheduler
from pyengine.sim.market import MarketModel
from pyengine.sim.profiles import VenueProfile
from pyengine.sim.settlement import expire, funding_interval_ns, on_market, pay_funding
from pyengine.sim.venue import OrderReply, SimVenue
from pyengine.venues.base import AccountEvent, Frame

_ACCOUNT_EVENTS = (OrderUpdate, OrderFilled, PositionReport, BalanceReport)


class SimExchange:
    """A simulated venue: market data, order entry and account state (a `VenueAdapter`)."""

    def __init__(
        self,
        profile: VenueProfile,
        specs: Mapping[str, InstrumentSpec],
        market: MarketModel,
        scheduler: Scheduler,
        *,
        seed: int = 7,
        links: Mapping[str, tuple[str, Decimal]] | None = None,
        step_ns: int = 100_000_000,
        latency_ns: int = 0,
        md_latency_ns: int = 0,
        reject_rate: float = 0.0,
        keep_journal: bool = True,
    ) -> None:
        self.core = SimVenue(profile, specs, links)
        self.profile = profile
        self.market = market
        self.sched = scheduler
        self.rng = random.Random(seed)
        self.step_ns = step_ns
        self.latency_ns = latency_ns
        self.md_latency_ns = md_latency_ns
        self.reject_rate = reject_rate
        self.keep_journal = keep_journal
        self.journal: list[Message] = []
        self._frames: deque[Frame] = deque()
        self._events: deque[AccountEvent] = deque()
        self._wake_frames = asyncio.Event()
        self._wake_events = asyncio.Event()
        self._hash = hashlib.sha256()
        self._sent = (0, 0)
        self._recent: deque[int] = deque()
        self.disconnected_until = 0
        self.stale_until = 0
        self.rejecting_until = 0
        self.dropped_frames = 0
        self.started = False

    @property
    def venue(self) -> str:
        return self.profile.name

    @property
    def feed_venue(self) -> str:
        """The `pyengine._core.Feed` normaliser for this exchange's frames."""
        return self.profile.wire

    @property
    def category(self) -> str | None:
        """Bybit category of the market-data connection (None elsewhere)."""
        return self.profile.category

    def start(self) -> None:
        """Schedule the market steps, funding times and expiries from now on."""
        if self.started:
            return
        self.started = True
        now = self.sched.now_ns()
        self.sched.at(now, self._step)
        for sym, spec in sorted(self.core.specs.items()):
            iv = funding_interval_ns(self.core, sym)
            if iv is not None:
                self.sched.at((now // iv + 1) * iv, functools.partial(self._funding, sym, iv))
            if spec.kind == "future" and spec.expiry_ms is not None:
                at = spec.expiry_ms * 1_000_000
                if at > now:
                    self.sched.at(at, functools.partial(self._expire, sym))

    def _step(self) -> None:
        now = self.sched.now_ns()
        for up in self.market.advance(now):
            on_market(self.core, up, now)
        self._flush()
        self.sched.at(now + self.step_ns, self._step)

    def _funding(self, symbol: str, interval_ns: int) -> None:
        pay_funding(self.core, symbol, self.sched.now_ns())
        self.market.on_funding(symbol)
        self._flush()
        self.sched.after(interval_ns, lambda: self._funding(symbol, interval_ns))

    def _expire(self, symbol: str) -> None:
        expire(self.core, symbol, self.sched.now_ns())
        self._flush()

    def _flush(self) -> None:
        """Move the core's new frames and messages out (faults applied) and hash them."""
        core, now = self.core, self.sched.now_ns()
        for ts, data, symbol in core.frames:
            self._hash.update(data)
            if now < self.disconnected_until or now < self.stale_until:
                self.dropped_frames += 1
                continue
            self._frames.append(Frame(data, ts + self.md_latency_ns, "stream", symbol))
        for msg in core.journal:
            self._hash.update(encode(msg))
            if self.keep_journal:
                self.journal.append(msg)
            if isinstance(msg, _ACCOUNT_EVENTS):
                self._events.append(msg)
        if core.frames:
            self._wake_frames.set()
        if core.journal:
            self._wake_events.set()
        core.frames.clear()
        core.journal.clear()

    def digest(self) -> str:
        """SHA-256 of every frame and message produced so far, in order."""
        return self._hash.hexdigest()

    def take_frames(self) -> list[Frame]:
        """Frames delivered so far and not yet taken (synchronous tests)."""
        out = list(self._frames)
        self._frames.clear()
        return out

    def take_events(self) -> list[AccountEvent]:
        """Account events pushed so far and not yet taken."""
        out = list(self._events)
        self._events.clear()
        return out

    def disconnect(self, duration_ns: int) -> None:
        """Drop the market-data connection for `duration_ns`, then reconnect."""
        now = self.sched.now_ns()
        self.disconnected_until = now + duration_ns

        def reconnect() -> None:
            self._frames.append(Frame(b"", self.sched.now_ns(), "reconnected"))
            self._wake_frames.set()

        self.sched.at(self.disconnected_until, reconnect)

    def stale(self, duration_ns: int) -> None:
        """Stop delivering market data for `duration_ns` with the connection kept up."""
        self.stale_until = self.sched.now_ns() + duration_ns

    def reject_all(self, duration_ns: int) -> None:
        """Refuse every order for `duration_ns`."""
        self.rejecting_until = self.sched.now_ns() + duration_ns

    async def frames(self) -> AsyncIterator[Frame]:
        while True:
            while self._frames:
                yield self._frames.popleft()
            self._wake_frames.clear()
            await self._wake_frames.wait()

    def drain_ready(self, limit: int) -> list[Frame]:
        """Frames already queued, up to `limit` (`MarketDataSource`)."""
        q = self._frames
        return [q.popleft() for _ in range(min(limit, len(q)))]

    def snapshot_frame(self, symbol: str) -> Frame:
        """The book of `symbol` now, as the venue resyncs it: a REST depth body ("rest"
        frame, Binance) or the snapshot a resubscription pushes ("stream" frame)."""
        core, now = self.core, self.sched.now_ns()
        book, wire = core.books[symbol], core.wires[symbol]
        data = wire.snapshot(book.sorted_bids(), book.sorted_asks(), now // 1_000_000)
        self._hash.update(data)
        return Frame(data, now + self.md_latency_ns, wire.snapshot_kind, symbol)

    async def resync(self, symbol: str) -> None:
        await self.sched.sleep(self.md_latency_ns)
        if self.sched.now_ns() < self.disconnected_until:
            return
        self._frames.append(self.snapshot_frame(symbol))
        self._wake_frames.set()

    async def close(self) -> None:
        self.disconnected_until = 2**62

    def _transient_reject(self, order: SubmitOrder, now: int) -> str | None:
        if now < self.rejecting_until:
            return "venue_unavailable"
        window = self.profile.rate_window_ns
        while self._recent and self._recent[0] <= now - window:
            self._recent.popleft()
        if len(self._recent) >= self.profile.max_orders_per_window:
            return "rate_limit"
        self._recent.append(now)
        if self.reject_rate > 0 and self.rng.random() < self.reject_rate:
            return "random_reject"
        return None

    def place_now(self, order: SubmitOrder) -> OrderReply:
        """Place synchronously at the scheduler's time (no latency)."""
        now = self.sched.now_ns()
        known = self.core.replies.get(order.client_order_id)
        if known is not None:
            return known
        reason = self._transient_reject(order, now)
        if reason is not None:
            # Transient refusals are not remembered: the same id may be retried.
            rej = OrderRejected(
                ts_event=now,
                ts_recv=now,
                client_order_id=order.client_order_id,
                venue=self.venue,
                reason=reason,
            )
            self.core.journal.append(rej)
        else:
            rej = None
        reply = rej if rej is not None else self.core.submit(order, now)
        self._flush()
        return reply

    async def place(self, order: SubmitOrder) -> OrderReply:
        await self.sched.sleep(self.latency_ns)
        return self.place_now(order)

    async def cancel(self, client_order_id: str, symbol: str) -> OrderCanceled | OrderRejected:
        await self.sched.sleep(self.latency_ns)
        now = self.sched.now_ns()
        if now < self.rejecting_until:
            reply: OrderCanceled | OrderRejected = OrderRejected(
                ts_event=now,
                ts_recv=now,
                client_order_id=client_order_id,
                venue=self.venue,
                reason="venue_unavailable",
            )
            self.core.journal.append(reply)
        else:
            reply = self.core.cancel(client_order_id, now)
        self._flush()
        return reply

    async def amend(
        self,
        client_order_id: str,
        symbol: str,
        *,
        qty: Decimal | None = None,
        price: Decimal | None = None,
    ) -> OrderReply:
        await self.sched.sleep(self.latency_ns)
        reply = self.core.amend(client_order_id, self.sched.now_ns(), qty, price)
        self._flush()
        return reply

    async def account_events(self) -> AsyncIterator[AccountEvent]:
        while True:
            while self._events:
                yield self._events.popleft()
            self._wake_events.clear()
            await self._wake_events.wait()

    async def open_orders(self) -> list[OrderUpdate]:
        now, core = self.sched.now_ns(), self.core
        out = []
        for sym in sorted(core.specs):
            for o in core.resting(sym):
                out.append(
                    OrderUpdate(
                        ts_event=now,
                        ts_recv=now,
                        venue=self.venue,
                        symbol=sym,
                        client_order_id=o.client_order_id,
                        venue_order_id=o.venue_order_id,
                        status=o.status,
                        side=parse_side(o.side),
                        order_type=o.order_type,
                        qty=o.qty,
                        price=o.price,
                        filled_qty=o.filled,
                        avg_price=o.avg_price,
                        reduce_only=o.reduce_only,
                    )
                )
        return out

    async def positions(self) -> list[PositionReport]:
        now, core = self.sched.now_ns(), self.core
        for sym in sorted(core.account.positions):
            core.report(sym, now)
        out = [m for m in core.journal if isinstance(m, PositionReport)]
        core.journal.clear()
        return out

    async def balances(self) -> list[BalanceReport]:
        now, core = self.sched.now_ns(), self.core
        for asset in sorted(core.account.balances):
            core.balance_report(asset, now)
        out = [m for m in core.journal if isinstance(m, BalanceReport)]
        core.journal.clear()
        return out

    def credit_delegation(self, asset: str, amount: Decimal) -> None:
        """A custodian delegated `amount` of `asset`: the venue mirrors it."""
        self.core.account.credit(asset, amount)
        self.core.balance_report(asset, self.sched.now_ns())
        self._flush()

    def available(self, asset: str) -> Decimal:
        """What the account could release in `asset` now."""
        return self.core.account.available(asset)

    def unsettled(self) -> dict[str, Decimal]:
        """Realised PnL, funding and fees not yet settled with the custodian, by asset."""
        return {a: q for a, q in sorted(self.core.account.unsettled.items()) if q != 0}

    def mark_settled(self, asset: str, amount: Decimal) -> None:
        """A custodian settlement moved `amount` of `asset`'s PnL."""
        acct = self.core.account
        acct.unsettled[asset] = acct.unsettled.get(asset, Decimal(0)) - amount
