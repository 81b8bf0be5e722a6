"""The pricing actor driven through `handle`: ladders on book updates and the timer,
withdrawn sides, capacity, and QuoteRequest answered under its request id."""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

import pytest

from pyengine.actors.base import ActorContext
from pyengine.actors.pricing import PricingActor
from pyengine.clock import ManualClock
from pyengine.errors import ConfigError
from pyengine.messages import (
    IndicativeLadder,
    MintCapacity,
    QuotePlan,
    QuotePriced,
    QuoteRequest,
    QuoteUnavailable,
    decode,
    encode,
    topics,
)
from pyengine.runtime.embedded import SIM_TAKER_FEES, default_pricing_options
from pyengine.sim.profiles import PROFILES
from tests.unit.pricing_world import NOW, SEC, depth, oracle, verdict

MS = 1_000_000


def actor(**options: Any) -> PricingActor:
    # one venue's book (the docs/pricing.md vector): no concentration cap to share it with
    one_venue = {"taker_fees": {"binance-usdm": "0.0002"}, "venue_max_share": {}}
    opts = default_pricing_options() | one_venue | options
    a = PricingActor(ActorContext(name="pricing", clock=ManualClock(NOW), options=opts))
    a.on_start()
    return a


def spec_book(seq: int = 1, bid: str = "3000.0") -> Any:
    return depth("binance-usdm", "ETHUSDT", [(bid, "60"), ("2999.0", "40")],
                 [("3000.1", "100")], seq=seq)  # fmt: skip


def ready(a: PricingActor) -> list[Any]:
    out: list[Any] = []
    for msg in (
        oracle("pyth", "ETH", "3000"),
        oracle("redstone", "ETH", "3000"),
        verdict("binance-usdm", "ETHUSDT"),
        spec_book(),
    ):
        out += a.handle(msg)
    return out


def ladders(out: Any) -> dict[str, IndicativeLadder]:
    return {m.pair: m for m in out if isinstance(m, IndicativeLadder)}


def request(size: str, side: str = "MINT", pair: str = "WETH/USDe") -> QuoteRequest:
    return QuoteRequest(ts_event=NOW, ts_recv=NOW, request_id="rq-1", pair=pair,
                        side=side, size=D(size))  # type: ignore[arg-type]  # fmt: skip


def test_wiring() -> None:
    a = actor()
    sub, rel = a.topics()
    assert rel == (topics.CMD_QUOTE_REQUEST,)
    assert {topics.MD_DEPTH, topics.MD_VALIDITY, topics.ORACLE, topics.CHAIN_CAPACITY} <= set(sub)
    assert a.timer_period() == 0.25
    with pytest.raises(ConfigError):
        PricingActor(ActorContext(name="p", options={"spread_bps": "-1"}))
    with pytest.raises(ConfigError):
        PricingActor(ActorContext(name="p", options={"nope": 1}))


def test_embedded_fees_are_the_simulated_venues() -> None:
    assert {v: D(f) for v, f in SIM_TAKER_FEES.items()} == {
        n: p.taker_fee for n, p in PROFILES.items()
    }


def test_book_update_publishes_the_ladders_of_its_asset() -> None:
    a = actor()
    got = ladders(ready(a))
    assert set(got) == {"stETH/USDe", "WETH/USDe"}  # ETH pairs only
    weth = got["WETH/USDe"]
    assert [r.size for r in weth.mint] == [2, 4, 8, 16, 32, 64] and weth.mint_reason == ""
    assert weth.redeem == [] and weth.redeem_reason == "no hedge to buy back"
    assert weth.gas_usd == 10 and weth.oracle_px == 3000
    # The same book again: not material, nothing published until the timer.
    assert ladders(a.handle(spec_book(seq=2))) == {}
    # A move of the best bid by 3.3 bp is material.
    moved = ladders(a.handle(spec_book(seq=3, bid="2999.5")))
    assert moved["WETH/USDe"].mint[0].price < weth.mint[0].price


