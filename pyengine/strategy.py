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
  they are not lost if an actor restarts.
- `on_order(msg)` receives this strategy's order events: `OrderAccepted`, `OrderRejected`
  (`stage="risk"` when risk refused it), `OrderFilled`, `OrderCanceled`.
- `on_timer(now_ns)` runs every `timer_interval` seconds if you set one.
- `self.now()` is the engine clock (ns) and `self.options` the config options: use them,
  not `time.time()`, so a replay is deterministic.
- Callbacks are synchronous and must not block; an exception restarts the strategy (a fresh
  instance), and repeated failures raise an alert and pause minting.
"""

from __future__ import annotations

import importlib.util
import inspect
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

import msgspec

from pyengine.actors.base import Actor, ActorContext
from pyengine.errors import ConfigError
from pyengine.messages import (
    CancelOrder,
    Message,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderRejected,
    SubmitOrder,
)

OrderEvent = OrderAccepted | OrderRejected | OrderFilled | OrderCanceled


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
        side: str,
        qty: Decimal,
        *,
        price: Decimal | None = None,
        order_type: str = "limit",
        tif: str = "gtc",
        reduce_only: bool = False,
    ) -> str:
        """Send an order through risk; returns its client order id."""
        coid = self._host.ids.next_id("o-")
        now = self.now()
        self._host.outbox.append(
            SubmitOrder(
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
            )
        )
        self._host.mine.add(coid)
        return coid

    def cancel(self, venue: str, client_order_id: str) -> None:
        """Ask to cancel one of this strategy's orders."""
        now = self.now()
        self._host.outbox.append(
            CancelOrder(ts_event=now, ts_recv=now, client_order_id=client_order_id, venue=venue)
        )

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

    reliable = ("exec.order.", "exec.fill.")

    def __init__(self, ctx: ActorContext) -> None:
        super().__init__(ctx)
        opts = ctx.options_as(StrategyOptions)
        self.cls = load_strategy_class(opts.path, opts.class_name)
        self.outbox: list[Message] = []
        self.mine: set[str] = set()
        self.strategy = self.cls(self)

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
        if isinstance(msg, OrderAccepted | OrderRejected | OrderFilled | OrderCanceled):
            if msg.client_order_id in self.mine or msg.client_order_id.startswith(
                f"o-{self.name}-"
            ):
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
