"""The delta keeper's decisions: threshold, hysteresis, minimum size, pending requests,
restart, roll rule and the venue-down playbook (pyengine/portfolio/keeper.py)."""

from __future__ import annotations

from decimal import Decimal as D

from pyengine.messages import AlertRaised, HedgeRequest, HedgeResult, Message
from pyengine.portfolio import Keeper, KeeperConfig, KeeperInput

T0 = 1_700_000_000_000_000_000
S = 1_000_000_000
PX = D(3000)
CFG = KeeperConfig(default_tolerance_usd=D(50_000), min_order_usd=D(1_000), retry_after_s=30)


def x(delta: str | D, drift: str | D = "0") -> KeeperInput:
    return KeeperInput("ETH", D(delta), PX, D(drift))


def result(req: HedgeRequest, ts: int, filled: D | None = None) -> HedgeResult:
    done = req.delta if filled is None else filled
    return HedgeResult(ts_event=ts, ts_recv=ts, hedge_id=req.hedge_id, asset=req.asset,
                       target=req.delta, filled=done, residual=req.delta - done,
                       state="done" if done == req.delta else "partial")  # fmt: skip


def requests(out: list[Message]) -> list[HedgeRequest]:
    return [m for m in out if isinstance(m, HedgeRequest)]


def test_asks_for_minus_the_delta_past_the_tolerance_only() -> None:
    k = Keeper(CFG)
    assert k.decide(T0, x("16.6")) == []  # 49,800 USD: within
    (req,) = k.decide(T0, x("20"))
    assert (req.hedge_id, req.asset, req.reason) == ("keeper-ETH-1", "ETH", "delta")
    assert req.delta == -20
    assert k.decide(T0 + S, x("20")) == []  # its own request is open


def test_hysteresis_no_churn_around_the_threshold() -> None:
    k = Keeper(CFG)
    (req,) = k.decide(T0, x("20"))
    k.observe_request(req)  # our own comes back on the bus
    k.observe_result(result(req, T0 + S, filled=D(0)))  # nothing filled: delta stays
    issued = 0
    # Hovering at 0.8-1.2 x tolerance for 29 s: disarmed, nothing asked.
    for i in range(29):
        issued += len(k.decide(T0 + (i + 1) * S, x("20" if i % 2 else "13.4")))
    assert issued == 0
    # A delta that dropped under the re-arm level re-arms; inside the band nothing is asked.
    assert k.decide(T0 + 30 * S, x("8")) == []
    for i in range(20):
        assert k.decide(T0 + (31 + i) * S, x("15" if i % 2 else "-15")) == []
    (again,) = k.decide(T0 + 60 * S, x("-20"))
    assert again.hedge_id == "keeper-ETH-2" and again.delta == 20


def test_a_done_hedge_rearms_at_once() -> None:
    k = Keeper(CFG)
    (req,) = k.decide(T0, x("20"))
    k.observe_result(result(req, T0 + S))
    (nxt,) = k.decide(T0 + 2 * S, x("20"))  # a new excess (a mint, say) right after
    assert nxt.hedge_id == "keeper-ETH-2"


def test_a_failed_hedge_is_retried_after_retry_after_s() -> None:
    k = Keeper(CFG)
    (req,) = k.decide(T0, x("20"))
    k.observe_result(result(req, T0 + S, filled=D(0)))
    assert k.decide(T0 + 30 * S, x("20")) == []
    (retry,) = k.decide(T0 + 31 * S, x("20"))
    assert retry.hedge_id == "keeper-ETH-2"


def test_minimum_order_size() -> None:
    k = Keeper(KeeperConfig(default_tolerance_usd=D(100), min_order_usd=D(1_000)))
    assert k.decide(T0, x("0.1")) == []  # 300 USD past 100, below the minimum order
    (req,) = k.decide(T0, x("0.5"))
    assert req.delta == D("-0.5")


def test_pending_request_counts_and_suppresses() -> None:
    k = Keeper(CFG)
    mint = HedgeRequest(ts_event=T0, ts_recv=T0, hedge_id="mint-o1", asset="ETH",
                        delta=D(-20), reason="mint")  # fmt: skip
    k.observe_request(mint)
    # 20 ETH of new collateral, its mint hedge still to do: nothing more to ask.
    assert k.pending("ETH") == -20 and k.decide(T0, x("20")) == []
    k.observe_fill("mint-o1", D(-5))  # a child filled: 15 left, the delta shows the 5
    assert k.pending("ETH") == -15 and k.decide(T0 + S, x("15")) == []
    k.observe_fill("mint-o1", D(-16))  # overfilled: nothing left, never the other way
    assert k.pending("ETH") == 0
    # Our own open request blocks a second one even with the delta far out.
    (own,) = k.decide(T0 + 2 * S, x("30"))
    assert k.decide(T0 + 3 * S, x("60")) == [] and own.hedge_id == "keeper-ETH-1"


