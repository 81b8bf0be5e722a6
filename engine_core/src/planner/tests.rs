//! Worked vectors for the planner (SPEC §5 pricing vector, venue caps, inverse sizing,
//! lots, minimum sizes, carry) and its refusals.

use super::*;
use crate::decimal::Fixed;

pub(super) fn d(s: &str) -> Money {
    crate::contracts::money(s).expect(s)
}

/// Depth from decimal text, at the finest scale the levels need.
pub(super) fn depth(levels: &[(&str, &str)]) -> Depth {
    let parsed: Vec<(Fixed, Fixed)> = levels
        .iter()
        .map(|(p, q)| (Fixed::parse(p).expect(p), Fixed::parse(q).expect(q)))
        .collect();
    let ps = parsed.iter().map(|l| l.0.scale).max().unwrap_or(0);
    let qs = parsed.iter().map(|l| l.1.scale).max().unwrap_or(0);
    Depth {
        px_scale: ps,
        sz_scale: qs,
        levels: parsed
            .iter()
            .map(|(p, q)| (p.at_scale(ps).expect("px"), q.at_scale(qs).expect("qty")))
            .collect(),
    }
}

pub(super) fn linear(venue: &str, symbol: &str, fee: &str, levels: &[(&str, &str)]) -> Candidate {
    Candidate {
        venue: venue.into(),
        symbol: symbol.into(),
        payoff: Payoff::Linear,
        multiplier: d("1"),
        lot: d("0.001"),
        min_qty: d("0"),
        max_qty: None,
        tick: d("0.1"),
        taker_fee: d(fee),
        maker_fee: d("0"),
        carry: Carry::None,
        position_coins: d("0"),
        healthy: true,
        depth: depth(levels),
    }
}

pub(super) fn venue(name: &str) -> VenueLimit {
    VenueLimit {
        venue: name.into(),
        current_coins: d("0"),
        max_share: d("1"),
        headroom_usd: None,
        healthy: true,
    }
}

pub(super) fn request(
    side: HedgeSide,
    target: &str,
    r: &str,
    cands: Vec<Candidate>,
) -> PlanRequest {
    let mut names: Vec<String> = cands.iter().map(|c| c.venue.clone()).collect();
    names.sort();
    names.dedup();
    PlanRequest {
        asset: "ETH".into(),
        side,
        target_coins: d(target),
        ref_price: d(r),
        horizon_min: 0,
        venues: names.iter().map(|n| venue(n)).collect(),
        candidates: cands,
    }
}

fn leg<'a>(p: &'a Plan, symbol: &str) -> &'a Leg {
    p.legs.iter().find(|l| l.symbol == symbol).expect(symbol)
}

#[test]
fn spec_pricing_vector() {
    // SPEC §5: 100 ETH into bids 60 @ 3,000.0 and 40 @ 2,999.0, fee 2 bp.
    let c = linear(
        "binance",
        "ETHUSDT",
        "0.0002",
        &[("3000.0", "60"), ("2999.0", "40")],
    );
    let p = plan(&request(HedgeSide::Sell, "100", "3000", vec![c])).expect("ok");
    let l = &p.legs[0];
    assert_eq!(l.qty, d("100"));
    assert_eq!(l.vwap, d("2999.6"));
    assert_eq!(l.gross, d("299960"));
    assert_eq!(l.fee, d("59.992"));
    assert_eq!(l.worst_px, d("2999"));
    assert_eq!(l.levels, 2);
    assert_eq!(p.cost, d("99.992")); // 300,000 - 299,960 + 59.992
    assert_eq!(p.residual_coins, d("0"));
    assert_eq!(p.shortfall, None);
    // The pricing actor's mint quote from the same plan: spread 1 bp, gas $10.
    let usde = p.gross - p.fee - p.gross * d("0.0001") - d("10");
    assert_eq!(usde, d("299860.012"));
}

#[test]
fn cheapest_levels_first_across_venues() {
    let a = linear("a", "A", "0", &[("3000", "10"), ("2990", "10")]);
    let b = linear("b", "B", "0", &[("2995", "10")]);
    let p = plan(&request(HedgeSide::Sell, "15", "3000", vec![a, b])).expect("ok");
    assert_eq!(leg(&p, "A").qty, d("10"));
    assert_eq!(leg(&p, "B").qty, d("5"));
    assert_eq!(p.gross, d("44975"));
    assert_eq!(p.cost, d("25"));
    assert_eq!(p.vwap, Some(d("2998.333333333333333333")));
}

