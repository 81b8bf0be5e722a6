//! The risk engine: its [`State`] (instruments with their positions and marks, venue
//! accounts with their collateral, custody holdings, index prices, the limits table), the
//! order-rate window and the caches derived from the state. Every mutation goes through
//! here and marks the cached [`Aggregates`] stale; the next check rebuilds them once, so
//! a burst of checks between updates costs one rebuild.

use std::collections::{HashMap, VecDeque};

use super::aggregates::Aggregates;
use super::fast::Fast;
use super::limits::{Limits, TradingState};
use super::state::{Collateral, InstLimits, InstState, State, VenLimits, VenueState};
use super::RiskError;
use crate::contracts::margin::HaircutTiers;
use crate::contracts::position::{Fill, FillEffect, Position};
use crate::contracts::{InstrumentSpec, Money};
use crate::venue::Venue;

/// Pre-trade risk state and checks. See the module docs.
#[derive(Debug, Clone)]
pub struct RiskEngine {
    /// What the checks and the caches read; only this file changes it.
    pub(crate) state: State,
    by_key: HashMap<String, usize>,
    asset_ix: HashMap<String, usize>,
    /// Derived from `state`, rebuilt by `refresh` when `dirty`.
    pub(crate) aggs: Aggregates,
    /// The integer grid over `aggs` (see `fast`); `None` inside when it cannot be built.
    pub(crate) fast: Fast,
    dirty: bool,
    /// Times (ms) of the approved orders inside the rate window.
    pub(crate) rate: VecDeque<i64>,
}

/// Position of a venue in [`Venue::ALL`].
pub(crate) fn venue_ix(v: Venue) -> usize {
    Venue::ALL.iter().position(|x| *x == v).unwrap_or(0)
}

/// One name per coin: BitMEX's XBT is BTC.
fn asset_name(s: &str) -> String {
    if s.eq_ignore_ascii_case("XBT") {
        "BTC".to_owned()
    } else {
        s.to_ascii_uppercase()
    }
}

impl RiskEngine {
    /// An engine with no instruments and the given limits.
    #[must_use]
    pub fn new(limits: Limits) -> Self {
        let mut e = RiskEngine {
            state: State {
                insts: Vec::new(),
                venues: vec![VenueState::default(); Venue::ALL.len()],
                assets: Vec::new(),
                index_px: Vec::new(),
                spot: Vec::new(),
                limits: Limits::default(),
            },
            by_key: HashMap::new(),
            asset_ix: HashMap::new(),
            aggs: Aggregates::default(),
            fast: Fast::default(),
            dirty: true,
            rate: VecDeque::new(),
        };
        e.set_limits(limits);
        e
    }

    /// Replace the limits table (takes effect for the next check).
    pub fn set_limits(&mut self, limits: Limits) {
        self.state.limits = limits;
        for i in 0..self.state.insts.len() {
            self.state.insts[i].lim = self.resolve_inst(
                &self.state.insts[i].key,
                self.state.insts[i].spec.maint_margin_rate,
            );
        }
        for (i, v) in Venue::ALL.iter().enumerate() {
            let l = self
                .state
                .limits
                .venues
                .get(v.name())
                .cloned()
                .unwrap_or_default();
            self.state.venues[i].lim = VenLimits {
                state: l.state,
                max_gross: l.max_gross_notional_usd,
                max_share: l.max_share.or(self.state.limits.max_venue_share),
                min_headroom: l
                    .min_margin_headroom_usd
                    .or(self.state.limits.min_margin_headroom_usd),
                min_liq_distance: l.min_liq_distance.or(self.state.limits.min_liq_distance),
            };
        }
        self.dirty = true;
    }

    /// The current limits table.
    #[must_use]
    pub fn limits(&self) -> &Limits {
        &self.state.limits
    }

