"""The hedger (kind `hedger`): a `HedgeRequest` in, child orders through risk, a `HedgeResult`.

A request (acknowledged mailbox, critical) is planned with the split planner over every
routable instrument of its asset (`pyengine.routing.request`: depth, fees, concentration
limits and our own holdings, min/max size and lot from the instrument files), and each
planned leg becomes one child `SubmitOrder` to the risk gate (never to a venue), with
`parent_id = hedge_id` and the client order id `child_order_id(hedge_id, index, venue)`,
tracked in an `OrderTable`. Policies: IOC limit within `slippage_bps` of the touch
(default), post-only cancelled after `post_only_timeout_s`, market (`routing.children`).

Rounds: when the children of a round can no longer trade (IOC remainders cancelled, fills,
definitive refusals), what is left (`Hedge.remaining - working`) is planned again, until
it is within `tolerance_usd` (state `done`) or `max_rounds` rounds were tried (`partial`,
or `failed` with nothing filled). An ambiguous answer (`OrderStatusUnknown`, a timeout)
keeps its child in flight: its leaves are not re-planned until the venue settles it. A
definitive refusal re-plans its quantity at once, away from the refusing instrument (while
it is avoided, `refusal_backoff_s`, such a re-route is not a round of `max_rounds`). A
venue going down (docs/risk-playbooks.md: its feed's or its own `Health` says `down`) gets cancels
for our children there (cancel what can be cancelled), no new orders, and their leaves are
re-planned on the healthy venues; a late fill from it still counts.

Write-ahead (`pyengine.store.hedges`): every request, plan, child, fill and result is
committed to the hedger's own SQLite journal inside `handle`, before the `SubmitOrder`s are
returned, so nothing reaches the risk gate that the journal does not know. On restart
(`on_start`) the journal's working hedges come back with their children under the same
ids; the engine journal's order events and fills (`recover`) settle them; children with no
answer at all are sent again under their ids (the risk gate and the venue refuse a
duplicate id, so a resend never makes a second order), and the residual is re-planned.

Not done here: cancel-on-disconnect at the venues (Binance `countdownCancelAll`, Bybit
disconnect-cancel, Deribit cancel-on-disconnect) belongs to the execution clients.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec

from pyengine.actors.base import Actor, ActorContext
from pyengine.actors.hedger_rounds import Rounds
from pyengine.actors.risk_gate import InstrumentFile
from pyengine.contracts import load_instruments_file
from pyengine.errors import ConfigError, EngineError
from pyengine.messages import (
    HedgeRequest,
    Message,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderRejected,
    OrderStatusUnknown,
    OrderUpdate,
    topics,
)
from pyengine.routing.market import Instrument
from pyengine.routing.request import Fees, RouteConfig
from pyengine.store.hedges import HedgeJournal

log = logging.getLogger("pyengine.actors.hedger")

_ORDER_EVENTS = (
    OrderAccepted,
    OrderRejected,
    OrderCanceled,
    OrderFilled,
    OrderStatusUnknown,
    OrderUpdate,
)
_Replayed = (
    HedgeRequest
    | OrderAccepted
    | OrderRejected
    | OrderCanceled
    | OrderFilled
    | OrderStatusUnknown
    | OrderUpdate
)


class ReplayState(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The hedger's snapshot (v1): the engine journal's messages `on_start` settles its
    own journal with (none with `recover` off: `restart` reads none then)."""

    replay: list[_Replayed]


