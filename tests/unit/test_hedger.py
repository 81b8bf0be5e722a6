"""The hedger driven through `handle` with no event loop: books and validity in, a hedge
request in, child `SubmitOrder`s out; the venue's answers (fills, IOC remainders
cancelled, refusals, unknown outcomes) come back as the execution actor would publish them."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest

from pyengine.actors.base import ActorContext
from pyengine.actors.hedger import Hedger
from pyengine.clock import ManualClock
from pyengine.errors import ConfigError
from pyengine.messages import (
    BookDepth,
    BookTop,
    CancelOrder,
    Health,
    HedgeRequest,
    HedgeResult,
    Message,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderRejected,
    OrderStatusUnknown,
    SubmitOrder,
)
from pyengine.messages.validity import InstrumentValidity
from pyengine.orders import child_order_id
from pyengine.runtime.embedded import sim_instruments
from pyengine.store.hedges import HedgeJournal

SEC = 1_000_000_000
ETH_BOOKS = {
    # (venue, symbol): (mid, tick, size per level in the instrument's unit)
    ("binance-usdm", "ETHUSDT"): (D("3000"), D("0.01"), D("50")),
    ("binance-coinm", "ETHUSD_PERP"): (D("3000"), D("0.01"), D("15000")),
    ("okx", "ETH-USDT-SWAP"): (D("3000"), D("0.01"), D("500")),
    ("deribit", "ETH-PERPETUAL"): (D("3000"), D("0.05"), D("150000")),
}
SHARES = {"binance-usdm": "0.5", "binance-coinm": "0.3", "okx": "0.3", "deribit": "0.2"}
TAKER = {"binance-usdm": "0.0004", "binance-coinm": "0.0005", "okx": "0.0005", "deribit": "0.0005"}


def options(journal: Path, **extra: object) -> dict[str, object]:
    return {
        "instruments": [{"venue": v, "path": p, "symbols": s} for v, p, s in sim_instruments()],
        "journal": str(journal),
        "journal_synchronous": "normal",
        "venues": {v: {"max_share": SHARES[v], "taker_fee": TAKER[v]} for v in SHARES},
        "round_interval_s": 0.1,
        **extra,
    }


def hedger(tmp_path: Path, clock: ManualClock, **extra: object) -> Hedger:
    h = Hedger(
        ActorContext(name="hedger", clock=clock, options=options(tmp_path / "h.db", **extra))
    )
    h.on_start()
    feed(h)
    return h


def depth(venue: str, symbol: str, mid: D, tick: D, size: D, *, levels: int = 20) -> BookDepth:
    bids = [(str(mid - tick * (i + 1)), str(size)) for i in range(levels)]
    asks = [(str(mid + tick * (i + 1)), str(size)) for i in range(levels)]
    return BookDepth(ts_event=1, ts_recv=1, venue=venue, symbol=symbol, bids=bids, asks=asks)


def valid(venue: str, symbol: str, state: str = "valid") -> InstrumentValidity:
    return InstrumentValidity(
        ts_event=1,
        ts_recv=1,
        venue=venue,
        symbol=symbol,
        state=state,
        reasons=[],
        dev_bps="",
        lag_ms=0,
    )


def feed(h: Hedger, books: dict[tuple[str, str], tuple[D, D, D]] = ETH_BOOKS) -> None:
    for (venue, symbol), (mid, tick, size) in books.items():
        h.handle(depth(venue, symbol, mid, tick, size))
        h.handle(valid(venue, symbol))


def request(delta: str, hid: str = "mint-1", asset: str = "ETH", **kw: Any) -> HedgeRequest:
    return HedgeRequest(
        ts_event=2, ts_recv=2, hedge_id=hid, asset=asset, delta=D(delta), reason="mint", **kw
    )


def submits(out: Sequence[Message]) -> list[SubmitOrder]:
    return [m for m in out if isinstance(m, SubmitOrder)]


def results(out: Sequence[Message]) -> list[HedgeResult]:
    return [m for m in out if isinstance(m, HedgeResult)]


def fill(o: SubmitOrder, qty: D | None = None, price: D | None = None, n: int = 0) -> OrderFilled:
    return OrderFilled(
        ts_event=3,
        ts_recv=3,
        client_order_id=o.client_order_id,
        venue=o.venue,
        symbol=o.symbol,
        side=o.side,
        fill_id=f"F-{o.client_order_id}-{n}",
        qty=o.qty if qty is None else qty,
        price=D(3000) if price is None else price,  # at the mid: what the plan expects
        parent_id=o.parent_id,
    )


def accepted(o: SubmitOrder) -> OrderAccepted:
    return OrderAccepted(ts_event=3, ts_recv=3, client_order_id=o.client_order_id, venue=o.venue)


def risk_refusal(o: SubmitOrder, code: str) -> OrderRejected:
    """The risk gate's definitive refusal of `o` for `code`."""
    return OrderRejected(
        ts_event=3,
        ts_recv=3,
        client_order_id=o.client_order_id,
        venue=o.venue,
        reason=code,
        stage="risk",
        codes=[code],
    )