#[test]
fn a_fee_moves_the_split() {
    // Same bids; A charges 10 bp, so B's 2,999 x 0.9998 beats A's 3,000 x 0.999.
    let a = linear("a", "A", "0.001", &[("3000", "10")]);
    let b = linear("b", "B", "0.0002", &[("2999", "10")]);
    let p = plan(&request(HedgeSide::Sell, "10", "3000", vec![a, b])).expect("ok");
    assert_eq!(p.legs.len(), 1);
    assert_eq!(p.legs[0].symbol, "B");
}

#[test]
fn concentration_and_headroom_cap_a_venue() {
    let a = linear("a", "A", "0", &[("3000", "100")]);
    let b = linear("b", "B", "0", &[("2990", "100")]);
    let mut req = request(HedgeSide::Sell, "10", "3000", vec![a, b]);
    // a already holds 2 of the 2 hedged: total after = 12, a may hold 50 % = 6 -> 4 more.
    req.venues[0].current_coins = d("2");
    req.venues[0].max_share = d("0.5");
    let p = plan(&req).expect("ok");
    assert_eq!(leg(&p, "A").qty, d("4"));
    assert_eq!(leg(&p, "B").qty, d("6"));
    assert!(p
        .stops
        .contains(&("a".into(), "A".into(), Stop::Concentration)));
    // Headroom of $6,000 at R = 3,000 is 2 coins.
    req.venues[0].max_share = d("1");
    req.venues[0].headroom_usd = Some(d("6000"));
    let p = plan(&req).expect("ok");
    assert_eq!(leg(&p, "A").qty, d("2"));
    assert!(p.stops.contains(&("a".into(), "A".into(), Stop::Headroom)));
}

#[test]
fn inverse_sized_by_coin_delta_at_the_reference_price() {
    let mut c = linear("d", "ETH-PERPETUAL", "0", &[("2000.5", "100000")]);
    c.payoff = Payoff::Inverse;
    c.multiplier = d("10");
    c.lot = d("1");
    c.tick = d("0.05");
    // 3 coins at R = 2,000: 3 x 2,000 / 10 = 600 contracts.
    let p = plan(&request(HedgeSide::Sell, "3", "2000", vec![c])).expect("ok");
    let l = &p.legs[0];
    assert_eq!(l.qty, d("600"));
    assert_eq!(l.coins, d("3"));
    assert_eq!(l.ref_notional, d("6000"));
    assert_eq!(l.gross, d("6001.5")); // 3 coins x 2,000.5
    assert_eq!(l.cost, d("-1.5"));
    // At R = 3,000, one $10 contract is 1/300 coin: 1 coin -> 300 contracts, and the
    // coin figures round at 18 decimals.
    let mut c2 = p_clone_inverse(&l.symbol);
    c2.depth = depth(&[("3000", "1000")]);
    let p = plan(&request(HedgeSide::Sell, "0.5", "3000", vec![c2])).expect("ok");
    assert_eq!(p.legs[0].qty, d("150"));
    assert_eq!(p.legs[0].coins, d("0.5"));
}

fn p_clone_inverse(symbol: &str) -> Candidate {
    let mut c = linear("d", symbol, "0", &[]);
    c.payoff = Payoff::Inverse;
    c.multiplier = d("10");
    c.lot = d("1");
    c
}

#[test]
fn lots_round_down_and_the_remainder_is_explained() {
    let mut c = linear("a", "A", "0", &[("3000", "100")]);
    c.lot = d("0.1");
    let p = plan(&request(HedgeSide::Sell, "1.05", "3000", vec![c])).expect("ok");
    assert_eq!(p.legs[0].qty, d("1"));
    assert_eq!(p.residual_coins, d("0.05"));
    assert_eq!(p.shortfall, Some(Shortfall::Lot));
    assert_eq!(p.filled_coins + p.residual_coins, p.target_coins);
}

#[test]
fn a_lot_straddling_two_levels_is_costed_exactly() {
    let mut c = linear("a", "A", "0", &[("3000", "0.15"), ("2999", "1")]);
    c.lot = d("0.1");
    let p = plan(&request(HedgeSide::Sell, "0.3", "3000", vec![c])).expect("ok");
    // 0.15 @ 3,000 + 0.15 @ 2,999.
    assert_eq!(p.legs[0].gross, d("899.85"));
    assert_eq!(p.legs[0].levels, 2);
}

