"""What the simulated world lists: real instruments of the shipped files, and its dated
futures relisted from them.

`WORLD_LISTINGS` names, per simulated venue, the instrument files and symbols it trades;
`world_instruments(now_ms)` resolves them to (venue, file, symbols), the same table for the
world (`pyengine.sim.world`) and for the embedded default's risk gate.

The shipped instrument responses are from 2021 and 2022, so every dated future in them has
expired. The simulator lists the next quarterly contract instead, with the contract terms
of a real one (tick, lot, contract size, margin: the file's entry verbatim) and only the
name and expiry changed to the next quarterly date: the last Friday of March, June,
September or December at 08:00 UTC (Binance COIN-M and Deribit quarterlies), at least
`min_days` ahead. The result is a response in the venue's own format, loaded by the same
Rust loader, written once per process to a temporary file so the risk gate's instrument
table (which takes paths) and the world read the same instruments.
"""

from __future__ import annotations

import atexit
import calendar
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pyengine.data import (
    BYBIT_LINEAR_INSTRUMENTS,
    COINM_INSTRUMENTS,
    DERIBIT_BTC_INSTRUMENTS,
    DERIBIT_ETH_INSTRUMENTS,
    OKX_SWAP_INSTRUMENTS,
    USDM_INSTRUMENTS,
    data_path,
)

_DAY_MS = 86_400_000
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_dirs: list[Path] = []
_written: dict[tuple[str, str, tuple[str, ...], int], tuple[dict[str, str], Path]] = {}


def _last_friday(year: int, month: int) -> datetime:
    day = calendar.monthrange(year, month)[1]
    last = datetime(year, month, day, 8, tzinfo=UTC)
    return last - timedelta(days=(last.weekday() - 4) % 7)


def quarterly_expiry_ms(now_ms: int, min_days: int = 14) -> int:
    """The first quarterly expiry at least `min_days` after `now_ms` (ms UTC)."""
    t = datetime.fromtimestamp(now_ms / 1000, UTC)
    year, month = t.year, t.month
    while True:
        if month % 3 == 0:
            at = int(_last_friday(year, month).timestamp() * 1000)
            if at >= now_ms + min_days * _DAY_MS:
                return at
        month += 1
        if month > 12:
            year, month = year + 1, 1


def relisted_name(venue: str, entry: dict[str, Any], expiry_ms: int) -> str:
    """The venue's name of `entry`'s contract expiring at `expiry_ms`."""
    d = datetime.fromtimestamp(expiry_ms / 1000, UTC)
    if venue == "binance-coinm":
        return f"{entry['pair']}_{d:%y%m%d}"
    if venue == "deribit":
        return f"{entry['base_currency']}-{d.day}{_MONTHS[d.month - 1]}{d:%y}"
    raise ValueError(f"no relisting rule for venue {venue!r}")


def relisted_response(
    venue: str, relative: str, symbols: list[str], expiry_ms: int
) -> tuple[dict[str, str], str]:
    """(source symbol -> new symbol, response text) with only `symbols`, re-dated."""
    body = json.loads(data_path(relative).read_text(encoding="utf-8"))
    if venue == "binance-coinm":
        entries, key, exp = body["symbols"], "symbol", "deliveryDate"
    elif venue == "deribit":
        entries, key, exp = body["result"], "instrument_name", "expiration_timestamp"
    else:
        raise ValueError(f"no relisting rule for venue {venue!r}")
    by_name = {e[key]: e for e in entries}
    missing = [s for s in symbols if s not in by_name]
    if missing:
        raise KeyError(f"{relative}: no instrument {', '.join(missing)}")
    names: dict[str, str] = {}
    out = []
    for sym in symbols:
        entry = dict(by_name[sym])
        names[sym] = entry[key] = relisted_name(venue, entry, expiry_ms)
        entry[exp] = expiry_ms
        if venue == "binance-coinm":
            entry["contractType"] = "CURRENT_QUARTER"
        out.append(entry)
    if venue == "binance-coinm":
        body["symbols"] = out
    else:
        body["result"] = out
    return names, json.dumps(body)


