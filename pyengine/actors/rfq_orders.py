"""One signed order's way through the rfq actor: checks, holds, chain facts, re-price, submit.

Cheapest check first, stopping at the first failure (docs/mint-redeem.md#last-look); the
checks that need nothing but memory run in the same `handle` call that holds the quote,
the nonce and the capacity, so two racing orders can never both take one of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING

from pyengine.actors.effects import Call, Output
from pyengine.actors.rfq_book import Quote
from pyengine.actors.rfq_chain import HEDGED_ASSET, Token, read_facts, submit
from pyengine.actors.rfq_codes import ApiCode, code_of
from pyengine.actors.rfq_types import ApiAnswer, ApiCall, OrderPost, OrderResponse
from pyengine.chain.client import ConfirmationKind, RefusedOnChain, Submission
from pyengine.chain.order import (
    MAX_UINT120,
    Order,
    OrderSchemaError,
    OrderType,
    Signature,
    SignatureType,
    order_digest,
    recover_signer,
)
from pyengine.chain.validate import OrderFacts, check_expiry_ahead, check_mint, check_redeem
from pyengine.messages.effects import Failed, Replied
from pyengine.messages.hedging import HedgeRequest
from pyengine.messages.pricing import (
    MintOrderAccepted,
    MintOrderConfirmed,
    QuotePriced,
    QuoteRequest,
    QuoteUnavailable,
)

if TYPE_CHECKING:
    from pyengine.actors.rfq import RfqActor

BPS = Decimal(10_000)


@dataclass(slots=True)
class InFlight:
    call: ApiCall
    order: Order
    signature: Signature
    quote: Quote
    token: Token
    is_mint: bool
    deadline_ns: int
    facts_ok: bool = False
    price_ok: bool = False
    submitting: bool = False


class OrderFlow:
    def __init__(self, actor: RfqActor) -> None:
        self.a = actor
        self.inflight: dict[str, InFlight] = {}

    def _refuse(self, call: ApiCall, code: ApiCode, message: str) -> list[Output]:
        return [self.a.error(call, code, message)]

    def on_post(self, call: ApiCall, p: OrderPost) -> list[Output]:
        a = self.a
        chain = a.chain
        if chain is None:
            return self._refuse(call, ApiCode.NOT_READY, "the chain is not connected yet")
        if a.paused_reason:
            return self._refuse(call, ApiCode.MINTING_PAUSED, f"minting paused: {a.paused_reason}")
        try:
            order = Order.checked(
                order_id=p.order_id,
                order_type=p.order_type,
                expiry=p.expiry,
                nonce=p.nonce,
                benefactor=p.benefactor,
                beneficiary=p.beneficiary,
                collateral_asset=p.collateral_asset,
                collateral_amount=p.collateral_amount,
                usde_amount=p.usde_amount,
            )
        except OrderSchemaError as exc:
            return self._refuse(call, ApiCode.BAD_REQUEST, str(exc))
        now = a.now()
        quote, why = a.quotes.check(order.order_id, now)
        if quote is None:
            assert why is not None
            return self._refuse(call, why, f"rfq {order.order_id}: {why.name.lower()}")
        token = chain.tokens[quote.collateral]
        is_mint = quote.side == "MINT"
        if (
            order.order_type != (OrderType.MINT if is_mint else OrderType.REDEEM)
            or order.collateral_asset != token.address
            or order.collateral_amount != quote.collateral_amount
            or order.usde_amount != quote.usde_amount
        ):
            return self._refuse(call, ApiCode.QUOTE_MISMATCH, "the order does not match its rfq")
        if check_expiry_ahead(order, now // 1_000_000_000) is not None:
            return self._refuse(call, ApiCode.ORDER_EXPIRY, "expiry must be at least 30 s ahead")
        if order.nonce > MAX_UINT120:
            return self._refuse(call, ApiCode.DUPLICATE_NONCE, "nonce wider than uint120")
        signature = Signature(p.signature_type, p.signature)
        if p.signature_type == SignatureType.EIP712:
            # The signer may be a delegate of the benefactor: the chain's facts say.
            if recover_signer(order_digest(order, chain.client.domain), p.signature) is None:
                return self._refuse(call, ApiCode.INVALID_SIGNATURE, "invalid EIP-712 signature")
        elif p.signature_type != SignatureType.EIP1271:
            return self._refuse(call, ApiCode.INVALID_SIGNATURE, "unknown signature type")
        cid = call.correlation_id
        held = a.reservations.hold(
            cid, order.benefactor, order.nonce, quote.collateral, is_mint, order.usde_amount
        )
        if held is not None:
            what = "nonce used" if held is ApiCode.DUPLICATE_NONCE else "block capacity exhausted"
            return self._refuse(call, held, what)
        quote.used = True
        self.inflight[cid] = InFlight(
            call, order, signature, quote, token, is_mint, a.deadline(), price_ok=not a.opts.reprice
        )
        route = chain.route if is_mint else None
        out: list[Output] = [
            Call(
                partial(read_facts, chain.client, order, signature, route),
                f"facts:{cid}",
                a.deadline(),
            )
        ]
        if a.opts.reprice:
            out.append(
                QuoteRequest(
                    ts_event=now,
                    ts_recv=now,
                    request_id=f"reprice:{cid}",
                    pair=quote.pair,
                    side="MINT" if is_mint else "REDEEM",
                    size=quote.size,
                    benefactor=order.benefactor,
                )
            )
        return out

    def _drop(
        self, cid: str, code: ApiCode, message: str, *, nonce_too: bool = True
    ) -> list[Output]:
        f = self.inflight.pop(cid, None)
        if f is None:
            return []
        self.a.reservations.release(cid, nonce_too=nonce_too)
        return self._refuse(f.call, code, message)

    def on_reprice(self, msg: QuotePriced | QuoteUnavailable) -> list[Output]:
        cid = msg.request_id.removeprefix("reprice:")
        f = self.inflight.get(cid)
        if f is None or f.price_ok:
            return []
        if isinstance(msg, QuoteUnavailable):
            return self._drop(cid, ApiCode.NO_PRICE_SOURCE, f"no fresh price: {msg.reason}")
        tol = self.a.opts.move_tol_bps
        quoted = Decimal(f.quote.usde_amount)
        fresh = Decimal(msg.usde_amount)
        # Mint: we pay USDe, a fresh price paying less means the quote now overpays.
        # Redeem: we receive USDe, a fresh price asking more means the quote now undercharges.
        moved = (quoted - fresh) if f.is_mint else (fresh - quoted)
        if moved * BPS > quoted * tol:
            return self._drop(cid, ApiCode.MARKET_MOVED, "market moved since the rfq")
        f.price_ok = True
        return self._proceed(cid, f)

    def on_effect(self, msg: Replied | Failed) -> list[Output]:
        kind, _, cid = msg.correlation_id.partition(":")
        f = self.inflight.get(cid)
        if f is None:
            return []
        if kind == "facts":
            if isinstance(msg, Failed):
                return self._drop(
                    cid, ApiCode.CHAIN_UNAVAILABLE, f"chain read failed: {msg.reason}"
                )
            facts = msg.value
            assert isinstance(facts, OrderFacts)
            chain = self.a.chain
            assert chain is not None
            refusal = (
                check_mint(f.order, chain.route, f.signature, facts)
                if f.is_mint
                else check_redeem(f.order, f.signature, facts)
            )
            if refusal is not None:
                return self._drop(cid, code_of(refusal.kind), f"{refusal.kind}: {refusal.detail}")
            f.facts_ok = True
            return self._proceed(cid, f)
        if kind == "submit":
            return self._submitted(cid, f, msg)
        return []

    def _proceed(self, cid: str, f: InFlight) -> list[Output]:
        a = self.a
        if not (f.facts_ok and f.price_ok) or f.submitting:
            return []
        if a.paused_reason:
            return self._drop(cid, ApiCode.MINTING_PAUSED, f"minting paused: {a.paused_reason}")
        chain = a.chain
        assert chain is not None
        f.submitting = True
        now = a.now()
        o = f.order
        accepted = MintOrderAccepted(
            ts_event=now,
            ts_recv=now,
            order_id=o.order_id,
            order_type="MINT" if f.is_mint else "REDEEM",
            benefactor=o.benefactor,
            beneficiary=o.beneficiary,
            collateral=f.token.symbol,
            asset=HEDGED_ASSET.get(f.token.symbol, ""),
            collateral_amount=f.token.units(o.collateral_amount),
            usde_amount=Decimal(o.usde_amount).scaleb(-18),
            hedge_id=self._hedge_id(f) if f.token.symbol in HEDGED_ASSET else "",
        )
        send = partial(submit, chain.client, o, chain.route, f.signature, f.is_mint)
        return [accepted, Call(send, f"submit:{cid}", a.deadline())]

    @staticmethod
    def _hedge_id(f: InFlight) -> str:
        return f"{'mint' if f.is_mint else 'redeem'}-{f.order.order_id}"

    def _submitted(self, cid: str, f: InFlight, msg: Replied | Failed) -> list[Output]:
        a = self.a
        kind = ConfirmationKind.MINT if f.is_mint else ConfirmationKind.REDEEM
        if isinstance(msg, Failed):
            exc = msg.exception
            if isinstance(exc, RefusedOnChain):
                code, why = code_of(exc.refusal.kind), str(exc.refusal.kind)
                dropped = self._drop(cid, code, f"refused on chain: {why}")
            else:
                # Whether the node got it is unknown: the nonce stays held.
                why = f"submission {msg.reason}: {msg.error}"
                dropped = self._drop(cid, ApiCode.CHAIN_UNAVAILABLE, why, nonce_too=False)
            return [*dropped, self.confirmed_failed(f.order.order_id, kind, "", why)]
        sub = msg.value
        assert isinstance(sub, Submission)
        self.inflight.pop(cid, None)
        a.reservations.submitted(cid)
        a.tracker.submitted(f.order.order_id, kind, sub.tx_hash)
        a.counts["accepted"] += 1
        out: list[Output] = [a.reply(f.call, ApiAnswer(200, OrderResponse(tx=sub.tx_hash)))]
        asset = HEDGED_ASSET.get(f.token.symbol)
        if asset is not None:
            coins = f.token.units(f.order.collateral_amount)
            now = a.now()
            out.append(
                HedgeRequest(
                    ts_event=now,
                    ts_recv=now,
                    hedge_id=self._hedge_id(f),
                    asset=asset,
                    delta=-coins if f.is_mint else coins,
                    reason="mint" if f.is_mint else "redeem",
                    source_id=f.order.order_id,
                    slippage_bps=a.opts.hedge_slippage_bps,
                )
            )
        return out

    def confirmed_failed(
        self, order_id: str, kind: ConfirmationKind, tx: str, reason: str
    ) -> MintOrderConfirmed:
        now = self.a.now()
        return MintOrderConfirmed(
            ts_event=now,
            ts_recv=now,
            order_id=order_id,
            order_type="MINT" if kind is ConfirmationKind.MINT else "REDEEM",
            status="failed",
            tx=tx,
            reason=reason,
        )

    def expire(self, now_ns: int) -> list[Output]:
        """Orders still waiting for their fresh price past the deadline."""
        out: list[Output] = []
        late = [c for c, f in self.inflight.items() if not f.submitting and now_ns >= f.deadline_ns]
        for cid in late:
            out.extend(self._drop(cid, ApiCode.NO_PRICE_SOURCE, "no fresh price in time"))
        return out
