"""The portfolio's recovery state, encoded (`Actor.snapshot` of the portfolio actor, v1).

It is everything `recover` folds out of the journal into `Holdings` and `Keeper`, exactly
(Decimals travel as strings): positions, what the venues owe, custody, the liability, the
mint orders, transfers and ids already counted, and the keeper's id sequences, open and
ended requests, so a restart neither counts a fill twice nor re-issues a request id.
Decoding is strict (unknown fields refused): a blob of another layout raises and the
journal is replayed instead.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from pyengine.contracts import Position
from pyengine.messages import (
    BalanceReport,
    HedgeRequest,
    MintOrderAccepted,
    PositionReport,
    TransferRequested,
)
from pyengine.portfolio.holdings import Holdings, Mismatch
from pyengine.portfolio.keeper import Keeper, OpenRequest
from pyengine.portfolio.positions import PortfolioError, PositionRow

ZERO = Decimal(0)
VERSION = 1
"""`PortfolioActor.snapshot_version`: bump it with any change of the layout below."""


class RowState(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One position: the Rust `Position`'s qty, average entry and realised PnL (the
    portfolio books no fee or funding on it), and how many fills made it."""

    venue: str
    symbol: str
    qty: Decimal
    avg_entry: Decimal
    realised: Decimal
    fills: int


