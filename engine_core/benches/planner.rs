//! Criterion bench of the split planner (issue 13 target: 5 venues x 3 instruments x 50
//! levels a side, <= 20 us median). Each venue lists a linear perpetual, an inverse
//! perpetual and a dated future, with their own fees, funding and basis; two targets:
//! one that sweeps a few levels per book and one that takes about half of all depth.

use std::hint::black_box;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion};
use engine_core::contracts::{Money, Payoff};
use engine_core::planner::{plan, Candidate, Carry, Depth, HedgeSide, PlanRequest, VenueLimit};

const VENUES: [&str; 5] = ["binance", "bybit", "okx", "deribit", "bitget"];

fn m(s: &str) -> Money {
    engine_core::contracts::money(s).expect(s)
}

/// 50 bids from 3,000.0 - `offset` ticks down in 0.1 steps; sizes in the unit's mantissa.
fn bids(offset: i64, size: i64, sz_scale: u8) -> Depth {
    Depth {
        px_scale: 1,
        sz_scale,
        levels: (0..50)
            .map(|i| (30_000 - offset - 2 * i, size + (i % 7) * size / 10))
            .collect(),
    }
}

fn request(target: &str) -> PlanRequest {
    let mut candidates = Vec::new();
    for (v, name) in VENUES.iter().enumerate() {
        let v = v as i64;
        let base = Candidate {
            venue: (*name).into(),
            symbol: "ETHUSDT".into(),
            payoff: Payoff::Linear,
            multiplier: Money::ONE,
            lot: m("0.001"),
            min_qty: m("0.001"),
            max_qty: Some(m("10000")),
            tick: m("0.1"),
            taker_fee: m("0.0004") + Money::new(v, 5),
            maker_fee: m("0.0002"),
            carry: Carry::Funding {
                rate: Money::new(5 + v, 5),
                interval_min: 480,
            },
            position_coins: Money::ZERO,
            healthy: true,
            // 5 to 7.5 ETH a level.
            depth: bids(v, 5_000, 3),
        };
        let inverse = Candidate {
            symbol: "ETHUSD_PERP".into(),
            payoff: Payoff::Inverse,
            multiplier: m("10"),
            lot: Money::ONE,
            min_qty: Money::ONE,
            max_qty: Some(m("1000000")),
            taker_fee: m("0.0005"),
            carry: Carry::Funding {
                rate: Money::new(8 - v, 5),
                interval_min: 480,
            },
            // 1,500 contracts of $10 = 5 ETH a level.
            depth: bids(v + 1, 1_500, 0),
            ..base.clone()
        };
        let future = Candidate {
            symbol: "ETHUSDT_260327".into(),
            carry: Carry::Basis {
                basis: m("25") + Money::from(v),
                minutes_to_expiry: 115 * 1440,
            },
            depth: bids(v - 250, 5_000, 3),
            ..base.clone()
        };
        candidates.extend([base, inverse, future]);
    }
    PlanRequest {
        asset: "ETH".into(),
        side: HedgeSide::Sell,
        target_coins: m(target),
        ref_price: m("3000"),
        horizon_min: 1440,
        venues: VENUES
            .iter()
            .map(|n| VenueLimit {
                venue: (*n).into(),
                current_coins: m("1000"),
                max_share: m("0.5"),
                headroom_usd: Some(m("5000000")),
                healthy: true,
            })
            .collect(),
        candidates,
    }
}

fn bench_planner(c: &mut Criterion) {
    for (name, target) in [
        ("planner/5x3x50_target_0", "0"),
        ("planner/5x3x50_target_300", "300"),
        ("planner/5x3x50_target_2000", "2000"),
    ] {
        let req = request(target);
        let p = plan(&req).expect("plan");
        let levels: usize = p.legs.iter().map(|l| l.levels).sum();
        println!(
            "{name}: {} legs, {levels} levels taken, filled {} of {}, cost {}",
            p.legs.len(),
            p.filled_coins,
            p.target_coins,
            p.cost
        );
        // Criterion's samples are batches of calls, so on a shared box every time slice
        // lost to another process inflates them; single calls timed one by one are
        // rarely preempted, so their median is the cost of a plan (printed alongside).
        let mut one: Vec<u128> = (0..20_000)
            .map(|_| {
                let t = Instant::now();
                black_box(plan(black_box(&req)).expect("plan"));
                t.elapsed().as_nanos()
            })
            .collect();
        one.sort_unstable();
        println!(
            "{name}: single calls median {:.2} us, p10 {:.2} us, p90 {:.2} us",
            one[one.len() / 2] as f64 / 1e3,
            one[one.len() / 10] as f64 / 1e3,
            one[one.len() * 9 / 10] as f64 / 1e3
        );
        c.bench_function(name, |b| b.iter(|| plan(black_box(&req)).expect("plan")));
    }
}

criterion_group!(benches, bench_planner);
criterion_main!(benches);
