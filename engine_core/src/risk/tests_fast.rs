//! The integer grid path against the `Money` path: same verdicts, reasons and amounts.

use proptest::prelude::*;

use super::{checks, Limits, Order, RiskEngine, Verdict};
use crate::contracts::margin::HaircutTiers;
use crate::contracts::{InstrumentSpec, Kind, Money, Payoff};
use crate::venue::Venue;

fn m(v: i64, scale: u32) -> Money {
    Money::new(v, scale)
}

fn spec(venue: Venue, symbol: &str, payoff: Payoff, mult: Money, tick: Money) -> InstrumentSpec {
    InstrumentSpec {
        venue,
        symbol: symbol.into(),
        kind: Kind::Perpetual,
        payoff,
        base: "ETH".into(),
        quote: "USD".into(),
        settle: "USD".into(),
        margin: "USD".into(),
        multiplier: mult,
        contract_size: mult,
        tick,
        lot: m(1, 3),
        min_qty: m(1, 3),
        max_qty: Some(m(5000, 0)),
        min_notional: Some(m(5, 0)),
        funding_interval_min: Some(480),
        maint_margin_rate: Some(m(5, 3)),
        active: true,
    }
}

/// Limits drawn around the state's own numbers so that orders land on the boundaries.
#[derive(Debug, Clone)]
struct Case {
    band_bp: i64,
    max_notional: i64,
    max_pos: i64,
    max_delta: i64,
    share_pct: i64,
    conc_min: i64,
    headroom: i64,
    liq_pct: i64,
    im_pct: i64,
    pos: (i64, i64),
    coll: i64,
    mark: i64,
    orders: Vec<(usize, i64, i64)>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        (0..600_i64, 1..20_000_i64, 1..60_i64, 0..120_000_i64),
        (
            1..100_i64,
            0..50_000_i64,
            -5_000..5_000_i64,
            0..60_i64,
            1..30_i64,
        ),
        (
            (-40_000..40_000_i64, 150_000..250_000_i64),
            0..200_i64,
            150_000..250_000_i64,
        ),
        prop::collection::vec((0..3_usize, -60_000..60_000_i64, -2_000..2_000_i64), 1..40),
    )
        .prop_map(|(a, b, c, orders)| Case {
            band_bp: a.0,
            max_notional: a.1,
            max_pos: a.2,
            max_delta: a.3,
            share_pct: b.0,
            conc_min: b.1,
            headroom: b.2,
            liq_pct: b.3,
            im_pct: b.4,
            pos: c.0,
            coll: c.1,
            mark: c.2,
            orders,
        })
}

fn build(c: &Case) -> RiskEngine {
    let lim = format!(
        r#"{{"price_band":"{}","max_order_notional_usd":"{}","max_net_delta_usd":"{}",
        "max_venue_share":"{}","concentration_min_total_usd":"{}",
        "min_margin_headroom_usd":"{}","min_liq_distance":"{}","initial_margin_rate":"{}",
        "instruments":{{"bybit:A":{{"max_position":"{}"}}}}}}"#,
        m(c.band_bp, 4),
        c.max_notional,
        c.max_delta,
        m(c.share_pct, 2),
        c.conc_min,
        c.headroom.max(0),
        m(c.liq_pct, 2),
        m(c.im_pct, 2),
        c.max_pos,
    );
    let mut e = RiskEngine::new(Limits::from_json(&lim).expect("limits"));
    let a = e
        .add_instrument(spec(Venue::Bybit, "A", Payoff::Linear, m(1, 0), m(1, 2)))
        .expect("a");
    let b = e
        .add_instrument(spec(Venue::Bybit, "B", Payoff::Linear, m(1, 1), m(5, 1)))
        .expect("b");
    let i = e
        .add_instrument(spec(Venue::Okx, "C", Payoff::Inverse, m(10, 0), m(1, 2)))
        .expect("c");
    let mark = m(c.mark, 2);
    for id in [a, b, i] {
        e.set_mark(id, mark).expect("mark");
    }
    e.set_index("ETH", m(c.mark - 37, 2)).expect("index");
    e.set_position(a, m(c.pos.0, 3), m(c.pos.1, 2))
        .expect("pos");
    e.set_position(i, m(c.pos.0 / 10, 0), m(c.pos.1, 2))
        .expect("pos");
    let tiers = HaircutTiers::flat(m(95, 2)).expect("tiers");
    for v in [Venue::Bybit, Venue::Okx] {
        e.set_collateral(v, "stETH", "ETH", m(c.coll, 0), m(1, 0), tiers.clone())
            .expect("coll");
    }
    e
}