class VenueRoute(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Fees and the concentration limit of one venue (decimal strings)."""

    taker_fee: str = "0.0005"
    maker_fee: str = "0.0002"
    max_share: str = "1"


class HedgerOptions(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """`[actors.options]` of the hedger."""

    instruments: list[InstrumentFile] = []
    """The instrument files it may route to (the risk gate's list)."""
    venues: dict[str, VenueRoute] = {}
    journal: str = ""
    """Its SQLite journal; default `hedger-<name>.db` next to a SQLite engine store, else
    under `./var`."""
    journal_synchronous: str = "full"
    tolerance_usd: str = "1000"
    """Done when what is left is worth at most this much."""
    max_rounds: int = 20
    round_interval_s: float = 0.2
    """Pause between rounds (books refill); also the retry period of an empty round."""
    require_valid: bool = True
    horizon_min: int = 0
    max_levels: int = 50
    max_child_usd: str = ""
    """Largest child order, USD at the plan's reference price (the risk gate's
    `max_order_notional_usd`); a larger leg is sent as several children. Empty: no cap."""
    recover: bool = True
    """Resume working hedges and holdings from the journals on start. The embedded default
    turns it off: its simulated venues start afresh in every process, so an earlier run's
    orders and fills are not this run's (as the risk gate's `recover_positions`)."""
    max_wait_s: float = 30.0
    """How long a hedge waits for something to route on (valid books, a healthy venue)
    before it ends `failed` (or `partial`)."""
    refusal_backoff_s: float = 2.0
    """How long an instrument that refused a child is left out of this hedge's plans."""
    max_position: dict[str, str] = {}
    """`"venue:symbol"` -> the risk gate's `max_position` (units): sells are planned only
    into the room each instrument has left. The gate stays the authority (a refused child
    is re-planned elsewhere); this only keeps plans from walking into its limits."""


def _pair(name: str, key: str) -> tuple[str, str]:
    venue, _, symbol = name.partition(":")
    if not venue or not symbol:
        raise ConfigError(f"{key}.max_position: {name!r} is not 'venue:symbol'")
    return venue, symbol


def journal_path(store_url: str, name: str, configured: str) -> Path:
    if configured:
        return Path(configured)
    if store_url.startswith("sqlite:///"):
        return Path(store_url[len("sqlite:///") :]).parent / f"hedger-{name}.db"
    return Path("var") / f"hedger-{name}.db"


class Hedger(Actor):
    """Turns hedge requests into child orders and results (kind `hedger`)."""

    subscribe = (
        topics.MD_DEPTH,
        topics.MD_BOOK,
        topics.MD_VALIDITY,
        topics.MD_FUNDING,
        topics.HEALTH,
    )
    reliable = (topics.HEDGE_REQUEST, topics.EXEC)
    timer_interval = 0.05

    def __init__(self, ctx: ActorContext) -> None:
        super().__init__(ctx)
        self.opts = o = ctx.options_as(HedgerOptions)
        key = f"actors.{self.name}.options"
        if o.max_rounds < 1 or o.round_interval_s < 0:
            raise ConfigError(f"{key}: max_rounds must be >= 1 and round_interval_s >= 0")
        try:
            self.tolerance_usd = Decimal(o.tolerance_usd)
            self.max_child_usd = Decimal(o.max_child_usd) if o.max_child_usd else None
            venues = {
                v: (Fees(Decimal(r.taker_fee), Decimal(r.maker_fee)), Decimal(r.max_share))
                for v, r in o.venues.items()
            }
            max_position = {_pair(k, key): Decimal(v) for k, v in o.max_position.items()}
        except ArithmeticError:
            raise ConfigError(
                f"{key}: fees, shares, limits and tolerance are decimal strings"
            ) from None
        if any(not q.is_finite() or q < 0 for q in max_position.values()):
            raise ConfigError(f"{key}.max_position: limits are finite and >= 0")
        self.route = RouteConfig(
            fees={v: f for v, (f, _) in venues.items()},
            max_share={v: s for v, (_, s) in venues.items()},
            horizon_min=o.horizon_min,
            max_levels=o.max_levels,
            max_position=max_position,
        )
        self.instruments: dict[tuple[str, str], Instrument] = {}
        for i, f in enumerate(o.instruments):
            try:
                specs = load_instruments_file(f.venue, Path(f.path))
            except (EngineError, OSError) as exc:
                raise ConfigError(f"{key}.instruments[{i}]: {exc}") from None
            for spec in specs:
                if not f.symbols or spec.symbol in f.symbols:
                    self.instruments[(spec.venue, spec.symbol)] = Instrument.from_spec(spec)
        self.path = journal_path(ctx.store_url, self.name, o.journal)
        self.journal: HedgeJournal | None = None
        self.rounds: Rounds | None = None
        self._replay: list[Message] = []

    # Life cycle

    def _open(self) -> Rounds:
        if self.rounds is None:
            self.journal = HedgeJournal(self.path, self.opts.journal_synchronous)
            self.rounds = Rounds(
                self.name,
                self.journal,
                self.instruments,
                self.route,
                tolerance_usd=self.tolerance_usd,
                max_rounds=self.opts.max_rounds,
                round_interval_ns=int(self.opts.round_interval_s * 1e9),
                require_valid=self.opts.require_valid,
                max_child_usd=self.max_child_usd,
                refusal_backoff_ns=int(self.opts.refusal_backoff_s * 1e9),
                max_wait_ns=int(self.opts.max_wait_s * 1e9),
            )
        return self.rounds

    def recover(self, journal: Iterable[Message]) -> None:
        # Kept for `on_start`: the hedger's own journal is read first, then these settle it.
        # Incremental (snapshots, `Actor.recover`); with `recover` off nothing is kept, so a
        # start restores an empty snapshot instead of reading the whole journal.
        if not self.opts.recover:
            return
        self._replay.extend(m for m in journal if isinstance(m, (HedgeRequest, *_ORDER_EVENTS)))

    snapshot_version = 1

    def snapshot(self) -> bytes | None:
        replay = [m for m in self._replay if isinstance(m, (HedgeRequest, *_ORDER_EVENTS))]
        return msgspec.msgpack.encode(ReplayState(replay=replay))

    def restore(self, blob: bytes) -> None:
        self._replay = list(msgspec.msgpack.decode(blob, type=ReplayState).replay)

    def recovered(self) -> dict[str, int]:
        return {"replay_messages": len(self._replay)}

    def on_start(self) -> Sequence[Message]:
        rounds = self._open()
        replay, self._replay = self._replay, []
        return rounds.restart(replay, self.now(), resume=self.opts.recover)

    def handle(self, msg: Message) -> Sequence[Message]:
        rounds = self.rounds or self._open()
        return rounds.handle(msg, self.now())

    def on_timer(self, now_ns: int) -> Sequence[Message]:
        if self.rounds is None:
            return []
        return self.rounds.on_timer(now_ns)

    def close(self) -> None:
        if self.journal is not None:
            self.journal.close()
            self.journal = None
            self.rounds = None

    # What status and the CLI read

    def requests(self) -> list[dict[str, Any]]:
        """`hedging.requests[]` of `pyengine status --json`."""
        return self.rounds.requests() if self.rounds is not None else []

    def stats(self) -> dict[str, int]:
        return self.rounds.stats() if self.rounds is not None else {}
