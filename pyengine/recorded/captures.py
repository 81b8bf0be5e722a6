"""Readers for recorded venue captures, as found in the project's test data.

Three line formats are recognised, per file, from its first non-empty line:

- cryptofeed capture JSONL (format 2): ``{"t": "header"|"connect"|"send"|"recv"|"http",
  "conn", "ts", "addr"/"url", "data"}``; ``data`` is the exact payload string.
- hftbacktest raw lines: ``<local receive ns> <raw exchange JSON>``.
- raw JSONL: one exchange message per line (e.g. Bybit's historical download).

A whole file that is one JSON document (a pretty-printed single message) is one record.
A line that does not fit its file's container is passed on as a stream record with the
raw line as payload, so the venue normaliser counts it as rejected: nothing is dropped
silently.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import orjson


class RecordKind(enum.Enum):
    """What a capture record carries."""

    STREAM = "stream"  # a websocket/stream message
    REST = "rest"  # a REST response body (e.g. a depth snapshot)


@dataclass(frozen=True, slots=True)
class CaptureRecord:
    """One message of a capture."""

    kind: RecordKind
    data: bytes
    ts_recv: int  # local receive time, ns since the epoch (0 if the capture has none)
    conn: str = ""  # connection id within the capture
    url: str | None = None  # websocket address or REST URL

    @property
    def url_symbol(self) -> str | None:
        """The ``symbol=`` query parameter of a REST URL, if any."""
        if not self.url:
            return None
        values = parse_qs(urlparse(self.url).query).get("symbol")
        return values[0] if values else None


class CaptureFormat(enum.Enum):
    """Container format of a capture file."""

    CRYPTOFEED = "cryptofeed"
    HFTBACKTEST = "hftbacktest"
    RAW_JSONL = "raw-jsonl"
    SINGLE_JSON = "single-json"


def _seconds_to_ns(ts: object) -> int:
    # cryptofeed stores receive time as float seconds: a timestamp, not money, so the
    # float's own precision (~0.1 us) is all there is to keep.
    if isinstance(ts, int | float):
        return round(ts * 1_000_000_000)
    return 0


def detect_format(path: Path) -> CaptureFormat:
    """Guess a capture's container from its first non-empty line."""
    with path.open("rb") as f:
        for raw_line in f:
            line = raw_line.strip()
            if not line:
                continue
            head, _, _ = line.partition(b" ")
            if head.isdigit():
                return CaptureFormat.HFTBACKTEST
            try:
                first = orjson.loads(line)
            except orjson.JSONDecodeError:
                return _whole_file_format(path)
            if isinstance(first, dict) and first.get("t") == "header":
                return CaptureFormat.CRYPTOFEED
            return CaptureFormat.RAW_JSONL
    return CaptureFormat.RAW_JSONL


def _whole_file_format(path: Path) -> CaptureFormat:
    """A first line that is not JSON: one pretty-printed document, or junk lines."""
    if path.stat().st_size <= 16 * 1024 * 1024:
        try:
            orjson.loads(path.read_bytes())
        except orjson.JSONDecodeError:
            return CaptureFormat.RAW_JSONL
        return CaptureFormat.SINGLE_JSON
    return CaptureFormat.RAW_JSONL


def read_capture(path: Path) -> Iterator[CaptureRecord]:
    """Yield every record of a capture file, in file order."""
    fmt = detect_format(path)
    if fmt is CaptureFormat.SINGLE_JSON:
        yield CaptureRecord(RecordKind.STREAM, path.read_bytes().strip(), 0)
        return
    urls: dict[str, str] = {}
    with path.open("rb") as f:
        for raw_line in f:
            line = raw_line.rstrip(b"\r\n")
            if not line.strip():
                continue
            if fmt is CaptureFormat.HFTBACKTEST:
                yield _hftbacktest_record(line)
            elif fmt is CaptureFormat.CRYPTOFEED:
                rec = _cryptofeed_record(line, urls)
                if rec is not None:
                    yield rec
            else:
                yield CaptureRecord(RecordKind.STREAM, line, 0)


def _hftbacktest_record(line: bytes) -> CaptureRecord:
    head, sep, payload = line.partition(b" ")
    if sep and head.isdigit():
        return CaptureRecord(RecordKind.STREAM, payload, int(head))
    return CaptureRecord(RecordKind.STREAM, line, 0)


def _cryptofeed_record(line: bytes, urls: dict[str, str]) -> CaptureRecord | None:
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError:
        return CaptureRecord(RecordKind.STREAM, line, 0)
    if not isinstance(obj, dict):
        return CaptureRecord(RecordKind.STREAM, line, 0)
    kind = obj.get("t")
    conn = str(obj.get("conn", ""))
    if kind == "connect":
        if isinstance(obj.get("addr"), str):
            urls[conn] = obj["addr"]
        return None
    if kind in ("header", "send"):
        return None
    data = obj.get("data")
    if kind not in ("recv", "http") or not isinstance(data, str):
        return CaptureRecord(RecordKind.STREAM, line, 0)
    ts = _seconds_to_ns(obj.get("ts"))
    payload = data.encode()
    if kind == "http":
        url = obj.get("url") if isinstance(obj.get("url"), str) else None
        return CaptureRecord(RecordKind.REST, payload, ts, conn, url)
    addr = obj.get("addr")
    url = addr if isinstance(addr, str) else urls.get(conn)
    return CaptureRecord(RecordKind.STREAM, payload, ts, conn, url)
