"""Type stubs of the native module `pyengine._core` (checked by mypy.stubtest in CI)."""

from array import array
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Final, Literal, final

__version__: Final[str]
VENUES: Final[list[str]]

# Errors: every exception raised by the native module derives from EngineError.

class EngineError(Exception):
    """Base class of every engine_core error; each subclass also derives from its closest
    builtin (engine_core/src/python/errors.rs)."""

class InvalidArgument(EngineError, ValueError):
    """An argument outside its closed set of names or shapes (side, payoff, order tuple)."""

class InvalidDecimal(EngineError, ValueError): ...
class VenueMessageError(EngineError, ValueError): ...
class UnknownVenue(EngineError, ValueError): ...
class UnknownInstrument(EngineError, LookupError): ...

# Market data: venue normalisers and books.

@final
class BookUpdate:
    """A book changed; `updates` snapshots/deltas of one call were folded into it."""

    @property
    def symbol(self) -> str: ...
    @property
    def ts_event(self) -> int: ...
    @property
    def ts_recv(self) -> int: ...
    @property
    def seq(self) -> int: ...
    @property
    def snapshot(self) -> bool: ...
    @property
    def updates(self) -> int: ...

@final
class Trade:
    """A public trade; prices and sizes are exact decimal strings."""

    @property
    def symbol(self) -> str: ...
    @property
    def ts_event(self) -> int: ...
    @property
    def ts_recv(self) -> int: ...
    @property
    def price(self) -> str: ...
    @property
    def size(self) -> str: ...
    @property
    def aggressor(self) -> Literal["buy", "sell"] | None: ...
    @property
    def trade_id(self) -> str: ...

@final
class Bbo:
    """Best bid and offer from a top-of-book stream."""

    @property
    def symbol(self) -> str: ...
    @property
    def ts_event(self) -> int: ...
    @property
    def ts_recv(self) -> int: ...
    @property
    def bid_px(self) -> str: ...
    @property
    def bid_sz(self) -> str: ...
    @property
    def ask_px(self) -> str: ...
    @property
    def ask_sz(self) -> str: ...

@final
class MarkFunding:
    """Mark/index price and funding; fields the venue did not send are None."""

    @property
    def symbol(self) -> str: ...
    @property
    def ts_event(self) -> int: ...
    @property
    def ts_recv(self) -> int: ...
    @property
    def mark_px(self) -> str | None: ...
    @property
    def index_px(self) -> str | None: ...
    @property
    def funding_rate(self) -> str | None: ...
    @property
    def next_funding_ns(self) -> int | None: ...

@final
class BookFault:
    """A book failed its integrity rule and was cleared: resubscribe or resnapshot."""

    @property
    def symbol(self) -> str: ...
    @property
    def ts_recv(self) -> int: ...
    @property
    def kind(
        self,
    ) -> Literal[
        "gap", "checksum", "unknown_level", "bad_message", "crossed", "buffer_overflow"
    ]: ...
    @property
    def detail(self) -> str: ...

@final
class BookView:
    """A book's state and best levels as (price, size) decimal strings, best first."""

    @property
    def symbol(self) -> str: ...
    @property
    def valid(self) -> bool: ...
    @property
    def synced(self) -> bool: ...
    @property
    def cross(self) -> Literal["normal", "locked", "crossed"]: ...
    @property
    def seq(self) -> int: ...
    @property
    def ts_event(self) -> int: ...
    @property
    def bid_levels(self) -> int: ...
    @property
    def ask_levels(self) -> int: ...
    @property
    def bids(self) -> list[tuple[str, str]]: ...
    @property
    def asks(self) -> list[tuple[str, str]]: ...

@final
class SweepResult:
    """Sweeping a side for a size: exact filled size, notional and impact price."""

    @property
    def filled(self) -> str: ...
    @property
    def notional(self) -> str: ...
    @property
    def worst_px(self) -> str | None: ...
    @property
    def levels(self) -> int: ...
    @property
    def complete(self) -> bool: ...

