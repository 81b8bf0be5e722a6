//! The inverse mark's quotient, `n / d` to 28 significant digits: the exact reference
//! ([`round28`], long division, with the decimal it returns, [`Exact`]) and, beside it,
//! the fast version that does not divide integers ([`div28`], [`div28_batch`]).
//!
//! [`round28`] (the reference) finds the digits by `u128` long division: two software
//! divisions and some `ilog10`s, ~33 ns a quotient here. When `|n| < 2^63` and
//! `0 < d < 2^52` (every inverse position of a realistic book: a 10,000-lot position at a
//! 5-decimal price is ~2^50) the quotient can instead be estimated in `f64` and made exact
//! with a few integer multiplications, which are cheap:
//!
//! 1. `x = a / d` in `f64` (`a = |n|`), and `k`, the power of ten that gives the quotient
//!    28 integer digits, from `x`'s binary exponent and one comparison with a table.
//! 2. `y = x 10^k`, and `Q1`, `y` as an integer: its own bits, `mantissa << exponent`.
//! 3. `R = a 10^k - Q1 d`, exact: it is small (below), so both products are computed
//!    modulo 2^128 (wrapping), which gives it exactly even where `a 10^k` does not fit.
//! 4. `c`, `R / d` to the nearest integer, again from `f64`. The remainder `R - c d`
//!    (exact modulo 2^64, as it is small) is then in `(-d, d)`, and adding `d` once if it
//!    is negative puts it in `[0, d)`: `Q = Q1 + c = floor(a 10^k / d)`, exactly, with its
//!    remainder.
//! 5. Half-even rounding on the remainder, the sign of `n`, scale `k`.
//!
//! Bounds (u = 2^-53). `x` is within a relative `3u` of `a / d` (`a`, `1 / d` and the
//! product round once each) and `y` within `5u` of `a 10^k / d` (`10^k` for k > 22 and
//! the product). `y` is checked to be 1e-12 (relative) inside `[10^27, 10^28)`, so `Q` has
//! 28 digits and is below 2^93.02; then `|Q - Q1| < 2^93.02 x 5.01u < 2^42.4` and
//! `|R| < 2^42.4 d < 2^95`, far inside `i128`. Step 4 converts `R / 2^s` to `f64`, with `s`
//! chosen from `d` so that it is below 2^50.4 (exact by the bits) and drops less than
//! `2^-7 d`; with two more roundings, `c` is within `1/2 + 2^-7 + 2^-9` of `R / d`, hence
//! the remainder in `(-d, d)`. Its final range is checked anyway, as that is cheap. Where
//! `y` falls outside the bounds (`x` within 1e-12 of a power of ten, where `k` may be one
//! off) or the operands outside the range, the caller is told to use [`round28`].
//!
//! Speed. A quotient is one long chain of dependent instructions (f64 multiplications,
//! two table loads, integer multiplications, conversions). Computed one position after
//! another, the CPU's schedulers fill with the waiting instructions of one or two
//! positions and the rest of the core idles, so [`div28_batch`] runs each stage for
//! [`BATCH`] quotients before the next: independent work sits side by side in the
//! instruction stream (measured on the bench's numbers: ~11 ns a quotient in five stages,
//! ~18 ns for the same code one quotient at a time, ~33 ns for [`round28`]).

/// A decimal `mant x 10^-scale` (the scale may pass 28, or be negative).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Exact {
    /// Integer mantissa.
    pub mant: i128,
    /// Decimal places.
    pub scale: i32,
}

const E27: u128 = 10_u128.pow(27);
const E28: u128 = 10_u128.pow(28);