/// Orders whose price sits on or one tick (or a fraction of one) from the band's edges.
fn orders(c: &Case, e: &RiskEngine) -> Vec<Order> {
    let mark = m(c.mark, 2);
    let edge = mark * m(c.band_bp, 4);
    c.orders
        .iter()
        .enumerate()
        .map(|(k, (inst, q, dp))| {
            let base = match dp.rem_euclid(4) {
                0 => mark + edge,
                1 => mark - edge,
                _ => mark,
            };
            let tick = e.spec(*inst).expect("spec").tick;
            let price = base + tick * m(dp / 4, 0) + if dp % 7 == 0 { m(1, 3) } else { m(0, 0) };
            Order {
                instrument: *inst,
                qty: m(*q, 3),
                price: if price > Money::ZERO { price } else { mark },
                ts_ms: k as i64,
            }
        })
        .collect()
}

fn reference_batch(e: &mut RiskEngine, orders: &[Order]) -> Vec<Verdict> {
    e.refresh();
    let mut s = e.aggs.clone();
    orders
        .iter()
        .map(|o| {
            let v = checks::evaluate(&e.state, &s, o, 0);
            if v.approved() {
                s.apply_order(&e.state, o);
            }
            v
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn grid_verdicts_equal_money_verdicts(c in case()) {
        let mut fast = build(&c);
        let mut slow = fast.clone();
        let os = orders(&c, &fast);
        for o in &os {
            let (v, r) = (fast.check(o), slow.check_reference(o));
            prop_assert_eq!(&v, &r, "{:?}", o);
            let text: Vec<String> = v.reasons.iter().map(ToString::to_string).collect();
            let want: Vec<String> = r.reasons.iter().map(ToString::to_string).collect();
            prop_assert_eq!(text, want);
        }
        let mut fast = build(&c);
        let mut slow = fast.clone();
        prop_assert_eq!(fast.check_batch(&os, true), reference_batch(&mut slow, &os));
    }
}

#[test]
fn most_orders_take_the_grid() {
    let c = Case {
        band_bp: 500,
        max_notional: 1_000_000,
        max_pos: 1000,
        max_delta: 5_000_000,
        share_pct: 90,
        conc_min: 1_000_000_000,
        headroom: 0,
        liq_pct: 20,
        im_pct: 10,
        pos: (0, 200_000),
        coll: 100,
        mark: 200_000,
        orders: vec![(0, 1500, 1), (1, -2500, 9), (0, 3, 3)],
    };
    let mut e = build(&c);
    e.refresh();
    let os = orders(&c, &e);
    for o in &os {
        assert!(
            super::fast_check::evaluate(&e.state, &e.fast, o, 0).is_some(),
            "{o:?}"
        );
    }
}

#[test]
fn ordinary_orders_are_within_the_bounds() {
    let c = Case {
        band_bp: 500,
        max_notional: 1_000_000,
        max_pos: 1000,
        max_delta: 5_000_000,
        share_pct: 90,
        conc_min: 1_000_000_000,
        headroom: 0,
        liq_pct: 20,
        im_pct: 10,
        pos: (0, 200_000),
        coll: 100,
        mark: 200_000,
        orders: vec![],
    };
    let mut e = build(&c);
    e.refresh();
    assert!(e.fast.bounded);
    for fi in e.fast.insts.iter().flatten() {
        // 10^6 contracts at 8x the mark fit with room to spare.
        assert!(fi.q_max >= 1_000_000 * 10_i128.pow(fi.sq), "{fi:?}");
        assert!(fi.p_max >= 8 * 2_000 * 10_i128.pow(fi.sp), "{fi:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Sizes and prices across many magnitudes, so orders fall on both sides of the
    /// bounds under which the grid check runs unguarded (a debug build asserts that no
    /// unguarded product leaves the range the guards allow).
    #[test]
    fn unguarded_checks_agree_at_every_magnitude(
        c in case(),
        raw in prop::collection::vec(
            (0..3_usize, -60_000..60_000_i64, 0..22_u32, 1..400_000_i64, 0..12_u32),
            1..20,
        ),
    ) {
        let mut fast = build(&c);
        let mut slow = fast.clone();
        for (k, (inst, q, qp, p, pp)) in raw.into_iter().enumerate() {
            let o = Order {
                instrument: inst,
                qty: m(q, 3) * Money::from(10_i64.pow(qp.min(18))),
                price: m(p, 2) * Money::from(10_i64.pow(pp)),
                ts_ms: k as i64,
            };
            let (v, r) = (fast.check(&o), slow.check_reference(&o));
            prop_assert_eq!(&v, &r, "{:?}", o);
        }
    }
}
