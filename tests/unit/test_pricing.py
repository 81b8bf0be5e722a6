"""Pricing from the hedge the router would trade: the docs/pricing.md#vector, rounding
against the requester, withdrawn sides, ladders bounded by depth and capacity, stables,
inverse candidates."""

from __future__ import annotations

from decimal import Decimal as D
from fractions import Fraction

import pytest

from pyengine.pricing import (
    Capacity,
    MarketView,
    Priced,
    Pricer,
    Refused,
    from_base,
    stables_limit_ok,
    to_base,
)
from tests.unit.pricing_world import (
    NOW,
    SEC,
    SPECS,
    config,
    depth,
    five_venues,
    market,
    oracle,
    spec_vector,
    verdict,
)

E18 = 10**18


def priced(x: Priced | Refused) -> Priced:
    assert isinstance(x, Priced), x
    return x


def test_spec_vector_mint_100_eth() -> None:
    p = priced(spec_vector().quote("WETH/USDe", "MINT", D(100), NOW))
    assert p.gross == D(299960) and p.fee == D("59.992") and p.spread == D("29.996")
    assert from_base(p.usde_amount, 18) == D("299860.012")
    assert p.usde_amount == 299_860_012 * 10**15 and p.collateral_amount == 100 * E18
    assert p.hedge_vwap == D("2999.6") and p.plan is not None
    assert [(leg.venue, leg.qty) for leg in p.plan.legs] == [("binance-usdm", D(100))]


def test_steth_is_hedged_at_its_ratio() -> None:
    pairs = {"stETH/USDe": {"collateral": "stETH", "decimals": 18, "asset": "ETH", "ratio": "0.5"}}
    p = priced(spec_vector(pairs=pairs).quote("STETH/USDE", "MINT", D(200), NOW))
    assert p.plan is not None and p.plan.target_coins == D(100)
    assert from_base(p.usde_amount, 18) == D("299860.012") and p.collateral_amount == 200 * E18


def test_rounding_is_against_the_requester() -> None:
    assert to_base(D("1.0000000000000000019"), 18, "down") == E18 + 1
    assert to_base(D("1.0000000000000000011"), 18, "up") == E18 + 2
    assert to_base(Fraction(1, 3), 8, "down") == 33333333
    # Mint 0.333 ETH: gross - fee - spread has more than 18 decimals; it is floored.
    pricer = spec_vector(gas_usd="0")
    p = priced(pricer.quote("WETH/USDe", "MINT", D("0.333"), NOW))
    exact = Fraction(p.gross) - Fraction(p.fee) - Fraction(p.spread)
    assert Fraction(p.usde_amount, E18) <= exact < Fraction(p.usde_amount + 1, E18)
    assert priced(pricer.quote("WETH/USDe", "MINT", D("0.333"), NOW)).usde_amount == p.usde_amount
    # Redeem: USDe in is ceiled, collateral out floored by the formula.
    r = priced(spec_vector(reduce_only_redeem=False).quote("WETH/USDe", "REDEEM", D("0.333"), NOW))
    costs = Fraction(r.fee) + Fraction(r.spread) + Fraction(r.gas_usd)
    assert (
        Fraction(r.usde_amount - 1, E18) < Fraction(r.gross) + costs <= Fraction(r.usde_amount, E18)
    )
    out = (Fraction(r.usde_amount, E18) - costs) / (Fraction(r.gross) / Fraction(D("0.333")))
    assert r.collateral_amount == int(out * E18) == 333 * 10**15
    # Sizes finer than the collateral's base unit: pay at least / receive at most the size.
    wbtc = priced(
        Pricer(config(), market(config(), five_venues(), {"BTC": "60000", "ETH": "3000"})).quote(
            "WBTC/USDe", "MINT", D("2.000000001"), NOW
        )
    )
    assert wbtc.collateral_amount == 200_000_001
    # The 1e-9 BTC below the lot is priced at the plan's worst bid, not left out.
    assert wbtc.plan is not None and wbtc.plan.residual_coins == D("0.000000001")
    assert wbtc.gross == wbtc.plan.gross + D("0.000000001") * min(
        leg.worst_px for leg in wbtc.plan.legs
    )


