"""Engine configuration: TOML, validated by msgspec; every error names the offending key.

The defaults are the embedded engine's: every actor in one process over `inproc://`,
SQLite under `./var/`, the control socket on `ipc://./var/run/<name>.control`. The actors
come from the file; with no file, `pyengine.runtime.embedded` supplies them (trading on the
simulated world).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any, Literal

import msgspec

from pyengine.bus.sockets import check_endpoint
from pyengine.errors import ConfigError

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class CurveConfig(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """CURVE key files (`zmq.auth` certificates) for tcp links."""

    server_cert: str
    """The engine's server certificate: public part everywhere, secret where tcp is bound."""
    client_cert: str
    """This host's client certificate (public + secret)."""
    authorized_keys_dir: str = ""
    """Directory of client public certificates (`*.key`) allowed to connect."""


class BusConfig(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Transport, high-water marks and timing of the bus."""

    transport: Literal["inproc", "ipc", "tcp"] = "inproc"
    ipc_dir: str = "./var/run"
    tcp_host: str = "127.0.0.1"
    tcp_base_port: int = 5700
    pub_hwm: int = 100_000
    sub_hwm: int = 100_000
    mailbox_hwm: int = 100_000
    dealer_hwm: int = 100_000
    ack_timeout_s: float = 0.5
    heartbeat_s: float = 1.0
    max_batch: int = 1024
    curve: CurveConfig | None = None


class StoreConfig(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Where records go: `sqlite:///relative/path`, `sqlite:////abs/path` or `postgresql://...`."""

    url: str = "sqlite:///var/engine.db"
    synchronous: Literal["full", "normal", "extra"] = "full"
    snapshot_rows: int = 100_000
    """Snapshot the actors' recovery state every this many new journal rows ..."""
    snapshot_interval_s: float = 300.0
    """... or this often when fewer arrived (and at clean shutdown): a start replays only
    the journal after the snapshot (`pyengine.runtime.checkpoint`)."""

    def __post_init__(self) -> None:
        if self.snapshot_rows < 1:
            raise ValueError("store.snapshot_rows must be at least 1")
        if not 0 < self.snapshot_interval_s < float("inf"):
            raise ValueError("store.snapshot_interval_s must be a positive number of seconds")


class SupervisorConfig(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Restart policy (docs/risk-playbooks.md#playbooks: internal component fails → self-heal, else
    pause minting)."""

    backoff_initial_s: float = 0.1
    backoff_max_s: float = 5.0
    max_failures: int = 3
    failure_window_s: float = 60.0


class ActorConfig(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """One actor: a registered kind (or `module:Class`), the process it runs in, its options."""

    name: str
    kind: str
    process: str = "main"
    pub: str = ""
    mailbox: str = ""
    options: dict[str, Any] = {}


class EngineConfig(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """The whole engine."""

    name: str = "engine"
    var_dir: str = "./var"
    control: str = ""
    shutdown_timeout_s: float = 10.0
    bus: BusConfig = msgspec.field(default_factory=BusConfig)
    store: StoreConfig = msgspec.field(default_factory=StoreConfig)
    supervisor: SupervisorConfig = msgspec.field(default_factory=SupervisorConfig)
    actors: list[ActorConfig] = msgspec.field(default_factory=list)
    #: Run the embedded simulated engine's actors (then any listed here) under this file's
    #: settings: a way to try the embedded world on another store, bus or directory.
    embedded: bool = False

    @property
    def control_endpoint(self) -> str:
        """Where `pyengine status` finds the running engine."""
        return self.control or f"ipc://{self.var_dir}/run/{self.name}.control"

    def processes(self) -> list[str]:
        """Process groups, `main` first."""
        out = ["main"]
        for a in self.actors:
            if a.process not in out:
                out.append(a.process)
        return out


def _key_path(message: str) -> tuple[str, str]:
    """Split msgspec's `... - at `$.bus.pub_hwm`` into ('bus.pub_hwm', '...')."""
    m = re.search(r" - at `\$(.*)`$", message)
    if not m:
        return "", message
    path = m.group(1).lstrip(".")
    path = re.sub(r"\.?\[(\d+)\]", r"[\1]", path)
    return path, message[: m.start()]


def parse_config(data: dict[str, Any], source: str = "config") -> EngineConfig:
    """Validate a parsed TOML document."""
    try:
        cfg = msgspec.convert(data, EngineConfig)
    except msgspec.ValidationError as exc:
        key, why = _key_path(str(exc))
        unknown = re.match(r"Object contains unknown field `(.+)`$", why)
        if unknown:
            key, why = (f"{key}.{unknown.group(1)}" if key else unknown.group(1)), "unknown key"
        raise ConfigError(f"{source}: {key or '(top level)'}: {why}") from None
    _check(cfg, source)
    return cfg


def _check(cfg: EngineConfig, source: str) -> None:
    def fail(key: str, why: str) -> None:
        raise ConfigError(f"{source}: {key}: {why}")

    if cfg.bus.transport == "inproc" and any(a.process != "main" for a in cfg.actors):
        i = next(i for i, a in enumerate(cfg.actors) if a.process != "main")
        fail(
            f"actors[{i}].process", "actors outside the main process need bus.transport ipc or tcp"
        )
    if cfg.bus.transport == "tcp" and cfg.bus.curve is None:
        fail("bus.curve", "tcp links must be CURVE-authenticated: give server_cert and client_cert")
    for key in ("pub_hwm", "sub_hwm", "mailbox_hwm", "dealer_hwm", "max_batch"):
        if getattr(cfg.bus, key) <= 0:
            fail(f"bus.{key}", "must be positive (an explicit bound; 0 would mean unbounded)")
    for key in ("ack_timeout_s", "heartbeat_s"):
        if getattr(cfg.bus, key) <= 0:
            fail(f"bus.{key}", "must be positive")
    if not 0 < cfg.bus.tcp_base_port < 65536 - 2 * len(cfg.actors):
        fail("bus.tcp_base_port", "out of range")
    if cfg.supervisor.max_failures < 1:
        fail("supervisor.max_failures", "must be at least 1")
    if (
        cfg.supervisor.backoff_initial_s <= 0
        or cfg.supervisor.backoff_max_s < cfg.supervisor.backoff_initial_s
    ):
        fail("supervisor.backoff_max_s", "need 0 < backoff_initial_s <= backoff_max_s")
    if not _NAME.match(cfg.name):
        fail("name", f"{cfg.name!r} must match {_NAME.pattern}")
    seen: set[str] = set()
    for i, a in enumerate(cfg.actors):
        if not _NAME.match(a.name):
            fail(f"actors[{i}].name", f"{a.name!r} must match {_NAME.pattern}")
        if a.name in seen or a.name.startswith("supervisor"):
            fail(f"actors[{i}].name", f"{a.name!r} is used twice (or reserved)")
        seen.add(a.name)
        if not _NAME.match(a.process):
            fail(f"actors[{i}].process", f"{a.process!r} must match {_NAME.pattern}")
        for key in ("pub", "mailbox"):
            value = getattr(a, key)
            if value:
                try:
                    check_endpoint(value)
                except ValueError as exc:
                    fail(f"actors[{i}].{key}", str(exc))
    if cfg.control:
        try:
            check_endpoint(cfg.control)
        except ValueError as exc:
            fail("control", str(exc))
        if cfg.control.startswith("inproc://"):
            fail("control", "must be ipc:// or tcp:// so `pyengine status` can reach it")
    url = cfg.store.url
    if "://" in url and not url.startswith(("sqlite:///", "postgresql://", "postgres://")):
        fail("store.url", f"{url!r}: expected sqlite:///path or postgresql://...")
    if not cfg.actors and not cfg.embedded:
        # A file replaces the embedded actor list; one that lists none would run nothing.
        fail(
            "actors",
            "a config file lists its actors ([[actors]]), or says `embedded = true` to run "
            "the embedded simulated engine under its settings",
        )


def load_config(path: str | Path) -> EngineConfig:
    """Read and validate a TOML config file."""
    p = Path(path)
    try:
        text = p.read_text()
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read: {exc.strerror}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: not valid TOML: {exc}") from None
    return parse_config(data, str(p))


__all__ = [
    "ActorConfig",
    "BusConfig",
    "CurveConfig",
    "EngineConfig",
    "StoreConfig",
    "SupervisorConfig",
    "load_config",
    "parse_config",
]
