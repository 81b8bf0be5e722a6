from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
import uvloop
import zmq

from pyengine.bus import (
    Bus,
    BusyPoll,
    DedupWindow,
    Gap,
    Outbox,
    SequenceTracker,
    check_endpoint,
    delivery_key,
)
from pyengine.bus.sockets import BindError


def test_sequence_in_order_gap_duplicate_reset() -> None:
    t = SequenceTracker()
    assert t.check("a", "md.x", 1, 5) is None  # late joiner starts anywhere
    assert t.check("a", "md.x", 1, 6) is None
    gap = t.check("a", "md.x", 1, 9)
    assert isinstance(gap, Gap)
    assert (gap.expected, gap.received, gap.missing) == (7, 9, 2)
    assert t.check("a", "md.x", 1, 8) is False  # late/duplicate: dropped
    assert t.check("a", "md.x", 1, 10) is None
    assert t.check("a", "md.x", 2, 1) is None  # publisher restarted
    assert (t.gaps, t.missing, t.duplicates, t.resets) == (1, 2, 1, 1)


def test_sequence_is_per_source_and_topic() -> None:
    t = SequenceTracker()
    for seq in (1, 2, 3):
        assert t.check("a", "md.x", 1, seq) is None
        assert t.check("b", "md.x", 1, seq) is None
        assert t.check("a", "md.y", 1, seq) is None
    assert t.gaps == 0


def test_restored_position_makes_a_jump_a_gap() -> None:
    t = SequenceTracker()
    t.restore("a", "price.x", 1, 100)
    gap = t.check("a", "price.x", 1, 150)
    assert isinstance(gap, Gap)
    assert gap.missing == 49


def test_outbox_due_ack_reject() -> None:
    box = Outbox()
    box.add("rec", b"k1", [b"M"], now_ns=100, sent=True)
    box.add("rec", b"k2", [b"M"], now_ns=100, sent=False)
    assert [p.frames for p in box.due(now_ns=150, timeout_ns=100)] == [[b"M"]]  # unsent only
    assert len(box.due(now_ns=200, timeout_ns=100)) == 2
    assert box.ack("rec", b"k1")
    assert not box.ack("rec", b"k1")
    assert box.reject("rec", b"k2") is not None
    assert len(box) == 0
    assert (box.acked, box.rejected) == (1, 1)


def test_dedup_window_bounded() -> None:
    d = DedupWindow(size=2)
    for k in (b"a", b"b", b"c"):
        assert not d.seen(k)
        d.remember(k)
    assert d.seen(b"c")
    assert not d.seen(b"a")  # evicted
    assert d.duplicates == 1


def test_delivery_key_unique_per_epoch() -> None:
    assert delivery_key("r", 1, "exec.fill.x", 3) != delivery_key("r", 2, "exec.fill.x", 3)


@pytest.mark.parametrize(
    "endpoint", ["inproc://a", "ipc:///tmp/x.sock", "tcp://127.0.0.1:5555", "tcp://[::1]:1"]
)
def test_good_endpoints(endpoint: str) -> None:
    assert check_endpoint(endpoint) == endpoint


@pytest.mark.parametrize("endpoint", ["udp://x", "tcp://host", "inproc://", "localhost:5"])
def test_bad_endpoints(endpoint: str) -> None:
    with pytest.raises(ValueError, match="endpoint"):
        check_endpoint(endpoint)


def test_tcp_without_curve_is_refused() -> None:
    bus = Bus()
    try:
        # A BindError (an OSError), no longer a ValueError now the engine root is not one.
        with pytest.raises(BindError, match="curve"):
            bus.pub("tcp://127.0.0.1:45999")
    finally:
        bus.close()


def test_channel_receives_in_batches() -> None:
    async def main() -> list[int]:
        bus = Bus()
        try:
            pub = bus.pub("inproc://t.pub")
            sub = bus.sub(["inproc://t.pub"], ["t."])
            sizes: list[int] = []
            got = 0
            # a subscription takes effect asynchronously: publish until the first one arrives
            while not sub.drain(1):
                pub.send([b"t.x", b"hello"])
                await asyncio.sleep(0.001)
            for _ in range(500):
                pub.send([b"t.x", b"p"])
            while got < 500:
                batch = await asyncio.wait_for(sub.recv_batch(128), 5)
                sizes.append(len(batch))
                got += sum(1 for f in batch if f[1] == b"p")
            return sizes
        finally:
            bus.close()

    sizes = uvloop.run(main())
    assert max(sizes) == 128  # drained many per wake-up, bounded by max_batch


def test_hwm_is_set_on_purpose() -> None:
    from pyengine.bus import HighWaterMarks

    bus = Bus(HighWaterMarks(pub=11, sub=12, mailbox=13, dealer=14))
    try:
        assert bus.pub("inproc://h.pub").sock.getsockopt(zmq.SNDHWM) == 11
        assert bus.sub(["inproc://h.pub"], ["x"]).sock.getsockopt(zmq.RCVHWM) == 12
        assert bus.router("inproc://h.box").sock.getsockopt(zmq.RCVHWM) == 13
        dealer = bus.dealer("inproc://h.box").sock
        assert dealer.getsockopt(zmq.SNDHWM) == 14
        assert dealer.getsockopt(zmq.IMMEDIATE) == 1
    finally:
        bus.close()


def test_busy_poll_window_runs_once_and_ends() -> None:
    async def main() -> tuple[int, bool]:
        busy = BusyPoll(2_000)
        t0 = time.monotonic_ns()
        busy.touch()
        busy.touch()  # one polling task per window, however much traffic
        task = busy._task
        assert task is not None
        await asyncio.wait_for(task, 1)
        return time.monotonic_ns() - t0, task.done()

    elapsed_ns, done = uvloop.run(main())
    assert done
    assert elapsed_ns >= 2_000_000


def test_busy_poll_off_outside_a_loop_and_refuses_negative() -> None:
    off = BusyPoll(0)
    off.touch()
    assert off.until == 0
    idle = BusyPoll(100)
    idle.touch()  # no running loop: nothing to keep polling, and no error
    assert idle._task is None
    with pytest.raises(ValueError, match="busy-poll"):
        BusyPoll(-1)


def test_only_ipc_and_tcp_channels_busy_poll(tmp_path: Path) -> None:
    async def main() -> None:
        bus = Bus()
        try:
            assert not bus.pub("inproc://b.pub").busy_polls
            assert not bus.sub(["inproc://b.pub"], ["x"]).busy_polls
            pub = bus.pub(f"ipc://{tmp_path}/b.pub")
            sub = bus.sub(["inproc://b.pub", f"ipc://{tmp_path}/b.pub"], ["t."])
            assert pub.busy_polls and sub.busy_polls
            assert bus.router(f"ipc://{tmp_path}/b.box").busy_polls
            while not sub.drain(1):
                pub.send([b"t.x", b"hello"])
                await asyncio.sleep(0.001)
            before = time.monotonic_ns()
            assert pub.send([b"t.x", b"p"])
            assert bus.busy.until > before  # a send opened the window...
            got: list[bytes] = []
            while b"p" not in got:  # ...and receiving through it works as before
                got += [f[1] for f in await asyncio.wait_for(sub.recv_batch(), 5)]
        finally:
            bus.close()
        assert bus.busy.until == 0

    uvloop.run(main())
