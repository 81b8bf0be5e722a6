"""The portfolio's snapshot: restoring one and recovering the journal after it rebuilds
exactly what recovering the whole journal does (positions, custody, liability, the
keeper's open requests and id sequences), wherever the journal is cut."""

from __future__ import annotations

from decimal import Decimal as D

import msgspec
import pytest

from pyengine.actors.base import ActorContext
from pyengine.actors.portfolio import PortfolioActor
from pyengine.clock import ManualClock
from pyengine.messages import (
    HedgeRequest,
    HedgeResult,
    Message,
    MintOrderAccepted,
    MintOrderConfirmed,
    PositionReport,
    decode,
    encode,
)
from pyengine.portfolio.state import PortfolioState, decode_portfolio
from pyengine.runtime.embedded import SIM_CUSTODIAN, default_portfolio_options
from tests.unit.portfolio_helpers import T0, fill

S = 1_000_000_000


def actor(**extra: object) -> PortfolioActor:
    opts = default_portfolio_options(T0 // 1_000_000)
    opts.update(custody={SIM_CUSTODIAN: {"ETH": "5", "BTC": "0"}}, recover_positions=True)
    opts.update(extra)
    return PortfolioActor(ActorContext(name="portfolio", clock=ManualClock(T0), options=opts))


def mint(oid: str, coll: str, kind: str = "MINT", hedge: str = "") -> MintOrderAccepted:
    return MintOrderAccepted(
        ts_event=T0, ts_recv=T0, order_id=oid, order_type="MINT" if kind == "MINT" else "REDEEM",
        benefactor="b", beneficiary="b", collateral="stETH", asset="ETH",
        collateral_amount=D(coll), usde_amount=D(coll) * D("3000.17"), hedge_id=hedge,
    )  # fmt: skip


def request(hid: str, delta: str, **kw: object) -> HedgeRequest:
    return HedgeRequest(
        ts_event=T0, ts_recv=T0, hedge_id=hid, asset="ETH", delta=D(delta),
        reason="delta", **kw,  # type: ignore[arg-type]
    )  # fmt: skip


def result(hid: str, state: str = "done") -> HedgeResult:
    return HedgeResult(
        ts_event=T0 + S, ts_recv=T0 + S, hedge_id=hid, asset="ETH", target=D(0),
        filled=D(0), residual=D(0), state="done" if state == "done" else "failed",
    )  # fmt: skip


def journal() -> list[Message]:
    """Fills (linear and inverse, opening, adding, closing, flipping, one redelivered),
    mint orders (one failed, one redeemed, one naming its hedge), hedge requests of the
    keeper, of a venue down and of a roll, and their results."""
    out: list[Message] = []
    for n in range(1, 13):
        hid = f"keeper-ETH-{n}"
        out.append(mint(f"m{n}", f"{n}.123456789", hedge=f"mint-{n}" if n % 4 == 0 else ""))
        out.append(request(hid, f"-{n}.5"))
        out.append(fill("binance-usdm", "ETHUSDT", "sell", f"{n}.25", f"300{n}.7", parent=hid))
        out.append(fill("deribit", "ETH-PERPETUAL", "sell", f"{n}0000", f"299{n}.3", parent=hid))
        if n % 3 == 0:
            out.append(fill("deribit", "ETH-PERPETUAL", "buy", "70000", "2990.1", fid=f"c{n}"))
            out.append(out[-1])  # redelivered: counted once
            out.append(MintOrderConfirmed(
                ts_event=T0, ts_recv=T0, order_id=f"m{n}", order_type="MINT", status="failed",
            ))  # fmt: skip
        if n % 5 == 0:
            out.append(mint(f"r{n}", "2", kind="REDEEM"))
            out.append(request(f"down-okx-ETH-{n}-open", "3", exclude_venues=["okx"]))
            out.append(request(f"roll-bybit-ETH-{n}-close", "-1", venues=["bybit"]))
        out.append(result(hid, "done" if n % 2 else "failed"))
    out.append(PositionReport(ts_event=T0, ts_recv=T0, venue="deribit", symbol="ETH-PERPETUAL",
                              qty=D(1)))  # fmt: skip
    return [decode(encode(m)) for m in out]  # as the journal gives them back


def state(a: PortfolioActor) -> PortfolioState:
    return decode_portfolio(a.snapshot() or b"")


@pytest.mark.parametrize("recover_positions", [True, False])
@pytest.mark.parametrize("split", [0, 1, 7, 23, 41, -1])
def test_restore_then_the_rest_equals_the_whole_replay(split: int, recover_positions: bool) -> None:
    msgs = journal()
    cut = len(msgs) if split < 0 else split
    whole = actor(recover_positions=recover_positions)
    whole.recover(msgs)
    first = actor(recover_positions=recover_positions)
    first.recover(msgs[:cut])
    again = actor(recover_positions=recover_positions)
    again.restore(first.snapshot() or b"")
    again.recover(msgs[cut:])
    assert state(again) == state(whole)
    assert again.recovered() == whole.recovered()
    assert again.stats() == whole.stats()
    # The same delta, to the last digit, and the same next id.
    for asset in ("ETH", "BTC"):
        assert again.holdings.custody_coins(asset) == whole.holdings.custody_coins(asset)
    for a, b in zip(again.holdings.book, whole.holdings.book, strict=True):
        assert (a.venue, a.symbol, a.qty, a.entry, a.realised, a.fills) == (
            b.venue,
            b.symbol,
            b.qty,
            b.entry,
            b.realised,
            b.fills,
        )
    assert again.keeper.pending("ETH") == whole.keeper.pending("ETH")
    assert again.keeper._id("keeper", "ETH") == whole.keeper._id("keeper", "ETH") == "keeper-ETH-13"


def test_the_journal_moves_what_is_restored() -> None:
    """Not a tautology of empty states: the journal leaves positions, a liability, open
    requests and ended ones, all of which the snapshot carries."""
    a = actor()
    a.recover(journal())
    s = state(a)
    assert {r.symbol for r in s.holdings.rows if r.qty} == {"ETHUSDT", "ETH-PERPETUAL"}
    assert any(r.realised for r in s.holdings.rows)
    assert s.holdings.liability > 0 and s.holdings.mismatches
    assert s.keeper.seq["keeper-ETH"] == 12 and "keeper-ETH-12" in s.keeper.done
    assert {o.request.hedge_id for o in s.keeper.open} >= {"down-okx-ETH-10-open", "mint-4"}
    assert s.keeper.moved == {"okx": {"ETH": D(3)}}
    assert a.recovered()["positions"] == 2


def test_custody_configured_differently_since_the_snapshot_counts_as_on_a_replay() -> None:
    msgs = journal()
    first = actor()  # 5 ETH configured at the simulated custodian
    first.recover(msgs[:20])
    changed = {SIM_CUSTODIAN: {"ETH": "7.5", "WBTC": "0.25"}, "copper": {"stETH": "1"}}
    whole = actor(custody=changed)
    whole.recover(msgs)
    again = actor(custody=changed)
    again.restore(first.snapshot() or b"")
    again.recover(msgs[20:])
    assert state(again) == state(whole)
    assert again.holdings.custody_coins("ETH") == whole.holdings.custody_coins("ETH")
    assert whole.holdings.custody_coins("BTC") == D("0.25")


def test_a_blob_of_another_layout_or_a_dropped_instrument_is_handled() -> None:
    a = actor()
    with pytest.raises(msgspec.ValidationError):
        a.restore(msgspec.msgpack.encode({"holdings": {}, "extra": 1}))
    b = actor()
    b.recover(journal())
    blob = msgspec.msgpack.decode(b.snapshot() or b"")
    blob["holdings"]["rows"][0]["venue"] = "gone"
    c = actor()
    c.restore(msgspec.msgpack.encode(blob))  # counted, as a replay of its fills would be
    assert c.stats()["bad_input"] == b.stats()["bad_input"] + 1
    assert len(c.holdings.book.rows) == len(b.holdings.book.rows) - 1
