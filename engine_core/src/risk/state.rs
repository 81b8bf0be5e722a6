//! The state the pre-trade checks read, in one struct: instruments (spec, position, mark,
//! resolved limits), venue accounts (collateral, resolved limits), assets with their
//! index prices and custody holdings, and the limits table. [`super::RiskEngine`] owns it
//! and is the only writer; the cache builders (`aggregates`, `fast`) and the checks
//! (`checks`, `fast_check`) take it by shared reference, so none of them depends on the
//! engine and no module points back at another.

use super::limits::{Limits, TradingState};
use crate::contracts::margin::HaircutTiers;
use crate::contracts::position::Position;
use crate::contracts::{InstrumentSpec, Money};

/// Risk state. Indices: instruments by id, venues by [`crate::venue::Venue::ALL`],
/// assets by registration order (`index_px` and `spot` share it).
#[derive(Debug, Clone)]
pub(crate) struct State {
    pub insts: Vec<InstState>,
    pub venues: Vec<VenueState>,
    pub assets: Vec<String>,
    pub index_px: Vec<Option<Money>>,
    pub spot: Vec<Money>,
    pub limits: Limits,
}

/// Limits of one instrument after applying global defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct InstLimits {
    pub state: TradingState,
    pub max_position: Option<Money>,
    pub max_order_qty: Option<Money>,
    pub max_order_notional: Option<Money>,
    pub price_band: Option<Money>,
    pub im_rate: Money,
    pub mm_rate: Money,
}

/// Limits of one venue after applying global defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct VenLimits {
    pub state: TradingState,
    pub max_gross: Option<Money>,
    pub max_share: Option<Money>,
    pub min_headroom: Option<Money>,
    pub min_liq_distance: Option<Money>,
}

#[derive(Debug, Clone)]
pub(crate) struct InstState {
    pub spec: InstrumentSpec,
    pub key: String,
    pub venue: usize,
    pub asset: usize,
    pub pos: Position,
    pub mark: Option<Money>,
    pub lim: InstLimits,
}

/// Collateral posted on a venue: `coins` of something worth `rate` units of `asset`
/// (stETH: rate = stETH/ETH), valued with the venue's haircut tiers. `asset` None = USD.
#[derive(Debug, Clone)]
pub(crate) struct Collateral {
    pub name: String,
    pub asset: Option<usize>,
    pub coins: Money,
    pub rate: Money,
    pub tiers: HaircutTiers,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct VenueState {
    pub collateral: Vec<Collateral>,
    pub lim: VenLimits,
}
