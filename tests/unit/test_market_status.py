"""`pyengine status` per venue and per book: each owner's section (the feed's connection and
books, the validator's verdicts, the risk gate's trading state), the runtime's merge of
the sections of several actors, and the joined rows, with ages from an injected clock."""

from __future__ import annotations

import json
from decimal import Decimal

import msgspec
import pytest

from pyengine.actors.base import ActorContext
from pyengine.actors.feed import FeedActor
from pyengine.actors.risk_gate import RiskGate
from pyengine.actors.validator import Validator
from pyengine.clock import ManualClock
from pyengine.commands import _market_lines
from pyengine.errors import UnknownVenue
from pyengine.messages import BookTop, OraclePrice, StatusReport
from pyengine.messages.market_status import (
    BookStatus,
    BookVerdict,
    FeedBook,
    FeedConnection,
    VenueStatus,
    VenueTrading,
)
from pyengine.recorded.source import RecordedConfig, RecordedSource
from pyengine.risk import engine_from_limits
from pyengine.runtime.embedded import default_risk_options
from pyengine.runtime.sections import market_status, merge_sections
from pyengine.venues.base import Frame

SEC = 1_000_000_000
MS = 1_000_000
T0 = 1_800_000_000 * SEC


def rows(sections: dict[str, object], key: str) -> list[object]:
    section = sections[key]
    assert isinstance(section, list)
    return section


def trading(g: RiskGate) -> dict[str, str]:
    out: dict[str, str] = {}
    for row in rows(g.status_sections(), "venues"):
        assert isinstance(row, VenueTrading)
        out[row.name] = row.state
    return out


def feed(clock: ManualClock) -> FeedActor:
    source = RecordedSource(RecordedConfig(venue="binance-usdm", files=[]))
    return FeedActor(ActorContext(name="feed_usdm", clock=clock), source=source)


def snapshot(last_id: int = 100) -> bytes:
    return json.dumps(
        {
            "lastUpdateId": last_id,
            "E": 1,
            "T": 1,
            "bids": [["60000.10", "1.5"], ["59999.00", "2"]],
            "asks": [["60000.20", "0.7"]],
        }
    ).encode()


def diff(first: int, last: int, prev: int, bids: list[list[str]]) -> bytes:
    data = {"e": "depthUpdate", "E": 2, "T": 2, "s": "BTCUSDT", "U": first, "u": last}
    data |= {"pu": prev, "b": bids, "a": []}
    return json.dumps({"stream": "btcusdt@depth@0ms", "data": data}).encode()


def synced(clock: ManualClock) -> FeedActor:
    """A feed whose BTCUSDT book is in sync: bid 60000.15 (a diff), ask 60000.20."""
    a = feed(clock)
    t = clock.now_ns()
    a.on_frames(
        [Frame(snapshot(), t, "rest", "BTCUSDT"), Frame(diff(99, 101, 99, [["60000.15", "1"]]), t)]
    )
    return a


def test_feed_section_exact_prices_and_ages_from_the_injected_clock() -> None:
    clock = ManualClock(T0)
    a = feed(clock)
    assert a.status_sections() == {
        "venues": [FeedConnection(name="binance-usdm", connected=False, last_msg_age_s=None)],
        "books": [],
    }
    a = synced(clock)
    clock.advance(1_500 * MS)
    assert a.status_sections() == {
        "venues": [FeedConnection(name="binance-usdm", connected=True, last_msg_age_s=1.5)],
        "books": [
            FeedBook(
                venue="binance-usdm",
                symbol="BTCUSDT",
                best_bid=Decimal("60000.15"),
                best_ask=Decimal("60000.20"),
                age_s=1.5,
            )
        ],
    }
    clock.advance(250 * MS)  # asked again later: older, nothing stored
    (book,) = rows(a.status_sections(), "books")
    assert isinstance(book, FeedBook) and book.age_s == 1.75