/// `n / d x 10^-scale` (`d > 0`) rounded half-even to 28 significant digits; `None` if
/// `d` has more than 36 digits.
pub(crate) fn round28(n: i128, d: i128, scale: i32) -> Option<Exact> {
    if n == 0 {
        return Some(Exact::default());
    }
    let (na, d) = (n.unsigned_abs(), d.unsigned_abs());
    if d == 0 {
        return None;
    }
    let mut q = na / d;
    let mut r = na - q * d;
    if q >= E28 {
        // More than 28 integer digits: drop the extra ones, half-even on what is dropped.
        let t = q.ilog10() + 1 - 28;
        let p = 10_u128.pow(t);
        let (head, tail, half) = (q / p, q % p, p / 2);
        let up = tail > half || (tail == half && (r != 0 || head % 2 == 1));
        let mant = (head + u128::from(up)) as i128;
        return Some(Exact {
            mant: if n < 0 { -mant } else { mant },
            scale: scale - t as i32,
        });
    }
    // r < d < 10^(digits of d), so r x 10^room < 10^38 < 2^128.
    let room = 37_i32.checked_sub(d.ilog10() as i32).filter(|j| *j > 0)?;
    let mut k = 0_i32;
    // Extend the quotient, up to `room` digits at a time, until it has 28.
    while q < E27 {
        let have = if q == 0 { 0 } else { q.ilog10() as i32 + 1 };
        let j = (28 - have).min(room);
        let p = 10_u128.pow(j as u32);
        let x = r * p;
        let digits = x / d;
        q = q * p + digits;
        r = x - digits * d;
        k += j;
    }
    if r > d - r || (r == d - r && q % 2 == 1) {
        q += 1;
    }
    let mant = q as i128;
    Some(Exact {
        mant: if n < 0 { -mant } else { mant },
        scale: scale + k,
    })
}

/// Largest `d` (exclusive): it converts to `f64` exactly by the bits.
const D_LIMIT: u64 = 1 << 52;

/// Bounds on `y = x 10^k` that leave `Q` 28 digits: 10^27 and 10^28, 1e-12 inside.
const Y_MIN: f64 = 1.000_000_000_001e27;
const Y_MAX: f64 = 9.999_999_999_99e27;

/// `10^k` as `f64` for `k < 64` (decimal literals: the compiler rounds them correctly).
/// The fast path uses `k` in `9..=43`; the rest pads the table so a mask can index it.
#[rustfmt::skip]
const P10F: [f64; 64] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22, 1e23, 1e24, 1e25, 1e26, 1e27, 1e28, 1e29,
    1e30, 1e31, 1e32, 1e33, 1e34, 1e35, 1e36, 1e37, 1e38, 1e39, 1e40, 1e41, 1e42, 1e43,
    1e44, 1e45, 1e46, 1e47, 1e48, 1e49, 1e50, 1e51, 1e52, 1e53, 1e54, 1e55, 1e56, 1e57,
    1e58, 1e59, 1e60, 1e61, 1e62, 1e63,
];

/// `10^-k` as `f64` for `k <= 20`.
#[rustfmt::skip]
const P10F_NEG: [f64; 21] = [
    1e-0, 1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-11, 1e-12,
    1e-13, 1e-14, 1e-15, 1e-16, 1e-17, 1e-18, 1e-19, 1e-20,
];

/// `10^k mod 2^128`: `n 10^k` is only ever needed modulo 2^128 (step 3).
const P10W: [u128; 64] = {
    let mut t = [1_u128; 64];
    let mut i = 1;
    while i < 64 {
        t[i] = t[i - 1].wrapping_mul(10);
        i += 1;
    }
    t
};

/// For `x` in `[2^t, 2^(t+1))`: `27 - floor(log10 x)` is `k`, or `k - 1` if `x >= thr`
/// (a binade holds at most one power of ten).
#[derive(Debug, Clone, Copy)]
struct KStep {
    thr: f64,
    k: u32,
}

/// Binary exponents `t` in `T_MIN..T_MIN + 128`; the fast path's `x` is in
/// `[2^-52, 2^63]`.
const T_MIN: i32 = -64;

/// `floor(log10(2^t))` (78913 / 2^18 is log10(2) to enough digits for the table's range;
/// the shift floors negative values too). Checked against integers in the tests.
const fn log10_pow2(t: i32) -> i32 {
    (t * 78_913) >> 18
}

