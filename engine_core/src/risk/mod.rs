//! Pre-trade risk: every order is checked against a limits table before it may leave.
//!
//! [`RiskEngine`] holds what the checks need: instrument specs, positions (from fills),
//! reference prices, venue collateral and custody holdings, and a [`Limits`] table that
//! can be replaced at run time. [`RiskEngine::check`] returns a [`Verdict`]: approved,
//! or refused with every reason (precision, price band, order notional, positions,
//! net delta, venue concentration, margin headroom, liquidation distance, order rate,
//! trading state). A refusal is a value, never an error; [`RiskError`] is only for
//! malformed configuration or state updates. The [`gatekeeper`] module is the SPEC §8
//! mint/redeem circuit breaker.

mod aggregates;
mod batch;
mod checks;
mod engine;
mod fast;
mod fast_check;
mod fixed;
pub mod gatekeeper;
pub mod limits;
mod marks;
mod order;
pub mod portfolio;
mod quotient;
mod state;
pub mod verdict;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_fast;

pub use engine::RiskEngine;
pub use limits::{InstrumentLimits, Limits, TradingState, VenueLimits};
pub use order::Order;
pub use verdict::{Refusal, Scope, Verdict};

use crate::contracts::ContractError;

/// Malformed limits or state updates (refused orders are [`Verdict`]s, not errors).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RiskError {
    /// A limits-table field that cannot be used.
    #[error("bad limit {field}: {problem}")]
    BadLimit {
        /// Dotted path of the field (`venues.bybit.max_share`).
        field: String,
        /// What is wrong.
        problem: String,
    },
    /// No instrument with this id or key.
    #[error("unknown instrument {0}")]
    UnknownInstrument(String),
    /// The instrument is already registered.
    #[error("instrument {0} already registered")]
    DuplicateInstrument(String),
    /// A state update with an unusable value.
    #[error("invalid {name}: {reason}")]
    Invalid {
        /// The argument.
        name: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The contract math refused the update.
    #[error(transparent)]
    Contract(#[from] ContractError),
}
