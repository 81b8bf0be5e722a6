"""The market-data validator as a pure state machine: messages and a time in, verdicts out."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from pyengine.messages import (
    AlertCleared,
    AlertRaised,
    BestBidOffer,
    BookFault,
    BookTop,
    Message,
    OraclePrice,
)
from pyengine.messages.validity import SUSPENDED, InstrumentValidity, RfqLookback
from pyengine.validation.config import ValidatorConfig
from pyengine.validation.drift import DriftTracker
from pyengine.validation.instrument import InstrumentState, Verdict, format_bps
from pyengine.validation.oracle_ref import OracleBoard


class MarketValidator:
    """Tracks every (venue, symbol) it sees, the oracles and venue clock drift.

    `on_message` and `on_timer` return what to publish: an `InstrumentValidity` whenever an
    instrument's state or reasons change (and every `refresh_ms` regardless), an
    `RfqLookback` when the look-back changes, and an alert when an instrument is suspended
    (cleared when it resumes). No clock of its own: every call gets `now_ns`.
    """

    def __init__(self, cfg: ValidatorConfig, source: str = "validator") -> None:
        self.cfg = cfg
        self.source = source
        self.instruments: dict[tuple[str, str], InstrumentState] = {}
        self.oracles = OracleBoard(cfg.oracle_sources, cfg.max_age_ms)
        self.drift = DriftTracker(cfg.drift_window, cfg.drift_min_samples)
        self.lookback: RfqLookback | None = None
        self.lookback_ns = 0
        self.counts: Counter[str] = Counter()

    def _state(self, venue: str, symbol: str) -> InstrumentState:
        key = (venue, symbol)
        st = self.instruments.get(key)
        if st is None:
            st = InstrumentState(
                venue,
                symbol,
                self.cfg.thresholds(venue, symbol),
                start_suspended=self.cfg.start_suspended,
            )
            self.instruments[key] = st
        return st

    def on_message(self, msg: Message, now_ns: int) -> list[Message]:
        """Take one market-data or oracle message."""
        if isinstance(msg, BookTop):
            st = self._state(msg.venue, msg.symbol)
            bid = msg.bids[0][0] if msg.bids else None
            ask = msg.asks[0][0] if msg.asks else None
            st.on_book(msg.ts_event, msg.ts_recv, bid, ask, msg.valid)
            self.drift.add(msg.venue, msg.ts_recv - msg.ts_event)
            self.counts["book"] += 1
            return self._judge(st, now_ns)
        if isinstance(msg, BestBidOffer):
            st = self._state(msg.venue, msg.symbol)
            st.on_book(msg.ts_event, msg.ts_recv, msg.bid_px or None, msg.ask_px or None)
            self.drift.add(msg.venue, msg.ts_recv - msg.ts_event)
            self.counts["bbo"] += 1
            return self._judge(st, now_ns)
        if isinstance(msg, BookFault):
            st = self._state(msg.venue, msg.symbol)
            st.on_fault(msg.reason)
            self.counts["fault"] += 1
            return self._judge(st, now_ns)
        if isinstance(msg, OraclePrice):
            self.counts["oracle" if self.oracles.update(msg, now_ns) else "oracle_dropped"] += 1
            return []
        self.counts["ignored"] += 1
        return []

    def on_timer(self, now_ns: int) -> list[Message]:
        """Re-judge everything at `now_ns` (silence ages data, oracles expire, holds elapse)."""
        out: list[Message] = []
        for st in self.instruments.values():
            out.extend(self._judge(st, now_ns))
        out.extend(self._lookback(now_ns))
        return out

    def verdict(self, venue: str, symbol: str, now_ns: int) -> Verdict | None:
        """The current verdict of one instrument (advances its hysteresis to `now_ns`)."""
        st = self.instruments.get((venue, symbol))
        if st is None:
            return None
        return st.evaluate(now_ns, self._oracle(st, now_ns))

    def _oracle(self, st: InstrumentState, now_ns: int) -> Decimal | None:
        base, quote = self.cfg.oracle_assets(st.symbol)
        return self.oracles.reference(base, quote, now_ns)

    def _judge(self, st: InstrumentState, now_ns: int) -> list[Message]:
        was_suspended = st.published is not None and st.published[0] == SUSPENDED
        v = st.evaluate(now_ns, self._oracle(st, now_ns))
        key = (v.state, v.reasons)
        refresh = now_ns - st.published_ns >= self.cfg.refresh_ms * 1_000_000
        if key == st.published and not refresh:
            return []
        out: list[Message] = []
        if key[0] != (st.published[0] if st.published else None):
            self.counts[f"to_{v.state}"] += 1
            alert_id = f"md.suspended.{st.venue}.{st.symbol}"
            if v.state == SUSPENDED and st.published is not None:
                out.append(
                    AlertRaised(
                        ts_event=now_ns,
                        ts_recv=now_ns,
                        alert_id=alert_id,
                        severity="warning",
                        source=self.source,
                        code="md.suspended",
                        text=f"{st.venue} {st.symbol} suspended: {', '.join(v.reasons)}",
                    )
                )
            elif was_suspended:
                out.append(
                    AlertCleared(
                        ts_event=now_ns, ts_recv=now_ns, alert_id=alert_id, source=self.source
                    )
                )
        st.published = key
        st.published_ns = now_ns
        out.append(
            InstrumentValidity(
                ts_event=now_ns,
                ts_recv=now_ns,
                venue=st.venue,
                symbol=st.symbol,
                state=v.state,
                reasons=list(v.reasons),
                dev_bps=format_bps(v.dev_bps),
                lag_ms=v.lag_ms,
                mid="" if v.mid is None else str(v.mid),
                oracle_px="" if v.oracle_px is None else str(v.oracle_px),
            )
        )
        return out

    def current_lookback(self) -> tuple[int, int, str]:
        """(lookback_ms, drift_ms, worst venue) from the drift estimates now."""
        venue, drift = self.drift.worst()
        lookback = min(self.cfg.base_lookback_ms + drift, self.cfg.max_lookback_ms)
        return lookback, drift, venue

    def _lookback(self, now_ns: int) -> list[Message]:
        lookback, drift, venue = self.current_lookback()
        held = self.lookback
        refresh = now_ns - self.lookback_ns >= self.cfg.refresh_ms * 1_000_000
        if held is not None and held.lookback_ms == lookback and not refresh:
            return []
        msg = RfqLookback(
            ts_event=now_ns,
            ts_recv=now_ns,
            lookback_ms=lookback,
            base_ms=self.cfg.base_lookback_ms,
            drift_ms=drift,
            worst_venue=venue,
        )
        self.lookback = msg
        self.lookback_ns = now_ns
        return [msg]
