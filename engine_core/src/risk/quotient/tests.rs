//! The fast quotient against the reference, and the reference's own rounding.

use super::*;
use proptest::prelude::*;

#[test]
fn k_table_matches_integer_logs() {
    for t in T_MIN..T_MIN + 128 {
        // floor(log10 2^t): ilog10 for t >= 0; for t < 0, -(ilog10(2^-t) + 1), since
        // 2^-t is never a power of ten.
        let want = if t >= 0 {
            (1_u128 << t).ilog10() as i32
        } else {
            -((1_u128 << -t).ilog10() as i32) - 1
        };
        assert_eq!(log10_pow2(t), want, "t = {t}");
    }
    for (k, p) in P10F.iter().enumerate() {
        assert_eq!(*p, format!("1e{k}").parse::<f64>().expect("f64"));
    }
    for (k, p) in P10W.iter().enumerate() {
        if k <= 38 {
            assert_eq!(*p, 10_u128.pow(k as u32));
        }
    }
}

/// Fast path and reference, on one input; true if the fast path decided it.
fn check(n: i64, d: i64, scale: i32) -> bool {
    let want = round28(i128::from(n), i128::from(d), scale);
    assert_eq!(
        div28(i128::from(n), i128::from(d), scale),
        want,
        "{n} / {d}"
    );
    let got = fast(n, d).map(|x| Exact {
        mant: x.mant,
        scale: scale + x.scale,
    });
    if got.is_some() {
        assert_eq!(got, want, "fast {n} / {d}");
    }
    got.is_some()
}

#[test]
fn edge_cases_agree_with_the_reference() {
    let mut decided = 0;
    let mut total = 0;
    let mut run = |n: i64, d: i64| {
        for n in [n, -n] {
            total += 1;
            decided += usize::from(check(n, d, 5));
        }
    };
    // Limits of the fast path's range, and just outside it (falls back).
    let lim = D_LIMIT as i64;
    for n in [1, 2, 3, 7, i64::MAX, i64::MAX - 1, 1 << 62, (1 << 53) + 1] {
        for d in [1, 2, 3, 7, 10, lim - 1, lim, lim + 1, (1 << 53) - 1] {
            run(n, d);
        }
    }
    run(i64::MIN + 1, 1);
    check(i64::MIN, 3, 0);
    check(0, 3, 0);
    check(5, 0, 0);
    check(5, -3, 0);
    // Exact quotients (remainder 0: the f64 floor may land one off), and quotients
    // with exactly 28 digits (k = 0 is out of reach: n < 2^63 < 10^27 d).
    for d in [1_i64, 3, 7, 250_000, 123_456_789, lim - 1] {
        for v in [1_i64, 2, 10, 999, 1_000_000_007] {
            if let Some(n) = d.checked_mul(v) {
                run(n, d);
                run(n + 1, d);
                run(n - 1, d);
            }
        }
    }
    // Quotients at and next to powers of ten, where step 1 may pick k one off.
    for j in 0..19 {
        let p = 10_i64.pow(j);
        for d in [1_i64, 2, 3, 9, 11, 99_999, 1_000_003, lim - 1] {
            for n in [p, p - 1, p + 1] {
                run(n, d);
                if let Some(n) = p.checked_mul(d) {
                    run(n - 1, d);
                    run(n + 1, d);
                }
            }
        }
        run(1, p);
        run(3, p);
        run(p - 1, p);
    }
    // Ties at the 29th digit: a / 2^m = a 5^m / 10^m has 29 digits ending in 5.
    for m in 1..=52_u32 {
        let five = 5_u128.pow(m);
        // The smallest odd a with a 5^m >= 10^28, and a few after it.
        let mut a = 10_u128.pow(28).div_ceil(five) | 1;
        for _ in 0..4 {
            if a * five >= 10_u128.pow(29) || a >= 1 << 63 {
                break;
            }
            run(a as i64, 1 << m);
            run(a as i64 + 1, 1 << m);
            a += 2;
        }
    }
    // Outside the fast range, through `div28`: k = 0 (28 integer digits already), k < 0,
    // and a tie that rounds up to 10^28 (29 digits, as the reference gives it). The
    // fast range never rounds up to 10^28: that needs a 10^k / d in
    // [10^28 - 1/2, 10^28), so the nonzero integer d 10^m - a (m = 28 - k >= 0) or
    // d - a 10^-m (m < 0) is at most 5e-29 of d 10^m or of d, which would then be over
    // 2e28: past a < 2^63 or d < 2^52.
    let e28 = 10_i128.pow(28);
    for (n, d) in [
        (10_i128.pow(27), 1),
        (-(10_i128.pow(27)) - 1, 1),
        (10_i128.pow(30) + 5, 3),
        (2 * e28 - 1, 2),
        (-(2 * e28) + 1, 2),
    ] {
        assert_eq!(div28(n, d, 2), round28(n, d, 2), "{n} / {d}");
    }
    assert_eq!(div28(2 * e28 - 1, 2, 0).map(|x| x.mant), Some(e28));
    // Most of these, though many sit on purpose near powers of ten, which the fast
    // path leaves to the reference.
    assert!(decided * 3 > total * 2, "{decided} of {total}");
}

