"""Spent ids of the engine's own shape are kept as runs: exact, a few integers for any
number of ids made in sequence, never a false negative, bounded whatever the ids are."""

from __future__ import annotations

import msgspec

from pyengine.orders.spent import SpentIds, SpentState
from pyengine.orders.spent_runs import GAP, MAX_RUNS


def _round_trip(spent: SpentIds) -> SpentIds:
    blob = msgspec.msgpack.encode(spent.state())
    return SpentIds.restore(msgspec.msgpack.decode(blob, type=SpentState))


def test_ids_made_in_sequence_are_a_run_whatever_their_number() -> None:
    spent = SpentIds(exact_cap=100)
    n = 300_000
    for i in range(1, n + 1):
        spent.add(f"o-strategy-17-{i}")
    assert not spent._filters and spent._runs.runs == 1
    assert len(spent) == n
    assert all(f"o-strategy-17-{i}" in spent for i in range(1, n + 1, 997))
    assert f"o-strategy-17-{n + GAP + 1}" not in spent  # a fresh id of the same scope
    assert "o-strategy-18-5" not in spent and "o-strategy-17-0" not in spent
    blob = msgspec.msgpack.encode(spent.state())
    assert len(blob) < 3_000  # the 100 exact ids and one run
    back = _round_trip(spent)
    assert len(back) == n and "o-strategy-17-123456" in back


def test_ids_forgotten_out_of_order_join_their_run() -> None:
    spent = SpentIds(exact_cap=1)
    for i in [5, 3, 9, 4, 8, 6, 7, 2, 10, 1, 11]:  # the last one stays exact
        spent.add(f"s-1-{i}")
    assert spent._runs.scopes == {"s-1-": [1, 10]}
    assert all(f"s-1-{i}" in spent for i in range(1, 12))


def test_a_small_gap_is_answered_spent_a_large_one_is_not() -> None:
    spent = SpentIds(exact_cap=1)
    for i in (1, 2, 2 + GAP, 10_000, 99_999):
        spent.add(f"s-1-{i}")
    assert "s-1-100" in spent  # inside the joined run: the safe error
    assert "s-1-5000" not in spent  # between runs far apart
    assert spent._runs.runs == 2  # [1, 2+GAP] and [10000], 99999 exact


def test_other_shapes_go_to_the_filters() -> None:
    spent = SpentIds(exact_cap=1, capacity=1000)
    for key in ("s-1-007", "abc", "_0123456789abcdef0123", "9f1c2e", "x-", "y-1.5", "z"):
        spent.add(key)
    assert spent._runs.count == 0 and sum(f.count for f in spent._filters) == 6
    assert all(k in spent for k in ("s-1-007", "abc", "_0123456789abcdef0123", "x-", "y-1.5"))


def test_many_small_scopes_spill_to_the_filters_without_losing_one() -> None:
    spent = SpentIds(exact_cap=10, capacity=5_000)
    ids = [f"hedge-1-{p}-{c}" for p in range(3 * MAX_RUNS) for c in range(3)]
    for key in ids:
        spent.add(key)
    assert spent._runs.runs <= MAX_RUNS
    assert spent._filters  # the small scopes went there
    assert all(key in spent for key in ids)
    assert len(spent) >= len(ids)
    back = _round_trip(spent)
    assert all(key in back for key in ids[::7])


def test_a_state_saved_before_runs_existed_restores() -> None:
    old = {"exact": ["a-1"], "filters": [], "exact_cap": 10, "capacity": 100}
    state = msgspec.msgpack.decode(msgspec.msgpack.encode(old), type=SpentState)
    back = SpentIds.restore(state)
    assert "a-1" in back and back._runs.runs == 0
