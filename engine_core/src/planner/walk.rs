//! The greedy walk over all candidate books (module docs of `planner`), the minimum-size
//! redo, and the legs and totals in exact decimals.

use super::fixed::{exact, mul, out, p10, ratio_at, scaled, OUT_SCALE};
use super::prepare::{prepare, Inst, Prepared};
use super::{HedgeSide, Leg, Plan, PlanError, PlanRequest, Shortfall, Stop};
use crate::contracts::{Money, Payoff};

/// Where an instrument's walk stands.
#[derive(Debug, Clone, Default)]
struct St {
    /// Quantity taken (size mantissa at the instrument's `qs`), a whole number of lots.
    q: i128,
    /// Sum of size x price taken, at `qs + ps`.
    gross: i128,
    /// Next level in the heap, and the cumulative depth through it.
    head: usize,
    head_cum: i128,
    /// First level not fully taken, and how much of it is taken.
    cur: usize,
    cur_used: i128,
    touched: usize,
    worst: i128,
    pos_left: Option<i128>,
    stop: Option<Stop>,
}

/// Plan the hedge of `req` (module docs). Deterministic: the same request, in any
/// candidate order, gives the same plan.
///
/// # Errors
/// [`PlanError`] for input outside its domain (negative target, unknown venue, levels not
/// best first, a level off its tick, ...) or beyond the fixed-point range.
pub fn plan(req: &PlanRequest) -> Result<Plan, PlanError> {
    let p = prepare(req)?;
    let mut excluded: Vec<Option<Stop>> = p.insts.iter().map(|i| i.excluded).collect();
    let (states, rem) = loop {
        let (states, rem) = walk(&p, &excluded)?;
        let mut again = false;
        for (k, (st, inst)) in states.iter().zip(&p.insts).enumerate() {
            if st.q > 0 && st.q < inst.min {
                excluded[k] = Some(Stop::MinSize);
                again = true;
            }
        }
        if !again {
            break (states, rem);
        }
    };
    finish(req, &p, &states, rem)
}

fn walk(p: &Prepared<'_>, excluded: &[Option<Stop>]) -> Result<(Vec<St>, i128), PlanError> {
    let mut states: Vec<St> = Vec::with_capacity(p.insts.len());
    // The key of each instrument's next level (i128::MAX when it has none): with a
    // handful of instruments a scan beats a heap, and the first minimum is the lowest
    // rank, so ties go to (venue, symbol) order.
    let mut heads: Vec<i128> = vec![i128::MAX; p.insts.len()];
    for (k, inst) in p.insts.iter().enumerate() {
        let mut st = St {
            pos_left: inst.pos_cap,
            ..St::default()
        };
        if let Some(why) = excluded[k] {
            st.stop = Some(why);
        } else if let Some(&(px, sz)) = inst.levels.first() {
            st.head_cum = i128::from(sz) * inst.szmul;
            heads[k] = key(inst, px);
        } else {
            st.stop = Some(Stop::Depth);
        }
        states.push(st);
    }
    let mut cap = p.venue_cap.clone();
    let mut room = p.headroom.clone();
    let mut rem = p.target_n;
    while rem > 0 {
        let mut k = 0;
        for (j, h) in heads.iter().enumerate().skip(1) {
            if *h < heads[k] {
                k = j;
            }
        }
        if heads[k] == i128::MAX {
            break;
        }
        heads[k] = i128::MAX;
        let inst = &p.insts[k];
        let st = &mut states[k];
        let v = inst.venue;
        // The first limit to bind; caps win ties because they never grow back. Limits
        // are compared in reference notional and divided only when they bind.
        let mut lim = st.head_cum - st.q;
        let mut why = Stop::Depth;
        if let Some(max) = inst.max {
            if max - st.q <= lim {
                lim = max - st.q;
                why = Stop::MaxQty;
            }
        }
        let mut need = mul(lim, inst.n, "notional")?;
        let mut bind = |avail_n: i128, reason: Stop| {
            if avail_n < need + inst.n {
                lim = avail_n / inst.n;
                need = lim * inst.n;
                why = reason;
            }
        };
        // A buy's venue cap is the hedge held there (reduce-only), a sell's the share.
        bind(
            cap[v],
            if p.sell {
                Stop::Concentration
            } else {
                Stop::Position
            },
        );
        if let Some(h) = room[v] {
            bind(h, Stop::Headroom);
        }
        if let Some(pl) = st.pos_left {
            bind(pl, Stop::Position);
        }
        bind(rem, Stop::Lot);
        let new_q = if inst.lot == 1 {
            st.q + lim.max(0)
        } else {
            floor_to(st.q + lim.max(0), inst.lot)
        };
        let take = new_q - st.q;
        if take > 0 {
            consume(inst, st, take)?;
            let dn = mul(take, inst.n, "notional taken")?;
            rem -= dn;
            cap[v] -= dn;
            if let Some(h) = room[v].as_mut() {
                *h -= dn;
            }
            if let Some(pl) = st.pos_left.as_mut() {
                *pl -= dn;
            }
        }
        if why == Stop::Depth {
            let next = st.head + 1;
            if let Some(&(px, sz)) = inst.levels.get(next) {
                st.head = next;
                st.head_cum += i128::from(sz) * inst.szmul;
                heads[k] = key(inst, px);
            } else {
                st.stop = Some(Stop::Depth);
            }
        } else if !(why == Stop::Lot && rem == 0) {
            st.stop = Some(why);
        }
    }
    Ok((states, rem))
}