def test_feed_section_a_broken_book_has_no_prices_and_a_reconnect_is_disconnected() -> None:
    clock = ManualClock(T0)
    a = synced(clock)
    clock.advance(2 * SEC)
    out = a.on_frames([Frame(diff(105, 106, 104, []), clock.now_ns())])  # a gap
    assert any(isinstance(m, BookTop) and not m.valid for m in out)
    clock.advance(300 * MS)
    sections = a.status_sections()
    assert sections["books"] == [
        FeedBook(venue="binance-usdm", symbol="BTCUSDT", best_bid=None, best_ask=None, age_s=0.3)
    ]
    a.on_frames([Frame(b"", clock.now_ns(), "reconnected")])
    clock.advance(4 * SEC)
    (conn,) = rows(a.status_sections(), "venues")
    assert conn == FeedConnection(name="binance-usdm", connected=False, last_msg_age_s=4.0)


def test_validator_section_is_its_last_published_verdict() -> None:
    clock = ManualClock(T0)
    v = Validator(ActorContext(name="validator", clock=clock, options={"start_suspended": False}))
    assert v.status_sections() == {"books": []}
    v.handle(
        OraclePrice(
            ts_event=T0, ts_recv=T0, source="pyth", symbol="BTC", price="60000", publish_ns=T0
        )
    )
    top = BookTop(
        ts_event=T0 - 10 * MS,
        ts_recv=T0,
        venue="binance-usdm",
        symbol="BTCUSDT",
        bids=[("60000", "1")],
        asks=[("60001", "1")],
        valid=True,
        book_seq=1,
    )
    v.handle(top)
    broken = msgspec.structs.replace(top, symbol="ETHUSDT", bids=[], asks=[], valid=False)
    v.handle(broken)
    assert sorted(rows(v.status_sections(), "books"), key=str) == [
        BookVerdict(venue="binance-usdm", symbol="BTCUSDT", valid=True),
        BookVerdict(venue="binance-usdm", symbol="ETHUSDT", valid=False),
    ]


def test_risk_gate_section_is_the_engines_trading_state() -> None:
    options = default_risk_options()
    options["limits"]["venues"] = {"okx": {"state": "reduce-only"}, "deribit": {"state": "halted"}}
    g = RiskGate(ActorContext(name="risk", clock=ManualClock(), options=options))
    states = trading(g)
    assert states == {
        "binance-coinm": "active",
        "binance-usdm": "active",
        "bybit": "active",
        "deribit": "halted",
        "okx": "reduce-only",
    }
    g.engine.set_state("reduce-only")  # global: every venue at least reduce-only
    states = trading(g)
    assert states["binance-usdm"] == "reduce-only" and states["deribit"] == "halted"


def test_trading_state_is_the_stricter_of_global_and_venue() -> None:
    e = engine_from_limits({"state": "reduce-only", "venues": {"okx": {"state": "halted"}}})
    assert e.trading_state() == "reduce-only"
    assert e.trading_state("okx") == "halted" and e.trading_state("bybit") == "reduce-only"
    e.set_state("active")
    e.set_state("active", venue="okx")
    assert e.trading_state("okx") == "active"
    with pytest.raises(UnknownVenue):
        e.trading_state("nasdaq")


def test_merge_concatenates_lists_of_several_actors_and_replaces_the_rest() -> None:
    a = {"venues": [1], "books": [1, 2], "api": {"url": "a"}}
    b = {"venues": [2], "api": {"url": "b"}, "chain": {"id": 1}}
    assert merge_sections([a, b, {}]) == {
        "venues": [1, 2],
        "books": [1, 2],
        "api": {"url": "b"},
        "chain": {"id": 1},
    }


def _book(venue: str, symbol: str, bid: str | None, age: float | None = 0.5) -> FeedBook:
    return FeedBook(
        venue=venue,
        symbol=symbol,
        best_bid=None if bid is None else Decimal(bid),
        best_ask=None if bid is None else Decimal(bid) + 1,
        age_s=age,
    )


