"""The rfq actor's ledger: quotes it issued and what in-flight orders hold (nonces, capacity).

Pure state, changed only from the actor's `handle`, so every decision is serialised: two
POSTs racing for one quote, one nonce or the last of a block's capacity are decided one
after the other, and the second sees what the first reserved.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal

from pyengine.actors.rfq_codes import ApiCode


@dataclass(slots=True)
class Quote:
    rfq_id: str
    pair: str
    side: str
    size: Decimal
    collateral: str
    collateral_asset: str
    collateral_amount: int
    usde_amount: int
    issued_ns: int
    used: bool = False


@dataclass(slots=True)
class QuoteBook:
    """Issued quotes: firm for `firm_ns` (plus the validator's look-back), used once."""

    firm_ns: int
    lookback_ns: int = 0
    keep_ns: int = 60_000_000_000
    quotes: dict[str, Quote] = field(default_factory=dict)
    # issue order, for pruning from the oldest end: a full scan every tick cost 2 ms of
    # the loop at a steady 1,000 quotes/s (benches/test_bench_rfq_http.py)
    _order: deque[tuple[int, str]] = field(default_factory=deque)

    def add(self, quote: Quote) -> None:
        self.quotes[quote.rfq_id] = quote
        self._order.append((quote.issued_ns, quote.rfq_id))

    def check(self, rfq_id: str, now_ns: int) -> tuple[Quote | None, ApiCode | None]:
        """The quote an order names, if it may still be taken; or why not."""
        q = self.quotes.get(rfq_id)
        if q is None:
            return None, ApiCode.UNKNOWN_RFQ
        if q.used:
            return None, ApiCode.RFQ_REUSED
        if now_ns - q.issued_ns > self.firm_ns + self.lookback_ns:
            return None, ApiCode.RFQ_EXPIRED
        return q, None

    def prune(self, now_ns: int) -> None:
        """Forget quotes issued more than `keep_ns` ago (oldest first; a clock step back
        only keeps a few a little longer)."""
        order, quotes = self._order, self.quotes
        while order and now_ns - order[0][0] > self.keep_ns:
            _, rfq_id = order.popleft()
            q = quotes.get(rfq_id)
            if q is not None and now_ns - q.issued_ns > self.keep_ns:
                del quotes[rfq_id]


@dataclass(slots=True)
class Hold:
    """What one order in flight holds until it is refused or on chain."""

    key: tuple[str, int]
    collateral: str
    is_mint: bool
    usde_amount: int
    seq: int
    submitted: bool = False


@dataclass(slots=True)
class Reservations:
    """Nonces and block capacity held by orders between acceptance and the chain's view.

    Capacity comes from periodic reads of the pending block (`ChainClient.capacity`); an
    order submitted after a read started is not in it yet, so it stays held until a read
    that started after its submission replaces it.
    """

    nonces: dict[tuple[str, int], str] = field(default_factory=dict)
    holds: dict[str, Hold] = field(default_factory=dict)
    remaining: dict[str, tuple[int, int]] = field(default_factory=dict)
    seq: int = 0

    @staticmethod
    def nonce_key(benefactor: str, nonce: int) -> tuple[str, int]:
        # Only the low 64 bits count on chain (docs/mint-redeem.md#nonces).
        return benefactor.lower(), nonce & (2**64 - 1)

    def available(self, collateral: str, is_mint: bool) -> int | None:
        known = self.remaining.get(collateral)
        if known is None:
            return None
        held = sum(
            h.usde_amount
            for h in self.holds.values()
            if h.collateral == collateral and h.is_mint == is_mint
        )
        return (known[0] if is_mint else known[1]) - held

    def hold(  # noqa: PLR0917
        self, cid: str, benefactor: str, nonce: int, collateral: str, is_mint: bool, usde: int
    ) -> ApiCode | None:
        key = self.nonce_key(benefactor, nonce)
        if nonce == 0 or key in self.nonces:
            return ApiCode.DUPLICATE_NONCE
        left = self.available(collateral, is_mint)
        if left is not None and usde > left:
            return ApiCode.MINT_CAPACITY if is_mint else ApiCode.REDEEM_CAPACITY
        self.seq += 1
        self.nonces[key] = cid
        self.holds[cid] = Hold(key, collateral, is_mint, usde, self.seq)
        return None

    def release(self, cid: str, *, nonce_too: bool = True) -> None:
        h = self.holds.pop(cid, None)
        if h is not None and nonce_too:
            self.nonces.pop(h.key, None)

    def submitted(self, cid: str) -> None:
        h = self.holds.get(cid)
        if h is not None:
            self.seq += 1
            h.submitted, h.seq = True, self.seq

    def on_capacity(self, read_seq: int, remaining: dict[str, tuple[int, int]]) -> None:
        """A capacity read that started at `read_seq`: submitted orders before it are in it."""
        self.remaining.update(remaining)
        done = [c for c, h in self.holds.items() if h.submitted and h.seq <= read_seq]
        for cid in done:
            del self.holds[cid]  # the nonce stays used: it is on chain now
