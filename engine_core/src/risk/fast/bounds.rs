//! Order-size and price bounds under which a grid check cannot overflow.
//!
//! [`crate::risk::fast_check`] guards every product and sum with [`crate::risk::fixed::fits`] and
//! leaves the order to the `Money` path when one fails. Those guards cost more than the
//! arithmetic. For each instrument this module finds, once per state rebuild, a quantity
//! bound `Q` and a price bound `P` such that for every order with `|q| <= Q` and
//! `0 < p <= P` each guarded value stays below 2^96: the guards would all pass, so the
//! check may run without them and reach the same verdict. Bounds are worked out in
//! `u128` on magnitudes (|a + b| <= |a| + |b|, |a b| = |a| |b|), saturating, so an
//! estimate can only be too large, never too small; orders outside the bounds take the
//! guarded path. Every term below mirrors one guarded operation of `fast_check`.

use super::{Fast, FastInst, Lines};

const LIMIT: u128 = 1 << 96;

/// Magnitude arithmetic that saturates instead of wrapping.
#[derive(Clone, Copy)]
struct B(u128);

impl B {
    fn of(v: i128) -> Self {
        B(v.unsigned_abs())
    }
    fn ok(self) -> bool {
        self.0 < LIMIT
    }
}

impl std::ops::Add for B {
    type Output = B;
    fn add(self, o: B) -> B {
        B(self.0.saturating_add(o.0))
    }
}

impl std::ops::Mul for B {
    type Output = B;
    fn mul(self, o: B) -> B {
        B(self.0.saturating_mul(o.0))
    }
}

/// Every value the guarded check computes for `|q| <= q`, `0 < p <= p` fits.
fn holds(f: &Fast, fi: &FastInst, lines: Option<Lines>, q: u128, p: u128) -> bool {
    let (q, p) = (B(q), B(p));
    let mut vals = Fits(true);
    let mult = B::of(fi.mult);
    let fu = B::of(fi.f_usd);
    // evaluate: after, |q| x mult, x price
    let after = B::of(fi.qty) + q;
    let units = q * mult;
    let n = if fi.linear { units * p } else { units };
    vals.extend([after, units, n]);
    // exposure: notional(after), change, venue gross after
    let px = fi.px.map_or(p, B::of);
    let notional = |qty: B, vals: &mut Fits| -> B {
        let u = qty * mult;
        vals.push(u);
        let n = if fi.linear {
            let n = u * px;
            vals.push(n);
            n
        } else {
            u
        };
        let usd = n * fu;
        vals.push(usd);
        usd
    };
    let change = notional(after, &mut vals) + B::of(fi.notional);
    let v = fi.venue;
    let venue_after = B::of(f.venue_gross[v]) + change;
    vals.extend([change, venue_after]);
    let delta = notional(q, &mut vals);
    vals.push(B::of(f.net_delta) + delta);
    if let Some(max) = fi.max_share {
        let total = B::of(f.total_gross) + change;
        let k = crate::risk::fixed::p10(max.scale).map_or(B(u128::MAX), B::of);
        vals.extend([total, B::of(max.m) * total, venue_after * k]);
    }
    if fi.min_headroom.is_some() {
        let k = crate::risk::fixed::p10(fi.im.scale).map_or(B(u128::MAX), B::of);
        let im = B::of(f.venue_im[v]) * k + change * B::of(fi.im.m);
        let eq = B::of(f.venue_equity[v].unwrap_or(0)) * k;
        vals.extend([
            B::of(f.venue_im[v]) * k,
            change * B::of(fi.im.m),
            im,
            eq,
            eq + im,
        ]);
    }
    if let (Some(min), Some(l), true) = (fi.min_liq, lines, fi.linear) {
        let x = fi.liq_at.map_or(p, B::of);
        let fs = B::of(fi.f_slope);
        let pu = units * p;
        let a = B::of(l.a) + pu * fu;
        let b = B::of(l.b) + units * B::of(fi.f_units);
        let d = B::of(l.d) + units * B::of(fi.mm);
        let (bx, dx, dbx) = (b * x, d * x, (b + d) * x);
        vals.extend([
            pu,
            pu * fu,
            units * B::of(fi.f_units),
            units * B::of(fi.mm),
            a,
            b,
            d,
            x * B(1_000_000),
            B::of(min.m) * B(1_000_000),
            bx,
            dx,
            dbx,
            bx * fs,
            dx * fs,
            dbx * fs,
            a + bx * fs,
            B::of(l.c) + dx * fs,
        ]);
    }
    vals.0
}

/// Whether every value put so far fits.
struct Fits(bool);

impl Fits {
    fn push(&mut self, v: B) {
        self.0 &= v.ok();
    }
    fn extend<const N: usize>(&mut self, vs: [B; N]) {
        for v in vs {
            self.push(v);
        }
    }
}

/// `(Q, P)` for instrument `fi`: `Q` is 0 (never bounded) when no size fits.
pub(crate) fn bounds(f: &Fast, fi: &FastInst) -> (i128, i128) {
    let lines = f.lin[fi.venue][fi.asset];
    // Prices up to 8x the largest reference (a band refuses far sooner); with no
    // reference at all, up to 10^9 in price units.
    let refs = [fi.px, fi.liq_at];
    let top = refs.iter().flatten().map(|v| v.unsigned_abs()).max();
    let p = match top {
        Some(r) => r.saturating_mul(8),
        None => crate::risk::fixed::p10(fi.sp + 9).map_or(0, i128::unsigned_abs),
    };
    if p == 0 || !holds(f, fi, lines, 1, p) {
        return (0, 0);
    }
    // The largest power of two that holds (bisecting the exponent: seven tries).
    let (mut lo, mut hi) = (0_u32, 96_u32);
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        if holds(f, fi, lines, 1 << mid, p) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let lo = 1_u128 << lo;
    (
        i128::try_from(lo).unwrap_or(0),
        i128::try_from(p).unwrap_or(0),
    )
}
