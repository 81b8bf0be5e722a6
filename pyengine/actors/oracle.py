"""Oracle actors: Pyth Hermes (SSE stream or polling) and RedStone (polled, signature-checked).

Each publishes `OraclePrice` on `oracle.<source>.<symbol>` and its own `Health` on
`health.oracle.<source>`. Every decision is synchronous and on the injected clock: when to
ask (`on_timer`), what a result means (`handle` -> `ingest`, `check_health`), how long to back
off after a failure (exponential, with jitter so many engines do not reconnect in step).
The network half is effects the actor runner runs: one request (`Call`, with a deadline) or
one SSE connection (`Stream`) at a time, which only fetch and parse; each result reaches
`handle` as `Replied` the moment it is parsed, a failure as `Failed`. `connect = false` asks
for nothing (the actor only publishes what it is handed).
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import aiohttp
import msgspec

from pyengine.actors.base import Actor, ActorContext
from pyengine.actors.effects import Call, Output, Stream
from pyengine.errors import ConfigError
from pyengine.messages import Health, Message, OraclePrice
from pyengine.messages.effects import Failed, Replied
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
    """Ask the network (false: the actor only publishes what it is handed)."""
    timeout_s: float = 5.0
    stale_after_s: float = 10.0
    """Health is degraded when the newest price of any feed is older than this."""
    health_every_s: float = 5.0
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 30.0
    drain_interval_s: float = 0.05
    """Timer period: how often it checks whether the next request is due, and health."""


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
    """The shared half: when to ask, what an answer or a failure means, health."""

    source = ""

    def __init__(self, ctx: ActorContext, opts: OracleOptions) -> None:
        super().__init__(ctx)
        self._base_opts = opts
        self.counts: Counter[str] = Counter()
        self.last_publish: dict[str, int] = {}
        self.last_error = ""
        self.connected = False
        self.health_status = ""
        self.health_ns = 0
        self.rng = random.Random(ctx.name)
        self._session: aiohttp.ClientSession | None = None
        self._asking = ""
        """Correlation id of the request or stream in flight ("": none)."""
        self._streaming = False
        self._got = False
        self._next_ns = 0
        self._backoff = opts.backoff_initial_s
        self._n = 0

    def timer_period(self) -> float | None:
        return self._base_opts.drain_interval_s

    def on_start(self) -> list[Output]:
        return self._ask(self.now())

    def on_timer(self, now_ns: int) -> list[Output]:
        out = self._ask(now_ns)
        out.extend(self.check_health(now_ns))
        return out

    def stats(self) -> dict[str, int]:
        return dict(self.counts)

    def cleanups(self) -> Sequence[Callable[[], Awaitable[object]]]:
        return (self._session.close,) if self._session is not None else ()

    def _ask(self, now_ns: int) -> list[Output]:
        """The next request, if one is due and none is in flight."""
        if not self._base_opts.connect or self._asking or now_ns < self._next_ns:
            return []
        self._n += 1
        self._asking = f"{self.source}-{self._n}"
        self._got = False
        effect = self.request(self._asking, now_ns)
        self._streaming = isinstance(effect, Stream)
        return [effect]

    def handle(self, msg: Message) -> list[Message]:
        if type(msg) is Replied and msg.correlation_id == self._asking:
            now = self.now()
            if not self._streaming:
                self._asking = ""
            out = self.receive(msg.value, now)
            if not self._streaming:
                self._done(now, ok=self._got)
            return out
        if type(msg) is Failed and msg.correlation_id == self._asking:
            self._asking = ""
            if msg.reason != "ended":
                self.receive(IoFailure(msg.error or msg.reason), self.now())
            # A stream that closed after delivering is a success (Hermes closes every 24 h).
            self._done(self.now(), ok=self._got and msg.reason == "ended")
        return []

    def receive(self, item: object, recv_ns: int) -> list[Message]:
        """One network result: a failure is counted (health shows it), anything else ingested."""
        if isinstance(item, IoFailure):
            self.counts["io_errors"] += 1
            self.connected = False
            self.last_error = item.error
            return []
        self.connected = True
        self._got = True
        return self.ingest(item, recv_ns)

    def _done(self, now_ns: int, ok: bool) -> None:
        """A request or stream ended: when may the next one start."""
        if ok:
            self._backoff = self._base_opts.backoff_initial_s
            self._next_ns = now_ns + int(self.pause_after_success_s() * 1e9)
            return
        # Exponential backoff with jitter, so many engines do not reconnect in step.
        pause = self._backoff * (0.5 + self.rng.random() / 2)
        self._next_ns = now_ns + int(pause * 1e9)
        self._backoff = min(self._backoff * 2, self._base_opts.backoff_max_s)

    async def session(self) -> aiohttp.ClientSession:
        """This life's HTTP session (opened by the first request, closed by `cleanups`)."""
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    def request(self, correlation_id: str, now_ns: int) -> Call | Stream:
        """The effect that asks the network once."""
        raise NotImplementedError

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

    def request(self, correlation_id: str, now_ns: int) -> Call | Stream:
        if self.opts.mode == "poll":
            deadline = now_ns + int((self.opts.timeout_s + 1.0) * 1e9)
            return Call(self._latest, correlation_id, deadline)
        return Stream(self._stream, correlation_id)

    async def _latest(self) -> PythBatch:
        return await self.client.latest(await self.session())

    async def _stream(self) -> AsyncIterator[PythBatch | PythParseError]:
        async for item in self.client.stream(await self.session()):
            yield item


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

    def request(self, correlation_id: str, now_ns: int) -> Call | Stream:
        # Every gateway may take its whole timeout before the next one is tried.
        budget = self.opts.timeout_s * len(self.opts.base_urls) + 1.0
        return Call(self._fetch, correlation_id, now_ns + int(budget * 1e9))

    async def _fetch(self) -> object:
        """The first gateway's parsed answer, or an `IoFailure` naming every gateway's error."""
        session = await self.session()
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
                return parse_response(body, self.by_feed)
            except (aiohttp.ClientError, TimeoutError, OracleParseError) as exc:
                errors.append(f"{base}: {type(exc).__name__}: {exc}")
        return IoFailure("; ".join(errors)[:500])

    def pause_after_success_s(self) -> float:
        return self.opts.poll_interval_s
