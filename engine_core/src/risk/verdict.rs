//! A pre-trade verdict is a value: approved, or refused with every reason that applies.
//!
//! Refusing is an expected outcome, not an error, so checks never raise: the caller gets
//! all the reasons at once (barter-rs style) and can log, count or show them.

use std::fmt;

use crate::contracts::liquidation::LinearAccount;
use crate::contracts::{Checked, Money};

/// Where a trading state or limit was set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The whole engine.
    Global,
    /// One venue.
    Venue,
    /// One instrument.
    Instrument,
}

impl Scope {
    fn name(self) -> &'static str {
        match self {
            Scope::Global => "global",
            Scope::Venue => "venue",
            Scope::Instrument => "instrument",
        }
    }
}

/// One reason an order was refused. Amounts are the value after the order and the limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The instrument id is not registered.
    UnknownInstrument,
    /// Quantity is not positive.
    BadQuantity,
    /// Price is not positive.
    BadPrice,
    /// Trading is halted at this scope.
    Halted(Scope),
    /// Reduce-only at this scope and the order does not reduce the position.
    ReduceOnly(Scope),
    /// Price is not a multiple of the tick.
    PriceOffTick { tick: Money },
    /// Quantity is not a multiple of the lot.
    QtyOffLot { lot: Money },
    /// Quantity below the venue minimum.
    QtyBelowMin { min: Money },
    /// Quantity above the venue or configured maximum.
    QtyAboveMax { max: Money },
    /// Notional below the venue minimum.
    NotionalBelowMin { notional: Money, min: Money },
    /// No reference (mark/oracle) price for the band check.
    NoReferencePrice,
    /// Price is further than `band x reference` from the reference (`gap` = |price - ref|;
    /// the relative deviation is computed only when shown, see [`Refusal::deviation`]).
    PriceBand {
        gap: Money,
        reference: Money,
        band: Money,
    },
    /// Order notional above the per-order maximum (USD).
    OrderNotional { notional: Money, max: Money },
    /// Instrument position after the order above its maximum (native units).
    InstrumentPosition { after: Money, max: Money },
    /// Venue gross notional after the order above its maximum (USD).
    VenuePosition { after: Money, max: Money },
    /// Portfolio net delta after the order above the maximum (USD).
    NetDelta { after: Money, max: Money },
    /// Venue share of gross notional after the order above the maximum (`venue` and
    /// `total` gross USD after the order; the share is [`Refusal::share`]).
    Concentration {
        venue: Money,
        total: Money,
        max: Money,
    },
    /// Margin headroom (equity - initial margin) after the order below the minimum (USD).
    MarginHeadroom { after: Money, min: Money },
    /// Distance to liquidation after the order below the minimum: the account after the
    /// order and the price it is measured from ([`Refusal::liq_distance`] gives the fraction).
    LiquidationDistance {
        account: LinearAccount,
        price: Money,
        min: Money,
    },
    /// Too many orders approved inside the rate window.
    OrderRate { count: u32, max: u32 },
    /// An amount overflowed while checking (the order is refused, never sent blind).
    Arithmetic(String),
}

impl Refusal {
    /// A stable machine-readable code (`"price_band"`, `"net_delta"`, ...).
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::UnknownInstrument => "unknown_instrument",
            Refusal::BadQuantity => "bad_quantity",
            Refusal::BadPrice => "bad_price",
            Refusal::Halted(_) => "halted",
            Refusal::ReduceOnly(_) => "reduce_only",
            Refusal::PriceOffTick { .. } => "price_tick",
            Refusal::QtyOffLot { .. } => "qty_lot",
            Refusal::QtyBelowMin { .. } => "qty_min",
            Refusal::QtyAboveMax { .. } => "qty_max",
            Refusal::NotionalBelowMin { .. } => "notional_min",
            Refusal::NoReferencePrice => "no_reference_price",
            Refusal::PriceBand { .. } => "price_band",
            Refusal::OrderNotional { .. } => "order_notional",
            Refusal::InstrumentPosition { .. } => "instrument_position",
            Refusal::VenuePosition { .. } => "venue_position",
            Refusal::NetDelta { .. } => "net_delta",
            Refusal::Concentration { .. } => "venue_concentration",
            Refusal::MarginHeadroom { .. } => "margin_headroom",
            Refusal::LiquidationDistance { .. } => "liquidation_distance",
            Refusal::OrderRate { .. } => "order_rate",
            Refusal::Arithmetic(_) => "arithmetic",
        }
    }
}