@final
class Feed:
    """One venue connection: raw bytes in, normalised events and book answers out.

    Malformed or unknown messages never raise: they are counted (`stats()["rejected"]`)
    and `last_error()` says why. A book that fails its venue's sequence or checksum
    rule is cleared, reported as a `BookFault` and stays invalid until resynced.
    """

    def __new__(
        cls, venue: str, *, category: str | None = None, max_buffer: int = 10000
    ) -> Feed: ...
    @property
    def venue(self) -> str: ...
    def on_message(
        self, raw: bytes, ts_recv: int = 0
    ) -> list[BookUpdate | Trade | Bbo | MarkFunding | BookFault]: ...
    def on_messages(
        self,
        raws: Iterable[bytes],
        ts_recv: int | Sequence[int] | None = None,
        events: bool = True,
    ) -> list[BookUpdate | Trade | Bbo | MarkFunding | BookFault]: ...
    def on_messages_tops(
        self, raws: Iterable[bytes], ts_recv: int | Sequence[int], depth: int
    ) -> tuple[
        list[BookUpdate | Trade | Bbo | MarkFunding | BookFault],
        list[tuple[str, bool, int, int, list[tuple[str, str]], list[tuple[str, str]]]],
        int,
    ]:
        """`on_messages`, then in the same crossing the top `depth` levels of every book
        the batch changed, once each: (events without `BookUpdate`s, tops as `(symbol,
        valid, seq, ts_event, bids, asks)`, rejections so far)."""
    def on_rest_snapshot(
        self, raw: bytes, symbol: str | None = None, ts_recv: int = 0
    ) -> list[BookUpdate | Trade | Bbo | MarkFunding | BookFault]: ...
    def on_reconnect(self) -> None: ...
    def stats(self) -> dict[str, int]: ...
    def last_error(self) -> str | None: ...
    def symbols(self) -> list[str]: ...
    def unsynced(self) -> list[str]: ...
    def book(self, symbol: str, depth: int = 10) -> BookView: ...
    def mid(self, symbol: str) -> str | None: ...
    def sweep(self, symbol: str, side: Literal["bid", "ask"], qty: str) -> SweepResult:
        """Sweep `side` ("bid" when selling, "ask" when buying) for `qty`."""
    def depth_within_bps(
        self, symbol: str, side: Literal["bid", "ask"], bps: int
    ) -> tuple[str, str]: ...

# Contract math and pre-trade risk (engine_core::contracts, engine_core::risk).
# Amounts are Decimal in and out; int and str are accepted, float is refused (InvalidDecimal).

class ContractMathError(EngineError, ValueError):
    """Contract math refused its input (non-positive price, overflow, bad route)."""

class InstrumentSpecError(EngineError, ValueError):
    """An instrument message that cannot become a spec; the message names the field."""

class RiskConfigError(EngineError, ValueError):
    """A limits table or risk-state update that cannot be used."""

_Num = Decimal | int | str
_Payoff = Literal["linear", "inverse"]

@final
class InstrumentSpec:
    """One instrument as its venue defines it; quantities are in the venue's order unit."""

    @property
    def venue(self) -> str: ...
    @property
    def symbol(self) -> str: ...
    @property
    def kind(self) -> Literal["perpetual", "future", "spot"]: ...
    @property
    def expiry_ms(self) -> int | None: ...
    @property
    def payoff(self) -> _Payoff: ...
    @property
    def base(self) -> str: ...
    @property
    def quote(self) -> str: ...
    @property
    def settle(self) -> str: ...
    @property
    def margin(self) -> str: ...
    @property
    def multiplier(self) -> Decimal:
        """Value of one unit of quantity: coins (linear) or USD (inverse)."""
    @property
    def contract_size(self) -> Decimal: ...
    @property
    def tick(self) -> Decimal: ...
    @property
    def lot(self) -> Decimal: ...
    @property
    def min_qty(self) -> Decimal: ...
    @property
    def max_qty(self) -> Decimal | None: ...
    @property
    def min_notional(self) -> Decimal | None: ...
    @property
    def funding_interval_min(self) -> int | None: ...
    @property
    def maint_margin_rate(self) -> Decimal | None: ...
    @property
    def active(self) -> bool: ...
    def on_tick(self, price: _Num) -> bool: ...
    def on_lot(self, qty: _Num) -> bool: ...

def load_instruments(venue: str, text: str) -> tuple[list[InstrumentSpec], list[tuple[str, str]]]:
    """Specs from a venue instrument response, plus (symbol, reason) of skipped entries."""

