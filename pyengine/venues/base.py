"""The adapter interface every venue client implements: live, replayed or simulated.

Market data crosses as the venue's own raw bytes (`Frame`), so one normaliser
(`pyengine._core.Feed`) and one validation path serve live, recorded and simulated data
alike. Order entry and private account state cross as normalised messages
(`pyengine.messages`). A feed actor drives a `MarketDataSource`; an execution actor
drives an `ExecutionClient`; a venue implements both (`VenueAdapter`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, Protocol, runtime_checkable

from pyengine.messages import (
    BalanceReport,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderRejected,
    OrderUpdate,
    PositionReport,
    SubmitOrder,
)


@dataclass(frozen=True, slots=True)
class Frame:
    """One raw message from a venue connection.

    `kind` "stream" is a websocket/stream message, "rest" a REST depth snapshot body
    (Binance syncs books from one; `symbol` names its book), and "reconnected" marks a
    new connection: every book of that source must resync (`data` is empty).
    """

    data: bytes
    ts_recv: int
    kind: Literal["stream", "rest", "reconnected"] = "stream"
    symbol: str | None = None


@runtime_checkable
class MarketDataSource(Protocol):
    """One market-data connection of a venue."""

    @property
    def venue(self) -> str:
        """The `pyengine._core.Feed` normaliser name (e.g. "binance-usdm")."""
        ...

    @property
    def category(self) -> str | None:
        """Bybit category of the connection (None elsewhere)."""
        ...

    def frames(self) -> AsyncIterator[Frame]:
        """Frames in arrival order until closed; reconnects are yielded as frames."""
        ...

    def drain_ready(self, limit: int) -> list[Frame]:
        """The next frames that are already here, up to `limit`, without waiting (in the
        order `frames` would yield them): the feed actor normalises them in one batch."""
        ...

    async def resync(self, symbol: str) -> None:
        """Make `symbol`'s book resync: fetch a REST snapshot (delivered as a "rest"
        frame) or resubscribe, as the venue requires."""
        ...

    async def close(self) -> None:
        """Stop and release the connection."""
        ...


AccountEvent = OrderUpdate | OrderFilled | PositionReport | BalanceReport
OrderReply = OrderAccepted | OrderRejected


@runtime_checkable
class ExecutionClient(Protocol):
    """Order entry and private account state of one venue account."""

    @property
    def venue(self) -> str:
        """The venue name used in messages."""
        ...

    async def place(self, order: SubmitOrder) -> OrderReply:
        """Place an order; idempotent on `client_order_id`."""
        ...

    async def cancel(self, client_order_id: str, symbol: str) -> OrderCanceled | OrderRejected:
        """Cancel an open order."""
        ...

    async def amend(
        self,
        client_order_id: str,
        symbol: str,
        *,
        qty: Decimal | None = None,
        price: Decimal | None = None,
    ) -> OrderReply:
        """Change an open order's size and/or price."""
        ...

    def account_events(self) -> AsyncIterator[AccountEvent]:
        """Order updates, fills, positions and balances as the venue pushes them."""
        ...

    async def open_orders(self) -> list[OrderUpdate]:
        """Open orders, from the venue (reconciliation)."""
        ...

    async def positions(self) -> list[PositionReport]:
        """Positions, from the venue (reconciliation)."""
        ...

    async def balances(self) -> list[BalanceReport]:
        """Balances, from the venue (reconciliation)."""
        ...


@runtime_checkable
class VenueAdapter(MarketDataSource, ExecutionClient, Protocol):
    """A venue: market data and execution behind one object."""