    fn resolve_inst(&self, key: &str, spec_mm: Option<Money>) -> InstLimits {
        let g = &self.state.limits;
        let l = g.instruments.get(key).cloned().unwrap_or_default();
        InstLimits {
            state: l.state,
            max_position: l.max_position,
            max_order_qty: l.max_order_qty,
            max_order_notional: l.max_order_notional_usd.or(g.max_order_notional_usd),
            price_band: l.price_band.or(g.price_band),
            im_rate: l.initial_margin_rate.unwrap_or(g.initial_margin_rate),
            mm_rate: spec_mm.unwrap_or(g.maint_margin_rate),
        }
    }

    /// Index of an asset name, registering it on first use.
    pub(crate) fn asset(&mut self, name: &str) -> usize {
        let name = asset_name(name);
        if let Some(i) = self.asset_ix.get(&name) {
            return *i;
        }
        self.state.assets.push(name.clone());
        self.state.index_px.push(None);
        self.state.spot.push(Money::ZERO);
        self.asset_ix.insert(name, self.state.assets.len() - 1);
        self.state.assets.len() - 1
    }

    /// Register an instrument; returns its id for orders and updates.
    ///
    /// # Errors
    /// [`RiskError::DuplicateInstrument`] if `venue:symbol` is already registered.
    pub fn add_instrument(&mut self, spec: InstrumentSpec) -> Result<usize, RiskError> {
        spec.validate()?;
        let key = format!("{}:{}", spec.venue, spec.symbol);
        if self.by_key.contains_key(&key) {
            return Err(RiskError::DuplicateInstrument(key));
        }
        let asset = self.asset(&spec.base);
        let lim = self.resolve_inst(&key, spec.maint_margin_rate);
        self.state.insts.push(InstState {
            pos: Position::new(spec.payoff, spec.multiplier),
            venue: venue_ix(spec.venue),
            asset,
            mark: None,
            lim,
            key: key.clone(),
            spec,
        });
        self.by_key.insert(key, self.state.insts.len() - 1);
        self.dirty = true;
        Ok(self.state.insts.len() - 1)
    }

    /// The id of `venue:symbol`, if registered.
    #[must_use]
    pub fn instrument_id(&self, venue: Venue, symbol: &str) -> Option<usize> {
        self.by_key.get(&format!("{venue}:{symbol}")).copied()
    }

    /// Spec of an instrument id.
    #[must_use]
    pub fn spec(&self, id: usize) -> Option<&InstrumentSpec> {
        self.state.insts.get(id).map(|i| &i.spec)
    }

    /// Number of registered instruments.
    #[must_use]
    pub fn len(&self) -> usize {
        self.state.insts.len()
    }

