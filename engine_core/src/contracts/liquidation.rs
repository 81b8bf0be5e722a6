//! Liquidation price and distance of a hedge account
//! (docs/funding-basis-margin.md#liquidation-distance).
//!
//! For one underlying with price `P`, everything in a cross-margined account is linear
//! in `P` once the haircut ratio is fixed at today's tier (tiers are in coin quantity,
//! so the ratio does not move with the price):
//! - coin collateral: `coins x s x h x P` (s = LST/coin rate, h = haircut ratio);
//! - stable collateral and other assets: a constant;
//! - linear position: `q x mult x (P - entry)`;
//! - inverse position valued in USD: `N x cv x (1/entry - 1/P) x P = N x cv x (P/entry - 1)`;
//! - maintenance: `m x |q| x mult x P` (linear), `m x |N| x cv` (inverse).
//!
//! So `equity(P) = a + b P` and `maintenance(P) = c + d P`, and the account is liquidated
//! where they meet: `P* = (a - c) / (d - b)`. For q stETH against a short of q ETH this
//! is `P > P0 / (1 + m - s h)` of docs/funding-basis-margin.md#liquidation-distance. Like it, it
//! ignores PnL settlement (which resets the entry) and tier changes as the price moves.

use super::{positive, CResult, Checked, Money, Payoff};

/// Closed form (docs/funding-basis-margin.md#liquidation-distance): price at which `q` LST at rate
/// `s` with haircut `h`, hedged by a short of `q` at `p0`, hits maintenance rate `m`:
/// `P0 / (1 + m - s h)`. `None` if the account can never be liquidated by a rally
/// (`1 + m - s h <= 0`).
///
/// # Errors
/// [`super::ContractError`] on a non-positive `p0` or overflow.
pub fn lst_hedge_liq_price(p0: Money, s: Money, h: Money, m: Money) -> CResult<Option<Money>> {
    let p0 = positive(p0, "entry price")?;
    let den = Money::ONE.add(m, "liq")?.sub(s.mul(h, "liq")?, "liq")?;
    if den <= Money::ZERO {
        return Ok(None);
    }
    p0.div(den, "1 + m - s h").map(Some)
}

/// An account's equity and maintenance as straight lines in the underlying's price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LinearAccount {
    /// Equity constant term (USD).
    pub a: Money,
    /// Equity slope (USD per unit of price).
    pub b: Money,
    /// Maintenance constant term (USD).
    pub c: Money,
    /// Maintenance slope.
    pub d: Money,
}

impl LinearAccount {
    /// Add a USD amount that does not move with the price (stables, other assets).
    ///
    /// # Errors
    /// [`super::ContractError::Overflow`].
    pub fn add_cash(&mut self, usd: Money) -> CResult<()> {
        self.a = self.a.add(usd, "equity")?;
        Ok(())
    }

    /// Add `coins` of collateral whose value per unit of price is `rate x ratio`
    /// (rate: LST/coin exchange rate, ratio: the venue haircut for the holding).
    ///
    /// # Errors
    /// [`super::ContractError::Overflow`].
    pub fn add_coin(&mut self, coins: Money, rate: Money, ratio: Money) -> CResult<()> {
        let slope = coins.mul(rate, "equity")?.mul(ratio, "equity")?;
        self.b = self.b.add(slope, "equity")?;
        Ok(())
    }

    /// Add a position of `qty` opened at `entry` with maintenance rate `mm`.
    ///
    /// # Errors
    /// [`super::ContractError`] on a non-positive entry or overflow.
    pub fn add_position(
        &mut self,
        payoff: Payoff,
        mult: Money,
        qty: Money,
        entry: Money,
        mm: Money,
    ) -> CResult<()> {
        let entry = positive(entry, "entry price")?;
        let units = qty.mul(mult, "position")?;
        match payoff {
            Payoff::Linear => {
                // q (P - entry): slope q, constant -q entry
                self.b = self.b.add(units, "equity")?;
                self.a = self.a.sub(units.mul(entry, "equity")?, "equity")?;
                self.d = self
                    .d
                    .add(units.abs().mul(mm, "maintenance")?, "maintenance")?;
            }
            Payoff::Inverse => {
                // N cv (P / entry - 1): slope N cv / entry, constant -N cv
                self.b = self.b.add(units.div(entry, "entry price")?, "equity")?;
                self.a = self.a.sub(units, "equity")?;
                self.c = self
                    .c
                    .add(units.abs().mul(mm, "maintenance")?, "maintenance")?;
            }
        }
        Ok(())
    }

    /// Equity at price `p`.
    ///
    /// # Errors
    /// [`super::ContractError::Overflow`].
    pub fn equity(&self, p: Money) -> CResult<Money> {
        self.a.add(self.b.mul(p, "equity")?, "equity")
    }

    /// Maintenance margin at price `p`.
    ///
    /// # Errors
    /// [`super::ContractError::Overflow`].
    pub fn maintenance(&self, p: Money) -> CResult<Money> {
        self.c.add(self.d.mul(p, "maintenance")?, "maintenance")
    }

    /// The positive price where equity meets maintenance, if the lines cross there.
    ///
    /// # Errors
    /// [`super::ContractError::Overflow`].
    pub fn liq_price(&self) -> CResult<Option<Money>> {
        let den = self.d.sub(self.b, "liq")?;
        if den.is_zero() {
            return Ok(None);
        }
        let p = self.a.sub(self.c, "liq")?.div(den, "liq")?;
        Ok((p > Money::ZERO).then_some(p))
    }

    /// Signed relative move from `p` to the liquidation price (`P*/p - 1`); zero if the
    /// account is already at or below maintenance at `p`; `None` when no positive price
    /// liquidates it.
    ///
    /// # Errors
    /// [`super::ContractError`] on a non-positive `p` or overflow.
    pub fn liq_distance(&self, p: Money) -> CResult<Option<Money>> {
        let p = positive(p, "price")?;
        if self.equity(p)? <= self.maintenance(p)? {
            return Ok(Some(Money::ZERO));
        }
        match self.liq_price()? {
            Some(liq) => Ok(Some(liq.div(p, "price")?.sub(Money::ONE, "liq")?)),
            None => Ok(None),
        }
    }
}