/// `x` rounded down to a multiple of `step` (both >= 0), in 64 bits when they fit.
#[inline]
fn floor_to(x: i128, step: i128) -> i128 {
    match (u64::try_from(x), u64::try_from(step)) {
        (Ok(a), Ok(b)) => i128::from(a / b * b),
        _ => x / step * step,
    }
}

#[inline]
fn key(inst: &Inst<'_>, px: i64) -> i128 {
    i128::from(px) * inst.pxmul * inst.key_mul + inst.key_add
}

/// Take `take` more from the levels at the cursor, costing it exactly.
fn consume(inst: &Inst<'_>, st: &mut St, take: i128) -> Result<(), PlanError> {
    let mut left = take;
    while left > 0 {
        let (px, sz) = inst.levels[st.cur];
        let (px, sz) = (i128::from(px) * inst.pxmul, i128::from(sz) * inst.szmul);
        if st.cur_used == 0 {
            if inst.tick != 1 && floor_to(px, inst.tick) != px {
                return Err(PlanError::Invalid {
                    name: "depth",
                    reason: format!(
                        "{}:{}: level price {} is not on tick {}",
                        inst.cand.venue,
                        inst.cand.symbol,
                        Money::from_i128_with_scale(px, inst.ps),
                        inst.cand.tick
                    ),
                });
            }
            st.touched += 1;
            st.worst = px;
        }
        let t = left.min(sz - st.cur_used);
        st.gross += t * px;
        st.cur_used += t;
        left -= t;
        if st.cur_used == sz {
            st.cur += 1;
            st.cur_used = 0;
        }
    }
    st.q += take;
    Ok(())
}

/// An amount as its mantissa at [`OUT_SCALE`] (for sums) and as `Money`.
#[derive(Debug, Clone, Copy)]
struct Amt(i128, Money);

/// `(num x 10^-ns) / (den x 10^-ds)`: exact without any division when the denominator is
/// 1 and the scale at most 18 (linear legs), else rounded half to even at 18 decimals.
fn amt(num: i128, ns: u32, den: i128, ds: u32, what: &'static str) -> Result<Amt, PlanError> {
    if den == 1 && ds == 0 && ns <= OUT_SCALE {
        Ok(Amt(mul(num, p10(OUT_SCALE - ns)?, what)?, exact(num, ns)?))
    } else {
        let m = ratio_at(num, ns, den, ds, OUT_SCALE, what)?;
        Ok(Amt(m, out(m)?))
    }
}

/// A leg's amounts.
struct Amounts {
    coins: Amt,
    gross: Amt,
    fee: Amt,
    maker_fee: Amt,
    carry: Amt,
    ref_notional: Amt,
    cost: i128,
}

