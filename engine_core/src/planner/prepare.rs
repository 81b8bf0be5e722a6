//! From a [`PlanRequest`] to integers: validation, the common scales, each instrument's
//! effective-price key and its size in reference notional, and the venues' caps.

use super::check::check_candidate;
use super::fixed::{mul, p10, ratio_at, scaled, MAX_WORK_SCALE, OUT_SCALE};
use super::{Candidate, Carry, HedgeSide, PlanError, PlanRequest, Stop};
use crate::contracts::{Money, Payoff};

/// One candidate in integers. Prices are at `ps` decimals, sizes at `qs`, reference
/// notionals (`coins x R`) at the request's `sn`, effective prices at its `ks`.
#[derive(Debug)]
pub(super) struct Inst<'a> {
    pub(super) cand: &'a Candidate,
    pub(super) venue: usize,
    pub(super) levels: &'a [(i64, i64)],
    pub(super) pxmul: i128,
    pub(super) szmul: i128,
    pub(super) ps: u32,
    pub(super) qs: u32,
    /// Heap key of a level: `px x key_mul + key_add` (smaller is better).
    pub(super) key_mul: i128,
    pub(super) key_add: i128,
    /// Carry per coin at `ks` (sign as in the module docs).
    pub(super) carry: i128,
    /// Reference notional of one size mantissa, at `sn`.
    pub(super) n: i128,
    pub(super) lot: i128,
    pub(super) min: i128,
    pub(super) max: Option<i128>,
    pub(super) tick: i128,
    /// A buy's cap: the short held here, in reference notional.
    pub(super) pos_cap: Option<i128>,
    /// `Some(Stop::Unhealthy)` if excluded from the start.
    pub(super) excluded: Option<Stop>,
}

/// The whole request in integers, instruments in (venue, symbol) order.
#[derive(Debug)]
pub(super) struct Prepared<'a> {
    pub(super) insts: Vec<Inst<'a>>,
    pub(super) venue_cap: Vec<i128>,
    pub(super) headroom: Vec<Option<i128>>,
    pub(super) target_n: i128,
    pub(super) r_m: i128,
    pub(super) r_s: u32,
    pub(super) ks: u32,
    pub(super) sell: bool,
}

fn invalid(name: &'static str, reason: String) -> PlanError {
    PlanError::Invalid { name, reason }
}

fn scale_of(m: Money) -> u32 {
    m.scale()
}

