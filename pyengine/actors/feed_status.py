"""What a feed actor shows in `pyengine status`: its connection and the books it carries.

The facts are the feed's own (`pyengine.messages.market_status`): whether the connection is
up, when its newest frame arrived, each book's best levels as the normaliser holds them
(exact decimal strings, none while the book is out of sync) and when a batch last changed
it. Ages are worked out at the moment status is asked, from the actor's clock; whether a
book is valid is the validator's verdict, joined by the runtime.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from pyengine._core import Feed
from pyengine.messages.market_status import FeedBook, FeedConnection


def age_s(now_ns: int, then_ns: int) -> float | None:
    """Seconds from `then_ns` to `now_ns`, to the millisecond (None: never, `then_ns` 0);
    a frame stamped by a clock slightly ahead of ours is 0 old, not negative."""
    if not then_ns:
        return None
    return max(0, now_ns - then_ns) // 1_000_000 / 1000


def feed_status(
    feed: Feed,
    *,
    venue: str,
    prefix: str,
    connected: bool,
    last_frame_ns: int,
    changed_ns: Mapping[str, int],
    now_ns: int,
) -> dict[str, object]:
    """`{"venues": [connection], "books": [each book]}`; `prefix` is the Bybit category
    prefix of the published symbols (`linear:`), `changed_ns` the `ts_recv` of each book's
    last change."""
    books: list[FeedBook] = []
    for sym in sorted(feed.symbols()):
        view = feed.book(sym, 1)
        usable = view.valid  # in sequence and not crossed
        books.append(
            FeedBook(
                venue=venue,
                symbol=prefix + sym,
                best_bid=Decimal(view.bids[0][0]) if usable and view.bids else None,
                best_ask=Decimal(view.asks[0][0]) if usable and view.asks else None,
                age_s=age_s(now_ns, changed_ns.get(sym, 0)),
            )
        )
    conn = FeedConnection(
        name=venue, connected=connected, last_msg_age_s=age_s(now_ns, last_frame_ns)
    )
    return {"venues": [conn], "books": books}


__all__ = ["age_s", "feed_status"]
