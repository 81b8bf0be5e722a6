"""One order's lifecycle: its states, what moves it, and the transition table.

The table follows NautilusTrader's `OrderStatus::transition` (crates/model/src/orders/mod.rs,
see /work/shared/notes/execution-ops-anchors.md A.1), reduced to the states this engine has
(no emulated, triggered or pending-update orders yet) and with four deliberate differences:

- A cancel request survives a late ack: PENDING_CANCEL + ACCEPT stays PENDING_CANCEL (the
  order is now known to rest) instead of moving to ACCEPTED, which would forget that a
  cancel is on its way.
- A partial fill while a cancel is in flight keeps PENDING_CANCEL (the rest may still be
  cancelled); a fill that completes the order makes it FILLED.
- Terminal states are absorbing. NautilusTrader allows CANCELED -> FILLED for a fill that
  raced the cancel; here the fill is still applied to the quantities (never dropped, it
  moved a position) and counted as a late fill, but the status stays CANCELED/EXPIRED: the
  venue has said nothing more rests on its book.
- Answers that repeat what is known (a second ack after a restart re-sent the order, a
  cancel confirmed by both the reply and the private stream, a timeout reported after the
  fill) are legal no-ops rather than errors, so a replay or a race never raises an alert.

Ambiguous outcomes (timeout, disconnect, rate limit, Binance -1006/-1007) are their own
trigger and never change the state: only a definitive refusal rejects an order
(nautilus_trader/docs/concepts/live.md, "definitive vs ambiguous outcomes").

Quantities are exact `Decimal`s. A duplicate fill (same trade id) is dropped before any
change; an overfill is recorded in `overfill`, never clamped.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from decimal import Decimal

from pyengine.errors import EngineError
from pyengine.messages.execution import Side


class OrderError(EngineError, ValueError):
    """Base of the order package's errors (to derive from `pyengine.errors.EngineError` as
    well once that root lands: then every error here is an engine error)."""


class IllegalTransition(OrderError):
    """An event that the order's current state does not allow; the order is unchanged.

    The caller raises an alert: it means two sources disagree about the order."""

    def __init__(self, client_order_id: str, status: OrderStatus, trigger: Trigger) -> None:
        super().__init__(f"order {client_order_id}: {trigger.value} is illegal in {status.value}")
        self.client_order_id = client_order_id
        self.status = status
        self.trigger = trigger


class InvalidFill(OrderError):
    """A fill with a quantity or price that is not a positive finite number."""


class _Enum(enum.Enum):
    # Members are singletons: identity hashing is exact and, unlike `Enum.__hash__`
    # (a Python-level hash of the name), costs no call on every table lookup.
    __hash__ = object.__hash__


class OrderStatus(_Enum):
    NEW = "new"
    """Known here, not yet sent anywhere."""
    IN_FLIGHT = "in_flight"
    """Sent (to risk or the venue), no definitive answer yet."""
    ACCEPTED = "accepted"
    PARTIALLY_FILLED = "partially_filled"
    PENDING_CANCEL = "pending_cancel"
    """A cancel request is in flight; `previous` is the state it would return to."""
    FILLED = "filled"
    CANCELED = "canceled"
    REJECTED = "rejected"
    EXPIRED = "expired"


class Trigger(_Enum):
    SUBMIT = "submit"
    ACCEPT = "accept"
    REJECT = "reject"
    """A definitive refusal (risk, or the venue proving it did not take the order)."""
    AMBIGUOUS = "ambiguous"
    """The outcome of a request is unknown (timeout, disconnect, rate limit, -1006/-1007)."""
    CANCEL_REQUEST = "cancel_request"
    CANCEL_REJECT = "cancel_reject"
    CANCEL = "cancel"
    EXPIRE = "expire"
    FILL = "fill"


TERMINAL = frozenset(
    {OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.REJECTED, OrderStatus.EXPIRED}
)
OPEN = frozenset(
    {
        OrderStatus.IN_FLIGHT,
        OrderStatus.ACCEPTED,
        OrderStatus.PARTIALLY_FILLED,
        OrderStatus.PENDING_CANCEL,
    }
)
"""Orders that may still trade: what `OrderTable.open_orders` answers."""


class Rule(_Enum):
    """A target that depends on more than the (state, trigger) pair."""

    KEEP = "keep"
    """No change of state (a repeat, a late answer, an ambiguous outcome)."""
    BY_FILL = "by_fill"
    """FILLED when the cumulative quantity reaches the order's, else PARTIALLY_FILLED (or
    PENDING_CANCEL when a cancel is in flight); terminal states keep their status."""
    PREVIOUS = "previous"
    """Back to the state before the cancel request (the cancel was refused)."""


Target = OrderStatus | Rule

_S = OrderStatus
_T = Trigger
_K = Rule.KEEP
_F = Rule.BY_FILL

TRANSITIONS: dict[tuple[OrderStatus, Trigger], Target] = {
    # Orders first seen at the venue (reconciliation) may start in any venue state.
    (_S.NEW, _T.SUBMIT): _S.IN_FLIGHT,
    (_S.NEW, _T.ACCEPT): _S.ACCEPTED,
    (_S.NEW, _T.REJECT): _S.REJECTED,
    (_S.NEW, _T.CANCEL): _S.CANCELED,
    (_S.NEW, _T.EXPIRE): _S.EXPIRED,
    (_S.NEW, _T.FILL): _F,
    # In flight: the venue's answer, or fills and IOC/FOK ends that overtake the ack.
    (_S.IN_FLIGHT, _T.SUBMIT): _K,
    (_S.IN_FLIGHT, _T.ACCEPT): _S.ACCEPTED,
    (_S.IN_FLIGHT, _T.REJECT): _S.REJECTED,
    (_S.IN_FLIGHT, _T.AMBIGUOUS): _K,
    (_S.IN_FLIGHT, _T.CANCEL_REQUEST): _S.PENDING_CANCEL,
    (_S.IN_FLIGHT, _T.CANCEL): _S.CANCELED,
    (_S.IN_FLIGHT, _T.EXPIRE): _S.EXPIRED,
    (_S.IN_FLIGHT, _T.FILL): _F,
    (_S.ACCEPTED, _T.SUBMIT): _K,
    (_S.ACCEPTED, _T.ACCEPT): _K,
    (_S.ACCEPTED, _T.REJECT): _S.REJECTED,
    (_S.ACCEPTED, _T.AMBIGUOUS): _K,
    (_S.ACCEPTED, _T.CANCEL_REQUEST): _S.PENDING_CANCEL,
    (_S.ACCEPTED, _T.CANCEL): _S.CANCELED,
    (_S.ACCEPTED, _T.EXPIRE): _S.EXPIRED,
    (_S.ACCEPTED, _T.FILL): _F,
    # Part of it traded: it can no longer be "rejected".
    (_S.PARTIALLY_FILLED, _T.SUBMIT): _K,
    (_S.PARTIALLY_FILLED, _T.ACCEPT): _K,
    (_S.PARTIALLY_FILLED, _T.AMBIGUOUS): _K,
    (_S.PARTIALLY_FILLED, _T.CANCEL_REQUEST): _S.PENDING_CANCEL,
    (_S.PARTIALLY_FILLED, _T.CANCEL): _S.CANCELED,
    (_S.PARTIALLY_FILLED, _T.EXPIRE): _S.EXPIRED,
    (_S.PARTIALLY_FILLED, _T.FILL): _F,
    # A cancel in flight: fills still count, a refusal returns to the previous state, and
    # a cancel whose outcome is unknown stays unresolved (NautilusTrader #4152: forcing
    # CANCELED after an outage made later venue recovery impossible).
    (_S.PENDING_CANCEL, _T.SUBMIT): _K,
    (_S.PENDING_CANCEL, _T.ACCEPT): _K,
    (_S.PENDING_CANCEL, _T.REJECT): _S.REJECTED,
    (_S.PENDING_CANCEL, _T.AMBIGUOUS): _K,
    (_S.PENDING_CANCEL, _T.CANCEL_REQUEST): _K,
    (_S.PENDING_CANCEL, _T.CANCEL_REJECT): Rule.PREVIOUS,
    (_S.PENDING_CANCEL, _T.CANCEL): _S.CANCELED,
    (_S.PENDING_CANCEL, _T.EXPIRE): _S.EXPIRED,
    (_S.PENDING_CANCEL, _T.FILL): _F,
    # Terminal states are absorbing; late and repeated answers are no-ops.
    (_S.FILLED, _T.ACCEPT): _K,
    (_S.FILLED, _T.AMBIGUOUS): _K,
    (_S.FILLED, _T.CANCEL_REQUEST): _K,
    (_S.FILLED, _T.CANCEL_REJECT): _K,
    (_S.FILLED, _T.FILL): _F,
    (_S.CANCELED, _T.ACCEPT): _K,
    (_S.CANCELED, _T.AMBIGUOUS): _K,
    (_S.CANCELED, _T.CANCEL_REQUEST): _K,
    (_S.CANCELED, _T.CANCEL_REJECT): _K,
    (_S.CANCELED, _T.CANCEL): _K,
    (_S.CANCELED, _T.EXPIRE): _K,
    (_S.CANCELED, _T.FILL): _F,
    (_S.EXPIRED, _T.ACCEPT): _K,
    (_S.EXPIRED, _T.AMBIGUOUS): _K,
    (_S.EXPIRED, _T.CANCEL_REQUEST): _K,
    (_S.EXPIRED, _T.CANCEL_REJECT): _K,
    (_S.EXPIRED, _T.CANCEL): _K,
    (_S.EXPIRED, _T.EXPIRE): _K,
    (_S.EXPIRED, _T.FILL): _F,
    (_S.REJECTED, _T.REJECT): _K,
    (_S.REJECTED, _T.AMBIGUOUS): _K,
    (_S.REJECTED, _T.CANCEL_REQUEST): _K,
    (_S.REJECTED, _T.CANCEL_REJECT): _K,
}
"""Every legal (state, trigger) pair and its target; any other pair is `IllegalTransition`.

