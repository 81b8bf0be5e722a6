//! Funding and basis (docs/funding-basis-margin.md): the premium index, the Binance USD-M / Bybit
//! rate formula with its clamp, Bybit's time-weighted premium average, the payment of one
//! funding event, and annualised funding and basis so the router can compare perps and
//! dated futures on one scale.
//!
//! Rates are plain fractions (`0.0001` = 0.01 %), never basis points or percent.

use super::{positive, CResult, Checked, ContractError, Money, Payoff};

/// Binance USD-M interest component per 8 h: 0.01 % (docs/funding-basis-margin.md#funding-rate; 0
/// for some BNB pairs).
pub const BINANCE_INTEREST_8H: Money = Money::from_parts(1, 0, 0, false, 4);
/// The clamp around `I - Pavg`: +-0.05 % (docs/funding-basis-margin.md#funding-rate).
pub const FUNDING_CLAMP: Money = Money::from_parts(5, 0, 0, false, 4);

/// Premium index `P = [max(0, impact_bid - index) - max(0, index - impact_ask)] / index`.
///
/// # Errors
/// [`ContractError`] on a non-positive index or overflow.
pub fn premium_index(impact_bid: Money, impact_ask: Money, index: Money) -> CResult<Money> {
    let index = positive(index, "index price")?;
    let up = impact_bid.sub(index, "premium")?.max(Money::ZERO);
    let down = index.sub(impact_ask, "premium")?.max(Money::ZERO);
    up.sub(down, "premium")?.div(index, "index price")
}

/// Funding rate `F = Pavg + clamp(I - Pavg, -clamp, +clamp)` (Binance USD-M, Bybit).
///
/// # Errors
/// [`ContractError::Invalid`] if `clamp` is negative; overflow.
pub fn funding_rate(premium_avg: Money, interest: Money, clamp: Money) -> CResult<Money> {
    if clamp.is_sign_negative() {
        return Err(ContractError::Invalid {
            name: "clamp",
            reason: format!("must be >= 0, got {clamp}"),
        });
    }
    let diff = interest
        .sub(premium_avg, "funding rate")?
        .clamp(-clamp, clamp);
    premium_avg.add(diff, "funding rate")
}

/// Bybit's time-weighted premium: `sum_{k=1..n} k x P_k / sum k` (minute samples,
/// oldest first, so the latest weighs most; n = 480 over 8 h).
///
/// # Errors
/// [`ContractError::Invalid`] on no samples; overflow.
pub fn weighted_premium(samples: &[Money]) -> CResult<Money> {
    if samples.is_empty() {
        return Err(ContractError::Invalid {
            name: "samples",
            reason: "no premium samples".into(),
        });
    }
    let mut num = Money::ZERO;
    for (k, p) in samples.iter().enumerate() {
        num = num.add(
            p.mul(Money::from(k as u64 + 1), "premium avg")?,
            "premium avg",
        )?;
    }
    let n = samples.len() as u64;
    let den = Money::from(n.saturating_mul(n + 1) / 2);
    num.div(den, "samples")
}

/// Cash flow of one funding event to the holder of `qty` at `mark` and rate `rate`:
/// `payment = mark x size x F` with size in coins, and F > 0 means longs pay shorts
/// (docs/funding-basis-margin.md#funding-payment). Linear: USD (quote); inverse: coins
/// (`qty x mult / mark x F`).
///
/// # Errors
/// [`ContractError`] on a non-positive mark or overflow.
pub fn funding_payment(
    payoff: Payoff,
    mult: Money,
    qty: Money,
    mark: Money,
    rate: Money,
) -> CResult<Money> {
    let mark = positive(mark, "mark price")?;
    let units = qty.mul(mult, "funding")?;
    let value = match payoff {
        Payoff::Linear => units.mul(mark, "funding")?,
        Payoff::Inverse => units.div(mark, "mark price")?,
    };
    Ok(-(value.mul(rate, "funding")?))
}

/// Annualised funding `APR = F x (24 / interval_h) x 365`, computed as
/// `F x 24 x 60 x 365 / interval_min` (0.01 % per 8 h = 10.95 %).
///
/// # Errors
/// [`ContractError`] if the interval is zero; overflow.
pub fn funding_apr(rate: Money, interval_min: u32) -> CResult<Money> {
    if interval_min == 0 {
        return Err(ContractError::NotPositive("funding interval"));
    }
    rate.mul(Money::from(525_600_u32), "funding apr")?
        .div(Money::from(interval_min), "funding interval")
}

/// Annualised basis `(future - spot) / spot x 365 / DTE` (docs/funding-basis-margin.md#basis).
///
/// # Errors
/// [`ContractError`] on a non-positive spot or days to expiry; overflow.
pub fn basis_apr(future: Money, spot: Money, days_to_expiry: Money) -> CResult<Money> {
    let spot = positive(spot, "spot price")?;
    let dte = positive(days_to_expiry, "days to expiry")?;
    future
        .sub(spot, "basis")?
        .mul(Money::from(365_u32), "basis apr")?
        .div(spot.mul(dte, "basis apr")?, "spot x days")
}

/// Basis as a fraction of spot, `(future - spot) / spot`.
///
/// # Errors
/// [`ContractError`] on a non-positive spot; overflow.
pub fn basis(future: Money, spot: Money) -> CResult<Money> {
    let spot = positive(spot, "spot price")?;
    future.sub(spot, "basis")?.div(spot, "spot price")
}
