//! Notional, coin delta and PnL of linear and inverse contracts (SPEC §2).
//!
//! Quantities are signed (long > 0, short < 0) and in the instrument's native unit;
//! `mult` is the value of one unit (coins for linear, USD for inverse). Linear results
//! are exact. Inverse PnL is computed as `mult x qty x (exit - entry) / (entry x exit)`,
//! one division, so it rounds once (28 significant digits) instead of twice.

use super::{positive, CResult, Checked, ContractError, InstrumentSpec, Money, Payoff};

/// Signed notional in USD (quote currency): linear `qty x mult x P`, inverse `qty x mult`.
///
/// # Errors
/// [`ContractError`] on overflow or a non-positive price (linear).
#[inline]
pub fn notional(payoff: Payoff, mult: Money, qty: Money, price: Money) -> CResult<Money> {
    let units = qty.mul(mult, "notional")?;
    match payoff {
        Payoff::Linear => units.mul(positive(price, "price")?, "notional"),
        Payoff::Inverse => Ok(units),
    }
}

/// Signed exposure in coins: linear `qty x mult`, inverse `qty x mult / P`.
///
/// # Errors
/// [`ContractError`] on overflow or a non-positive price (inverse).
#[inline]
pub fn coin_delta(payoff: Payoff, mult: Money, qty: Money, price: Money) -> CResult<Money> {
    let units = qty.mul(mult, "coin delta")?;
    match payoff {
        Payoff::Linear => Ok(units),
        Payoff::Inverse => units.div(positive(price, "price")?, "price"),
    }
}

/// PnL of `qty` opened at `entry` and valued at `exit`, in the settle currency:
/// linear `mult x qty x (exit - entry)` (quote), inverse `mult x qty x (1/entry - 1/exit)` (coin).
///
/// # Errors
/// [`ContractError`] on overflow or a non-positive price.
#[inline]
pub fn pnl(payoff: Payoff, mult: Money, qty: Money, entry: Money, exit: Money) -> CResult<Money> {
    let entry = positive(entry, "entry price")?;
    let exit = positive(exit, "exit price")?;
    let units = qty.mul(mult, "pnl")?;
    let move_ = exit.sub(entry, "pnl")?;
    match payoff {
        Payoff::Linear => units.mul(move_, "pnl"),
        // 1/entry - 1/exit = (exit - entry) / (entry x exit)
        Payoff::Inverse => {
            let num = units.mul(move_, "pnl")?;
            let den = entry.mul(exit, "pnl")?;
            num.div(den, "entry x exit")
        }
    }
}

/// PnL valued in USD at `exit`: linear PnL as is, inverse coin PnL x `exit`.
///
/// # Errors
/// As [`pnl`].
pub fn pnl_usd(
    payoff: Payoff,
    mult: Money,
    qty: Money,
    entry: Money,
    exit: Money,
) -> CResult<Money> {
    match payoff {
        Payoff::Linear => pnl(payoff, mult, qty, entry, exit),
        // coin PnL x exit = mult x qty x (exit - entry) / entry: one exact-as-possible division.
        Payoff::Inverse => {
            let entry = positive(entry, "entry price")?;
            positive(exit, "exit price")?;
            let num = qty.mul(mult, "pnl")?.mul(exit.sub(entry, "pnl")?, "pnl")?;
            num.div(entry, "entry price")
        }
    }
}

/// Notional in USD for `qty` of `spec` at `price`.
///
/// # Errors
/// As [`notional`].
pub fn spec_notional(spec: &InstrumentSpec, qty: Money, price: Money) -> CResult<Money> {
    notional(spec.payoff, spec.multiplier, qty, price)
}

/// Coin delta of `qty` of `spec` at `price`.
///
/// # Errors
/// As [`coin_delta`].
pub fn spec_coin_delta(spec: &InstrumentSpec, qty: Money, price: Money) -> CResult<Money> {
    coin_delta(spec.payoff, spec.multiplier, qty, price)
}

/// PnL of `qty` of `spec` from `entry` to `exit`, in its settle currency.
///
/// # Errors
/// As [`pnl`].
pub fn spec_pnl(spec: &InstrumentSpec, qty: Money, entry: Money, exit: Money) -> CResult<Money> {
    pnl(spec.payoff, spec.multiplier, qty, entry, exit)
}

