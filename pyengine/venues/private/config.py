"""Configuration of one authenticated venue client: URLs, timers and where the keys come from.

Keys are never config values: the config names the environment variables that hold them
(`api_key_env`, ...), so a config file can be shared and logged. Code that has the keys in
hand passes a `Credentials` directly.
"""

from __future__ import annotations

import os

import msgspec

from pyengine.venues.private.common import Credentials
from pyengine.venues.private.deadman import check_window
from pyengine.venues.private.errors import VenueAuthError

#: Production private endpoints (websocket base, REST base) per venue.
DEFAULT_PRIVATE_URLS: dict[str, tuple[str, str]] = {
    "binance-usdm": ("wss://fstream.binance.com", "https://fapi.binance.com"),
    "bybit": ("wss://stream.bybit.com/v5/private", "https://api.bybit.com"),
    "okx": ("wss://ws.okx.com:8443/ws/v5/private", "https://www.okx.com"),
}

_ENV_PREFIX = {"binance-usdm": "BINANCE", "bybit": "BYBIT", "okx": "OKX"}


class PrivateClientConfig(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """One venue account (`[actors.options.live]` of an execution actor)."""

    venue: str
    """"binance-usdm", "bybit" or "okx"."""
    ws_url: str = ""
    """Private websocket base; empty: production (`DEFAULT_PRIVATE_URLS`)."""
    rest_url: str = ""
    """REST base; empty: production."""
    api_key_env: str = ""
    """Environment variable holding the API key; empty: `<VENUE>_API_KEY`."""
    api_secret_env: str = ""
    """Environment variable holding the secret; empty: `<VENUE>_API_SECRET`."""
    passphrase_env: str = ""
    """Environment variable holding the OKX passphrase; empty: `OKX_API_PASSPHRASE`."""
    recv_window_ms: int = 5000
    """Binance `recvWindow` / Bybit `X-BAPI-RECV-WINDOW`."""
    rest_timeout_s: float = 10.0
    ping_interval_s: float = 20.0
    """Application ping (Bybit `{"op":"ping"}`, OKX `ping`) and websocket ping period."""
    stale_after_s: float = 60.0
    """Bybit/OKX: no message (pongs included) for this long, reconnect. Binance sends no
    application heartbeat on the user stream, so there only websocket pings detect a dead
    connection."""
    open_timeout_s: float = 10.0
    """Websocket handshake, and the wait for the login/auth answer."""
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 30.0
    backoff_jitter: float = 0.5
    listen_key_keepalive_s: float = 30 * 60.0
    """Binance: `PUT /fapi/v1/listenKey` period (the key lapses after 60 minutes without)."""
    resync_attempts: int = 3
    """REST re-sync attempts after each (re)connect before the connection is dropped."""
    category: str = "linear"
    """Bybit: category of plain symbols (`BTCUSDT`); `inverse:BTCUSD` names one explicitly."""
    settle_coins: list[str] = msgspec.field(default_factory=lambda: ["USDT"])
    """Bybit: settle coins whose open orders and positions are fetched (the venue needs one)."""
    account_type: str = "UNIFIED"
    """Bybit wallet account type."""
    td_mode: str = "cross"
    """OKX trade mode of new orders (cross, isolated, cash)."""
    demo: bool = False
    """OKX demo trading (`x-simulated-trading: 1`)."""
    cancel_on_disconnect_s: float = 60.0
    """The venue's dead man's switch (docs/venues.md#cancel-on-disconnect): if the engine
    stops re-arming it for this long, the venue cancels our open orders. 0: off. Binance:
    any (countdown in ms, per symbol); OKX: whole seconds 10..120; Bybit: whole seconds
    3..300, counted from the loss of the private connection."""
    cancel_on_disconnect_rearm_s: float = 0.0
    """Seconds between two armings; 0: a third of the window."""

    def __post_init__(self) -> None:
        check_window(self.venue, self.cancel_on_disconnect_s, self.cancel_on_disconnect_rearm_s)

    def urls(self) -> tuple[str, str]:
        """(ws_url, rest_url) with the production defaults filled in."""
        ws, rest = DEFAULT_PRIVATE_URLS.get(self.venue, ("", ""))
        return (self.ws_url or ws).rstrip("/"), (self.rest_url or rest).rstrip("/")

    def credentials(self) -> Credentials:
        """The keys, read from the environment variables this config names.

        Raises `VenueAuthError` naming the missing variable (never a value)."""
        prefix = _ENV_PREFIX.get(self.venue, self.venue.upper().replace("-", "_"))
        names = (
            self.api_key_env or f"{prefix}_API_KEY",
            self.api_secret_env or f"{prefix}_API_SECRET",
            self.passphrase_env or f"{prefix}_API_PASSPHRASE",
        )
        key, secret, passphrase = (os.environ.get(n, "") for n in names)
        missing = [n for n, v in zip(names[:2], (key, secret), strict=True) if not v]
        if self.venue == "okx" and not passphrase:
            missing.append(names[2])
        if missing:
            raise VenueAuthError(f"{self.venue}: environment variable(s) not set: {missing}")
        return Credentials(key, secret, passphrase)