fn amounts(p: &Prepared<'_>, inst: &Inst<'_>, st: &St, sell: bool) -> Result<Amounts, PlanError> {
    let c = inst.cand;
    let (ms, mm) = (c.multiplier.scale(), c.multiplier.mantissa());
    let (qs, ps) = (inst.qs, inst.ps);
    // Linear values are exact decimals (denominator 1); inverse ones divide by R once.
    let (den, ds) = match c.payoff {
        Payoff::Linear => (1i128, 0u32),
        Payoff::Inverse => (p.r_m, p.r_s),
    };
    let units = mul(st.q, mm, "coins")?;
    let value = mul(st.gross, mm, "gross")?;
    let coins = amt(units, qs + ms, den, ds, "coins")?;
    let gross = amt(value, qs + ps + ms, den, ds, "gross")?;
    let fee_of = |rate: Money| {
        let num = mul(value, rate.mantissa(), "fee")?;
        amt(num, qs + ps + ms + rate.scale(), den, ds, "fee")
    };
    let fee = fee_of(c.taker_fee)?;
    let maker_fee = fee_of(c.maker_fee)?;
    let carry = amt(
        mul(units, inst.carry, "carry")?,
        qs + ms + p.ks,
        den,
        ds,
        "carry",
    )?;
    let ref_notional = match c.payoff {
        Payoff::Linear => amt(
            mul(units, p.r_m, "notional")?,
            qs + ms + p.r_s,
            1,
            0,
            "notional",
        )?,
        Payoff::Inverse => amt(units, qs + ms, 1, 0, "notional")?,
    };
    let cost = if sell {
        ref_notional.0 - gross.0 + fee.0 - carry.0
    } else {
        gross.0 + fee.0 + carry.0 - ref_notional.0
    };
    Ok(Amounts {
        coins,
        gross,
        fee,
        maker_fee,
        carry,
        ref_notional,
        cost,
    })
}

fn finish(
    req: &PlanRequest,
    p: &Prepared<'_>,
    states: &[St],
    rem: i128,
) -> Result<Plan, PlanError> {
    let sell = req.side == HedgeSide::Sell;
    let mut legs = Vec::new();
    let (mut filled, mut gross, mut fee, mut carry, mut cost) = (0i128, 0i128, 0i128, 0i128, 0i128);
    for (inst, st) in p.insts.iter().zip(states) {
        if st.q == 0 {
            continue;
        }
        let a = amounts(p, inst, st, sell)?;
        filled += a.coins.0;
        gross += a.gross.0;
        fee += a.fee.0;
        carry += a.carry.0;
        cost += a.cost;
        legs.push(Leg {
            venue: inst.cand.venue.clone(),
            symbol: inst.cand.symbol.clone(),
            side: req.side,
            qty: exact(st.q, inst.qs)?,
            coins: a.coins.1,
            vwap: out(ratio_at(
                st.gross,
                inst.qs + inst.ps,
                st.q,
                inst.qs,
                OUT_SCALE,
                "vwap",
            )?)?,
            worst_px: exact(st.worst, inst.ps)?,
            levels: st.touched,
            gross: a.gross.1,
            fee: a.fee.1,
            maker_fee: a.maker_fee.1,
            carry: a.carry.1,
            ref_notional: a.ref_notional.1,
            cost: out(a.cost)?,
        });
    }
    let target = scaled(req.target_coins, OUT_SCALE, "target")?;
    let stops: Vec<(String, String, Stop)> = p
        .insts
        .iter()
        .zip(states)
        .filter_map(|(i, s)| {
            s.stop
                .map(|w| (i.cand.venue.clone(), i.cand.symbol.clone(), w))
        })
        .collect();
    Ok(Plan {
        asset: req.asset.clone(),
        side: req.side,
        target_coins: req.target_coins,
        legs,
        filled_coins: out(filled)?,
        residual_coins: out(target - filled)?,
        shortfall: (rem > 0).then(|| shortfall(states)),
        gross: out(gross)?,
        fee: out(fee)?,
        carry: out(carry)?,
        cost: out(cost)?,
        vwap: if filled > 0 {
            Some(out(ratio_at(
                gross, OUT_SCALE, filled, OUT_SCALE, OUT_SCALE, "vwap",
            )?)?)
        } else {
            None
        },
        stops,
    })
}

/// The most telling reason among the instruments' stops (priority: lot, min size,
/// limits, depth; no candidate at all if every one was unhealthy).
fn shortfall(states: &[St]) -> Shortfall {
    let has = |w: Stop| states.iter().any(|s| s.stop == Some(w));
    if states.iter().all(|s| s.stop == Some(Stop::Unhealthy)) {
        Shortfall::NoCandidates
    } else if has(Stop::Lot) {
        Shortfall::Lot
    } else if has(Stop::MinSize) {
        Shortfall::MinSize
    } else if [
        Stop::MaxQty,
        Stop::Concentration,
        Stop::Headroom,
        Stop::Position,
    ]
    .into_iter()
    .any(has)
    {
        Shortfall::Limits
    } else {
        Shortfall::Depth
    }
}