def test_rows_join_the_owners_facts_per_venue_and_book() -> None:
    feeds: list[dict[str, object]] = [
        {
            "venues": [FeedConnection(name="okx", connected=True, last_msg_age_s=0.2)],
            "books": [
                _book("okx", "BTC-USDT-SWAP", "60000.5"),
                _book("okx", "ETH-USDT-SWAP", None),
            ],
        },
        {
            "venues": [FeedConnection(name="deribit", connected=False, last_msg_age_s=None)],
            "books": [_book("deribit", "BTC-PERPETUAL", None, None)],
        },
        {"venues": [FeedConnection(name="bybit", connected=True, last_msg_age_s=0.1)], "books": []},
        {
            "venues": [FeedConnection(name="bybit", connected=False, last_msg_age_s=3.0)],
            "books": [],
        },
    ]
    validator = {
        "books": [
            BookVerdict(venue="okx", symbol="BTC-USDT-SWAP", valid=True),
            BookVerdict(venue="okx", symbol="ETH-USDT-SWAP", valid=False),
            BookVerdict(venue="binance-usdm", symbol="BTCUSDT", valid=True),  # no feed here
        ]
    }
    risk = {
        "venues": [
            VenueTrading(name="okx", state="reduce-only"),
            VenueTrading(name="bybit", state="halted"),
            VenueTrading(name="binance-usdm", state="active"),
        ]
    }
    venues, books = market_status(merge_sections([*feeds, validator, risk]), ["deribit"])
    assert venues == [
        # two connections: connected only if both are; the newest frame of either
        VenueStatus(
            name="bybit",
            connected=False,
            books_valid=0,
            books_total=0,
            last_msg_age_s=0.1,
            state="quarantined",
        ),
        VenueStatus(
            name="deribit",
            connected=False,
            books_valid=0,
            books_total=1,
            last_msg_age_s=None,
            state="down",
        ),
        VenueStatus(
            name="okx",
            connected=True,
            books_valid=1,
            books_total=2,
            last_msg_age_s=0.2,
            state="reduce-only",
        ),
    ]
    assert books == [
        BookStatus(
            venue="deribit",
            symbol="BTC-PERPETUAL",
            valid=False,  # no verdict heard: not valid
            best_bid=None,
            best_ask=None,
            age_s=None,
        ),
        BookStatus(
            venue="okx",
            symbol="BTC-USDT-SWAP",
            valid=True,
            best_bid=Decimal("60000.5"),
            best_ask=Decimal("60001.5"),
            age_s=0.5,
        ),
        BookStatus(
            venue="okx",
            symbol="ETH-USDT-SWAP",
            valid=False,
            best_bid=None,
            best_ask=None,
            age_s=0.5,
        ),
    ]


def test_status_json_has_the_documented_keys_and_exact_prices() -> None:
    venues, books = market_status(
        merge_sections(
            [
                {
                    "venues": [FeedConnection(name="okx", connected=True, last_msg_age_s=0.25)],
                    "books": [_book("okx", "BTC-USDT-SWAP", "60000.10")],
                },
                {"books": [BookVerdict(venue="okx", symbol="BTC-USDT-SWAP", valid=True)]},
            ]
        )
    )
    report = StatusReport(
        ts_event=1,
        ts_recv=1,
        engine="e",
        pid=1,
        started_ns=1,
        minting_paused=False,
        actors=[],
        venues=venues,
        books=books,
    )
    doc = json.loads(msgspec.json.encode(report))
    assert doc["venues"] == [
        {
            "name": "okx",
            "connected": True,
            "books_valid": 1,
            "books_total": 1,
            "last_msg_age_s": 0.25,
            "state": "active",
        }
    ]
    assert doc["books"] == [
        {
            "venue": "okx",
            "symbol": "BTC-USDT-SWAP",
            "valid": True,
            "best_bid": "60000.10",  # the venue's string, exact
            "best_ask": "60001.10",
            "age_s": 0.5,
        }
    ]
    text = "\n".join(_market_lines(report))
    assert "okx" in text and "1/1" in text and "60000.10" in text and "active" in text
