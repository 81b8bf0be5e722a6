"""The status sections of the engine's actors, merged, and the venue and book rows joined.

Actors add top-level sections to `pyengine status` (`Actor.status_sections`). Several actors
of one kind (a feed actor per venue connection) give the same key: lists are concatenated
in runner order, any other value is taken from the last actor that gives it.

`venues` and `books` hold each owner's facts (`pyengine.messages.market_status`): the feed
connections and books, the validator's verdicts, the risk gate's trading states. They are
joined here, at the time status is asked, into one `VenueStatus` per venue a feed of this
process reads and one `BookStatus` per book such a feed carries; a verdict or a trading
state of a venue no local feed reads is left out (nothing here could say whether it is
connected). Books valid of total are counted from the joined book rows, not kept anywhere.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Literal

from pyengine.messages.market_status import (
    BookStatus,
    BookVerdict,
    FeedBook,
    FeedConnection,
    VenueState,
    VenueStatus,
    VenueTrading,
)

_STRICT = {"active": 0, "reduce-only": 1, "halted": 2}
_SHOWN: dict[str, VenueState] = {
    "active": "active",
    "reduce-only": "reduce-only",
    "halted": "quarantined",
}


def merge_sections(parts: Iterable[Mapping[str, object]]) -> dict[str, object]:
    """One dict of sections from each actor's: lists under the same key concatenated,
    other values replaced by the later actor's."""
    out: dict[str, object] = {}
    for part in parts:
        for key, value in part.items():
            held = out.get(key)
            if isinstance(held, list) and isinstance(value, list):
                out[key] = [*held, *value]
            else:
                out[key] = value
    return out


def _rows(section: object) -> list[object]:
    return list(section) if isinstance(section, list) else []


def venue_state(
    down: bool, trading: Literal["active", "reduce-only", "halted"] = "active"
) -> VenueState:
    """`down` (the delta keeper holds it down) before the risk gate's trading state;
    a halted venue is shown `quarantined` (no order of any kind goes to it)."""
    return "down" if down else _SHOWN[trading]


def market_status(
    sections: Mapping[str, object], venues_down: Collection[str] = ()
) -> tuple[list[VenueStatus], list[BookStatus]]:
    """The venue and book rows from merged `sections` (`merge_sections`) and the venues
    the portfolio's delta keeper holds down."""
    conns: dict[str, list[FeedConnection]] = {}
    feed_books: dict[tuple[str, str], FeedBook] = {}
    valid: dict[tuple[str, str], bool] = {}
    trading: dict[str, Literal["active", "reduce-only", "halted"]] = {}
    for row in _rows(sections.get("venues")):
        if isinstance(row, FeedConnection):
            conns.setdefault(row.name, []).append(row)
        elif isinstance(row, VenueTrading):
            held = trading.get(row.name, "active")
            trading[row.name] = row.state if _STRICT[row.state] > _STRICT[held] else held
    for row in _rows(sections.get("books")):
        if isinstance(row, FeedBook):
            feed_books[(row.venue, row.symbol)] = row
        elif isinstance(row, BookVerdict):
            key = (row.venue, row.symbol)
            # two validators: valid only if neither says otherwise
            valid[key] = valid.get(key, True) and row.valid
    books = [
        BookStatus(
            venue=b.venue,
            symbol=b.symbol,
            valid=valid.get(key, False),
            best_bid=b.best_bid,
            best_ask=b.best_ask,
            age_s=b.age_s,
        )
        for key, b in sorted(feed_books.items())
    ]
    venues: list[VenueStatus] = []
    for name, links in sorted(conns.items()):
        own = [b for b in books if b.venue == name]
        ages = [c.last_msg_age_s for c in links if c.last_msg_age_s is not None]
        venues.append(
            VenueStatus(
                name=name,
                # a venue read over several connections is connected when all of them are
                connected=all(c.connected for c in links),
                books_valid=sum(b.valid for b in own),
                books_total=len(own),
                last_msg_age_s=min(ages) if ages else None,
                state=venue_state(name in venues_down, trading.get(name, "active")),
            )
        )
    return venues, books


__all__ = ["market_status", "merge_sections", "venue_state"]