/// Validate and convert `req`.
pub(super) fn prepare(req: &PlanRequest) -> Result<Prepared<'_>, PlanError> {
    let sell = req.side == HedgeSide::Sell;
    if req.target_coins.is_sign_negative() {
        return Err(invalid(
            "target_coins",
            format!("must be >= 0, got {}", req.target_coins),
        ));
    }
    if req.target_coins.scale() > OUT_SCALE {
        return Err(invalid("target_coins", "more than 18 decimals".into()));
    }
    if req.ref_price <= Money::ZERO {
        return Err(invalid(
            "ref_price",
            format!("must be > 0, got {}", req.ref_price),
        ));
    }
    let (r_m, r_s) = (req.ref_price.mantissa(), req.ref_price.scale());

    // Venues in name order, so candidates find theirs by binary search.
    let mut vorder: Vec<usize> = (0..req.venues.len()).collect();
    vorder.sort_by(|a, b| req.venues[*a].venue.cmp(&req.venues[*b].venue));
    for w in vorder.windows(2) {
        if req.venues[w[0]].venue == req.venues[w[1]].venue {
            return Err(invalid(
                "venues",
                format!("{} listed twice", req.venues[w[0]].venue),
            ));
        }
    }
    for v in &req.venues {
        if v.current_coins.is_sign_negative() {
            return Err(invalid(
                "current_coins",
                format!("{}: must be >= 0", v.venue),
            ));
        }
        if v.max_share.is_sign_negative() || v.max_share > Money::ONE {
            return Err(invalid(
                "max_share",
                format!("{}: must be in [0, 1]", v.venue),
            ));
        }
        if v.headroom_usd.is_some_and(|h| h.is_sign_negative()) {
            return Err(invalid(
                "headroom_usd",
                format!("{}: must be >= 0", v.venue),
            ));
        }
    }

    // Each candidate's venue (an equality scan: a handful of venues), then candidates in
    // (venue name, symbol) order, comparing names only within a venue.
    let mut vrank = vec![0usize; req.venues.len()];
    for (r, &vi) in vorder.iter().enumerate() {
        vrank[vi] = r;
    }
    let mut venue_at = Vec::with_capacity(req.candidates.len());
    for c in &req.candidates {
        let vi = req
            .venues
            .iter()
            .position(|v| v.venue == c.venue)
            .ok_or_else(|| {
                invalid(
                    "venue",
                    format!("{}:{}: venue not listed", c.venue, c.symbol),
                )
            })?;
        venue_at.push(vi);
    }
    let mut order: Vec<usize> = (0..req.candidates.len()).collect();
    order.sort_by(|a, b| {
        vrank[venue_at[*a]]
            .cmp(&vrank[venue_at[*b]])
            .then_with(|| req.candidates[*a].symbol.cmp(&req.candidates[*b].symbol))
    });
    for w in order.windows(2) {
        let (x, y) = (&req.candidates[w[0]], &req.candidates[w[1]]);
        if venue_at[w[0]] == venue_at[w[1]] && x.symbol == y.symbol {
            return Err(invalid(
                "candidates",
                format!("{}:{} listed twice", x.venue, x.symbol),
            ));
        }
    }

    // Common scales: effective prices at ks, reference notionals at sn.
    let mut p_max = 0u32;
    let mut f_max = 0u32;
    let cur_s = req
        .venues
        .iter()
        .map(|v| v.current_coins.scale())
        .max()
        .unwrap_or(0);
    let tot_s = cur_s.max(req.target_coins.scale());
    let mut sn = (req.target_coins.scale() + r_s).max(cur_s + r_s);
    for v in &req.venues {
        sn = sn.max(v.max_share.scale() + tot_s + r_s);
        if let Some(h) = v.headroom_usd {
            sn = sn.max(h.scale());
        }
    }
    let mut venue_of = Vec::with_capacity(order.len());
    for &i in &order {
        let c = &req.candidates[i];
        let vi = venue_at[i];
        venue_of.push(vi);
        if !(c.healthy && req.venues[vi].healthy) {
            continue;
        }
        check_candidate(c, sell)?;
        let ps = u32::from(c.depth.px_scale).max(scale_of(c.tick));
        let qs = size_scale(c);
        p_max = p_max.max(ps);
        f_max = f_max.max(c.taker_fee.scale());
        sn = sn.max(match c.payoff {
            Payoff::Linear => c.multiplier.scale() + r_s + qs,
            Payoff::Inverse => c.multiplier.scale() + qs,
        });
        if !sell {
            sn = sn.max(c.position_coins.scale() + r_s);
        }
    }
    let ks = (p_max + f_max).max(OUT_SCALE);
    if sn > MAX_WORK_SCALE || ks > MAX_WORK_SCALE {
        return Err(PlanError::OutOfRange("too many decimals in the request"));
    }

    let target_n = scaled_product(&[req.target_coins, req.ref_price], sn, "target")?;
    let mut tot = scaled(req.target_coins, tot_s, "total hedge")?;
    for v in &req.venues {
        tot = tot
            .checked_add(scaled(v.current_coins, tot_s, "total hedge")?)
            .ok_or(PlanError::OutOfRange("total hedge"))?;
    }
    let mut venue_cap = Vec::with_capacity(req.venues.len());
    let mut headroom = Vec::with_capacity(req.venues.len());
    for v in &req.venues {
        let cur = scaled_product(&[v.current_coins, req.ref_price], sn, "current hedge")?;
        if sell {
            // max_share x (all hedges + target) x R, at sn.
            let s = v.max_share.scale() + tot_s + r_s;
            let allowed = mul(
                mul(mul(v.max_share.mantissa(), tot, "cap")?, r_m, "cap")?,
                p10(sn - s)?,
                "cap",
            )?;
            venue_cap.push((allowed - cur).max(0));
            headroom.push(
                v.headroom_usd
                    .map(|h| scaled(h, sn, "headroom"))
                    .transpose()?,
            );
        } else {
            venue_cap.push(cur);
            headroom.push(None);
        }
    }

    let mut insts = Vec::with_capacity(order.len());
    for (k, &i) in order.iter().enumerate() {
        let c = &req.candidates[i];
        let vi = venue_of[k];
        if !(c.healthy && req.venues[vi].healthy) {
            insts.push(excluded(c, vi));
            continue;
        }
        insts.push(instrument(c, vi, req, sell, ks, sn)?);
    }
    Ok(Prepared {
        insts,
        venue_cap,
        headroom,
        target_n,
        r_m,
        r_s,
        ks,
        sell,
    })
}

