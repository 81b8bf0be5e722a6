"""The rfq actor's decisions, driven through `handle` on a manual clock (no loop, no server).

Orders are signed with the development key; the chain's answers are fed back as the runner
would deliver them (`Replied` with `OrderFacts`, a `Submission`), so every refusal path and
every race is decided exactly as in production: in one `handle` call at a time.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec
import pytest

from pyengine.actors.base import ActorContext
from pyengine.actors.effects import Call
from pyengine.actors.rfq import RfqActor
from pyengine.actors.rfq_chain import ChainSetup, Token
from pyengine.actors.rfq_codes import ApiCode
from pyengine.actors.rfq_types import (
    ApiAnswer,
    ApiCall,
    ErrorBody,
    OrderBody,
    OrderPost,
    RfqQuery,
    RfqResponse,
    parse_order,
)
from pyengine.chain.client import Capacity, RefusedOnChain, Submission
from pyengine.chain.local import DEV_ACCOUNT, dev_key
from pyengine.chain.order import Domain, Order, Route, sign_order
from pyengine.chain.refusals import Refusal, RefusalKind
from pyengine.chain.validate import OrderFacts, TokenConfig
from pyengine.clock import ManualClock
from pyengine.messages import QuoteIssued
from pyengine.messages.effects import Failed, Received, Replied
from pyengine.messages.hedging import HedgeRequest
from pyengine.messages.pricing import (
    MintOrderAccepted,
    QuotePriced,
    QuoteRequest,
    QuoteUnavailable,
)
from pyengine.messages.validity import RfqLookback

MS = 1_000_000
WETH = "0x" + "11" * 20
USDT = "0x" + "22" * 20
USDE = "0x" + "33" * 20
MINTING = "0x" + "44" * 20
CUSTODIAN = "0x" + "55" * 20
DOMAIN = Domain(chain_id=31337, verifying_contract="0x" + "44" * 20)
KEY = dev_key(0)
OTHER_KEY = dev_key(8)
E18 = 10**18


class DomainOnly:
    """The one ChainClient attribute `handle` reads; chain I/O runs in effects, not here."""

    domain = DOMAIN


def actor(clock: ManualClock, **options: Any) -> RfqActor:
    chain = ChainSetup(
        client=DomainOnly(),  # type: ignore[arg-type]
        tokens={"WETH": Token("WETH", WETH, 18, False), "USDT": Token("USDT", USDT, 6, True)},
        usde=USDE,
        route=Route((CUSTODIAN,), (10_000,)),
    )
    return RfqActor(ActorContext(name="rfq", clock=clock, options=options), chain)


def answers(out: Any) -> list[ApiAnswer]:
    return [
        c.start.args[1]  # type: ignore[attr-defined]
        for c in out
        if isinstance(c, Call) and c.correlation_id.startswith("reply:")
    ]


def call(route: str, params: Any, cid: str) -> Received:
    return Received(source="http", item=ApiCall(cid, route, params, lambda a: None))  # type: ignore[arg-type]


def quote(a: RfqActor, clock: ManualClock, size: str = "25", side: str = "MINT") -> RfqResponse:
    n = a.counts["http_rfq"]
    out = a.handle(call("rfq", RfqQuery(pair="WETH/USDe", side=side, size=Decimal(size)), f"q{n}"))  # type: ignore[arg-type]
    (req,) = [m for m in out if isinstance(m, QuoteRequest)]
    priced = QuotePriced(
        ts_event=clock.t,
        ts_recv=clock.t,
        request_id=req.request_id,
        pair=req.pair,
        side=req.side,
        size=req.size,
        collateral_asset=WETH,
        collateral_amount=Decimal(size) * E18,
        usde_amount=Decimal(size) * 3000 * E18,
    )
    out = a.handle(priced)
    assert any(isinstance(m, QuoteIssued) for m in out)
    (ans,) = answers(out)
    assert isinstance(ans.body, RfqResponse)
    return ans.body


def order_post(
    q: RfqResponse, clock: ManualClock, *, nonce: int = 7, key: bytes = KEY, **change: Any
) -> OrderPost:
    fields: dict[str, Any] = {
        "order_id": q.rfq_id,
        "order_type": 0 if q.side == "MINT" else 1,
        "expiry": clock.t // 10**9 + 60,
        "nonce": nonce,
        "benefactor": DEV_ACCOUNT,
        "beneficiary": DEV_ACCOUNT,
        "collateral_asset": q.collateral_asset,
        "collateral_amount": int(q.collateral_amount),
        "usde_amount": int(q.usde_amount),
    }
    fields.update(change)
    sig = sign_order(Order.checked(**fields), DOMAIN, key)
    return OrderPost(**fields, signature=sig.signature_bytes, signature_type=0)


def facts(**change: Any) -> OrderFacts:
    base: dict[str, Any] = {
        "domain": DOMAIN,
        "timestamp": 0,
        "token": TokenConfig(1, True, 10**30, 10**30),
        "collateral_decimals": 18,
        "usde_decimals": 18,
        "asset_minted": 0,
        "asset_redeemed": 0,
        "global_minted": 0,
        "global_redeemed": 0,
        "global_max_mint": 10**30,
        "global_max_redeem": 10**30,
        "stables_delta_limit": 0,
        "benefactor_whitelisted": True,
        "beneficiary_approved": False,
        "delegation_status": 0,
        "eip1271_valid": None,
        "custodians": frozenset({CUSTODIAN}),
        "nonce_word": 0,
        "collateral_balance": 10**30,
        "collateral_allowance": 2**256 - 1,
        "usde_balance": 10**30,
        "usde_allowance": 2**256 - 1,
        "contract_collateral_balance": 10**30,
    }
    base.update(change)
    return OrderFacts(**base)


def code(out: Any) -> int:
    (ans,) = answers(out)
    assert isinstance(ans.body, ErrorBody), ans
    return ans.body.code


def post(a: RfqActor, p: OrderPost, cid: str = "o1") -> Any:
    return a.handle(call("order", p, cid))


def reprice(a: RfqActor, cid: str, usde: int) -> Any:
    (f,) = [f for c, f in a.orders.inflight.items() if c == cid]
    return a.handle(
        QuotePriced(
            ts_event=0,
            ts_recv=0,
            request_id=f"reprice:{cid}",
            pair="WETH/USDe",
            side="MINT",
            size=f.quote.size,
            collateral_asset=WETH,
            collateral_amount=Decimal(f.quote.collateral_amount),
            usde_amount=Decimal(usde),
        )
    )


def test_a_mint_is_accepted_submitted_and_hedged() -> None:
    clock = ManualClock()
    a = actor(clock)
    q = quote(a, clock)
    assert q.usde_amount == str(75_000 * E18) and "e" not in q.usde_amount.lower()
    out = post(a, order_post(q, clock))
    assert any(isinstance(c, Call) and c.correlation_id == "facts:o1" for c in out)
    assert any(isinstance(m, QuoteRequest) and m.request_id == "reprice:o1" for m in out)
    assert a.handle(Replied(correlation_id="facts:o1", value=facts())) == []
    out = reprice(a, "o1", 75_000 * E18)
    (acc,) = [m for m in out if isinstance(m, MintOrderAccepted)]
    assert acc.usde_amount == Decimal(75_000) and acc.hedge_id == f"mint-{q.rfq_id}"
    sub = Submission(tx_hash="0xabc", minter=DEV_ACCOUNT, nonce=0, gas=1)
    out = a.handle(Replied(correlation_id="submit:o1", value=sub))
    (ans,) = answers(out)
    assert ans.status == 200 and msgspec.json.encode(ans.body) == b'{"tx":"0xabc"}'
    (hedge,) = [m for m in out if isinstance(m, HedgeRequest)]
    assert hedge.delta == Decimal(-25) and hedge.asset == "ETH" and hedge.reason == "mint"


def test_quote_expiry_follows_the_injected_clock_and_the_lookback() -> None:
    clock = ManualClock()
    a = actor(clock)
    q = quote(a, clock)
    clock.advance(501 * MS)
    assert code(post(a, order_post(q, clock))) == 18
    a.handle(RfqLookback(ts_event=0, ts_recv=0, lookback_ms=300))
    q2 = quote(a, clock)
    clock.advance(700 * MS)
    assert not answers(post(a, order_post(q2, clock)))  # within 500 + 300 ms: on to the chain


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"usde_amount": 75_000 * E18 + 1}, ApiCode.QUOTE_MISMATCH),
        ({"order_type": 1}, ApiCode.QUOTE_MISMATCH),
        ({"collateral_asset": USDT}, ApiCode.QUOTE_MISMATCH),
        ({"expiry": 1_700_000_000 + 29}, ApiCode.ORDER_EXPIRY),
        ({"nonce": 0}, ApiCode.DUPLICATE_NONCE),
        ({"order_id": "nope"}, ApiCode.UNKNOWN_RFQ),
    ],
)
def test_memory_checks_refuse_with_their_codes(change: dict[str, Any], expected: ApiCode) -> None:
    clock = ManualClock()
    a = actor(clock)
    q = quote(a, clock)
    assert code(post(a, order_post(q, clock, **change))) == expected


def test_a_bad_signature_and_paused_minting_are_refused() -> None:
    clock = ManualClock()
    a = actor(clock)
    q = quote(a, clock)
    p = order_post(q, clock)
    bad = msgspec.structs.replace(p, signature=b"\x01" * 65)
    assert code(post(a, bad)) == ApiCode.INVALID_SIGNATURE
    from pyengine.messages import PauseMinting, ResumeMinting

    a.handle(PauseMinting(ts_event=0, ts_recv=0, reason="drill", by="ops"))
    assert code(post(a, p)) == ApiCode.MINTING_PAUSED
    a.handle(ResumeMinting(ts_event=0, ts_recv=0, reason="", by="ops"))
    assert not answers(post(a, p))


@pytest.mark.parametrize(
    ("fact", "expected"),
    [
        ({"benefactor_whitelisted": False}, ApiCode.BENEFACTOR_NOT_WHITELISTED),
        ({"collateral_balance": 1}, ApiCode.INSUFFICIENT_BALANCE),
        ({"collateral_allowance": 1}, ApiCode.INSUFFICIENT_ALLOWANCE),
        ({"nonce_word": 1 << 7}, ApiCode.DUPLICATE_NONCE),
        ({"asset_minted": 10**30}, ApiCode.MINT_CAPACITY),
        ({"custodians": frozenset()}, ApiCode.INVALID_ROUTE),
    ],
)
def test_chain_facts_refuse_with_their_codes_and_free_the_nonce(
    fact: dict[str, Any], expected: ApiCode
) -> None:
    clock = ManualClock()
    a = actor(clock)
    q = quote(a, clock)
    post(a, order_post(q, clock))
    assert code(a.handle(Replied(correlation_id="facts:o1", value=facts(**fact)))) == expected
    assert a.reservations.nonces == {} and a.reservations.holds == {}


def test_a_signer_that_is_not_the_benefactor_needs_a_confirmed_delegation() -> None:
    clock = ManualClock()
    a = actor(clock)
    q = quote(a, clock)
    post(a, order_post(q, clock, key=OTHER_KEY))
    assert (
        code(a.handle(Replied(correlation_id="facts:o1", value=facts())))
        == ApiCode.INVALID_SIGNATURE
    )
    q2 = quote(a, clock)
    post(a, order_post(q2, clock, key=OTHER_KEY), "o2")
    assert a.handle(Replied(correlation_id="facts:o2", value=facts(delegation_status=2))) == []


def test_market_moved_and_no_fresh_price() -> None:
    clock = ManualClock()
    a = actor(clock)
    q = quote(a, clock)
    post(a, order_post(q, clock))
    a.handle(Replied(correlation_id="facts:o1", value=facts()))
    assert code(reprice(a, "o1", 74_000 * E18)) == 20
    q2 = quote(a, clock)
    post(a, order_post(q2, clock, nonce=8), "o2")
    out = a.handle(
        QuoteUnavailable(
            ts_event=0,
            ts_recv=0,
            request_id="reprice:o2",
            pair="WETH/USDe",
            side="MINT",
            code=33,
            reason="stale",
        )
    )
    assert code(out) == 33


def test_a_refusal_by_the_chain_at_submission_and_a_chain_timeout() -> None:
    clock = ManualClock()
    a = actor(clock, reprice=False)
    q = quote(a, clock)
    post(a, order_post(q, clock))
    a.handle(Replied(correlation_id="facts:o1", value=facts()))
    exc = RefusedOnChain(Refusal(RefusalKind.MAX_MINT_PER_BLOCK))
    out = a.handle(Failed(correlation_id="submit:o1", reason="error", exception=exc))
    assert code(out) == ApiCode.MINT_CAPACITY
    q2 = quote(a, clock)
    post(a, order_post(q2, clock, nonce=9), "o2")
    assert (
        code(a.handle(Failed(correlation_id="facts:o2", reason="timeout")))
        == ApiCode.CHAIN_UNAVAILABLE
    )


def test_racing_posts_for_one_quote_one_nonce_and_the_last_capacity() -> None:
    clock = ManualClock()
    a = actor(clock)
    q = quote(a, clock)
    codes = [answers(post(a, order_post(q, clock, nonce=100 + i), f"a{i}")) for i in range(50)]
    assert sum(1 for c in codes if not c) == 1
    assert {c[0].body.code for c in codes if c} == {ApiCode.RFQ_REUSED}  # type: ignore[union-attr]
    quotes = [quote(a, clock) for _ in range(50)]
    codes = [
        answers(post(a, order_post(qq, clock, nonce=5), f"b{i}")) for i, qq in enumerate(quotes)
    ]
    assert sum(1 for c in codes if not c) == 1
    assert {c[0].body.code for c in codes if c} == {ApiCode.DUPLICATE_NONCE}  # type: ignore[union-attr]
    # the pending block has room for 4 orders of 75,000 USDe
    a.handle(Replied(correlation_id="capacity", value={"WETH": Capacity(1, 300_000 * E18 + 1, 0)}))
    held = sum(h.usde_amount for h in a.reservations.holds.values())
    assert held == 150_000 * E18  # the two winners above still hold their share
    quotes = [quote(a, clock) for _ in range(10)]
    codes = [
        answers(post(a, order_post(qq, clock, nonce=1000 + i), f"c{i}"))
        for i, qq in enumerate(quotes)
    ]
    assert sum(1 for c in codes if not c) == 2  # 300,000 less the 150,000 held: two more
    assert {c[0].body.code for c in codes if c} == {ApiCode.MINT_CAPACITY}  # type: ignore[union-attr]


def test_big_integers_round_trip_exactly() -> None:
    big = 2**127 + 12345
    for raw in (
        b'{"order_id":"x","order_type":0,"expiry":1,"nonce":1,"benefactor":"a","beneficiary":"b",'
        b'"collateral_asset":"c","collateral_amount":%d,"usde_amount":"%d"}' % (big, big),
    ):
        body = msgspec.json.decode(raw, type=OrderBody)
        p = parse_order(body, "0x00", "")
        assert p.collateral_amount == big and p.usde_amount == big
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(raw.replace(b"%d" % big, b"2.5e19", 1), type=OrderBody)
    resp = RfqResponse("r", "WETH/USDe", "MINT", "25", WETH, str(big), str(25 * E18), "1.5")
    assert msgspec.json.decode(msgspec.json.encode(resp))["collateral_amount"] == str(big)
    from pyengine.messages import decode, encode

    priced = QuotePriced(
        ts_event=1,
        ts_recv=1,
        request_id="r",
        pair="WETH/USDe",
        side="MINT",
        size=Decimal(25),
        collateral_asset=WETH,
        collateral_amount=Decimal(big),
        usde_amount=Decimal(25 * E18),
    )
    back = decode(encode(priced))
    assert isinstance(back, QuotePriced) and int(back.collateral_amount) == big


def test_the_quote_book_forgets_only_quotes_older_than_it_keeps() -> None:
    from pyengine.actors.rfq_book import Quote, QuoteBook

    book = QuoteBook(firm_ns=500, keep_ns=1_000)

    def quote(i: int, at: int) -> Quote:
        return Quote(f"q{i}", "WETH/USDe", "MINT", Decimal(1), "WETH", "0x0", 1, 1, at)

    for i in range(10):
        book.add(quote(i, i * 100))
    book.add(quote(3, 950))  # an id issued again later is kept by its newer time
    book.prune(1_400)  # older than 1,000 ns: issued before 400
    assert sorted(book.quotes) == [f"q{i}" for i in range(3, 10)]
    assert book.quotes["q3"].issued_ns == 950
    book.prune(1_920)  # issued before 920: all but the re-issued q3
    assert sorted(book.quotes) == ["q3"]
    book.prune(10_000)
    assert book.quotes == {}