def notional(payoff: _Payoff, multiplier: _Num, qty: _Num, price: _Num) -> Decimal:
    """Signed USD notional: linear qty x mult x price, inverse qty x mult."""

def coin_delta(payoff: _Payoff, multiplier: _Num, qty: _Num, price: _Num) -> Decimal:
    """Signed coin exposure: linear qty x mult, inverse qty x mult / price."""

def pnl(payoff: _Payoff, multiplier: _Num, qty: _Num, entry: _Num, exit: _Num) -> Decimal:
    """PnL in the settle currency (linear: quote, inverse: coin)."""

def pnl_usd(payoff: _Payoff, multiplier: _Num, qty: _Num, entry: _Num, exit: _Num) -> Decimal:
    """PnL in USD (inverse coin PnL valued at exit)."""

def inverse_rehedge(
    spec: InstrumentSpec, current_qty: _Num, price: _Num, target_coins: _Num
) -> tuple[Decimal, Decimal]:
    """Inverse units to add (+) or remove (-) to reach target coin delta: (exact, lot-rounded)."""

def premium_index(impact_bid: _Num, impact_ask: _Num, index: _Num) -> Decimal: ...
def funding_rate(
    premium_avg: _Num, interest: _Num | None = None, clamp: _Num | None = None
) -> Decimal:
    """F = Pavg + clamp(I - Pavg, -clamp, +clamp); defaults I = 0.0001, clamp = 0.0005."""

def weighted_premium(samples: Sequence[_Num]) -> Decimal:
    """Bybit sum k P_k / sum k over samples, oldest first."""

def funding_payment(
    payoff: _Payoff, multiplier: _Num, qty: _Num, mark: _Num, rate: _Num
) -> Decimal:
    """Cash flow to the holder (rate > 0: longs pay): USD linear, coin inverse."""

def funding_apr(rate: _Num, interval_min: int) -> Decimal: ...
def basis(future: _Num, spot: _Num) -> Decimal: ...
def basis_apr(future: _Num, spot: _Num, days_to_expiry: _Num) -> Decimal: ...
def lst_liquidation_price(p0: _Num, s: _Num, h: _Num, m: _Num) -> Decimal | None:
    """Liquidation price (docs/funding-basis-margin.md#liquidation-distance) P0 / (1 + m - s h) of
    an LST hedged by a short."""

def split_route(amount: int, ratios_bps: Sequence[int]) -> list[int]:
    """Minting-contract route split: floor(amount x ratio / 10000), remainder to the last."""

@final
class HaircutTiers:
    """Collateral haircut schedule; bands are (upper bound, ratio), then `beyond`."""

    def __new__(
        cls,
        basis: Literal["quantity", "value"],
        bands: Sequence[tuple[_Num, _Num]],
        beyond: _Num,
    ) -> HaircutTiers: ...
    @staticmethod
    def flat(ratio: _Num) -> HaircutTiers: ...
    @staticmethod
    def bybit_btc() -> HaircutTiers: ...
    @staticmethod
    def binance_example() -> HaircutTiers: ...
    def value(self, qty: _Num, price: _Num) -> Decimal: ...
    def effective_ratio(self, qty: _Num, price: _Num) -> Decimal: ...

@final
class Position:
    """A position kept from fills (average entry, realised PnL, fees, funding)."""

    def __new__(cls, payoff: _Payoff, multiplier: _Num) -> Position: ...
    def apply(
        self, qty: _Num, price: _Num, fee: _Num | None = None
    ) -> tuple[Decimal, Decimal, Decimal]:
        """Apply a signed fill; returns (closed, opened, realised)."""
    def add_funding(self, amount: _Num) -> None: ...
    def unrealised(self, mark: _Num) -> Decimal: ...
    def net_realised(self) -> Decimal: ...
    @property
    def qty(self) -> Decimal: ...
    @property
    def avg_entry(self) -> Decimal: ...
    @property
    def realised_pnl(self) -> Decimal: ...
    @property
    def fees(self) -> Decimal: ...
    @property
    def funding(self) -> Decimal: ...