class MismatchState(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    venue: str
    symbol: str
    ours: Decimal
    theirs: Decimal
    since_ns: int


class HoldingsState(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    rows: list[RowState]
    custody: dict[str, dict[str, Decimal]]
    unsettled: list[tuple[str, str, Decimal]]
    marks: list[tuple[str, str, Decimal]]
    mids: list[tuple[str, str, Decimal]]
    balances: list[BalanceReport]
    reports: list[PositionReport]
    mismatches: list[MismatchState]
    liability: Decimal
    mints: list[MintOrderAccepted]
    transfers: list[TransferRequested]
    seen: list[list[str]]
    counters: dict[str, int]


class OpenState(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    request: HedgeRequest
    filled: Decimal
    own: bool
    expected: bool


class KeeperState(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    seq: dict[str, int]
    open: list[OpenState]
    done: list[str]
    disarmed: list[str]
    last_end_ns: dict[str, int]
    drift_ref: dict[str, Decimal]
    down_since: dict[str, int]
    moved: dict[str, dict[str, Decimal]]
    rolling: dict[str, list[str]]
    issued: int


class PortfolioState(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    holdings: HoldingsState
    configured: dict[str, dict[str, Decimal]]
    """The custody configured when the snapshot's fold was built (counted in `holdings`)."""
    keeper: KeeperState
    dirty: list[str]
    counters: dict[str, int]


def _pairs(d: dict[tuple[str, str], Decimal]) -> list[tuple[str, str, Decimal]]:
    return [(a, b, v) for (a, b), v in sorted(d.items())]


def holdings_state(h: Holdings) -> HoldingsState:
    return HoldingsState(
        rows=[
            RowState(r.venue, r.symbol, r.pos.qty, r.pos.avg_entry, r.realised, r.fills)
            for r in h.book
        ],
        custody={c: dict(sorted(held.items())) for c, held in sorted(h.custody.items())},
        unsettled=_pairs(h.unsettled),
        marks=_pairs(h.marks),
        mids=_pairs(h.mids),
        balances=[h.balances[k] for k in sorted(h.balances)],
        reports=[h.reports[k] for k in sorted(h.reports)],
        mismatches=[
            MismatchState(m.venue, m.symbol, m.ours, m.theirs, m.since_ns)
            for _, m in sorted(h.mismatches.items())
        ],
        liability=h.liability,
        mints=[h.mints[k] for k in sorted(h.mints)],
        transfers=[h.transfers[k] for k in sorted(h.transfers)],
        seen=sorted(list(k) for k in h.seen),
        counters=dict(sorted(h.counters.items())),
    )


def restore_holdings(
    s: HoldingsState,
    h: Holdings,
    configured: dict[str, dict[str, Decimal]],
    now_configured: dict[str, dict[str, Decimal]],
) -> int:
    """Load `s` into a freshly built `h`. Its custody counts the `configured` start custody
    of the run that took it; `h` was funded with `now_configured`: the difference is
    applied, as a replay onto today's configuration would. Returns the positions dropped
    because their instrument is no longer configured (a replay would refuse their fills)."""
    dropped = 0
    h.book.rows.clear()
    for r in s.rows:
        try:
            spec = h.instruments.get(r.venue, r.symbol)
        except PortfolioError:
            dropped += 1
            continue
        pos = Position(spec.payoff, spec.multiplier)
        if r.qty:
            pos.apply(r.qty, r.avg_entry)  # from flat: exactly (qty, avg_entry)
        row = PositionRow(r.venue, spec.symbol, spec, pos, r.fills, realised_before=r.realised)
        h.book.rows[(r.venue, spec.symbol)] = row
    h.custody = {c: dict(held) for c, held in s.custody.items()}
    for custodian in sorted(set(configured) | set(now_configured)):
        was, now = configured.get(custodian, {}), now_configured.get(custodian, {})
        for ccy in sorted(set(was) | set(now)):
            change = now.get(ccy, ZERO) - was.get(ccy, ZERO)
            if change or ccy in now:  # a configured zero is listed, as on a replay
                h.fund(custodian, ccy, change)
            held = h.custody.get(custodian, {})
            if ccy not in now and held.get(ccy) == 0:  # a zero no longer configured
                del held[ccy]
                if not held:
                    del h.custody[custodian]
    h.unsettled = {(a, b): v for a, b, v in s.unsettled}
    h.marks = {(a, b): v for a, b, v in s.marks}
    h.mids = {(a, b): v for a, b, v in s.mids}
    h.balances = {(b.venue, b.asset): b for b in s.balances}
    h.reports = {(r.venue, r.symbol.rpartition(":")[2]): r for r in s.reports}
    h.mismatches = {
        (m.venue, m.symbol): Mismatch(m.venue, m.symbol, m.ours, m.theirs, m.since_ns)
        for m in s.mismatches
    }
    h.liability = s.liability
    h.mints = {m.order_id: m for m in s.mints}
    h.transfers = {t.transfer_id: t for t in s.transfers}
    h.seen = {tuple(k) for k in s.seen}
    h.counters.update(s.counters)
    return dropped


def keeper_state(k: Keeper) -> KeeperState:
    return KeeperState(
        seq=dict(sorted(k.seq.items())),
        open=[OpenState(o.request, o.filled, o.own, o.expected) for _, o in sorted(k.open.items())],
        done=sorted(k.done),
        disarmed=sorted(k.disarmed),
        last_end_ns=dict(sorted(k.last_end_ns.items())),
        drift_ref=dict(sorted(k.drift_ref.items())),
        down_since=dict(sorted(k.down_since.items())),
        moved={v: dict(sorted(m.items())) for v, m in sorted(k.moved.items())},
        rolling={v: sorted(ids) for v, ids in sorted(k.rolling.items())},
        issued=k.issued,
    )


def restore_keeper(s: KeeperState, k: Keeper) -> None:
    k.seq = dict(s.seq)
    k.open = {
        o.request.hedge_id: OpenRequest(o.request, o.filled, o.own, o.expected) for o in s.open
    }
    k.done = set(s.done)
    k.disarmed = set(s.disarmed)
    k.last_end_ns = dict(s.last_end_ns)
    k.drift_ref = dict(s.drift_ref)
    k.down_since = dict(s.down_since)
    k.moved = {v: dict(m) for v, m in s.moved.items()}
    k.rolling = {v: set(ids) for v, ids in s.rolling.items()}
    k.issued = s.issued


def encode_portfolio(state: PortfolioState) -> bytes:
    return msgspec.msgpack.encode(state)


def decode_portfolio(blob: bytes) -> PortfolioState:
    return msgspec.msgpack.decode(blob, type=PortfolioState)


__all__ = [
    "VERSION",
    "HoldingsState",
    "KeeperState",
    "PortfolioState",
    "decode_portfolio",
    "encode_portfolio",
    "holdings_state",
    "keeper_state",
    "restore_holdings",
    "restore_keeper",
]