def test_redeem_buys_back_on_the_ask() -> None:
    p = priced(spec_vector(reduce_only_redeem=False).quote("WETH/USDe", "REDEEM", D(100), NOW))
    assert p.gross == D(300010) and p.hedge_vwap == D("3000.1")
    # 100 x 3000.1 + fee 2 bp + spread 1 bp + gas 10
    assert from_base(p.usde_amount, 18) == D("300010") + D("60.002") + D("30.001") + 10
    assert p.collateral_amount == 100 * E18


def test_redeem_is_reduce_only_by_default() -> None:
    got = spec_vector().quote("WETH/USDe", "REDEEM", D(10), NOW)
    assert isinstance(got, Refused) and got.code == 33 and "buy back" in got.reason
    pricer = spec_vector()
    from pyengine.messages import PositionReport

    pricer.market.on_position(
        PositionReport(ts_event=NOW, ts_recv=NOW, venue="binance-usdm", symbol="ETHUSDT", qty=D(-5))
    )
    assert isinstance(pricer.quote("WETH/USDe", "REDEEM", D(10), NOW), Refused)
    assert priced(pricer.quote("WETH/USDe", "REDEEM", D(5), NOW)).gross == D("15000.5")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("invalid_book", "no_valid_book"),
        ("suspended", "no_valid_book"),
        ("old_verdict", "no_valid_book"),
        ("oracle_band", "oracle_band"),
        ("stale_oracle", "oracle_stale:pyth"),
        ("missing_redstone", "oracle_missing:redstone"),
    ],
)
def test_sides_are_withdrawn_on_bad_data(change: str, reason: str) -> None:
    cfg = config(taker_fees={"binance-usdm": "0.0002"})
    book = depth("binance-usdm", "ETHUSDT", [("3000.0", "60")], [("3000.1", "60")])
    m = MarketView(cfg, SPECS)
    m.on_depth(book)
    now = NOW
    if change == "invalid_book":
        m.on_depth(depth("binance-usdm", "ETHUSDT", [], [], valid=False))
    m.on_validity(
        verdict("binance-usdm", "ETHUSDT", "suspended" if change == "suspended" else "valid"), NOW
    )
    if change == "old_verdict":
        now = NOW + 4 * SEC
    pyth = "3100" if change == "oracle_band" else "3000"
    at = NOW - 11 * SEC if change == "stale_oracle" else NOW
    m.on_oracle(oracle("pyth", "ETH", pyth, at), NOW)
    if change != "missing_redstone":
        m.on_oracle(oracle("redstone", "ETH", "3000" if change != "oracle_band" else "3100"), NOW)
    pricer = Pricer(cfg, m)
    got = pricer.quote("WETH/USDe", "MINT", D(1), now)
    assert isinstance(got, Refused) and got.code == 33 and got.reason.startswith(reason)
    lad = pricer.ladder("WETH/USDe", now)
    assert lad.mint == [] and lad.redeem == [] and lad.mint_reason.startswith(reason)
    assert lad.redeem_reason == lad.mint_reason


def test_oracle_band_is_against_the_median() -> None:
    cfg = config(taker_fees={"binance-usdm": "0.0002"}, oracle_tol_bps="50")
    book = depth("binance-usdm", "ETHUSDT", [("3000.0", "60")], [("3000.1", "60")])
    m = market(cfg, [book], {})
    m.on_oracle(oracle("pyth", "ETH", "2980"), NOW)
    m.on_oracle(oracle("redstone", "ETH", "3010"), NOW)  # median 2995: 16.9 bp away
    assert isinstance(Pricer(cfg, m).quote("WETH/USDe", "MINT", D(1), NOW), Priced)
    m.on_oracle(oracle("redstone", "ETH", "2960", NOW + 1), NOW)  # median 2970: 101 bp
    got = Pricer(cfg, m).quote("WETH/USDe", "MINT", D(1), NOW)
    assert isinstance(got, Refused) and got.reason.startswith("oracle_band")


def test_ladder_doubles_until_depth_ends() -> None:
    lad = spec_vector().ladder("WETH/USDe", NOW)
    # 100 ETH of bids: 2, 4, ... 64 fit, 128 does not.
    assert [r.size for r in lad.mint] == [D(2) ** k for k in range(1, 7)]
    assert lad.mint_reason == "" and lad.mint[0].unit_price == D("2999.1")  # 3000 less 3 bp
    assert all(a.unit_price >= b.unit_price for a, b in zip(lad.mint, lad.mint[1:], strict=False))
    assert lad.mint[-1].unit_price < D(3000) * (1 - D("0.0003"))  # walked into the 2,999 level