const KSTEPS: [KStep; 128] = {
    let mut t = [KStep { thr: 0.0, k: 0 }; 128];
    let mut i = 0;
    while i < 128 {
        let lo = log10_pow2(T_MIN + i as i32);
        let next = lo + 1;
        t[i] = KStep {
            thr: if next >= 0 {
                P10F[next as usize]
            } else {
                P10F_NEG[(-next) as usize]
            },
            k: (27 - lo) as u32,
        };
        i += 1;
    }
    t
};

const MANT_BITS: u32 = 52;
const MANT_MASK: u64 = (1 << MANT_BITS) - 1;
/// Exponent bias plus mantissa bits: `y = mant x 2^(biased - SHIFT_BIAS)`.
const SHIFT_BIAS: u32 = 1023 + MANT_BITS;

/// `n / d x 10^-scale` rounded half-even to 28 significant digits: the same [`Exact`]
/// as [`round28`], which decides where the fast path cannot.
pub(crate) fn div28(n: i128, d: i128, scale: i32) -> Option<Exact> {
    if let (Ok(n), Ok(d)) = (i64::try_from(n), i64::try_from(d)) {
        if let Some(x) = fast(n, d) {
            return Some(Exact {
                mant: x.mant,
                scale: scale + x.scale,
            });
        }
    }
    round28(n, d, scale)
}

/// Quotients computed together by [`div28_batch`].
pub(crate) const BATCH: usize = 16;

/// `n[j] / d[j] x 10^-scale[j]` as [`div28`] gives it, for a batch, written to
/// `out[idx[j]]`. False if any of them is outside the fast path (its `out` is then
/// wrong: the caller redoes the batch with [`div28`]). With `RCP`, `rcp[j]` must be
/// `1.0 / d[j] as f64` (what the batch would compute: the caller keeps it per position,
/// as `d` changes with the position, not the mark); without, `rcp` is not read.
#[inline(never)] // one copy, with its own registers
pub(crate) fn div28_batch<const RCP: bool>(
    n: &[i64; BATCH],
    d: &[i64; BATCH],
    rcp: &[f64; BATCH],
    scale: &[i32; BATCH],
    idx: &[u32; BATCH],
    out: &mut [Exact],
) -> bool {
    // Each stage's results in their own array, so a stage reads only what it needs; the
    // checks fold into one flag for the batch.
    let mut all = true;
    let st: [Start; BATCH] = std::array::from_fn(|j| {
        let (st, ok) = start::<RCP>(n[j], d[j], rcp[j]);
        all &= ok;
        st
    });
    let sc: [Scaled; BATCH] = std::array::from_fn(|j| {
        let (sc, ok) = scaled(st[j].x);
        all &= ok;
        sc
    });
    let g: [Guess; BATCH] = std::array::from_fn(|j| guess(&st[j], sc[j]));
    let c: [i64; BATCH] = std::array::from_fn(|j| correction(&st[j], &g[j]));
    for j in 0..BATCH {
        let (x, ok) = settle(&st[j], sc[j], g[j], c[j], n[j]);
        all &= ok;
        if let Some(o) = out.get_mut(idx[j] as usize) {
            *o = Exact {
                mant: x.mant,
                scale: scale[j] + x.scale,
            };
        }
    }
    all
}

/// Steps 1-5 for one quotient, at scale 0 (so `scale` is `k`); `None` where
/// [`round28`] must decide.
#[inline]
fn fast(n: i64, d: i64) -> Option<Exact> {
    let (st, ok1) = start::<false>(n, d, 0.0);
    let (sc, ok2) = scaled(st.x);
    let g = guess(&st, sc);
    let (x, ok3) = settle(&st, sc, g, correction(&st, &g), n);
    (ok1 & ok2 & ok3).then_some(x)
}

/// The operands, and what step 1 starts from.
#[derive(Debug, Clone, Copy)]
struct Start {
    /// `|n|` and `d` (1 and 1 outside the range).
    a: u64,
    d: u64,
    /// `a / d`, rounded.
    x: f64,
    /// `2^s / d`, rounded, and `s` (see [`start`]).
    rcp: f64,
    s: u32,
}

