"""Oracle actors: Pyth Hermes (SSE stream or polling) and RedStone (polled, signature-checked).

Each publishes `OraclePrice` on `oracle.<source>.<symbol>` and its own `Health` on
`health.oracle.<source>`. The network half is an asyncio task the actor starts in `on_start`
(the runtime runs `on_start` on the event loop) and cancels in `close`; it only fetches and
parses, and hands results to the synchronous half through a queue that `on_timer` drains.
Everything that decides what to publish (`ingest_*`, `check_health`) is synchronous, uses
the injected clock, and is what the unit tests drive; `connect = false` leaves the task out.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import aiohttp
import msgspec

from pyengine.actors.base import Actor, ActorContext
from pyengine.errors import ConfigError
from pyengine.messages import Health, Message, OraclePrice
from pyengine.oracles.errors import OracleParseError
from pyengine.oracles.pyth import PythBatch, PythClient, PythParseError, normalise_id
from pyengine.oracles.redstone import (
    DataPackage,
    RedstoneVerifier,
    Rejection,
    latest_url,
    parse_response,
)

log = logging.getLogger("pyengine.oracles")

PYTH_FEEDS = {
    "BTC": "e62df6c8b4a85fe1a67db44dc12de5db330f7ac66b72dc658afedf0f4a415b43",
    "ETH": "ff61491a931112ddf1bd8147cd1b641375f79f5825126d665480874634fd0ace",
    "USDT": "2b89b9dc8fdf9f34709a5b106b472f0f39bb6ca9ce04b0fd7f2e971688e2e53b",
    "USDC": "eaa020c61cc479712813461ce153894a96a6c00b21ed0cfc2798d1f9a9e9c94a",
}
"""Pyth mainnet price feed ids (X/USD) of the assets the engine prices by default."""

REDSTONE_PRIMARY_PROD_SIGNERS = (
    "0x8BB8F32Df04c8b654987DAaeD53D6B6091e3B774",
    "0xdEB22f54738d54976C4c0fe5ce6d408E40d88499",
    "0x51Ce04Be4b3E32572C4Ec9135221d0691Ba7d202",
    "0xDD682daEC5A90dD295d14DA4b0bec9281017b5bE",
    "0x9c5AE89C4Af6aA32cE58588DBaF90d18a855B6de",
)
"""The five `redstone-primary-prod` nodes: the signers of the 2024-07-01 fixture, and the set
RedStone's consumer contracts authorise. Re-check against RedStone's manifest before relying
on it; a key rotation shows up here as `unknown_signer` rejections."""


@dataclass(frozen=True, slots=True)
class IoFailure:
    """The network task could not get data (connection, HTTP status, timeout, bad document)."""

    error: str


class OracleOptions(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """What both oracle actors share."""

    connect: bool = True
    """Start the network task (false: the actor only publishes what `ingest_*` is given)."""
    timeout_s: float = 5.0
    stale_after_s: float = 10.0
    """Health is degraded when the newest price of any feed is older than this."""
    health_every_s: float = 5.0
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 30.0
    drain_interval_s: float = 0.05


class PythOptions(OracleOptions, forbid_unknown_fields=True, frozen=True):
    """`[actors.options]` of the Pyth actor."""

    base_url: str = "https://hermes.pyth.network"
    feeds: dict[str, str] = msgspec.field(default_factory=lambda: dict(PYTH_FEEDS))
    """symbol -> Pyth price feed id (hex)."""
    mode: Literal["stream", "poll"] = "stream"
    poll_interval_s: float = 1.0
    legacy: bool = False
    """Poll the legacy `/api/latest_price_feeds` endpoint instead of `/v2/updates/price/latest`."""
    idle_timeout_s: float = 30.0
    max_event_bytes: int = 1 << 20


class RedstoneOptions(OracleOptions, forbid_unknown_fields=True, frozen=True):
    """`[actors.options]` of the RedStone actor."""

    base_urls: list[str] = msgspec.field(
        default_factory=lambda: [
            "https://oracle-gateway-1.a.redstone.finance",
            "https://oracle-gateway-2.a.redstone.finance",
        ]
    )
    """Gateways, tried in order until one answers."""
    data_service_id: str = "redstone-primary-prod"
    feeds: dict[str, str] = msgspec.field(
        default_factory=lambda: {s: s for s in ("BTC", "ETH", "USDT", "USDC")}
    )
    """symbol -> RedStone data feed id."""
    allowed_signers: list[str] = msgspec.field(
        default_factory=lambda: list(REDSTONE_PRIMARY_PROD_SIGNERS)
    )
    min_signers: int = 3
    max_age_s: float = 60.0
    max_ahead_s: float = 60.0
    poll_interval_s: float = 10.0
    max_body_bytes: int = 32 << 20


class _OracleActor(Actor):
    """The shared half: queue, network task, health."""

    source = ""

    def __init__(self, ctx: ActorContext, opts: OracleOptions) -> None:
        super().__init__(ctx)
        self._base_opts = opts
        self.inbox: deque[tuple[int, object]] = deque(maxlen=10_000)
        self.task: asyncio.Task[None] | None = None
        self.counts: Counter[str] = Counter()
        self.last_publish: dict[str, int] = {}
        self.last_error = ""
        self.connected = False
        self.health_status = ""
        self.health_ns = 0
        self.rng = random.Random(ctx.name)

    def timer_period(self) -> float | None:
        return self._base_opts.drain_interval_s

    def on_start(self) -> list[Message]:
        if self._base_opts.connect:
            loop = asyncio.get_running_loop()
            self.task = loop.create_task(self._io_loop(), name=f"{self.name}.io")
        return []

    def close(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.task = None

    def stats(self) -> dict[str, int]:
        return dict(self.counts)

    def put(self, recv_ns: int, item: object) -> None:
        """Queue a network result for the next `on_timer` (called by the network task)."""
        if len(self.inbox) == self.inbox.maxlen:
            self.counts["inbox_dropped"] += 1
        self.inbox.append((recv_ns, item))

    def on_timer(self, now_ns: int) -> list[Message]:
        out: list[Message] = []
        while self.inbox:
            recv_ns, item = self.inbox.popleft()
            if isinstance(item, IoFailure):
                self.counts["io_errors"] += 1
                self.connected = False
                self.last_error = item.error
                continue
            self.connected = True
            out.extend(self.ingest(item, recv_ns))
        out.extend(self.check_health(now_ns))
        return out

    def ingest(self, item: object, recv_ns: int) -> list[Message]:
        raise NotImplementedError

    def feeds(self) -> dict[str, str]:
        raise NotImplementedError

    def check_health(self, now_ns: int) -> list[Message]:
        """`Health` on a change of status, and every `health_every_s` regardless."""
        stale_ns = int(self._base_opts.stale_after_s * 1e9)
        stale = sorted(s for s in self.feeds() if now_ns - self.last_publish.get(s, 0) > stale_ns)
        if not stale:
            status, detail = "ok", ""
        elif not self.connected and self.last_error:
            status, detail = "down", self.last_error
        else:
            status, detail = "degraded", f"stale: {', '.join(stale)}"
            if self.last_error:
                detail += f"; last error: {self.last_error}"
        every = int(self._base_opts.health_every_s * 1e9)
        if status == self.health_status and now_ns - self.health_ns < every:
            return []
        self.health_status = status
        self.health_ns = now_ns
        return [
            Health(
                ts_event=now_ns,
                ts_recv=now_ns,
                component=f"oracle.{self.source}",
                status=status,
                detail=detail[:500],
            )
        ]

    def _price(
        self, symbol: str, price: str, conf: str, publish_ns: int, recv_ns: int
    ) -> list[Message]:
        if publish_ns <= self.last_publish.get(symbol, 0):
            self.counts["not_newer"] += 1
            return []
        self.last_publish[symbol] = publish_ns
        self.counts["published"] += 1
        return [
            OraclePrice(
                ts_event=publish_ns,
                ts_recv=recv_ns,
                source=self.source,
                symbol=symbol,
                price=price,
                conf=conf,
                publish_ns=publish_ns,
            )
        ]

    async def _io_loop(self) -> None:
        opts = self._base_opts
        backoff = opts.backoff_initial_s
        async with aiohttp.ClientSession() as session:
            while True:
                ok = False
                try:
                    ok = await self._io_once(session, lambda item: self.put(self.now(), item))
                except asyncio.CancelledError:
                    raise
                except (aiohttp.ClientError, TimeoutError, OracleParseError) as exc:
                    self.put(self.now(), IoFailure(f"{type(exc).__name__}: {exc}"[:300]))
                except Exception as exc:  # the task must outlive any one failure
                    log.exception("%s: network task failed", self.name)
                    self.put(self.now(), IoFailure(f"{type(exc).__name__}: {exc}"[:300]))
                if ok:
                    backoff = opts.backoff_initial_s
                    await asyncio.sleep(self.pause_after_success_s())
                else:
                    # Exponential backoff with jitter, so many engines do not reconnect in step.
                    await asyncio.sleep(backoff * (0.5 + self.rng.random() / 2))
                    backoff = min(backoff * 2, opts.backoff_max_s)

    async def _io_once(
        self, session: aiohttp.ClientSession, emit: Callable[[object], None]
    ) -> bool:
        """One connection or request; True if it delivered data (resets the backoff)."""
        raise NotImplementedError

    def pause_after_success_s(self) -> float:
        """Seconds between a successful request (or a cleanly closed stream) and the next."""
        return self._base_opts.backoff_initial_s


class PythOracle(_OracleActor):
    """Pyth Hermes prices for the configured feeds, as `OraclePrice` on `oracle.pyth.<symbol>`."""

    source = "pyth"

    def __init__(self, ctx: ActorContext) -> None:
        self.opts = ctx.options_as(PythOptions)
        super().__init__(ctx, self.opts)
        if not self.opts.feeds:
            raise ConfigError(f"actors.{ctx.name}.options.feeds: no feeds configured")
        self.by_id = {normalise_id(fid): sym for sym, fid in self.opts.feeds.items()}
        self.client = PythClient(
            self.opts.base_url,
            self.by_id,
            timeout_s=self.opts.timeout_s,
            idle_timeout_s=self.opts.idle_timeout_s,
            legacy=self.opts.legacy,
            max_event_bytes=self.opts.max_event_bytes,
        )

    def feeds(self) -> dict[str, str]:
        return self.opts.feeds

    def pause_after_success_s(self) -> float:
        if self.opts.mode == "poll":
            return self.opts.poll_interval_s
        return self.opts.backoff_initial_s

    def ingest(self, item: object, recv_ns: int) -> list[Message]:
        """Publish the new prices of one parsed response or SSE event."""
        if isinstance(item, PythParseError):
            self.counts["malformed_events"] += 1
            return []
        if not isinstance(item, PythBatch):
            self.counts["ignored"] += 1
            return []
        self.counts["rejected"] += len(item.rejected)
        out: list[Message] = []
        for p in item.prices:
            symbol = self.by_id.get(p.feed_id)
            if symbol is None:
                self.counts["unknown_feed"] += 1
                continue
            out.extend(self._price(symbol, str(p.price), str(p.conf), p.publish_ns, recv_ns))
        return out

    async def _io_once(
        self, session: aiohttp.ClientSession, emit: Callable[[object], None]
    ) -> bool:
        if self.opts.mode == "poll":
            emit(await self.client.latest(session))
            return True
        got = False
        async for item in self.client.stream(session):
            emit(item)
            got = True
        return got


class RedstoneOracle(_OracleActor):
    """RedStone prices: packages of allowed signers only, median across nodes."""

    source = "redstone"

    def __init__(self, ctx: ActorContext) -> None:
        self.opts = ctx.options_as(RedstoneOptions)
        super().__init__(ctx, self.opts)
        if not self.opts.feeds:
            raise ConfigError(f"actors.{ctx.name}.options.feeds: no feeds configured")
        if not self.opts.base_urls:
            raise ConfigError(f"actors.{ctx.name}.options.base_urls: no gateway configured")
        try:
            self.verifier = RedstoneVerifier(
                self.opts.allowed_signers,
                min_signers=self.opts.min_signers,
                max_age_ms=int(self.opts.max_age_s * 1000),
                max_ahead_ms=int(self.opts.max_ahead_s * 1000),
            )
        except ValueError as exc:
            raise ConfigError(f"actors.{ctx.name}.options: {exc}") from None
        self.by_feed = {fid: sym for sym, fid in self.opts.feeds.items()}
        self.rejections: Counter[str] = Counter()

    def feeds(self) -> dict[str, str]:
        return self.opts.feeds

    def stats(self) -> dict[str, int]:
        return {**self.counts, **{f"rejected_{k}": v for k, v in self.rejections.items()}}

    def ingest(self, item: object, recv_ns: int) -> list[Message]:
        """Verify one gateway response ({feed: [package | Rejection]}) and publish medians."""
        if not isinstance(item, dict):
            self.counts["ignored"] += 1
            return []
        packages: dict[str, list[DataPackage | Rejection]] = {
            f: v for f, v in item.items() if f in self.by_feed
        }
        verdict = self.verifier.verify(packages, recv_ns // 1_000_000)
        for r in verdict.rejected:
            self.rejections[r.reason] += 1
            if self.rejections[r.reason] <= 5 or self.rejections[r.reason] % 1000 == 0:
                log.warning(
                    "%s: rejected %s package of %s (%s) %s",
                    self.name,
                    r.feed_id,
                    r.signer or "?",
                    r.reason,
                    r.detail,
                )
        for feed_id, n in verdict.short_of_signers.items():
            self.counts["short_of_signers"] += 1
            log.debug("%s: %s has %d valid signer(s)", self.name, feed_id, n)
        out: list[Message] = []
        for feed_id, agg in verdict.prices.items():
            out.extend(
                self._price(
                    self.by_feed[feed_id],
                    str(agg.value),
                    str(agg.spread),
                    agg.timestamp_ms * 1_000_000,
                    recv_ns,
                )
            )
        return out

    async def _io_once(
        self, session: aiohttp.ClientSession, emit: Callable[[object], None]
    ) -> bool:
        timeout = aiohttp.ClientTimeout(total=self.opts.timeout_s)
        errors = []
        for base in self.opts.base_urls:
            url = latest_url(base, self.opts.data_service_id)
            try:
                async with session.get(url, timeout=timeout) as resp:
                    resp.raise_for_status()
                    body = await resp.content.read(self.opts.max_body_bytes + 1)
                if len(body) > self.opts.max_body_bytes:
                    raise OracleParseError(f"response over {self.opts.max_body_bytes} bytes")
                emit(parse_response(body, self.by_feed))
                break
            except (aiohttp.ClientError, TimeoutError, OracleParseError) as exc:
                errors.append(f"{base}: {type(exc).__name__}: {exc}")
        else:
            emit(IoFailure("; ".join(errors)[:500]))
            return False
        return True

    def pause_after_success_s(self) -> float:
        return self.opts.poll_interval_s
