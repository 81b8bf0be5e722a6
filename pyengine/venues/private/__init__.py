"""Private streams of Binance USD-M, Bybit v5 and OKX v5: parsers (raw bytes -> normalised
account events, exact `Decimal`s), request signing, and the authenticated clients
(`private_client`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from pyengine.venues.private.common import Credentials
from pyengine.venues.private.config import PrivateClientConfig

if TYPE_CHECKING:
    from pyengine.venues.private.client import PrivateClient


def private_client(
    cfg: PrivateClientConfig,
    credentials: Credentials | None = None,
    *,
    clock: Callable[[], int] = time.time_ns,
) -> PrivateClient:
    """The authenticated client of `cfg.venue` (keys from `credentials`, else from the
    environment variables `cfg` names)."""
    from pyengine.venues.private.binance_client import BinanceUsdmClient
    from pyengine.venues.private.bybit_client import BybitClient
    from pyengine.venues.private.okx_client import OkxClient

    classes: dict[str, type[PrivateClient]] = {
        "binance-usdm": BinanceUsdmClient,
        "bybit": BybitClient,
        "okx": OkxClient,
    }
    cls = classes.get(cfg.venue)
    if cls is None:
        raise ValueError(f"no private client for {cfg.venue!r} (known: {', '.join(classes)})")
    return cls(cfg, credentials, clock=clock)


__all__ = ["Credentials", "PrivateClientConfig", "private_client"]
