//! The planner against an exhaustive search over every split on the lot grid.
//!
//! Small random books (2-3 instruments on 2 venues, linear or inverse, up to 4 levels,
//! fees, funding, min/max sizes, caps, headroom, positions for a buy). The oracle prices
//! every instrument at every whole number of lots independently (its own level walk in
//! `Money`), then tries every combination that satisfies the same constraints.
//!
//! Stated tolerance, with `u_i = max(lot_i, min_qty_i)` in coins and `spread` the worst
//! minus the best effective price over all levels:
//! - the plan costs at most `sum_i u_i x spread` more than the cheapest split that fills
//!   the same amount, and fills at most `sum_i u_i` coins less than the largest fill;
//! - when every lot is the same coin amount, every level a whole number of lots and no
//!   minimum size applies, it is exactly optimal: same fill, same cost.

use proptest::prelude::*;

use super::tests::{d, depth, linear, venue};
use super::*;

#[derive(Debug, Clone)]
struct Case {
    req: PlanRequest,
}

fn fee() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just("0"), Just("0.0002"), Just("0.0005"), Just("0.001")]
}

fn rate() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just("-0.0001"), Just("0"), Just("0.0001"), Just("0.0003")]
}

/// One instrument: (venue, inverse, lot code, levels (offset, step, size), fee, rate,
/// min code, max code, position coins).
type InstGen = (
    bool,
    bool,
    bool,
    Vec<(i64, i64)>,
    i64,
    &'static str,
    &'static str,
    u8,
    u8,
    u8,
);

fn inst() -> impl Strategy<Value = InstGen> {
    (
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        prop::collection::vec((1i64..=4, 1i64..=6), 1..=4),
        -4i64..=4,
        fee(),
        rate(),
        0u8..3,
        0u8..3,
        0u8..6,
    )
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(inst(), 2..=3),
        any::<bool>(),
        prop_oneof![Just(1000i64), Just(2000)],
        1i64..=16,
        prop::collection::vec((0u8..3, 0u8..3, 0u8..3), 2),
    )
        .prop_map(|(insts, sell, r, target_halves, venues)| {
            let side = if sell {
                HedgeSide::Sell
            } else {
                HedgeSide::Buy
            };
            let mut cands = Vec::new();
            for (k, (v, inverse, half_lot, lv, off, fee, rate, minc, maxc, pos)) in
                insts.into_iter().enumerate()
            {
                // Linear: 1 coin a unit, lot 0.5 or 1; inverse: cv = R/2 or R, lot 1 contract,
                // so a contract is exactly 0.5 or 1 coin at R.
                let mut c = linear(if v { "b" } else { "a" }, &format!("I{k}"), fee, &[]);
                let (lot, unit) = if inverse {
                    c.payoff = Payoff::Inverse;
                    c.multiplier = Money::from(if half_lot { r / 2 } else { r });
                    (Money::ONE, Money::ONE)
                } else {
                    (if half_lot { d("0.5") } else { Money::ONE }, d("0.5"))
                };
                c.lot = lot;
                c.tick = Money::ONE;
                c.min_qty = lot * Money::from(minc);
                c.max_qty = (maxc > 0).then(|| lot * Money::from(2 * maxc));
                c.carry = Carry::Funding {
                    rate: d(rate),
                    interval_min: 480,
                };
                c.position_coins = Money::from(pos);
                let mut px = r + off;
                let mut levels = Vec::new();
                for (step, size) in lv {
                    let sz = unit * Money::from(size);
                    levels.push((px.to_string(), sz.to_string()));
                    px = if sell { px - step } else { px + step };
                }
                let refs: Vec<(&str, &str)> = levels
                    .iter()
                    .map(|(a, b)| (a.as_str(), b.as_str()))
                    .collect();
                c.depth = depth(&refs);
                cands.push(c);
            }
            let vs = ["a", "b"]
                .iter()
                .zip(venues)
                .map(|(n, (share, cur, room))| {
                    let mut v = venue(n);
                    v.max_share = [d("1"), d("0.7"), d("0.5")][share as usize];
                    v.current_coins = Money::from(if sell { cur } else { cur + 3 });
                    v.headroom_usd = (room > 0).then(|| Money::from(r * 2 * i64::from(room)));
                    v
                })
                .collect();
            Case {
                req: PlanRequest {
                    asset: "ETH".into(),
                    side,
                    target_coins: Money::new(target_halves * 5, 1),
                    ref_price: Money::from(r),
                    horizon_min: 480,
                    venues: vs,
                    candidates: cands,
                },
            }
        })
}

