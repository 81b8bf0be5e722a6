//! Collateral value with the venue's haircut tiers, and margin ratio
//! (docs/funding-basis-margin.md#haircuts).
//!
//! Venues value non-USD margin at a haircut that steps down with size; margin and
//! liquidation use that value, not the oracle's. Two tier bases exist:
//! - Bybit UTA: tiers over the coin quantity (BTC 0-10 at 0.98, 10-20 at 0.95, ...),
//!   `value = sum(qty in tier x index x ratio)`; negative balances count at ratio 1.
//! - Binance cross margin: tiers over the USD value (100 % to 100M, 97.5 % for 100-120M).
//!
//! Each band applies only to the part of the size inside it, like income-tax brackets,
//! so the value is continuous and never decreases as the size grows (ratios >= 0).

use super::{CResult, Checked, ContractError, Money};

/// What the tier bounds measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TierBasis {
    /// Bounds are coin quantities (Bybit).
    Quantity,
    /// Bounds are USD values (Binance).
    Value,
}

/// A haircut schedule: `(upper bound, ratio)` bands in increasing order, then the ratio
/// for everything beyond the last bound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HaircutTiers {
    basis: TierBasis,
    bands: Vec<(Money, Money)>,
    beyond: Money,
}

impl HaircutTiers {
    /// Build and validate a schedule.
    ///
    /// # Errors
    /// [`ContractError::Invalid`] if bounds are not strictly increasing and positive or a
    /// ratio is outside `[0, 1]`.
    pub fn new(basis: TierBasis, bands: Vec<(Money, Money)>, beyond: Money) -> CResult<Self> {
        let ratio_ok = |r: Money| r >= Money::ZERO && r <= Money::ONE;
        let mut prev = Money::ZERO;
        for &(bound, ratio) in &bands {
            if bound <= prev {
                return Err(ContractError::Invalid {
                    name: "tier bound",
                    reason: format!("bounds must increase from > 0, got {bound} after {prev}"),
                });
            }
            if !ratio_ok(ratio) {
                return Err(ContractError::Invalid {
                    name: "tier ratio",
                    reason: format!("must be within [0, 1], got {ratio}"),
                });
            }
            prev = bound;
        }
        if !ratio_ok(beyond) {
            return Err(ContractError::Invalid {
                name: "tier ratio",
                reason: format!("must be within [0, 1], got {beyond}"),
            });
        }
        Ok(HaircutTiers {
            basis,
            bands,
            beyond,
        })
    }

    /// A single flat ratio (Binance Portfolio Margin per-asset rate, USDT at 1).
    ///
    /// # Errors
    /// [`ContractError::Invalid`] if the ratio is outside `[0, 1]`.
    pub fn flat(ratio: Money) -> CResult<Self> {
        Self::new(TierBasis::Quantity, Vec::new(), ratio)
    }

    /// What the bounds measure.
    #[must_use]
    pub fn basis(&self) -> TierBasis {
        self.basis
    }

    /// The bands and the ratio beyond them.
    #[must_use]
    pub fn bands(&self) -> (&[(Money, Money)], Money) {
        (&self.bands, self.beyond)
    }

    /// Collateral value in USD of `qty` coins at `price` after haircuts. A negative
    /// balance (a liability) counts in full (ratio 1).
    ///
    /// # Errors
    /// [`ContractError`] on a negative price or overflow.
    pub fn value(&self, qty: Money, price: Money) -> CResult<Money> {
        if price.is_sign_negative() {
            return Err(ContractError::NotPositive("price"));
        }
        if qty <= Money::ZERO {
            return qty.mul(price, "collateral value");
        }
        match self.basis {
            TierBasis::Quantity => self.banded(qty)?.mul(price, "collateral value"),
            TierBasis::Value => self.banded(qty.mul(price, "collateral value")?),
        }
    }

    /// `sum(part of amount in band x ratio)` over the bands.
    fn banded(&self, amount: Money) -> CResult<Money> {
        let mut out = Money::ZERO;
        let mut lower = Money::ZERO;
        for &(upper, ratio) in &self.bands {
            if amount <= lower {
                return Ok(out);
            }
            let part = amount.min(upper).sub(lower, "haircut")?;
            out = out.add(part.mul(ratio, "haircut")?, "haircut")?;
            lower = upper;
        }
        if amount > lower {
            let part = amount.sub(lower, "haircut")?;
            out = out.add(part.mul(self.beyond, "haircut")?, "haircut")?;
        }
        Ok(out)
    }

    /// The value-weighted ratio for `qty` (value / (qty x price)), 1 for empty balances.
    ///
    /// # Errors
    /// [`ContractError`] on a non-positive price or overflow.
    pub fn effective_ratio(&self, qty: Money, price: Money) -> CResult<Money> {
        if qty <= Money::ZERO {
            return Ok(Money::ONE);
        }
        let gross = qty.mul(super::positive(price, "price")?, "collateral value")?;
        self.value(qty, price)?.div(gross, "collateral value")
    }
}

/// Bybit UTA BTC collateral tiers by coin quantity (docs/funding-basis-margin.md#haircuts): 0-10
/// 0.98, 10-20 0.95, 20-30 0.90, 30-40 0.85, 40-50 0.80, beyond 50 zero.
#[must_use]
pub fn bybit_btc_tiers() -> HaircutTiers {
    let d = |m: i64, s: u32| Money::new(m, s);
    HaircutTiers {
        basis: TierBasis::Quantity,
        bands: vec![
            (d(10, 0), d(98, 2)),
            (d(20, 0), d(95, 2)),
            (d(30, 0), d(90, 2)),
            (d(40, 0), d(85, 2)),
            (d(50, 0), d(80, 2)),
        ],
        beyond: Money::ZERO,
    }
}

/// Binance cross-margin tiers by USD value from the docs/funding-basis-margin.md#haircuts example:
/// 100 % up to 100M,
/// 97.5 % for 100M-120M (the doc's table continues; beyond 120M we keep 97.5 % until a
/// venue table says otherwise).
#[must_use]
pub fn binance_example_tiers() -> HaircutTiers {
    HaircutTiers {
        basis: TierBasis::Value,
        bands: vec![
            (Money::new(100_000_000, 0), Money::ONE),
            (Money::new(120_000_000, 0), Money::new(975, 3)),
        ],
        beyond: Money::new(975, 3),
    }
}

/// Margin ratio `maintenance / equity` (the venues' convention: liquidation at 1).
/// Non-positive equity gives `None` (already liquidatable).
///
/// # Errors
/// [`ContractError::Overflow`].
pub fn margin_ratio(maintenance: Money, equity: Money) -> CResult<Option<Money>> {
    if equity <= Money::ZERO {
        return Ok(None);
    }
    maintenance.div(equity, "equity").map(Some)
}
