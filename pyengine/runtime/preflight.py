"""Checks of the command line that argparse cannot make, and the keys `status` needs.

Each returns a one-line message for the user (or raises a typed error), never a traceback.
"""

from __future__ import annotations

import math
from pathlib import Path

from pyengine.actors.recorder import Recorder
from pyengine.bus import CurveKeyError, CurveKeys, load_keys
from pyengine.config import EngineConfig
from pyengine.runtime.plan import EnginePlan


def bad_seconds(option: str, value: float | None, *, required: bool = False) -> str:
    """Why `value` is not a usable number of seconds (empty: it is)."""
    if value is None:
        return f"{option} is required" if required else ""
    if not math.isfinite(value):
        return f"{option} must be a finite number of seconds, not {value}"
    if value <= 0:
        return f"{option} must be more than 0 seconds, not {value:g}"
    return ""


def client_keys(cfg: EngineConfig, endpoint: str) -> CurveKeys | None:
    """The CURVE client keys to reach a tcp control endpoint (None for ipc)."""
    if not endpoint.startswith("tcp://"):
        return None
    c = cfg.bus.curve
    if c is None:
        raise CurveKeyError(
            f"{endpoint}: a tcp control socket needs the CURVE keys of [bus.curve] in the config"
        )
    keys = load_keys(Path(c.server_cert), Path(c.client_cert), None)
    # a client only: no server secret, so no authenticator is started for it
    return CurveKeys(keys.server_public, None, keys.client_public, keys.client_secret, None)


def store_urls(plan: EnginePlan) -> list[str]:
    """Every store the engine will write: the plan's, and any recorder's own `url`."""
    urls = [plan.store_url]
    for a in plan.actors:
        url = a.options.get("url") if issubclass(a.cls, Recorder) else None
        if isinstance(url, str) and url and url not in urls:
            urls.append(url)
    return urls
