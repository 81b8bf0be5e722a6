//! The checks of [`super::checks`] on the integer grid of [`super::fast`].
//!
//! Same checks, same order, same refusals; `None` means "not decidable on the grid"
//! (a value off the grid or too large, an inverse liquidation line, a liquidation
//! distance too close to its limit to be sure of the `Money` path's rounding) and the
//! caller runs the `Money` checks instead. Refusal payloads are built only for refused
//! orders, and their divisions are left for when the text is asked for.
//!
//! Liquidation distance: the `Money` path rounds two divisions, `liq = (a-c)/(d-b)` and
//! `liq / at`, to 28 significant digits. Here the comparison `|liq/at - 1| < min` is made
//! exactly, as `|N - D at| x 10^s < min x |D at|`; when the two sides are within 2^-30 of
//! each other (far wider than the rounding error, given the guards below) the order goes
//! the `Money` way, so the verdict is the one that path would give.

use super::checks::{rate, trading_state};
use super::fast::{lines_money, Band, Fast, FastInst, Lines};
use super::fixed::{at, fits, money, mul, p10, MAX_SCALE};
use super::order::Order;
use super::state::State;
use super::verdict::{Refusal, Verdict};

/// An order on its instrument's grid: signed quantity at `sq`, price at `sp`.
pub(crate) fn grid(fi: &FastInst, o: &Order) -> Option<(i128, i128)> {
    let q = at(o.qty, fi.sq)?;
    let p = at(o.price, fi.sp)?;
    (q != 0 && p > 0).then_some((q, p))
}

/// The verdict for `o`, or `None` if it must be checked with `Money`.
pub(crate) fn evaluate(e: &State, f: &Fast, o: &Order, rate_count: u32) -> Option<Verdict> {
    if !f.valid {
        return None;
    }
    let fi = f.insts.get(o.instrument)?.as_ref()?;
    let (q, p) = grid(fi, o)?;
    if f.bounded && q.abs() <= fi.q_max && p <= fi.p_max {
        run::<true>(e, f, fi, o.instrument, q, p, rate_count)
    } else {
        run::<false>(e, f, fi, o.instrument, q, p, rate_count)
    }
}

/// The checks for an order on the grid; `B`: within the instrument's bounds, so no
/// product or sum can leave the range `fits` guards (see [`super::bounds`]).
fn run<const B: bool>(
    e: &State,
    f: &Fast,
    fi: &FastInst,
    i: usize,
    q: i128,
    p: i128,
    rate_count: u32,
) -> Option<Verdict> {
    let st = e.insts.get(i)?;
    let mut out = Vec::new();
    let before = fi.qty;
    let after = before + q;
    if !fits_g::<B>(after) {
        return None;
    }
    let reducing = after.abs() < before.abs() && (after == 0 || (after > 0) == (before > 0));
    trading_state(e, st, reducing, &mut out);
    let qa = q.abs();
    if !fi.tick.divides(p) {
        out.push(Refusal::PriceOffTick { tick: st.spec.tick });
    }
    if !fi.lot.divides(qa) {
        out.push(Refusal::QtyOffLot { lot: st.spec.lot });
    }
    if qa < fi.min_qty {
        out.push(Refusal::QtyBelowMin {
            min: st.spec.min_qty,
        });
    }
    if let Some(l) = fi.max_qty.filter(|l| qa > l.lim) {
        out.push(Refusal::QtyAboveMax { max: l.raw });
    }
    // |q| x mult (x price when linear): the order's notional at `sn`.
    let units = mul_g::<B>(qa, fi.mult)?;
    let n = if fi.linear {
        mul_g::<B>(units, p)?
    } else {
        units
    };
    if let Some(l) = fi.min_notional.filter(|l| n < l.lim) {
        out.push(Refusal::NotionalBelowMin {
            notional: money(n, fi.sn)?,
            min: l.raw,
        });
    }
    rate(e, rate_count, &mut out);
    exposure::<B>(f, fi, q, p, n, after, reducing, &mut out)?;
    Some(Verdict { reasons: out })
}

