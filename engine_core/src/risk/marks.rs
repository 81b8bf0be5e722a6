//! Each position's unrealised PnL (USD) in one pass, on an integer grid.
//!
//! Linear: `q m (px - e)`, exact. Inverse, valued in USD at the mark: `q m (px - e) / e`,
//! the exact quotient rounded half-even to 28 significant digits (what `Decimal`'s
//! default context gives). Quantities and entries are kept as integers at a per-
//! instrument scale as positions are added (an instrument whose numbers do not fit
//! there is marked from the amounts' mantissas, with the same rounding), so a mark costs a
//! few integer operations per position and, for an inverse one, a quotient that
//! [`super::quotient`] finds without dividing integers (or by its reference long division,
//! `round28`, when the numbers are too large for that).
//!
//! On the grid, a mark is two passes: `q m (px - e)` for every position (the linear PnL,
//! and the inverse numerator), then the inverse positions' quotients, [`BATCH`] at a
//! time, from a list kept as positions are added. Interleaved instruments would otherwise
//! make the payoff branch a coin toss per position, and a mispredicted branch costs about
//! as much as a linear position's whole mark. The list also keeps each inverse entry's
//! `1 / e` as an `f64`, which the quotient's first step needs: it changes with the
//! position, never with the mark, so it is computed once (8 bytes a position).

use super::fixed::{at, fits, min_scale, p10};
use super::quotient::{div28, div28_batch, Exact, BATCH};
use crate::contracts::{positive, Checked, ContractError, Money, Payoff};

/// One instrument's grid: quantities at `sq`, entries at `se`, multiplier at `sm`.
#[derive(Debug, Clone, Copy, Default)]
struct GridInst {
    ok: bool,
    inverse: bool,
    sq: u32,
    se: u32,
    sm: u32,
    mult: i128,
    max_q: u128,
    max_e: u128,
}

/// Quantities and entries on their instruments' grids, column-wise.
#[derive(Debug, Clone, Default)]
pub(crate) struct Grid {
    insts: Vec<GridInst>,
    q: Vec<i128>,
    e: Vec<i128>,
    /// Indices of the positions in inverse instruments, in order, and `1 / e` of each
    /// (see [`recip`]): the inverse quotient's first step needs it, and it changes only
    /// with the position, not with the mark.
    inverse: Vec<u32>,
    rcp: Vec<f64>,
}

const MAX_GRID_SCALE: u32 = 18;

impl Grid {
    pub(crate) fn new(terms: &[(Payoff, Money)]) -> Self {
        let insts = terms
            .iter()
            .map(|(p, m)| {
                let sm = min_scale(*m);
                let mult = at(*m, sm);
                GridInst {
                    ok: mult.is_some(),
                    inverse: *p == Payoff::Inverse,
                    sm,
                    mult: mult.unwrap_or(0),
                    ..GridInst::default()
                }
            })
            .collect();
        Grid {
            insts,
            ..Grid::default()
        }
    }

    /// Add the last position of `inst` (every position's instrument), in instrument `i`.
    pub(crate) fn push(&mut self, inst: &[u32], i: usize, qty: Money, entry: Money) {
        let g = self.insts[i];
        let (sq, se) = (g.sq.max(min_scale(qty)), g.se.max(min_scale(entry)));
        let mut ok = g.ok && sq <= MAX_GRID_SCALE && se <= MAX_GRID_SCALE;
        if ok && (sq > g.sq || se > g.se) {
            ok = self.rescale(inst, i, sq - g.sq, se - g.se);
        }
        let (q, e) = match (at(qty, sq), at(entry, se)) {
            (Some(q), Some(e)) if ok => (q, e),
            _ => {
                ok = false;
                (0, 0)
            }
        };
        if g.inverse {
            self.inverse.push((inst.len() - 1) as u32);
            self.rcp.push(recip(e));
        }
        self.q.push(q);
        self.e.push(e);
        let g = &mut self.insts[i];
        *g = GridInst {
            ok,
            sq,
            se,
            max_q: g.max_q.max(q.unsigned_abs()),
            max_e: g.max_e.max(e.unsigned_abs()),
            ..*g
        };
    }

    /// Move instrument `i`'s positions to finer scales; false if one would not fit.
    fn rescale(&mut self, inst: &[u32], i: usize, dq: u32, de: u32) -> bool {
        let (Some(fq), Some(fe)) = (p10(dq), p10(de)) else {
            return false;
        };
        let g = &mut self.insts[i];
        let (Some(mq), Some(me)) = (
            i128::try_from(g.max_q).ok().and_then(|v| v.checked_mul(fq)),
            i128::try_from(g.max_e).ok().and_then(|v| v.checked_mul(fe)),
        ) else {
            return false;
        };
        if !fits(mq) || !fits(me) {
            return false;
        }
        (g.max_q, g.max_e) = (mq.unsigned_abs(), me.unsigned_abs());
        for ((q, e), at) in self.q.iter_mut().zip(self.e.iter_mut()).zip(inst) {
            if *at as usize == i {
                *q *= fq;
                *e *= fe;
            }
        }
        for (k, r) in self.inverse.iter().zip(self.rcp.iter_mut()) {
            if inst[*k as usize] as usize == i {
                *r = recip(self.e[*k as usize]);
            }
        }
        true
    }
}

