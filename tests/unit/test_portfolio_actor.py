"""The portfolio actor, driven through `handle` and `on_timer` (no loop): what it publishes,
restart from the journal, venue down, and what `pyengine status` shows."""

from __future__ import annotations

from decimal import Decimal as D

import msgspec
import pytest

from pyengine.actors.base import ActorContext
from pyengine.actors.portfolio import PortfolioActor
from pyengine.actors.supervisor import SupervisorActor
from pyengine.clock import ManualClock
from pyengine.commands import _table
from pyengine.errors import ConfigError
from pyengine.messages import (
    AlertCleared,
    AlertRaised,
    Health,
    HedgeRequest,
    HedgeResult,
    Message,
    MintOrderAccepted,
    PortfolioDelta,
    PositionReport,
    StatusReport,
    decode,
    encode,
)
from pyengine.messages.portfolio import PortfolioSnapshot
from pyengine.messages.validity import InstrumentValidity
from pyengine.runtime.embedded import SIM_CUSTODIAN, default_portfolio_options
from tests.unit.portfolio_helpers import ETH_BOOKS, T0, book, fill

S = 1_000_000_000


def actor(clock: ManualClock, **extra: object) -> PortfolioActor:
    opts = default_portfolio_options(T0 // 1_000_000)
    opts.update(custody={SIM_CUSTODIAN: {"ETH": "0", "BTC": "0"}}, recover_positions=True)
    opts.update(extra)
    return PortfolioActor(ActorContext(name="portfolio", clock=clock, options=opts))


def of(kind: type, out: list[Message]) -> list:  # type: ignore[type-arg]
    return [m for m in out if isinstance(m, kind)]


def marks(a: PortfolioActor, mid: str) -> list[Message]:
    out: list[Message] = []
    for venue, symbol in ETH_BOOKS:
        out += a.handle(book(venue, symbol, mid))
    out += a.handle(book("bybit", "linear:BTCUSDT", "60000"))
    return out


def mint(oid: str, coll: str) -> MintOrderAccepted:
    return MintOrderAccepted(
        ts_event=T0, ts_recv=T0, order_id=oid, order_type="MINT", benefactor="b",
        beneficiary="b", collateral="stETH", asset="ETH", collateral_amount=D(coll),
        usde_amount=D(coll) * 3000,
    )  # fmt: skip


def test_publishes_delta_throttled_and_asks_for_a_hedge() -> None:
    clock = ManualClock(T0)
    a = actor(clock, factors={"stETH": {"asset": "ETH", "factor": "0.998"}})
    out = marks(a, "3000")
    first = of(PortfolioDelta, out)
    assert [d.asset for d in first] == ["ETH", "BTC"]  # once each: throttled
    assert first[0].delta == 0 and first[0].tolerance_usd == 50_000
    out = a.handle(mint("m1", "100"))
    assert of(PortfolioDelta, out) == []  # inside the 0.2 s throttle
    clock.advance(S)
    out = a.on_timer(clock.now_ns())
    (eth,) = [d for d in of(PortfolioDelta, out) if d.asset == "ETH"]
    assert eth.custody == D("99.8") and eth.delta == D("99.8") and eth.liability == 300_000
    (req,) = of(HedgeRequest, out)
    assert (req.hedge_id, req.delta, req.reason) == ("keeper-ETH-1", D("-99.8"), "delta")
    (snap,) = of(PortfolioSnapshot, out)
    assert snap.view.assets["ETH"].delta_usd == D("299400.0")
    # Fills of the hedge's children count against what it still has to do.
    a.handle(req)
    child = fill("binance-usdm", "ETHUSDT", "sell", "60", "3000", parent=req.hedge_id)
    a.handle(child)
    a.handle(child)  # redelivered: counted once
    assert a.keeper.pending("ETH") == D("-39.8")
    clock.advance(S)
    out = a.on_timer(clock.now_ns())
    (eth,) = [d for d in of(PortfolioDelta, out) if d.asset == "ETH"]
    assert eth.delta == D("39.8") and eth.pending == D("-39.8") and of(HedgeRequest, out) == []
    # Unanswered for two minutes: alerted once, still blocking.
    clock.advance(120 * S)
    out = a.on_timer(clock.now_ns())
    (stale,) = of(AlertRaised, out)
    assert stale.code == "hedge_request_stale" and of(HedgeRequest, out) == []
    clock.advance(S)
    assert of(AlertRaised, a.on_timer(clock.now_ns())) == []


def test_restart_from_the_journal_rebuilds_and_does_not_reissue() -> None:
    clock = ManualClock(T0)
    a = actor(clock)
    marks(a, "3000")
    a.handle(mint("m1", "100"))
    f = fill("deribit", "ETH-PERPETUAL", "sell", "90000", "3000", fid="d1")
    a.handle(f)
    clock.advance(S)
    (req,) = of(HedgeRequest, a.on_timer(clock.now_ns()))
    assert req.delta == -70
    journal: list[Message] = [mint("m1", "100"), f, req]
    b = actor(clock)
    b.recover(decode(encode(m)) for m in journal)
    out = marks(b, "3000")
    clock.advance(S)
    out += b.on_timer(clock.now_ns())
    eth = [d for d in of(PortfolioDelta, out) if d.asset == "ETH"][-1]
    assert eth.delta == 70 and eth.pending == -70 and of(HedgeRequest, out) == []
    # With the result journaled too, the next request takes the next id.
    res = HedgeResult(
        ts_event=T0,
        ts_recv=T0,
        hedge_id=req.hedge_id,
        asset="ETH",
        target=req.delta,
        filled=D(0),
        residual=req.delta,
        state="failed",
    )
    c = actor(clock)
    c.recover([*journal, res])
    clock.advance(40 * S)
    out = marks(c, "3000")
    (nxt,) = of(HedgeRequest, out + c.on_timer(clock.now_ns()))
    assert nxt.hedge_id == "keeper-ETH-2"
    # The embedded default takes only the sequence from an earlier run's journal.
    e = actor(clock, recover_positions=False)
    e.recover([*journal])
    assert e.keeper.open == {} and e.holdings.book.rows == {} and e.keeper.seq["keeper-ETH"] == 1


def test_venue_down_keeps_its_positions_and_moves_its_share() -> None:
    clock = ManualClock(T0)
    a = actor(clock, custody={SIM_CUSTODIAN: {"ETH": "100"}})
    marks(a, "3000")
    a.handle(fill("deribit", "ETH-PERPETUAL", "sell", "120000", "3000"))  # -40 ETH
    a.handle(fill("okx", "ETH-USDT-SWAP", "sell", "600", "3000"))  # -60 ETH
    clock.advance(S)
    assert of(HedgeRequest, a.on_timer(clock.now_ns())) == []
    down = Health(ts_event=T0, ts_recv=T0, component="feed.deribit", status="down")
    assert a.handle(down) == []  # still connecting at start: not an outage
    up = Health(ts_event=T0, ts_recv=T0, component="feed.deribit", status="ok")
    a.handle(up)
    alerts = of(AlertRaised, a.handle(down))
    assert [x.code for x in alerts] == ["venue_down"]
    clock.advance(S)
    out = a.on_timer(clock.now_ns())
    (eth,) = [d for d in of(PortfolioDelta, out) if d.asset == "ETH"]
    assert eth.delta == 0 and eth.hedge == -100  # never assumed flat
    clock.advance(60 * S)
    out = a.on_timer(clock.now_ns())
    (move,) = of(HedgeRequest, out)
    assert (move.reason, move.delta, move.exclude_venues) == ("venue_down", -40, ["deribit"])
    assert of(PortfolioSnapshot, out)[0].view.venues_down == ["deribit"]


def test_status_shows_assets_and_positions() -> None:
    clock = ManualClock(T0)
    a = actor(clock, custody={SIM_CUSTODIAN: {"ETH": "10"}})
    marks(a, "3000")
    a.handle(fill("binance-coinm", "ETHUSD_PERP", "sell", "1500", "3000"))  # -5 ETH
    a.handle(PositionReport(ts_event=T0, ts_recv=T0, venue="binance-coinm",
                            symbol="ETHUSD_PERP", qty=D(-1400)))  # fmt: skip
    marks(a, "2500")
    clock.advance(S)
    (snap,) = of(PortfolioSnapshot, a.on_timer(clock.now_ns()))
    sup = SupervisorActor(ActorContext(name="supervisor"))
    sup.handle(snap)
    report = StatusReport(ts_event=T0, ts_recv=T0, engine="e", pid=1, started_ns=T0,
                          minting_paused=False, actors=[], portfolio=sup.portfolio)  # fmt: skip
    doc = msgspec.json.decode(msgspec.json.encode(report))
    eth = doc["portfolio"]["assets"]["ETH"]
    assert set(eth) >= {"custody", "hedge", "delta", "delta_usd", "tolerance_usd"}
    assert D(eth["custody"]) == 10 and D(eth["tolerance_usd"]) == 50_000
    # -1500 x 10 / 2500 = -6 ETH of contract delta, +1 ETH of coin PnL: delta 10 - 5.
    assert D(eth["hedge"]) == -5 and D(eth["delta"]) == 5 and D(eth["delta_usd"]) == 12_500
    (pos,) = doc["portfolio"]["positions"]
    assert (pos["venue"], pos["symbol"]) == ("binance-coinm", "ETHUSD_PERP")
    assert D(pos["qty"]) == -1500 and D(pos["entry"]) == 3000
    assert D(pos["upl"]) == 1 and D(pos["venue_qty"]) == -1400
    assert doc["portfolio"]["mismatches"] == 1
    text = _table(report)
    assert "ETHUSD_PERP" in text and "venue says -1400" in text and "50000" in text
    # An old report without the section still decodes.
    old = msgspec.json.encode({k: v for k, v in doc.items() if k != "portfolio"})
    assert msgspec.json.decode(old, type=StatusReport).portfolio is None


def test_bad_input_is_counted_not_raised() -> None:
    a = actor(ManualClock(T0))
    a.handle(fill("okx", "NOPE", "sell", "1", "3000"))
    a.handle(book("okx", "ETH-USDT-SWAP", "3000").__class__(
        ts_event=T0, ts_recv=T0, venue="okx", symbol="ETH-USDT-SWAP",
        bids=[("x", "1")], asks=[("3001", "1")]))  # fmt: skip
    assert a.stats()["bad_input"] == 2


def test_a_venue_whose_books_all_turn_invalid_is_down() -> None:
    clock = ManualClock(T0)
    a = actor(clock)

    def validity(symbol: str, state: str) -> InstrumentValidity:
        return InstrumentValidity(ts_event=T0, ts_recv=T0, venue="okx", symbol=symbol,
                                  state=state, reasons=[], dev_bps="", lag_ms=0)  # fmt: skip

    # Invalid from the start (startup hold): not an outage.
    assert a.handle(validity("ETH-USDT-SWAP", "invalid")) == []
    a.handle(validity("ETH-USDT-SWAP", "valid"))
    a.handle(validity("BTC-USDT-SWAP", "valid"))
    assert a.handle(validity("ETH-USDT-SWAP", "invalid")) == []  # one book of two
    (alert,) = of(AlertRaised, a.handle(validity("BTC-USDT-SWAP", "suspended")))
    assert alert.code == "venue_down" and a.keeper.down_since == {"okx": T0}
    a.handle(validity("BTC-USDT-SWAP", "valid"))
    assert a.keeper.down_since == {}


def test_a_lasting_mismatch_with_the_venue_is_alerted_then_cleared() -> None:
    clock = ManualClock(T0)
    a = actor(clock)
    marks(a, "3000")
    a.handle(fill("okx", "ETH-USDT-SWAP", "sell", "10", "3000"))
    rep = PositionReport(ts_event=T0, ts_recv=T0, venue="okx", symbol="ETH-USDT-SWAP", qty=D(-12))
    a.handle(rep)
    clock.advance(5 * S)
    assert of(AlertRaised, a.on_timer(clock.now_ns())) == []
    clock.advance(5 * S)
    (alert,) = of(AlertRaised, a.on_timer(clock.now_ns()))
    assert alert.code == "position_mismatch" and "-12" in alert.text
    clock.advance(S)
    assert of(AlertRaised, a.on_timer(clock.now_ns())) == []  # once
    row = a.holdings.book.get("okx", "ETH-USDT-SWAP")
    assert row is not None and row.qty == -10  # never copied
    a.handle(PositionReport(ts_event=T0, ts_recv=T0, venue="okx", symbol="ETH-USDT-SWAP",
                            qty=D(-10)))  # fmt: skip
    (cleared,) = of(AlertCleared, a.on_timer(clock.now_ns()))
    assert cleared.alert_id == alert.alert_id


def test_inverse_drift_is_rehedged_only_where_coin_pnl_is_not_counted() -> None:
    def run(count_upl: bool) -> list[HedgeRequest]:
        clock = ManualClock(T0)
        a = actor(clock, custody={SIM_CUSTODIAN: {"ETH": "100"}}, count_upl=count_upl)
        out = a.handle(fill("deribit", "ETH-PERPETUAL", "sell", "300000", "3000"))  # -100 ETH
        out += marks(a, "3000")
        clock.advance(S)
        out += a.on_timer(clock.now_ns())
        out += marks(a, "2000")  # the short's N cv / P is now -150 ETH
        clock.advance(S)
        out += a.on_timer(clock.now_ns())
        return of(HedgeRequest, out)

    assert run(count_upl=True) == []  # its +50 ETH of coin PnL makes up for it
    (req,) = run(count_upl=False)
    assert (req.reason, req.delta) == ("inverse_rehedge", D(50))


def test_an_accepted_mint_counts_its_hedge_before_the_request_arrives() -> None:
    clock = ManualClock(T0)
    a = actor(clock)
    marks(a, "3000")
    m = msgspec.structs.replace(mint("o1", "100"), hedge_id="mint-o1")
    out = a.handle(m)
    clock.advance(S)
    out += a.on_timer(clock.now_ns())
    assert of(HedgeRequest, out) == []  # the mint's own hedge is on its way
    assert a.keeper.pending("ETH") == -100
    req = HedgeRequest(ts_event=T0, ts_recv=T0, hedge_id="mint-o1", asset="ETH",
                       delta=D("-99.5"), reason="mint")  # fmt: skip
    a.handle(req)  # the request itself replaces what was expected
    assert a.keeper.pending("ETH") == D("-99.5")
    res = HedgeResult(
        ts_event=T0,
        ts_recv=T0,
        hedge_id="mint-o1",
        asset="ETH",
        target=req.delta,
        filled=D(0),
        residual=req.delta,
        state="failed",
    )
    a.handle(res)
    a.handle(req)  # redelivered after its result: stays done
    assert a.keeper.pending("ETH") == 0


def test_bad_options_name_their_key() -> None:
    with pytest.raises(ConfigError, match=r"custody\.c\.ETH"):
        actor(ManualClock(T0), custody={"c": {"ETH": "lots"}})
    with pytest.raises(ConfigError, match=r"instruments\[0\]"):
        actor(ManualClock(T0), instruments=[{"venue": "okx", "path": "/nonexistent.json"}])
    with pytest.raises(ConfigError, match="rearm_ratio"):
        actor(ManualClock(T0), rearm_ratio="half")
    ok = actor(ManualClock(T0), custody={"c": {"ETH": 5}})  # a TOML integer is exact
    assert ok.holdings.custody_coins("ETH") == 5
