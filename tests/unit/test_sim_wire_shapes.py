"""The simulated venues' messages have the live venues' shape: every field a simulated
message carries is in a real message of the same channel (captures and stored examples
in tests/data), with the same JSON type (string, integer, float, list, object), down to
the elements of the book levels. Books equal to the simulator's are tested in
test_sim_venues; this is the check that the bytes would not surprise a live client."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pyengine.sim import VirtualScheduler, build_world
from pyengine.sim.exchange import SimExchange

DATA = Path(__file__).resolve().parents[1] / "data"
SEC = 1_000_000_000


def capture(path: str) -> Iterator[Any]:
    """Received messages of a cryptofeed-format capture."""
    with open(DATA / path, encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            if rec.get("t") == "recv":
                try:
                    yield json.loads(rec["data"])
                except json.JSONDecodeError:
                    continue


def stored(path: str) -> Any:
    return json.loads((DATA / path).read_text(encoding="utf-8"))


def first(msgs: Iterator[Any], test: Any) -> Any:
    return next(m for m in msgs if test(m))


BYBIT_L2 = "bybit/l2_capture_v5_linear_btc_sol_spot_btc_20260809_cryptofeed.jsonl"
OKX_L2 = "okx/l2_capture_v5_books_btcusd220527_uniusdswap_btcusdt_20220513_cryptofeed.jsonl"
BYBIT_TICKERS = "bybit/ws_tickers_linear_snapshot_nautilus.json"
DERIBIT_L2 = "deribit/capture_options_book_raw_ticker_20210722_cryptofeed.jsonl"


def _bybit_book(kind: str) -> Any:
    return first(
        capture(BYBIT_L2),
        lambda m: (
            m.get("topic") == "orderbook.200.BTCUSDT"
            and m.get("type") == kind
            and "." in m["data"]["b"][0][0]
        ),  # the linear connection: tick decimals
    )


def _okx(channel: str) -> Any:
    return first(
        capture(OKX_L2), lambda m: m.get("arg", {}).get("channel") == channel and "data" in m
    )


def _deribit(channel: str, kind: str | None) -> Any:
    return first(
        capture(DERIBIT_L2),
        lambda m: (
            m.get("params", {}).get("channel", "").startswith(channel)
            and (kind is None or m["params"]["data"].get("type") == kind)
        ),
    )


# (venue, what selects a simulated message, the real message it must look like)
REFERENCES: list[tuple[str, str, Any]] = [
    ("bybit", "orderbook delta", lambda: _bybit_book("delta")),
    ("bybit", "orderbook snapshot", lambda: _bybit_book("snapshot")),
    ("bybit", "publicTrade", lambda: stored("bybit/ws_publicTrade_docs.json")),
    ("bybit", "tickers snapshot", lambda: stored(BYBIT_TICKERS)),
    # A delta carries some of the snapshot's fields (the capture's deltas carry the BBO).
    ("bybit", "tickers delta", lambda: stored(BYBIT_TICKERS) | {"type": "delta"}),
    ("okx", "books snapshot", lambda: stored("okx/ws_books_snapshot_nautilus.json")),
    ("okx", "books update", lambda: stored("okx/ws_books_update_nautilus.json")),
    ("okx", "trades", lambda: stored("okx/ws_trades_nautilus.json")),
    ("okx", "tickers", lambda: _okx("tickers")),
    ("deribit", "book snapshot", lambda: _deribit("book.", "snapshot")),
    ("deribit", "book change", lambda: _deribit("book.", "change")),
    ("deribit", "trades", lambda: stored("deribit/ws_trades_nautilus.json")),
    ("deribit", "ticker", lambda: stored("deribit/ws_ticker_nautilus.json")),
    ("deribit", "quote", lambda: stored("deribit/ws_quote_nautilus.json")),
]  # fmt: skip


def kind_of(venue: str, m: Any) -> str:
    """The channel (and book message type) of a simulated message."""
    if venue == "bybit":
        topic = m["topic"].split(".")[0]
        return f"{topic} {m['type']}" if topic in ("orderbook", "tickers") else topic
    if venue == "okx":
        ch = m["arg"]["channel"]
        return f"books {m['action']}" if ch == "books" else ch
    ch = m["params"]["channel"].split(".")[0]
    return f"book {m['params']['data']['type']}" if ch == "book" else ch


def json_type(v: Any) -> str:
    return type(v).__name__


def assert_shape(sim: Any, real: Any, path: str = "") -> None:
    """Every field of `sim` is in `real` with the same JSON type; levels position by
    position."""
    assert json_type(sim) == json_type(real), f"{path}: {sim!r} vs {real!r}"
    if isinstance(sim, dict):
        for k, v in sim.items():
            assert k in real, f"{path}.{k}: not in the venue's message"
            assert_shape(v, real[k], f"{path}.{k}")
    elif isinstance(sim, list) and sim and real:
        if isinstance(sim[0], list):  # book levels: tuples
            assert len(sim[0]) == len(real[0]), f"{path}[0]: {sim[0]} vs {real[0]}"
            for i, (a, b) in enumerate(zip(sim[0], real[0], strict=True)):
                assert_shape(a, b, f"{path}[0][{i}]")
        else:
            assert_shape(sim[0], real[0], f"{path}[0]")


@pytest.fixture(scope="module")
def sim_messages() -> dict[str, dict[str, Any]]:
    """One simulated message of each kind per venue (with non-empty levels)."""
    sched = VirtualScheduler()
    w = build_world(sched, seed=12)
    w.start()
    out: dict[str, dict[str, Any]] = {v: {} for v in ("bybit", "okx", "deribit")}

    def take(ex: SimExchange) -> None:
        for fr in ex.take_frames():
            m = json.loads(fr.data)
            k = kind_of(ex.venue, m)
            out[ex.venue].setdefault(k, m)

    for _ in range(20):
        sched.step_until(sched.now_ns() + SEC // 2)
        for v in out:
            take(w.exchanges[v])
    for v in out:
        ex = w.exchanges[v]
        asyncio.run(ex.resync(sorted(ex.core.specs)[0]))
        take(ex)
    return out


@pytest.mark.parametrize(
    ("venue", "kind", "real"), REFERENCES, ids=[f"{v}-{k}" for v, k, _ in REFERENCES]
)
def test_simulated_messages_have_the_venue_shape(
    sim_messages: dict[str, dict[str, Any]], venue: str, kind: str, real: Any
) -> None:
    sim = sim_messages[venue].get(kind)
    assert sim is not None, f"the simulated {venue} sent no {kind}: {sorted(sim_messages[venue])}"
    assert_shape(sim, real())