#[allow(clippy::too_many_arguments)]
fn exposure<const B: bool>(
    f: &Fast,
    fi: &FastInst,
    q: i128,
    p: i128,
    n: i128,
    after: i128,
    reducing: bool,
    out: &mut Vec<Refusal>,
) -> Option<()> {
    match fi.band {
        Band::Off => {}
        Band::NoReference => out.push(Refusal::NoReferencePrice),
        Band::On {
            reference,
            reference_raw,
            lim,
            band,
        } => {
            let gap = (p - reference).abs();
            if gap > lim {
                out.push(Refusal::PriceBand {
                    gap: money(gap, fi.sp)?,
                    reference: reference_raw,
                    band,
                });
            }
        }
    }
    if let Some(l) = fi.max_notional.filter(|l| n > l.lim) {
        out.push(Refusal::OrderNotional {
            notional: money(n, fi.sn)?,
            max: l.raw,
        });
    }
    if let Some(l) = fi.max_position.filter(|l| after.abs() > l.lim && !reducing) {
        out.push(Refusal::InstrumentPosition {
            after: money(after, fi.sq)?,
            max: l.raw,
        });
    }
    let su = f.su;
    let px = fi.px.unwrap_or(p);
    let notional = |qty: i128| -> Option<i128> {
        let u = mul_g::<B>(qty, fi.mult)?;
        let n = if fi.linear { mul_g::<B>(u, px)? } else { u };
        mul_g::<B>(n, fi.f_usd)
    };
    let change = notional(after)?.abs() - fi.notional;
    let v = fi.venue;
    let venue_before = f.venue_gross[v];
    let venue_after = venue_before + change;
    if !fits_g::<B>(change) || !fits_g::<B>(venue_after) {
        return None;
    }
    if let Some(l) = fi.max_gross.filter(|l| venue_after > l.lim && change > 0) {
        out.push(Refusal::VenuePosition {
            after: money(venue_after, su)?,
            max: l.raw,
        });
    }
    if let Some(l) = f.max_net_delta {
        let delta_after = f.net_delta + notional(q)?;
        if !fits_g::<B>(delta_after) {
            return None;
        }
        if delta_after.abs() > l.lim && delta_after.abs() > f.net_delta.abs() {
            out.push(Refusal::NetDelta {
                after: money(delta_after, su)?,
                max: l.raw,
            });
        }
    }
    if let Some(max) = fi.max_share {
        let total = f.total_gross + change;
        if !fits_g::<B>(total) {
            return None;
        }
        if total >= f.concentration_min && total > 0 {
            // max x total as the Money path computes it: exact only up to scale 28.
            if su + max.scale > MAX_SCALE {
                return None;
            }
            let cap = mul_g::<B>(max.m, total)?;
            if mul_g::<B>(venue_after, p10(max.scale)?)? > cap && change > 0 {
                out.push(Refusal::Concentration {
                    venue: money(venue_after, su)?,
                    total: money(total, su)?,
                    max: max.raw,
                });
            }
        }
    }
    if reducing {
        return Some(());
    }
    if let Some(min) = fi.min_headroom {
        let s = su + fi.im.scale;
        if s > MAX_SCALE {
            return None;
        }
        let k = p10(fi.im.scale)?;
        let im = mul_g::<B>(f.venue_im[v], k)? + mul_g::<B>(change, fi.im.m)?;
        let headroom = mul_g::<B>(f.venue_equity[v]?, k)? - im;
        if !fits_g::<B>(im) || !fits_g::<B>(headroom) {
            return None;
        }
        if headroom < min.lim {
            out.push(Refusal::MarginHeadroom {
                after: money(headroom, s)?,
                min: min.raw,
            });
        }
    }
    if let Some(min) = fi.min_liq {
        liq_distance::<B>(f, fi, q, p, min, out)?;
    }
    Some(())
}

fn liq_distance<const B: bool>(
    f: &Fast,
    fi: &FastInst,
    q: i128,
    p: i128,
    min: super::fast::Rate,
    out: &mut Vec<Refusal>,
) -> Option<()> {
    // Inverse lines need a division by the entry: leave them to the Money path.
    if !fi.linear {
        return None;
    }
    let l = f.lin[fi.venue][fi.asset]?;
    let units = mul_g::<B>(q, fi.mult)?;
    let acct = Lines {
        a: l.a - mul_g::<B>(mul_g::<B>(units, p)?, fi.f_usd)?,
        b: l.b + mul_g::<B>(units, fi.f_units)?,
        c: l.c,
        d: l.d + mul_g::<B>(units.abs(), fi.mm)?,
    };
    let x = fi.liq_at.unwrap_or(p);
    // Keep the rounding analysis valid: price >= 1e-6 and a limit >= 1e-6 (or zero).
    if mul_g::<B>(x, 1_000_000)? < p10(fi.sp)?
        || (min.m != 0 && mul_g::<B>(min.m, 1_000_000)? < p10(min.scale)?)
    {
        return None;
    }
    let slope = |s: i128| mul_g::<B>(mul_g::<B>(s, x)?, fi.f_slope);
    let equity = acct.a + slope(acct.b)?;
    let maint = acct.c + slope(acct.d)?;
    if ![acct.a, acct.b, acct.d, equity, maint]
        .iter()
        .all(|v| fits_g::<B>(*v))
    {
        return None;
    }
    let refuse = if equity <= maint {
        min.m > 0
    } else {
        let num = acct.a - acct.c;
        let den = slope(acct.d - acct.b)?;
        if den == 0 || num == 0 || (num > 0) != (den > 0) {
            // No positive liquidation price: nothing to refuse (as the Money path).
            false
        } else {
            let (na, da) = (num.unsigned_abs(), den.unsigned_abs());
            // liq / price = num / den must be neither tiny nor huge (rounding bounds).
            if na.checked_mul(10_u128.pow(20))? < da || na >= da.checked_mul(10_u128.pow(15))? {
                return None;
            }
            let lhs = (num - den)
                .unsigned_abs()
                .checked_mul(p10(min.scale)?.unsigned_abs())?;
            let rhs = min.m.unsigned_abs().checked_mul(da)?;
            if lhs.abs_diff(rhs) <= lhs.max(rhs) >> 30 {
                return None;
            }
            lhs < rhs
        }
    };
    if refuse {
        out.push(Refusal::LiquidationDistance {
            account: lines_money(&acct, f.su, f.sb)?,
            price: money(x, fi.sp)?,
            min: min.raw,
        });
    }
    Some(())
}

/// `a x b` as [`mul`] gives it; within bounds (`B`) it always fits, so it is not checked
/// (a debug build still asserts it).
#[inline(always)]
fn mul_g<const B: bool>(a: i128, b: i128) -> Option<i128> {
    if B {
        debug_assert!(mul(a, b).is_some(), "bounds: {a} x {b}");
        Some(a.wrapping_mul(b))
    } else {
        mul(a, b)
    }
}

/// [`fits`], always true within bounds (`B`; asserted in a debug build).
#[inline(always)]
fn fits_g<const B: bool>(v: i128) -> bool {
    if B {
        debug_assert!(fits(v), "bounds: {v}");
        true
    } else {
        fits(v)
    }
}
