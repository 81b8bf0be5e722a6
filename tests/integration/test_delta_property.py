"""A property over random days: sequences of mints, redeems and price moves of up to +-30 %
(inverse convexity: an inverse short's coin delta N cv / P drifts with the price) keep every
asset's net coin delta within its tolerance once each step has settled.

The loop is the real one (tests/integration/delta_world.py): the simulated venues' wire
bytes through the Rust normalisers, the execution actors, the risk gate, the hedger and the
portfolio with its delta keeper, driven synchronously on a manual clock. With and without
the unrealised coin PnL counted (`count_upl`): counted, convexity is offset by the coin PnL
and the delta does not drift; not counted, the drift shows and the keeper re-hedges it.

After every step: |delta x P| <= tolerance for each asset; no position at any venue is long
(a buy only reduces a short: a redeem never flips one); every position the portfolio holds
is the sum of our fills on the bus, equal to the venue's own account, the hedger's and the
risk gate's; custody is exactly what was minted less what was redeemed; a mint's hedge only
sells (the keeper never trades against a hedge still working), and with the coin PnL counted
a redeem's only buys.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pyengine.messages import PortfolioDelta
from tests.integration.delta_world import DeltaWorld

PRICES = {"BTC": Decimal(60_000), "ETH": Decimal(3_000)}
TOLERANCE_USD = Decimal(20_000)
COIN = Decimal("0.001")


@dataclass(frozen=True)
class Step:
    kind: str
    """"mint", "redeem", "unwind" (redeem all custody) or "move"."""
    asset: str
    size: int
    """mint: USD notional; redeem: percent of what can be bought back; move: percent."""
    wait: bool = True
    """Settle before the next step (else the next one comes while this one's hedge works)."""


assets = st.sampled_from(sorted(PRICES))
waits = st.booleans()
steps = st.one_of(
    st.builds(Step, st.just("mint"), assets, st.integers(50_000, 8_000_000), waits),
    st.builds(Step, st.just("redeem"), assets, st.integers(5, 50), waits),
    st.builds(Step, st.just("move"), assets, st.integers(-30, 30).filter(lambda p: p != 0), waits),
)


def apply(w: DeltaWorld, step: Step, custody: dict[str, Decimal]) -> None:
    asset = step.asset
    if step.kind == "move":
        w.move(asset, step.size)
        return
    if step.kind == "mint":
        coins = (Decimal(step.size) / w.prices[asset]).quantize(COIN, ROUND_DOWN)
        w.mint(asset, coins)
        custody[asset] += coins
        return
    # A redeem takes back part of what custody holds and our shorts can buy back; an
    # unwind takes all custody, whatever the shorts hold (after inverse losses they hold
    # less, and buying them back realises coin losses), and ends the day.
    room = min(custody[asset], w.short_coins(asset))
    if step.kind == "unwind":
        coins = custody[asset]
    else:
        coins = (room * step.size / 100).quantize(COIN, ROUND_DOWN)
    if coins <= 0:
        return
    w.mint(asset, coins, redeem=True)
    custody[asset] -= coins


def check(
    w: DeltaWorld,
    window: list[Step],
    custody: dict[str, Decimal],
    first_fill: int,
) -> None:
    where = f"after {window}: {w.describe()}"
    published = {m.asset: m for m in w.published if isinstance(m, PortfolioDelta)}
    for asset in sorted(PRICES):
        d = w.delta(asset)
        # Within tolerance; below it only with no short left worth buying back (the hedger
        # never goes long: a coin debt left by an unwind cannot be hedged).
        assert d.delta_usd <= TOLERANCE_USD, where
        nothing_left = w.short_coins(asset) * d.price <= TOLERANCE_USD
        assert d.delta_usd >= -TOLERANCE_USD or nothing_left, where
        assert d.custody == custody[asset], where
        assert published[asset].delta == d.delta, where  # what status shows is what we hold
    # Positions come from our fills only, and every holder agrees with the venue.
    from_fills: dict[tuple[str, str], Decimal] = {}
    for f in w.fills:
        key = (f.venue, f.symbol)
        from_fills[key] = from_fills.get(key, Decimal(0)) + (f.qty if f.side == "buy" else -f.qty)
    at_venues = w.venue_positions()
    assert {k: v for k, v in from_fills.items() if v} == at_venues, where
    rounds = w.hedger.rounds
    assert rounds is not None
    for (venue, symbol), qty in at_venues.items():
        assert qty < 0, f"long {venue}:{symbol} {qty} {where}"
        row = w.portfolio.holdings.book.get(venue, symbol)
        assert row is not None and row.qty == qty, where
        assert rounds.holdings.qty.get((venue, symbol)) == qty, where
        assert w.risk.engine.position(w.risk.inst_ids[(venue, symbol)])[0] == qty, where
    # No round trip: a mint's hedge only sells; with the coin PnL counted a redeem's only
    # buys (without it, a buy-back realises inverse PnL that is then hedged either way).
    sides = {f.side for f in w.fills[first_fill:]}
    kinds = {s.kind for s in window}
    if kinds == {"mint"}:
        assert sides == {"sell"}, where  # and it was hedged (every mint is above tolerance)
    if kinds == {"redeem"} and w.portfolio.holdings.count_upl:
        assert sides <= {"buy"}, where


def run_day(day: list[Step], count_upl: bool) -> None:
    """One day of `day`'s steps on a fresh world, checked after each step settles."""
    with tempfile.TemporaryDirectory() as tmp:
        w = DeltaWorld(Path(tmp), PRICES, count_upl=count_upl, tolerance_usd=TOLERANCE_USD)
        try:
            custody = {a: Decimal(0) for a in PRICES}
            first, window = 0, []
            for i, step in enumerate(day):
                apply(w, step, custody)
                window.append(step)
                if not step.wait and i + 1 < len(day):
                    w.tick()  # the next step comes while this one's hedge is working
                    continue
                reachable = step.kind != "unwind"
                w.settle(within=reachable)
                check(w, window, custody, first)
                debt = any(w.delta(a).delta_usd < -TOLERANCE_USD for a in PRICES)
                if step.kind == "unwind" or debt:
                    return  # what it left (a coin debt) stays: the rest proves nothing
                first, window = len(w.fills), []
        finally:
            w.hedger.close()


unwind = st.builds(Step, st.just("unwind"), assets, st.just(100))


def _day(body: list[Step], end: Step | None) -> list[Step]:
    return [*body, end] if end is not None else body


# The steps of a day, and at times an unwind (it ends the day) after them.
days = st.builds(_day, st.lists(steps, min_size=1, max_size=10), st.none() | unwind)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(days, st.booleans())
# What it found (tests/unit/test_delta_property_regressions.py): a mint hedged over several
# rounds whose fills carried no parent_id, so the keeper bought it back and sold it again;
# a mint right after a fast move, whose children the risk gate all refused (its mark not
# yet moved), burning every round at once and leaving the collateral unhedged.
@example([Step("mint", "ETH", 4_289_355)], False)
@example([Step("move", "BTC", -2, False), Step("mint", "BTC", 50_000, False)], False)
@example(
    [
        Step("mint", "ETH", 3_000_000),
        Step("move", "ETH", 30),
        Step("redeem", "ETH", 50),
        Step("move", "ETH", -30),
        Step("redeem", "ETH", 50),
    ],
    False,
)
def test_random_mints_redeems_and_moves_keep_delta_within_tolerance(
    day: list[Step], count_upl: bool
) -> None:
    run_day(day, count_upl)
