use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;

fn f(s: &str) -> Fixed {
    Fixed::parse(s).expect(s)
}

fn book_from(bids: &[(&str, &str)], asks: &[(&str, &str)]) -> Book {
    let mut b = Book::new();
    for (p, s) in bids {
        b.apply_text(Side::Bid, p, s).expect("bid");
    }
    for (p, s) in asks {
        b.apply_text(Side::Ask, p, s).expect("ask");
    }
    b
}

#[test]
fn orders_sides_best_first_and_deletes_on_zero() {
    let mut b = book_from(
        &[("100.0", "1"), ("101.5", "2"), ("99", "3")],
        &[("102", "1"), ("103.25", "4")],
    );
    let bids: Vec<String> = b.levels(Side::Bid).map(|l| b.px_text(l)).collect();
    assert_eq!(bids, ["101.5", "100.0", "99"]);
    assert_eq!(b.best(Side::Ask).map(|l| b.px_text(l)), Some("102".into()));
    b.apply_text(Side::Bid, "101.50", "0").expect("delete");
    assert_eq!(
        b.best(Side::Bid).map(|l| b.px_text(l)),
        Some("100.0".into())
    );
    b.apply_text(Side::Ask, "200", "0")
        .expect("absent delete is fine");
    assert_eq!(b.len(Side::Ask), 2);
}

#[test]
fn keeps_written_text_for_checksums() {
    let b = book_from(&[("0.0100", "1.000")], &[("0.02", "5")]);
    let l = b.best(Side::Bid).expect("bid");
    assert_eq!(
        (b.px_text(l), b.sz_text(l)),
        ("0.0100".into(), "1.000".into())
    );
}

#[test]
fn grows_scale_exactly_when_finer_values_arrive() {
    let mut b = book_from(&[("100", "1")], &[("101", "1")]);
    assert_eq!(b.px_scale(), 0);
    b.apply_text(Side::Bid, "100.25", "2.5").expect("finer");
    assert_eq!(b.px_scale(), 2);
    assert_eq!(b.sz_scale(), 1);
    let px: Vec<i64> = b.levels(Side::Bid).map(|l| l.px).collect();
    assert_eq!(px, [10_025, 10_000]);
}

#[test]
fn rejects_bad_levels_and_leaves_book_unchanged() {
    let mut b = book_from(&[("100", "1")], &[("101", "1")]);
    let before = (b.len(Side::Bid), b.len(Side::Ask));
    assert!(matches!(
        b.apply_text(Side::Bid, "0", "1"),
        Err(BookError::NonPositivePrice(_))
    ));
    assert!(matches!(
        b.apply_text(Side::Bid, "100", "-1"),
        Err(BookError::NegativeSize(_))
    ));
    assert!(matches!(
        b.apply_text(Side::Bid, "abc", "1"),
        Err(BookError::Decimal(_))
    ));
    // The largest integer is reserved by the sides; refused, not stored.
    assert!(matches!(
        b.apply(Side::Ask, Fixed::new(i64::MAX, 0), Fixed::new(1, 0)),
        Err(BookError::OutOfRange(_))
    ));
    assert_eq!((b.len(Side::Bid), b.len(Side::Ask)), before);
}

#[test]
fn detects_crossed_and_locked() {
    let mut b = book_from(&[("100", "1")], &[("101", "1")]);
    assert_eq!(b.cross(), Cross::Normal);
    b.apply_text(Side::Bid, "101", "1").expect("lock");
    assert_eq!(b.cross(), Cross::Locked);
    b.apply_text(Side::Bid, "102", "1").expect("cross");
    assert_eq!(b.cross(), Cross::Crossed);
}

#[test]
fn sweep_matches_spec_pricing_vector() {
    // docs/pricing.md#vector: 100 ETH into bids 60 @ 3,000.0 and 40 @ 2,999.0 -> VWAP 2,999.60.
    let b = book_from(
        &[("3000.0", "60"), ("2999.0", "40"), ("2998.0", "500")],
        &[],
    );
    // Scales grow only as far as the values need: "3000.0" is stored at 0 decimals.
    let s = b.sweep(Side::Bid, 100);
    assert_eq!(s.filled, 100);
    assert_eq!(s.levels, 2);
    assert_eq!(s.worst_px.map(|p| b.px_fixed(p)), Some(f("2999")));
    let scale = b.px_scale() + b.sz_scale();
    assert_eq!(crate::decimal::format_fixed(s.notional, scale), "299960");
    // VWAP = 299,960 / 100 = 2,999.60
    assert_eq!(s.notional * 100 / i128::from(s.filled), 299_960);
    let short = b.sweep(Side::Ask, 5);
    assert_eq!(short.filled, 0);
}

