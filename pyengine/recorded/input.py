"""What `pyengine replay` reads, and whether it read anything.

Input: a capture file, `-` (stdin), a FIFO or a process substitution (`<(zcat ...)`), plain
or gzip-compressed. The capture readers open a file twice (once to detect its container, once
to read it), which silently loses the head of a pipe, so anything that is not a regular,
uncompressed file is first copied once into a private temporary file and read from there.

Verdict: a replay that read nothing (random bytes, an empty file, a capture of another venue)
is an error. When no record became a book update but another venue's normaliser makes books
of them, it is that venue's capture, and the error names it; when every record was rejected
and no venue reads it, it is no capture at all. Records that are read but hold no book (a
trade, a ticker) are a valid reading. Binance USD-M and COIN-M share one wire
format, so between those two the connection URLs (`fstream`/`dstream`) or the symbols
(`..USD_PERP`, `..USD_<expiry>` are COIN-M) tell them apart.
"""

from __future__ import annotations

import contextlib
import gzip
import re
import shutil
import stat
import sys
import tempfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from pyengine._core import VENUES
from pyengine.errors import EngineError
from pyengine.recorded.captures import CaptureRecord

GZIP_MAGIC = b"\x1f\x8b"
_COINM_SYMBOL = re.compile(r"USD_(PERP|\d{6})$")


class ReplayInputError(EngineError, OSError):
    """The input cannot be read (missing, unreadable, a broken gzip stream)."""


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(2) == GZIP_MAGIC


def _copy(src: IO[bytes] | gzip.GzipFile, dst: IO[bytes]) -> None:
    try:
        shutil.copyfileobj(src, dst, 1 << 20)
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise ReplayInputError(f"not a valid gzip stream ({exc or 'truncated'})") from None


@contextlib.contextmanager
def capture_path(arg: str | Path) -> Iterator[Path]:
    """A regular, uncompressed file holding the input's bytes, for the capture readers."""
    name = str(arg)
    path = Path(name)
    if name != "-":
        try:
            st = path.stat()
        except OSError as exc:
            raise ReplayInputError(exc.strerror or str(exc)) from None
        if stat.S_ISDIR(st.st_mode):
            raise ReplayInputError("is a directory")
        if stat.S_ISREG(st.st_mode) and not _is_gzip(path):
            yield path
            return
    with contextlib.ExitStack() as stack:
        raw = stack.enter_context(tempfile.NamedTemporaryFile(prefix="pyengine-replay-"))
        src = sys.stdin.buffer if name == "-" else stack.enter_context(path.open("rb"))
        _copy(src, raw)
        raw.flush()
        spooled = Path(raw.name)
        if not _is_gzip(spooled):
            yield spooled
            return
        plain = stack.enter_context(tempfile.NamedTemporaryFile(prefix="pyengine-replay-"))
        with gzip.open(spooled, "rb") as unzipped:
            _copy(unzipped, plain)
        plain.flush()
        yield Path(plain.name)


def _binance_kind(records: Sequence[CaptureRecord], books: dict[str, Any]) -> str | None:
    urls = {r.url for r in records if r.url}
    if any("dstream." in u or "/dapi/" in u for u in urls):
        return "binance-coinm"
    if any("fstream." in u or "/fapi/" in u for u in urls):
        return "binance-usdm"
    symbols = list(books)
    if not symbols:
        return None
    coinm = [bool(_COINM_SYMBOL.search(s)) for s in symbols]
    if all(coinm):
        return "binance-coinm"
    if not any(coinm):
        return "binance-usdm"
    return None


def problem(
    venue: str,
    report: dict[str, Any],
    records: Sequence[CaptureRecord],
    replay: Callable[[str, Sequence[CaptureRecord]], dict[str, Any]],
) -> str:
    """Why the replay of `records` as `venue` is not a valid reading (empty: it is).
    `replay(venue, records)` replays them as another venue, to name the right one."""
    if venue.startswith("binance") and report["book_updates"]:
        kind = _binance_kind(records, report["books"])
        if kind is not None and kind != venue:
            return f"this is a {kind} capture, not {venue} (replay it with --venue {kind})"
        return ""
    if report["book_updates"]:
        return ""
    if not records:
        return "nothing to replay: the input holds no records"
    best, best_updates = "", 0
    for other in VENUES:
        if other == venue:
            continue
        updates = int(replay(other, records)["book_updates"])
        if updates > best_updates:
            best, best_updates = other, updates
    if best:
        if best.startswith("binance"):
            best = _binance_kind(records, replay(best, records)["books"]) or best
        return (
            f"no book in its {len(records)} records as {venue}, {best_updates} book updates as"
            f" {best}: it is a {best} capture (replay it with --venue {best})"
        )
    if report["messages"] - report["rejected"] <= 0:
        return (
            f"none of its {len(records)} records could be read as {venue}"
            f" ({report['rejected']} rejected): not a capture of any known venue"
        )
    return ""  # read, only no book in it (trades, tickers)
