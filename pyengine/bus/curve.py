"""CURVE authentication and encryption for tcp links.

Every socket that binds a tcp endpoint is a CURVE server with the engine's server key; every
socket that connects to one is a CURVE client with its own key and the server's public key.
A ZAP handler (`zmq.auth.ThreadAuthenticator`) admits only client public keys found in the
`authorized_keys_dir`; a refused peer completes no handshake, so it receives nothing, and the
refusal is logged at WARNING and counted. Keys are the `zmq.auth` certificate files
(`name.key` public, `name.key_secret` secret). A secret key file must be its user's alone
(mode 0600): one that its group or other users can read is refused (`CurveKeyError`).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import zmq
import zmq.auth
from zmq.auth.thread import ThreadAuthenticator

from pyengine.errors import EngineError
from pyengine.permissions import FILE_MODE, PermissionsError, check_secret, private_dir

log = logging.getLogger("pyengine.bus.curve")


@dataclass(frozen=True, slots=True)
class CurveKeys:
    """Loaded key material for one process."""

    server_public: bytes
    server_secret: bytes | None
    client_public: bytes
    client_secret: bytes
    authorized_dir: Path | None


class CurveKeyError(EngineError, ValueError):
    """A CURVE key file or directory is missing, unreadable, public-only or not private."""


def _certificate(path: Path, what: str) -> tuple[bytes, bytes | None]:
    if not path.is_file():
        raise CurveKeyError(f"bus.curve.{what} {path}: no such key file")
    try:
        public, secret = zmq.auth.load_certificate(path)
    except (OSError, ValueError) as exc:
        raise CurveKeyError(f"bus.curve.{what} {path}: not a CURVE certificate ({exc})") from None
    if secret is not None:
        try:
            check_secret(path)
        except PermissionsError as exc:
            raise CurveKeyError(f"bus.curve.{what} {exc}") from None
    return public, secret


def load_keys(
    server_cert: Path,
    client_cert: Path,
    authorized_dir: Path | None,
) -> CurveKeys:
    """Read the certificate files named in config (server secret optional for pure clients)."""
    server_public, server_secret = _certificate(server_cert, "server_cert")
    client_public, client_secret = _certificate(client_cert, "client_cert")
    if client_secret is None:
        raise CurveKeyError(
            f"bus.curve.client_cert {client_cert}: only a public key; the client certificate"
            " needs its secret key (the name.key_secret file)"
        )
    if authorized_dir is not None and not authorized_dir.is_dir():
        raise CurveKeyError(f"bus.curve.authorized_keys_dir {authorized_dir}: no such directory")
    return CurveKeys(server_public, server_secret, client_public, client_secret, authorized_dir)


def make_certificates(directory: Path, name: str) -> tuple[Path, Path]:
    """Create a key pair as `name.key` / `name.key_secret` (public, secret) in `directory`,
    both 0600 whatever the umask."""
    private_dir(directory)
    public, secret = zmq.auth.create_certificates(directory, name)
    for path in (public, secret):
        Path(path).chmod(FILE_MODE)
    return Path(public), Path(secret)


class _KeyCheck:
    """ZAP credentials provider: the authorized public keys, reloaded from the directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.denied = 0
        self.allowed = 0
        self._lock = threading.Lock()
        self._keys = self._load()

    def _load(self) -> set[bytes]:
        keys: set[bytes] = set()
        for path in sorted(self.directory.glob("*.key")):
            public, _ = zmq.auth.load_certificate(path)
            keys.add(public)
        return keys

    def callback(self, domain: str, key: bytes) -> bool:
        with self._lock:
            if key not in self._keys:
                self._keys = self._load()
            ok = key in self._keys
            if ok:
                self.allowed += 1
            else:
                self.denied += 1
        if not ok:
            log.warning("CURVE: refused a peer with unknown public key %s", key.decode())
        return ok


class CurveGuard:
    """The ZAP authenticator of one context, and the socket options for both CURVE roles."""

    def __init__(self, ctx: zmq.Context[zmq.Socket[bytes]], keys: CurveKeys) -> None:
        self.keys = keys
        self._auth: ThreadAuthenticator | None = None
        self._check: _KeyCheck | None = None
        if keys.server_secret is not None:
            if keys.authorized_dir is None:
                raise ValueError("bus.curve.authorized_keys_dir is required to accept CURVE peers")
            self._check = _KeyCheck(keys.authorized_dir)
            auth = ThreadAuthenticator(ctx, log=logging.getLogger("pyengine.bus.zap"))
            auth.start()
            auth.configure_curve_callback(domain="*", credentials_provider=self._check)
            self._auth = auth

    @property
    def denied(self) -> int:
        return 0 if self._check is None else self._check.denied

    def server(self, sock: zmq.Socket[bytes]) -> None:
        """Make a binding socket a CURVE server (needs the server secret)."""
        if self.keys.server_secret is None:
            raise ValueError("this process has no CURVE server secret, it cannot bind tcp")
        sock.setsockopt(zmq.ZAP_DOMAIN, b"*")
        sock.curve_secretkey = self.keys.server_secret
        sock.curve_publickey = self.keys.server_public
        sock.curve_server = True

    def client(self, sock: zmq.Socket[bytes]) -> None:
        """Make a connecting socket a CURVE client of the engine's server key."""
        sock.curve_secretkey = self.keys.client_secret
        sock.curve_publickey = self.keys.client_public
        sock.curve_serverkey = self.keys.server_public

    def stop(self) -> None:
        if self._auth is not None:
            self._auth.stop()
            self._auth = None