def test_ladder_stops_at_capacity_and_quotes_refuse_above_it() -> None:
    pricer = spec_vector()
    cap = Capacity(remaining_mint=D(50_000), max_mint=D(100_000))
    lad = pricer.ladder("WETH/USDe", NOW, cap)
    assert [r.size for r in lad.mint] == [D(2), D(4), D(8), D(16)]  # 32 ETH ~ 96k > 50k
    got = pricer.quote("WETH/USDe", "MINT", D(20), NOW, cap)
    assert isinstance(got, Refused) and got.code == 9
    got = pricer.quote("WETH/USDe", "REDEEM", D(1), NOW, Capacity(remaining_redeem=D(0)))
    assert isinstance(got, Refused) and got.code in (17, 33)
    empty = pricer.ladder("WETH/USDe", NOW, Capacity(remaining_mint=D(0)))
    assert empty.mint == [] and empty.mint_reason == "capacity"


def test_size_below_gas_is_code_8() -> None:
    got = spec_vector(gas_usd="5000").quote("WETH/USDe", "MINT", D(1), NOW)
    assert isinstance(got, Refused) and got.code == 8


def test_stables_are_one_to_one_less_costs() -> None:
    pricer = Pricer(config(stables_cost_bps="1"), MarketView(config(), []))
    p = priced(pricer.quote("USDT/USDe", "MINT", D(1_000_000), NOW))
    assert p.collateral_amount == 1_000_000 * 10**6
    assert from_base(p.usde_amount, 18) == D(1_000_000) - D(100) - D(10)
    r = priced(pricer.quote("USDC/USDe", "REDEEM", D(1000), NOW))
    assert from_base(r.usde_amount, 18) == D("1010.1") and r.collateral_amount == 1000 * 10**6
    lad = pricer.ladder("USDT/USDe", NOW, Capacity(remaining_mint=D(100)))
    assert [x.size for x in lad.mint] == [2, 4, 8, 16, 32, 64] and lad.mint[0].unit_price == D(
        "0.9999"
    )


def test_stables_limit_is_the_contracts_rule() -> None:
    # docs/mint-redeem.md#stables-limit vectors
    assert stables_limit_ok("MINT", 1_000_000 * 10**6, 6, 1_000_100 * E18, 0)
    assert not stables_limit_ok("MINT", 1_000_000 * 10**6, 6, 1_000_200 * E18, 0)
    assert stables_limit_ok("MINT", 1_000_000 * 10**6, 6, 999_000 * E18, 0)
    assert not stables_limit_ok("REDEEM", 1_000_200 * 10**6, 6, 1_000_000 * E18, 0)


def test_inverse_candidates_are_sized_in_contracts() -> None:
    cfg = config()
    m = market(
        cfg, [b for b in five_venues() if b.venue == "deribit"], {"ETH": "3000", "BTC": "60000"}
    )
    p = priced(Pricer(cfg, m).quote("WETH/USDe", "MINT", D(3), NOW))
    assert p.plan is not None
    (leg,) = p.plan.legs
    assert (leg.venue, leg.symbol) == ("deribit", "ETH-PERPETUAL")
    # 3 ETH at the reference (mid 3000) is 9,000 contracts of 1 USD.
    assert leg.qty == D(9000) and leg.coins == D(3)


def test_five_venues_split_and_ladder() -> None:
    cfg = config()
    m = market(cfg, five_venues(), {"ETH": "3000", "BTC": "60000"})
    pricer = Pricer(cfg, m)
    p = priced(pricer.quote("WETH/USDe", "MINT", D(1200), NOW))
    assert p.plan is not None and len({leg.venue for leg in p.plan.legs}) >= 3
    lad = pricer.ladder("WBTC/USDe", NOW)
    assert len(lad.mint) >= 3 and lad.mint_reason == ""


