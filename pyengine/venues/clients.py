"""Which execution client a config names: `client = "sim" | "binance-usdm" | "bybit" | ...`.

`CLIENTS` maps each name to the `ClientKind` that checks, opens and closes that client, by
import string (as `pyengine.runtime.plan.KINDS` does for actor classes), so the execution
actor never imports the simulator or a particular venue: a name costs an import only when a
config uses it. `register_client` adds one (a new venue, a paper-trading client).

A kind's `check` runs when the plan is made (before anything runs): it reads what it needs
(options, the names of environment variables holding keys) and opens nothing; `open` runs
in the actor's life, as an effect.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Protocol

from pyengine.errors import ConfigError
from pyengine.venues.base import ExecutionClient
from pyengine.venues.private.config import PrivateClientConfig

CLIENTS: dict[str, str] = {
    "sim": "pyengine.sim.client:SIM_CLIENTS",
    "binance-usdm": "pyengine.venues.clients:PRIVATE_CLIENTS",
    "bybit": "pyengine.venues.clients:PRIVATE_CLIENTS",
    "okx": "pyengine.venues.clients:PRIVATE_CLIENTS",
}


@dataclass(frozen=True, slots=True)
class ClientSpec:
    """What an execution actor's options say about its client."""

    client: str
    """The registered client name."""
    venue: str
    """The venue the actor trades (names its topics)."""
    world: str = "sim"
    """The `sim_world` actor a simulated client trades on."""
    live: PrivateClientConfig | None = None
    """A live client's account (URLs, environment variable names)."""


class ClientKind(Protocol):
    """How one kind of client is checked, opened and closed."""

    def check(self, spec: ClientSpec) -> None:
        """Raise `ConfigError` (key relative to the actor's options) if `spec` cannot work."""
        ...

    def colocated_with(self, spec: ClientSpec) -> tuple[str, ...]:
        """Actors the client lives in (a simulated world): they share the actor's process."""
        ...

    async def open(self, spec: ClientSpec) -> ExecutionClient:
        """The client, ready to trade."""
        ...

    async def close(self, client: ExecutionClient) -> None:
        """Release what `open` opened."""
        ...


def register_client(name: str, target: str) -> None:
    """Name a `ClientKind` (`module:attribute`) so configs can say `client = "<name>"`."""
    CLIENTS[name] = target


def client_kind(name: str) -> ClientKind:
    """The kind registered as `name`; `ConfigError` on key `client` otherwise."""
    target = CLIENTS.get(name)
    if target is None:
        raise ConfigError(f"client: unknown client {name!r} (known: {', '.join(sorted(CLIENTS))})")
    module_name, _, attr = target.partition(":")
    try:
        kind: ClientKind = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"client: {name!r} -> {target!r}: {exc}") from None
    return kind


class PrivateClients:
    """A venue's authenticated client (`pyengine.venues.private`); keys from the environment."""

    def config(self, spec: ClientSpec) -> PrivateClientConfig:
        cfg = spec.live or PrivateClientConfig(venue=spec.client)
        if cfg.venue != spec.client:
            raise ConfigError(f"live.venue: not {spec.client!r}")
        if spec.venue != spec.client:
            raise ConfigError(f"venue: the client is {spec.client!r}")
        return cfg

    def check(self, spec: ClientSpec) -> None:
        from pyengine.venues.private.errors import PrivateClientError

        cfg = self.config(spec)
        try:
            cfg.credentials()
        except (PrivateClientError, ValueError) as exc:
            raise ConfigError(f"live: {exc}") from None

    def colocated_with(self, spec: ClientSpec) -> tuple[str, ...]:
        return ()

    async def open(self, spec: ClientSpec) -> ExecutionClient:
        from pyengine.venues.private import private_client

        return private_client(self.config(spec))

    async def close(self, client: ExecutionClient) -> None:
        from pyengine.venues.private.client import PrivateClient

        if isinstance(client, PrivateClient):
            await client.close()


PRIVATE_CLIENTS = PrivateClients()
