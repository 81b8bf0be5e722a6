"""A simulated OES custodian in the manner of Copper ClearLoop (docs/custody.md#copper-clearloop).

Custody holds each currency; delegation locks part of it and mirrors it onto a simulated
venue account (`SimExchange.credit_delegation`); undelegation releases at most
available_to_undelegate = min(total delegated, venue available). Every transfer is an
idempotent state machine REQUESTED -> SUBMITTED -> CONFIRMED | FAILED keyed by its
external id, and each step is journalled as the `pyengine.messages` transfer events.

Settlement: every venue settles on its profile's cycle (2, 4 or 24 h). At a cycle end
the custodian asks the venue for its unsettled realised PnL (fills, fees, funding) and
issues one instruction per currency; once settled, exactly that amount moves between
custody and the venue's mirrored balance (the venue's wallet then equals what is
delegated). With an `approval_window_ns` the instruction waits as "pending" until
`approve` or the deadline (auto-approve, Fireblocks-style); `dispute` stops it, nothing
moves, and the amount rolls into the next cycle.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable
from decimal import Decimal

from pyengine.messages import (
    Message,
    TransferConfirmed,
    TransferFailed,
    TransferRequested,
    TransferSubmitted,
)
from pyengine.messages.sim import CustodySettled
from pyengine.sim.clock import Scheduler
from pyengine.sim.exchange import SimExchange
from pyengine.venues.custodian import CustodyBalance, Instruction, Settlement, Transfer


class SimCustodian:
    """A `CustodianAdapter` over simulated venues, driven by a scheduler."""

    def __init__(
        self,
        name: str,
        scheduler: Scheduler,
        venues: Iterable[SimExchange],
        *,
        confirm_delay_ns: int = 0,
        approval_window_ns: int = 0,
        allowlist: Iterable[str] = (),
    ) -> None:
        self._name = name
        self.sched = scheduler
        self.venues = {v.venue: v for v in venues}
        self.confirm_delay_ns = confirm_delay_ns
        self.approval_window_ns = approval_window_ns
        self.allowlist = set(allowlist)
        self.custody: dict[str, Decimal] = {}
        self.delegated: dict[tuple[str, str], Decimal] = {}
        self.reserve: dict[tuple[str, str], Decimal] = {}
        self.transfers: dict[str, Transfer] = {}
        self.settled: list[Settlement] = []
        self.journal: list[Message] = []
        self._n = 0
        self._cycle_start: dict[str, int] = {}

    @property
    def name(self) -> str:
        return self._name

    def fund(self, currency: str, amount: Decimal) -> None:
        """Put assets into custody (a mint's collateral arriving)."""
        self.custody[currency] = self.custody.get(currency, Decimal(0)) + amount

    def start(self) -> None:
        """Schedule every venue's settlement cycles from now on."""
        now = self.sched.now_ns()
        for vid in sorted(self.venues):
            cycle = self.venues[vid].profile.settlement_cycle_ns
            self._cycle_start[vid] = now
            self.sched.at((now // cycle + 1) * cycle, functools.partial(self._cycle, vid, cycle))

    def free(self, currency: str) -> Decimal:
        """Custody not delegated nor reserved for an outgoing transfer."""
        locked = sum((q for (_, c), q in self.delegated.items() if c == currency), Decimal(0))
        pending = sum(
            (
                t.amount
                for t in self.transfers.values()
                if t.currency == currency and t.status == "submitted" and t.kind != "undelegate"
            ),
            Decimal(0),
        )
        return self.custody.get(currency, Decimal(0)) - locked - pending

    def _emit(self, msg: Message) -> None:
        self.journal.append(msg)

    def _step(self, t: Transfer, status: str, reason: str = "") -> None:
        now = self.sched.now_ns()
        t.status, t.reason = status, reason
        t.history.append(status)
        ts, tid, cus = now, t.external_id, self.name
        if status == "requested":
            self._emit(
                TransferRequested(
                    ts_event=ts,
                    ts_recv=ts,
                    transfer_id=tid,
                    custodian=cus,
                    kind=t.kind,
                    venue=t.exchange_id,
                    asset=t.currency,
                    amount=t.amount,
                )
            )
        elif status == "submitted":
            self._emit(
                TransferSubmitted(
                    ts_event=ts,
                    ts_recv=ts,
                    transfer_id=tid,
                    custodian=cus,
                    external_id=t.external_id,
                )
            )
        elif status == "confirmed":
            self._emit(
                TransferConfirmed(
                    ts_event=ts, ts_recv=ts, transfer_id=tid, custodian=cus, settled_amount=t.amount
                )
            )
        else:
            self._emit(
                TransferFailed(
                    ts_event=ts, ts_recv=ts, transfer_id=tid, custodian=cus, reason=reason
                )
            )

    def _open(
        self, external_id: str, kind: str, vid: str, ccy: str, amount: Decimal
    ) -> Transfer | None:
        known = self.transfers.get(external_id)
        if known is not None:
            return known
        t = Transfer(external_id, kind, ccy, amount, vid)
        self.transfers[external_id] = t
        self._step(t, "requested")
        if amount <= 0:
            self._step(t, "failed", "amount must be positive")
        elif kind != "withdraw" and vid not in self.venues:
            self._step(t, "failed", f"unknown exchange {vid!r}")
        return None

    async def delegate(
        self, external_id: str, exchange_id: str, currency: str, amount: Decimal
    ) -> Transfer:
        known = self._open(external_id, "delegate", exchange_id, currency, amount)
        if known is not None:
            return known
        t = self.transfers[external_id]
        if t.status == "requested":
            if self.free(currency) < amount:
                self._step(t, "failed", "insufficient custody balance")
            else:
                self._step(t, "submitted")
                self._later(t)
        return t

    async def undelegate(
        self, external_id: str, exchange_id: str, currency: str, amount: Decimal
    ) -> Transfer:
        known = self._open(external_id, "undelegate", exchange_id, currency, amount)
        if known is not None:
            return known
        t = self.transfers[external_id]
        if t.status == "requested":
            limit = self.available_to_undelegate(exchange_id, currency)
            if amount > limit:
                self._step(t, "failed", f"exceeds available_to_undelegate {limit}")
            else:
                key = (exchange_id, currency)
                self.reserve[key] = self.reserve.get(key, Decimal(0)) + amount
                self._step(t, "submitted")
                self._later(t)
        return t

    def available_to_undelegate(self, exchange_id: str, currency: str) -> Decimal:
        """min(total delegated, venue available) less undelegations in flight."""
        key = (exchange_id, currency)
        venue = self.venues[exchange_id]
        limit = min(self.delegated.get(key, Decimal(0)), venue.available(currency))
        return max(Decimal(0), limit - self.reserve.get(key, Decimal(0)))

    def _later(self, t: Transfer) -> None:
        if self.confirm_delay_ns > 0:
            self.sched.after(self.confirm_delay_ns, lambda: self._confirm(t))
        else:
            self._confirm(t)

    def _confirm(self, t: Transfer) -> None:
        key = (t.exchange_id, t.currency)
        if t.kind == "delegate":
            self.delegated[key] = self.delegated.get(key, Decimal(0)) + t.amount
            self.venues[t.exchange_id].credit_delegation(t.currency, t.amount)
        elif t.kind == "undelegate":
            self.reserve[key] -= t.amount
            self.delegated[key] -= t.amount
            self.venues[t.exchange_id].credit_delegation(t.currency, -t.amount)
        else:
            self.custody[t.currency] -= t.amount
        self._step(t, "confirmed")

    async def withdraw(
        self, external_id: str, currency: str, amount: Decimal, address: str
    ) -> Transfer:
        known = self._open(external_id, "withdraw", address, currency, amount)
        if known is not None:
            return known
        t = self.transfers[external_id]
        if t.status == "requested":
            if address not in self.allowlist:
                self._step(t, "failed", "address not allow-listed")
            elif self.free(currency) < amount:
                self._step(t, "failed", "insufficient custody balance")
            else:
                self._step(t, "submitted")
                self._later(t)
        return t

    async def deposit_address(self, currency: str) -> str:
        digest = hashlib.sha256(f"{self.name}:{currency}".encode()).hexdigest()
        return "0x" + digest[:40]

    async def balances(self) -> list[CustodyBalance]:
        out = []
        for (vid, ccy), amount in sorted(self.delegated.items()):
            venue = self.venues[vid]
            balance = amount + venue.unsettled().get(ccy, Decimal(0))
            reserve = self.reserve.get((vid, ccy), Decimal(0))
            out.append(
                CustodyBalance(
                    ccy, vid, amount, balance, reserve, self.available_to_undelegate(vid, ccy)
                )
            )
        return out

    def _cycle(self, vid: str, cycle_ns: int) -> None:
        now = self.sched.now_ns()
        venue = self.venues[vid]
        start, self._cycle_start[vid] = self._cycle_start[vid], now
        pnl = venue.unsettled()
        if pnl:
            self._n += 1
            acct = venue.core.account
            s = Settlement(
                f"{self.name}-{vid}-{self._n}",
                vid,
                "pending",
                start,
                now,
                now + self.approval_window_ns,
                [
                    Instruction(ccy, amt, amt * (acct.asset_price(ccy) or Decimal(0)), "pending")
                    for ccy, amt in pnl.items()
                ],
            )
            self.settled.append(s)
            self._note(s)
            if self.approval_window_ns > 0:
                self.sched.at(s.deadline_ns, lambda: self._complete(s))
            else:
                self._complete(s)
        self.sched.after(cycle_ns, lambda: self._cycle(vid, cycle_ns))

    def _note(self, s: Settlement) -> None:
        now = self.sched.now_ns()
        for ins in s.instructions:
            self._emit(
                CustodySettled(
                    ts_event=now,
                    ts_recv=now,
                    custodian=self.name,
                    venue=s.exchange_id,
                    settlement_id=s.settlement_id,
                    asset=ins.currency,
                    amount=ins.settlement_amount,
                    status=s.status,
                )
            )

    def _complete(self, s: Settlement) -> None:
        if s.status != "pending":
            return
        venue = self.venues[s.exchange_id]
        for ins in s.instructions:
            if self.custody.get(ins.currency, Decimal(0)) + ins.settlement_amount < 0:
                s.status, s.failure_reason = "failed", f"insufficient {ins.currency} in custody"
                self._note(s)
                return
        done = []
        for ins in s.instructions:
            key = (s.exchange_id, ins.currency)
            self.fund(ins.currency, ins.settlement_amount)
            self.delegated[key] = self.delegated.get(key, Decimal(0)) + ins.settlement_amount
            venue.mark_settled(ins.currency, ins.settlement_amount)
            done.append(
                Instruction(
                    ins.currency,
                    ins.settlement_amount,
                    ins.usd,
                    "settled",
                    f"sim-{s.settlement_id}",
                )
            )
        s.instructions, s.status = done, "settled"
        self._note(s)

    async def settlements(self) -> list[Settlement]:
        return list(self.settled)

    def _find(self, settlement_id: str) -> Settlement:
        for s in self.settled:
            if s.settlement_id == settlement_id:
                return s
        raise KeyError(f"unknown settlement {settlement_id!r}")

    async def approve(self, settlement_id: str) -> Settlement:
        s = self._find(settlement_id)
        # A disputed instruction stays disputed: its amount rolls into the next cycle, so
        # approving it later would move the same PnL twice.
        self._complete(s)
        return s

    async def dispute(self, settlement_id: str, reason: str) -> Settlement:
        s = self._find(settlement_id)
        if s.status == "pending":
            s.status, s.failure_reason = "disputed", reason
            self._note(s)
        return s
