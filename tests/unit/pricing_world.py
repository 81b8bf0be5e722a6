"""A small priced market for the pricing tests and benchmarks: real instrument specs of the
simulated venues, books as `BookDepth`, validator verdicts and both oracles."""

from __future__ import annotations

import time
from decimal import Decimal as D

from pyengine.contracts import InstrumentSpec, load_instruments_file
from pyengine.data.listings import world_instruments
from pyengine.messages import BookDepth, OraclePrice
from pyengine.messages.validity import InstrumentValidity
from pyengine.pricing import MarketView, Pricer, PricingConfig

SEC = 1_000_000_000
NOW = time.time_ns() // SEC * SEC
"""The dated futures are relisted from the wall clock (pyengine.data.listings), so the
tests' instant is now too: before their expiry."""


def specs() -> list[InstrumentSpec]:
    out: list[InstrumentSpec] = []
    for venue, path, symbols in world_instruments(int(time.time() * 1000)):
        out += [s for s in load_instruments_file(venue, path) if s.symbol in symbols]
    return out


SPECS = specs()
FEES = {
    "binance-usdm": "0.0002",
    "binance-coinm": "0.0005",
    "bybit": "0.00055",
    "okx": "0.0005",
    "deribit": "0.0005",
}


def config(**over: object) -> PricingConfig:
    base: dict[str, object] = {"taker_fees": FEES}
    base.update(over)
    import msgspec

    return msgspec.convert(base, PricingConfig)


def depth(  # noqa: PLR0917  (a book reads best as venue, symbol, bids, asks)
    venue: str,
    symbol: str,
    bids: list[tuple[str, str]],
    asks: list[tuple[str, str]],
    valid: bool = True,
    seq: int = 1,
) -> BookDepth:
    return BookDepth(
        ts_event=NOW,
        ts_recv=NOW,
        venue=venue,
        symbol=symbol,
        bids=bids,
        asks=asks,
        valid=valid,
        book_seq=seq,
    )


def verdict(venue: str, symbol: str, state: str = "valid") -> InstrumentValidity:
    return InstrumentValidity(
        ts_event=NOW,
        ts_recv=NOW,
        venue=venue,
        symbol=symbol,
        state=state,
        reasons=[],
        dev_bps="0",
        lag_ms=1,
    )


def oracle(source: str, asset: str, price: str, at: int = NOW) -> OraclePrice:
    return OraclePrice(
        ts_event=at, ts_recv=at, source=source, symbol=asset, price=price, publish_ns=at
    )


def market(cfg: PricingConfig, books: list[BookDepth], prices: dict[str, str]) -> MarketView:
    m = MarketView(cfg, SPECS)
    for b in books:
        m.on_depth(b)
        m.on_validity(verdict(b.venue, b.symbol), NOW)
    for asset, px in prices.items():
        for src in ("pyth", "redstone"):
            m.on_oracle(oracle(src, asset, px), NOW)
    return m


def spec_vector(**over: object) -> Pricer:
    """SPEC section 5: bids 60 @ 3,000.0 and 40 @ 2,999.0 on one venue, fee 2 bp."""
    cfg = config(taker_fees={"binance-usdm": "0.0002"}, **over)
    book = depth(
        "binance-usdm",
        "ETHUSDT",
        [("3000.0", "60"), ("2999.0", "40")],
        [("3000.1", "100"), ("3001.0", "100")],
    )
    return Pricer(cfg, market(cfg, [book], {"ETH": "3000"}))


def five_venues(levels: int = 50, seed: int = 1) -> list[BookDepth]:
    """ETH and BTC books on every simulated venue: `levels` per side, one tick apart."""
    out = []
    for s in SPECS:
        mid = D(3000) if s.base == "ETH" else D(60000)
        tick = s.tick
        size = D(10) if s.payoff == "linear" and s.multiplier == 1 else D(1000)
        if s.payoff == "linear" and s.multiplier < 1:
            size = D(100)
        if s.payoff == "inverse":
            size = D(30000) / s.multiplier
        size = (size // s.lot) * s.lot
        bids = [(str(mid - tick * (i + 1)), str(size)) for i in range(levels)]
        asks = [(str(mid + tick * (i + 1)), str(size)) for i in range(levels)]
        sym = f"linear:{s.symbol}" if s.venue == "bybit" else s.symbol
        out.append(depth(s.venue, sym, bids, asks, seq=seed))
    return out
