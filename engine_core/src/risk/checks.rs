//! The pre-trade checks, each small and independent; [`evaluate`] runs them all and
//! collects every refusal (it never stops at the first, so an operator sees the whole
//! picture).
//!
//! Exposure limits (position, venue gross, net delta, concentration, margin headroom,
//! liquidation distance) refuse only an order that makes things worse: an order that
//! reduces its position, or moves a breached metric back toward its limit, may always
//! go — that is how a breach gets repaired.

use super::aggregates::{ref_price, Aggregates};
use super::limits::TradingState;
use super::order::Order;
use super::state::{InstState, State};
use super::verdict::{Refusal, Scope, Verdict};
use crate::contracts::math::notional;
use crate::contracts::{Checked, ContractError, Money, Payoff};

type R<T> = Result<T, ContractError>;

/// Run every check for `o` against `aggs`; `rate_count` = approved orders in the window.
pub(crate) fn evaluate(e: &State, aggs: &Aggregates, o: &Order, rate_count: u32) -> Verdict {
    let mut out = Vec::new();
    let Some(st) = e.insts.get(o.instrument) else {
        out.push(Refusal::UnknownInstrument);
        return Verdict { reasons: out };
    };
    if let Some(err) = &aggs.error {
        out.push(Refusal::Arithmetic(err.to_string()));
    }
    if o.qty.is_zero() {
        out.push(Refusal::BadQuantity);
    }
    if o.price <= Money::ZERO {
        out.push(Refusal::BadPrice);
    }
    if !out.is_empty() {
        return Verdict { reasons: out };
    }
    let before = aggs.qty[o.instrument];
    let Some(after) = before.checked_add(o.qty) else {
        out.push(Refusal::Arithmetic("position overflow".into()));
        return Verdict { reasons: out };
    };
    let reducing = after.abs() < before.abs()
        && (after.is_zero() || after.is_sign_positive() == before.is_sign_positive());
    trading_state(e, st, reducing, &mut out);
    precision(st, o, &mut out);
    rate(e, rate_count, &mut out);
    if let Err(err) = exposure(e, aggs, st, o, before, reducing, &mut out) {
        out.push(Refusal::Arithmetic(err.to_string()));
    }
    Verdict { reasons: out }
}

pub(crate) fn trading_state(e: &State, st: &InstState, reducing: bool, out: &mut Vec<Refusal>) {
    let scopes = [
        (e.limits.state, Scope::Global),
        (e.venues[st.venue].lim.state, Scope::Venue),
        (st.lim.state, Scope::Instrument),
    ];
    for (state, scope) in scopes {
        match state {
            TradingState::Active => {}
            TradingState::Halted => out.push(Refusal::Halted(scope)),
            TradingState::ReduceOnly if !reducing => out.push(Refusal::ReduceOnly(scope)),
            TradingState::ReduceOnly => {}
        }
    }
}

fn precision(st: &InstState, o: &Order, out: &mut Vec<Refusal>) {
    let s = &st.spec;
    let q = o.qty.abs();
    if !s.on_tick(o.price) {
        out.push(Refusal::PriceOffTick { tick: s.tick });
    }
    if !s.on_lot(q) {
        out.push(Refusal::QtyOffLot { lot: s.lot });
    }
    if q < s.min_qty {
        out.push(Refusal::QtyBelowMin { min: s.min_qty });
    }
    let max = match (s.max_qty, st.lim.max_order_qty) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    if let Some(max) = max.filter(|m| q > *m) {
        out.push(Refusal::QtyAboveMax { max });
    }
    if let (Some(min), Payoff::Linear) = (s.min_notional, s.payoff) {
        if let Some(n) = q
            .checked_mul(s.multiplier)
            .and_then(|u| u.checked_mul(o.price))
        {
            if n < min {
                out.push(Refusal::NotionalBelowMin { notional: n, min });
            }
        }
    }
}

pub(crate) fn rate(e: &State, count: u32, out: &mut Vec<Refusal>) {
    if let Some(max) = e.limits.max_orders_per_window {
        if count >= max {
            out.push(Refusal::OrderRate { count, max });
        }
    }
}

fn exposure(
    e: &State,
    aggs: &Aggregates,
    st: &InstState,
    o: &Order,
    before: Money,
    reducing: bool,
    out: &mut Vec<Refusal>,
) -> R<()> {
    let (p, m) = (st.spec.payoff, st.spec.multiplier);
    let after = before.add(o.qty, "position")?;
    // Price band against the mark (or the asset's index).
    if let Some(band) = st.lim.price_band {
        match st.mark.or(e.index_px[st.asset]) {
            None => out.push(Refusal::NoReferencePrice),
            Some(r) => {
                let dev = o.price.sub(r, "band")?.abs();
                if dev > band.mul(r, "band")? {
                    out.push(Refusal::PriceBand {
                        gap: dev,
                        reference: r,
                        band,
                    });
                }
            }
        }
    }
    if let Some(max) = st.lim.max_order_notional {
        let n = notional(p, m, o.qty.abs(), o.price)?;
        if n > max {
            out.push(Refusal::OrderNotional { notional: n, max });
        }
    }
    if let Some(max) = st.lim.max_position {
        if after.abs() > max && !reducing {
            out.push(Refusal::InstrumentPosition { after, max });
        }
    }
    let px = ref_price(e, o.instrument).unwrap_or(o.price);
    let n_after = notional(p, m, after, px)?.abs();
    let change = n_after.sub(aggs.notional[o.instrument], "notional")?;
    let v = st.venue;
    let ven = &e.venues[v].lim;
    let venue_before = aggs.venue_gross[v];
    let venue_after = venue_before.add(change, "venue gross")?;
    if let Some(max) = ven.max_gross {
        if venue_after > max && venue_after > venue_before {
            out.push(Refusal::VenuePosition {
                after: venue_after,
                max,
            });
        }
    }
    if let Some(max) = e.limits.max_net_delta_usd {
        let delta_after = aggs
            .net_delta
            .add(notional(p, m, o.qty, px)?, "net delta")?;
        if delta_after.abs() > max && delta_after.abs() > aggs.net_delta.abs() {
            out.push(Refusal::NetDelta {
                after: delta_after,
                max,
            });
        }
    }
    if let Some(max) = ven.max_share {
        let total = aggs.total_gross.add(change, "gross")?;
        if total >= e.limits.concentration_min_total_usd
            && total > Money::ZERO
            && venue_after > max.mul(total, "share")?
            && venue_after > venue_before
        {
            out.push(Refusal::Concentration {
                venue: venue_after,
                total,
                max,
            });
        }
    }
    if reducing {
        return Ok(());
    }
    if let Some(min) = ven.min_headroom {
        let im = aggs.venue_im[v].add(change.mul(st.lim.im_rate, "margin")?, "margin")?;
        let headroom = aggs.venue_equity[v].sub(im, "headroom")?;
        if headroom < min {
            out.push(Refusal::MarginHeadroom {
                after: headroom,
                min,
            });
        }
    }
    if let Some(min) = ven.min_liq_distance {
        let mut acct = aggs.lin[v][st.asset];
        acct.add_position(p, m, o.qty, o.price, st.lim.mm_rate)?;
        let at = e.index_px[st.asset].or(st.mark).unwrap_or(o.price);
        if let Some(d) = acct.liq_distance(at)? {
            if d.abs() < min {
                out.push(Refusal::LiquidationDistance {
                    account: acct,
                    price: at,
                    min,
                });
            }
        }
    }
    Ok(())
}