/// Step 1's start; false outside the range (`n` is 0 or `i64::MIN`, `d` not in
/// `1..2^52`), where it computes `1 / 1` instead so that nothing downstream can overflow.
#[inline(always)]
fn start<const RCP: bool>(n: i64, d: i64, rcp: f64) -> (Start, bool) {
    let a = n.unsigned_abs();
    let ok = (a.wrapping_sub(1) < (1 << 63) - 1) & ((d as u64).wrapping_sub(1) < D_LIMIT - 1);
    let (a, d, rcp) = if ok { (a, d as u64, rcp) } else { (1, 1, 1.0) };
    let rcp = if RCP { rcp } else { 1.0 / low_f64(d) };
    // For step 4: R / 2^s with s = max(0, -e - 8), e the binary exponent of 1 / d, so that
    // 2^s <= d / 2^7 and d / 2^s < 2^8. Then |R| / 2^s < 2^42.4 x 2^8 = 2^50.4 converts to
    // f64 exactly by the bits, and the s bits dropped move R / d by less than 2^-7.
    let e = (rcp.to_bits() >> MANT_BITS) as i32 - 1023;
    let s = (-e - 8).max(0) as u32;
    let st = Start {
        a,
        d,
        x: u64_f64(a) * rcp,
        rcp: f64::from_bits(rcp.to_bits() + (u64::from(s) << MANT_BITS)),
        s,
    };
    (st, ok)
}

/// `y = x 10^k` and `k` (step 1's power of ten).
#[derive(Debug, Clone, Copy)]
struct Scaled {
    y: f64,
    k: u32,
}

/// Steps 1-2 in `f64`; false if `y` is not well inside `[10^27, 10^28)` (see the module
/// docs).
#[inline(always)]
fn scaled(x: f64) -> (Scaled, bool) {
    // x is in [2^-52, 2^63], so its biased exponent minus (1023 + T_MIN) is in 0..128;
    // the masks only spare the bounds checks.
    let xb = x.to_bits();
    let step = KSTEPS[((xb >> MANT_BITS) as usize).wrapping_sub((1023 + T_MIN) as usize) & 127];
    let k = step.k - u32::from(x >= step.thr);
    let y = x * P10F[k as usize & 63];
    // y > 0, so its bits order as the values do.
    let ok = y.to_bits().wrapping_sub(Y_MIN.to_bits()) <= Y_MAX.to_bits() - Y_MIN.to_bits();
    (Scaled { y, k }, ok)
}

/// What steps 2-3 leave for steps 4-5.
#[derive(Debug, Clone, Copy)]
struct Guess {
    /// `Q1`, and `R = a 10^k - Q1 d` as `R mod 2^64` and `floor(R / 2^s)`.
    q1: u128,
    r_low: u64,
    r_high: i64,
}

/// Steps 2-3 in integers.
#[inline(always)]
fn guess(st: &Start, sc: Scaled) -> Guess {
    // 2. Q1 = mant x 2^sh, from y's bits; y is in [2^89, 2^94), so sh is 37..41 (the mask
    // tells the compiler it is below 64, and changes nothing).
    let yb = sc.y.to_bits();
    let mant = (yb & MANT_MASK) | (1 << MANT_BITS);
    let sh = ((yb >> MANT_BITS) as u32).wrapping_sub(SHIFT_BIAS) & 63;
    // 3. R modulo 2^128: `a 10^k` is one 64x128 multiplication, `mant d` one 64x64.
    let ak = u128::from(st.a).wrapping_mul(P10W[sc.k as usize & 63]);
    let r = ak.wrapping_sub((u128::from(mant) * u128::from(st.d)) << sh) as i128;
    Guess {
        // mant << sh as two halves (sh is never 0, which a u128 shift must allow for).
        q1: u128::from(mant >> ((64 - sh) & 63)) << 64 | u128::from(mant << sh),
        r_low: r as u64,
        r_high: (r >> (st.s & 63)) as i64,
    }
}