#[test]
fn ties_round_to_even() {
    // 3 / 2^40 = 3 x 5^40 / 10^40 = 2.7284841053187847...5 (29 digits, last 5).
    let v = 3 * 5_u128.pow(40);
    assert_eq!(v.ilog10(), 28);
    let even = (v / 10) as i128 + (v / 10 % 2) as i128;
    assert!(fast(3, 1 << 40).is_some());
    assert_eq!(div28(3, 1 << 40, 0).map(|x| x.mant), Some(even));
    assert_eq!(round28(3, 1 << 40, 0).map(|x| x.mant), Some(even));
}

/// `1 <= n < 2^63`, log-uniform, with a sign.
fn numerator() -> impl Strategy<Value = i64> {
    (0_u32..63, any::<u64>(), any::<bool>()).prop_map(|(bits, r, neg)| {
        let v = ((r >> (64 - bits.max(1))) | (1 << bits)) as i64;
        let v = if bits == 0 { 1 } else { v & i64::MAX };
        if neg {
            -v
        } else {
            v
        }
    })
}

/// `1 <= d < 2^53`, log-uniform (the fast path takes up to 2^52).
fn divisor() -> impl Strategy<Value = i64> {
    (0_u32..53, any::<u64>())
        .prop_map(|(bits, r)| ((r >> (63 - bits.max(1))) as i64 & ((1 << bits) - 1)) | (1 << bits))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    #[test]
    fn fast_path_equals_reference(n in numerator(), d in divisor(), scale in -4_i32..30) {
        // Across the whole fast range and past it (d up to 2^53), plus exact quotients
        // (remainder 0, where the f64 estimate of step 4 lands either side).
        check(n, d, scale);
        let exact = (n / d).checked_mul(d).filter(|v| *v != 0);
        if let Some(e) = exact {
            check(e, d, scale);
        }
    }

    #[test]
    fn uniform_operands(n in any::<i64>(), d in 1_i64..D_LIMIT as i64) {
        check(n, d, 0);
    }

    #[test]
    fn out_of_range_falls_back(n in any::<i128>(), d in any::<i128>(), scale in -4_i32..30) {
        prop_assert_eq!(div28(n, d, scale), round28(n, d, scale));
        let d = d.unsigned_abs() as i128 >> 70;
        prop_assert_eq!(div28(n >> 60, d, scale), round28(n >> 60, d, scale));
    }
}

/// A batch (with and without `rcp`) against the one-at-a-time path: it is true iff
/// the fast path decides every quotient, and then each result is the reference's.
fn check_batch(nd: &[(i64, i64)], scale: i32) {
    let n: [i64; BATCH] = std::array::from_fn(|j| nd[j].0);
    let d: [i64; BATCH] = std::array::from_fn(|j| nd[j].1);
    let rcp = d.map(|d| 1.0 / d as f64);
    let sc = [scale; BATCH];
    // Written in reverse order into a longer slice, which must keep its other entries.
    let idx: [u32; BATCH] = std::array::from_fn(|j| (2 * BATCH - 1 - 2 * j) as u32);
    let mark = Exact { mant: 7, scale: 7 };
    let decided = (0..BATCH).all(|j| fast(n[j], d[j]).is_some());
    for with_rcp in [false, true] {
        let mut out = vec![mark; 2 * BATCH];
        let ok = if with_rcp {
            div28_batch::<true>(&n, &d, &rcp, &sc, &idx, &mut out)
        } else {
            div28_batch::<false>(&n, &d, &[0.0; BATCH], &sc, &idx, &mut out)
        };
        assert_eq!(ok, decided, "{nd:?}");
        for j in 0..BATCH {
            let want = round28(i128::from(n[j]), i128::from(d[j]), scale);
            if ok {
                assert_eq!(Some(out[idx[j] as usize]), want, "{} / {}", n[j], d[j]);
            }
            assert_eq!(out[2 * j], mark);
        }
    }
}