#[test]
fn a_leg_below_min_size_is_dropped_and_the_rest_redistributed() {
    let mut a = linear("a", "A", "0", &[("3000", "0.5")]);
    a.min_qty = d("1");
    let b = linear("b", "B", "0", &[("2999", "10")]);
    let p = plan(&request(HedgeSide::Sell, "2", "3000", vec![a, b])).expect("ok");
    assert_eq!(p.legs.len(), 1);
    assert_eq!(leg(&p, "B").qty, d("2"));
    assert!(p.stops.contains(&("a".into(), "A".into(), Stop::MinSize)));
    assert_eq!(p.shortfall, None);
}

#[test]
fn buy_back_never_exceeds_the_short_held() {
    let mut a = linear("a", "A", "0.0005", &[("3001", "10"), ("3002", "10")]);
    a.position_coins = d("3");
    let mut b = linear("b", "B", "0.0005", &[("3003", "10")]);
    b.position_coins = d("10");
    let mut req = request(HedgeSide::Buy, "5", "3000", vec![a, b]);
    req.venues[0].current_coins = d("3");
    req.venues[1].current_coins = d("10");
    let p = plan(&req).expect("ok");
    assert_eq!(leg(&p, "A").qty, d("3"));
    assert_eq!(leg(&p, "B").qty, d("2"));
    assert_eq!(leg(&p, "A").side, HedgeSide::Buy);
    // cost = gross + fee - ref: 3 x 3,001 + 2 x 3,003 = 15,009; fee 7.5045; ref 15,000.
    assert_eq!(p.cost, d("16.5045"));
    // Levels must be best first: asks ascending for a buy.
    let mut bad = linear("a", "A", "0", &[("3002", "1"), ("3001", "1")]);
    bad.position_coins = d("3");
    let r = plan(&request(HedgeSide::Buy, "1", "3000", vec![bad]));
    assert!(matches!(r, Err(PlanError::Invalid { name: "depth", .. })));
}

#[test]
fn funding_and_basis_carry_enter_the_effective_price() {
    // A pays shorts 0.01 % per 8 h at R = 3,000: over 24 h, 3 x 0.3 = $0.9 per coin,
    // which beats a $0.5 better bid on B.
    let mut a = linear("a", "A", "0", &[("3000", "10")]);
    a.carry = Carry::Funding {
        rate: d("0.0001"),
        interval_min: 480,
    };
    let b = linear("b", "B", "0", &[("3000.5", "10")]);
    let mut req = request(HedgeSide::Sell, "1", "3000", vec![a.clone(), b.clone()]);
    req.horizon_min = 1440;
    let p = plan(&req).expect("ok");
    assert_eq!(p.legs[0].symbol, "A");
    assert_eq!(p.legs[0].carry, d("0.9"));
    assert_eq!(p.cost, d("-0.9"));
    // A future 30 USD over spot with 60 of 90 days left at the horizon gives back 20.
    let mut f = linear("c", "F", "0", &[("3030", "10")]);
    f.carry = Carry::Basis {
        basis: d("30"),
        minutes_to_expiry: 90 * 1440,
    };
    let mut req = request(HedgeSide::Sell, "1", "3000", vec![f, b]);
    req.horizon_min = 30 * 1440;
    let p = plan(&req).expect("ok");
    assert_eq!(p.legs[0].symbol, "F");
    assert_eq!(p.legs[0].carry, d("-20"));
    assert_eq!(p.cost, d("-10"));
}

#[test]
fn unhealthy_instruments_and_venues_are_excluded() {
    let mut a = linear("a", "A", "0", &[("3000", "10")]);
    a.healthy = false;
    let b = linear("b", "B", "0", &[("2999", "10")]);
    let mut req = request(HedgeSide::Sell, "1", "3000", vec![a, b]);
    let p = plan(&req).expect("ok");
    assert_eq!(p.legs[0].symbol, "B");
    req.venues[1].healthy = false;
    let p = plan(&req).expect("ok");
    assert!(p.legs.is_empty());
    assert_eq!(p.shortfall, Some(Shortfall::NoCandidates));
    assert_eq!(p.residual_coins, d("1"));
    assert_eq!(p.vwap, None);
}

