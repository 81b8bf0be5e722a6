"""Strategy scripts: the public API for users' trading logic.

A strategy is a class deriving from `Strategy`, in a plain Python file::

    from decimal import Decimal
    from pyengine.strategy import Strategy
    from pyengine.messages import BookTop, Message

    class Dip(Strategy):
        subscribe = ("md.book.paper.BTCUSDT",)

        def on_message(self, msg: Message) -> None:
            if isinstance(msg, BookTop) and msg.valid:
                ask = Decimal(msg.asks[0][0])
                self.submit("paper", msg.symbol, "buy", Decimal("0.01"), price=ask)

Run it with `pyengine run --strategy path/to/file.py` (or an `[[actors]]` entry with
`kind = "strategy"` and `options = {path = "...", class = "Dip"}`).

- `subscribe`: dotted topic prefixes; every matching message arrives, typed, in `on_message`.
- `submit(...)` sends a `SubmitOrder` through pre-trade risk (never straight to a venue) and
  returns its client order id; `cancel(...)` asks to cancel. Both are acknowledged messages:
  they are not lost if an actor restarts. Give `parent_id` (the decision an order serves)
  and the id is derived from it and a child index (`pyengine.orders.ids`), so a restarted
  strategy that re-derives the same decision sends the same id and the venue dedups it.
- `on_order(msg)` receives this strategy's order events: `OrderAccepted`, `OrderRejected`
  (`stage="risk"` when risk refused it; `codes` says why), `OrderFilled`, `OrderCanceled`,
  and `OrderStatusUnknown`: a request the venue did not answer definitively (a timeout,
  -1006 ...). That is not a rejection: the order stays in flight (`self.order(id)` says
  so) until execution's status query or the private stream settles it; re-submitting it
  under a new id could leave two orders at the venue.
- `self.order(id)` and `self.open_orders(...)` answer the state of its orders
  (`pyengine.orders.Order`: status, filled and average price), kept by the host from those
  events; an event that contradicts what is known raises an alert.
- `on_timer(now_ns)` runs every `timer_interval` seconds if you set one.
- `self.now()` is the engine clock (ns) and `self.options` the config options: use them,
  not `time.time()`, so a replay is deterministic.
- Callbacks are synchronous and must not block; an exception restarts the strategy (a fresh
  instance), and repeated failures raise an alert and pause minting.
"""

from __future__ import annotations

import contextlib
import importlib.util
import inspect
import logging
import sys
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

import msgspec

from pyengine.actors.base import Actor, ActorContext
from pyengine.actors.snapshots import decode_orders, encode_orders
from pyengine.errors import ConfigError
from pyengine.messages import (
    CancelOrder,
    Message,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderRejected,
    OrderStatusUnknown,
    SubmitOrder,
    topics,
)
from pyengine.messages.execution import (
    ORDER_TYPES,
    SIDES,
    TIMES_IN_FORCE,
    OrderType,
    Side,
    TimeInForce,
)
from pyengine.orders import (
    DuplicateOrderId,
    IllegalTransition,
    Order,
    OrderError,
    OrderTable,
    child_order_id,
    illegal_alert,
)

log = logging.getLogger("pyengine.strategy")

OrderEvent = OrderAccepted | OrderRejected | OrderFilled | OrderCanceled | OrderStatusUnknown
_ORDER_EVENTS = (OrderAccepted, OrderRejected, OrderFilled, OrderCanceled, OrderStatusUnknown)