#[test]
fn batch_edges() {
    let lim = D_LIMIT as i64;
    let usual: Vec<(i64, i64)> = (1..=BATCH as i64)
        .map(|j| (j * 1_234_567 - 9_000_000, 150_000 + 7_919 * j))
        .collect();
    check_batch(&usual, 3);
    // Each special value in turn makes the batch fall back.
    for bad in [
        (0, 5),
        (i64::MIN, 5),
        (5, 0),
        (5, -3),
        (5, lim),
        (3, 3),
        (10_i64.pow(12), 1),
    ] {
        for at in [0, 7, BATCH - 1] {
            let mut nd = usual.clone();
            nd[at] = bad;
            check_batch(&nd, 3);
        }
    }
    // Ties, exact quotients and the range's ends in one batch.
    let mixed = [
        (3, 1 << 40),
        (-3, 1 << 40),
        (250_000 * 17, 250_000),
        (i64::MAX, lim - 1),
        (-i64::MAX, 1),
        (1, lim - 1),
        (1, 3),
        (-2, 3),
        (10_i64.pow(18) + 1, 7),
        (999_999_999, 1_000_000_007),
        (123_456_789_012, 98_765),
        (-5, 8),
        (1 << 51, (1 << 51) + 1),
        ((1 << 62) + 12_345, 1 << 33),
        (77, 4_503_599_627_370_495),
        (-(1 << 52) + 1, 3),
    ];
    check_batch(&mixed, -2);
    // A zero numerator (the mark at the entry) is left to the reference, which
    // answers it at once; the caller keeps zeros out of its batches.
    let mut zeros = mixed;
    zeros[3] = (0, 1);
    zeros[9] = (0, lim - 1);
    check_batch(&zeros, 4);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn batches_equal_the_reference(
        nd in proptest::collection::vec((numerator(), divisor()), BATCH),
        exact in proptest::collection::vec(any::<bool>(), BATCH),
        scale in -4_i32..30,
    ) {
        // Some quotients exact (n a multiple of d), so step 4 lands either side.
        let nd: Vec<(i64, i64)> = nd
            .iter()
            .zip(&exact)
            .map(|(&(n, d), e)| match (n / d).checked_mul(d) {
                // Now and then a zero numerator, which sends the batch to the reference.
                _ if n % 211 == 0 => (0, d),
                Some(m) if *e && m != 0 => (m, d),
                _ => (n, d),
            })
            .collect();
        check_batch(&nd, scale);
    }

    #[test]
    fn usual_batches_take_the_fast_path(
        nd in proptest::collection::vec((numerator(), 1_i64..D_LIMIT as i64), BATCH),
    ) {
        // Random operands are near a power of ten (1e-12) about never: the batch must
        // decide them all.
        let n: [i64; BATCH] = std::array::from_fn(|j| nd[j].0);
        let d: [i64; BATCH] = std::array::from_fn(|j| nd[j].1);
        let idx: [u32; BATCH] = std::array::from_fn(|j| j as u32);
        let mut out = [Exact::default(); BATCH];
        prop_assert!(div28_batch::<false>(&n, &d, &[0.0; BATCH], &[0; BATCH], &idx, &mut out));
    }
}

#[test]
fn rounds_half_even_to_28_digits() {
    let third = round28(1, 3, 0).expect("1/3");
    assert_eq!(third.mant, 3_333_333_333_333_333_333_333_333_333);
    assert_eq!(third.scale, 28);
    let two_thirds = round28(-2, 3, 0).expect("-2/3");
    assert_eq!(two_thirds.mant, -6_666_666_666_666_666_666_666_666_667);
    assert_eq!(round28(1, 4, 0).expect("1/4").mant % 10_i128.pow(20), 0);
    // A half at the 29th digit: ties go to even.
    let tie = round28(10_i128.pow(27) * 2 + 1, 2, 0).expect("tie");
    assert_eq!(tie.mant, 10_i128.pow(27));
    let up = round28(10_i128.pow(27) * 2 + 3, 2, 0).expect("up");
    assert_eq!(up.mant, 10_i128.pow(27) + 2);
    let big = round28(10_i128.pow(29) + 15, 1, 0).expect("big");
    assert_eq!((big.mant, big.scale), (10_i128.pow(27), -2));
    let big = round28(10_i128.pow(29) + 150, 1, 0).expect("tie up");
    assert_eq!((big.mant, big.scale), (10_i128.pow(27) + 2, -2));
}
