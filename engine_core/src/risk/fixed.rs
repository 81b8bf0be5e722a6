//! Exact integer fixed point for the check hot path: an amount is an `i128` mantissa at a
//! scale chosen when the state is built, so a check compares and multiplies integers.
//!
//! The fast path must reach the same verdict as the [`Money`] path. `rust_decimal` adds,
//! subtracts and multiplies exactly whenever the exact result fits its 96-bit mantissa at
//! a scale <= 28, so every intermediate value the fast path computes is checked with
//! [`fits`]; when one does not fit, the order is checked on the `Money` path instead.
//! Limits are moved onto the grid once with [`floor_at`] / [`ceil_at`]: for an integer
//! `x`, `x > L` iff `x > floor(L)` and `x < L` iff `x < ceil(L)`, so nothing rounds.

use crate::contracts::Money;

/// Largest scale `Money` carries.
pub(crate) const MAX_SCALE: u32 = 28;

const LIMIT: u128 = 1 << 96;

const POW10: [i128; 39] = {
    let mut t = [1_i128; 39];
    let mut i = 1;
    while i < 39 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// 10^n for n <= 38.
#[inline]
pub(crate) fn p10(n: u32) -> Option<i128> {
    POW10.get(n as usize).copied()
}

/// True if an amount at a scale <= 28 is representable as `Money` (|m| < 2^96).
#[inline]
pub(crate) fn fits(m: i128) -> bool {
    m.unsigned_abs() < LIMIT
}

/// `m` as an exact integer at `scale`, if representable and fitting [`fits`].
pub(crate) fn at(m: Money, scale: u32) -> Option<i128> {
    let (mant, s) = (m.mantissa(), m.scale());
    if scale >= s {
        // `mul` skips i128 overflow checks for two i64s (the usual case).
        return mul(mant, p10(scale - s)?);
    }
    let k = p10(s - scale)?;
    if mant % k != 0 {
        return None;
    }
    Some(mant / k)
}

/// `floor(m x 10^scale)`.
pub(crate) fn floor_at(m: Money, scale: u32) -> Option<i128> {
    let (mant, s) = (m.mantissa(), m.scale());
    let v = if scale >= s {
        mant.checked_mul(p10(scale - s)?)?
    } else {
        mant.div_euclid(p10(s - scale)?)
    };
    fits(v).then_some(v)
}

/// `ceil(m x 10^scale)`.
pub(crate) fn ceil_at(m: Money, scale: u32) -> Option<i128> {
    floor_at(-m, scale).map(|v| -v)
}

/// Smallest scale that holds `m` exactly.
pub(crate) fn min_scale(m: Money) -> u32 {
    m.normalize().scale()
}

/// The `Money` value of `m x 10^-scale` (`None` if it does not fit).
pub(crate) fn money(m: i128, scale: u32) -> Option<Money> {
    if scale > MAX_SCALE || !fits(m) {
        return None;
    }
    Money::try_from_i128_with_scale(m, scale).ok()
}

/// True if `a` is a multiple of `step` (> 0); i64 division when it fits (i128 `%` is slow).
#[inline]
pub(crate) fn multiple(a: i128, step: i128) -> bool {
    match (i64::try_from(a), i64::try_from(step)) {
        (Ok(x), Ok(y)) => x % y == 0,
        _ => a % step == 0,
    }
}

/// Divisibility by a fixed step (> 0) without a division, for the tick and lot tests.
///
/// Hacker's Delight 10-17 (Granlund-Montgomery): with `step = d 2^k`, `d` odd and `inv`
/// its inverse mod 2^64, an unsigned 64-bit `x` is a multiple of `step` iff
/// `rotr(x inv, k) <= floor((2^64 - 1) / step)`. Other values use [`multiple`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Divisor {
    step: i128,
    inv: u64,
    shift: u32,
    max: u64,
}

impl Divisor {
    /// `step` must be positive (a tick or lot on the grid).
    pub(crate) fn new(step: i128) -> Self {
        let (inv, shift, max) = match u64::try_from(step) {
            Ok(d) if d > 0 => {
                let shift = d.trailing_zeros();
                let odd = d >> shift;
                // Newton's iteration doubles the correct low bits: 3 -> 6 -> ... -> 96.
                let mut x = odd;
                for _ in 0..5 {
                    x = x.wrapping_mul(2_u64.wrapping_sub(odd.wrapping_mul(x)));
                }
                (x, shift, u64::MAX / d)
            }
            _ => (0, 0, 0),
        };
        Divisor {
            step,
            inv,
            shift,
            max,
        }
    }

    /// True if `a` is a multiple of the step.
    #[inline]
    pub(crate) fn divides(&self, a: i128) -> bool {
        match u64::try_from(a) {
            Ok(x) if self.inv != 0 => x.wrapping_mul(self.inv).rotate_right(self.shift) <= self.max,
            _ => multiple(a, self.step),
        }
    }
}

/// `a x b`, `None` on overflow or if the product does not [`fits`].
#[inline]
pub(crate) fn mul(a: i128, b: i128) -> Option<i128> {
    let p = if let (Ok(x), Ok(y)) = (i64::try_from(a), i64::try_from(b)) {
        // Two i64s never overflow an i128.
        i128::from(x) * i128::from(y)
    } else {
        a.checked_mul(b)?
    };
    fits(p).then_some(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contracts::money as m;

    #[test]
    fn moves_onto_the_grid_exactly_or_not_at_all() {
        let d = |s: &str| m(s).expect(s);
        assert_eq!(at(d("1.50"), 3), Some(1500));
        assert_eq!(at(d("1.5"), 0), None);
        assert_eq!(at(d("1.500"), 1), Some(15));
        assert_eq!(floor_at(d("-1.25"), 1), Some(-13));
        assert_eq!(ceil_at(d("-1.25"), 1), Some(-12));
        assert_eq!(ceil_at(d("1.21"), 1), Some(13));
        assert_eq!(min_scale(d("2.5000")), 1);
        assert_eq!(money(15, 1), Some(d("1.5")));
        assert_eq!(mul(i128::MAX, 2), None);
        assert_eq!(mul(1 << 50, 1 << 50), None);
        assert_eq!(mul(3, -4), Some(-12));
    }

    proptest::proptest! {
        #[test]
        fn divisor_agrees_with_remainder(
            step in 1_i128..2_000_000,
            pow in 0_u32..12,
            a in -(1_i128 << 70)..(1_i128 << 70),
            k in 0_i128..1_000_000_000,
        ) {
            let step = step * p10(pow).expect("pow");
            let d = Divisor::new(step);
            for x in [a, a.abs(), k * step, k * step + 1, k * step - 1, step, 0] {
                proptest::prop_assert_eq!(d.divides(x), x % step == 0, "{} {}", x, step);
            }
        }
    }
}
