//! Contract mathematics: instrument specs, notional/delta/PnL for linear and inverse
//! contracts, position keeping, funding and basis, margin with haircuts, liquidation.
//!
//! This is the arithmetic that sizes a hedge, says what it earned and how close it is to
//! liquidation (docs/contracts.md, docs/funding-basis-margin.md), so it is exact: every amount is a
//! [`Money`] (`rust_decimal::Decimal`, 28 significant digits), never `f64`. Additions, subtractions
//! and multiplications are exact; the only rounding is in divisions (inverse PnL, average
//! entry, APRs), which round to 28 significant digits. Every operation is checked: an
//! overflow or a zero price is a [`ContractError`], never a panic.

pub mod funding;
pub mod liquidation;
pub mod loaders;
pub mod margin;
pub mod math;
pub mod position;
pub mod route;
pub mod spec;

#[cfg(test)]
mod props;
#[cfg(test)]
mod vectors;

pub use rust_decimal::Decimal as Money;
pub use spec::{InstrumentSpec, Kind, Payoff};

/// Why a contract computation could not be done. Bad input never panics.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContractError {
    /// A price (or other divisor) that must be positive was zero or negative.
    #[error("{0} must be positive")]
    NotPositive(&'static str),
    /// The result does not fit a 96-bit decimal.
    #[error("arithmetic overflow in {0}")]
    Overflow(&'static str),
    /// An argument outside its domain (negative fee tier, empty samples, ...).
    #[error("invalid {name}: {reason}")]
    Invalid {
        /// The argument.
        name: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A mint/redeem route that the minting contract would reject (docs/mint-redeem.md#route).
    #[error("invalid route: {0}")]
    Route(String),
}

pub(crate) type CResult<T> = Result<T, ContractError>;

/// Checked arithmetic on [`Money`] that names the operation on overflow.
pub(crate) trait Checked: Sized {
    fn add(self, o: Self, what: &'static str) -> CResult<Self>;
    fn sub(self, o: Self, what: &'static str) -> CResult<Self>;
    fn mul(self, o: Self, what: &'static str) -> CResult<Self>;
    /// Division by a value that must be non-zero (`what` names it in the error).
    fn div(self, o: Self, what: &'static str) -> CResult<Self>;
}

impl Checked for Money {
    #[inline]
    fn add(self, o: Self, what: &'static str) -> CResult<Self> {
        self.checked_add(o).ok_or(ContractError::Overflow(what))
    }
    #[inline]
    fn sub(self, o: Self, what: &'static str) -> CResult<Self> {
        self.checked_sub(o).ok_or(ContractError::Overflow(what))
    }
    #[inline]
    fn mul(self, o: Self, what: &'static str) -> CResult<Self> {
        self.checked_mul(o).ok_or(ContractError::Overflow(what))
    }
    #[inline]
    fn div(self, o: Self, what: &'static str) -> CResult<Self> {
        if o.is_zero() {
            return Err(ContractError::NotPositive(what));
        }
        self.checked_div(o).ok_or(ContractError::Overflow(what))
    }
}

/// Fail unless `v > 0`.
#[inline]
pub(crate) fn positive(v: Money, what: &'static str) -> CResult<Money> {
    if v > Money::ZERO {
        Ok(v)
    } else {
        Err(ContractError::NotPositive(what))
    }
}

/// Parse exact decimal text (no rounding) into [`Money`].
///
/// # Errors
/// [`ContractError::Invalid`] if the text is not a decimal that fits 28 digits exactly.
pub fn money(text: &str) -> Result<Money, ContractError> {
    parse_money(text).ok_or_else(|| ContractError::Invalid {
        name: "decimal",
        reason: format!("not an exact decimal: {text:?}"),
    })
}

/// Exact parse of decimal text, also accepting exponents (`"1e-4"`, `"2.5E+3"`).
#[must_use]
pub fn parse_money(text: &str) -> Option<Money> {
    let t = text.trim();
    if t.is_empty() || t.len() > 64 {
        return None;
    }
    if t.bytes().any(|c| c == b'e' || c == b'E') {
        return Money::from_scientific(t)
            .ok()
            .filter(|m| m.to_string().len() <= 64);
    }
    Money::from_str_exact(t).ok()
}