#[test]
fn same_plan_for_any_candidate_order_and_ties_by_venue_then_symbol() {
    let a = linear("a", "A", "0", &[("3000", "1")]);
    let b = linear("b", "B", "0", &[("3000", "1")]);
    let c = linear("a", "C", "0", &[("3000", "1")]);
    let one = plan(&request(
        HedgeSide::Sell,
        "1.5",
        "3000",
        vec![a.clone(), b.clone(), c.clone()],
    ))
    .expect("ok");
    let two = plan(&request(HedgeSide::Sell, "1.5", "3000", vec![c, b, a])).expect("ok");
    assert_eq!(one, two);
    assert_eq!(leg(&one, "A").qty, d("1"));
    assert_eq!(leg(&one, "C").qty, d("0.5"));
    assert_eq!(one.legs.len(), 2);
}

#[test]
fn refusals_are_typed() {
    let ok = linear("a", "A", "0", &[("3000", "1")]);
    let mut req = request(HedgeSide::Sell, "-1", "3000", vec![ok.clone()]);
    assert!(matches!(
        plan(&req),
        Err(PlanError::Invalid {
            name: "target_coins",
            ..
        })
    ));
    req.target_coins = d("1");
    req.ref_price = d("0");
    assert!(matches!(
        plan(&req),
        Err(PlanError::Invalid {
            name: "ref_price",
            ..
        })
    ));
    req.ref_price = d("3000");
    req.venues.clear();
    assert!(matches!(
        plan(&req),
        Err(PlanError::Invalid { name: "venue", .. })
    ));
    let mut off = ok.clone();
    off.depth = depth(&[("3000.05", "1")]);
    let r = plan(&request(HedgeSide::Sell, "1", "3000", vec![off]));
    assert!(
        matches!(r, Err(PlanError::Invalid { name: "depth", .. })),
        "{r:?}"
    );
    let r = plan(&request(
        HedgeSide::Sell,
        "1",
        "3000",
        vec![ok.clone(), ok.clone()],
    ));
    assert!(matches!(
        r,
        Err(PlanError::Invalid {
            name: "candidates",
            ..
        })
    ));
    let mut zero_lot = ok;
    zero_lot.lot = d("0");
    let r = plan(&request(HedgeSide::Sell, "1", "3000", vec![zero_lot]));
    assert!(matches!(r, Err(PlanError::Invalid { name: "lot", .. })));
}

#[test]
fn depth_from_a_book_keeps_its_scales() {
    let mut b = Book::with_scales(1, 3);
    b.apply_text(Side::Bid, "3000.0", "1.500").expect("ok");
    b.apply_text(Side::Bid, "2999.5", "2").expect("ok");
    let dep = Depth::from_book(&b, Side::Bid, 10);
    assert_eq!(dep.levels, vec![(30_000, 1_500), (29_995, 2_000)]);
    let mut c = linear("a", "A", "0", &[]);
    c.depth = dep;
    let p = plan(&request(HedgeSide::Sell, "2", "3000", vec![c])).expect("ok");
    assert_eq!(p.legs[0].gross, d("5999.75"));
}

#[test]
fn max_order_size_and_depth_shortfalls_are_named() {
    let mut a = linear("a", "A", "0.0004", &[("3000", "5")]);
    a.max_qty = Some(d("2"));
    a.maker_fee = d("-0.0001");
    let b = linear("b", "B", "0", &[("2990", "1")]);
    let p = plan(&request(HedgeSide::Sell, "10", "3000", vec![a, b])).expect("ok");
    assert_eq!(leg(&p, "A").qty, d("2"));
    assert_eq!(leg(&p, "A").fee, d("2.4"));
    assert_eq!(leg(&p, "A").maker_fee, d("-0.6"));
    assert_eq!(leg(&p, "B").qty, d("1"));
    assert_eq!(p.residual_coins, d("7"));
    assert_eq!(p.shortfall, Some(Shortfall::Limits));
    assert_eq!(
        p.stops,
        vec![
            ("a".into(), "A".into(), Stop::MaxQty),
            ("b".into(), "B".into(), Stop::Depth)
        ]
    );
    let c = linear("c", "C", "0", &[("3000", "1")]);
    let p = plan(&request(HedgeSide::Sell, "2", "3000", vec![c])).expect("ok");
    assert_eq!(p.shortfall, Some(Shortfall::Depth));
}