class Strategy:
    """Base class of user strategies (see the module docstring)."""

    subscribe: ClassVar[tuple[str, ...]] = ()
    timer_interval: ClassVar[float | None] = None

    def __init__(self, host: StrategyHost) -> None:
        self._host = host
        self.name = host.name
        self.options: dict[str, Any] = dict(host.ctx.options.get("params", {}))

    def now(self) -> int:
        """Engine time, ns since the epoch."""
        return self._host.now()

    def submit(
        self,
        venue: str,
        symbol: str,
        side: Side,
        qty: Decimal,
        *,
        price: Decimal | None = None,
        order_type: OrderType = "limit",
        tif: TimeInForce = "gtc",
        reduce_only: bool = False,
        parent_id: str = "",
        child: int = 0,
    ) -> str:
        """Send an order through risk; returns its client order id.

        With `parent_id` the id is child number `child` of that parent: state the index
        from the decision itself (the first leg 0, the second 1 ...), so that a restarted
        strategy re-deriving the decision names the same orders. An id this host already
        tracks (from this life or the journal) is not sent again. Without a parent, a fresh
        id of this actor's life."""
        # The schema refuses these on decode, so a bad one would never reach risk and the
        # order would wait for an answer forever: refuse it here, to the author.
        for name, value, allowed in (
            ("side", side, SIDES),
            ("order_type", order_type, ORDER_TYPES),
            ("tif", tif, TIMES_IN_FORCE),
        ):
            if value not in allowed:
                raise ValueError(f"{name} {value!r} is not one of {', '.join(allowed)}")
        host = self._host
        if parent_id:
            coid = child_order_id(parent_id, child, venue)
            if coid in host.orders:
                known = host.orders.get(coid)
                if known is not None and (known.venue, known.symbol, known.side, known.qty) != (
                    venue,
                    symbol,
                    side,
                    Decimal(qty),
                ):
                    raise DuplicateOrderId(
                        f"{coid} (child {child} of {parent_id}) is already another order"
                    )
                log.info("%s: order %s was sent already: not again", self.name, coid)
                return coid
        else:
            coid = host.ids.next_id("o-")
        now = self.now()
        msg = SubmitOrder(
            ts_event=now,
            ts_recv=now,
            client_order_id=coid,
            venue=venue,
            symbol=symbol,
            side=side,
            qty=Decimal(qty),
            price=None if price is None else Decimal(price),
            order_type=order_type,
            tif=tif,
            reduce_only=reduce_only,
            strategy=self.name,
            parent_id=parent_id,
        )
        host.track(msg)
        host.outbox.append(msg)
        return coid

    def cancel(self, venue: str, client_order_id: str) -> None:
        """Ask to cancel one of this strategy's orders."""
        now = self.now()
        known = self._host.orders.get(client_order_id)
        msg = CancelOrder(
            ts_event=now,
            ts_recv=now,
            client_order_id=client_order_id,
            venue=venue,
            parent_id=known.parent_id if known is not None else "",
        )
        self._host.track(msg)
        self._host.outbox.append(msg)

    def order(self, client_order_id: str) -> Order | None:
        """What is known of one of this strategy's orders (None: not one of its own)."""
        return self._host.orders.get(client_order_id)

    def open_orders(
        self, venue: str | None = None, symbol: str | None = None, parent_id: str | None = None
    ) -> list[Order]:
        """This strategy's orders that may still trade, oldest first."""
        return self._host.orders.open_orders(venue, symbol, parent_id)

    def publish(self, msg: Message) -> None:
        """Publish any other message (e.g. an `AlertRaised`)."""
        self._host.outbox.append(msg)

    def on_start(self) -> None:
        """Called once when the engine is up."""

    def on_message(self, msg: Message) -> None:
        """A message on one of the subscribed topics."""

    def on_order(self, msg: OrderEvent) -> None:
        """An event about one of this strategy's orders."""

    def on_timer(self, now_ns: int) -> None:
        """Every `timer_interval` seconds."""

    def on_stop(self) -> None:
        """Called at graceful shutdown."""


class StrategyOptions(msgspec.Struct, forbid_unknown_fields=True, rename={"class_name": "class"}):
    """`[actors.options]` of a strategy actor."""

    path: str
    class_name: str = ""
    params: dict[str, Any] = {}


