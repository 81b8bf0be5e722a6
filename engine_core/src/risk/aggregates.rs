//! Portfolio aggregates the checks compare against, rebuilt when state changes:
//! per-instrument USD notional, per-venue gross notional, equity (collateral after
//! haircuts plus unrealised PnL) and initial margin, the portfolio's net delta in USD,
//! and per (venue, asset) the straight-line equity/maintenance model used for the
//! liquidation distance ([`LinearAccount`]).
//!
//! Prices: an instrument is valued at its mark, else its asset's index, else its average
//! entry (a position is never valued at nothing).

use super::order::Order;
use super::state::State;
use crate::contracts::liquidation::LinearAccount;
use crate::contracts::math::{notional, pnl_usd};
use crate::contracts::{Checked, ContractError, Money};

/// Cached portfolio state. See the module docs.
#[derive(Debug, Clone, Default)]
pub struct Aggregates {
    /// Position per instrument (native units).
    pub qty: Vec<Money>,
    /// |USD notional| per instrument.
    pub notional: Vec<Money>,
    /// Gross USD notional per venue (index of `Venue::ALL`).
    pub venue_gross: Vec<Money>,
    /// Gross USD notional of the portfolio.
    pub total_gross: Money,
    /// Net delta of the portfolio in USD (custody + collateral + derivatives).
    pub net_delta: Money,
    /// Equity per venue account (USD): collateral after haircuts + unrealised PnL.
    pub venue_equity: Vec<Money>,
    /// Initial margin per venue account (USD).
    pub venue_im: Vec<Money>,
    /// Straight-line model per venue and asset, for liquidation distance.
    pub(crate) lin: Vec<Vec<LinearAccount>>,
    /// Why the aggregates could not be computed (every check then refuses).
    pub error: Option<ContractError>,
}

/// Reference price of instrument `i`: mark, index, average entry.
pub(crate) fn ref_price(e: &State, i: usize) -> Option<Money> {
    let st = &e.insts[i];
    st.mark
        .or(e.index_px[st.asset])
        .or((!st.pos.avg_entry.is_zero()).then_some(st.pos.avg_entry))
}

/// USD price of an asset: index, else the mark of any instrument on it.
pub(crate) fn asset_price(e: &State, a: usize) -> Option<Money> {
    e.index_px[a].or_else(|| e.insts.iter().filter(|s| s.asset == a).find_map(|s| s.mark))
}

impl Aggregates {
    pub(crate) fn build(e: &State) -> Self {
        match Self::try_build(e) {
            Ok(a) => a,
            Err(err) => Aggregates {
                error: Some(err),
                ..Aggregates::default()
            },
        }
    }

    fn try_build(e: &State) -> Result<Self, ContractError> {
        let nv = e.venues.len();
        let na = e.assets.len();
        let mut a = Aggregates {
            qty: Vec::with_capacity(e.insts.len()),
            notional: Vec::with_capacity(e.insts.len()),
            venue_gross: vec![Money::ZERO; nv],
            venue_equity: vec![Money::ZERO; nv],
            venue_im: vec![Money::ZERO; nv],
            lin: vec![vec![LinearAccount::default(); na]; nv],
            ..Aggregates::default()
        };
        // Custody holdings.
        for (ai, coins) in e.spot.iter().enumerate() {
            if !coins.is_zero() {
                let px = asset_price(e, ai).unwrap_or(Money::ZERO);
                acc(&mut a.net_delta, coins.mul(px, "delta")?)?;
            }
        }
        // Venue collateral: equity, delta, and the liquidation lines.
        for (v, vs) in e.venues.iter().enumerate() {
            for c in &vs.collateral {
                let units = c.coins.mul(c.rate, "collateral")?;
                let px = c
                    .asset
                    .map_or(Some(Money::ONE), |ai| asset_price(e, ai))
                    .unwrap_or(Money::ZERO);
                let unit_px = px.mul(c.rate, "collateral")?;
                let value = c.tiers.value(c.coins, unit_px)?;
                acc(&mut a.venue_equity[v], value)?;
                match c.asset {
                    Some(ai) => {
                        acc(&mut a.net_delta, units.mul(px, "delta")?)?;
                        let ratio = if px.is_zero() {
                            Money::ONE
                        } else {
                            c.tiers.effective_ratio(c.coins, unit_px)?
                        };
                        for (aj, acct) in a.lin[v].iter_mut().enumerate() {
                            if aj == ai {
                                acct.add_coin(c.coins, c.rate, ratio)?;
                            } else {
                                acct.add_cash(value)?;
                            }
                        }
                    }
                    None => a.lin[v]
                        .iter_mut()
                        .try_for_each(|acct| acct.add_cash(value))?,
                }
            }
        }
        // Positions.
        for (i, st) in e.insts.iter().enumerate() {
            let q = st.pos.qty;
            a.qty.push(q);
            let Some(px) = ref_price(e, i) else {
                a.notional.push(Money::ZERO);
                continue;
            };
            let (p, m) = (st.spec.payoff, st.spec.multiplier);
            let n = notional(p, m, q, px)?;
            a.notional.push(n.abs());
            acc(&mut a.venue_gross[st.venue], n.abs())?;
            acc(&mut a.total_gross, n.abs())?;
            acc(&mut a.net_delta, n)?;
            acc(
                &mut a.venue_im[st.venue],
                n.abs().mul(st.lim.im_rate, "margin")?,
            )?;
            if q.is_zero() {
                continue;
            }
            let upl = pnl_usd(p, m, q, st.pos.avg_entry, px)?;
            acc(&mut a.venue_equity[st.venue], upl)?;
            let maint = n.abs().mul(st.lim.mm_rate, "margin")?;
            for (aj, acct) in a.lin[st.venue].iter_mut().enumerate() {
                if aj == st.asset {
                    acct.add_position(p, m, q, st.pos.avg_entry, st.lim.mm_rate)?;
                } else {
                    acct.add_cash(upl)?;
                    acc(&mut acct.c, maint)?;
                }
            }
        }
        Ok(a)
    }

    /// Count an approved order as if filled at its price (cumulative batch checks).
    pub(crate) fn apply_order(&mut self, e: &State, o: &Order) {
        if self.error.is_none() {
            if let Err(err) = self.try_apply(e, o) {
                self.error = Some(err);
            }
        }
    }

    fn try_apply(&mut self, e: &State, o: &Order) -> Result<(), ContractError> {
        let st = &e.insts[o.instrument];
        let px = ref_price(e, o.instrument).unwrap_or(o.price);
        let (p, m) = (st.spec.payoff, st.spec.multiplier);
        let before = self.notional[o.instrument];
        let qty = self.qty[o.instrument].add(o.qty, "qty")?;
        let after = notional(p, m, qty, px)?.abs();
        let change = after.sub(before, "notional")?;
        self.qty[o.instrument] = qty;
        self.notional[o.instrument] = after;
        acc(&mut self.venue_gross[st.venue], change)?;
        acc(&mut self.total_gross, change)?;
        acc(&mut self.net_delta, notional(p, m, o.qty, px)?)?;
        acc(
            &mut self.venue_im[st.venue],
            change.mul(st.lim.im_rate, "margin")?,
        )?;
        self.lin[st.venue][st.asset].add_position(p, m, o.qty, o.price, st.lim.mm_rate)
    }
}

/// `x += y`, checked.
fn acc(x: &mut Money, y: Money) -> Result<(), ContractError> {
    *x = x.add(y, "aggregate")?;
    Ok(())
}
