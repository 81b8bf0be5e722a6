"""`BookDepth` from the feed actor: deeper exact levels for pricing, throttled per book,
published at once when validity flips, off unless `book_depth` is set."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import pytest

from pyengine.actors.base import ActorContext
from pyengine.actors.feed import FeedActor
from pyengine.errors import ConfigError
from pyengine.messages import BookDepth, BookTop
from pyengine.recorded.source import RecordedConfig, RecordedSource
from pyengine.venues.base import Frame
from tests.unit.test_feed_actor import CAPTURE, frames

MS = 1_000_000


def actor(**options: object) -> FeedActor:
    cfg = RecordedConfig(venue="binance-usdm", files=[str(CAPTURE)])
    return FeedActor(ActorContext(name="feed", options=options), source=RecordedSource(cfg))


def at(fs: Sequence[Frame], ts: int) -> list[Frame]:
    return [dataclasses.replace(f, ts_recv=ts) for f in fs]


def depths(msgs: Sequence[object]) -> list[BookDepth]:
    return [m for m in msgs if isinstance(m, BookDepth)]


def test_off_by_default() -> None:
    a = actor()
    out = a.on_frames(at(frames()[:200], 1))
    assert depths(out) == [] and any(isinstance(m, BookTop) for m in out)


def test_depth_is_the_books_exact_levels() -> None:
    a = actor(book_depth=True, depth_levels=40, depth=5)
    out = a.on_frames(at(frames()[:200], 1))
    (d,) = depths(out)
    (top,) = [m for m in out if isinstance(m, BookTop)]
    view = a.feed.book("BTCUSDT", 40)
    assert d.valid and d.topic() == "md.depth.binance-usdm.BTCUSDT"
    assert d.bids == view.bids and d.asks == view.asks and len(d.bids) == 40
    assert d.bids[:5] == top.bids and d.book_seq == top.book_seq
    assert all(isinstance(p, str) and isinstance(q, str) for p, q in d.bids + d.asks)


def test_at_most_one_per_interval_and_the_last_change_is_not_lost() -> None:
    a = actor(book_depth=True, depth_interval_s=0.1)
    fs = frames()
    assert len(depths(a.on_frames(at(fs[:200], 0)))) == 1
    # Changes inside the interval: BookTop goes, BookDepth waits.
    out = a.on_frames(at(fs[200:210], 50 * MS))
    assert depths(out) == [] and any(isinstance(m, BookTop) for m in out)
    assert depths(a.on_frames(at(fs[210:220], 99 * MS))) == []
    # The book then goes quiet: the timer publishes the pending change once.
    (late,) = depths(a.on_timer(100 * MS))
    assert late.bids == a.feed.book("BTCUSDT", 50).bids
    assert depths(a.on_timer(300 * MS)) == []  # unchanged since: nothing new
    assert a.counters["book_depths"] == 2


def test_validity_flip_is_published_at_once_and_only_once() -> None:
    a = actor(book_depth=True, depth_interval_s=10.0)
    fs = frames()
    a.on_frames(at(fs[:200], 0))
    out = a.on_frames([Frame(b"", 1 * MS, "reconnected"), *at(fs[200:210], 1 * MS)])
    (d,) = depths(out)
    assert not d.valid and d.bids == [] and d.asks == []
    assert depths(a.on_frames(at(fs[210:220], 2 * MS))) == []
    assert depths(a.on_timer(20_000 * MS)) == []


def test_bad_options_are_config_errors() -> None:
    with pytest.raises(ConfigError):
        actor(book_depth=True, depth_levels=0)
    with pytest.raises(ConfigError):
        actor(depth_interval_s=-1)
