"""Pricing: mint and redeem prices from the hedge the router would trade (docs/pricing.md).

Pure domain logic, no I/O: `MarketView` holds what the market said (depth, validity,
oracles, positions), `Pricer` turns it into firm prices and indicative ladders.
"""

from pyengine.pricing.amounts import AmountError, from_base, stables_limit_ok, to_base
from pyengine.pricing.config import PairConfig, PricingConfig, default_pairs
from pyengine.pricing.market import Book, Fitness, MarketView, depth_of, reference_price
from pyengine.pricing.pricer import Capacity, Ladder, Priced, Pricer, Refused, Rung

__all__ = [
    "AmountError",
    "Book",
    "Capacity",
    "Fitness",
    "Ladder",
    "MarketView",
    "PairConfig",
    "Priced",
    "Pricer",
    "PricingConfig",
    "Refused",
    "Rung",
    "default_pairs",
    "depth_of",
    "from_base",
    "reference_price",
    "stables_limit_ok",
    "to_base",
]