/// How many inverse units to add (positive: buy) or remove (negative: sell) so that the
/// coin delta of the position at `price` returns to `target_coins` (SPEC §2: coin delta
/// drifts as the price moves; resize the hedge). Returns `(exact, rounded to the lot)`,
/// rounding to the nearest lot, halves away from zero.
///
/// # Errors
/// [`ContractError`] if the instrument is not inverse, on a non-positive price or overflow.
pub fn inverse_rehedge(
    spec: &InstrumentSpec,
    current_qty: Money,
    price: Money,
    target_coins: Money,
) -> CResult<(Money, Money)> {
    if spec.payoff != Payoff::Inverse {
        return Err(ContractError::Invalid {
            name: "instrument",
            reason: format!("{spec} is not inverse"),
        });
    }
    let price = positive(price, "price")?;
    // coin delta = qty x mult / P  =>  qty for the target = target x P / mult
    let wanted = target_coins
        .mul(price, "rehedge")?
        .div(spec.multiplier, "multiplier")?;
    let exact = wanted.sub(current_qty, "rehedge")?;
    let lots = exact
        .div(spec.lot, "lot")?
        .round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    Ok((exact, lots.mul(spec.lot, "rehedge")?))
}

/// Coin PnL of the inverse convexity example, exposed for documentation and tests:
/// long `contracts` of `cv` USD from `entry` to `exit` (SPEC §2: 50,000 x $1,
/// 10,000 -> 11,000 = +0.4545 ETH; -> 9,000 = -0.5556 ETH).
///
/// # Errors
/// As [`pnl`].
pub fn inverse_pnl(contracts: Money, cv: Money, entry: Money, exit: Money) -> CResult<Money> {
    pnl(Payoff::Inverse, cv, contracts, entry, exit)
}

#[cfg(test)]
mod tests {
    use super::{coin_delta, inverse_rehedge, notional};
    use crate::contracts::{money, InstrumentSpec, Kind, Money, Payoff};
    use crate::venue::Venue;

    fn d(s: &str) -> Money {
        money(s).expect(s)
    }

    fn coinm_btc() -> InstrumentSpec {
        InstrumentSpec {
            venue: Venue::BinanceCoinm,
            symbol: "BTCUSD_PERP".into(),
            kind: Kind::Perpetual,
            payoff: Payoff::Inverse,
            base: "BTC".into(),
            quote: "USD".into(),
            settle: "BTC".into(),
            margin: "BTC".into(),
            multiplier: d("100"),
            contract_size: d("100"),
            tick: d("0.1"),
            lot: d("1"),
            min_qty: d("1"),
            max_qty: None,
            min_notional: None,
            funding_interval_min: Some(480),
            maint_margin_rate: None,
            active: true,
        }
    }

    #[test]
    fn rehedge_restores_coin_delta_after_a_move() {
        // Short 600 x $100 at 60,000 = -1 BTC. At 50,000 it is -1.2 BTC: buy back 100.
        let s = coinm_btc();
        assert_eq!(
            coin_delta(s.payoff, s.multiplier, d("-600"), d("60000")).expect("d"),
            d("-1")
        );
        let (exact, lots) = inverse_rehedge(&s, d("-600"), d("50000"), d("-1")).expect("rehedge");
        assert_eq!((exact, lots), (d("100"), d("100")));
        // At 61,234.5 the target needs 612.345 contracts: sell 12.345 -> 12 lots.
        let (exact, lots) = inverse_rehedge(&s, d("-600"), d("61234.5"), d("-1")).expect("rehedge");
        assert_eq!((exact, lots), (d("-12.345"), d("-12")));
        let mut lin = s.clone();
        lin.payoff = Payoff::Linear;
        assert!(inverse_rehedge(&lin, d("1"), d("1"), d("1")).is_err());
        assert!(inverse_rehedge(&s, d("1"), d("0"), d("1")).is_err());
    }

    #[test]
    fn bad_prices_are_errors_not_panics() {
        assert!(notional(Payoff::Linear, d("1"), d("1"), d("0")).is_err());
        assert!(coin_delta(Payoff::Inverse, d("1"), d("1"), d("-5")).is_err());
        let huge = Money::MAX;
        assert!(notional(Payoff::Linear, huge, huge, d("2")).is_err());
    }
}
