"""What the router knows of the market: instruments, book depth, validity, venue health.

Pure bookkeeping fed by messages (no I/O): the hedger actor hands every `BookDepth`,
`BookTop`, `InstrumentValidity`, `MarkFunding` and `Health` it gets to `MarketView.update`,
and the planner's candidates are read back from it (`pyengine.routing.request`).

- Depth: `BookDepth` (md.depth.*) when the feed publishes it; until a book's first
  `BookDepth`, its `BookTop` stands in (fewer levels, same shape). Once a book has had a
  `BookDepth`, its `BookTop`s are ignored, so a shallower view never replaces a deeper one.
- Validity (docs/market-data-validity.md): an instrument is routable only while the validator's last
word on it
  is `valid` (with `require_valid`; a book whose own `valid` flag is false never is).
- Venue health (docs/risk-playbooks.md playbook): a `Health` of the venue's feed
(`feed.<venue>[.cat]`) or
  of the venue itself (`venue.<venue>`) saying `down` takes the venue out: no new orders
  there until a later `ok`/`degraded` brings it back.

A Bybit feed names its books `<category>:<symbol>` (`linear:BTCUSDT`); orders use the bare
symbol, so the prefix is dropped here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from pyengine.contracts import InstrumentSpec
from pyengine.messages import BookDepth, BookTop, Health, MarkFunding, Message
from pyengine.messages.validity import VALID, InstrumentValidity
from pyengine.routing.planner import Depth

Pair = tuple[str, str]
Levels = tuple[tuple[Decimal, Decimal], ...]


@dataclass(frozen=True, slots=True)
class Instrument:
    """What routing needs of an `InstrumentSpec` (exact decimals)."""

    venue: str
    symbol: str
    base: str
    kind: str
    payoff: str
    multiplier: Decimal
    lot: Decimal
    min_qty: Decimal
    max_qty: Decimal | None
    tick: Decimal
    funding_interval_min: int | None = None

    @classmethod
    def from_spec(cls, spec: InstrumentSpec) -> Instrument:
        return cls(
            venue=spec.venue,
            symbol=spec.symbol,
            base=spec.base,
            kind=spec.kind,
            payoff=spec.payoff,
            multiplier=spec.multiplier,
            lot=spec.lot,
            min_qty=spec.min_qty,
            max_qty=spec.max_qty,
            tick=spec.tick,
            funding_interval_min=spec.funding_interval_min,
        )

    def coins(self, qty: Decimal, price: Decimal) -> Decimal:
        """Unsigned coin delta of `qty` units at `price` (docs/contracts.md: linear
        qty x mult, inverse qty x cv / P)."""
        if self.payoff == "inverse":
            return qty * self.multiplier / price
        return qty * self.multiplier


@dataclass(slots=True)
class Book:
    bids: Levels = ()
    asks: Levels = ()
    valid: bool = True
    deep: bool = False
    """True once a `BookDepth` arrived for this book."""
    cached: dict[tuple[str, int], Depth] = field(default_factory=dict)
    """The planner's form of a side, built once per book update (the conversion to
    mantissas costs more than the plan itself)."""

    def depth(self, side: str, max_levels: int) -> Depth | None:
        """The levels a `side` order takes (bids for a sell), as the planner's `Depth`."""
        key = (side, max_levels)
        found = self.cached.get(key)
        if found is None:
            levels = (self.bids if side == "sell" else self.asks)[:max_levels]
            if not levels:
                return None
            found = self.cached[key] = Depth.from_levels(levels)
        return found

    @property
    def mid(self) -> Decimal | None:
        if not self.bids or not self.asks:
            return None
        return (self.bids[0][0] + self.asks[0][0]) / 2


@dataclass
class MarketView:
    """Books, validity, funding and venue health, by (venue, symbol)."""

    require_valid: bool = True
    books: dict[Pair, Book] = field(default_factory=dict)
    validity: dict[Pair, str] = field(default_factory=dict)
    funding: dict[Pair, Decimal] = field(default_factory=dict)
    down: dict[str, dict[str, str]] = field(default_factory=dict)
    """Venues that are down: which components say so, and why. A venue comes back only
    when every component that took it down says it is up again."""
    bad_input: int = 0

    def update(self, msg: Message) -> bool:
        """Take one message in; True when it was market data this view keeps."""
        if isinstance(msg, BookDepth):
            return self._book(msg.venue, msg.symbol, msg.bids, msg.asks, msg.valid, deep=True)
        if isinstance(msg, BookTop):
            return self._book(msg.venue, msg.symbol, msg.bids, msg.asks, msg.valid, deep=False)
        if isinstance(msg, InstrumentValidity):
            self.validity[(msg.venue, _bare(msg.symbol))] = msg.state
            return True
        if isinstance(msg, MarkFunding):
            try:
                self.funding[(msg.venue, _bare(msg.symbol))] = Decimal(msg.funding_rate or "0")
            except InvalidOperation:
                self.bad_input += 1
            return True
        if isinstance(msg, Health):
            venue = _health_venue(msg.component)
            if venue is None:
                return False
            if msg.status == "down":
                self.down.setdefault(venue, {})[msg.component] = msg.detail or "down"
            elif venue in self.down:
                self.down[venue].pop(msg.component, None)
                if not self.down[venue]:
                    del self.down[venue]
            return True
        return False

    def _book(
        self,
        venue: str,
        symbol: str,
        bids: list[tuple[str, str]],
        asks: list[tuple[str, str]],
        valid: bool,
        *,
        deep: bool,
    ) -> bool:
        pair = (venue, _bare(symbol))
        book = self.books.get(pair)
        if book is None:
            book = self.books[pair] = Book()
        elif book.deep and not deep:
            return True
        book.cached.clear()
        try:
            book.bids = tuple((Decimal(p), Decimal(q)) for p, q in bids)
            book.asks = tuple((Decimal(p), Decimal(q)) for p, q in asks)
        except (InvalidOperation, ValueError):
            self.bad_input += 1
            book.valid = False
            return True
        book.valid = valid
        book.deep = book.deep or deep
        return True

    def healthy(self, venue: str) -> bool:
        return venue not in self.down

    def routable(self, pair: Pair) -> bool:
        """May the router trade this instrument now?"""
        book = self.books.get(pair)
        if book is None or not book.valid or not self.healthy(pair[0]):
            return False
        return not self.require_valid or self.validity.get(pair) == VALID

    def touch(self, pair: Pair, side: str) -> Decimal | None:
        """The price a `side` order takes first: best bid for a sell, best ask for a buy."""
        book = self.books.get(pair)
        if book is None:
            return None
        levels = book.bids if side == "sell" else book.asks
        return levels[0][0] if levels else None


def _bare(symbol: str) -> str:
    return symbol.partition(":")[2] or symbol


def _health_venue(component: str) -> str | None:
    head, _, rest = component.partition(".")
    if head not in ("feed", "venue") or not rest:
        return None
    # `feed.bybit.linear`: the venue is the part after `feed.`; venue names have no dots.
    return rest.partition(".")[0]