def test_restart_does_not_reissue_and_keeps_the_sequence() -> None:
    k = Keeper(CFG)
    (req,) = k.decide(T0, x("20"))
    # Restart with the request journaled and unanswered: it is still open.
    k2 = Keeper(CFG)
    k2.observe_request(req, recovered=True)
    assert k2.decide(T0 + S, x("20")) == []
    # Restart with its result journaled too: a new request gets the next id.
    k3 = Keeper(CFG)
    k3.observe_request(req, recovered=True)
    k3.observe_result(result(req, T0 + S, filled=D(0)))
    (nxt,) = k3.decide(T0 + 40 * S, x("20"))
    assert nxt.hedge_id == "keeper-ETH-2"


def test_inverse_drift_is_its_own_reason() -> None:
    k = Keeper(CFG)
    (req,) = k.decide(T0, x("20", drift="18"))
    assert req.reason == "inverse_rehedge"
    k.observe_result(result(req, T0 + S))
    (req2,) = k.decide(T0 + 60 * S, x("-20", drift="19"))
    assert req2.reason == "delta"  # the drift moved 1 of the 20 since the last request


def test_roll_rule_moves_the_hedge_off_the_venue() -> None:
    k = Keeper(CFG)  # max(250,000, 0.2 x equity)
    coins = {"ETH": D(-100), "BTC": D(0)}
    assert k.decide_roll(T0, "okx", D(-240_000), D(1_000_000), coins) == []
    assert k.decide_roll(T0, "okx", D(-260_000), D(2_000_000), coins) == []  # 400,000 limit
    out = k.decide_roll(T0, "okx", D(-260_000), D(1_000_000), coins)
    close, open_ = requests(out)
    assert (close.hedge_id, close.delta, close.venues, close.reason) == (
        "roll-okx-ETH-1-close",
        D(100),
        ["okx"],
        "roll",
    )
    assert (open_.hedge_id, open_.delta, open_.exclude_venues) == (
        "roll-okx-ETH-1-open", D(-100), ["okx"])  # fmt: skip
    assert any(isinstance(m, AlertRaised) and m.code == "roll" for m in out)
    # The pair nets to nothing in the pending delta, and a second roll waits for both.
    assert k.pending("ETH") == 0
    assert k.decide_roll(T0 + S, "okx", D(-300_000), D(1_000_000), coins) == []
    k.observe_result(result(close, T0 + 2 * S))
    assert k.decide_roll(T0 + 3 * S, "okx", D(-300_000), D(1_000_000), coins) == []
    k.observe_result(result(open_, T0 + 3 * S))
    (c2, _o2) = requests(k.decide_roll(T0 + 4 * S, "okx", D(-300_000), D(1_000_000), coins))
    assert c2.hedge_id == "roll-okx-ETH-2-close"


def test_venue_down_keeps_positions_then_moves_its_share() -> None:
    k = Keeper(CFG)
    alerts = k.venue_state(T0, "deribit", down=True)
    assert [a.code for a in alerts if isinstance(a, AlertRaised)] == ["venue_down"]
    coins = {"deribit": {"ETH": D(-40)}, "okx": {"ETH": D(-60)}}
    assert k.decide_down(T0 + 59 * S, coins) == []
    out = k.decide_down(T0 + 60 * S, coins)
    (move,) = requests(out)
    assert (move.delta, move.exclude_venues, move.reason) == (D(-40), ["deribit"], "venue_down")
    assert any(isinstance(m, AlertRaised) and m.severity == "critical" for m in out)
    assert k.decide_down(T0 + 61 * S, coins) == []  # once
    # While the move is open its 40 are pending; once done, the delta shows both shorts
    # and the keeper does not undo the move (the down venue's share is left out).
    k.observe_result(result(move, T0 + 62 * S))
    assert k.effective(x("-40")) == 0 and k.decide(T0 + 63 * S, x("-40")) == []
    # A delta request meanwhile avoids the down venue.
    (req,) = k.decide(T0 + 64 * S, x("-60"))
    assert req.exclude_venues == ["deribit"] and req.delta == 20
    # A venue down with nothing on it moves nothing and raises no critical alert.
    k.venue_state(T0, "bybit", down=True)
    assert k.decide_down(T0 + 61 * S, coins) == [] and k.moved["bybit"] == {}
    # Recovery: the share moved off it is closed on it (no more than it still holds).
    (back,) = requests(k.venue_state(T0 + 65 * S, "deribit", down=False, coins={"ETH": D(-30)}))
    assert back.delta == 30
    k.moved["deribit"] = {"ETH": D(-40)}
    k.down_since["deribit"] = T0
    (back,) = requests(k.venue_state(T0 + 65 * S, "deribit", down=False))
    assert (back.delta, back.venues, back.hedge_id) == (
        D(40),
        ["deribit"],
        "down-deribit-ETH-3-close",
    )
    # A restart replays the move and the close from the journal.
    k2 = Keeper(CFG)
    k2.observe_request(move, recovered=True)
    assert k2.moved == {"deribit": {"ETH": D(-40)}}
    k2.observe_request(back, recovered=True)
    assert k2.moved == {"deribit": {}}


def test_a_request_is_in_whole_satoshis() -> None:
    (req,) = Keeper(CFG).decide(T0, x(D(50_000) / D(2_999)))
    assert req.delta == D("-16.67222407")  # 16.672224074...: half-even at 8 places