Notably illegal: anything but SUBMIT or a venue state on NEW; a second SUBMIT of an ended
order (its id must not be reused); REJECT once something filled; ACCEPT, CANCEL, EXPIRE or
FILL on a REJECTED order (the refusal was wrong: reconciliation must look); CANCEL or
EXPIRE on a FILLED one; CANCEL_REJECT without a cancel in flight."""


class Change(_Enum):
    """What applying one event did."""

    CHANGED = "changed"
    """The status moved."""
    UPDATED = "updated"
    """Same status, new facts (a fill's quantities, a venue order id, a reason)."""
    UNCHANGED = "unchanged"
    """A repeat or a late answer: nothing new."""
    DUPLICATE_FILL = "duplicate_fill"
    """A fill whose trade id was already applied: dropped."""
    UNKNOWN = "unknown"
    """No such order here (another actor's, or one it never saw)."""


# Members bound once: reading an Enum class attribute costs several plain lookups, and
# these are read on every event.
_C_CHANGED = Change.CHANGED
_C_DUPLICATE_FILL = Change.DUPLICATE_FILL
_C_UNCHANGED = Change.UNCHANGED
_C_UPDATED = Change.UPDATED
_R_PREVIOUS = Rule.PREVIOUS
_S_ACCEPTED = OrderStatus.ACCEPTED
_S_CANCELED = OrderStatus.CANCELED
_S_EXPIRED = OrderStatus.EXPIRED
_S_FILLED = OrderStatus.FILLED
_S_IN_FLIGHT = OrderStatus.IN_FLIGHT
_S_PARTIALLY_FILLED = OrderStatus.PARTIALLY_FILLED
_S_PENDING_CANCEL = OrderStatus.PENDING_CANCEL
_T_ACCEPT = Trigger.ACCEPT
_T_AMBIGUOUS = Trigger.AMBIGUOUS
_T_CANCEL = Trigger.CANCEL
_T_CANCEL_REJECT = Trigger.CANCEL_REJECT
_T_CANCEL_REQUEST = Trigger.CANCEL_REQUEST
_T_EXPIRE = Trigger.EXPIRE
_T_FILL = Trigger.FILL
_T_REJECT = Trigger.REJECT


@dataclass(slots=True)
class Order:
    """One order and everything known about it; change it only through its methods."""

    client_order_id: str
    venue: str
    symbol: str
    side: Side
    qty: Decimal
    price: Decimal | None = None
    parent_id: str = ""
    strategy: str = ""
    status: OrderStatus = OrderStatus.NEW
    previous: OrderStatus | None = None
    """The state a refused cancel returns to (set while PENDING_CANCEL)."""
    venue_order_id: str = ""
    filled_qty: Decimal = Decimal(0)
    notional: Decimal = Decimal(0)
    """Sum of fill qty x price, for the exact average price."""
    trade_ids: set[str] = field(default_factory=set)
    overfill: Decimal = Decimal(0)
    """How much the fills exceed `qty` (venue double-report or a wrong qty): > 0 is alarming."""
    late_fills: int = 0
    """Fills applied after the order was cancelled or expired."""
    ambiguous: int = 0
    """Outcomes that were unknown (timeouts...) while it was in flight."""
    cancel_outstanding: bool = False
    """A cancel was asked and not yet answered (its refusal must not read as the order's)."""
    reason: str = ""
    codes: tuple[str, ...] = ()

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL

    @property
    def overfilled(self) -> bool:
        return self.overfill > 0

    @property
    def leaves_qty(self) -> Decimal:
        return max(self.qty - self.filled_qty, Decimal(0))

    @property
    def avg_price(self) -> Decimal | None:
        return self.notional / self.filled_qty if self.filled_qty else None

    def target(self, trigger: Trigger) -> Target:
        """The table's target for `trigger` now; raises `IllegalTransition`."""
        found = TRANSITIONS.get((self.status, trigger))
        if found is None or (trigger is _T_REJECT and self.filled_qty > 0):
            raise IllegalTransition(self.client_order_id, self.status, trigger)
        return found

    def apply(
        self,
        trigger: Trigger,
        *,
        reason: str = "",
        codes: tuple[str, ...] = (),
        venue_order_id: str = "",
    ) -> Change:
        """Apply one non-fill event; raises `IllegalTransition` (then nothing changed)."""
        if trigger is _T_FILL:
            raise TypeError("use fill() for fills")
        target = self.target(trigger)
        status = self.status
        if trigger is _T_AMBIGUOUS:
            if status is not _S_IN_FLIGHT and status is not _S_PENDING_CANCEL:
                return _C_UNCHANGED
            self.ambiguous += 1
            self._note(reason, codes)
            return _C_UPDATED
        updated = False
        if venue_order_id and venue_order_id != self.venue_order_id:
            self.venue_order_id = venue_order_id
            updated = True
        if trigger is _T_CANCEL_REQUEST:
            updated = updated or not self.cancel_outstanding
            self.cancel_outstanding = True
            if target is _S_PENDING_CANCEL:
                self.previous = status
        elif trigger in (_T_CANCEL_REJECT, _T_CANCEL, _T_EXPIRE):
            updated = updated or self.cancel_outstanding
            self.cancel_outstanding = False
        elif trigger is _T_ACCEPT and self.previous is _S_IN_FLIGHT:
            # The order reached the venue; a refused cancel now returns it to ACCEPTED.
            self.previous = _S_ACCEPTED
            updated = True
        if isinstance(target, OrderStatus):
            new = target
        elif target is _R_PREVIOUS:
            new = self.previous or _S_ACCEPTED
        else:
            new = status
        if new is status:
            return _C_UPDATED if updated else _C_UNCHANGED
        self.status = new
        if new is not _S_PENDING_CANCEL:
            self.previous = None
        self._note(reason, codes)
        return _C_CHANGED

    def fill(self, trade_id: str, qty: Decimal, price: Decimal) -> Change:
        """Apply one fill; a trade id seen before is dropped before anything changes."""
        if trade_id in self.trade_ids:
            return _C_DUPLICATE_FILL
        if not (qty.is_finite() and qty > 0 and price.is_finite() and price > 0):
            raise InvalidFill(f"order {self.client_order_id}: fill {trade_id} {qty} @ {price}")
        self.target(_T_FILL)
        before = self.status
        self.trade_ids.add(trade_id)
        self.filled_qty += qty
        self.notional += qty * price
        self.overfill = max(self.filled_qty - self.qty, Decimal(0))
        if self.status in (_S_CANCELED, _S_EXPIRED):
            self.late_fills += 1
        elif self.status is not _S_FILLED:
            if self.filled_qty >= self.qty:
                # A cancel still in flight stays outstanding: its refusal ("already
                # filled") must be read as the cancel's, not the order's.
                self.status = _S_FILLED
                self.previous = None
            elif self.status is _S_PENDING_CANCEL:
                self.previous = _S_PARTIALLY_FILLED
            else:
                self.status = _S_PARTIALLY_FILLED
        return _C_CHANGED if self.status is not before else _C_UPDATED

    def _note(self, reason: str, codes: tuple[str, ...]) -> None:
        if reason:
            self.reason = reason
        if codes:
            self.codes = codes
