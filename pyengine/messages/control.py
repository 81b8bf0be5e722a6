"""Health, heartbeats, alerts, operator controls and status: the engine talking about itself."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

import msgspec

from pyengine.messages import topics
from pyengine.messages.base import Message
from pyengine.messages.codec import register_message
from pyengine.messages.market_status import BookStatus, VenueStatus
from pyengine.messages.portfolio import PortfolioView


@register_message
class Heartbeat(Message, frozen=True, kw_only=True, tag="hb"):
    """An actor is alive; also its hello, so peers know it is subscribed and reachable."""

    actor: str
    pid: int
    state: str = "running"
    handled: int = 0
    published: int = 0
    gaps: int = 0
    rejected: int = 0
    outbox: int = 0
    TOPIC: ClassVar[str] = topics.HEARTBEAT

    def topic(self) -> str:
        return f"{self.TOPIC}{self.actor}"


@register_message
class Health(Message, frozen=True, kw_only=True, tag="health.status"):
    """Health of a connection or external dependency: `status` is ok, degraded or down."""

    component: str
    status: str
    detail: str = ""
    TOPIC: ClassVar[str] = topics.HEALTH

    def topic(self) -> str:
        return f"{self.TOPIC}{self.component}"


@register_message
class GapDetected(Message, frozen=True, kw_only=True, tag="health.gap"):
    """A subscriber saw a sequence jump: `missing` messages of (`peer`, `peer_topic`) were lost."""

    actor: str
    peer: str
    peer_topic: str
    expected: int
    received: int
    missing: int
    TOPIC: ClassVar[str] = topics.HEALTH_GAP

    def topic(self) -> str:
        return f"{self.TOPIC}{self.actor}"


@register_message
class ActorRestarted(Message, frozen=True, kw_only=True, tag="sup.restarted"):
    """The supervisor restarted a failed actor."""

    actor: str
    attempt: int
    error: str
    backoff_s: float
    TOPIC: ClassVar[str] = topics.SUP_RESTARTED

    def topic(self) -> str:
        return f"{self.TOPIC}{self.actor}"


@register_message
class AlertRaised(Message, frozen=True, kw_only=True, tag="alert.raised"):
    """Something needs a person: `severity` is info, warning or critical."""

    alert_id: str
    severity: str
    source: str
    code: str
    text: str
    CRITICAL: ClassVar[bool] = True
    TOPIC: ClassVar[str] = topics.ALERT

    def topic(self) -> str:
        return f"{self.TOPIC}{self.severity}.{self.source}"


@register_message
class AlertCleared(Message, frozen=True, kw_only=True, tag="alert.cleared"):
    """An alert's cause is gone."""

    alert_id: str
    source: str
    CRITICAL: ClassVar[bool] = True
    TOPIC: ClassVar[str] = topics.ALERT_CLEARED

    def topic(self) -> str:
        return f"{self.TOPIC}{self.source}"


@register_message
class PauseMinting(Message, frozen=True, kw_only=True, tag="ctl.mint.pause"):
    """Stop accepting mint and redeem requests (docs/risk-playbooks.md#playbooks)."""

    reason: str
    by: str
    CRITICAL: ClassVar[bool] = True
    RECOVER: ClassVar[bool] = True
    TOPIC: ClassVar[str] = topics.CTL_MINT_PAUSE

    def topic(self) -> str:
        return self.TOPIC


@register_message
class ResumeMinting(Message, frozen=True, kw_only=True, tag="ctl.mint.resume"):
    """Accept mint and redeem requests again (a person's decision)."""

    reason: str
    by: str
    CRITICAL: ClassVar[bool] = True
    RECOVER: ClassVar[bool] = True
    TOPIC: ClassVar[str] = topics.CTL_MINT_RESUME

    def topic(self) -> str:
        return self.TOPIC


class ActorStatus(msgspec.Struct, frozen=True, kw_only=True):
    """One actor as `pyengine status` shows it."""

    name: str
    process: str
    state: str
    last_heartbeat_ns: int
    handled: int
    published: int
    rate_per_s: float
    gaps: int
    dropped: int
    rejected: int
    outbox: int
    restarts: int
    pid: int = 0


class ActorRecovery(msgspec.Struct, frozen=True, kw_only=True):
    """What one actor was rebuilt from at the engine's start (`pyengine status`)."""

    name: str
    source: str
    """"snapshot at journal row N", or "journal" (replayed from its first row)."""
    snapshot_row: int = 0
    journal_rows: int = 0
    """Journal messages replayed after the snapshot."""
    state: list[tuple[str, int]] = []
    """What was rebuilt, (what, how many): orders in flight, open orders, positions ..."""


@register_message
class StatusRequest(Message, frozen=True, kw_only=True, tag="ctl.status.request"):
    """Ask a running engine for its status (request/reply on the control socket)."""

    TOPIC: ClassVar[str] = topics.CTL_STATUS_REQUEST

    def topic(self) -> str:
        return self.TOPIC


class HedgeRequestStatus(msgspec.Struct, frozen=True, kw_only=True):
    """One hedge request in `pyengine status`: coins to do, coins done, its state
    (`working`, or the `HedgeResult` state it ended in)."""

    id: str
    asset: str
    target: Decimal
    filled: Decimal
    state: str


class HedgingStatus(msgspec.Struct, frozen=True, kw_only=True):
    """The hedger's open and recent requests."""

    requests: list[HedgeRequestStatus] = []


@register_message
class StatusReport(Message, frozen=True, kw_only=True, tag="ctl.status.report"):
    """The engine's answer to `StatusRequest`."""

    engine: str
    pid: int
    started_ns: int
    minting_paused: bool
    actors: list[ActorStatus]
    portfolio: PortfolioView | None = None
    """The portfolio actor's latest snapshot (None: no portfolio runs, or none heard yet)."""
    hedging: HedgingStatus = HedgingStatus()
    recovered: list[ActorRecovery] = []
    recovery_ms: int = 0
    """How long the start's recovery took (opening the store, snapshots, journal tail)."""
    recovering: bool = False
    """The start's recovery is still running: no actor runs yet."""
    venues: list[VenueStatus] = []
    """Per venue: connected, books valid of total, last message age, state
    (`pyengine.messages.market_status`)."""
    books: list[BookStatus] = []
    """Per book: the validator's verdict, best bid and ask, age of the last change."""
    # The front door (issue 12), from the rfq actor's `status_sections`: the API's URL, the
    # chain it settles on, minting's state and capacity, and the quote counters.
    api: dict[str, Any] | None = None
    chain: dict[str, Any] | None = None
    minting: dict[str, Any] | None = None
    quotes: dict[str, Any] | None = None
    TOPIC: ClassVar[str] = topics.CTL_STATUS_REPORT

    def topic(self) -> str:
        return self.TOPIC


@register_message
class Shutdown(Message, frozen=True, kw_only=True, tag="ctl.shutdown"):
    """Ask a running engine to stop gracefully (control socket)."""

    reason: str = ""
    TOPIC: ClassVar[str] = topics.CTL_SHUTDOWN

    def topic(self) -> str:
        return self.TOPIC
