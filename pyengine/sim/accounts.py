"""One simulated venue account: wallets, positions, margin with haircuts, funding, debts.

Margin is cross, in USD, the way Bybit's unified account computes it
(docs/funding-basis-margin.md#haircuts): equity = sum of collateral valued at index x the venue's
haircut tier (negative balances at 1, they are debts) + unrealised PnL; maintenance = sum |notional
at mark| x the instrument's maintenance rate; initial = sum |notional| / leverage. The account is
liquidated when equity < maintenance, which for q of an LST at s x P hedged by a linear
short of q at P0 is exactly the docs/funding-basis-margin.md#liquidation-distance price P > P0 /
(1 + m - s h).

Realised PnL, funding and fees land in the settle currency's wallet at once (which may go
negative: a settlement-currency debt) and also accrue in `unsettled`, the amount the
custodian's next settlement cycle moves. All arithmetic is `pyengine.contracts`.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from pyengine.contracts import (
    InstrumentSpec,
    LiquidationModel,
    Position,
    funding_payment,
    notional,
)
from pyengine.sim.profiles import VenueProfile

STABLES = frozenset({"USD", "USDT", "USDC", "BUSD", "FDUSD", "USDE"})


class Account:
    """Balances and positions of one account on one simulated venue."""

    def __init__(
        self,
        profile: VenueProfile,
        specs: Mapping[str, InstrumentSpec],
        links: Mapping[str, tuple[str, Decimal]] | None = None,
    ) -> None:
        self.profile = profile
        self.specs = dict(specs)
        self.links = dict(links or {})
        self.balances: dict[str, Decimal] = {}
        self.unsettled: dict[str, Decimal] = {}
        self.positions: dict[str, Position] = {}
        self.prices: dict[str, Decimal] = {}
        self.marks: dict[str, Decimal] = {}

    def asset_price(self, asset: str) -> Decimal | None:
        """USD price of an asset: stables 1, linked assets (stETH -> ETH x ratio), else
        the last index of an instrument on it."""
        if asset.upper() in STABLES:
            return Decimal(1)
        link = self.links.get(asset)
        if link is not None:
            base = self.asset_price(link[0])
            return None if base is None else base * link[1]
        return self.prices.get(asset)

    def position(self, symbol: str) -> Position:
        """The position of `symbol` (created flat)."""
        pos = self.positions.get(symbol)
        if pos is None:
            spec = self.specs[symbol]
            pos = Position(spec.payoff, spec.multiplier)
            self.positions[symbol] = pos
        return pos

    def qty(self, symbol: str) -> Decimal:
        """Signed position size of `symbol`."""
        pos = self.positions.get(symbol)
        return pos.qty if pos is not None else Decimal(0)

    def credit(self, asset: str, amount: Decimal, *, pnl: bool = False) -> None:
        """Add to a wallet; `pnl` amounts also accrue to the next settlement."""
        self.balances[asset] = self.balances.get(asset, Decimal(0)) + amount
        if pnl:
            self.unsettled[asset] = self.unsettled.get(asset, Decimal(0)) + amount

    def apply_fill(self, symbol: str, signed_qty: Decimal, price: Decimal, fee: Decimal) -> Decimal:
        """Book a fill; return the realised PnL (settle currency), fee excluded."""
        spec = self.specs[symbol]
        _, _, realised = self.position(symbol).apply(signed_qty, price, fee)
        self.credit(spec.settle, realised - fee, pnl=True)
        return realised

    def apply_funding(self, symbol: str, mark: Decimal, rate: Decimal) -> Decimal:
        """Pay or receive funding on `symbol` (docs/funding-basis-margin.md#funding-payment: mark x
        size x F, longs pay when F > 0)."""
        spec = self.specs[symbol]
        qty = self.qty(symbol)
        if qty == 0:
            return Decimal(0)
        amount = funding_payment(spec.payoff, spec.multiplier, qty, mark, rate)
        self.position(symbol).add_funding(amount)
        self.credit(spec.settle, amount, pnl=True)
        return amount

    def fee(self, symbol: str, qty: Decimal, price: Decimal, rate: Decimal) -> Decimal:
        """Fee in the settle currency: rate x |notional| (coins for inverse)."""
        spec = self.specs[symbol]
        usd = abs(notional(spec.payoff, spec.multiplier, qty, price))
        amount = usd * rate if spec.payoff == "linear" else usd * rate / price
        return amount.quantize(Decimal("0.0000000001"))

    def mmr(self, symbol: str) -> Decimal:
        """Maintenance margin rate of `symbol` (profile override, else the instrument's)."""
        rate = self.profile.maint_rates.get(symbol, self.specs[symbol].maint_margin_rate)
        return rate if rate is not None else self.profile.default_mmr

    def collateral_usd(self) -> Decimal:
        """Wallets valued at index x haircut tier; negative balances count in full."""
        total = Decimal(0)
        for asset, qty in sorted(self.balances.items()):
            px = self.asset_price(asset)
            if px is None or qty == 0:
                continue
            total += qty * px if qty < 0 else self.profile.haircut(asset).value(qty, px)
        return total

    def unrealised_usd(self) -> Decimal:
        """Unrealised PnL at the marks, in USD."""
        total = Decimal(0)
        for sym, pos in sorted(self.positions.items()):
            mark = self.marks.get(sym)
            if pos.qty == 0 or mark is None:
                continue
            upl = pos.unrealised(mark)
            settle_px = self.asset_price(self.specs[sym].settle) or mark
            total += upl * settle_px
        return total

    def equity_usd(self) -> Decimal:
        """Margin equity: haircut collateral + unrealised PnL."""
        return self.collateral_usd() + self.unrealised_usd()

    def _gross(self, extra: Mapping[str, Decimal] | None = None) -> list[tuple[str, Decimal]]:
        out = []
        for sym in sorted(self.specs):
            qty = self.qty(sym) + (extra or {}).get(sym, Decimal(0))
            mark = self.marks.get(sym)
            if qty == 0 or mark is None:
                continue
            spec = self.specs[sym]
            out.append((sym, abs(notional(spec.payoff, spec.multiplier, qty, mark))))
        return out

    def maintenance_usd(self) -> Decimal:
        """Maintenance margin at the marks."""
        return sum((n * self.mmr(s) for s, n in self._gross()), Decimal(0))

    def initial_usd(self, extra: Mapping[str, Decimal] | None = None) -> Decimal:
        """Initial margin of positions plus `extra` signed order sizes per symbol."""
        return sum((n for _, n in self._gross(extra)), Decimal(0)) / self.profile.leverage

    def liquidatable(self) -> bool:
        """Equity below maintenance while holding positions."""
        maint = self.maintenance_usd()
        return maint > 0 and self.equity_usd() < maint

    def available(self, asset: str) -> Decimal:
        """What could leave the account in `asset` without breaching initial margin."""
        px = self.asset_price(asset)
        wallet = self.balances.get(asset, Decimal(0))
        if px is None or px <= 0 or wallet <= 0:
            return Decimal(0)
        free_usd = self.equity_usd() - self.initial_usd()
        return max(Decimal(0), min(wallet, free_usd / px))

    def debts(self) -> dict[str, Decimal]:
        """Negative wallets (settlement-currency debts), by asset."""
        return {a: q for a, q in sorted(self.balances.items()) if q < 0}

    def liquidation_price(self, symbol: str) -> Decimal | None:
        """Mark at which the account is liquidated, if every position and non-stable
        wallet moves with `symbol`'s underlying (None when the account is mixed)."""
        base = self.specs[symbol].base
        model = LiquidationModel()
        ref = self.asset_price(base)
        if ref is None or ref <= 0:
            return None
        for asset, qty in sorted(self.balances.items()):
            px = self.asset_price(asset)
            if qty == 0 or px is None:
                continue
            if asset.upper() in STABLES:
                model.add_cash(qty)
                continue
            root = self.links.get(asset, (asset, Decimal(1)))
            if root[0] != base:
                return None
            ratio = Decimal(1) if qty < 0 else self.profile.haircut(asset).effective_ratio(qty, px)
            model.add_coin(qty, px / ref, ratio)
        for sym, pos in sorted(self.positions.items()):
            if pos.qty == 0:
                continue
            spec = self.specs[sym]
            if spec.base != base:
                return None
            model.add_position(spec.payoff, spec.multiplier, pos.qty, pos.avg_entry, self.mmr(sym))
        return model.liq_price()
