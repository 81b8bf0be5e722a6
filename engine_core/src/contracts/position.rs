//! Position keeping from fills: average entry, partial closes, flips, fees, realised PnL.
//!
//! The quantity is the exact sum of the signed fills. The average entry is the
//! quantity-weighted mean for linear contracts and the harmonic mean for inverse ones
//! (an inverse position's value is `sum qty / price`, so that is the entry that makes
//! `pnl(avg)` equal the sum of the fills' PnLs); it rounds to 28 significant digits.
//! A fill larger than the open position closes it (realising PnL) and opens the rest
//! at the fill price. Fees and funding are kept apart from trading PnL, all in the
//! settle currency.

use super::math::pnl;
use super::{positive, CResult, Checked, Money, Payoff};

/// One execution: signed quantity (buy > 0), price and fee paid (settle currency,
/// negative for a rebate).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fill {
    /// Signed quantity in the instrument's unit.
    pub qty: Money,
    /// Execution price.
    pub price: Money,
    /// Fee paid in the settle currency (negative = rebate).
    pub fee: Money,
}

/// A position in one instrument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// Payoff of the instrument.
    pub payoff: Payoff,
    /// Value of one unit of quantity (coins linear, USD inverse).
    pub multiplier: Money,
    /// Signed open quantity (sum of fills).
    pub qty: Money,
    /// Average entry price of the open quantity (zero when flat).
    pub avg_entry: Money,
    /// Trading PnL realised by closes, settle currency.
    pub realised_pnl: Money,
    /// Fees paid, settle currency (rebates negative).
    pub fees: Money,
    /// Funding received (positive) or paid (negative), settle currency.
    pub funding: Money,
}

/// What one fill did to a position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FillEffect {
    /// Quantity closed by this fill (unsigned).
    pub closed: Money,
    /// Quantity opened or added by this fill (signed).
    pub opened: Money,
    /// Trading PnL realised by this fill.
    pub realised: Money,
}

impl Position {
    /// A flat position.
    #[must_use]
    pub fn new(payoff: Payoff, multiplier: Money) -> Self {
        Position {
            payoff,
            multiplier,
            qty: Money::ZERO,
            avg_entry: Money::ZERO,
            realised_pnl: Money::ZERO,
            fees: Money::ZERO,
            funding: Money::ZERO,
        }
    }

    /// True when no quantity is open.
    #[must_use]
    pub fn is_flat(&self) -> bool {
        self.qty.is_zero()
    }

    /// Apply one fill; the position is unchanged if it fails.
    ///
    /// # Errors
    /// [`super::ContractError`] on a zero quantity, a non-positive price or overflow.
    pub fn apply(&mut self, fill: Fill) -> CResult<FillEffect> {
        let price = positive(fill.price, "fill price")?;
        if fill.qty.is_zero() {
            return Err(super::ContractError::Invalid {
                name: "fill qty",
                reason: "zero".into(),
            });
        }
        let mut next = *self;
        next.fees = next.fees.add(fill.fee, "fees")?;
        let same_side =
            self.qty.is_zero() || (self.qty.is_sign_positive() == fill.qty.is_sign_positive());
        let effect = if same_side {
            next.avg_entry = self.blend(fill.qty, price)?;
            next.qty = self.qty.add(fill.qty, "qty")?;
            FillEffect {
                closed: Money::ZERO,
                opened: fill.qty,
                realised: Money::ZERO,
            }
        } else {
            let closing = fill.qty.abs().min(self.qty.abs());
            // The closed part of the position carries the position's sign.
            let closed_signed = if self.qty.is_sign_positive() {
                closing
            } else {
                -closing
            };
            let realised = pnl(
                self.payoff,
                self.multiplier,
                closed_signed,
                self.avg_entry,
                price,
            )?;
            next.realised_pnl = next.realised_pnl.add(realised, "realised pnl")?;
            next.qty = self.qty.add(fill.qty, "qty")?;
            let opened = if next.qty.is_zero() {
                next.avg_entry = Money::ZERO;
                Money::ZERO
            } else if next.qty.is_sign_positive() == self.qty.is_sign_positive() {
                Money::ZERO // partial close: entry unchanged
            } else {
                next.avg_entry = price; // flip: the remainder opens at the fill price
                next.qty
            };
            FillEffect {
                closed: closing,
                opened,
                realised,
            }
        };
        *self = next;
        Ok(effect)
    }

    /// Add funding received (positive) or paid (negative).
    ///
    /// # Errors
    /// [`super::ContractError::Overflow`].
    pub fn add_funding(&mut self, amount: Money) -> CResult<()> {
        self.funding = self.funding.add(amount, "funding")?;
        Ok(())
    }

