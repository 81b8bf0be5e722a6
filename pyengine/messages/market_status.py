"""Venues and their books as `pyengine status` shows them (JSON keys `venues[]` and `books[]`).

Each fact has one owner, and the runtime joins them when status is asked
(`pyengine.runtime.market_status`): the feed actor of a venue connection owns `connected`,
the time of its last frame, the books it carries, their best bid and ask and the time of
their last change; the validator owns whether a book is `valid` (its published verdict,
what pricing, routing and the risk gate obey); the risk gate owns the venue's trading state
and the portfolio's delta keeper decides that a venue is down. Ages are worked out from
the owner's clock at the moment status is asked, never stored. Prices are exact decimals
(JSON strings).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

import msgspec

VenueState = Literal["active", "reduce-only", "quarantined", "down"]


class VenueStatus(msgspec.Struct, frozen=True, kw_only=True):
    """One venue: its market-data connection, how many of its books are valid, and the
    state orders to it are in.

    `state`: `down` when the portfolio's delta keeper holds it down (its feed went down, or
    all its books turned invalid, after it had been up: docs/risk-playbooks.md#playbooks;
    with the keeper off, as the playbook then does not run, never);
    else `quarantined` when the risk gate halts every order to it (trading state `halted`:
    the partner is isolated), `reduce-only` when the gate lets only reducing orders
    through, `active` otherwise."""

    name: str
    connected: bool
    books_valid: int
    books_total: int
    last_msg_age_s: float | None
    """Seconds since the connection's last frame (None: none yet)."""
    state: VenueState


class BookStatus(msgspec.Struct, frozen=True, kw_only=True):
    """One book: the validator's verdict, the feed's best levels, the age of its last change.

    `symbol` is as the feed publishes it (`linear:BTCUSDT` for a Bybit book). `best_bid` /
    `best_ask` are None while the book is out of sync or a side is empty; `age_s` is None
    before its first update."""

    venue: str
    symbol: str
    valid: bool
    best_bid: Decimal | None
    best_ask: Decimal | None
    age_s: float | None


# What each owner contributes, in its `status_sections` under "venues" / "books" (the
# runtime concatenates the lists of all actors and joins them by venue and book).


class FeedConnection(msgspec.Struct, frozen=True, kw_only=True):
    """A feed actor's connection to `name` (a venue may have several: Bybit per category)."""

    name: str
    connected: bool
    last_msg_age_s: float | None


class FeedBook(msgspec.Struct, frozen=True, kw_only=True):
    """A book a feed actor carries: its best levels (None when out of sync or empty) and
    the age of its last change."""

    venue: str
    symbol: str
    best_bid: Decimal | None
    best_ask: Decimal | None
    age_s: float | None


class BookVerdict(msgspec.Struct, frozen=True, kw_only=True):
    """The validator's last published verdict on a book is `valid`."""

    venue: str
    symbol: str
    valid: bool


class VenueTrading(msgspec.Struct, frozen=True, kw_only=True):
    """The risk gate's trading state of a venue (the stricter of global and venue)."""

    name: str
    state: Literal["active", "reduce-only", "halted"]


__all__ = [
    "BookStatus",
    "BookVerdict",
    "FeedBook",
    "FeedConnection",
    "VenueState",
    "VenueStatus",
    "VenueTrading",
]