/// Coins per unit at R.
fn unit_coins(c: &Candidate, r: Money) -> Money {
    match c.payoff {
        Payoff::Linear => c.multiplier,
        Payoff::Inverse => c.multiplier / r,
    }
}

fn carry_per_coin(c: &Candidate, r: Money, h: u32) -> Money {
    match c.carry {
        Carry::Funding { rate, interval_min } => {
            rate * r * Money::from(h) / Money::from(interval_min)
        }
        _ => Money::ZERO,
    }
}

/// Cost vs R of `q` units of `c`, walking its levels (independent of the planner).
fn cost_of(c: &Candidate, q: Money, req: &PlanRequest) -> Money {
    let sell = req.side == HedgeSide::Sell;
    let r = req.ref_price;
    let mut left = q;
    let mut gross_units = Money::ZERO;
    for &(px, sz) in &c.depth.levels {
        let px = Money::new(px, u32::from(c.depth.px_scale));
        let sz = Money::new(sz, u32::from(c.depth.sz_scale));
        let t = left.min(sz);
        gross_units += t * px;
        left -= t;
    }
    assert!(left.is_zero(), "oracle asked beyond depth");
    let uc = unit_coins(c, r);
    let coins = q * uc;
    let gross = gross_units * uc;
    let fee = gross * c.taker_fee;
    let carry = coins * carry_per_coin(c, r, req.horizon_min);
    if sell {
        coins * r - gross + fee - carry
    } else {
        gross + fee + carry - coins * r
    }
}

struct Oracle {
    best_fill: Money,
    /// Cheapest cost at exactly `fill`, if that fill is feasible.
    cost_at: Option<Money>,
}

fn oracle(req: &PlanRequest, fill: Money) -> Oracle {
    let sell = req.side == HedgeSide::Sell;
    let r = req.ref_price;
    // Per instrument: (venue index, [(coins, cost)] for each feasible whole number of lots).
    let mut opts: Vec<(usize, Vec<(Money, Money)>)> = Vec::new();
    for c in &req.candidates {
        let total: Money = c
            .depth
            .levels
            .iter()
            .map(|l| Money::new(l.1, u32::from(c.depth.sz_scale)))
            .sum();
        let kmax = (total / c.lot).floor();
        let mut v = vec![(Money::ZERO, Money::ZERO)];
        let mut k = Money::ONE;
        while k <= kmax {
            let q = k * c.lot;
            let coins = q * unit_coins(c, r);
            let ok = q >= c.min_qty
                && c.max_qty.is_none_or(|m| q <= m)
                && (sell || coins <= c.position_coins);
            if ok {
                v.push((coins, cost_of(c, q, req)));
            }
            k += Money::ONE;
        }
        let vi = req
            .venues
            .iter()
            .position(|x| x.venue == c.venue)
            .expect("venue");
        opts.push((vi, v));
    }
    let total_hedge: Money =
        req.venues.iter().map(|v| v.current_coins).sum::<Money>() + req.target_coins;
    let caps: Vec<(Money, Option<Money>)> = req
        .venues
        .iter()
        .map(|v| {
            if sell {
                let cap = (v.max_share * total_hedge * r - v.current_coins * r).max(Money::ZERO);
                (cap, v.headroom_usd)
            } else {
                (v.current_coins * r, None)
            }
        })
        .collect();
    let mut best_fill = Money::ZERO;
    let mut cost_at: Option<Money> = None;
    let mut idx = vec![0usize; opts.len()];
    loop {
        let mut coins = Money::ZERO;
        let mut cost = Money::ZERO;
        let mut per_venue = vec![Money::ZERO; req.venues.len()];
        for (i, (vi, o)) in opts.iter().enumerate() {
            coins += o[idx[i]].0;
            cost += o[idx[i]].1;
            per_venue[*vi] += o[idx[i]].0 * r;
        }
        let feasible = coins <= req.target_coins
            && per_venue
                .iter()
                .zip(&caps)
                .all(|(n, (cap, room))| n <= cap && room.is_none_or(|h| *n <= h));
        if feasible {
            best_fill = best_fill.max(coins);
            if coins == fill && cost_at.is_none_or(|c| cost < c) {
                cost_at = Some(cost);
            }
        }
        // Next combination (odometer).
        let mut i = 0;
        loop {
            if i == idx.len() {
                return Oracle { best_fill, cost_at };
            }
            idx[i] += 1;
            if idx[i] < opts[i].1.len() {
                break;
            }
            idx[i] = 0;
            i += 1;
        }
    }
}