@final
class LiquidationModel:
    """Account equity and maintenance as lines in one price; liquidation where they meet."""

    def __new__(cls) -> LiquidationModel: ...
    def add_cash(self, usd: _Num) -> None: ...
    def add_coin(self, coins: _Num, rate: _Num, ratio: _Num) -> None: ...
    def add_position(
        self, payoff: _Payoff, multiplier: _Num, qty: _Num, entry: _Num, maint_rate: _Num
    ) -> None: ...
    def equity(self, price: _Num) -> Decimal: ...
    def maintenance(self, price: _Num) -> Decimal: ...
    def liq_price(self) -> Decimal | None: ...
    def liq_distance(self, price: _Num) -> Decimal | None: ...

@final
class Portfolio:
    """Many positions over a fixed instrument table, marked to market in one call."""

    def __new__(cls, terms: Sequence[tuple[_Payoff, _Num]]) -> Portfolio: ...
    def add(self, instrument: int, qty: _Num, entry: _Num) -> None: ...
    def extend(self, rows: Iterable[tuple[int, _Num, _Num]]) -> None: ...
    def mark(self, marks: Iterable[_Num]) -> tuple[Decimal, Decimal, Decimal]:
        """(unrealised PnL USD, gross notional USD, net delta USD)."""
    def mark_each(self, marks: Iterable[_Num]) -> PositionMarks:
        """Each position's unrealised PnL in USD: linear exact, inverse q m (px - e) / e
        rounded half-even to 28 significant digits (as Decimal's default context)."""
    def unrealised(self, marks: Iterable[_Num]) -> list[Decimal]: ...
    def __len__(self) -> int: ...

@final
class PositionMarks:
    """Per-position unrealised PnL (USD) from `Portfolio.mark_each`; a Decimal per read."""

    def __len__(self) -> int: ...
    def __getitem__(self, key: int, /) -> Decimal: ...
    def __iter__(self) -> Iterator[Decimal]: ...

@final
class Verdict:
    """Approved, or refused with every reason; truthy when approved."""

    @property
    def approved(self) -> bool: ...
    @property
    def codes(self) -> list[str]: ...
    @property
    def reasons(self) -> list[str]: ...
    def __bool__(self) -> bool: ...

@final
class BatchVerdicts:
    """The verdicts of one `check_batch`, in order; a `Verdict` is built per read."""

    def __len__(self) -> int: ...
    def __getitem__(self, key: int, /) -> Verdict: ...
    def __iter__(self) -> Iterator[Verdict]: ...
    @property
    def approved(self) -> list[bool]:
        """One bool per order."""
    @property
    def all_approved(self) -> bool: ...
    @property
    def refused(self) -> list[int]:
        """Indices of the refused orders."""
    @property
    def codes(self) -> list[list[str]]:
        """Each order's refusal codes (empty when approved)."""

@final
class RiskEngine:
    """Pre-trade risk state, limits table (JSON) and checks."""

    def __new__(cls, limits_json: str = "{}") -> RiskEngine: ...
    def set_limits(self, limits_json: str) -> None: ...
    def set_state(
        self,
        state: Literal["active", "reduce-only", "halted"],
        venue: str | None = None,
        symbol: str | None = None,
    ) -> None: ...
    def trading_state(
        self, venue: str | None = None
    ) -> Literal["active", "reduce-only", "halted"]: ...
    def add_instrument(self, spec: InstrumentSpec) -> int: ...
    def instrument_id(self, venue: str, symbol: str) -> int | None: ...
    def set_mark(self, instrument: int, price: _Num) -> None: ...
    def set_index(self, asset: str, price: _Num) -> None: ...
    def set_spot(self, asset: str, coins: _Num) -> None: ...
    def set_collateral(
        self, venue: str, name: str, asset: str, coins: _Num, rate: _Num, tiers: HaircutTiers
    ) -> None: ...
    def apply_fill(
        self,
        instrument: int,
        side: Literal["buy", "sell"],
        qty: _Num,
        price: _Num,
        fee: _Num | None = None,
    ) -> tuple[Decimal, Decimal, Decimal]: ...
    def set_position(self, instrument: int, qty: _Num, avg_entry: _Num) -> None: ...
    def position(self, instrument: int) -> tuple[Decimal, Decimal, Decimal, Decimal, Decimal]:
        """(qty, avg_entry, realised_pnl, fees, funding)."""
    def exposure(
        self,
    ) -> tuple[Decimal, Decimal, dict[str, tuple[Decimal, Decimal, Decimal]]]:
        """(net delta USD, gross USD, {venue: (gross, equity, initial margin)})."""
    def check(
        self,
        instrument: int,
        side: Literal["buy", "sell"],
        qty: _Num,
        price: _Num,
        ts_ms: int = 0,
    ) -> Verdict: ...
    def check_batch(
        self, orders: Iterable[tuple[int, str, _Num, _Num, int]], cumulative: bool = False
    ) -> BatchVerdicts: ...
    def __len__(self) -> int: ...