    /// True if no instrument is registered.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.state.insts.is_empty()
    }

    fn inst_mut(&mut self, id: usize) -> Result<&mut InstState, RiskError> {
        self.dirty = true;
        self.state
            .insts
            .get_mut(id)
            .ok_or_else(|| RiskError::UnknownInstrument(id.to_string()))
    }

    /// Set the reference (mark or oracle) price of an instrument.
    ///
    /// # Errors
    /// [`RiskError`] for an unknown id or a non-positive price.
    pub fn set_mark(&mut self, id: usize, mark: Money) -> Result<(), RiskError> {
        let mark = crate::contracts::positive(mark, "mark price")?;
        self.inst_mut(id)?.mark = Some(mark);
        Ok(())
    }

    /// Set the index price of an asset (`BTC`, `ETH`) in USD.
    ///
    /// # Errors
    /// [`RiskError`] for a non-positive price.
    pub fn set_index(&mut self, asset: &str, price: Money) -> Result<(), RiskError> {
        let price = crate::contracts::positive(price, "index price")?;
        let a = self.asset(asset);
        self.state.index_px[a] = Some(price);
        self.dirty = true;
        Ok(())
    }

    /// Set custody (off-venue) holdings of an asset, in coins (LSTs converted by the caller).
    pub fn set_spot(&mut self, asset: &str, coins: Money) {
        let a = self.asset(asset);
        self.state.spot[a] = coins;
        self.dirty = true;
    }

    /// Set (replace) collateral `name` on `venue`: `coins` worth `rate` of `asset` each
    /// (`asset` `"USD"` for stables), valued with `tiers`.
    ///
    /// # Errors
    /// [`RiskError::Invalid`] for a negative rate.
    pub fn set_collateral(
        &mut self,
        venue: Venue,
        name: &str,
        asset: &str,
        coins: Money,
        rate: Money,
        tiers: HaircutTiers,
    ) -> Result<(), RiskError> {
        if rate.is_sign_negative() {
            return Err(RiskError::Invalid {
                name: "rate",
                reason: format!("negative: {rate}"),
            });
        }
        let asset = (!matches!(asset, "USD" | "usd")).then(|| self.asset(asset));
        let list = &mut self.state.venues[venue_ix(venue)].collateral;
        let c = Collateral {
            name: name.to_owned(),
            asset,
            coins,
            rate,
            tiers,
        };
        match list.iter_mut().find(|c| c.name == name) {
            Some(slot) => *slot = c,
            None => list.push(c),
        }
        self.dirty = true;
        Ok(())
    }

    /// Apply a fill to an instrument's position.
    ///
    /// # Errors
    /// [`RiskError`] for an unknown id or a fill the position rejects.
    pub fn apply_fill(&mut self, id: usize, fill: Fill) -> Result<FillEffect, RiskError> {
        Ok(self.inst_mut(id)?.pos.apply(fill)?)
    }

    /// Replace an instrument's position (boot or reconciliation).
    ///
    /// # Errors
    /// [`RiskError`] for an unknown id or a non-positive entry with a non-zero quantity.
    pub fn set_position(
        &mut self,
        id: usize,
        qty: Money,
        avg_entry: Money,
    ) -> Result<(), RiskError> {
        if !qty.is_zero() {
            crate::contracts::positive(avg_entry, "avg entry")?;
        }
        let st = self.inst_mut(id)?;
        st.pos.qty = qty;
        st.pos.avg_entry = if qty.is_zero() {
            Money::ZERO
        } else {
            avg_entry
        };
        Ok(())
    }

    /// Position of an instrument.
    #[must_use]
    pub fn position(&self, id: usize) -> Option<&Position> {
        self.state.insts.get(id).map(|i| &i.pos)
    }

    /// Set the trading state globally (`venue` and `symbol` None), for a venue, or for
    /// one instrument (`venue` and `symbol`).
    ///
    /// # Errors
    /// [`RiskError::UnknownInstrument`] for a symbol without a venue or an unknown one.
    pub fn set_state(
        &mut self,
        venue: Option<Venue>,
        symbol: Option<&str>,
        state: TradingState,
    ) -> Result<(), RiskError> {
        match (venue, symbol) {
            (None, None) => self.state.limits.state = state,
            (Some(v), None) => {
                self.state
                    .limits
                    .venues
                    .entry(v.name().to_owned())
                    .or_default()
                    .state = state;
                self.state.venues[venue_ix(v)].lim.state = state;
            }
            (Some(v), Some(s)) => {
                let id = self
                    .instrument_id(v, s)
                    .ok_or_else(|| RiskError::UnknownInstrument(format!("{v}:{s}")))?;
                let key = self.state.insts[id].key.clone();
                self.state.limits.instruments.entry(key).or_default().state = state;
                self.state.insts[id].lim.state = state;
            }
            (None, Some(s)) => return Err(RiskError::UnknownInstrument(format!("{s} (no venue)"))),
        }
        Ok(())
    }

    /// Rebuild the cached aggregates if state changed since the last check.
    pub(crate) fn refresh(&mut self) {
        if self.dirty {
            self.aggs = Aggregates::build(&self.state);
            self.fast = Fast::build(&self.state, &self.aggs);
            self.dirty = false;
        }
    }

    /// Current aggregates (portfolio net delta, venue gross, equity...).
    pub fn aggregates(&mut self) -> &Aggregates {
        self.refresh();
        &self.aggs
    }
}
