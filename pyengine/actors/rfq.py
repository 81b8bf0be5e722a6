"""The rfq actor: firm quotes and signed mint/redeem orders, decided one at a time in `handle`.

The HTTP server (`pyengine.api`, wired by the runtime as this actor's source "http") turns
each request into an `ApiCall`; the actor answers an `ApiAnswer` through a reply effect.

- Quote (GET /rfq): a `QuoteRequest` to the pricing actor; its `QuotePriced` becomes the
  firm quote (firm `firm_ms`, used once) and a `QuoteIssued`; `QuoteUnavailable` or no
  answer within `pricing_timeout_ms` is an error with its code.
- Order (POST /order), cheapest check first (docs/mint-redeem.md#last-look): minting open,
  the V2 schema, the quote (exists, unused, within its firm window plus the validator's
  look-back), an exact match with it, expiry at least 30 s ahead, the EIP-712 signature,
  the nonce and the block capacity, which are then held so a racing order sees them taken;
  then, in parallel, the chain's facts (`Call`: signature delegation or EIP-1271, allow-list,
  beneficiary, balances, allowances, caps, stables limit, nonce bitmap: `chain.validate`) and
  a fresh price (market moved: 20). Accepted: `MintOrderAccepted` (critical, journaled),
  submitted on chain (`Call`), answered with the transaction, and a `HedgeRequest`.
- Confirmations and capacity are polled (`Call`s) into `MintOrderConfirmed` and
  `MintCapacity`; `/order-confirmation` answers from the tracker.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any, Literal

import msgspec

from pyengine.actors.base import Actor, ActorContext
from pyengine.actors.effects import Call, Output
from pyengine.actors.rfq_book import Quote, QuoteBook, Reservations
from pyengine.actors.rfq_chain import (
    ChainSetup,
    Poll,
    TokenOption,
    capacities,
    deliver,
    open_local,
    open_rpc,
    poll,
    read_facts,
)
from pyengine.actors.rfq_codes import ApiCode
from pyengine.actors.rfq_orders import OrderFlow
from pyengine.actors.rfq_types import (
    ApiAnswer,
    ApiCall,
    Availability,
    ChainInfo,
    ConfirmationQuery,
    ConfirmationResponse,
    OrderPost,
    RfqQuery,
    RfqResponse,
    plain,
    plain_decimal,
)
from pyengine.chain.client import Capacity, ConfirmationKind
from pyengine.chain.confirm import ConfirmationTracker
from pyengine.chain.node_process import NodeSpec
from pyengine.chain.order import Route
from pyengine.errors import ConfigError
from pyengine.messages import (
    Message,
    PauseMinting,
    QuoteIssued,
    ResumeMinting,
)
from pyengine.messages.effects import Failed, Received, Replied
from pyengine.messages.pricing import (
    IndicativeLadder,
    MintCapacity,
    MintOrderConfirmed,
    QuotePriced,
    QuoteRequest,
    QuoteUnavailable,
)
from pyengine.messages.validity import RfqLookback

log = logging.getLogger("pyengine.actors.rfq")


def base_int(d: Decimal | int) -> int | None:
    """A base-unit amount as an exact int; None when it is not a whole number."""
    if isinstance(d, int):
        return d
    if not d.is_finite() or d != d.to_integral_value():
        return None
    return int(d)


E18 = 10**18


class RfqOptions(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """`[actors.options]` of the rfq actor."""

    host: str = "127.0.0.1"
    port: int = 8780
    """The HTTP API's port on `host` (0: any free port); a port in use is fatal."""
    firm_ms: int = 500
    pricing_timeout_ms: int = 2000
    chain_timeout_s: float = 20.0
    """Deadline of one chain read or submission."""
    reprice: bool = True
    move_tol_bps: Decimal = Decimal(10)
    """A fresh price this much worse for the protocol than the quote refuses the order (20)."""
    hedge_slippage_bps: Decimal = Decimal(20)
    poll_interval_s: float = 0.5
    chain: Literal["local", "rpc"] = "local"
    """"local": the development chain (py-evm, our contracts), run by the engine as a node
    process of its own (`pyengine.chain.node_process`), its deployment read from the node;
    "rpc": a node with the contracts given here, signing with the environment's keys."""
    block_time_s: float = 1.0
    node_port: int = 0
    """chain = "local": the node's port on 127.0.0.1 (0: any free port); taken is fatal."""
    rpc_url: str = ""
    """chain = "local": set by the engine to its node's URL (empty: the actor starts one)."""
    chain_id: int = 1
    minting: str = ""
    usde: str = ""
    tokens: dict[str, TokenOption] = {}
    route_addresses: list[str] = []
    route_ratios: list[int] = []