/// `1 / e` rounded to `f64` where the batched quotient can use it (`0 < e < 2^52`, so
/// `e` is exact as an `f64`: the same value `div28_batch` would compute), else 0.
fn recip(e: i128) -> f64 {
    if 0 < e && e < 1 << 52 {
        1.0 / e as f64
    } else {
        0.0
    }
}

/// How instrument `i` is marked: on the grid (`px` at `sp`, entries times `fe`) or not.
#[derive(Debug, Clone, Copy, Default)]
struct Ctx {
    grid: bool,
    linear: bool,
    mult: i128,
    px: i128,
    fe: i128,
    /// Scale of `q m (px - e)`, and of `q m` (the scale of the inverse quotient).
    sn: u32,
    sqm: u32,
    /// The scale of the numerators pass 1 writes: `sn` (linear), `sqm` (inverse).
    scale0: i32,
    /// Every `|q m (px - e fe)|`, `|q|`, `|e fe|` of the instrument is below 2^63, so the
    /// `i64` copies below compute it without overflow (and at a third of the `i128` cost).
    small: bool,
    mult64: i64,
    px64: i64,
    fe64: i64,
}

fn ctx(g: GridInst, payoff: Payoff, px: Money) -> Option<Ctx> {
    let sp = g.se.max(min_scale(px));
    let pg = at(px, sp)?;
    let fe = p10(sp - g.se)?;
    // |q m (px - e fe)| < 2^126, so no product below can overflow.
    let span = pg
        .unsigned_abs()
        .checked_add(g.max_e.checked_mul(fe.unsigned_abs())?)?;
    let top = g
        .max_q
        .checked_mul(g.mult.unsigned_abs())?
        .checked_mul(span)?;
    let as64 = (i64::try_from(g.mult), i64::try_from(pg), i64::try_from(fe));
    let (small, (mult64, px64, fe64)) = match as64 {
        (Ok(m), Ok(p), Ok(f)) => (
            top < 1 << 63 && span < 1 << 63 && g.max_q < 1 << 63,
            (m, p, f),
        ),
        _ => (false, (0, 0, 0)),
    };
    (g.ok && top < 1 << 126).then_some(Ctx {
        grid: true,
        linear: payoff == Payoff::Linear,
        mult: g.mult,
        px: pg,
        fe,
        sn: g.sq + g.sm + sp,
        sqm: g.sq + g.sm,
        scale0: if payoff == Payoff::Linear {
            g.sq + g.sm + sp
        } else {
            g.sq + g.sm
        } as i32,
        small,
        mult64,
        px64,
        fe64,
    })
}

/// Each position's unrealised PnL in USD at `marks`, in insertion order.
pub(crate) fn mark_each(
    terms: &[(Payoff, Money)],
    grid: &Grid,
    inst: &[u32],
    qty: &[Money],
    entry: &[Money],
    marks: &[Money],
) -> Result<Vec<Exact>, ContractError> {
    let mut cs = Vec::with_capacity(terms.len());
    for (i, (p, _)) in terms.iter().enumerate() {
        let px = positive(marks[i], "mark")?;
        cs.push(ctx(grid.insts[i], *p, px).unwrap_or_default());
    }
    let too_large = || ContractError::Invalid {
        name: "unrealised",
        reason: "too large to give to 28 digits".into(),
    };
    if cs.iter().all(|c| c.grid) {
        return on_grid(grid, inst, &cs).ok_or_else(too_large);
    }
    let mut out = Vec::with_capacity(qty.len());
    for k in 0..qty.len() {
        let i = inst[k] as usize;
        let c = &cs[i];
        let v = if !c.grid {
            by_money(terms[i], qty[k], entry[k], marks[i])?
        } else if c.linear {
            Some(Exact {
                mant: grid.q[k] * c.mult * (c.px - grid.e[k] * c.fe),
                scale: c.sn as i32,
            })
        } else {
            let e = grid.e[k] * c.fe;
            div28(grid.q[k] * c.mult * (c.px - e), e, c.sqm as i32)
        };
        out.push(v.ok_or_else(too_large)?);
    }
    Ok(out)
}

