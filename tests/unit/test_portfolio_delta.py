"""Coin delta of linear, inverse and futures positions against hand computations
(docs/contracts.md#coin-delta, #convexity), and a property test over random fills."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyengine.messages import (
    MintOrderAccepted,
    MintOrderConfirmed,
    PositionReport,
    TransferConfirmed,
    TransferRequested,
)
from pyengine.messages.sim import CustodySettled, FundingPaid, FuturesSettled
from pyengine.portfolio import PortfolioError, instrument_delta
from tests.unit.portfolio_helpers import (
    ETH_BOOKS,
    T0,
    book,
    fill,
    future,
    holdings,
    instruments,
    mark_all,
)

FUT = future("binance-coinm", "ETH")
CLOSE = D("1e-20")


def test_linear_inverse_futures_coin_delta_by_hand() -> None:
    h = holdings({"ETH": "20"})
    h.observe(fill("binance-usdm", "ETHUSDT", "sell", "5", "3000"))  # -5 ETH
    h.observe(fill("okx", "ETH-USDT-SWAP", "sell", "30", "3000"))  # 30 x 0.1 = -3 ETH
    h.observe(fill("binance-coinm", "ETHUSD_PERP", "sell", "600", "3000"))  # 600x10/3000 = -2
    h.observe(fill("deribit", "ETH-PERPETUAL", "sell", "21000", "3000"))  # -7 ETH
    h.observe(fill("binance-coinm", FUT, "sell", "930", "3100"))  # 9300/3100 = -3 ETH
    mark_all(h, ETH_BOOKS[:2] + ETH_BOOKS[3:], "3000")
    h.observe(book("binance-coinm", FUT, "3100"))
    d = h.delta("ETH")
    assert d is not None
    assert (d.custody, d.linear, d.inverse, d.futures) == (D(20), D(-8), D(-9), D(-3))
    assert d.coin_pnl == 0 and d.delta == 0 and d.delta_usd == 0
    assert d.price == D(3000)

    # ETH +10 %: linear unchanged; inverse N cv / P shrinks and its coin PnL makes it up.
    mark_all(h, ETH_BOOKS[:2] + ETH_BOOKS[3:], "3300")
    h.observe(book("binance-coinm", FUT, "3410"))
    d = h.delta("ETH")
    assert d is not None
    assert d.linear == D(-8)
    assert abs(d.inverse - (D(-6000) / D(3300) - D(21000) / D(3300))) < CLOSE
    assert abs(d.futures - D(-9300) / D(3410)) < CLOSE
    upl = D(-6000) * (1 / D(3000) - 1 / D(3300)) + D(-21000) * (1 / D(3000) - 1 / D(3300))
    upl += D(-9300) * (1 / D(3100) - 1 / D(3410))
    assert abs(d.coin_pnl - upl) < CLOSE
    assert abs(d.delta) < CLOSE and abs(d.inverse_drift) < CLOSE  # offset by the coin PnL
    assert d.delta_usd == d.delta * D(3300)

    # Without the coin PnL counted, the convexity drift shows in the delta.
    h2 = holdings({"ETH": "20"}, count_upl=False)
    for f in [
        fill("binance-coinm", "ETHUSD_PERP", "sell", "600", "3000"),
        fill("deribit", "ETH-PERPETUAL", "sell", "21000", "3000"),
    ]:
        h2.observe(f)
    mark_all(h2, ETH_BOOKS, "3300")
    d2 = h2.delta("ETH")
    assert d2 is not None
    assert abs(d2.delta - (20 - D(27000) / D(3300))) < CLOSE
    assert abs(d2.inverse_drift - (D(-27000) / D(3300) + 9)) < CLOSE


def test_inverse_convexity_vector() -> None:
    spec = instruments().get("deribit", "ETH-PERPETUAL")  # $1 contracts
    up = instrument_delta(spec, "deribit", D(50_000), D(10_000), D(11_000))
    down = instrument_delta(spec, "deribit", D(50_000), D(10_000), D(9_000))
    assert up.upl.quantize(D("0.0001")) == D("0.4545")
    assert down.upl.quantize(D("0.0001")) == D("-0.5556")
    assert abs(up.upl - D(50_000) * (1 / D(10_000) - 1 / D(11_000))) < CLOSE
    # The contract's coin delta drifts (5 -> 4.545.. / 5.555..) and its coin PnL offsets it.
    assert abs(up.coins - D(50_000) / D(11_000)) < CLOSE
    assert abs(down.coins - D(50_000) / D(9_000)) < CLOSE
    assert abs(up.coins + up.upl - 5) < CLOSE and abs(down.coins + down.upl - 5) < CLOSE
    assert up.bucket == "inverse" and up.settle == "ETH"


def test_fees_funding_settlement_and_realised_pnl_stay_in_the_delta() -> None:
    h = holdings({"ETH": "2"})
    h.observe(fill("deribit", "ETH-PERPETUAL", "sell", "6000", "3000", fee="0.001", fee_ccy="ETH"))
    h.observe(fill("deribit", "ETH-PERPETUAL", "buy", "6000", "2000", fid="close"))
    mark_all(h, ETH_BOOKS, "2000")
    d = h.delta("ETH")
    assert d is not None
    # Realised: -6000 x (1/3000 - 1/2000) = +1 ETH, less the fee.
    assert d.inverse == 0 and d.coin_pnl == D("0.999")
    assert d.delta == D("2.999")
    h.observe(
        FundingPaid(
            ts_event=T0,
            ts_recv=T0,
            venue="deribit",
            symbol="ETH-PERPETUAL",
            qty=D(0),
            mark=D(2000),
            rate=D(0),
            amount=D("0.001"),
            asset="ETH",
        )
    )
    settled = CustodySettled(
        ts_event=T0,
        ts_recv=T0,
        custodian="copper",
        venue="deribit",
        settlement_id="s1",
        asset="ETH",
        amount=D(1),
        status="settled",
    )
    h.observe(settled)
    h.observe(settled)  # the same settlement twice moves it once
    d = h.delta("ETH")
    assert d is not None
    assert d.custody == 3 and d.coin_pnl == 0 and d.delta == 3
    assert h.counters["settlements"] == 1


def test_mints_redeems_failed_orders_and_withdrawals() -> None:
    h = holdings()
    mark_all(h, ETH_BOOKS, "3000")

    def order(oid: str, kind: str, coll: str, usde: str) -> MintOrderAccepted:
        return MintOrderAccepted(
            ts_event=T0,
            ts_recv=T0,
            order_id=oid,
            order_type=kind,  # type: ignore[arg-type]
            benefactor="b",
            beneficiary="b",
            collateral="stETH",
            asset="ETH",
            collateral_amount=D(coll),
            usde_amount=D(usde),
        )

    assert h.observe(order("m1", "MINT", "10", "30000")) == {"ETH"}
    h.observe(order("m1", "MINT", "10", "30000"))  # redelivered: once
    h.observe(order("m2", "MINT", "5", "15000"))
    h.observe(order("r1", "REDEEM", "3", "9000"))
    h.observe(
        MintOrderConfirmed(
            ts_event=T0,
            ts_recv=T0,
            order_id="m2",
            order_type="MINT",
            status="failed",
            reason="reverted",
        )
    )
    assert h.custody_coins("ETH") == 7 and h.liability == 21000
    h.observe(
        TransferRequested(
            ts_event=T0,
            ts_recv=T0,
            transfer_id="w1",
            custodian="mint",
            kind="withdraw",
            venue="0xabc",
            asset="stETH",
            amount=D(2),
        )
    )
    h.observe(TransferConfirmed(ts_event=T0, ts_recv=T0, transfer_id="w1", custodian="mint"))
    d = h.delta("ETH")
    assert d is not None and d.custody == 5 and d.delta == 5 and d.liability == 21000


def test_venue_reports_are_compared_never_copied() -> None:
    h = holdings()
    h.observe(fill("okx", "ETH-USDT-SWAP", "sell", "10", "3000"))
    rep = PositionReport(ts_event=T0, ts_recv=T0, venue="okx", symbol="ETH-USDT-SWAP", qty=D(-12))
    h.observe(rep)
    row = h.book.get("okx", "ETH-USDT-SWAP")
    assert row is not None and row.qty == -10
    assert h.mismatches[("okx", "ETH-USDT-SWAP")].theirs == -12
    assert h.counters["mismatches"] == 1
    h.observe(fill("okx", "ETH-USDT-SWAP", "sell", "2", "3000"))
    assert not h.mismatches


def test_bad_input_is_a_typed_error_and_changes_nothing() -> None:
    h = holdings()
    with pytest.raises(PortfolioError):
        h.observe(fill("okx", "NOPE", "sell", "1", "3000"))
    with pytest.raises(PortfolioError):
        h.observe(fill("okx", "ETH-USDT-SWAP", "sell", "0", "3000"))
    f = fill("okx", "ETH-USDT-SWAP", "sell", "1", "3000", fid="dup")
    h.observe(f)
    h.observe(f)
    assert h.counters["duplicates"] == 1 and h.book.get("okx", "ETH-USDT-SWAP").qty == -1  # type: ignore[union-attr]
    assert h.delta("ETH") is None  # no price yet: no delta claimed


ETH_SYMBOLS = [(v, s) for v, s in ETH_BOOKS]
_lots = st.integers(min_value=1, max_value=400)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(ETH_SYMBOLS),
            st.booleans(),
            _lots,
            st.integers(min_value=-30, max_value=30),
        ),
        min_size=1,
        max_size=25,
    ),
    st.integers(min_value=-30, max_value=30),
)
def test_delta_is_custody_plus_instrument_deltas(
    trades: list[tuple[tuple[str, str], bool, int, int]], final_move: int
) -> None:
    """Random fills at prices up to +-30 % from 3,000, then a +-30 % mark: the portfolio's
    delta equals custody plus each instrument's delta computed here independently. With
    the coin PnL counted, an inverse instrument's share is sum(q_i x cv / p_i) over its
    fills, whatever the mark: N x cv / P plus the coin PnL of every fill marked at P."""
    custody = D(100)
    h = holdings({"ETH": str(custody)})
    base = D(3000)
    expected = custody
    for (venue, symbol), buy, lots, move in trades:
        spec = instruments().get(venue, symbol)
        qty = spec.lot * lots
        px = base * (100 + move) / 100
        h.observe(fill(venue, symbol, "buy" if buy else "sell", qty, px))
        signed = qty if buy else -qty
        if spec.payoff == "linear":
            expected += signed * spec.multiplier
        else:
            expected += signed * spec.multiplier / px
    mark = base * (100 + final_move) / 100
    mark_all(h, ETH_BOOKS, mark)
    d = h.delta("ETH")
    assert d is not None
    assert abs(d.delta - expected) < D("1e-15")
    assert d.delta == d.custody + d.hedge and d.custody == custody
    assert d.delta_usd == d.delta * mark


def test_an_expired_future_closes_at_its_settlement_price() -> None:
    h = holdings({"ETH": "3"})
    h.observe(fill("binance-coinm", FUT, "sell", "900", "3000"))  # -3 ETH
    mark_all(h, ETH_BOOKS, "3000")
    exp = FuturesSettled(ts_event=T0, ts_recv=T0, venue="binance-coinm", symbol=FUT,
                         qty=D(-900), price=D(2500), realised=D(0), asset="ETH")  # fmt: skip
    h.observe(exp)
    h.observe(exp)  # once
    d = h.delta("ETH")
    assert d is not None and d.futures == 0
    # -9000 x (1/3000 - 1/2500) = +0.6 ETH realised, owed by the venue until settled.
    assert d.coin_pnl == D("0.6") and d.delta == D("3.6")
