"""The portfolio and its delta keeper as one thin actor (kind `portfolio`).

It folds fills, mint orders, custodian events, marks and venue reports into
`pyengine.portfolio.Holdings`; publishes each asset's `PortfolioDelta` when it changed (at
most every `throttle_s` per asset) and on every `timer_interval`; publishes a
`PortfolioSnapshot` for `pyengine status`; and, with `keeper` on, runs the delta keeper's
decisions (`pyengine.portfolio.keeper`) and publishes its `HedgeRequest`s and alerts.
Venue position reports are compared with our positions, never copied over them. A venue
whose feed reports `down` (`Health` of `feed.<venue>...`), or all of whose books turned
invalid, after it had been up, is down for the keeper.

Restart: fills, mint orders, transfers and hedge requests/results are journaled and come
back through `recover` (with `recover_positions` off, as in the embedded default whose
simulated venues start afresh, only the hedge ids' sequence is taken from the journal).
What `recover` folded is snapshotted (`snapshot`/`restore`, `pyengine.portfolio.state`), so
a restart replays only the journal rows after the last snapshot.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from decimal import Decimal

import msgspec

from pyengine.actors.base import Actor, ActorContext
from pyengine.contracts import coin_delta
from pyengine.errors import ConfigError
from pyengine.messages import (
    AlertCleared,
    AlertRaised,
    Health,
    HedgeRequest,
    HedgeResult,
    Message,
    MintOrderAccepted,
    OrderFilled,
    PortfolioDelta,
    topics,
)
from pyengine.messages.portfolio import PortfolioSnapshot, PortfolioView
from pyengine.messages.validity import VALID, InstrumentValidity
from pyengine.portfolio import Holdings, Instruments, Keeper, KeeperConfig, KeeperInput
from pyengine.portfolio.positions import PortfolioError
from pyengine.portfolio.state import VERSION as STATE_VERSION
from pyengine.portfolio.state import (
    PortfolioState,
    decode_portfolio,
    encode_portfolio,
    holdings_state,
    keeper_state,
    restore_holdings,
    restore_keeper,
)
from pyengine.portfolio.view import portfolio_view, venue_coins

log = logging.getLogger("pyengine.actors.portfolio")
ZERO = Decimal(0)


class InstrumentFile(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    venue: str
    path: str
    symbols: list[str] = []


class Factor(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    asset: str
    factor: str = "1"


class PortfolioOptions(msgspec.Struct, forbid_unknown_fields=True):
    """`[actors.options]` of the portfolio; amounts are decimal strings (exact)."""

    instruments: list[InstrumentFile] = []
    custody: dict[str, dict[str, str | int]] = {}
    """Custody at start, per custodian and currency (later changes come from messages)."""
    factors: dict[str, Factor] = msgspec.field(
        default_factory=lambda: {
            "stETH": Factor("ETH", "1"),
            "WETH": Factor("ETH", "1"),
            "WBTC": Factor("BTC", "1"),
        }
    )
    mint_custodian: str = "mint"
    count_upl: bool = True
    recover_positions: bool = True
    throttle_s: float = 0.2
    keeper: bool = True
    tolerance_usd: dict[str, str] = {}
    default_tolerance_usd: str = "50000"
    rearm_ratio: str = "0.5"
    min_order_usd: str = "1000"
    retry_after_s: float = 30.0
    roll_abs_usd: str = "250000"
    roll_pct: str = "0.2"
    venue_down_after_s: float = 60.0
    slippage_bps: str = "20"
    stale_request_s: float = 120.0
    """A request of ours unanswered this long raises an alert once (it keeps blocking new
    ones of its asset: nothing is re-issued blindly)."""
    mismatch_alert_s: float = 10.0
    """A venue report that disagrees with our position this long raises an alert (the
    reconciler settles it; the portfolio never copies the venue's number)."""


def _dec(key: str, value: str) -> Decimal:
    try:
        out = Decimal(value)
    except ArithmeticError:
        raise ConfigError(f"{key}: {value!r} is not a decimal") from None
    if not out.is_finite():
        raise ConfigError(f"{key}: {value!r} is not finite")
    return out


class PortfolioActor(Actor):
    """Owns what we hold and keeps its delta within tolerance."""

    subscribe = (
        topics.MD_BOOK,
        topics.MD_FUNDING,
        topics.MD_VALIDITY,
        topics.ACCT_POSITION,
        topics.ACCT_BALANCE,
        topics.HEALTH,
        topics.SIM_CUSTODY,
        topics.SIM_FUNDING,
        topics.SIM_EXPIRY,
    )
    reliable = (
        topics.EXEC_FILL,
        topics.MINT_ACCEPTED,
        topics.MINT_CONFIRMED,
        topics.HEDGE_REQUEST,
        topics.HEDGE_RESULT,
        topics.COLLATERAL_TRANSFER,
    )
    timer_interval = 1.0

    def __init__(self, ctx: ActorContext) -> None:
        super().__init__(ctx)
        o = ctx.options_as(PortfolioOptions)
        key = f"actors.{self.name}.options"
        self.opts = o
        instruments = Instruments()
        for i, f in enumerate(o.instruments):
            try:
                instruments.load(f.venue, f.path, f.symbols)
            except PortfolioError as exc:
                raise ConfigError(f"{key}.instruments[{i}]: {exc}") from None
        factors = {
            c: (f.asset, _dec(f"{key}.factors.{c}.factor", f.factor)) for c, f in o.factors.items()
        }
        self.holdings = Holdings(
            instruments, factors, mint_custodian=o.mint_custodian, count_upl=o.count_upl
        )
        self.configured: dict[str, dict[str, Decimal]] = {}
        """The custody at start (options), kept apart for snapshots (`restore`)."""
        for custodian, held in sorted(o.custody.items()):
            for ccy, amount in sorted(held.items()):
                amount_key = f"{key}.custody.{custodian}.{ccy}"
                value = _dec(amount_key, str(amount))
                self.configured.setdefault(custodian, {})[ccy] = value
                self.holdings.fund(custodian, ccy, value)
        self.keeper = Keeper(
            KeeperConfig(
                tolerance_usd={
                    a: _dec(f"{key}.tolerance_usd.{a}", v) for a, v in o.tolerance_usd.items()
                },
                default_tolerance_usd=_dec(f"{key}.default_tolerance_usd", o.default_tolerance_usd),
                rearm_ratio=_dec(f"{key}.rearm_ratio", o.rearm_ratio),
                min_order_usd=_dec(f"{key}.min_order_usd", o.min_order_usd),
                retry_after_s=o.retry_after_s,
                roll_abs_usd=_dec(f"{key}.roll_abs_usd", o.roll_abs_usd),
                roll_pct=_dec(f"{key}.roll_pct", o.roll_pct),
                venue_down_after_s=o.venue_down_after_s,
                slippage_bps=_dec(f"{key}.slippage_bps", o.slippage_bps),
            )
        )
        self.dirty: set[str] = set()
        self.last_pub: dict[str, int] = {}
        self.health_down: set[str] = set()
        self.validity: dict[str, dict[str, bool]] = {}
        self.seen_valid: set[str] = set()
        self.seen_ok: set[str] = set()
        self.alerted: set[tuple[str, str]] = set()
        self.stale: set[str] = set()
        self.counters: dict[str, int] = dict.fromkeys(
            ("handled", "bad_input", "published", "requests", "recovered"), 0
        )

    # -- restart ------------------------------------------------------------------------

    def recover(self, journal: Iterable[Message]) -> None:
        for msg in journal:
            if isinstance(msg, HedgeRequest):
                self.keeper.observe_request(msg, recovered=True)
            elif isinstance(msg, HedgeResult):
                self.keeper.observe_result(msg)
            elif self.opts.recover_positions:
                self._fold(msg)
            self.counters["recovered"] += 1
        if not self.opts.recover_positions:
            # Only the id sequence survives: the venues of an earlier run are gone.
            self.keeper.open.clear()
            self.keeper.moved.clear()
            self.keeper.rolling.clear()

    snapshot_version = STATE_VERSION

    def snapshot(self) -> bytes | None:
        return encode_portfolio(
            PortfolioState(
                holdings=holdings_state(self.holdings),
                configured=self.configured,
                keeper=keeper_state(self.keeper),
                dirty=sorted(self.dirty),
                counters={k: self.counters[k] for k in ("recovered", "bad_input")},
            )
        )

    def restore(self, blob: bytes) -> None:
        state = decode_portfolio(blob)
        dropped = restore_holdings(state.holdings, self.holdings, state.configured, self.configured)
        restore_keeper(state.keeper, self.keeper)
        self.dirty = set(state.dirty)
        self.counters.update(state.counters)
        self.counters["bad_input"] += dropped

    def recovered(self) -> dict[str, int]:
        held = sum(1 for r in self.holdings.book if r.qty != 0)
        return {
            "positions": held,
            "mint_orders": len(self.holdings.mints),
            "open_requests": len(self.keeper.open),
            "hedge_ids": sum(self.keeper.seq.values()),
        }

    # -- messages -----------------------------------------------------------------------

    def handle(self, msg: Message) -> list[Message]:
        self.counters["handled"] += 1
        now = self.now()
        out: list[Message] = []
        if isinstance(msg, HedgeRequest):
            self.keeper.observe_request(msg)
            return []
        if isinstance(msg, HedgeResult):
            self.keeper.observe_result(msg)
            self.dirty.add(msg.asset)
            return self._publish(now, force=False)
        if isinstance(msg, Health):
            return self._health(now, msg)
        if isinstance(msg, InstrumentValidity):
            return self._validity(now, msg)
        self._fold(msg)
        return out + self._publish(now, force=False)

    def _fold(self, msg: Message) -> None:
        fills = self.holdings.counters["fills"]
        try:
            moved = self.holdings.observe(msg)
        except PortfolioError as exc:
            self.counters["bad_input"] += 1
            n = self.counters["bad_input"]
            if n <= 10 or n % 1000 == 0:  # a bad stream must not flood the log
                log.warning("%s: dropped %s (%d so far): %s", self.name, type(msg).__name__, n, exc)
            return
        new_fill = self.holdings.counters["fills"] > fills
        if isinstance(msg, MintOrderAccepted) and msg.hedge_id and msg.asset and moved:
            self._expect_hedge(msg)
        if isinstance(msg, OrderFilled) and msg.parent_id and new_fill:
            spec = self.holdings.instruments.get(msg.venue, msg.symbol)
            signed = msg.qty if msg.side == "buy" else -msg.qty
            coins = coin_delta(spec.payoff, spec.multiplier, signed, msg.price)
            self.keeper.observe_fill(msg.parent_id, coins)
        self.dirty |= moved

    def _expect_hedge(self, m: MintOrderAccepted) -> None:
        asset, factor = self.holdings.factors.get(m.collateral, (m.collateral, Decimal(1)))
        if asset != m.asset:
            return
        coins = m.collateral_amount * factor
        self.keeper.expect(
            HedgeRequest(
                ts_event=m.ts_event,
                ts_recv=m.ts_recv,
                hedge_id=m.hedge_id,
                asset=m.asset,
                delta=-coins if m.order_type == "MINT" else coins,
                reason="mint" if m.order_type == "MINT" else "redeem",
                source_id=m.order_id,
            )
        )

    def _health(self, now: int, msg: Health) -> list[Message]:
        head, _, rest = msg.component.partition(".")
        if head not in ("feed", "exec", "venue") or not rest:
            return []
        venue = rest.split(".")[0]
        if msg.status == "down":
            self.health_down.add(venue)
        else:
            self.health_down.discard(venue)
            if msg.status == "ok":
                self.seen_ok.add(venue)
        return self._venue(now, venue)

    def _validity(self, now: int, msg: InstrumentValidity) -> list[Message]:
        books = self.validity.setdefault(msg.venue, {})
        books[msg.symbol] = msg.state == VALID
        if msg.state == VALID:
            self.seen_valid.add(msg.venue)
        return self._venue(now, msg.venue)

    def is_down(self, venue: str) -> bool:
        """Down: its feed says so after it had been ok, or every book of it turned invalid
        after one had been valid (a venue still connecting or holding at start is not an
        outage, so a clean start raises no alert)."""
        books = self.validity.get(venue, {})
        invalid = venue in self.seen_valid and bool(books) and not any(books.values())
        return (venue in self.seen_ok and venue in self.health_down) or invalid

    def _venue(self, now: int, venue: str) -> list[Message]:
        if not self.opts.keeper:
            return []
        held = venue_coins(self.holdings).get(venue, {})
        return self.keeper.venue_state(now, venue, self.is_down(venue), held)

    def on_timer(self, now_ns: int) -> list[Message]:
        self.dirty |= set(self.holdings.assets())
        out = self._publish(now_ns, force=True)
        if self.opts.keeper:
            out += self._roll_and_down(now_ns)
        out += self._mismatch_alerts(now_ns)
        out += self._stale_alerts(now_ns)
        out.append(PortfolioSnapshot(ts_event=now_ns, ts_recv=now_ns, view=self.view()))
        return out

    # -- publishing and deciding ----------------------------------------------------------

    def _publish(self, now: int, force: bool) -> list[Message]:
        throttle = int(self.opts.throttle_s * 1e9)
        out: list[Message] = []
        for asset in sorted(self.dirty):
            if not force and now - self.last_pub.get(asset, 0) < throttle:
                continue
            d = self.holdings.delta(asset)
            self.dirty.discard(asset)
            if d is None:
                continue
            self.last_pub[asset] = now
            out.append(
                PortfolioDelta(
                    ts_event=now,
                    ts_recv=now,
                    asset=asset,
                    custody=d.custody,
                    hedge=d.hedge,
                    delta=d.delta,
                    price=d.price,
                    delta_usd=d.delta_usd,
                    tolerance_usd=self.keeper.config.tolerance(asset),
                    liability=d.liability,
                    pending=self.keeper.pending(asset),
                )
            )
            self.counters["published"] += 1
            if self.opts.keeper:
                x = KeeperInput(asset, d.delta, d.price, d.inverse_drift)
                reqs = self.keeper.decide(now, x)
                self.counters["requests"] += len(reqs)
                out.extend(reqs)
        return out

    def _roll_and_down(self, now: int) -> list[Message]:
        coins = venue_coins(self.holdings)
        out: list[Message] = []
        for venue in sorted(coins):
            upl = self.holdings.venue_upl_usd(venue)
            equity = self.holdings.venue_equity_usd(venue)
            reqs = self.keeper.decide_roll(now, venue, upl, equity, coins[venue])
            out.extend(reqs)
        out.extend(self.keeper.decide_down(now, coins))
        self.counters["requests"] += sum(isinstance(m, HedgeRequest) for m in out)
        return out

    def _stale_alerts(self, now: int) -> list[Message]:
        out: list[Message] = []
        after = int(self.opts.stale_request_s * 1e9)
        for hid, o in sorted(self.keeper.open.items()):
            if o.own and hid not in self.stale and now - o.request.ts_event >= after:
                self.stale.add(hid)
                out.append(
                    AlertRaised(
                        ts_event=now,
                        ts_recv=now,
                        alert_id=f"hedge-stale-{hid}",
                        severity="warning",
                        source=self.name,
                        code="hedge_request_stale",
                        text=f"{hid} ({o.request.reason}, {o.request.delta} {o.request.asset}) "
                        f"unanswered for {(now - o.request.ts_event) // 1_000_000_000}s",
                    )
                )
        return out

    def _mismatch_alerts(self, now: int) -> list[Message]:
        out: list[Message] = []
        after = int(self.opts.mismatch_alert_s * 1e9)
        current = self.holdings.mismatches
        for key, mm in sorted(current.items()):
            if key not in self.alerted and now - mm.since_ns >= after:
                self.alerted.add(key)
                out.append(
                    AlertRaised(
                        ts_event=now,
                        ts_recv=now,
                        alert_id=f"position-mismatch-{mm.venue}-{mm.symbol}",
                        severity="warning",
                        source=self.name,
                        code="position_mismatch",
                        text=f"{mm.venue}:{mm.symbol}: ours {mm.ours}, the venue reports "
                        f"{mm.theirs}",
                    )
                )
        for venue, symbol in sorted(self.alerted - set(current)):
            self.alerted.discard((venue, symbol))
            out.append(
                AlertCleared(
                    ts_event=now,
                    ts_recv=now,
                    alert_id=f"position-mismatch-{venue}-{symbol}",
                    source=self.name,
                )
            )
        return out

    def view(self) -> PortfolioView:
        """What `pyengine status` shows of the portfolio."""
        return portfolio_view(self.holdings, self.keeper)

    def stats(self) -> dict[str, int]:
        return {
            **self.counters,
            **{f"holdings_{k}": v for k, v in self.holdings.counters.items()},
            "open_requests": len(self.keeper.open),
        }


__all__ = ["PortfolioActor", "PortfolioOptions"]
