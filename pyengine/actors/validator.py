"""The validator actor: judges every book against staleness, the oracles and sanity
(docs/market-data-validity.md).

Consumes `md.book.*`, `md.bbo.*`, `md.fault.*` and `oracle.*`; publishes
`md.validity.<venue>.<symbol>` (`InstrumentValidity`) on every change of state or reasons and
every `refresh_ms`, `md.rfq_lookback` (`RfqLookback`) when the look-back changes, and an alert
when an instrument is suspended. Pricing and routing obey `md.validity.*`; the RFQ
acceptance window adds `md.rfq_lookback`. All logic is in `pyengine.validation`.
"""

from __future__ import annotations

from pyengine.actors.base import Actor, ActorContext
from pyengine.messages import Message, topics
from pyengine.messages.market_status import BookVerdict
from pyengine.messages.validity import VALID
from pyengine.validation import MarketValidator, ValidatorConfig


class Validator(Actor):
    """Thin wrapper over `MarketValidator` with the injected clock."""

    subscribe = (topics.MD_BOOK, topics.MD_BBO, topics.MD_FAULT, topics.ORACLE)

    def __init__(self, ctx: ActorContext) -> None:
        super().__init__(ctx)
        self.cfg = ctx.options_as(ValidatorConfig)
        self.core = MarketValidator(self.cfg, source=ctx.name)

    def timer_period(self) -> float | None:
        return self.cfg.timer_interval_s

    def on_start(self) -> list[Message]:
        return self.core.on_timer(self.now())

    def handle(self, msg: Message) -> list[Message]:
        return self.core.on_message(msg, self.now())

    def on_timer(self, now_ns: int) -> list[Message]:
        return self.core.on_timer(now_ns)

    def stats(self) -> dict[str, int]:
        return {
            **self.core.counts,
            "oracle_rejected": self.core.oracles.rejected,
            "instruments": len(self.core.instruments),
        }

    def status_sections(self) -> dict[str, object]:
        """Each book's last published verdict for `pyengine status`: valid or not, as the
        consumers were told (judging anew here would advance the hysteresis)."""
        return {
            "books": [
                BookVerdict(
                    venue=st.venue,
                    symbol=st.symbol,
                    valid=st.published is not None and st.published[0] == VALID,
                )
                for st in self.core.instruments.values()
            ]
        }