fn size_scale(c: &Candidate) -> u32 {
    let mut qs = u32::from(c.depth.sz_scale)
        .max(c.lot.scale())
        .max(c.min_qty.scale());
    if let Some(m) = c.max_qty {
        qs = qs.max(m.scale());
    }
    qs
}

/// Product of decimals, exactly, at scale `s` (>= the sum of their scales).
fn scaled_product(xs: &[Money], s: u32, what: &'static str) -> Result<i128, PlanError> {
    let mut m = 1i128;
    let mut sc = 0u32;
    for x in xs {
        m = mul(m, x.mantissa(), what)?;
        sc += x.scale();
    }
    if sc > s {
        return Err(PlanError::OutOfRange(what));
    }
    mul(m, p10(s - sc)?, what)
}

fn excluded(c: &Candidate, venue: usize) -> Inst<'_> {
    Inst {
        cand: c,
        venue,
        levels: &[],
        pxmul: 1,
        szmul: 1,
        ps: 0,
        qs: 0,
        key_mul: 0,
        key_add: 0,
        carry: 0,
        n: 1,
        lot: 1,
        min: 0,
        max: None,
        tick: 1,
        pos_cap: None,
        excluded: Some(Stop::Unhealthy),
    }
}

/// Carry per coin at scale `ks`, rounded once half to even (module docs).
pub(super) fn carry_at(
    carry: Carry,
    r: Money,
    horizon_min: u32,
    ks: u32,
) -> Result<i128, PlanError> {
    match carry {
        Carry::None => Ok(0),
        Carry::Funding { rate, interval_min } => {
            let num = mul(
                mul(rate.mantissa(), r.mantissa(), "carry")?,
                i128::from(horizon_min),
                "carry",
            )?;
            ratio_at(
                num,
                rate.scale() + r.scale(),
                i128::from(interval_min),
                0,
                ks,
                "carry",
            )
        }
        Carry::Basis {
            basis,
            minutes_to_expiry,
        } => {
            if minutes_to_expiry == 0 {
                return Ok(0);
            }
            let left = i128::from(minutes_to_expiry.saturating_sub(horizon_min));
            let num = mul(-basis.mantissa(), left, "carry")?;
            ratio_at(
                num,
                basis.scale(),
                i128::from(minutes_to_expiry),
                0,
                ks,
                "carry",
            )
        }
    }
}

fn instrument<'a>(
    c: &'a Candidate,
    venue: usize,
    req: &PlanRequest,
    sell: bool,
    ks: u32,
    sn: u32,
) -> Result<Inst<'a>, PlanError> {
    let ps = u32::from(c.depth.px_scale).max(c.tick.scale());
    let qs = size_scale(c);
    let fs = c.taker_fee.scale();
    let one = p10(fs)?;
    let f = c.taker_fee.mantissa();
    // eff at ks = px x 10^(ks - ps - fs) x (10^fs -/+ f) + carry
    let factor = if sell { one - f } else { one + f };
    let base = mul(p10(ks - ps - fs)?, factor, "effective price")?;
    let carry = carry_at(c.carry, req.ref_price, req.horizon_min, ks)?;
    let (key_mul, key_add) = if sell { (-base, -carry) } else { (base, carry) };
    let m = c.multiplier;
    let n = match c.payoff {
        Payoff::Linear => scaled_product(&[m, req.ref_price], sn - qs, "unit notional")?,
        Payoff::Inverse => scaled(m, sn - qs, "unit notional")?,
    };
    let pos_cap = if sell {
        None
    } else {
        Some(scaled_product(
            &[c.position_coins, req.ref_price],
            sn,
            "position",
        )?)
    };
    Ok(Inst {
        cand: c,
        venue,
        levels: &c.depth.levels,
        pxmul: p10(ps - u32::from(c.depth.px_scale))?,
        szmul: p10(qs - u32::from(c.depth.sz_scale))?,
        ps,
        qs,
        key_mul,
        key_add,
        carry,
        n,
        lot: scaled(c.lot, qs, "lot")?,
        min: scaled(c.min_qty, qs, "min_qty")?,
        max: c.max_qty.map(|m| scaled(m, qs, "max_qty")).transpose()?,
        tick: scaled(c.tick, ps, "tick")?,
        pos_cap,
        excluded: None,
    })
}