/// [`mark_each`] when every instrument is on the grid: the two passes of the module docs.
fn on_grid(grid: &Grid, inst: &[u32], cs: &[Ctx]) -> Option<Vec<Exact>> {
    // Variants chosen once per mark, so the loops carry no per-position test for them:
    // every product fits i64; every inverse divisor is the entry itself (the mark has no
    // more decimals than the entries, the usual case), so the inverse pass reads only
    // `out`, the entries and their kept reciprocals.
    let mut out = if cs.iter().all(|c| c.small) {
        numerators::<true>(grid, inst, cs)
    } else {
        numerators::<false>(grid, inst, cs)
    };
    if cs.iter().all(|c| c.linear || (c.small && c.fe64 == 1)) {
        inverse_batches::<true>(grid, inst, cs, &mut out)?;
    } else {
        inverse_batches::<false>(grid, inst, cs, &mut out)?;
    }
    Some(out)
}

/// Pass 1: `q m (px - e)` for every position, at the linear PnL's scale (linear) or the
/// quotient's (inverse).
#[inline(never)] // its own registers: inlined, the loop reloads its pointers from the stack
fn numerators<const SMALL: bool>(grid: &Grid, inst: &[u32], cs: &[Ctx]) -> Vec<Exact> {
    inst.iter()
        .zip(grid.q.iter().zip(&grid.e))
        .map(|(i, (q, e))| {
            let c = &cs[*i as usize];
            Exact {
                mant: if SMALL || c.small {
                    // `small` bounds every factor and product below 2^63 (see `ctx`), so
                    // the narrowing casts are exact.
                    i128::from(*q as i64 * c.mult64 * (c.px64 - *e as i64 * c.fe64))
                } else {
                    q * c.mult * (c.px - e * c.fe)
                },
                scale: c.scale0,
            }
        })
        .collect()
}

/// Pass 2: the inverse positions' quotients, [`BATCH`] at a time, over the numerators in
/// `out` (`DIRECT` as in [`on_grid`]).
#[inline(never)]
fn inverse_batches<const DIRECT: bool>(
    grid: &Grid,
    inst: &[u32],
    cs: &[Ctx],
    out: &mut [Exact],
) -> Option<()> {
    let mut batches = grid.inverse.chunks_exact(BATCH);
    for (b, idx) in (&mut batches).enumerate() {
        let idx: &[u32; BATCH] = idx.try_into().ok()?;
        // Gather (positions of an instrument too large for i64 keep n = 0, which the
        // batch leaves to `one_inverse` below). A zero numerator (the mark at the entry,
        // or no quantity) is common enough that it must not send its batch there: the
        // batch gets 3 d in its place (a quotient well inside the fast path's bounds, for
        // any d) and the zero is written after.
        let (mut n, mut d, mut scale) = ([0_i64; BATCH], [0_i64; BATCH], [0_i32; BATCH]);
        let mut zeros = 0_u32; // bit j: n[j] was 0
        const _: () = assert!(BATCH <= u32::BITS as usize);
        let rcp: &[f64; BATCH] = grid.rcp[b * BATCH..][..BATCH].try_into().ok()?;
        for j in 0..BATCH {
            let k = idx[j] as usize;
            let x = out[k];
            scale[j] = x.scale;
            let (nj, dj) = if DIRECT {
                debug_assert_eq!(rcp[j].to_bits(), recip(grid.e[k]).to_bits());
                (x.mant as i64, grid.e[k] as i64)
            } else {
                let c = &cs[inst[k] as usize];
                if !c.small {
                    continue;
                }
                (x.mant as i64, grid.e[k] as i64 * c.fe64)
            };
            zeros |= u32::from(nj == 0) << j;
            n[j] = if nj == 0 { dj.wrapping_mul(3) } else { nj };
            d[j] = dj;
        }
        // With `DIRECT`, d is the entry and its reciprocal is kept in the grid.
        if div28_batch::<DIRECT>(&n, &d, rcp, &scale, idx, out) {
            while zeros != 0 {
                out[idx[zeros.trailing_zeros() as usize] as usize] = Exact::default();
                zeros &= zeros - 1;
            }
        } else {
            // Some quotient was left to `round28`: redo the batch one by one.
            for k in idx {
                out[*k as usize] = one_inverse(grid, inst, cs, *k as usize)?;
            }
        }
    }
    for k in batches.remainder() {
        out[*k as usize] = one_inverse(grid, inst, cs, *k as usize)?;
    }
    Some(())
}

/// Inverse position `k`'s PnL from the grid, on its own.
fn one_inverse(grid: &Grid, inst: &[u32], cs: &[Ctx], k: usize) -> Option<Exact> {
    let c = &cs[inst[k] as usize];
    let e = grid.e[k] * c.fe;
    div28(grid.q[k] * c.mult * (c.px - e), e, c.sqm as i32)
}

