"""Say what went wrong, with the right exit code: each ordinary mistake gives one line on
stderr starting with `pyengine:`, no traceback, exit code 2 (the command line, config or key
files are wrong) or 1 (no engine / the engine stopped because of a fault)."""

from __future__ import annotations

import json
import random
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pyengine.bus import make_certificates

Poll = Callable[..., None]


def engine_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "pyengine.cli", *args]


def free_port() -> int:
    """A base port with the engine's whole block free (actors from base, control at base+90),
    below the kernel's ephemeral range so no outgoing connection of another test takes one."""
    rng = random.Random()
    for _ in range(200):
        base = rng.randrange(20_000, 30_000, 100)
        try:
            for port in (*range(base, base + 30), base + 90):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise AssertionError("no free block of tcp ports")


def tcp_config(tmp: Path, port: int, *, control: bool = False, **curve: str) -> str:
    """A one-process engine on tcp with CURVE keys made in `tmp` (override any key path)."""
    _, server = make_certificates(tmp / "keys", "server")
    client_pub, client = make_certificates(tmp / "keys", "client")
    auth = tmp / "authorized"
    auth.mkdir(exist_ok=True)
    (auth / "client.key").write_bytes(client_pub.read_bytes())
    keys = {
        "server_cert": str(server),
        "client_cert": str(client),
        "authorized_keys_dir": str(auth),
    }
    keys.update(curve)
    lines = ["embedded = true"]
    lines += [f'control = "tcp://127.0.0.1:{port + 90}"'] if control else []
    lines += ["[bus]", 'transport = "tcp"', f"tcp_base_port = {port}", "[bus.curve]"]
    lines += [f'{k} = "{v}"' for k, v in keys.items()]
    (tmp / "engine.toml").write_text("\n".join(lines) + "\n")
    return "engine.toml"


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield int(s.getsockname()[1])


def case_missing_key(tmp: Path) -> list[str]:
    return ["run", tcp_config(tmp, free_port(), client_cert=str(tmp / "nope.key_secret"))]


def case_public_only_key(tmp: Path) -> list[str]:
    return ["run", tcp_config(tmp, free_port(), client_cert=str(tmp / "keys" / "client.key"))]


def case_missing_authorized_dir(tmp: Path) -> list[str]:
    return ["run", tcp_config(tmp, free_port(), authorized_keys_dir=str(tmp / "none"))]


def case_shared_secret(tmp: Path) -> list[str]:
    cfg = tcp_config(tmp, free_port())
    (tmp / "keys" / "server.key_secret").chmod(0o644)
    return ["run", cfg]


def case_long_socket_path(tmp: Path) -> list[str]:
    (tmp / "engine.toml").write_text(f'embedded = true\nvar_dir = "./{"v" * 100}"\n')
    return ["run", "engine.toml"]


def case_status_tcp_without_keys(tmp: Path) -> list[str]:
    return ["status", "--endpoint", "tcp://127.0.0.1:5999"]


def case_status_tcp_missing_keys(tmp: Path) -> list[str]:
    cfg = tcp_config(tmp, free_port(), client_cert=str(tmp / "gone.key_secret"))
    return ["status", cfg, "--endpoint", "tcp://127.0.0.1:5999"]


CASES: dict[str, tuple[Callable[[Path], list[str]], int, str]] = {
    "duration nan": (lambda t: ["run", "--duration", "nan"], 2, r"--duration must be a finite"),
    "duration negative": (lambda t: ["run", "--duration", "-3"], 2, r"more than 0 seconds"),
    "duration inf": (lambda t: ["run", "--duration", "inf"], 2, r"--duration must be a finite"),
    "timeout nan": (lambda t: ["status", "--timeout", "nan"], 2, r"--timeout must be a finite"),
    "garbage endpoint": (lambda t: ["status", "--endpoint", "bogus"], 2, r"must start with"),
    "tcp endpoint, no keys": (case_status_tcp_without_keys, 2, r"needs the CURVE keys"),
    "tcp endpoint, missing key": (case_status_tcp_missing_keys, 2, r"no such key file"),
    "missing key file": (case_missing_key, 2, r"client_cert .*: no such key file"),
    "public-only key file": (case_public_only_key, 2, r"only a public key"),
    "missing authorized dir": (case_missing_authorized_dir, 2, r"authorized_keys_dir .*: no such"),
    "secret readable by others": (case_shared_secret, 2, r"accessible by other users"),
    "long socket path": (case_long_socket_path, 2, r"107-byte limit"),
    "status, no engine": (lambda t: ["status", "--timeout", "20"], 1, r"no engine running"),
}