    /// Unrealised PnL at `mark` (zero when flat), settle currency.
    ///
    /// # Errors
    /// [`super::ContractError`] on a non-positive mark or overflow.
    pub fn unrealised(&self, mark: Money) -> CResult<Money> {
        if self.qty.is_zero() {
            return Ok(Money::ZERO);
        }
        pnl(self.payoff, self.multiplier, self.qty, self.avg_entry, mark)
    }

    /// Realised trading PnL minus fees plus funding.
    ///
    /// # Errors
    /// [`super::ContractError::Overflow`].
    pub fn net_realised(&self) -> CResult<Money> {
        self.realised_pnl
            .sub(self.fees, "net pnl")?
            .add(self.funding, "net pnl")
    }

    /// New average entry after adding `add` (same side) at `price`.
    fn blend(&self, add: Money, price: Money) -> CResult<Money> {
        if self.qty.is_zero() {
            return Ok(price);
        }
        let (q0, q1) = (self.qty.abs(), add.abs());
        let total = q0.add(q1, "avg entry")?;
        match self.payoff {
            // (q0 x avg + q1 x p) / (q0 + q1)
            Payoff::Linear => q0
                .mul(self.avg_entry, "avg entry")?
                .add(q1.mul(price, "avg entry")?, "avg entry")?
                .div(total, "quantity"),
            // (q0 + q1) / (q0 / avg + q1 / p), as (q0 + q1) x avg x p / (q0 x p + q1 x avg)
            Payoff::Inverse => {
                let den = q0
                    .mul(price, "avg entry")?
                    .add(q1.mul(self.avg_entry, "avg entry")?, "avg entry")?;
                total
                    .mul(self.avg_entry, "avg entry")?
                    .mul(price, "avg entry")?
                    .div(den, "avg entry")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Fill, Position};
    use crate::contracts::{money, Money, Payoff};

    fn d(s: &str) -> Money {
        money(s).expect(s)
    }

    fn fill(p: &mut Position, q: &str, px: &str, fee: &str) -> super::FillEffect {
        p.apply(Fill {
            qty: d(q),
            price: d(px),
            fee: d(fee),
        })
        .expect("fill")
    }

    #[test]
    fn increase_partial_close_flip_and_fees() {
        let mut p = Position::new(Payoff::Linear, d("1"));
        fill(&mut p, "2", "100", "0.1");
        fill(&mut p, "2", "110", "0.1");
        assert_eq!((p.qty, p.avg_entry), (d("4"), d("105")));
        let e = fill(&mut p, "-1", "120", "0.05");
        assert_eq!(
            (e.closed, e.realised, p.qty, p.avg_entry),
            (d("1"), d("15"), d("3"), d("105"))
        );
        let e = fill(&mut p, "-5", "100", "0.2");
        assert_eq!(
            (e.closed, e.opened, e.realised),
            (d("3"), d("-2"), d("-15"))
        );
        assert_eq!(
            (p.qty, p.avg_entry, p.realised_pnl, p.fees),
            (d("-2"), d("100"), d("0"), d("0.45"))
        );
        fill(&mut p, "2", "90", "0");
        assert!(p.is_flat());
        assert_eq!((p.avg_entry, p.realised_pnl), (d("0"), d("20")));
        p.add_funding(d("3")).expect("funding");
        assert_eq!(p.net_realised().expect("net"), d("22.55"));
        assert_eq!(p.unrealised(d("1")).expect("upl"), d("0"));
    }

    #[test]
    fn inverse_average_entry_is_harmonic() {
        // 100 contracts at 10,000 + 100 at 20,000 hold 0.01 + 0.005 coins of value:
        // the entry that keeps that is 200 / 0.015 = 13,333.33...
        let mut p = Position::new(Payoff::Inverse, d("1"));
        fill(&mut p, "100", "10000", "0");
        fill(&mut p, "100", "20000", "0");
        assert_eq!(p.avg_entry.round_dp(8), d("13333.33333333"));
        let upl = p.unrealised(d("15000")).expect("upl");
        let direct = (d("100") * (d("1") / d("10000") - d("1") / d("15000")))
            + (d("100") * (d("1") / d("20000") - d("1") / d("15000")));
        assert!((upl - direct).abs() < d("1e-20"), "{upl} vs {direct}");
    }

    #[test]
    fn bad_fills_leave_the_position_unchanged() {
        let mut p = Position::new(Payoff::Linear, d("1"));
        fill(&mut p, "1", "100", "0");
        let before = p;
        assert!(p
            .apply(Fill {
                qty: d("0"),
                price: d("1"),
                fee: d("0")
            })
            .is_err());
        assert!(p
            .apply(Fill {
                qty: d("1"),
                price: d("0"),
                fee: d("0")
            })
            .is_err());
        assert_eq!(p, before);
    }
}
