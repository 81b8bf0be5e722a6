"""OKX after its book changes: no websocket snapshot, a checksum of 0, a REST snapshot
bridged to the buffered stream by seqId (docs/venue-feeds.md#okx). The live source and
the Rust feed against a local server whose book is the oracle."""

from __future__ import annotations

import asyncio
import contextlib

from pyengine._core import BookFault, Feed
from pyengine.venues.base import Frame
from pyengine.venues.live import LiveFeedConfig, OkxSource
from tests.conftest import async_wait_until as until
from tests.integration.servers.okx_books import INST, OkxBooksServer


async def _run(server: OkxBooksServer) -> tuple[Feed, OkxSource]:
    cfg = LiveFeedConfig(
        venue="okx",
        symbols=[INST],
        ws_url=server.ws_url,
        rest_url=server.rest_url,
        trades=False,
        bbo=False,
        funding=False,
        backoff_initial_s=0.01,
    )
    source = OkxSource(cfg)
    feed = Feed("okx")

    async def consume() -> None:
        async for frame in source.frames():
            for ev in _handle(feed, frame):
                if isinstance(ev, BookFault):
                    await source.resync(ev.symbol)

    task = asyncio.get_running_loop().create_task(consume())
    try:
        await asyncio.wait_for(server.finished.wait(), 30)
        # Everything sent has been read once the book is at the server's last seqId.
        await until(lambda: _seq(feed) == server.seq, 10)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await source.close()
    return feed, source


def _seq(feed: Feed) -> int:
    return feed.book(INST, 1).seq if INST in feed.symbols() else -1


def _handle(feed: Feed, frame: Frame) -> list[object]:
    if frame.kind == "rest":
        return list(feed.on_rest_snapshot(frame.data, frame.symbol, frame.ts_recv))
    return list(feed.on_messages([frame.data], [frame.ts_recv]))


async def _started(**kw: object) -> OkxBooksServer:
    return await OkxBooksServer(**kw).start()  # type: ignore[arg-type]


def test_books_sync_from_rest_with_zero_checksums() -> None:
    async def main() -> None:
        server = await _started()
        try:
            feed, source = await _run(server)
        finally:
            await server.stop()
        view = feed.book(INST, 100)
        assert view.synced and view.valid
        assert view.seq == server.seq
        assert (view.bids, view.asks) == server.book()
        stats = feed.stats()
        assert stats["checksum_skipped"] >= server.counts["sent"] - 50
        assert (stats["checksum_failed"], stats["checksum_ok"], stats["rejected"]) == (0, 0, 0)
        assert (stats["gaps"], source.stats()["rest_ok"]) == (0, 1)
        assert server.counts["sz=400"] == 1

    asyncio.run(main())


def test_a_stale_rest_snapshot_is_fetched_again() -> None:
    async def main() -> None:
        server = await _started(stale_first=True)
        try:
            feed, source = await _run(server)
        finally:
            await server.stop()
        view = feed.book(INST, 100)
        assert view.synced and (view.bids, view.asks) == server.book()
        assert feed.stats()["gaps"] == 1
        assert source.stats()["rest_ok"] == 2 and source.stats()["resyncs"] == 1

    asyncio.run(main())