/// Step 4's estimate: `c = R / d` to the nearest integer, within `1/2 + 2^-7 + 2^-9`.
#[inline(always)]
fn correction(st: &Start, g: &Guess) -> i64 {
    nearest(small_f64(g.r_high) * st.rcp)
}

/// Steps 4-5: the rounded quotient with the sign of `n`, at scale `k`; false if the
/// remainder is not in `[0, d)` (it always is, by the bounds; checked as it is cheap).
#[inline(always)]
fn settle(st: &Start, sc: Scaled, g: Guess, c: i64, n: i64) -> (Exact, bool) {
    let d = st.d as i64;
    let rem = (g.r_low as i64).wrapping_sub(c.wrapping_mul(d));
    // From here on everything depends on the data's low digits (the remainder's sign,
    // the rounding direction, the sign of n): branches on them would be mispredicted half
    // the time, so it is all masks.
    let neg = rem >> 63; // -1 if rem < 0
    let (c, rem) = (c + neg, rem + (d & neg));
    let ok = (rem as u64) < d as u64;
    // Half-even: up if 2 rem > d, or 2 rem = d and Q is odd; that is, if
    // 2 rem + (Q & 1) > d (2 rem < 2^53, no overflow). Q1's low 37 bits are 0, so
    // Q & 1 = c & 1, and the rounding joins c before the one 128-bit addition.
    let up = (d - 2 * rem - (c & 1)) >> 63 & 1;
    let q = g.q1.wrapping_add((c + up) as i128 as u128);
    let sign = i128::from(n >> 63); // 0 or -1
    let x = Exact {
        mant: (q as i128 ^ sign) - sign,
        scale: sc.k as i32,
    };
    (x, ok)
}

// Integer <-> f64 by the bits. The CPU's `cvtsi2sd` writes only the low half of its
// register, so it waits for that register's previous value: here, the previous
// quotient's last f64, which chains every quotient's whole latency end to end (measured:
// 2x slower). These forms use full-register moves and add/subtract, keeping quotients
// independent, and are as exact.

/// 2^52 as an `f64`'s bits: OR-ing `v < 2^32` into the mantissa gives `2^52 + v`.
const TWO52: u64 = 0x4330_0000_0000_0000;
/// 2^84: OR-ing `v < 2^32` gives `2^84 + v 2^32`.
const TWO84: u64 = 0x4530_0000_0000_0000;
/// 1.5 x 2^52: adding a signed `|v| < 2^51` to the bits adds `v` (its ulp is 1), as the
/// exponent stays put.
const MAGIC52: u64 = 0x4338_0000_0000_0000;
const LOW32: u64 = 0xffff_ffff;

/// `v` rounded to the nearest `f64` (both halves exact, one rounding in the sum).
#[inline(always)]
fn u64_f64(v: u64) -> f64 {
    let hi = f64::from_bits(TWO84 | (v >> 32)) - f64::from_bits(TWO84);
    let lo = f64::from_bits(TWO52 | (v & LOW32)) - f64::from_bits(TWO52);
    hi + lo
}

/// `v` as an `f64`, for `v < 2^52`.
#[inline(always)]
fn low_f64(v: u64) -> f64 {
    f64::from_bits(TWO52 | v) - f64::from_bits(TWO52)
}

/// `v` as an `f64`, for `|v| < 2^51`.
#[inline(always)]
fn small_f64(v: i64) -> f64 {
    f64::from_bits(MAGIC52.wrapping_add(v as u64)) - f64::from_bits(MAGIC52)
}

/// `c` rounded to an integer (ties to even) for `|c| < 2^51`: adding 1.5 x 2^52 leaves
/// no fraction bits, so the sum's low bits are the integer.
#[inline(always)]
fn nearest(c: f64) -> i64 {
    (c + f64::from_bits(MAGIC52))
        .to_bits()
        .wrapping_sub(MAGIC52) as i64
}

#[cfg(test)]
mod tests;
