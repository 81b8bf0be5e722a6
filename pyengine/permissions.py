"""Local access does not depend on the umask.

What the engine creates for itself is private to its user whatever the umask: directories
0700, files (database, journal, lock, keys, sockets) 0600. `os.makedirs(mode=...)` and
`open(..., mode)` only ever *remove* the umask's bits, so each creation is followed by an
explicit `chmod`.
"""

from __future__ import annotations

import functools
import logging
import os
import stat
from pathlib import Path

from pyengine.errors import EngineError

log = logging.getLogger("pyengine.permissions")

DIR_MODE = 0o700
FILE_MODE = 0o600


class PermissionsError(EngineError, PermissionError):
    """A secret file is readable by other users, or a path cannot be made private."""


def private_dir(path: Path) -> Path:
    """Create `path` and any missing parents 0700; an existing directory is not changed (it
    may be shared, e.g. /tmp): see `private_run_dir`."""
    for parent in (path, *path.parents):
        if parent.exists() and not parent.is_dir():
            raise NotADirectoryError(f"{parent} exists and is not a directory")
    missing: list[Path] = []
    p = path
    while not p.exists():
        missing.append(p)
        if p.parent == p:
            break
        p = p.parent
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    for created in missing:
        os.chmod(created, DIR_MODE)
    return path


@functools.cache
def _warn_shared(path: Path, mode: int) -> None:
    log.warning(
        "%s is accessible by other users (mode %04o); its sockets are still 0600 and admit"
        " only this user, but a private directory is safer (chmod 700 %s)",
        path,
        mode,
        path,
    )


def private_run_dir(path: Path) -> Path:
    """The directory of the ipc sockets: created 0700; an existing one is left as it is (it
    may be shared) and a warning says so once if other users can reach into it."""
    private_dir(path)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        _warn_shared(path, mode)
    return path


def private_file(path: Path) -> None:
    """Make an existing file (or socket) 0600, if it is ours."""
    if path.exists() and path.stat().st_uid == os.getuid():
        os.chmod(path, FILE_MODE)


def check_secret(path: Path) -> None:
    """Refuse a secret key file that its group or other users can read or write."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        raise PermissionsError(f"{path}: no such secret key file") from None
    if mode & 0o077:
        raise PermissionsError(
            f"{path}: secret key file is accessible by other users (mode {mode:04o});"
            f" run chmod 600 {path}"
        )
