//! Integer fixed point for the planner: decimals become i128 mantissas at a chosen scale,
//! and the only rounding is one half-to-even division per output amount, so a
//! plain-integer reimplementation (benches/naive_planner.py) reproduces every digit.

use super::PlanError;
use crate::contracts::Money;

/// Decimals of every rounded output.
pub(super) const OUT_SCALE: u32 = 18;

/// Largest scale the planner works at (10^36 still leaves room in an i128).
pub(super) const MAX_WORK_SCALE: u32 = 36;

const POW10: [i128; 39] = {
    let mut t = [1i128; 39];
    let mut i = 1;
    while i < 39 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// 10^n as i128.
#[inline]
pub(super) fn p10(n: u32) -> Result<i128, PlanError> {
    POW10
        .get(n as usize)
        .copied()
        .ok_or(PlanError::OutOfRange("power of ten"))
}

/// The mantissa of `m` at scale `s` (>= its own scale), exact.
pub(super) fn scaled(m: Money, s: u32, what: &'static str) -> Result<i128, PlanError> {
    let own = m.scale();
    if s < own {
        return Err(PlanError::OutOfRange(what));
    }
    m.mantissa()
        .checked_mul(p10(s - own)?)
        .ok_or(PlanError::OutOfRange(what))
}

/// `a x b`, checked.
#[inline]
pub(super) fn mul(a: i128, b: i128, what: &'static str) -> Result<i128, PlanError> {
    a.checked_mul(b).ok_or(PlanError::OutOfRange(what))
}

/// `num x 10^up / den` rounded half to even (`den` > 0), symmetric around zero, by
/// long division so that `num x 10^up` itself may exceed 128 bits.
pub(super) fn div_half_even(
    num: i128,
    up: u32,
    den: i128,
    what: &'static str,
) -> Result<i128, PlanError> {
    let d = den.unsigned_abs();
    let a = num.unsigned_abs();
    // Fast path: num x 10^up fits, so one division (or none) does it.
    let direct = p10(up).ok().and_then(|f| a.checked_mul(f as u128));
    let (mut q, mut r, mut left) = match direct {
        Some(x) if d == 1 => (x, 0, 0),
        Some(x) => (x / d, x % d, 0),
        None => (a / d, a % d, up),
    };
    while left > 0 {
        // The largest k with r x 10^k < d x 10^k <= u128::MAX.
        let mut k = 0u32;
        while k < left
            && 10u128
                .checked_pow(k + 1)
                .and_then(|p| d.checked_mul(p))
                .is_some()
        {
            k += 1;
        }
        if k == 0 {
            return Err(PlanError::OutOfRange(what));
        }
        let f = 10u128.pow(k);
        let t = r * f;
        q = q
            .checked_mul(f)
            .and_then(|x| x.checked_add(t / d))
            .ok_or(PlanError::OutOfRange(what))?;
        r = t % d;
        left -= k;
    }
    // Half to even: compare r with d - r (no overflow since r < d).
    if r > d - r || (r == d - r && q % 2 == 1) {
        q += 1;
    }
    let q = i128::try_from(q).map_err(|_| PlanError::OutOfRange(what))?;
    Ok(if num < 0 { -q } else { q })
}

/// The value `(num x 10^-ns) / (den x 10^-ds)` as a mantissa at scale `to`, rounded
/// half to even (`den` > 0).
pub(super) fn ratio_at(
    num: i128,
    ns: u32,
    den: i128,
    ds: u32,
    to: u32,
    what: &'static str,
) -> Result<i128, PlanError> {
    // value = num x 10^(ds - ns) / den; at scale `to`: num x 10^(to + ds - ns) / den.
    let up = i64::from(to) + i64::from(ds) - i64::from(ns);
    if up >= 0 {
        div_half_even(num, up as u32, den, what)
    } else {
        let d = mul(den, p10((-up) as u32)?, what)?;
        div_half_even(num, 0, d, what)
    }
}

/// An output mantissa at [`OUT_SCALE`] as `Money` with trailing zeros removed.
pub(super) fn out(m: i128) -> Result<Money, PlanError> {
    exact(m, OUT_SCALE)
}

/// `m x 10^-s` as `Money` with trailing zeros removed. Stripped in 64 bits, after at
/// most one 128-bit division (`Decimal::normalize` loops over 96-bit divisions and was
/// a sixth of a plan).
pub(super) fn exact(m: i128, s: u32) -> Result<Money, PlanError> {
    let too_big = PlanError::OutOfRange("output amount");
    if s > OUT_SCALE {
        return Err(too_big);
    }
    let a = m.unsigned_abs();
    let (mant, sc) = if let Ok(mut f) = u64::try_from(a) {
        let mut sc = s;
        strip(&mut f, &mut sc);
        (u128::from(f), sc)
    } else {
        // 10^s <= 10^18 < 2^64, so the decimals fit 64 bits.
        let one = POW10[s as usize] as u128;
        let int = a / one;
        let (mut f, mut sc) = ((a - int * one) as u64, s);
        strip(&mut f, &mut sc);
        (int * POW10[sc as usize] as u128 + u128::from(f), sc)
    };
    let mant = i128::try_from(mant).map_err(|_| too_big.clone())?;
    let mant = if m < 0 { -mant } else { mant };
    Money::try_from_i128_with_scale(mant, sc).map_err(|_| too_big)
}

/// Remove trailing decimal zeros of `f` (scale `s`), largest steps first.
#[inline]
fn strip(f: &mut u64, s: &mut u32) {
    if *f == 0 {
        *s = 0;
        return;
    }
    for (p, k) in [(100_000_000u64, 8u32), (10_000, 4), (100, 2), (10, 1)] {
        while *s >= k && *f % p == 0 {
            *f /= p;
            *s -= k;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_even_both_signs() {
        let h = |n: i128, d: i128| div_half_even(n, 0, d, "t").expect("ok");
        assert_eq!(h(5, 2), 2);
        assert_eq!(h(7, 2), 4);
        assert_eq!(h(-5, 2), -2);
        assert_eq!(h(-7, 2), -4);
        assert_eq!(h(10, 3), 3);
        assert_eq!(h(11, 3), 4);
        assert_eq!(h(-11, 3), -4);
        // 10^30 x 10^18 / 3 does not fit 128 bits before the division.
        let big = div_half_even(10i128.pow(30), 18, 3 * 10i128.pow(18), "t").expect("ok");
        assert_eq!(big, 333_333_333_333_333_333_333_333_333_333);
    }

    #[test]
    fn ratio_rescales_either_way() {
        // 1/3 at 4 decimals.
        assert_eq!(ratio_at(1, 0, 3, 0, 4, "t").expect("ok"), 3333);
        // 2.5 (25 @1) / 2 = 1.25 -> at 1 decimal, half even: 1.2
        assert_eq!(ratio_at(25, 1, 2, 0, 1, "t").expect("ok"), 12);
        // 1.000000 (scale 6) at scale 2 = 100.
        assert_eq!(ratio_at(1_000_000, 6, 1, 0, 2, "t").expect("ok"), 100);
        assert!(scaled(Money::new(15, 1), 0, "t").is_err());
        assert_eq!(scaled(Money::new(15, 1), 3, "t").expect("ok"), 1500);
        assert_eq!(
            out(2_999_600_000_000_000_000_000).expect("ok").to_string(),
            "2999.6"
        );
        assert_eq!(
            out(-1_500_000_000_000_000_000).expect("ok").to_string(),
            "-1.5"
        );
        assert_eq!(
            out(-500_000_000_000_000_000).expect("ok").to_string(),
            "-0.5"
        );
        assert_eq!(out(3 * 10i128.pow(23)).expect("ok").to_string(), "300000");
        assert_eq!(out(0).expect("ok").to_string(), "0");
        assert_eq!(out(1).expect("ok").to_string(), "0.000000000000000001");
    }
}
