//! Each position's unrealised PnL (USD) in one pass, on an integer grid.
//!
//! Linear: `q m (px - e)`, exact. Inverse, valued in USD at the mark: `q m (px - e) / e`,
//! the exact quotient rounded half-even to 28 significant digits (what `Decimal`'s
//! default context gives). Quantities and entries are kept as integers at a per-
//! instrument scale as positions are added (an instrument whose numbers do not fit
//! there is marked from the amounts' mantissas, with the same rounding), so a mark costs a few
//! integer operations per position and one long division for an inverse one.

use super::fixed::{at, fits, min_scale, p10};
use crate::contracts::{positive, Checked, ContractError, Money, Payoff};

/// A decimal `mant x 10^-scale` (the scale may pass 28, or be negative).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Exact {
    /// Integer mantissa.
    pub mant: i128,
    /// Decimal places.
    pub scale: i32,
}

/// One instrument's grid: quantities at `sq`, entries at `se`, multiplier at `sm`.
#[derive(Debug, Clone, Copy, Default)]
struct GridInst {
    ok: bool,
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
}

const MAX_GRID_SCALE: u32 = 18;

impl Grid {
    pub(crate) fn new(terms: &[(Payoff, Money)]) -> Self {
        let insts = terms
            .iter()
            .map(|(_, m)| {
                let sm = min_scale(*m);
                let mult = at(*m, sm);
                GridInst {
                    ok: mult.is_some(),
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
        true
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
    (g.ok && top < 1 << 126).then_some(Ctx {
        grid: true,
        linear: payoff == Payoff::Linear,
        mult: g.mult,
        px: pg,
        fe,
        sn: g.sq + g.sm + sp,
        sqm: g.sq + g.sm,
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
            round28(grid.q[k] * c.mult * (c.px - e), e, c.sqm as i32)
        };
        out.push(v.ok_or_else(too_large)?);
    }
    Ok(out)
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
        Payoff::Inverse => round28(n, entry.mantissa(), sn - entry.scale() as i32),
    })
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
