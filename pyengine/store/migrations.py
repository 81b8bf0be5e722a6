"""Schema migrations: an ordered list, applied in one transaction each, never edited once shipped.

Add a migration by appending `(version, description, statements)`; `statements` may use the
placeholders `{id}` (auto-increment primary key), `{blob}`, `{num}` (exact decimal) and
`{bigint}`, which each dialect fills in.
"""

from __future__ import annotations

from pyengine.store.records import TABLES

_NUMERIC = {"qty", "price", "fee", "amount", "collateral_amount", "usde_amount"}


def _typed_table(name: str, columns: tuple[str, ...]) -> str:
    cols = ",\n    ".join(
        f"{c} {{num}}"
        if c in _NUMERIC
        else (f"{c} {{bigint}}" if c.endswith("_ns") else f"{c} TEXT")
        for c in columns
    )
    return f"""CREATE TABLE {name} (
    id {{id}},
    src TEXT NOT NULL,
    epoch {{bigint}} NOT NULL,
    topic TEXT NOT NULL,
    seq {{bigint}} NOT NULL,
    type TEXT NOT NULL,
    {cols},
    UNIQUE (src, epoch, topic, seq)
)"""


MIGRATIONS: list[tuple[int, str, list[str]]] = [
    (
        1,
        "journal and typed tables for quotes, orders, fills, transfers, alerts",
        [
            """CREATE TABLE journal (
    id {id},
    src TEXT NOT NULL,
    epoch {bigint} NOT NULL,
    topic TEXT NOT NULL,
    seq {bigint} NOT NULL,
    type TEXT NOT NULL,
    ts_event {bigint} NOT NULL,
    ts_recv {bigint} NOT NULL,
    payload {blob} NOT NULL,
    UNIQUE (src, epoch, topic, seq)
)""",
            "CREATE INDEX journal_topic ON journal (topic, id)",
            *(_typed_table(t.name, t.columns) for t in TABLES),
            "CREATE INDEX orders_coid ON orders (client_order_id)",
            "CREATE INDEX fills_coid ON fills (client_order_id)",
            "CREATE INDEX transfers_tid ON transfers (transfer_id)",
        ],
    ),
    (
        2,
        "snapshots of actors' recovery state; the newest journal position per (src, topic)",
        [
            # one row per actor, replaced whole in one transaction (docs: restart in
            # constant time): the state as of journal row `journal_id`
            """CREATE TABLE snapshots (
    actor TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    journal_id {bigint} NOT NULL,
    taken_ns {bigint} NOT NULL,
    state {blob} NOT NULL
)""",
            # kept with each commit, so a start never aggregates the whole journal
            """CREATE TABLE journal_positions (
    src TEXT NOT NULL,
    topic TEXT NOT NULL,
    epoch {bigint} NOT NULL,
    seq {bigint} NOT NULL,
    PRIMARY KEY (src, topic)
)""",
            """INSERT INTO journal_positions (src, topic, epoch, seq)
SELECT src, topic, epoch, max(seq) FROM journal AS j
WHERE epoch = (SELECT max(epoch) FROM journal WHERE src = j.src AND topic = j.topic)
GROUP BY src, topic, epoch""",
        ],
    ),
]

DIALECTS = {
    "sqlite": {"id": "INTEGER PRIMARY KEY", "blob": "BLOB", "num": "TEXT", "bigint": "INTEGER"},
    "postgres": {
        "id": "BIGSERIAL PRIMARY KEY",
        "blob": "BYTEA",
        "num": "NUMERIC",
        "bigint": "BIGINT",
    },
}


def statements(dialect: str, version: int) -> list[str]:
    """The SQL of one migration for one dialect."""
    types = DIALECTS[dialect]
    for v, _, stmts in MIGRATIONS:
        if v == version:
            return [s.format(**types) for s in stmts]
    raise KeyError(version)


def latest() -> int:
    """The newest schema version."""
    return MIGRATIONS[-1][0]