@final
class GateDecision:
    """The gatekeeper's view of one mint/redeem event."""

    @property
    def price(self) -> Decimal | None: ...
    @property
    def loss(self) -> Decimal: ...
    @property
    def window_loss(self) -> Decimal: ...
    @property
    def action(self) -> Literal["ok", "alert", "disable"]: ...
    @property
    def reasons(self) -> list[str]: ...

@final
class Gatekeeper:
    """Circuit breaker (docs/risk-playbooks.md#gatekeeper) over executed mints and redeems."""

    def __new__(
        cls,
        max_deviation: _Num | None = None,
        disable_loss: _Num | None = None,
        warn_loss: _Num | None = None,
        window_ms: int = 1800000,
    ) -> Gatekeeper: ...
    def observe(
        self,
        ts_ms: int,
        flow: Literal["mint", "redeem"],
        collateral_amount: _Num,
        usde_amount: _Num,
        spot: _Num | None = None,
    ) -> GateDecision: ...

# Split planner (engine_core::planner): one plan for pricing and hedging.

_Side = Literal["sell", "buy"]
_VenueIn = tuple[str, _Num, _Num, _Num | None, bool]
_SizesIn = tuple[_Num, _Num, _Num, _Num | None, _Num]
_CarryIn = tuple[Literal["funding", "basis"], _Num, int] | None
_DepthIn = tuple[int, int, Sequence[tuple[int, int]] | array[int]]
_CandidateIn = tuple[str, str, _Payoff, _SizesIn, tuple[_Num, _Num], _CarryIn, _Num, bool, _DepthIn]

@final
class HedgeLeg:
    """One order of a plan: qty in the instrument's unit, amounts in USD at the reference."""

    @property
    def venue(self) -> str: ...
    @property
    def symbol(self) -> str: ...
    @property
    def side(self) -> _Side: ...
    @property
    def qty(self) -> Decimal: ...
    @property
    def coins(self) -> Decimal: ...
    @property
    def vwap(self) -> Decimal: ...
    @property
    def worst_px(self) -> Decimal: ...
    @property
    def levels(self) -> int: ...
    @property
    def gross(self) -> Decimal: ...
    @property
    def fee(self) -> Decimal: ...
    @property
    def maker_fee(self) -> Decimal: ...
    @property
    def carry(self) -> Decimal: ...
    @property
    def ref_notional(self) -> Decimal: ...
    @property
    def cost(self) -> Decimal: ...

@final
class HedgePlan:
    """A planned hedge: legs in (venue, symbol) order, totals, and why a residual is left."""

    @property
    def asset(self) -> str: ...
    @property
    def side(self) -> _Side: ...
    @property
    def target_coins(self) -> Decimal: ...
    @property
    def legs(self) -> list[HedgeLeg]: ...
    @property
    def filled_coins(self) -> Decimal: ...
    @property
    def residual_coins(self) -> Decimal: ...
    @property
    def shortfall(
        self,
    ) -> Literal["no_candidates", "depth", "limits", "lot", "min_size"] | None: ...
    @property
    def gross(self) -> Decimal: ...
    @property
    def fee(self) -> Decimal: ...
    @property
    def carry(self) -> Decimal: ...
    @property
    def cost(self) -> Decimal: ...
    @property
    def vwap(self) -> Decimal | None: ...
    @property
    def stops(self) -> list[tuple[str, str, str]]: ...

def plan_hedge(
    asset: str,
    side: _Side,
    target_coins: _Num,
    ref_price: _Num,
    horizon_min: int,
    venues: Sequence[_VenueIn],
    candidates: Sequence[_CandidateIn],
) -> HedgePlan:
    """Plan a hedge; raises ContractMathError for input the planner refuses."""