def test_a_futures_basis_is_not_paid_to_the_requester() -> None:
    """A dated future bid 10 above the perpetual: the planner may sell it, but the price
    is its value after the basis (docs/pricing.md#formula), and the reference ignores it."""
    cfg = config(taker_fees={"binance-coinm": "0", "binance-usdm": "0"}, spread_bps="0")
    (fut,) = [s for s in SPECS if s.venue == "binance-coinm" and s.symbol.startswith("ETHUSD_2")]
    perp = depth("binance-usdm", "ETHUSDT", [("3000.00", "100")], [("3000.10", "100")])
    dated = depth("binance-coinm", fut.symbol, [("3010.00", "300000")], [("3010.20", "300000")])
    m = market(cfg, [perp, dated], {"ETH": "3000"})
    fit = m.fitness("ETH", NOW)
    assert fit.ref_px == D("3000.05")  # the perpetual's mid only
    # Basis = future mid 3010.10 - ref = 10.05, given back in full at horizon 0: the future's bid
    # is worth 2999.95, less than the perpetual's 3000, so 1 ETH goes to the perpetual.
    one = priced(Pricer(cfg, m).quote("WETH/USDe", "MINT", D(1), NOW))
    assert one.plan is not None and [x.symbol for x in one.plan.legs] == ["ETHUSDT"]
    assert one.gross == D(3000)
    # 150 ETH: the perpetual's 100, the rest on the future, valued after its basis.
    p = priced(Pricer(cfg, m).quote("WETH/USDe", "MINT", D(150), NOW))
    assert p.plan is not None and p.plan.carry < 0
    (leg,) = [x for x in p.plan.legs if x.symbol == fut.symbol]
    assert abs(leg.carry + leg.coins * D("10.05")) < D("1e-12")
    assert p.gross < p.plan.gross and p.gross / D(150) < D(3000)


def test_unpriceable_sizes_are_refused_not_raised() -> None:
    pricer = spec_vector()
    for size in (D("1.00000000000000000000000000000000000000000000000000000000000000000000001"),
                 D("-1"), D("NaN"), D("Infinity"), D("1E+40")):  # fmt: skip
        got = pricer.quote("WETH/USDe", "MINT", size, NOW)
        assert isinstance(got, Refused) and got.code == 33, size
    stable = Pricer(config(stables_cost_bps="1"), MarketView(config(), []))
    digits = D("1." + "1234567890" * 11)  # 111 digits: beyond any exact product
    got = stable.quote("USDT/USDe", "MINT", digits, NOW)
    assert isinstance(got, Refused)


def test_an_inverse_short_of_no_finite_coin_size_still_prices_both_sides() -> None:
    """An inverse short in coins is N x cv / P, which at most prices has no end (here
    70,000 contracts of 1 USD at 3000: 23.33... ETH); the planner takes 28 digits: the short is
    rounded down (a buy-back never flips it), and both sides still price."""
    cfg = config(reduce_only_redeem=True)
    m = market(
        cfg, [b for b in five_venues() if b.venue == "deribit"], {"ETH": "3000", "BTC": "60000"}
    )
    from pyengine.messages import PositionReport

    m.on_position(
        PositionReport(
            ts_event=NOW, ts_recv=NOW, venue="deribit", symbol="ETH-PERPETUAL", qty=D(-70000)
        )
    )
    pricer = Pricer(cfg, m)
    assert priced(pricer.quote("WETH/USDe", "MINT", D(3), NOW)).plan is not None
    back = priced(pricer.quote("WETH/USDe", "REDEEM", D(5), NOW))
    assert back.plan is not None and sum(leg.qty for leg in back.plan.legs) <= 70000
    assert isinstance(pricer.quote("WETH/USDe", "REDEEM", D(24), NOW), Refused)


def test_a_mint_is_priced_on_the_room_the_position_limit_leaves() -> None:
    """`max_position` as the hedger has it: the quote prices what the router can sell, so a
    size past the risk gate's room is not offered (the hedge could not be placed)."""
    from pyengine.messages import PositionReport

    pricer = spec_vector(max_position={"binance-usdm:ETHUSDT": "70"})
    assert priced(pricer.quote("WETH/USDe", "MINT", D(70), NOW)).plan is not None
    assert isinstance(pricer.quote("WETH/USDe", "MINT", D(71), NOW), Refused)
    pricer.market.on_position(
        PositionReport(
            ts_event=NOW, ts_recv=NOW, venue="binance-usdm", symbol="ETHUSDT", qty=D(-60)
        )
    )
    assert priced(pricer.quote("WETH/USDe", "MINT", D(10), NOW)).gross == D(30000)
    assert isinstance(pricer.quote("WETH/USDe", "MINT", D(11), NOW), Refused)
    assert max(r.size for r in pricer.ladder("WETH/USDe", NOW).mint) <= D(10)
    with pytest.raises(Exception, match="max_position"):
        config(max_position={"ETHUSDT": "1"})
