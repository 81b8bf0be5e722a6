"""Pyth Hermes: parse latest-price responses and the SSE price stream; an aiohttp client.

Hermes serves `GET /v2/updates/price/latest?ids[]=<id>...` (`{"binary": ..., "parsed": [...]}`),
the legacy `GET /api/latest_price_feeds?ids[]=<id>...` (a bare list of feeds) and the
Server-Sent-Events stream `GET /v2/updates/price/stream?ids[]=<id>...`, whose events carry the
same JSON as the latest endpoint. A price is an integer mantissa with a power-of-ten exponent:
value = price x 10^expo exactly, confidence alike (docs/market-data-validity.md#oracles);
`publish_time` is Unix seconds.

Parsing is pure and never raises on one bad feed: the feed is dropped and counted with its
reason. Only a document that is not the expected shape at all raises `PythParseError`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

import aiohttp
import msgspec

from pyengine.oracles.errors import OracleParseError

MAX_EXPO = 64
"""A sane bound on |expo| (Pyth uses about -12..0); anything wider is a malformed feed."""


class PythParseError(OracleParseError):
    """A Hermes response that is not one of the known shapes."""


class _RawPrice(msgspec.Struct):
    price: str | int
    conf: str | int
    expo: int
    publish_time: int


class _RawFeed(msgspec.Struct):
    id: str
    price: _RawPrice
    ema_price: _RawPrice | None = None


class _RawUpdate(msgspec.Struct):
    parsed: list[msgspec.Raw] | None = None


_update_decoder = msgspec.json.Decoder(_RawUpdate)
_legacy_decoder = msgspec.json.Decoder(list[msgspec.Raw])
_feed_decoder = msgspec.json.Decoder(_RawFeed)


@dataclass(frozen=True, slots=True)
class PythPrice:
    """One Pyth price: exact value and confidence, the publish time in ns."""

    feed_id: str
    price: Decimal
    conf: Decimal
    expo: int
    publish_ns: int
    ema_price: Decimal | None = None


@dataclass(slots=True)
class PythBatch:
    """The prices in one response or SSE event, and the feeds dropped with their reasons."""

    prices: list[PythPrice] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)


def normalise_id(feed_id: str) -> str:
    """Feed ids compare as lowercase hex without `0x` (Hermes returns them that way)."""
    fid = feed_id.strip().lower()
    return fid[2:] if fid.startswith("0x") else fid


def scale(mantissa: str | int, expo: int) -> Decimal:
    """mantissa x 10^expo, exactly (built from digits; no context rounding)."""
    if isinstance(mantissa, str):
        text = mantissa.strip()
        digits = text[1:] if text[:1] in "+-" else text
        if not digits.isdigit():
            raise ValueError(f"mantissa {mantissa!r} is not an integer")
        value = int(text)
    else:
        value = mantissa
    if not -MAX_EXPO <= expo <= MAX_EXPO:
        raise ValueError(f"expo {expo} out of range")
    sign, digit_tuple, _ = Decimal(value).as_tuple()
    return Decimal((sign, digit_tuple, expo))


def _price(feed_id: str, raw: _RawFeed) -> PythPrice:
    p = raw.price
    if p.publish_time <= 0:
        raise ValueError(f"publish_time {p.publish_time}")
    price = scale(p.price, p.expo)
    conf = scale(p.conf, p.expo)
    if conf < 0:
        raise ValueError("negative confidence")
    ema = None
    if raw.ema_price is not None:
        ema = scale(raw.ema_price.price, raw.ema_price.expo)
    return PythPrice(feed_id, price, conf, p.expo, p.publish_time * 1_000_000_000, ema)


def _feeds(items: Iterable[msgspec.Raw], out: PythBatch) -> PythBatch:
    for item in items:
        try:
            raw = _feed_decoder.decode(item)
        except msgspec.DecodeError as exc:
            out.rejected.append(f"malformed feed: {exc}")
            continue
        try:
            out.prices.append(_price(normalise_id(raw.id), raw))
        except (ValueError, ArithmeticError) as exc:
            out.rejected.append(f"feed {raw.id}: {exc}")
    return out


def parse_latest(body: bytes | str) -> PythBatch:
    """Parse a `/v2/updates/price/latest` body, an SSE event's data, or the legacy list.

    Raises `PythParseError` only if the document is neither shape.
    """
    data = body.encode() if isinstance(body, str) else body
    stripped = data.lstrip()
    if stripped.startswith(b"["):
        try:
            items = _legacy_decoder.decode(data)
        except msgspec.DecodeError as exc:
            raise PythParseError(f"legacy latest_price_feeds: {exc}") from None
        return _feeds(items, PythBatch())
    try:
        update = _update_decoder.decode(data)
    except msgspec.DecodeError as exc:
        raise PythParseError(f"price update: {exc}") from None
    if update.parsed is None:
        raise PythParseError("price update has no `parsed` array (ask Hermes for parsed=true)")
    return _feeds(update.parsed, PythBatch())


class SseDecoder:
    """Incremental Server-Sent-Events decoder: bytes in, the `data` of each event out.

    Follows the WHATWG rules the Hermes stream uses: lines end in LF, CRLF or CR; `data:` lines
    (one optional space after the colon) are joined with LF; a blank line dispatches the event;
    lines starting with `:` are comments (keep-alives). An event or line longer than
    `max_event_bytes` is dropped and counted, so a broken server cannot grow memory without bound.
    """

    def __init__(self, max_event_bytes: int = 1 << 20) -> None:
        self.max_event_bytes = max_event_bytes
        self._buf = bytearray()
        self._data: list[bytes] = []
        self._size = 0
        self._skip_event = False
        self._pending_cr = False
        self.oversize = 0
        self.comments = 0

    def feed(self, chunk: bytes) -> list[bytes]:
        """Consume a chunk; return the data of every event it completed."""
        events: list[bytes] = []
        buf = self._buf
        if self._pending_cr and chunk.startswith(b"\n"):
            chunk = chunk[1:]
        self._pending_cr = False
        buf += chunk
        start = 0
        n = len(buf)
        while start < n:
            lf = buf.find(b"\n", start)
            cr = buf.find(b"\r", start, lf if lf >= 0 else n)
            if cr >= 0:
                end, nxt = cr, cr + 1
                if nxt < n and buf[nxt] == 0x0A:
                    nxt += 1
                elif nxt == n:
                    self._pending_cr = True
            elif lf >= 0:
                end, nxt = lf, lf + 1
            else:
                break
            self._line(bytes(buf[start:end]), events)
            start = nxt
        del buf[:start]
        if len(buf) > self.max_event_bytes:
            buf.clear()
            self._skip_event = True
            self.oversize += 1
        return events

    def _line(self, line: bytes, events: list[bytes]) -> None:
        if not line:
            if self._data and not self._skip_event:
                events.append(b"\n".join(self._data))
            self._data.clear()
            self._size = 0
            self._skip_event = False
            return
        if line.startswith(b":"):
            self.comments += 1
            return
        name, sep, value = line.partition(b":")
        if not sep:
            value = b""
        elif value.startswith(b" "):
            value = value[1:]
        if name != b"data" or self._skip_event:
            return
        self._size += len(value) + 1
        if self._size > self.max_event_bytes:
            self._data.clear()
            self._skip_event = True
            self.oversize += 1
            return
        self._data.append(value)


def latest_url(base_url: str, feed_ids: Iterable[str], *, legacy: bool = False) -> str:
    """The latest-price URL for these feeds (`legacy`: the `/api/latest_price_feeds` form)."""
    ids = "&".join(f"ids[]={normalise_id(f)}" for f in feed_ids)
    base = base_url.rstrip("/")
    if legacy:
        return f"{base}/api/latest_price_feeds?{ids}"
    return f"{base}/v2/updates/price/latest?{ids}&parsed=true"


def stream_url(base_url: str, feed_ids: Iterable[str]) -> str:
    """The SSE stream URL for these feeds."""
    ids = "&".join(f"ids[]={normalise_id(f)}" for f in feed_ids)
    return f"{base_url.rstrip('/')}/v2/updates/price/stream?{ids}&parsed=true"


class PythClient:
    """Hermes over HTTP (aiohttp): one latest-price request, or the SSE stream of batches.

    Errors of the transport (connection refused, HTTP status, timeouts) raise from aiohttp;
    the caller (the oracle actor) counts them and reconnects with backoff.
    """

    def __init__(
        self,
        base_url: str,
        feed_ids: Iterable[str],
        *,
        timeout_s: float = 5.0,
        idle_timeout_s: float = 30.0,
        legacy: bool = False,
        max_body_bytes: int = 4 << 20,
        max_event_bytes: int = 1 << 20,
    ) -> None:
        self.base_url = base_url
        self.feed_ids = [normalise_id(f) for f in feed_ids]
        self.timeout_s = timeout_s
        self.idle_timeout_s = idle_timeout_s
        self.legacy = legacy
        self.max_body_bytes = max_body_bytes
        self.max_event_bytes = max_event_bytes
        self.decoder: SseDecoder | None = None

    async def latest(self, session: aiohttp.ClientSession) -> PythBatch:
        """One request to the latest-price endpoint."""
        url = latest_url(self.base_url, self.feed_ids, legacy=self.legacy)
        timeout = aiohttp.ClientTimeout(total=self.timeout_s)
        async with session.get(url, timeout=timeout) as resp:
            resp.raise_for_status()
            body = await resp.content.read(self.max_body_bytes + 1)
            if len(body) > self.max_body_bytes:
                raise PythParseError(f"response larger than {self.max_body_bytes} bytes")
            return parse_latest(body)

    async def stream(
        self, session: aiohttp.ClientSession
    ) -> AsyncIterator[PythBatch | PythParseError]:
        """Batches from the SSE stream until the server closes it (Hermes does, every 24 h).

        A malformed event is yielded as a `PythParseError` value, not raised: one bad event
        must not tear down the stream.
        """
        url = stream_url(self.base_url, self.feed_ids)
        # No total timeout (the stream is meant to last); a silent socket is dead after
        # `idle_timeout_s` (Hermes sends a price every ~400 ms per feed).
        timeout = aiohttp.ClientTimeout(
            total=None, connect=self.timeout_s, sock_read=self.idle_timeout_s
        )
        decoder = SseDecoder(self.max_event_bytes)
        self.decoder = decoder
        headers = {"Accept": "text/event-stream"}
        async with session.get(url, timeout=timeout, headers=headers) as resp:
            resp.raise_for_status()
            async for chunk in resp.content.iter_any():
                for data in decoder.feed(chunk):
                    try:
                        yield parse_latest(data)
                    except PythParseError as exc:
                        yield exc