#[test]
fn mid_and_depth_within_bps() {
    let b = book_from(
        &[("100.0", "1"), ("99.9", "2"), ("99.0", "4")],
        &[("100.1", "1"), ("100.2", "2"), ("101.0", "8")],
    );
    assert_eq!(b.mid(), Some(f("100.05")));
    // 20 bps of 100.05 = 0.2001: bids >= 99.8499, asks <= 100.2501.
    assert_eq!(b.depth_within_bps(Side::Bid, 20).0, 3);
    assert_eq!(b.depth_within_bps(Side::Ask, 20).0, 3);
    assert_eq!(b.depth_within_bps(Side::Ask, 10_000).0, 11);
}

#[test]
fn snapshot_load_sorts_and_skips_zeros() {
    let mut b = Book::new();
    let lv = |v: &[(&str, &str)]| v.iter().map(|(p, s)| (f(p), f(s))).collect::<Vec<_>>();
    b.load_side(
        Side::Ask,
        lv(&[("5", "1"), ("3", "1"), ("4", "0"), ("3", "2")]),
    )
    .expect("ok");
    let asks: Vec<(i64, i64)> = b.levels(Side::Ask).map(|l| (l.px, l.sz)).collect();
    assert_eq!(asks, [(3, 2), (5, 1)]);
}

#[test]
fn five_thousand_levels_stay_small() {
    let mut b = Book::with_scales(1, 3);
    for i in 1..=5_000i64 {
        b.apply(Side::Bid, Fixed::new(i * 10, 1), Fixed::new(1_000, 3))
            .expect("bid");
        b.apply(
            Side::Ask,
            Fixed::new(100_000 + i * 10, 1),
            Fixed::new(1_000, 3),
        )
        .expect("ask");
    }
    // Payload per level is 24 bytes (price + slot); chunks, half to fully used, add
    // under 2x (the Python memory test measures the whole book).
    assert_eq!((b.len(Side::Bid), b.len(Side::Ask)), (5_000, 5_000));
    assert_eq!(std::mem::size_of::<Slot>() + std::mem::size_of::<i64>(), 24);
    assert_eq!(b.best(Side::Bid).map(|l| l.px), Some(50_000));
}

type Model = (BTreeMap<i64, i64>, BTreeMap<i64, i64>);

fn model_apply(m: &mut Model, side: Side, px: i64, sz: i64) {
    let map = match side {
        Side::Bid => &mut m.0,
        Side::Ask => &mut m.1,
    };
    if sz == 0 {
        map.remove(&px);
    } else {
        map.insert(px, sz);
    }
}

fn side_strategy() -> impl Strategy<Value = Side> {
    prop_oneof![Just(Side::Bid), Just(Side::Ask)]
}