fn effective_prices(req: &PlanRequest) -> Vec<Money> {
    let sell = req.side == HedgeSide::Sell;
    let mut out = Vec::new();
    for c in &req.candidates {
        let carry = carry_per_coin(c, req.ref_price, req.horizon_min);
        for &(px, _) in &c.depth.levels {
            let px = Money::new(px, u32::from(c.depth.px_scale));
            let f = if sell {
                Money::ONE - c.taker_fee
            } else {
                Money::ONE + c.taker_fee
            };
            out.push(px * f + carry);
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn planner_is_within_the_stated_tolerance_of_exhaustive_search(case in case()) {
        let req = &case.req;
        let r = req.ref_price;
        let plan = plan(req).expect("plan");
        // Invariants: coins add up, legs are whole lots inside every limit.
        let filled: Money = plan.legs.iter().map(|l| l.coins).sum();
        prop_assert_eq!(filled, plan.filled_coins);
        prop_assert_eq!(plan.filled_coins + plan.residual_coins, req.target_coins);
        prop_assert!(plan.residual_coins >= Money::ZERO);
        prop_assert_eq!(plan.shortfall.is_some(), plan.residual_coins > Money::ZERO);
        let mut cost = Money::ZERO;
        for l in &plan.legs {
            let c = req.candidates.iter().find(|c| c.symbol == l.symbol).expect("leg");
            prop_assert!(c.on_lot_checked(l.qty));
            prop_assert!(l.qty >= c.min_qty && c.max_qty.is_none_or(|m| l.qty <= m));
            let depth_units: Money = c.depth.levels.iter().map(|x| Money::new(x.1, u32::from(c.depth.sz_scale))).sum();
            prop_assert!(l.qty <= depth_units);
            prop_assert_eq!(l.coins, l.qty * unit_coins(c, r));
            let own = cost_of(c, l.qty, req);
            prop_assert_eq!(l.cost, own);
            cost += own;
        }
        prop_assert_eq!(plan.cost, cost);
        // Venue caps: concentration and headroom on a sell, the hedge held on a buy.
        let sell = req.side == HedgeSide::Sell;
        let total: Money = req.venues.iter().map(|v| v.current_coins).sum::<Money>() + req.target_coins;
        for v in &req.venues {
            let here: Money = plan.legs.iter().filter(|l| l.venue == v.venue).map(|l| l.coins).sum();
            if sell {
                // A venue already above its share gets nothing more.
                prop_assert!(here <= (v.max_share * total - v.current_coins).max(Money::ZERO));
                prop_assert!(v.headroom_usd.is_none_or(|h| here * r <= h));
            } else {
                prop_assert!(here <= v.current_coins);
            }
        }
        for l in &plan.legs {
            let c = req.candidates.iter().find(|c| c.symbol == l.symbol).expect("leg");
            prop_assert!(sell || l.coins <= c.position_coins);
        }
        // Against the oracle.
        let o = oracle(req, plan.filled_coins);
        let Some(best) = o.cost_at else {
            return Err(TestCaseError::fail("the plan's own split is infeasible for the oracle"));
        };
        let effs = effective_prices(req);
        let spread = effs.iter().max().copied().unwrap_or_default() - effs.iter().min().copied().unwrap_or_default();
        let u: Money = req
            .candidates
            .iter()
            .map(|c| c.lot.max(c.min_qty) * unit_coins(c, r))
            .sum();
        prop_assert!(plan.cost >= best);
        prop_assert!(plan.cost - best <= u * spread, "cost {} vs best {} (tol {})", plan.cost, best, u * spread);
        prop_assert!(o.best_fill - plan.filled_coins <= u, "fill {} vs best {}", plan.filled_coins, o.best_fill);
        // Equal lots, lot-aligned levels, no minimum: exactly optimal.
        let lot_coins: Vec<Money> = req.candidates.iter().map(|c| c.lot * unit_coins(c, r)).collect();
        let equal = lot_coins.windows(2).all(|w| w[0] == w[1])
            && req.candidates.iter().all(|c| {
                c.min_qty.is_zero()
                    && c.depth.levels.iter().all(|x| c.on_lot_checked(Money::new(x.1, u32::from(c.depth.sz_scale))))
            });
        if equal {
            prop_assert_eq!(plan.cost, best);
            prop_assert_eq!(plan.filled_coins, o.best_fill);
        }
    }

    #[test]
    fn same_plan_whatever_the_candidate_order(case in case(), rot in 0usize..3) {
        let mut req = case.req.clone();
        let n = req.candidates.len();
        req.candidates.rotate_left(rot % n);
        req.venues.reverse();
        prop_assert_eq!(plan(&case.req).expect("plan"), plan(&req).expect("plan"));
    }
}

impl Candidate {
    fn on_lot_checked(&self, q: Money) -> bool {
        crate::contracts::spec::is_multiple(q, self.lot)
    }
}
