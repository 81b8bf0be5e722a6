"""The hedger's write-ahead journal: hedges, their plans, children and fills, in SQLite.

Write-ahead (issue 13, "no order is sent that the journal does not already know"): the
hedger stages what a message changed and `commit`s it *inside* `handle`, before it returns
the `SubmitOrder`s; the runner only emits what `handle` returned. So a child order that
reached the risk gate is always in this journal, under the client order id it was sent
with, and a restart (`load`) rebuilds every open hedge with the same ids (stablesats
reserves its order row in a SERIALIZABLE transaction before it calls the venue, the same
rule; execution-ops-anchors A.3).

Why a journal of its own rather than the recorder's: the recorder commits what it is sent
in parallel with the risk gate receiving it, so "recorded" cannot be made to precede
"sent" without a second round trip per child (publish an intent, wait for its ack, then
send); a local transaction gives the same guarantee on the hot path in one commit.

One transaction per `commit`; `synchronous=FULL` (default) survives power loss,
`NORMAL` a process kill. Amounts are stored as decimal strings, messages msgspec-encoded.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import msgspec

from pyengine.messages import HedgeRequest, HedgeResult, Message, SubmitOrder, decode, encode
from pyengine.permissions import private_dir, private_file
from pyengine.store.base import StoreError

T = TypeVar("T", bound=Message)

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS hedges (
        hedge_id TEXT PRIMARY KEY, request BLOB NOT NULL, started_ns INTEGER NOT NULL,
        state TEXT NOT NULL DEFAULT 'working', result BLOB)""",
    """CREATE TABLE IF NOT EXISTS plans (
        hedge_id TEXT NOT NULL, round INTEGER NOT NULL, ts_ns INTEGER NOT NULL,
        body TEXT NOT NULL, PRIMARY KEY (hedge_id, round))""",
    """CREATE TABLE IF NOT EXISTS children (
        client_order_id TEXT PRIMARY KEY, hedge_id TEXT NOT NULL, idx INTEGER NOT NULL,
        round INTEGER NOT NULL, ref_price TEXT NOT NULL, sent_ns INTEGER NOT NULL,
        submit BLOB NOT NULL, done INTEGER NOT NULL DEFAULT 0)""",
    """CREATE TABLE IF NOT EXISTS child_fills (
        client_order_id TEXT NOT NULL, fill_id TEXT NOT NULL, hedge_id TEXT NOT NULL,
        qty TEXT NOT NULL, price TEXT NOT NULL, fee TEXT NOT NULL,
        PRIMARY KEY (client_order_id, fill_id))""",
    "CREATE INDEX IF NOT EXISTS children_hedge ON children (hedge_id, idx)",
)


@dataclass
class JournaledChild:
    submit: SubmitOrder
    index: int
    round: int
    ref_price: Decimal
    sent_ns: int
    done: bool


@dataclass
class JournaledHedge:
    request: HedgeRequest
    started_ns: int
    state: str
    result: HedgeResult | None
    children: list[JournaledChild] = field(default_factory=list)
    fills: list[tuple[str, str, Decimal, Decimal, Decimal]] = field(default_factory=list)
    """(client_order_id, fill_id, qty, price, fee)."""
    rounds: int = 0


