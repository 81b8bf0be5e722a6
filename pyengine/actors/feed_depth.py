"""`BookDepth` for the feed actor: deeper exact levels for pricing, throttled per book.

At most one `BookDepth` per book per interval and only when the book changed since its last
one; a change inside the interval waits (published by the next batch or the feed's timer,
so the last state of a book that goes quiet is not lost), a validity flip goes at once,
and a book already published as invalid is not republished until it is valid again.
Levels are the normaliser's exact strings (`Feed.book`), sizes in the instrument's unit.
"""

from __future__ import annotations

from pyengine._core import Feed
from pyengine.messages import BookDepth, Message


class DepthThrottle:
    """The `BookDepth` state of one feed: what is pending, when and how each book went."""

    def __init__(self, feed: Feed, venue: str, prefix: str, levels: int, every_s: float) -> None:
        self.feed, self.venue, self.prefix, self.levels = feed, venue, prefix, levels
        self.every = int(every_s * 1e9)
        self.pending: dict[str, None] = {}
        """Books changed since their last `BookDepth`."""
        self.last: dict[str, int] = {}
        self.published: dict[str, bool] = {}

    def publish(
        self, changed: dict[str, None], valid: dict[str, bool], now_ns: int, out: list[Message]
    ) -> int:
        """Append the `BookDepth` due now (validity from `valid`); how many."""
        pending = self.pending
        pending.update(changed)
        if not pending:
            return 0
        n = 0
        for sym in list(pending):
            ok = valid.get(sym, False)
            flipped = self.published.get(sym) is not ok
            if not flipped and (not ok or now_ns - self.last.get(sym, 0) < self.every):
                if not ok:
                    del pending[sym]  # already published as invalid: nothing new to say
                continue
            del pending[sym]
            self.last[sym] = now_ns
            self.published[sym] = ok
            n += 1
            out.append(self._depth(sym, ok, now_ns))
        return n

    def _depth(self, sym: str, ok: bool, now_ns: int) -> BookDepth:
        view = self.feed.book(sym, self.levels if ok else 1)
        return BookDepth(
            ts_event=view.ts_event if ok else now_ns,
            ts_recv=now_ns,
            venue=self.venue,
            symbol=self.prefix + sym,
            bids=view.bids if ok else [],
            asks=view.asks if ok else [],
            valid=ok,
            book_seq=view.seq,
        )