@dataclass(slots=True)
class PendingQuote:
    call: ApiCall
    query: RfqQuery
    deadline_ns: int


class RfqActor(Actor):
    reliable = (
        "quote.priced.",
        "quote.unavailable.",
        "ctl.mint.",
        "md.rfq_lookback",
    )
    subscribe = ("price.ladder.",)
    timer_interval = 0.05

    def __init__(self, ctx: ActorContext, chain: ChainSetup | None = None) -> None:
        super().__init__(ctx)
        self.opts = o = ctx.options_as(RfqOptions)
        if o.firm_ms <= 0 or o.pricing_timeout_ms <= 0 or o.chain_timeout_s <= 0:
            raise ConfigError(f"actors.{self.name}.options: timeouts must be positive")
        if o.chain == "rpc" and not (o.rpc_url and o.minting and o.usde and o.tokens):
            raise ConfigError(
                f"actors.{self.name}.options: chain = 'rpc' needs rpc_url, minting, usde, tokens"
            )
        self.chain: ChainSetup | None = chain
        self.quotes = QuoteBook(firm_ns=o.firm_ms * 1_000_000)
        self.reservations = Reservations()
        self.tracker = ConfirmationTracker()
        self.orders = OrderFlow(self)
        self.pending_quotes: dict[str, PendingQuote] = {}
        self.paused_reason = ""
        self.ladders: dict[str, IndicativeLadder] = {}
        self.capacity: dict[str, Capacity] = {}
        self.api_url = ""
        self.counts: Counter[str] = Counter()
        self.refused: Counter[int] = Counter()
        self._next_block = chain.start_block if chain else 0
        self._poll_due_ns = 0
        self._polling = False
        self._capacity_seq = -1

    # -- wiring ------------------------------------------------------------------------

    @classmethod
    def local_node(cls, options: Mapping[str, Any]) -> NodeSpec | None:
        """chain = "local" without an `rpc_url`: the node the engine runs for this actor."""
        o = msgspec.convert(dict(options), RfqOptions)
        if o.chain != "local" or o.rpc_url:
            return None
        return NodeSpec(port=o.node_port, block_time_s=o.block_time_s)

    def on_start(self) -> list[Output]:
        if self.chain is not None:
            return []
        o = self.opts
        deadline = self.now() + 120_000_000_000  # compiling and deploying takes seconds
        if o.chain == "local":
            return [Call(partial(open_local, o.rpc_url, o.block_time_s), "chain", deadline)]
        route = Route(tuple(o.route_addresses), tuple(o.route_ratios))
        opener = partial(
            open_rpc,
            o.rpc_url,
            chain_id=o.chain_id,
            minting=o.minting,
            usde=o.usde,
            tokens=o.tokens,
            route=route,
        )
        return [Call(opener, "chain", deadline)]

    def cleanups(self) -> Sequence[Callable[[], Awaitable[object]]]:
        chain = self.chain
        return (chain.close,) if chain is not None and chain.close is not None else ()

    def deadline(self) -> int:
        return self.now() + int(self.opts.chain_timeout_s * 1e9)

    def reply(self, call: ApiCall, answer: ApiAnswer) -> Call:
        if answer.status >= 400:
            code = getattr(answer.body, "code", 0)
            self.refused[code] += 1
        return Call(partial(deliver, call.reply, answer), f"reply:{call.correlation_id}")

    def error(self, call: ApiCall, code: ApiCode, message: str) -> Call:
        return self.reply(call, ApiAnswer.error(code, message))

    # -- messages ----------------------------------------------------------------------

    def handle(self, msg: Message) -> Sequence[Output]:
        t = type(msg)
        if t is Received:
            assert isinstance(msg, Received)
            item = msg.item
            if isinstance(item, ApiCall):
                return self._on_call(item)
            return []
        if t is Replied or t is Failed:
            return self._on_effect(msg)  # type: ignore[arg-type]
        if t is QuotePriced or t is QuoteUnavailable:
            return self._on_priced(msg)  # type: ignore[arg-type]
        if t is IndicativeLadder:
            assert isinstance(msg, IndicativeLadder)
            self.ladders[msg.pair] = msg
        elif t is PauseMinting:
            assert isinstance(msg, PauseMinting)
            self.paused_reason = msg.reason or "paused"
        elif t is ResumeMinting:
            self.paused_reason = ""
        elif t is RfqLookback:
            assert isinstance(msg, RfqLookback)
            self.quotes.lookback_ns = msg.lookback_ms * 1_000_000
        return []

    def _on_call(self, call: ApiCall) -> list[Output]:
        self.counts[f"http_{call.route}"] += 1
        if call.route == "availability":
            return [self.reply(call, ApiAnswer(200, self.availability()))]
        if call.route == "chain":
            return [self._chain_info(call)]
        if call.route == "confirmation":
            assert isinstance(call.params, ConfirmationQuery)
            return [self._confirmation(call, call.params)]
        if call.route == "rfq":
            assert isinstance(call.params, RfqQuery)
            return self._on_rfq(call, call.params)
        assert isinstance(call.params, OrderPost)
        return self.orders.on_post(call, call.params)

    def _chain_info(self, call: ApiCall) -> Call:
        chain = self.chain
        if chain is None:
            return self.error(call, ApiCode.NOT_READY, "the chain is not connected yet")
        d = chain.client.domain
        info = ChainInfo(
            chain_id=d.chain_id,
            minting_contract=d.verifying_contract,
            rpc_url=str(chain.status.get("rpc_url", "")),
            tokens={**{s: t.address for s, t in chain.tokens.items()}, "USDe": chain.usde},
        )
        return self.reply(call, ApiAnswer(200, info))

    def availability(self) -> Availability:
        if self.chain is None or self.paused_reason:
            return Availability(mint=[], redeem=[])
        pairs = [f"{sym}/USDe" for sym in self.chain.tokens]
        mint = [p for p in pairs if not self._withdrawn(p, "mint")]
        redeem = [p for p in pairs if not self._withdrawn(p, "redeem")]
        return Availability(mint=mint, redeem=redeem)

    def _withdrawn(self, pair: str, side: str) -> bool:
        ladder = self.ladders.get(pair)
        return ladder is not None and bool(getattr(ladder, f"{side}_reason"))

    def collateral_of(self, pair: str) -> str | None:
        """The collateral symbol of `<COLLATERAL>/USDe` (USDe in any case, as Ethena lists)."""
        sym, _, quote = pair.partition("/")
        if quote.upper() != "USDE" or self.chain is None:
            return None
        return next((s for s in self.chain.tokens if s.upper() == sym.upper()), None)

    # -- quotes ------------------------------------------------------------------------

    def _on_rfq(self, call: ApiCall, q: RfqQuery) -> list[Output]:
        if self.chain is None:
            return [self.error(call, ApiCode.NOT_READY, "the chain is not connected yet")]
        if self.paused_reason:
            return [
                self.error(call, ApiCode.MINTING_PAUSED, f"minting paused: {self.paused_reason}")
            ]
        sym = self.collateral_of(q.pair)
        if sym is None:
            return [self.error(call, ApiCode.UNSUPPORTED_PAIR, f"unsupported pair {q.pair}")]
        if q.type_.upper() != "ALGO":
            return [self.error(call, ApiCode.BAD_REQUEST, "type_ must be ALGO")]
        rfq_id = self.ids.next_id()
        now = self.now()
        self.pending_quotes[rfq_id] = PendingQuote(
            call, q, now + self.opts.pricing_timeout_ms * 1_000_000
        )
        pair = f"{sym}/USDe"
        return [
            QuoteRequest(
                ts_event=now,
                ts_recv=now,
                request_id=rfq_id,
                pair=pair,
                side=q.side,
                size=q.size,
                benefactor=q.benefactor,
            )
        ]

    def _on_priced(self, msg: QuotePriced | QuoteUnavailable) -> list[Output]:
        if msg.request_id.startswith("reprice:"):
            return self.orders.on_reprice(msg)
        pending = self.pending_quotes.pop(msg.request_id, None)
        if pending is None:
            return []  # answered already (timed out) or not ours
        if isinstance(msg, QuoteUnavailable):
            code = msg.code if msg.code in ApiCode._value2member_map_ else ApiCode.NO_PRICE_SOURCE
            return [self.error(pending.call, ApiCode(code), msg.reason or "no price")]
        return self._issue(pending, msg)

    def _issue(self, pending: PendingQuote, p: QuotePriced) -> list[Output]:
        chain = self.chain
        sym = self.collateral_of(p.pair)
        if chain is None or sym is None:
            return [self.error(pending.call, ApiCode.UNSUPPORTED_PAIR, f"unsupported {p.pair}")]
        token = chain.tokens[sym]
        coll, usde = base_int(p.collateral_amount), base_int(p.usde_amount)
        if coll is None or usde is None or coll <= 0 or usde <= 0:
            return [self.error(pending.call, ApiCode.NO_PRICE_SOURCE, "the price has no amounts")]
        now = self.now()
        quote = Quote(
            rfq_id=p.request_id,
            pair=p.pair,
            side=p.side,
            size=pending.query.size,
            collateral=sym,
            collateral_asset=token.address,
            collateral_amount=coll,
            usde_amount=usde,
            issued_ns=now,
        )
        self.quotes.add(quote)
        self.counts["quotes_issued"] += 1
        coll_units = token.units(coll)
        usde_units = Decimal(usde).scaleb(-18)
        body = RfqResponse(
            rfq_id=p.request_id,
            pair=p.pair,
            side=p.side,
            size=plain_decimal(pending.query.size),
            collateral_asset=token.address,
            collateral_amount=plain(coll),
            usde_amount=plain(usde),
            gas=plain_decimal(p.gas_usd),
        )
        issued = QuoteIssued(
            ts_event=now,
            ts_recv=now,
            quote_id=p.request_id,
            side=p.side,
            asset=sym,
            collateral_amount=coll_units,
            usde_amount=usde_units,
            price=usde_units / coll_units if coll_units else Decimal(0),
            expires_ns=now + self.quotes.firm_ns,
        )
        return [self.reply(pending.call, ApiAnswer(200, body)), issued]

    # -- confirmations, capacity -------------------------------------------------------

    def _confirmation(self, call: ApiCall, q: ConfirmationQuery) -> Call:
        tracked = self.tracker.status(q.order_id)
        if tracked is None:
            return self.error(call, ApiCode.UNKNOWN_ORDER, f"no order {q.order_id}")
        block = tracked.confirmation.block_number if tracked.confirmation else 0
        body = ConfirmationResponse(
            order_id=q.order_id, status=str(tracked.status), tx=tracked.tx_hash, block=block
        )
        return self.reply(call, ApiAnswer(200, body))

    def on_timer(self, now_ns: int) -> list[Output]:
        out: list[Output] = []
        for rfq_id in [k for k, p in self.pending_quotes.items() if now_ns >= p.deadline_ns]:
            pending = self.pending_quotes.pop(rfq_id)
            out.append(self.error(pending.call, ApiCode.NO_PRICE_SOURCE, "no price in time"))
        out.extend(self.orders.expire(now_ns))
        self.quotes.prune(now_ns)
        chain = self.chain
        if chain is not None and not self._polling and now_ns >= self._poll_due_ns:
            self._polling = True
            txs = [o.tx_hash for o in self.tracker.pending()]
            self._capacity_seq = self.reservations.seq
            out.append(
                Call(partial(poll, chain.client, self._next_block, txs), "poll", self.deadline())
            )
            out.append(
                Call(
                    partial(capacities, chain.client, list(chain.tokens.values())),
                    "capacity",
                    self.deadline(),
                )
            )
        return out

    def _on_effect(self, msg: Replied | Failed) -> list[Output]:
        cid = msg.correlation_id
        if cid.startswith("reply:"):
            if isinstance(msg, Failed):
                log.warning("%s: reply %s not delivered: %s", self.name, cid, msg.error)
            return []
        if cid == "chain":
            if isinstance(msg, Failed):
                raise RuntimeError(f"{self.name}: the chain did not open: {msg.error}")
            assert isinstance(msg.value, ChainSetup)
            self.chain = msg.value
            self._next_block = msg.value.start_block
            log.info("%s: chain ready (%s)", self.name, msg.value.status.get("rpc_url", ""))
            return []
        if cid == "poll":
            return self._on_poll(msg)
        if cid == "capacity":
            return self._on_capacity(msg)
        return self.orders.on_effect(msg)

    def _on_poll(self, msg: Replied | Failed) -> list[Output]:
        self._polling = False
        self._poll_due_ns = self.now() + int(self.opts.poll_interval_s * 1e9)
        if isinstance(msg, Failed):
            self.counts["poll_failed"] += 1
            return []
        result = msg.value
        assert isinstance(result, Poll)
        self._next_block = max(self._next_block, result.head + 1)
        out: list[Output] = []
        now = self.now()
        for tracked in self.tracker.on_events(result.events):
            c = tracked.confirmation
            out.append(
                MintOrderConfirmed(
                    ts_event=now,
                    ts_recv=now,
                    order_id=tracked.order_id,
                    order_type="MINT" if tracked.kind is ConfirmationKind.MINT else "REDEEM",
                    status="ok",
                    tx=tracked.tx_hash,
                    block=c.block_number if c else 0,
                )
            )
            self.counts["confirmed"] += 1
        for tx in result.failed:
            failed = self.tracker.on_failed(tx)
            if failed is not None:
                out.append(
                    self.orders.confirmed_failed(failed.order_id, failed.kind, tx, "reverted")
                )
        return out

    def _on_capacity(self, msg: Replied | Failed) -> list[Output]:
        if isinstance(msg, Failed):
            return []
        caps = msg.value
        assert isinstance(caps, dict)
        self.capacity.update(caps)
        self.reservations.on_capacity(
            self._capacity_seq,
            {s: (c.remaining_mint, c.remaining_redeem) for s, c in caps.items()},
        )
        now = self.now()
        return [
            MintCapacity(
                ts_event=now,
                ts_recv=now,
                collateral=sym,
                block=c.block_number,
                remaining_mint=Decimal(c.remaining_mint).scaleb(-18),
                remaining_redeem=Decimal(c.remaining_redeem).scaleb(-18),
            )
            for sym, c in caps.items()
        ]

    # -- status ------------------------------------------------------------------------

    def stats(self) -> dict[str, int]:
        return dict(self.counts)

    def status_sections(self) -> dict[str, object]:
        """`api`, `chain`, `minting` and `quotes` of `pyengine status --json` (issue 12)."""
        chain = self.chain
        state = "starting" if chain is None else ("paused" if self.paused_reason else "open")
        return {
            "api": {"url": self.api_url},
            "chain": dict(chain.status) if chain else {},
            "minting": {
                "state": state,
                "reason": self.paused_reason,
                "remaining_mint": {
                    s: plain_decimal(Decimal(c.remaining_mint).scaleb(-18))
                    for s, c in self.capacity.items()
                },
                "remaining_redeem": {
                    s: plain_decimal(Decimal(c.remaining_redeem).scaleb(-18))
                    for s, c in self.capacity.items()
                },
            },
            "quotes": {
                "issued": self.counts["quotes_issued"],
                "accepted": self.counts["accepted"],
                "refused": {str(k): v for k, v in sorted(self.refused.items())},
            },
        }


__all__ = ["E18", "RfqActor", "RfqOptions", "read_facts"]
