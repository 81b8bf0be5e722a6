"""Data files the engine reads at run time, shipped inside the package (see SOURCES.md).

The embedded default's simulated venues and its risk gate read real instrument responses.
They are found through `importlib.resources`, so an installed wheel run from any directory
finds them; the test suite keeps its own copies under tests/data.
"""

from __future__ import annotations

import atexit
import contextlib
from importlib.resources import as_file, files
from pathlib import Path

USDM_INSTRUMENTS = "instruments/binance_usdm/rest_exchangeInfo_fapi_20210722_trimmed.json"
"""Binance USD-M exchangeInfo: BTCUSDT, ETHUSDT perpetuals (and three more symbols)."""
COINM_INSTRUMENTS = "instruments/binance_coinm/rest_exchangeInfo_dapi_20210721_full.json"
"""Binance COIN-M exchangeInfo, complete (BTCUSD_PERP, ETHUSD_PERP, quarterlies)."""
BYBIT_LINEAR_INSTRUMENTS = "instruments/bybit/rest_instruments_info_linear_20260809_trimmed.json"
"""Bybit v5 instruments-info, category linear: BTCUSDT perpetual (and three more)."""
OKX_SWAP_INSTRUMENTS = "instruments/okx/rest_public_instruments_swap_20220513.json"
"""OKX v5 public/instruments SWAP: BTC-USDT-SWAP, ETH-USDT-SWAP, BTC-USD-SWAP (inverse)."""
DERIBIT_BTC_INSTRUMENTS = "instruments/deribit/rest_get_instruments_btc_20210722.json"
"""Deribit public/get_instruments BTC: BTC-PERPETUAL, BTC-24SEP21 (and options)."""
DERIBIT_ETH_INSTRUMENTS = "instruments/deribit/rest_get_instruments_eth_20210722.json"
"""Deribit public/get_instruments ETH: ETH-PERPETUAL (and an option)."""

_extracted = contextlib.ExitStack()
atexit.register(_extracted.close)


def data_path(relative: str) -> Path:
    """A shipped data file as a filesystem path (the config and the Rust loaders take paths).

    Installed as files (the usual wheel install) this is the file itself; from a zipped
    package it is extracted once, for the life of the process.
    """
    resource = files(__name__).joinpath(relative)
    if not resource.is_file():
        raise FileNotFoundError(f"pyengine.data: no file {relative}")
    if isinstance(resource, Path):
        return resource
    return _extracted.enter_context(as_file(resource))


__all__ = [
    "BYBIT_LINEAR_INSTRUMENTS",
    "COINM_INSTRUMENTS",
    "DERIBIT_BTC_INSTRUMENTS",
    "DERIBIT_ETH_INSTRUMENTS",
    "OKX_SWAP_INSTRUMENTS",
    "USDM_INSTRUMENTS",
    "data_path",
]