def ioc_end(o: SubmitOrder) -> OrderCanceled:
    return OrderCanceled(
        ts_event=4, ts_recv=4, client_order_id=o.client_order_id, venue=o.venue, reason="ioc"
    )


def coins(o: SubmitOrder, qty: D, price: D) -> D:
    if o.symbol in ("ETHUSD_PERP",):
        return qty * 10 / price
    if o.symbol == "ETH-PERPETUAL":
        return qty / price
    if o.symbol == "ETH-USDT-SWAP":
        return qty * D("0.1")
    return qty


def fill_all(h: Hedger, orders: Sequence[SubmitOrder]) -> list[Message]:
    out: list[Message] = []
    for o in orders:
        out += h.handle(accepted(o))
        out += h.handle(fill(o))
    return out


def test_a_sell_is_split_by_depth_and_fees_within_concentration_and_ends_done(
    tmp_path: Path,
) -> None:
    clock = ManualClock()
    h = hedger(tmp_path, clock)
    target = D(-1000)  # $3M of ETH: deeper than any one book, past every venue's share
    out = h.handle(request(str(target)))
    children = submits(out)
    assert len({o.venue for o in children}) >= 3
    for i, o in enumerate(children):
        assert o.client_order_id == child_order_id("mint-1", i, o.venue)
        assert o.parent_id == "mint-1" and o.side == "sell" and not o.reduce_only
        assert o.tif == "ioc" and o.order_type == "limit" and o.price is not None
        # within the 20 bps cap of the touch (3000 - tick)
        assert o.price >= D("2999.99") * (1 - D("0.002")) - D("0.05")
    planned = {o.venue: coins(o, o.qty, D(3000)) for o in children}
    total = sum(planned.values(), D(0))
    assert abs(total + target) <= D("1")
    for venue, c in planned.items():
        assert c <= D(SHARES[venue]) * abs(target) + D("0.5"), venue
    out = fill_all(h, children)
    (res,) = results(out)
    assert res.state == "done" and res.hedge_id == "mint-1"
    assert abs(res.filled - target) <= D(1000) / D(3000)  # within tolerance_usd
    assert sum((leg.coin_delta for leg in res.legs), D(0)) == res.filled
    assert res.vwap is not None and res.planned_vwap is not None
    assert h.requests()[-1]["state"] == "done" and h.requests()[-1]["filled"] == res.filled


