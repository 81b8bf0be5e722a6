"""tcp links are CURVE-authenticated: a peer with the wrong key gets nothing, and it is logged."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from pathlib import Path

import pytest
import zmq

from pyengine.bus import MSG, Bus, load_keys, make_certificates

Poll = Callable[..., None]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, Path]:
    auth = tmp_path / "authorized"
    server_pub, server_sec = make_certificates(tmp_path / "server", "server")
    good_pub, good_sec = make_certificates(tmp_path / "good", "good")
    _, bad_sec = make_certificates(tmp_path / "bad", "bad")
    auth.mkdir()
    (auth / "good.key").write_bytes(good_pub.read_bytes())
    return {
        "server": server_sec,
        "server_pub": server_pub,
        "good": good_sec,
        "bad": bad_sec,
        "auth": auth,
    }


def test_wrong_key_gets_nothing(
    keys: dict[str, Path], poll: Poll, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="pyengine.bus.curve")
    server = Bus(curve=load_keys(keys["server"], keys["good"], keys["auth"]))
    good = Bus(curve=load_keys(keys["server_pub"], keys["good"], None))
    bad = Bus(curve=load_keys(keys["server_pub"], keys["bad"], None))
    pub_ep, box_ep = f"tcp://127.0.0.1:{free_port()}", f"tcp://127.0.0.1:{free_port()}"
    try:
        pub = server.pub(pub_ep)
        box = server.router(box_ep)
        good_sub = good.sub([pub_ep], ["md."])
        bad_sub = bad.sub([pub_ep], ["md."])
        received: list[bytes] = []

        def good_receives() -> bool:
            pub.send([b"md.book.x", b"secret"])
            received.extend(f[1] for f in good_sub.drain(100))
            return len(received) >= 5

        poll(good_receives, 10, "the authorized subscriber")
        assert server.guard is not None
        poll(lambda: server.guard is not None and server.guard.denied >= 1, 10, "the refusal")
        for _ in range(20):
            pub.send([b"md.book.x", b"secret"])
        poll(lambda: len(good_sub.drain(100)) > 0, 5, "more data to the good peer")
        assert bad_sub.drain(100) == []
        # the acknowledged path too: the wrong key never completes a connection, nothing arrives
        bad_dealer = bad.dealer(box_ep)
        assert not bad_dealer.send([MSG, b"k", b"exec.fill.x", b"payload"])
        good_dealer = good.dealer(box_ep)
        poll(lambda: good_dealer.send([MSG, b"k2", b"exec.fill.x", b"payload"]), 10, "good dealer")
        got: list[list[bytes]] = []

        def mailbox_got() -> bool:
            got.extend(box.drain(10))
            return bool(got)

        poll(mailbox_got, 10, "mailbox message")
        assert [f[2] for f in got] == [b"k2"]
        assert box.sock.poll(200, zmq.POLLIN) == 0
        assert any("refused a peer" in r.getMessage() for r in caplog.records)
    finally:
        for b in (good, bad, server):
            b.close()