proptest! {
    #[test]
    fn book_matches_btreemap_model(
        snapshot in prop::collection::vec((side_strategy(), 1i64..500, 0i64..50), 0..60),
        deltas in prop::collection::vec((side_strategy(), 1i64..500, 0i64..50), 0..400),
    ) {
        let mut book = Book::with_scales(2, 0);
        let mut model: Model = Default::default();
        let bids: Vec<_> = snapshot.iter().filter(|l| l.0 == Side::Bid)
            .map(|l| (Fixed::new(l.1, 2), Fixed::new(l.2, 0))).collect();
        let asks: Vec<_> = snapshot.iter().filter(|l| l.0 == Side::Ask)
            .map(|l| (Fixed::new(l.1, 2), Fixed::new(l.2, 0))).collect();
        book.load_side(Side::Bid, bids).expect("bids");
        book.load_side(Side::Ask, asks).expect("asks");
        for (side, px, sz) in &snapshot {
            model_apply(&mut model, *side, *px, *sz);
        }
        for (side, px, sz) in deltas {
            book.apply(side, Fixed::new(px, 2), Fixed::new(sz, 0)).expect("delta");
            model_apply(&mut model, side, px, sz);
        }
        let got_bids: Vec<(i64, i64)> = book.levels(Side::Bid).map(|l| (l.px, l.sz)).collect();
        let want_bids: Vec<(i64, i64)> = model.0.iter().rev().map(|(p, s)| (*p, *s)).collect();
        let got_asks: Vec<(i64, i64)> = book.levels(Side::Ask).map(|l| (l.px, l.sz)).collect();
        let want_asks: Vec<(i64, i64)> = model.1.iter().map(|(p, s)| (*p, *s)).collect();
        prop_assert_eq!(got_bids, want_bids);
        prop_assert_eq!(got_asks, want_asks);
    }

    #[test]
    fn sweep_conserves_size_and_notional(
        levels in prop::collection::vec((1i64..10_000, 1i64..100), 1..50),
        qty in 0i64..3_000,
    ) {
        let mut book = Book::with_scales(0, 0);
        for (px, sz) in &levels {
            book.apply(Side::Ask, Fixed::new(*px, 0), Fixed::new(*sz, 0)).expect("ask");
        }
        let total: i64 = book.levels(Side::Ask).map(|l| l.sz).sum();
        let s = book.sweep(Side::Ask, qty);
        prop_assert_eq!(s.filled, qty.min(total));
        // Every unit is bought at or below the impact price, at or above the best.
        if s.filled > 0 {
            let best = i128::from(book.best(Side::Ask).expect("ask").px);
            let worst = i128::from(s.worst_px.expect("worst"));
            prop_assert!(s.notional >= best * i128::from(s.filled));
            prop_assert!(s.notional <= worst * i128::from(s.filled));
        }
    }
}

/// A naive sweep of a model side, best first: (filled, notional, worst price, levels).
fn model_sweep(levels: &[(i64, i64)], qty: i64) -> (i64, i128, Option<i64>, usize) {
    let (mut left, mut notional, mut worst, mut n) = (qty, 0i128, None, 0);
    for &(px, sz) in levels {
        if left == 0 {
            break;
        }
        let take = left.min(sz);
        notional += i128::from(take) * i128::from(px);
        left -= take;
        worst = Some(px);
        n += 1;
    }
    (qty - left, notional, worst, n)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Deep sides (dense windows and chunks both in use) under a drifting market, with a
    /// finer price arriving midway (every stored price is rescaled): levels, best prices
    /// and sweeps from either side match a naive model.
    #[test]
    fn deep_book_matches_model_through_drift_and_a_scale_change(
        steps in prop::collection::vec((side_strategy(), -60i64..60, 1i64..3_000, 0i64..6), 500..2_500),
        finer_at in 0usize..2_500,
        qty in 1i64..5_000,
    ) {
        let mut book = Book::with_scales(1, 0);
        let mut model: Model = Default::default();
        let mut mid = 500_000i64;
        let mut scale_up = 1i64;
        for (i, (side, drift, offset, sz)) in steps.into_iter().enumerate() {
            mid += drift;
            let px = match side {
                Side::Bid => mid - offset,
                Side::Ask => mid + offset,
            };
            if i == finer_at {
                // One price with an extra decimal: the book's scale grows by one.
                book.apply(side, Fixed::new(px * 10 + 5, 2), Fixed::new(1, 0)).expect("finer");
                scale_up = 10;
                let m = Model::default();
                let old = std::mem::replace(&mut model, m);
                model.0 = old.0.into_iter().map(|(p, s)| (p * 10, s)).collect();
                model.1 = old.1.into_iter().map(|(p, s)| (p * 10, s)).collect();
                model_apply(&mut model, side, px * 10 + 5, 1);
            }
            book.apply(side, Fixed::new(px, 1), Fixed::new(sz, 0)).expect("delta");
            model_apply(&mut model, side, px * scale_up, sz);
        }
        let want_bids: Vec<(i64, i64)> = model.0.iter().rev().map(|(p, s)| (*p, *s)).collect();
        let want_asks: Vec<(i64, i64)> = model.1.iter().map(|(p, s)| (*p, *s)).collect();
        for (side, want) in [(Side::Bid, &want_bids), (Side::Ask, &want_asks)] {
            let got: Vec<(i64, i64)> = book.levels(side).map(|l| (l.px, l.sz)).collect();
            prop_assert_eq!(&got, want);
            prop_assert_eq!(book.best(side).map(|l| l.px), want.first().map(|l| l.0));
            let s = book.sweep(side, qty);
            let (filled, notional, worst, n) = model_sweep(want, qty);
            prop_assert_eq!((s.filled, s.notional, s.worst_px, s.levels), (filled, notional, worst, n));
        }
    }
}
