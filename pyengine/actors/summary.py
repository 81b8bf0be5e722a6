"""A one-line, human-readable summary of the engine's state, for the log.

Someone who starts `pyengine run` should see within seconds that books are valid, orders
fill and nothing is on fire, without opening a second terminal. The monitor feeds this
from what it already watches and logs `line()` every few seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyengine.messages import AlertCleared, AlertRaised, Message, OrderFilled, OrderRejected
from pyengine.messages.validity import InstrumentValidity


@dataclass
class MarketSummary:
    """Validity per instrument, fill and reject counts, open alerts."""

    validity: dict[tuple[str, str], InstrumentValidity] = field(default_factory=dict)
    fills: int = 0
    rejects: int = 0
    last_fill: OrderFilled | None = None
    open_alerts: dict[str, str] = field(default_factory=dict)

    def observe(self, msg: Message) -> None:
        """Fold one message in (anything not summarised is ignored)."""
        if isinstance(msg, InstrumentValidity):
            self.validity[(msg.venue, msg.symbol)] = msg
        elif isinstance(msg, OrderFilled):
            self.fills += 1
            self.last_fill = msg
        elif isinstance(msg, OrderRejected):
            self.rejects += 1
        elif isinstance(msg, AlertRaised):
            self.open_alerts[msg.alert_id] = msg.severity
        elif isinstance(msg, AlertCleared):
            self.open_alerts.pop(msg.alert_id, None)

    def line(self) -> str:
        """The summary, e.g. `instruments 4/4 valid [...] | fills 12, rejects 1 | alerts 0`."""
        states = sorted(self.validity.items())
        valid = sum(1 for _, v in states if v.state == "valid")
        detail = ", ".join(
            f"{venue}:{symbol} {v.state}"
            + (f" mid {v.mid}" if v.mid and v.state == "valid" else "")
            + (f" ({','.join(v.reasons)})" if v.state != "valid" and v.reasons else "")
            for (venue, symbol), v in states
        )
        fill = ""
        if self.last_fill is not None:
            f = self.last_fill
            fill = f", last {f.side} {f.qty} {f.symbol} @ {f.price} on {f.venue}"
        critical = sum(1 for s in self.open_alerts.values() if s == "critical")
        return (
            f"instruments {valid}/{len(states)} valid [{detail}] | "
            f"fills {self.fills}, rejects {self.rejects}{fill} | "
            f"alerts open {len(self.open_alerts)} ({critical} critical)"
        )
