//! Splitting an amount across destinations by basis-point ratios.
//!
//! This is the minting contract's `Route` rule (docs/mint-redeem.md#route): equal non-zero lengths,
//! no zero ratio, ratios summing to exactly 10,000 bps; each share is
//! `floor(amount x ratio / 10000)` and the remainder goes to the last destination, so
//! the shares always add up to the amount. The router uses the same rule to split a
//! hedge across venues (docs/risk-playbooks.md#venue-split: $100M at 50/25/15/5/5 %).

use super::ContractError;

/// Basis points in a whole.
pub const BPS_TOTAL: u32 = 10_000;

/// Shares of `amount` (base units) for `ratios_bps`, exactly as the contract computes them.
///
/// # Errors
/// [`ContractError::Route`] if the ratios are empty, contain a zero or do not sum to 10,000.
pub fn split_route(amount: u128, ratios_bps: &[u32]) -> Result<Vec<u128>, ContractError> {
    if ratios_bps.is_empty() {
        return Err(ContractError::Route("no destinations".into()));
    }
    if let Some(i) = ratios_bps.iter().position(|r| *r == 0) {
        return Err(ContractError::Route(format!("ratio {i} is zero")));
    }
    let sum: u64 = ratios_bps.iter().map(|r| u64::from(*r)).sum();
    if sum != u64::from(BPS_TOTAL) {
        return Err(ContractError::Route(format!(
            "ratios sum to {sum} bps, not 10000"
        )));
    }
    let mut out = Vec::with_capacity(ratios_bps.len());
    let mut given: u128 = 0;
    for r in &ratios_bps[..ratios_bps.len() - 1] {
        // amount x ratio can exceed u128 only for amounts above ~3.4e34: use the split
        // form floor(a x r / 10^4) = (a / 10^4) x r + floor((a % 10^4) x r / 10^4).
        let (q, rem) = (amount / 10_000, amount % 10_000);
        let share = q * u128::from(*r) + rem * u128::from(*r) / 10_000;
        given += share;
        out.push(share);
    }
    out.push(amount - given);
    Ok(out)
}
