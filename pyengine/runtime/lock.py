"""One engine per directory: an exclusive `fcntl.flock` on `<var_dir>/engine.lock`.

The lock is taken before anything else of `pyengine run` (store, sockets, actors): a second
engine in the same directory would otherwise take over the control socket and the SQLite
file, and delete the socket on exit, leaving the first one unreachable. The file holds the
holder's pid, so the refusal names it. `flock` is released by the kernel when the holder dies,
however it dies, so a lock file left by a killed engine is simply taken over (and said so).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from pathlib import Path

from pyengine.errors import EngineError
from pyengine.permissions import private_dir

log = logging.getLogger("pyengine.lock")

LOCK_NAME = "engine.lock"


class LockError(EngineError, RuntimeError):
    """Another engine holds the directory's lock (or the lock file cannot be used)."""

    def __init__(self, message: str, holder: int | None = None) -> None:
        super().__init__(message)
        self.holder = holder


def _read_pid(fd: int) -> int | None:
    os.lseek(fd, 0, os.SEEK_SET)
    text = os.read(fd, 64).decode("ascii", "replace").strip()
    return int(text) if text.isdigit() else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class EngineLock:
    """The held lock; `release` (or process exit) frees it."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        # truncate first: a reader never sees our pid once we no longer hold the lock
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)

    def __enter__(self) -> EngineLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def acquire(var_dir: str | Path) -> EngineLock:
    """Take the directory's engine lock, or raise `LockError` naming the holder's pid."""
    directory = Path(var_dir)
    try:
        private_dir(directory)
    except OSError as exc:
        raise LockError(f"cannot create {directory}: {exc}") from None
    path = directory / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise LockError(f"cannot open the lock file {path}: {exc.strerror or exc}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _read_pid(fd)
        os.close(fd)
        who = f"pid {holder}" if holder else "another process"
        raise LockError(
            f"another engine ({who}) is running in {directory} (lock {path})", holder
        ) from None
    except OSError as exc:
        os.close(fd)
        raise LockError(f"cannot lock {path}: {exc.strerror or exc}") from None
    previous = _read_pid(fd)
    if previous is not None and previous != os.getpid():
        state = "still running but not holding it" if _alive(previous) else "no longer running"
        log.warning("took over the stale lock %s of pid %d (%s)", path, previous, state)
    os.fchmod(fd, 0o600)
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, f"{os.getpid()}\n".encode())
    os.fsync(fd)
    return EngineLock(path, fd)