def load_strategy_class(path: str, class_name: str = "") -> type[Strategy]:
    """Import a strategy file and pick its `Strategy` subclass (by name if several)."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"strategy {path}: no such file")
    mod_name = f"pyengine_strategy_{p.stem}_{abs(hash(str(p.resolve())))}"
    module = sys.modules.get(mod_name)
    if module is None:
        spec = importlib.util.spec_from_file_location(mod_name, p)
        if spec is None or spec.loader is None:
            raise ConfigError(f"strategy {path}: cannot load")
        module = importlib.util.module_from_spec(spec)
        sys.modules[mod_name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            del sys.modules[mod_name]
            raise ConfigError(f"strategy {path}: {type(exc).__name__}: {exc}") from exc
    found = [
        c
        for _, c in inspect.getmembers(module, inspect.isclass)
        if issubclass(c, Strategy) and c is not Strategy and c.__module__ == mod_name
    ]
    if class_name:
        found = [c for c in found if c.__name__ == class_name]
    if len(found) != 1:
        names = ", ".join(c.__name__ for c in found) or "none"
        raise ConfigError(
            f"strategy {path}: expected one Strategy subclass"
            f"{' named ' + class_name if class_name else ''}, found {names}"
        )
    return found[0]


class StrategyHost(Actor):
    """Runs one user strategy as an actor."""

    reliable = (topics.EXEC_ORDER, topics.EXEC_FILL)

    def __init__(self, ctx: ActorContext) -> None:
        super().__init__(ctx)
        opts = ctx.options_as(StrategyOptions)
        self.cls = load_strategy_class(opts.path, opts.class_name)
        self.outbox: list[Message] = []
        self.orders = OrderTable()
        """This strategy's orders (the journal's, after a restart, and those it sends)."""
        self.strategy = self.cls(self)

    def recover(self, journal: Iterable[Message]) -> None:
        """Rebuild the order table: this strategy's submits, and events of those orders."""
        for msg in journal:
            if isinstance(msg, SubmitOrder):
                mine = msg.strategy == self.name
            else:
                mine = isinstance(msg, CancelOrder | OrderEvent) and (
                    msg.client_order_id in self.orders
                )
            if mine:
                with contextlib.suppress(OrderError):
                    self.orders.apply(msg)

    snapshot_version = 1

    def snapshot(self) -> bytes | None:
        return encode_orders(self.orders)

    def restore(self, blob: bytes) -> None:
        decode_orders(blob, self.orders)

    def recovered(self) -> dict[str, int]:
        return {"orders_open": len(self.orders.open_orders()), "orders_known": len(self.orders)}

    def track(self, msg: Message) -> None:
        """Apply an order command or event; a contradiction becomes an alert."""
        try:
            self.orders.apply(msg)
        except IllegalTransition as exc:
            log.warning("%s: %s", self.name, exc)
            self.outbox.append(illegal_alert(exc, source=self.name, now=self.now()))
        except OrderError as exc:
            log.warning("%s: %s", self.name, exc)

    def timer_period(self) -> float | None:
        return self.cls.timer_interval

    def topics(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return tuple(self.cls.subscribe), type(self).reliable

    def _take(self) -> list[Message]:
        out, self.outbox = self.outbox, []
        return out

    def on_start(self) -> list[Message]:
        self.strategy.on_start()
        return self._take()

    def handle(self, msg: Message) -> list[Message]:
        if isinstance(msg, _ORDER_EVENTS):
            if msg.client_order_id in self.orders:
                self.track(msg)
                self.strategy.on_order(msg)
            elif msg.client_order_id.startswith(f"o-{self.name}-"):
                # One of an earlier life's orders the journal did not give back.
                self.strategy.on_order(msg)
        else:
            self.strategy.on_message(msg)
        return self._take()

    def on_timer(self, now_ns: int) -> list[Message]:
        self.strategy.on_timer(now_ns)
        return self._take()

    def on_stop(self) -> list[Message]:
        self.strategy.on_stop()
        return self._take()
