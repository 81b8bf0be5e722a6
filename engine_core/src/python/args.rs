//! Enum text at the boundary: every closed set of names the API takes is read here, by one
//! parser ([`choice`]), and anything else is `InvalidArgument` naming what is accepted.
//!
//! Each set is exactly what the stub (`_core.pyi`) documents: a book side is `"bid"` or
//! `"ask"` (the side of the book swept), an order side is `"buy"` or `"sell"`; the two
//! vocabularies are not mixed.

use pyo3::prelude::*;

use super::errors::InvalidArgument;
use crate::book::Side;
use crate::contracts::margin::TierBasis;
use crate::contracts::{Money, Payoff};
use crate::risk::gatekeeper::Flow;
use crate::venue::Venue;

/// `text` as one of `options` (`(name, value)` pairs), else `InvalidArgument`.
pub(crate) fn choice<T: Copy>(what: &str, text: &str, options: &[(&str, T)]) -> PyResult<T> {
    if let Some(&(_, v)) = options.iter().find(|(name, _)| *name == text) {
        return Ok(v);
    }
    let names: Vec<String> = options.iter().map(|(n, _)| format!("{n:?}")).collect();
    Err(InvalidArgument::new_err(format!(
        "{what} must be {}, got {text:?}",
        names.join(" or ")
    )))
}

/// A venue name (`UnknownVenue` otherwise).
pub(crate) fn venue(text: &str) -> PyResult<Venue> {
    Ok(text.parse::<Venue>()?)
}

/// `"linear"` or `"inverse"`.
pub(crate) fn payoff(text: &str) -> PyResult<Payoff> {
    choice(
        "payoff",
        text,
        &[("linear", Payoff::Linear), ("inverse", Payoff::Inverse)],
    )
}

/// The side of a book: `"bid"` or `"ask"`.
pub(crate) fn book_side(text: &str) -> PyResult<Side> {
    choice("side", text, &[("bid", Side::Bid), ("ask", Side::Ask)])
}

/// An order's direction, `"buy"` or `"sell"`, applied to its (unsigned) quantity.
pub(crate) fn signed_qty(side: &str, qty: Money) -> PyResult<Money> {
    let buy = choice("side", side, &[("buy", true), ("sell", false)])?;
    Ok(if buy { qty } else { -qty })
}

/// `"quantity"` or `"value"`.
pub(crate) fn tier_basis(text: &str) -> PyResult<TierBasis> {
    choice(
        "basis",
        text,
        &[
            ("quantity", TierBasis::Quantity),
            ("value", TierBasis::Value),
        ],
    )
}

/// `"mint"` or `"redeem"`.
pub(crate) fn flow(text: &str) -> PyResult<Flow> {
    choice(
        "flow",
        text,
        &[("mint", Flow::Mint), ("redeem", Flow::Redeem)],
    )
}

/// The error for an argument of the wrong shape (`what` says the right one).
pub(crate) fn bad_shape(what: &str) -> PyErr {
    InvalidArgument::new_err(what.to_owned())
}