def test_partial_fills_and_ioc_remainders_are_re_planned_next_round(tmp_path: Path) -> None:
    clock = ManualClock()
    h = hedger(tmp_path, clock)
    first = submits(h.handle(request("-100")))
    for o in first:
        h.handle(accepted(o))
        h.handle(
            fill(o, qty=(o.qty / 2).quantize(D(1)) if o.venue != "binance-usdm" else o.qty / 2)
        )
        assert not submits(h.handle(ioc_end(o)))  # the round pause first
    clock.advance(SEC // 5)
    second = submits(h.on_timer(clock.now_ns()))
    assert second
    ids = {o.client_order_id for o in first}
    assert not ids & {o.client_order_id for o in second}
    # indices continue across rounds: ids never repeat
    assert second[0].client_order_id == child_order_id("mint-1", len(first), second[0].venue)
    out = fill_all(h, second)
    (res,) = results(out)
    assert res.state == "done" and abs(res.filled + 100) <= D(1) / 3


def test_a_definitive_refusal_re_plans_its_quantity_elsewhere_at_once(tmp_path: Path) -> None:
    h = hedger(tmp_path, ManualClock())
    first = submits(h.handle(request("-60")))
    refused = first[0]
    out = h.handle(risk_refusal(refused, "max_position"))
    again = submits(out)
    assert again and all((o.venue, o.symbol) != (refused.venue, refused.symbol) for o in again)
    replaced = coins(refused, refused.qty, D(3000))
    assert abs(sum((coins(o, o.qty, D(3000)) for o in again), D(0)) - replaced) <= D("0.5")


def test_an_unknown_outcome_stays_in_flight_and_is_not_re_planned(tmp_path: Path) -> None:
    clock = ManualClock()
    h = hedger(tmp_path, clock)
    o, *others = submits(h.handle(request("-10")))
    out = h.handle(
        OrderStatusUnknown(
            ts_event=3,
            ts_recv=3,
            client_order_id=o.client_order_id,
            venue=o.venue,
            reason="timeout",
            codes=["timeout"],
        )
    )
    assert not submits(out)
    fill_all(h, others)
    for _ in range(3):
        clock.advance(5 * SEC)
        out = h.on_timer(clock.now_ns())
        assert not submits(out) and not results(out)
    out = [*h.handle(accepted(o)), *h.handle(fill(o))]
    (res,) = results(out)
    assert res.state == "done"


def test_a_venue_going_down_moves_the_remainder_to_the_others(tmp_path: Path) -> None:
    h = hedger(tmp_path, ManualClock())
    first = submits(h.handle(request("-1000")))
    assert "binance-coinm" in {o.venue for o in first}
    for o in first:
        if o.venue != "binance-coinm":
            h.handle(accepted(o))
            h.handle(fill(o))
    out = h.handle(
        Health(ts_event=5, ts_recv=5, component="feed.binance-coinm", status="down", detail="x")
    )
    cancels = [m for m in out if isinstance(m, CancelOrder)]
    assert cancels and all(c.venue == "binance-coinm" for c in cancels)
    moved = submits(out)
    assert moved and "binance-coinm" not in {o.venue for o in moved}
    out = fill_all(h, moved)
    (res,) = results(out)
    assert abs(res.filled + 1000) <= D(1) or res.state == "partial"


def test_post_only_children_are_cancelled_on_timeout_and_re_planned(tmp_path: Path) -> None:
    clock = ManualClock()
    h = hedger(tmp_path, clock)
    kids = submits(h.handle(request("-10", policy="post_only", post_only_timeout_s=1.0)))
    assert kids and all(o.order_type == "post_only" and o.tif == "gtx" for o in kids)
    assert all(o.price is not None and o.price > D(3000) for o in kids)  # resting at the ask
    for o in kids:
        h.handle(accepted(o))
    clock.advance(2 * SEC)
    cancels = [m for m in h.on_timer(clock.now_ns()) if isinstance(m, CancelOrder)]
    assert {c.client_order_id for c in cancels} == {o.client_order_id for o in kids}
    out: list[Message] = []
    for o in kids:
        out += h.handle(ioc_end(o))
    again = submits(out)  # the round pause has passed: re-planned at once
    assert again and all(o.order_type == "post_only" for o in again)
    assert not {o.client_order_id for o in again} & {o.client_order_id for o in kids}


def test_a_redeem_buys_back_reduce_only_and_never_flips(tmp_path: Path) -> None:
    clock = ManualClock()
    h = hedger(tmp_path, clock, venues={"binance-usdm": {"max_share": "1"}})
    sells = submits(h.handle(request("-30", hid="mint-1", venues=["binance-usdm"])))
    assert results(fill_all(h, sells))
    out = h.handle(request("50", hid="redeem-1"))
    buys = submits(out)
    assert buys and all(o.side == "buy" and o.reduce_only for o in buys)
    assert {o.venue for o in buys} == {"binance-usdm"}  # only where we are short
    assert sum((o.qty for o in buys), D(0)) <= D(30)
    out = fill_all(h, buys)
    for _ in range(25):  # nothing more to buy back: rounds run out
        clock.advance(SEC)
        out += h.on_timer(clock.now_ns())
        assert not submits(out)
    (res,) = results(out)
    assert res.state == "partial" and res.filled == D(30) and res.residual == D(20)
    held = h.rounds.holdings.qty[("binance-usdm", "ETHUSDT")]  # type: ignore[union-attr]
    assert held <= 0  # flat at most, never long


def test_a_repeated_request_is_recognised(tmp_path: Path) -> None:
    h = hedger(tmp_path, ManualClock())
    assert submits(h.handle(request("-10")))
    assert not h.handle(request("-10"))
    assert h.stats()["duplicates"] == 1


def test_every_child_is_journaled_before_it_is_returned(tmp_path: Path) -> None:
    h = hedger(tmp_path, ManualClock())
    kids = submits(h.handle(request("-100")))
    # read through a second connection: committed, not staged
    j = HedgeJournal(tmp_path / "h.db")
    (jh,) = j.load()
    assert [c.submit.client_order_id for c in jh.children] == [o.client_order_id for o in kids]
    ((rnd, _, body),) = list(j.plans("mint-1"))
    assert rnd == 1 and body["children"] == [o.client_order_id for o in kids]
    assert len(body["legs"]) == len(kids) and body["candidates"]
    j.close()


def test_a_restart_resumes_from_the_journal_with_the_same_ids(tmp_path: Path) -> None:
    clock = ManualClock()
    h = hedger(tmp_path, clock)
    kids = submits(h.handle(request("-1000")))
    assert len(kids) >= 3
    done, lost, unanswered = kids[0], kids[1], kids[2:]
    events: list[Message] = [accepted(done), fill(done), accepted(lost), ioc_end(lost)]
    partial = fill(
        lost, qty=(lost.qty / 2).quantize(D(1)) if lost.venue != "binance-usdm" else D(1)
    )
    events.insert(3, partial)
    for e in events[:2]:
        h.handle(e)
    h.close()  # killed: the fill of `lost` and its end reached the recorder, not the hedger
    clock.advance(SEC)
    again = Hedger(ActorContext(name="hedger", clock=clock, options=options(tmp_path / "h.db")))
    again.recover([request("-1000"), *events])
    out = again.on_start()
    resent = submits(out)
    # the children nobody answered are sent again under their ids; nothing else is
    assert {o.client_order_id for o in resent} == {o.client_order_id for o in unanswered}
    assert [(o.venue, o.symbol, o.qty, o.price) for o in resent] == [
        (o.venue, o.symbol, o.qty, o.price) for o in unanswered
    ]
    feed(again)
    out = []
    for o in unanswered:
        out += again.handle(accepted(o))
        out += again.handle(fill(o))
    clock.advance(SEC)
    rest = submits([*out, *again.on_timer(clock.now_ns())])
    # the residual (what `lost` did not fill) is re-planned under new ids
    assert rest and not {o.client_order_id for o in rest} & {o.client_order_id for o in kids}
    left = coins(lost, lost.qty - partial.qty, D(3000))
    assert abs(sum((coins(o, o.qty, D(3000)) for o in rest), D(0)) - left) <= D("0.5")
    out = fill_all(again, rest)
    (res,) = results(out)
    assert res.state == "done" and abs(res.filled + 1000) <= D(1) / 3
    # the fills before the restart count once
    assert again.stats()["fills"] == 2 + len(unanswered) + len(rest)


def test_depth_falls_back_to_the_book_top_until_depth_arrives(tmp_path: Path) -> None:
    h = Hedger(ActorContext(name="hedger", clock=ManualClock(), options=options(tmp_path / "t.db")))
    h.on_start()
    top = BookTop(
        ts_event=1,
        ts_recv=1,
        venue="binance-usdm",
        symbol="ETHUSDT",
        bids=[("2999.9", "5")],
        asks=[("3000.1", "5")],
    )
    h.handle(top)
    h.handle(valid("binance-usdm", "ETHUSDT"))
    (o,) = submits(h.handle(request("-3")))
    # one venue: its 50 % share of the hedge is all it may take
    assert o.venue == "binance-usdm" and o.qty == D("1.5")
    h.handle(depth("binance-usdm", "ETHUSDT", D(3000), D("0.01"), D(1)))
    h.handle(top)  # ignored now: the deeper view stays
    book = h.rounds.market.books[("binance-usdm", "ETHUSDT")]  # type: ignore[union-attr]
    assert len(book.bids) == 20


def test_invalid_data_and_unknown_assets_are_not_routed(tmp_path: Path) -> None:
    h = hedger(tmp_path, ManualClock())
    for venue, symbol in ETH_BOOKS:
        h.handle(valid(venue, symbol, "invalid"))
    out = h.handle(request("-10"))
    assert not submits(out)
    (res,) = results(h.handle(request("-1", hid="x", asset="DOGE")))
    assert res.state == "failed"


def test_bad_options_are_config_errors(tmp_path: Path) -> None:
    from pyengine.errors import ConfigError

    with pytest.raises(ConfigError):
        Hedger(ActorContext(name="h", options={"max_rounds": 0}))
    with pytest.raises(ConfigError):
        Hedger(ActorContext(name="h", options={"tolerance_usd": "abc"}))


def test_explain_prints_the_plan_inputs_legs_and_result(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from pyengine.cli import main

    h = hedger(tmp_path, ManualClock())
    kids = submits(h.handle(request("-100")))
    fill_all(h, kids)
    h.close()
    journal = str(tmp_path / "h.db")
    assert main(["explain", "mint-1", "--journal", journal, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["request"]["hedge_id"] == "mint-1" and report["state"] == "done"
    (rnd,) = report["rounds"]
    assert {c["venue"] for c in rnd["candidates"]} == {v for v, _ in ETH_BOOKS}
    assert [leg["venue"] for leg in rnd["legs"]] == [o.venue for o in kids]
    assert D(rnd["legs"][0]["qty"]) == kids[0].qty  # exact decimals, as strings
    assert report["result"]["state"] == "done" and len(report["fills"]) == len(kids)
    assert main(["explain", "mint-1", "--journal", journal]) == 0
    text = capsys.readouterr().out
    assert "round 1" in text and "result done" in text
    assert main(["explain", "nope", "--journal", journal]) == 1


def test_status_reports_hedge_requests_with_exact_amounts() -> None:
    import msgspec

    from pyengine.messages import StatusReport, decode, encode
    from pyengine.messages.control import HedgeRequestStatus, HedgingStatus

    row = HedgeRequestStatus(id="m", asset="ETH", target=D("-1.5"), filled=D("-1"), state="working")
    report = StatusReport(
        ts_event=1,
        ts_recv=1,
        engine="e",
        pid=1,
        started_ns=1,
        minting_paused=False,
        actors=[],
        hedging=HedgingStatus(requests=[row]),
    )
    assert decode(encode(report)) == report
    body = msgspec.json.decode(msgspec.json.encode(report))
    assert body["hedging"]["requests"] == [
        {"id": "m", "asset": "ETH", "target": "-1.5", "filled": "-1", "state": "working"}
    ]


def test_the_journal_is_private_whatever_the_umask(tmp_path: Path) -> None:
    import os

    old = os.umask(0)
    try:
        j = HedgeJournal(tmp_path / "var" / "h.db")
        j.begin(request("-1"), 1)
        j.commit()
    finally:
        os.umask(old)
    assert (tmp_path / "var" / "h.db").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "var").stat().st_mode & 0o777 == 0o700
    j.close()


def test_legs_larger_than_the_risk_gate_s_order_cap_go_as_several_children(
    tmp_path: Path,
) -> None:
    h = hedger(tmp_path, ManualClock(), max_child_usd="100000")
    kids = submits(h.handle(request("-1000")))
    for o in kids:
        assert coins(o, o.qty, D(3000)) * 3000 <= D(100_000) + D(1), o
    total = sum((coins(o, o.qty, D(3000)) for o in kids), D(0))
    assert abs(total - 1000) <= D(1)
    assert len({o.client_order_id for o in kids}) == len(kids) > 30
    (res,) = results(fill_all(h, kids))
    assert res.state == "done"


class Venue:
    """A venue that deduplicates by client order id (as Binance, Bybit and OKX do): a new
    order fills at once, in `parts` fills, and its IOC remainder (none) ends it; a known id
    gets nothing new. It keeps what it did, so a restarted hedger meets the same venue."""

    def __init__(self, parts: int = 2) -> None:
        self.orders: dict[str, SubmitOrder] = {}
        self.parts = parts

    def take(self, out: Sequence[Message]) -> list[Message]:
        events: list[Message] = []
        for o in submits(out):
            if o.client_order_id in self.orders:
                continue
            self.orders[o.client_order_id] = o
            events.append(accepted(o))
            q = o.qty / self.parts
            if o.venue != "binance-usdm":
                q = q.quantize(D(1))
            events += [fill(o, qty=q, n=0), fill(o, qty=o.qty - q, n=1)]
        return events

    def position(self) -> D:
        """Coins the venues hold from our orders (negative: short)."""
        return -sum((coins(o, o.qty, D(3000)) for o in self.orders.values()), D(0))


def run_hedge(
    h: Hedger, venue: Venue, clock: ManualClock, queue: list[Message], kill_at: int
) -> tuple[list[Message], bool]:
    """Deliver the venue's answers one by one; stop after `kill_at` deliveries (the last
    `handle`'s output is lost, as when the process dies before emitting it). Returns the
    messages delivered and whether the hedge ended."""
    delivered: list[Message] = []
    steps = 0
    while queue or steps < kill_at:
        if not queue:
            clock.advance(SEC)
            out = h.on_timer(clock.now_ns())
            if results(out):
                return delivered, True
            queue.extend(venue.take(out))
            if not queue:
                return delivered, False
            continue
        msg = queue.pop(0)
        out = h.handle(msg)
        delivered.append(msg)
        steps += 1
        if steps == kill_at:
            return delivered, False
        if results(out):
            return delivered, True
        queue.extend(venue.take(out))
    return delivered, False


@pytest.mark.parametrize("kill_at", range(1, 60, 4))
def test_killed_at_any_point_and_restarted_no_duplicate_no_lost_fill(
    tmp_path: Path, kill_at: int
) -> None:
    clock = ManualClock()
    venue = Venue()
    h = hedger(tmp_path, clock, max_child_usd="150000")
    req = request("-1000")
    out = h.handle(req)
    queue = venue.take(out)
    delivered, ended = run_hedge(h, venue, clock, queue, kill_at)
    assert not ended
    h.close()  # SIGKILL: the staged, uncommitted work of the last handle is lost with it
    journal = [req, *delivered]  # what the recorder had durably
    again = Hedger(ActorContext(name="hedger", clock=clock, options=options(tmp_path / "h.db")))
    again.recover(journal)
    resent = again.on_start()
    feed(again)
    before = dict(venue.orders)
    queue = [*queue, *venue.take(resent)]
    # a resend never becomes a second order: ids the venue had are not new orders there
    assert all(venue.orders[k] == v for k, v in before.items())
    _, ended = run_hedge(again, venue, clock, queue, 10_000)
    assert ended
    (res,) = list(again.rounds.finished.values())  # type: ignore[union-attr]
    assert res.state == "done"
    # no lost fill: what the venues hold is what the hedger counted, within tolerance
    assert res.filled == venue.position()
    assert abs(res.filled + 1000) <= D(1000) / D(3000)
    # every child id the venue saw is one the journal derived: index by index, none reused
    ids = sorted(venue.orders)
    assert len(ids) == len(set(ids))
    hj = HedgeJournal(tmp_path / "h.db")
    (jh,) = hj.load(include_finished=True)
    assert set(ids) <= {c.submit.client_order_id for c in jh.children}
    hj.close()


def test_status_table_lists_hedge_requests() -> None:
    from pyengine.commands import _table
    from pyengine.messages import StatusReport
    from pyengine.messages.control import HedgeRequestStatus, HedgingStatus

    row = HedgeRequestStatus(
        id="mint-7", asset="ETH", target=D("-3333.5"), filled=D("-3333.4"), state="done"
    )
    report = StatusReport(
        ts_event=1,
        ts_recv=1,
        engine="e",
        pid=1,
        started_ns=1,
        minting_paused=False,
        actors=[],
        hedging=HedgingStatus(requests=[row]),
    )
    line = _table(report).splitlines()[-1]
    assert line.split() == ["mint-7", "ETH", "-3333.500000", "-3333.400000", "done"]


def test_a_hedge_waits_for_valid_books_then_routes_or_gives_up(tmp_path: Path) -> None:
    clock = ManualClock()
    h = hedger(tmp_path, clock, max_wait_s=10.0)
    for venue, symbol in ETH_BOOKS:
        h.handle(valid(venue, symbol, "suspended"))
    assert not submits(h.handle(request("-10")))
    assert not submits(h.handle(request("-10", hid="never")))
    clock.advance(3 * SEC)
    assert not h.on_timer(clock.now_ns())  # waiting is not a round: nothing ends yet
    for venue, symbol in ETH_BOOKS:
        h.handle(valid(venue, symbol))
    clock.advance(SEC)
    kids = submits(h.on_timer(clock.now_ns()))
    assert {o.parent_id for o in kids} == {"mint-1", "never"}
    for venue, symbol in ETH_BOOKS:
        h.handle(valid(venue, symbol, "invalid"))
    fill_all(h, [o for o in kids if o.parent_id == "mint-1"])
    for o in kids:
        if o.parent_id == "never":
            h.handle(ioc_end(o))
    clock.advance(20 * SEC)
    (res,) = results(h.on_timer(clock.now_ns()))
    assert res.hedge_id == "never" and res.state == "failed" and res.reason == "no_candidates"


def test_inverse_holdings_reach_the_planner_as_exact_short_decimals(tmp_path: Path) -> None:
    h = hedger(tmp_path, ManualClock())
    sells = submits(h.handle(request("-7", venues=["deribit"])))
    # filled at a price whose inverse coins do not terminate
    for o in sells:
        h.handle(accepted(o))
        h.handle(fill(o, price=D("2999.7")))
    buys = submits(h.handle(request("1", hid="redeem-1", venues=["deribit"])))
    assert buys and all(o.reduce_only and o.venue == "deribit" for o in buys)


def test_without_recover_nothing_of_an_earlier_run_resumes_and_its_ids_stay_spent(
    tmp_path: Path,
) -> None:
    clock = ManualClock()
    h = hedger(tmp_path, clock)
    assert submits(h.handle(request("-100")))
    h.close()
    fresh = Hedger(
        ActorContext(name="hedger", clock=clock, options=options(tmp_path / "h.db", recover=False))
    )
    fresh.recover([request("-100")])
    assert not fresh.on_start()
    feed(fresh)
    assert not fresh.handle(request("-100")) and fresh.stats()["duplicates"] == 1
    assert fresh.rounds is not None and not fresh.rounds.holdings.qty
    assert submits(fresh.handle(request("-100", hid="mint-2")))


def test_sells_are_planned_only_into_the_risk_gate_s_position_room(tmp_path: Path) -> None:
    """`max_position` (the risk gate's per-instrument limit): an instrument gets no more than
    the room it has left, a full one none, and the rest goes elsewhere, so the
    gate has nothing to refuse (the embedded engine used to walk into its limits, be
    refused, and end its keeper's hedges `failed`)."""
    clock = ManualClock()
    limits = {"binance-usdm:ETHUSDT": "30", "deribit:ETH-PERPETUAL": "0"}
    h = hedger(tmp_path, clock, max_position=limits)
    first = submits(h.handle(request("-50", hid="mint-0")))
    fill_all(h, first)
    held = sum((o.qty for o in first if o.venue == "binance-usdm"), D(0))
    assert D(0) < held <= D(30) and all(o.venue != "deribit" for o in first)
    children = submits(h.handle(request("-20")))
    assert sum((o.qty for o in children if o.venue == "binance-usdm"), D(0)) <= D(30) - held
    assert all(o.venue != "deribit" for o in children)
    assert abs(sum(coins(o, o.qty, D(3000)) for o in children) - D(20)) <= D(1)


def test_a_position_limit_that_is_not_a_venue_symbol_pair_is_a_config_error(
    tmp_path: Path,
) -> None:
    with pytest.raises(ConfigError, match="max_position"):
        hedger(tmp_path, ManualClock(), max_position={"ETHUSDT": "30"})
    with pytest.raises(ConfigError, match="max_position"):
        hedger(tmp_path, ManualClock(), max_position={"okx:ETH-USDT-SWAP": "-1"})