class HedgeJournal:
    """The hedger's SQLite journal (one file per hedger)."""

    def __init__(self, path: str | Path, synchronous: str = "full") -> None:
        if synchronous.lower() not in ("full", "normal", "extra"):
            raise ValueError(f"synchronous must be full, normal or extra, not {synchronous!r}")
        self.path = Path(path)
        try:
            private_dir(self.path.parent)
            self.conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute(f"PRAGMA synchronous={synchronous.upper()}")
            self.conn.execute("PRAGMA busy_timeout=5000")
            # No checkpoint inside a commit on the hot path: `checkpoint` runs off it (the
            # hedger's timer), so the WAL is folded back between requests.
            self.conn.execute("PRAGMA wal_autocheckpoint=0")
            for stmt in _SCHEMA:
                self.conn.execute(stmt)
            for suffix in ("", "-wal", "-shm"):  # private whatever the umask
                private_file(Path(f"{self.path}{suffix}"))
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"hedge journal {self.path}: {exc}") from exc
        self._staged: list[tuple[str, tuple[Any, ...]]] = []
        self.commits = 0

    # Staging: nothing is durable until `commit`.

    def begin(self, request: HedgeRequest, now: int) -> None:
        self._staged.append(
            (
                "INSERT OR IGNORE INTO hedges (hedge_id, request, started_ns) VALUES (?, ?, ?)",
                (request.hedge_id, encode(request), now),
            )
        )

    def plan(self, hedge_id: str, round_no: int, now: int, body: dict[str, Any]) -> None:
        self._staged.append(
            (
                "INSERT OR REPLACE INTO plans (hedge_id, round, ts_ns, body) VALUES (?, ?, ?, ?)",
                (hedge_id, round_no, now, msgspec.json.encode(body).decode()),
            )
        )

    def child(
        self, submit: SubmitOrder, index: int, round_no: int, ref_price: Decimal, now: int
    ) -> None:
        self._staged.append(
            (
                "INSERT OR IGNORE INTO children (client_order_id, hedge_id, idx, round,"
                " ref_price, sent_ns, submit) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    submit.client_order_id,
                    submit.parent_id,
                    index,
                    round_no,
                    str(ref_price),
                    now,
                    encode(submit),
                ),
            )
        )

    def child_done(self, client_order_id: str) -> None:
        self._staged.append(
            ("UPDATE children SET done = 1 WHERE client_order_id = ?", (client_order_id,))
        )

    def fill(
        self,
        hedge_id: str,
        client_order_id: str,
        fill_id: str,
        *,
        qty: Decimal,
        price: Decimal,
        fee: Decimal,
    ) -> None:
        self._staged.append(
            (
                "INSERT OR IGNORE INTO child_fills (client_order_id, fill_id, hedge_id, qty,"
                " price, fee) VALUES (?, ?, ?, ?, ?, ?)",
                (client_order_id, fill_id, hedge_id, str(qty), str(price), str(fee)),
            )
        )

    def finish(self, result: HedgeResult) -> None:
        self._staged.append(
            (
                "UPDATE hedges SET state = ?, result = ? WHERE hedge_id = ?",
                (result.state, encode(result), result.hedge_id),
            )
        )

    @property
    def staged(self) -> int:
        return len(self._staged)

    def commit(self) -> None:
        """Everything staged, in one durable transaction."""
        if not self._staged:
            return
        staged, self._staged = self._staged, []
        cur = self.conn.cursor()
        try:
            cur.execute("BEGIN IMMEDIATE")
            for sql, args in staged:
                cur.execute(sql, args)
            cur.execute("COMMIT")
        except sqlite3.Error as exc:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise StoreError(f"hedge journal {self.path}: {exc}") from exc
        self.commits += 1

    def checkpoint(self) -> None:
        """Fold the WAL back into the database without waiting on readers (PASSIVE)."""
        try:
            self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error as exc:
            raise StoreError(f"hedge journal {self.path}: {exc}") from exc

    def discard(self) -> None:
        self._staged.clear()

    # Reading back.

    def load(self, include_finished: bool = False) -> list[JournaledHedge]:
        """Every hedge (by default only those still working), oldest first."""
        where = "" if include_finished else " WHERE state = 'working'"
        hedges: dict[str, JournaledHedge] = {}
        for hid, req, started, state, result in self.conn.execute(
            f"SELECT hedge_id, request, started_ns, state, result FROM hedges{where}"
            " ORDER BY started_ns, hedge_id"
        ):
            request = _as(decode(bytes(req)), HedgeRequest)
            res = _as(decode(bytes(result)), HedgeResult) if result is not None else None
            hedges[hid] = JournaledHedge(request, int(started), str(state), res)
        for row in self.conn.execute(
            "SELECT hedge_id, submit, idx, round, ref_price, sent_ns, done FROM children"
            " ORDER BY hedge_id, idx"
        ):
            h = hedges.get(row[0])
            if h is not None:
                submit = _as(decode(bytes(row[1])), SubmitOrder)
                h.children.append(
                    JournaledChild(
                        submit, int(row[2]), int(row[3]), Decimal(row[4]), int(row[5]), bool(row[6])
                    )
                )
        for cid, fid, hid, qty, px, fee in self.conn.execute(
            "SELECT client_order_id, fill_id, hedge_id, qty, price, fee FROM child_fills"
            " ORDER BY rowid"
        ):
            h = hedges.get(hid)
            if h is not None:
                h.fills.append((cid, fid, Decimal(qty), Decimal(px), Decimal(fee)))
        for hid, n in self.conn.execute("SELECT hedge_id, max(round) FROM plans GROUP BY hedge_id"):
            if hid in hedges:
                hedges[hid].rounds = int(n)
        return list(hedges.values())

    def plans(self, hedge_id: str) -> Iterator[tuple[int, int, dict[str, Any]]]:
        """(round, ts_ns, body) of every recorded plan of a hedge."""
        for rnd, ts, body in self.conn.execute(
            "SELECT round, ts_ns, body FROM plans WHERE hedge_id = ? ORDER BY round", (hedge_id,)
        ):
            yield int(rnd), int(ts), msgspec.json.decode(body)

    def close(self) -> None:
        self.conn.close()


def _as(msg: Message, kind: type[T]) -> T:
    if not isinstance(msg, kind):
        raise StoreError(f"hedge journal: expected {kind.__name__}, found {type(msg).__name__}")
    return msg
