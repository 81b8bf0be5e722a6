"""Local access does not depend on the umask: with umask 000 the engine's directories are
still 0700 and its socket, database, WAL and lock 0600; a CURVE secret key readable by others
is refused; another local user cannot stop the engine through its control socket even when
the file modes are opened up (the ipc socket admits peers of the engine's uid only), and on
tcp a client whose CURVE key is not authorised cannot either."""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import zmq
import zmq.auth

from pyengine.bus import Bus, CurveKeyError, CurveKeys, load_keys, make_certificates
from pyengine.messages import Shutdown, encode
from pyengine.permissions import private_run_dir
from pyengine.runtime.control import ControlError, request
from tests.integration.test_cli_errors import free_port, tcp_config

Poll = Callable[..., None]
NOBODY = 65534


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def engine_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "pyengine.cli", *args]


def answers(cwd: Path, *config: str) -> bool:
    out = subprocess.run(  # noqa: PLW1510
        engine_cmd("status", *config, "--timeout", "1"), cwd=cwd, capture_output=True, timeout=20
    )
    return out.returncode == 0


def shutdown_as(uid: int, endpoint: str) -> bool:
    """Send `Shutdown` from a forked child running as `uid`; True if the engine answered."""
    payload = encode(Shutdown(ts_event=1, ts_recv=1, reason="another user"))
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        code = 2
        try:
            os.setgid(uid)
            os.setuid(uid)
            ctx = zmq.Context()
            sock = ctx.socket(zmq.DEALER)
            sock.setsockopt(zmq.LINGER, 0)
            sock.connect(endpoint)
            sock.send(payload)
            code = 0 if sock.poll(1500, zmq.POLLIN) else 1
            sock.close(0)
            ctx.term()
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    assert code in (0, 1), f"child failed ({code})"
    return code == 0


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A directory another user can reach (pytest's tmp_path lives under a 0700 directory)."""
    path = Path(tempfile.mkdtemp(prefix="pyengine-perm-", dir="/tmp"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to act as another local user")
def test_umask_000_engine_is_private_and_refuses_other_users(shared_dir: Path, poll: Poll) -> None:
    tmp_path = shared_dir
    proc = subprocess.Popen(
        engine_cmd("run"), cwd=tmp_path, stderr=subprocess.DEVNULL, umask=0, start_new_session=True
    )
    try:
        poll(lambda: answers(tmp_path), 30, "the engine to answer status")
        var = tmp_path / "var"
        sock = var / "run" / "engine.control"
        assert mode(var) == 0o700
        assert mode(var / "run") == 0o700
        assert stat.S_ISSOCK(sock.lstat().st_mode) and mode(sock) == 0o600
        for name in ("engine.db", "engine.db-wal", "engine.db-shm", "engine.lock"):
            assert mode(var / name) == 0o600, name
        # even with every file mode opened up, the socket admits only the engine's user
        for path in (var, var / "run", sock):
            path.chmod(0o777)
        assert not shutdown_as(NOBODY, f"ipc://{sock}")
        assert proc.poll() is None, "another user stopped the engine"
        assert answers(tmp_path)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def test_keys_are_written_private_and_a_shared_secret_is_refused(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        pub, sec = make_certificates(tmp_path / "keys", "engine")
    finally:
        os.umask(old)
    assert mode(tmp_path / "keys") == 0o700
    assert mode(pub) == 0o600 and mode(sec) == 0o600
    (tmp_path / "auth").mkdir()
    assert load_keys(sec, sec, tmp_path / "auth").client_secret
    sec.chmod(0o644)
    with pytest.raises(CurveKeyError, match=r"accessible by other users \(mode 0644\)"):
        load_keys(sec, sec, tmp_path / "auth")


def test_on_tcp_only_an_authorised_curve_key_can_stop_the_engine(
    tmp_path: Path, poll: Poll
) -> None:
    port = free_port()
    cfg = tcp_config(tmp_path, port, control=True)
    endpoint = f"tcp://127.0.0.1:{port + 90}"
    server_public, _ = zmq.auth.load_certificate(tmp_path / "keys" / "server.key")
    _, intruder = make_certificates(tmp_path / "intruder", "intruder")
    pub, sec = zmq.auth.load_certificate(intruder)
    assert sec is not None
    stranger = CurveKeys(server_public, None, pub, sec, None)
    proc = subprocess.Popen(engine_cmd("run", cfg), cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    try:

        def up() -> bool:
            if proc.poll() is not None:
                raise AssertionError(f"engine exited {proc.returncode}: {proc.communicate()[1]}")
            return answers(tmp_path, cfg)

        try:
            poll(up, 30, "the engine to answer over tcp")
        except AssertionError as exc:
            proc.kill()
            raise AssertionError(f"{exc}; engine stderr: {proc.communicate()[1][-3000:]}") from None
        bus = Bus(curve=stranger)
        try:
            with pytest.raises(ControlError):
                request(bus, endpoint, Shutdown(ts_event=1, ts_recv=1, reason="stranger"), 1.5)
        finally:
            bus.close()
        assert proc.poll() is None and answers(tmp_path, cfg)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        assert "CURVE: refused a peer with unknown public key" in err
    finally:
        if proc.poll() is None:
            proc.kill()


def test_run_dir_is_created_private_but_a_shared_one_is_left_alone(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    old = os.umask(0)
    try:
        made = private_run_dir(tmp_path / "a" / "run")
    finally:
        os.umask(old)
    assert mode(tmp_path / "a") == 0o700 and mode(made) == 0o700
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)  # like /tmp: never chmod-ed by the engine
    private_run_dir(shared)
    assert mode(shared) == 0o1777
    assert "is accessible by other users (mode 1777)" in caplog.text
