//! The input of a pre-trade check.

use crate::contracts::Money;

/// An order to check: signed quantity (buy > 0) in the instrument's unit, limit price
/// and the caller's clock (ms) for the rate limit (the crate has no clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Order {
    /// Instrument id from [`super::RiskEngine::add_instrument`].
    pub instrument: usize,
    /// Signed quantity: buy > 0, sell < 0.
    pub qty: Money,
    /// Limit price (for a market order, the expected fill price).
    pub price: Money,
    /// Caller's time in ms.
    pub ts_ms: i64,
}
