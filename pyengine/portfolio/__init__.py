"""What we hold, from our own fills and the custodian's and chain's messages (pure domain).

`Holdings` folds messages into positions per (venue, instrument), fees, funding and
settlements per (venue, currency), custody per custodian, marks and the synthetic-dollar
liability; `asset_delta` turns them into each asset's net coin delta
(docs/contracts.md#coin-delta); `Keeper` decides the hedge requests that keep it within
tolerance (docs/contracts.md#settlement-and-roll, docs/risk-playbooks.md#playbooks).
"""

from pyengine.portfolio.delta import AssetDelta, InstrumentDelta, asset_delta, instrument_delta
from pyengine.portfolio.holdings import Holdings
from pyengine.portfolio.keeper import Keeper, KeeperConfig, KeeperInput
from pyengine.portfolio.positions import Book, Instruments, PortfolioError, PositionRow

__all__ = [
    "AssetDelta",
    "Book",
    "Holdings",
    "InstrumentDelta",
    "Instruments",
    "Keeper",
    "KeeperConfig",
    "KeeperInput",
    "PortfolioError",
    "PositionRow",
    "asset_delta",
    "instrument_delta",
]