def test_timer_republishes_every_pair_and_withdraws_stale_data() -> None:
    a = actor()
    ready(a)
    out = ladders(a.on_timer(NOW + 250 * MS))
    assert set(out) == {"stETH/USDe", "WETH/USDe", "WBTC/USDe", "USDT/USDe", "USDC/USDe"}
    assert out["WBTC/USDe"].mint == [] and out["WBTC/USDe"].mint_reason.startswith("oracle")
    assert out["USDT/USDe"].mint[0].price == 1 and out["WETH/USDe"].mint
    # No fresh verdict for 4 s: the side is withdrawn, not left stale.
    late = ladders(a.on_timer(NOW + 4 * SEC))["WETH/USDe"]
    assert late.mint == [] and late.mint_reason == "no_valid_book"


def test_invalid_book_withdraws_at_once() -> None:
    a = actor()
    ready(a)
    out = ladders(a.handle(depth("binance-usdm", "ETHUSDT", [], [], valid=False)))
    assert out["WETH/USDe"].mint == [] and out["WETH/USDe"].mint_reason == "no_valid_book"


def test_capacity_bounds_the_ladder_and_is_published() -> None:
    a = actor()
    ready(a)
    cap = MintCapacity(ts_event=NOW, ts_recv=NOW, collateral="WETH", block=7,
                       remaining_mint=D(50_000), remaining_redeem=D(0),
                       max_mint_per_order=D(100_000))  # fmt: skip
    weth = ladders(a.handle(cap))["WETH/USDe"]
    assert [r.size for r in weth.mint] == [2, 4, 8, 16]
    assert (weth.remaining_mint, weth.max_mint, weth.remaining_redeem) == (
        D(50_000),
        D(100_000),
        D(0),
    )
    (refused,) = a.handle(request("20"))
    assert isinstance(refused, QuoteUnavailable) and refused.code == 9


def test_quote_request_is_priced_in_base_units_with_its_plan() -> None:
    a = actor()
    ready(a)
    priced, plan = a.handle(request("100"))
    assert isinstance(priced, QuotePriced) and isinstance(plan, QuotePlan)
    assert priced.request_id == "rq-1" and priced.usde_amount == 299_860_012 * 10**15
    assert priced.collateral_amount == 100 * 10**18 and priced.collateral_asset == "WETH"
    assert plan.plan_id == priced.plan_id != "" and plan.request_id == "rq-1"
    assert [(leg.venue, leg.qty, leg.levels) for leg in plan.legs] == [("binance-usdm", D(100), 2)]
    assert plan.books[0].book_seq == 1 and plan.oracle_px == 3000 and plan.spread == D("29.996")
    # Exact over the wire: base units beyond 2**64, integral, printed without exponent.
    for msg in (priced, plan):
        again = decode(encode(msg))
        assert isinstance(again, QuotePriced | QuotePlan)
        assert again.usde_amount == 299_860_012 * 10**15
        assert str(again.usde_amount) == "299860012000000000000000"
        assert int(again.collateral_amount) == 10**20
    assert QuotePlan.CRITICAL and topics.QUOTE_PLAN in QuotePlan.TOPIC


@pytest.mark.parametrize(
    ("req", "code"),
    [
        (request("1000"), 33),  # deeper than the book
        (request("1", pair="DOGE/USDe"), 33),
        (request("1", pair="WBTC/USDe"), 33),  # no BTC data at all
        (request("0.001"), 8),  # 3 USD of ETH does not pay 10 USD of gas
    ],
)
def test_quote_request_refusals(req: QuoteRequest, code: int) -> None:
    a = actor()
    ready(a)
    (out,) = a.handle(req)
    assert isinstance(out, QuoteUnavailable) and out.code == code and out.request_id == "rq-1"
    assert out.reason


def test_quote_plans_are_journaled_by_the_recorder() -> None:
    from pyengine.messages.critical import journal_prefixes
    from pyengine.runtime.embedded import embedded_config
    from pyengine.runtime.plan import make_plan

    assert "quote.plan.WETH/USDe".startswith(journal_prefixes())
    directory = make_plan(embedded_config()).directory
    assert [p.name for p in directory.reliable_for("quote.plan.WETH/USDe")] == ["recorder"]
    assert "pricing" in {p.name for p in directory.reliable_for(topics.CMD_QUOTE_REQUEST)}
