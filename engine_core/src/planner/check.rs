//! Validation of one candidate before its numbers are used: positive sizes and tick,
//! fees below 100 %, and a book whose levels are positive and strictly worse each level
//! (the walk's optimality rests on that convexity).

use super::fixed::p10;
use super::{Candidate, Carry, PlanError};
use crate::contracts::Money;

fn invalid(name: &'static str, reason: String) -> PlanError {
    PlanError::Invalid { name, reason }
}

pub(super) fn check_candidate(c: &Candidate, sell: bool) -> Result<(), PlanError> {
    let name = || format!("{}:{}", c.venue, c.symbol);
    let positive = |field: &'static str, v: Money| {
        if v.is_sign_positive() && !v.is_zero() {
            Ok(())
        } else {
            Err(invalid(field, format!("{}: must be > 0, got {v}", name())))
        }
    };
    positive("multiplier", c.multiplier)?;
    positive("lot", c.lot)?;
    positive("tick", c.tick)?;
    if c.min_qty.is_sign_negative() {
        return Err(invalid("min_qty", format!("{}: must be >= 0", name())));
    }
    if c.max_qty.is_some_and(|m| m <= Money::ZERO || m < c.min_qty) {
        return Err(invalid(
            "max_qty",
            format!("{}: must be > 0 and >= min_qty", name()),
        ));
    }
    for (field, f) in [("taker_fee", c.taker_fee), ("maker_fee", c.maker_fee)] {
        // |f| >= 1 on the mantissa (Decimal comparisons cost more than the whole check).
        if f.mantissa().unsigned_abs() >= p10(f.scale())?.unsigned_abs() {
            return Err(invalid(
                field,
                format!("{}: |fee| must be < 1, got {f}", name()),
            ));
        }
    }
    if c.position_coins.is_sign_negative() {
        return Err(invalid(
            "position_coins",
            format!("{}: must be >= 0", name()),
        ));
    }
    if let Carry::Funding {
        interval_min: 0, ..
    } = c.carry
    {
        return Err(invalid(
            "carry",
            format!("{}: funding interval must be > 0", name()),
        ));
    }
    if c.depth.px_scale > crate::decimal::MAX_SCALE || c.depth.sz_scale > crate::decimal::MAX_SCALE
    {
        return Err(invalid(
            "depth",
            format!("{}: more than 18 decimals", name()),
        ));
    }
    // Convexity needs every level strictly worse than the one before. Folded without
    // early exits so the loop vectorises (it reads every level of every book).
    let lv = &c.depth.levels;
    let positive = lv
        .iter()
        .fold(true, |ok, &(px, sz)| ok & (px > 0) & (sz > 0));
    if !positive {
        return Err(invalid(
            "depth",
            format!("{}: a level is not positive", name()),
        ));
    }
    let ordered = if sell {
        lv.windows(2).fold(true, |ok, w| ok & (w[1].0 < w[0].0))
    } else {
        lv.windows(2).fold(true, |ok, w| ok & (w[1].0 > w[0].0))
    };
    if !ordered {
        return Err(invalid(
            "depth",
            format!("{}: levels not best first", name()),
        ));
    }
    Ok(())
}