def check_one_line(out: subprocess.CompletedProcess[str], code: int, pattern: str) -> None:
    assert "Traceback" not in out.stderr, out.stderr
    assert out.returncode == code, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("pyengine: "), lines[0]
    assert re.search(pattern, lines[0]), lines[0]


@pytest.mark.parametrize("case", list(CASES))
def test_mistake_gives_one_line_and_exit_code(tmp_path: Path, case: str) -> None:
    make, code, pattern = CASES[case]
    argv = make(tmp_path)
    t0 = time.monotonic()
    out = subprocess.run(  # noqa: PLW1510
        engine_cmd(*argv), cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    check_one_line(out, code, pattern)
    assert time.monotonic() - t0 < 10, "said at once, not after a timeout"


def test_port_already_in_use(tmp_path: Path, busy_port: int) -> None:
    cfg = tcp_config(tmp_path, busy_port)
    out = subprocess.run(  # noqa: PLW1510
        engine_cmd("run", cfg, "--duration", "2"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "Traceback" not in out.stderr, out.stderr
    assert out.returncode == 2, out.stderr
    assert f"pyengine: cannot bind tcp://127.0.0.1:{busy_port}: Address already in use" in (
        out.stderr.splitlines()
    ), out.stderr


def test_status_with_no_engine_json_is_an_error_object(tmp_path: Path) -> None:
    out = subprocess.run(  # noqa: PLW1510
        engine_cmd("status", "--json", "--timeout", "20"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 1
    error = json.loads(out.stdout)
    assert error["endpoint"] == "ipc://./var/run/engine.control"
    assert "no engine running" in error["error"]


def test_status_of_a_stale_socket_says_no_engine_at_once(tmp_path: Path) -> None:
    (tmp_path / "var" / "run").mkdir(parents=True)
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(tmp_path / "var" / "run" / "engine.control"))  # bound, never listening
    t0 = time.monotonic()
    out = subprocess.run(  # noqa: PLW1510
        engine_cmd("status", "--timeout", "20"), cwd=tmp_path, capture_output=True, text=True
    )
    check_one_line(out, 1, r"no engine running: nothing listens on")
    assert time.monotonic() - t0 < 10


def test_status_over_tcp_loads_the_curve_keys(tmp_path: Path, poll: Poll) -> None:
    cfg = tcp_config(tmp_path, free_port(), control=True)
    proc = subprocess.Popen(engine_cmd("run", cfg), cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    try:
        got: dict[str, object] = {}

        def answered() -> bool:
            out = subprocess.run(  # noqa: PLW1510
                engine_cmd("status", cfg, "--json", "--timeout", "2"),
                cwd=tmp_path,
                capture_output=True,
                text=True,
                timeout=30,
            )
            if out.returncode == 0:
                got.update(json.loads(out.stdout))
            return out.returncode == 0

        last: list[str] = []

        def answered_or_died() -> bool:
            if proc.poll() is not None:
                raise AssertionError(f"engine exited {proc.returncode}: {proc.communicate()[1]}")
            return answered()

        try:
            poll(answered_or_died, 30, "status over tcp")
        except AssertionError:
            proc.kill()
            last.append(proc.communicate()[1])
            raise AssertionError(f"no status over tcp; engine stderr: {last[0][-3000:]}") from None
        assert got["engine"] == "engine"
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
    finally:
        if proc.poll() is None:
            proc.kill()


FAILING = """
from pyengine.strategy import Strategy


class Broken(Strategy):
    subscribe = ("md.book.",)

    def on_start(self) -> None:
        raise RuntimeError("broken on purpose")
"""


def test_run_exits_non_zero_when_an_actor_failed_for_good(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text(FAILING)
    out = subprocess.run(  # noqa: PLW1510
        engine_cmd("run", "--strategy", "broken.py", "--duration", "3"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "Traceback" not in out.stderr
    assert out.returncode == 1, out.stderr
    assert "stopped with failing actors: strategy" in out.stderr