def _remove(path: Path, owner: int) -> None:
    # Only the process that wrote the files removes them (not a forked child).
    if os.getpid() == owner:
        shutil.rmtree(path, ignore_errors=True)


def relisted_file(
    venue: str, relative: str, symbols: list[str], now_ms: int, min_days: int = 14
) -> tuple[dict[str, str], Path]:
    """`relisted_response` for the next quarterly expiry after `now_ms`, as a file (one
    per arguments and process)."""
    expiry = quarterly_expiry_ms(now_ms, min_days)
    key = (venue, relative, tuple(symbols), expiry)
    known = _written.get(key)
    if known is not None:
        return known
    names, text = relisted_response(venue, relative, symbols, expiry)
    if not _dirs:
        _dirs.append(Path(tempfile.mkdtemp(prefix="pyengine-listings-")))
        atexit.register(_remove, _dirs[0], os.getpid())
    path = _dirs[0] / f"{venue}-{'-'.join(names.values())}.json"
    path.write_text(text, encoding="utf-8")
    _written[key] = (names, path)
    return names, path


@dataclass(frozen=True)
class Listing:
    """Symbols of one instrument file that a simulated venue trades."""

    venue: str
    path: str
    """The file, relative to `pyengine.data`."""
    symbols: tuple[str, ...]
    relist: bool = False
    """Dated futures of the file, relisted at the next quarterly expiry."""


WORLD_LISTINGS: tuple[Listing, ...] = (
    Listing("binance-usdm", USDM_INSTRUMENTS, ("BTCUSDT", "ETHUSDT")),
    Listing("binance-coinm", COINM_INSTRUMENTS, ("BTCUSD_PERP", "ETHUSD_PERP")),
    Listing("binance-coinm", COINM_INSTRUMENTS, ("BTCUSD_211231", "ETHUSD_211231"), relist=True),
    Listing("bybit", BYBIT_LINEAR_INSTRUMENTS, ("BTCUSDT",)),
    Listing("okx", OKX_SWAP_INSTRUMENTS, ("BTC-USDT-SWAP", "ETH-USDT-SWAP", "BTC-USD-SWAP")),
    Listing("deribit", DERIBIT_BTC_INSTRUMENTS, ("BTC-PERPETUAL",)),
    Listing("deribit", DERIBIT_ETH_INSTRUMENTS, ("ETH-PERPETUAL",)),
    Listing("deribit", DERIBIT_BTC_INSTRUMENTS, ("BTC-24SEP21",), relist=True),
)
"""The simulated world's instruments: BTC and ETH linear and inverse perpetuals, and a
quarterly future of each (Binance COIN-M; Deribit BTC). Bybit lists BTCUSDT only: the
shipped Bybit file has no ETHUSDT and there is no Bybit inverse file."""

WORLD_VENUES: tuple[str, ...] = tuple(dict.fromkeys(lst.venue for lst in WORLD_LISTINGS))
"""The simulated venues, in listing order."""


def world_instruments(now_ms: int) -> list[tuple[str, Path, list[str]]]:
    """(venue, instrument file, symbols) of every instrument the world lists at `now_ms`."""
    out: list[tuple[str, Path, list[str]]] = []
    for lst in WORLD_LISTINGS:
        if lst.relist:
            names, path = relisted_file(lst.venue, lst.path, list(lst.symbols), now_ms)
            out.append((lst.venue, path, list(names.values())))
        else:
            out.append((lst.venue, data_path(lst.path), list(lst.symbols)))
    return out


__all__ = [
    "WORLD_LISTINGS",
    "WORLD_VENUES",
    "Listing",
    "quarterly_expiry_ms",
    "relisted_file",
    "relisted_name",
    "relisted_response",
    "world_instruments",
]
