"""The delta keeper's decisions (pure): when to ask for a hedge, how much, and why.

- **delta** / **inverse_rehedge**: when `|effective delta x P|` passes `tolerance_usd(asset)`,
  ask for `-effective delta` (docs/contracts.md#coin-delta). The effective delta counts what
  open requests still have to do (their `delta` less the coin delta their children filled)
  and leaves out the shares already moved off a down venue. Hysteresis: once it asked, it is
  disarmed until the delta came back under `rearm_ratio x tolerance` with none of its own
  requests open, or `retry_after_s` passed since the last request ended (a failed hedge is
  retried, a delta hovering at the threshold is not churned). Nothing is asked while one of
  the keeper's own requests of the asset is open, nor below `min_order_usd`. The reason is
  `inverse_rehedge` when most of the excess is inverse drift since the last request
  (docs/contracts.md#convexity).
- **roll**: a venue whose unrealised PnL passes `max(roll_abs_usd, roll_pct x equity)` has
  its hedge moved: a request closing it there (`venues=[v]`) and one opening it elsewhere
  (`exclude_venues=[v]`) (docs/contracts.md#settlement-and-roll).
- **venue_down**: a venue marked down keeps its last positions in the delta (never assumed
  flat); once down for `venue_down_after_s` its share is opened elsewhere and alerted, and
  closed on it after it recovers (docs/risk-playbooks.md#playbooks).

Ids are deterministic, `<kind>-<scope>-<n>[-open|-close]`, with `n` counted per scope and
rebuilt from the journal's requests (`observe_request`), so a restart neither re-issues a
request nor reuses an id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from pyengine.messages import AlertRaised, HedgeRequest, HedgeResult, Message
from pyengine.messages.hedging import HedgeReason

ZERO = Decimal(0)
_ID = re.compile(r"^(keeper|roll|down)-(.+)-(\d+)(?:-(open|close))?$")
_NS = 1_000_000_000
COIN_STEP = Decimal("1e-8")


@dataclass(frozen=True)
class KeeperConfig:
    """Thresholds in USD, times in seconds."""

    tolerance_usd: dict[str, Decimal] = field(default_factory=dict)
    default_tolerance_usd: Decimal = Decimal(50_000)
    rearm_ratio: Decimal = Decimal("0.5")
    min_order_usd: Decimal = Decimal(1_000)
    retry_after_s: float = 30.0
    roll_abs_usd: Decimal = Decimal(250_000)
    roll_pct: Decimal = Decimal("0.2")
    venue_down_after_s: float = 60.0
    slippage_bps: Decimal = Decimal(20)

    def tolerance(self, asset: str) -> Decimal:
        return self.tolerance_usd.get(asset, self.default_tolerance_usd)


@dataclass(frozen=True)
class KeeperInput:
    """One asset as the keeper sees it: net delta, price, inverse drift, coins per venue."""

    asset: str
    delta: Decimal
    price: Decimal
    inverse_drift: Decimal = ZERO
    venue_coins: dict[str, Decimal] = field(default_factory=dict)


@dataclass
class OpenRequest:
    request: HedgeRequest
    filled: Decimal = ZERO
    own: bool = False
    expected: bool = False

    @property
    def remaining(self) -> Decimal:
        """What is left to do, never past the target (an overfill leaves nothing)."""
        left = self.request.delta - self.filled
        return left if left * self.request.delta > 0 else ZERO


@dataclass
class Keeper:
    config: KeeperConfig = field(default_factory=KeeperConfig)
    seq: dict[str, int] = field(default_factory=dict)
    open: dict[str, OpenRequest] = field(default_factory=dict)
    done: set[str] = field(default_factory=set)
    disarmed: set[str] = field(default_factory=set)
    last_end_ns: dict[str, int] = field(default_factory=dict)
    drift_ref: dict[str, Decimal] = field(default_factory=dict)
    down_since: dict[str, int] = field(default_factory=dict)
    moved: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    """Per down venue, the coins per asset already opened elsewhere."""
    rolling: dict[str, set[str]] = field(default_factory=dict)
    issued: int = 0

    # -- what it learns -----------------------------------------------------------------

    def observe_request(self, req: HedgeRequest, recovered: bool = False) -> None:
        """A request on the bus (anyone's; ours come back too) or from the journal."""
        m = _ID.match(req.hedge_id)
        if m is not None:
            scope = f"{m.group(1)}-{m.group(2)}"
            self.seq[scope] = max(self.seq.get(scope, 0), int(m.group(3)))
            if recovered:
                self._replay_effects(req, m)
        if req.hedge_id in self.done:
            return
        known = self.open.get(req.hedge_id)
        if known is not None:
            if known.expected:  # the request itself replaces what was expected of it
                known.request, known.expected = req, False
            return
        self.open[req.hedge_id] = OpenRequest(req, own=m is not None)

    def expect(self, req: HedgeRequest) -> None:
        """A request announced before it arrives (an accepted mint names the hedge it
        becomes): counted as pending at once, so its collateral is not hedged twice."""
        if req.hedge_id not in self.done and req.hedge_id not in self.open:
            self.open[req.hedge_id] = OpenRequest(req, expected=True)

    def _replay_effects(self, req: HedgeRequest, m: re.Match[str]) -> None:
        kind, tail = m.group(1), m.group(4)
        if kind == "down":
            venue = req.exclude_venues[0] if tail == "open" and req.exclude_venues else ""
            if tail == "open" and venue:
                self.moved.setdefault(venue, {})[req.asset] = req.delta
            elif tail == "close" and req.venues:
                self.moved.get(req.venues[0], {}).pop(req.asset, None)
        elif kind == "roll" and req.venues and tail == "close":
            self.rolling.setdefault(req.venues[0], set()).add(req.hedge_id)
        elif kind == "roll" and req.exclude_venues and tail == "open":
            self.rolling.setdefault(req.exclude_venues[0], set()).add(req.hedge_id)

    def observe_result(self, res: HedgeResult) -> None:
        self.done.add(res.hedge_id)
        mine = self.open.pop(res.hedge_id, None)
        self.last_end_ns[res.asset] = max(self.last_end_ns.get(res.asset, 0), res.ts_event)
        if mine is not None and mine.own and res.state == "done":
            # It did what it was asked: a new excess is news, not churn.
            self.disarmed.discard(res.asset)
        for venue, ids in list(self.rolling.items()):
            ids.discard(res.hedge_id)
            if not ids:
                del self.rolling[venue]

    def observe_fill(self, hedge_id: str, coins: Decimal) -> None:
        """A child of `hedge_id` filled `coins` of coin delta (signed)."""
        o = self.open.get(hedge_id)
        if o is not None:
            o.filled += coins

    def pending(self, asset: str) -> Decimal:
        return sum((o.remaining for o in self.open.values() if o.request.asset == asset), ZERO)

    def own_open(self, asset: str) -> bool:
        return any(o.own and o.request.asset == asset for o in self.open.values())

    # -- what it decides ----------------------------------------------------------------

    def _id(self, kind: str, scope: str, tail: str = "") -> str:
        key = f"{kind}-{scope}"
        n = self.seq.get(key, 0) + 1
        self.seq[key] = n
        return f"{key}-{n}" + (f"-{tail}" if tail else "")

    def _request(
        self,
        now: int,
        *,
        hedge_id: str,
        asset: str,
        delta: Decimal,
        reason: HedgeReason,
        venues: list[str] | None = None,
        exclude: list[str] | None = None,
    ) -> HedgeRequest:
        req = HedgeRequest(
            ts_event=now,
            ts_recv=now,
            hedge_id=hedge_id,
            asset=asset,
            delta=delta,
            reason=reason,
            slippage_bps=self.config.slippage_bps,
            venues=venues or [],
            exclude_venues=sorted(set(exclude or [])),
        )
        self.open[hedge_id] = OpenRequest(req, own=True)
        self.issued += 1
        return req

    def effective(self, x: KeeperInput) -> Decimal:
        """The delta left once open requests are done, without shares moved off down venues."""
        moved = sum((m.get(x.asset, ZERO) for m in self.moved.values()), ZERO)
        return x.delta + self.pending(x.asset) - moved

    def decide(self, now: int, x: KeeperInput) -> list[HedgeRequest]:
        """The delta (or inverse drift) request for one asset, if one is due."""
        cfg, asset = self.config, x.asset
        if x.price <= 0:
            return []
        eff = self.effective(x)
        usd = abs(eff * x.price)
        tol = cfg.tolerance(asset)
        if asset in self.disarmed:
            ended = self.last_end_ns.get(asset, 0)
            busy = self.own_open(asset)
            retry = not busy and ended and now - ended >= cfg.retry_after_s * _NS
            # While its own request is open the effective delta counts that request as done
            # and reads near zero: not a delta that came back. Rearmed on it, the keeper
            # re-issued a failed request the moment it failed, every time, instead of after
            # `retry_after_s`.
            if (not busy and usd < tol * cfg.rearm_ratio) or retry:
                self.disarmed.discard(asset)
            else:
                return []
        if usd <= tol or self.own_open(asset) or usd < cfg.min_order_usd:
            return []
        drift = x.inverse_drift - self.drift_ref.get(asset, ZERO)
        reason: HedgeReason = "inverse_rehedge" if abs(drift) * 2 >= abs(eff) else "delta"
        self.disarmed.add(asset)
        self.drift_ref[asset] = x.inverse_drift
        hid = self._id("keeper", asset)
        # Satoshi precision: the hedger rounds to each instrument's lot anyway.
        ask = (-eff).quantize(COIN_STEP)
        return [
            self._request(
                now,
                hedge_id=hid,
                asset=asset,
                delta=ask,
                reason=reason,
                exclude=list(self.down_since),
            )
        ]

    def decide_roll(
        self,
        now: int,
        venue: str,
        upl_usd: Decimal,
        equity_usd: Decimal,
        coins: dict[str, Decimal],
    ) -> list[Message]:
        """The roll of one venue's hedge, if its unrealised PnL passed the limit."""
        cfg = self.config
        limit = max(cfg.roll_abs_usd, cfg.roll_pct * equity_usd)
        if venue in self.rolling or venue in self.down_since or abs(upl_usd) <= limit:
            return []
        out: list[Message] = []
        ids: set[str] = set()
        for asset, c in sorted(coins.items()):
            if c == 0 or self.own_open(asset):
                continue
            scope = f"{venue}-{asset}"
            n = self.seq.get(f"roll-{scope}", 0) + 1
            self.seq[f"roll-{scope}"] = n
            close_id, open_id = f"roll-{scope}-{n}-close", f"roll-{scope}-{n}-open"
            out.append(
                self._request(
                    now, hedge_id=close_id, asset=asset, delta=-c, reason="roll", venues=[venue]
                )
            )
            excl = [venue, *self.down_since]
            out.append(
                self._request(
                    now, hedge_id=open_id, asset=asset, delta=c, reason="roll", exclude=excl
                )
            )
            ids |= {close_id, open_id}
        if ids:
            self.rolling[venue] = ids
            out.append(
                self._alert(
                    now,
                    f"roll-{venue}",
                    "info",
                    "roll",
                    f"{venue}: unrealised PnL {upl_usd} USD past {limit}; moving its hedge",
                )
            )
        return out

    def venue_state(
        self, now: int, venue: str, down: bool, coins: dict[str, Decimal] | None = None
    ) -> list[Message]:
        """A venue went down or came back: alert; on recovery close what was moved off it
        (never more than it still holds, `coins`: it may have been reduced meanwhile)."""
        if down:
            if venue in self.down_since:
                return []
            self.down_since[venue] = now
            return [
                self._alert(
                    now,
                    f"venue-down-{venue}",
                    "warning",
                    "venue_down",
                    f"{venue} is down; its last positions stay in the delta",
                )
            ]
        if self.down_since.pop(venue, None) is None:
            return []
        out: list[Message] = []
        for asset, moved in sorted(self.moved.pop(venue, {}).items()):
            held = moved if coins is None else coins.get(asset, ZERO)
            same_side = held * moved > 0
            c = (held if abs(held) < abs(moved) else moved) if same_side else ZERO
            if c == 0:
                continue
            hid = self._id("down", f"{venue}-{asset}", "close")
            out.append(
                self._request(
                    now, hedge_id=hid, asset=asset, delta=-c, reason="venue_down", venues=[venue]
                )
            )
        return out

    def decide_down(self, now: int, venue_coins: dict[str, dict[str, Decimal]]) -> list[Message]:
        """Move the share of every venue down past `venue_down_after_s` (once)."""
        out: list[Message] = []
        limit = int(self.config.venue_down_after_s * _NS)
        for venue, since in sorted(self.down_since.items()):
            if now - since < limit or venue in self.moved:
                continue
            self.moved[venue] = {}
            for asset, c in sorted(venue_coins.get(venue, {}).items()):
                if c == 0:
                    continue
                self.moved[venue][asset] = c
                hid = self._id("down", f"{venue}-{asset}", "open")
                excl = [venue, *self.down_since]
                out.append(
                    self._request(
                        now, hedge_id=hid, asset=asset, delta=c, reason="venue_down", exclude=excl
                    )
                )
            if not self.moved[venue]:
                continue
            out.append(
                self._alert(
                    now,
                    f"venue-moved-{venue}",
                    "critical",
                    "venue_down_moved",
                    f"{venue} down {(now - since) // _NS}s: its hedge share "
                    "is opened on the other venues",
                )
            )
        return out

    def _alert(self, now: int, alert_id: str, severity: str, code: str, text: str) -> AlertRaised:
        return AlertRaised(
            ts_event=now,
            ts_recv=now,
            alert_id=alert_id,
            severity=severity,
            source="delta_keeper",
            code=code,
            text=text,
        )