impl Refusal {
    /// `gap / reference` of a [`Refusal::PriceBand`] (division deferred until asked for).
    #[must_use]
    pub fn deviation(&self) -> Option<Money> {
        match self {
            Refusal::PriceBand { gap, reference, .. } => gap.div(*reference, "reference").ok(),
            _ => None,
        }
    }

    /// `venue / total` of a [`Refusal::Concentration`].
    #[must_use]
    pub fn share(&self) -> Option<Money> {
        match self {
            Refusal::Concentration { venue, total, .. } => venue.div(*total, "gross").ok(),
            _ => None,
        }
    }

    /// |distance to liquidation| of a [`Refusal::LiquidationDistance`], as the check saw it.
    #[must_use]
    pub fn liq_distance(&self) -> Option<Money> {
        match self {
            Refusal::LiquidationDistance { account, price, .. } => {
                account.liq_distance(*price).ok().flatten().map(|d| d.abs())
            }
            _ => None,
        }
    }
}

/// Amounts are shown without trailing zeros, so the text does not depend on how many
/// decimals the inputs happened to carry.
fn n(m: Option<Money>) -> String {
    m.map_or_else(|| "?".to_owned(), |m| m.normalize().to_string())
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::UnknownInstrument => f.write_str("unknown instrument"),
            Refusal::BadQuantity => f.write_str("quantity must be positive"),
            Refusal::BadPrice => f.write_str("price must be positive"),
            Refusal::Halted(s) => write!(f, "trading halted ({})", s.name()),
            Refusal::ReduceOnly(s) => write!(
                f,
                "reduce-only ({}) and the order does not reduce",
                s.name()
            ),
            Refusal::PriceOffTick { tick } => {
                write!(f, "price not a multiple of tick {}", n(Some(*tick)))
            }
            Refusal::QtyOffLot { lot } => {
                write!(f, "quantity not a multiple of lot {}", n(Some(*lot)))
            }
            Refusal::QtyBelowMin { min } => write!(f, "quantity below minimum {}", n(Some(*min))),
            Refusal::QtyAboveMax { max } => write!(f, "quantity above maximum {}", n(Some(*max))),
            Refusal::NotionalBelowMin { notional, min } => write!(
                f,
                "notional {} below minimum {}",
                n(Some(*notional)),
                n(Some(*min))
            ),
            Refusal::NoReferencePrice => f.write_str("no reference price for the band check"),
            Refusal::PriceBand { band, .. } => write!(
                f,
                "price {} from reference, band {}",
                n(self.deviation()),
                n(Some(*band))
            ),
            Refusal::OrderNotional { notional, max } => write!(
                f,
                "order notional {} USD above {}",
                n(Some(*notional)),
                n(Some(*max))
            ),
            Refusal::InstrumentPosition { after, max } => write!(
                f,
                "position after {} above {}",
                n(Some(*after)),
                n(Some(*max))
            ),
            Refusal::VenuePosition { after, max } => write!(
                f,
                "venue gross notional after {} USD above {}",
                n(Some(*after)),
                n(Some(*max))
            ),
            Refusal::NetDelta { after, max } => write!(
                f,
                "net delta after {} USD beyond {}",
                n(Some(*after)),
                n(Some(*max))
            ),
            Refusal::Concentration { max, .. } => write!(
                f,
                "venue share after {} above {}",
                n(self.share()),
                n(Some(*max))
            ),
            Refusal::MarginHeadroom { after, min } => write!(
                f,
                "margin headroom after {} USD below {}",
                n(Some(*after)),
                n(Some(*min))
            ),
            Refusal::LiquidationDistance { min, .. } => write!(
                f,
                "liquidation distance after {} below {}",
                n(self.liq_distance()),
                n(Some(*min))
            ),
            Refusal::OrderRate { count, max } => {
                write!(f, "{count} orders in the rate window, max {max}")
            }
            Refusal::Arithmetic(m) => write!(f, "arithmetic overflow: {m}"),
        }
    }
}

/// Approved (no reasons) or refused (every reason).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verdict {
    /// Why the order is refused; empty means approved.
    pub reasons: Vec<Refusal>,
}

impl Verdict {
    /// True if nothing refused the order.
    #[must_use]
    pub fn approved(&self) -> bool {
        self.reasons.is_empty()
    }
}
