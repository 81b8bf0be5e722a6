"""The oracle reference: median of the fresh oracle sources for one asset
(docs/pricing.md#reference-and-oracle, docs/market-data-validity.md#oracles)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Context, Decimal, InvalidOperation

from pyengine.messages import OraclePrice

_CTX = Context(prec=60)


@dataclass(frozen=True, slots=True)
class OracleQuote:
    """The latest price of one (source, symbol)."""

    source: str
    symbol: str
    price: Decimal
    publish_ns: int
    recv_ns: int


class OracleBoard:
    """Latest price per (source, symbol); a source is fresh while its publish time is young."""

    def __init__(self, sources: Iterable[str], max_age_ms: Callable[[str], int]) -> None:
        self.sources = tuple(sources)
        self.max_age_ms = max_age_ms
        self.latest: dict[tuple[str, str], OracleQuote] = {}
        self.rejected = 0
        self.ignored = 0

    def update(self, msg: OraclePrice, now_ns: int) -> bool:
        """Take a price; False (and counted) if it is unusable or older than the one held."""
        if msg.source not in self.sources:
            self.ignored += 1
            return False
        try:
            price = Decimal(msg.price)
        except (InvalidOperation, ValueError):
            self.rejected += 1
            return False
        if not price.is_finite() or price <= 0:
            self.rejected += 1
            return False
        publish = msg.publish_ns or msg.ts_event
        key = (msg.source, msg.symbol)
        held = self.latest.get(key)
        if held is not None and publish < held.publish_ns:
            self.ignored += 1
            return False
        self.latest[key] = OracleQuote(msg.source, msg.symbol, price, publish, now_ns)
        return True

    def fresh(self, symbol: str, now_ns: int) -> list[OracleQuote]:
        """The quotes of `symbol` whose publish time is within their source's max age."""
        out = []
        for source in self.sources:
            q = self.latest.get((source, symbol))
            if q is not None and now_ns - q.publish_ns <= self.max_age_ms(source) * 1_000_000:
                out.append(q)
        return out

    def price(self, symbol: str, now_ns: int) -> Decimal | None:
        """Median of the fresh sources (two: their mean; one: itself); None if none is fresh."""
        prices = sorted(q.price for q in self.fresh(symbol, now_ns))
        if not prices:
            return None
        mid = len(prices) // 2
        if len(prices) % 2:
            return prices[mid]
        return _CTX.divide(_CTX.add(prices[mid - 1], prices[mid]), 2)

    def reference(self, base: str, quote: str, now_ns: int) -> Decimal | None:
        """The oracle price of base in quote ("" or USD: in dollars)."""
        b = self.price(base, now_ns)
        if b is None or quote in ("", "USD"):
            return b
        q = self.price(quote, now_ns)
        if q is None:
            return None
        return _CTX.divide(b, q)