/// The same value from the amounts' own mantissas (an instrument off the grid):
/// `q m (px - e)` as one exact `i128` product, so scales past 28 lose nothing.
fn by_money(
    (payoff, m): (Payoff, Money),
    qty: Money,
    entry: Money,
    px: Money,
) -> Result<Option<Exact>, ContractError> {
    let diff = px.sub(entry, "pnl")?;
    let n = qty
        .mantissa()
        .checked_mul(m.mantissa())
        .and_then(|v| v.checked_mul(diff.mantissa()));
    let Some(n) = n else {
        return Ok(None);
    };
    let sn = (qty.scale() + m.scale() + diff.scale()) as i32;
    Ok(match payoff {
        Payoff::Linear => Some(Exact { mant: n, scale: sn }),
        Payoff::Inverse => div28(n, entry.mantissa(), sn - entry.scale() as i32),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::risk::portfolio::Portfolio;
    use crate::risk::quotient::round28;
    use proptest::prelude::*;

    /// `x` without trailing zeros, so equal values compare equal.
    fn norm(x: Exact) -> (i128, i32) {
        let (mut m, mut s) = (x.mant, x.scale);
        while m != 0 && m % 10 == 0 {
            (m, s) = (m / 10, s - 1);
        }
        (m, if m == 0 { 0 } else { s })
    }

    /// Each position's PnL straight from the amounts' mantissas, with the reference
    /// rounding (`round28`), one position at a time.
    fn one_at_a_time(
        terms: &[(Payoff, Money)],
        rows: &[(usize, Money, Money)],
        marks: &[Money],
    ) -> Vec<(i128, i32)> {
        rows.iter()
            .map(|&(i, q, e)| {
                let ((p, m), px) = (terms[i], marks[i]);
                let diff = px - e;
                let n = q.mantissa() * m.mantissa() * diff.mantissa();
                let sn = (q.scale() + m.scale() + diff.scale()) as i32;
                norm(match p {
                    Payoff::Linear => Exact { mant: n, scale: sn },
                    Payoff::Inverse => {
                        round28(n, e.mantissa(), sn - e.scale() as i32).expect("in range")
                    }
                })
            })
            .collect()
    }

    fn amount(lo: i64, hi: i64, places: u32) -> impl Strategy<Value = Money> {
        (lo..=hi, 0..=places).prop_map(|(v, s)| Money::new(v, s))
    }

    type Case = (Vec<(Payoff, Money)>, Vec<(usize, Money, Money)>, Vec<Money>);

    /// Instruments, positions and marks; `wide` sizes leave the i64 and batched paths
    /// (and sometimes the grid), usual ones stay on them.
    fn case(wide: bool) -> impl Strategy<Value = Case> {
        let (q, m, p, ps) = if wide {
            (10_i64.pow(15), 1000, 1_000_000_000, 8)
        } else {
            (100_000, 50, 1_000_000, 2)
        };
        let payoff = prop_oneof![Just(Payoff::Linear), Just(Payoff::Inverse)];
        let qty = prop_oneof![
            8 => amount(-q, q, 3),
            1 => amount(-1000, 1000, if wide { 18 } else { 4 }),
        ];
        (
            proptest::collection::vec((payoff, amount(1, m, 2)), 1..4),
            proptest::collection::vec((0_usize..4, qty, amount(1, p, ps)), 0..80),
            // Marks sometimes with more decimals than the entries.
            proptest::collection::vec(amount(1, p, ps + 1), 4),
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        /// The grid, its two passes and the batched quotients against the plain sum: many
        /// instruments and positions (batches and a remainder), scales that grow as
        /// positions arrive (rescaling the grid and its reciprocals), marks with more
        /// decimals than the entries, positions entered at the mark, and in `wide` cases
        /// amounts too large for the i64 or the batched path, or for the grid.
        #[test]
        fn mark_each_equals_one_at_a_time(
            (terms, rows, marks) in prop_oneof![3 => case(false), 1 => case(true)],
        ) {
            let mut book = Portfolio::new(terms.clone());
            let mut kept = Vec::new();
            let marks = &marks[..terms.len()];
            for (k, (i, q, e)) in rows.into_iter().enumerate() {
                let i = i % terms.len();
                // Every seventh position entered at the mark: a zero numerator.
                let e = if k % 7 == 3 { marks[i] } else { e };
                if book.push(i, q, e).is_ok() {
                    kept.push((i, q, e));
                }
            }
            let got: Vec<(i128, i32)> = book
                .mark_each(marks)
                .expect("in range")
                .into_iter()
                .map(norm)
                .collect();
            prop_assert_eq!(got, one_at_a_time(&terms, &kept, marks));
        }
    }
}
