//! The integer image of the check state, rebuilt with the [`Aggregates`] it mirrors.
//!
//! Each instrument gets a price scale (its tick's decimals + 2, so slightly off-tick
//! prices stay on the grid and are refused for the tick, not sent the slow way), a
//! quantity scale (lot + 2) and its multiplier; USD amounts share one scale `su` and
//! the liquidation lines' slopes one scale `sb`. Limits are moved onto those grids once
//! (see [`super::fixed`]), so a check is a handful of `i128` operations. Whatever cannot
//! be put on a grid exactly (an aggregate with 28 decimals, a scale past 28) leaves that
//! instrument, or the whole engine, on the `Money` path: correct, only slower.

use super::aggregates::{ref_price, Aggregates};
use super::fixed::{at, ceil_at, floor_at, min_scale, mul, p10, Divisor, MAX_SCALE};
use super::state::State;
use crate::contracts::liquidation::LinearAccount;
use crate::contracts::{Checked, Money, Payoff};

mod bounds;

/// A limit on the grid (`lim`) and as configured (`raw`, for the refusal).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Lim {
    pub lim: i128,
    pub raw: Money,
}

/// A rate (fraction) as an integer at its own scale.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rate {
    pub m: i128,
    pub scale: u32,
    pub raw: Money,
}

impl Rate {
    fn new(raw: Money) -> Option<Self> {
        let scale = min_scale(raw);
        Some(Rate {
            m: at(raw, scale)?,
            scale,
            raw,
        })
    }
}

/// The price band's reference for one instrument.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Band {
    /// No band configured.
    Off,
    /// A band but no mark or index price.
    NoReference,
    /// `|price - reference| > lim` refuses (`lim` = floor of `band x reference`).
    On {
        reference: i128,
        reference_raw: Money,
        lim: i128,
        band: Money,
    },
}

/// One instrument on its grids.
#[derive(Debug, Clone)]
pub(crate) struct FastInst {
    pub linear: bool,
    /// Quantity, price and notional (`sq + sm (+ sp)`) scales.
    pub sq: u32,
    pub sp: u32,
    pub sn: u32,
    /// Multiplier at scale `sm`.
    pub mult: i128,
    pub tick: Divisor,
    pub lot: Divisor,
    pub min_qty: i128,
    pub max_qty: Option<Lim>,
    pub min_notional: Option<Lim>,
    pub band: Band,
    pub max_notional: Option<Lim>,
    pub max_position: Option<Lim>,
    /// Reference price for exposure (mark, index, entry), if any.
    pub px: Option<i128>,
    /// Price the liquidation distance is measured from (index, mark), if any.
    pub liq_at: Option<i128>,
    /// Position before the order (`sq`) and its |notional| (`su`).
    pub qty: i128,
    pub notional: i128,
    /// 10^(su - sn): notional to USD scale.
    pub f_usd: i128,
    /// 10^(sb - sq - sm): units to slope scale.
    pub f_units: i128,
    /// Maintenance rate times 10^(sb - sq - sm - scale): |units| x this is at `sb`.
    pub mm: i128,
    /// 10^(su - sb - sp): slope x price to USD scale.
    pub f_slope: i128,
    pub im: Rate,
    pub max_gross: Option<Lim>,
    pub max_share: Option<Rate>,
    /// Minimum headroom, ceiling at `su + im.scale`.
    pub min_headroom: Option<Lim>,
    pub min_liq: Option<Rate>,
    pub venue: usize,
    pub asset: usize,
    /// Orders with `|q| <= q_max` and `p <= p_max` cannot overflow ([`bounds`]).
    pub q_max: i128,
    pub p_max: i128,
}

/// An account's lines on the grid: `a`, `c` at `su`, `b`, `d` at `sb`.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Lines {
    pub a: i128,
    pub b: i128,
    pub c: i128,
    pub d: i128,
}

/// The integer image of the engine's check state. See the module docs.
#[derive(Debug, Clone, Default)]
pub(crate) struct Fast {
    pub valid: bool,
    /// The instruments' `q_max`/`p_max` describe this state (false once `apply`ed).
    pub bounded: bool,
    pub su: u32,
    pub sb: u32,
    pub insts: Vec<Option<FastInst>>,
    pub venue_gross: Vec<i128>,
    pub venue_equity: Vec<Option<i128>>,
    pub venue_im: Vec<i128>,
    pub total_gross: i128,
    pub net_delta: i128,
    pub max_net_delta: Option<Lim>,
    pub concentration_min: i128,
    pub lin: Vec<Vec<Option<Lines>>>,
}

/// Lines with few enough decimals to share the grid.
fn on_grid(l: &LinearAccount) -> bool {
    [l.a, l.b, l.c, l.d].iter().all(|m| min_scale(*m) <= 12)
}

fn lim_floor(raw: Option<Money>, scale: u32) -> Option<Option<Lim>> {
    match raw {
        None => Some(None),
        Some(raw) => Some(Some(Lim {
            lim: floor_at(raw, scale)?,
            raw,
        })),
    }
}

fn rate(raw: Option<Money>) -> Option<Option<Rate>> {
    match raw {
        None => Some(None),
        Some(r) => Some(Some(Rate::new(r)?)),
    }
}

/// Price and quantity scales of instrument `i` (before the shared scales are known).
fn inst_scales(e: &State, i: usize) -> (u32, u32, u32) {
    let st = &e.insts[i];
    let prices = [st.mark, e.index_px[st.asset], Some(st.pos.avg_entry)];
    let sp = prices
        .iter()
        .flatten()
        .map(|p| min_scale(*p))
        .fold(min_scale(st.spec.tick) + 2, u32::max);
    let sq = (min_scale(st.spec.lot) + 2).max(min_scale(st.pos.qty));
    (sp, sq, min_scale(st.spec.multiplier))
}

impl Fast {
    /// The image of `aggs`; `valid` false if the engine must use the `Money` path.
    pub(crate) fn build(e: &State, aggs: &Aggregates) -> Self {
        if aggs.error.is_some() {
            return Fast::default();
        }
        Self::try_build(e, aggs).unwrap_or_default()
    }

    fn try_build(e: &State, aggs: &Aggregates) -> Option<Self> {
        let scales: Vec<_> = (0..e.insts.len()).map(|i| inst_scales(e, i)).collect();
        // Lines carrying a rounded inverse term (28 decimals) stay off the grid: only
        // their liquidation check then goes the Money way.
        let lines = aggs.lin.iter().flatten().filter(|l| on_grid(l));
        let mut sb = lines
            .clone()
            .map(|l| min_scale(l.b).max(min_scale(l.d)))
            .max()
            .unwrap_or(0);
        let mut su = lines
            .map(|l| min_scale(l.a).max(min_scale(l.c)))
            .chain(aggs.venue_gross.iter().map(|m| min_scale(*m)))
            // Equity holds inverse PnL, a rounded division: only venues whose equity has
            // few decimals set the scale; the others check headroom the Money way.
            .chain(
                aggs.venue_equity
                    .iter()
                    .map(|m| min_scale(*m))
                    .filter(|s| *s <= 12),
            )
            .chain(aggs.venue_im.iter().map(|m| min_scale(*m)))
            .chain(aggs.notional.iter().map(|m| min_scale(*m)))
            .chain([min_scale(aggs.total_gross), min_scale(aggs.net_delta)])
            .max()
            .unwrap_or(0);
        for (i, (_, sq, sm)) in scales.iter().enumerate() {
            sb = sb.max(sq + sm + min_scale(e.insts[i].lim.mm_rate));
        }
        for (sp, sq, sm) in &scales {
            su = su.max(sq + sm + sp).max(sb + sp);
        }
        if su > MAX_SCALE {
            return None;
        }
        let lin = aggs
            .lin
            .iter()
            .map(|v| {
                v.iter()
                    .map(|l| {
                        Some(Lines {
                            a: at(l.a, su)?,
                            b: at(l.b, sb)?,
                            c: at(l.c, su)?,
                            d: at(l.d, sb)?,
                        })
                        .filter(|_| on_grid(l))
                    })
                    .collect::<Vec<_>>()
            })
            .collect::<Vec<_>>();
        let usd = |v: &[Money]| v.iter().map(|m| at(*m, su)).collect::<Option<Vec<_>>>();
        let mut f = Fast {
            valid: true,
            bounded: true,
            su,
            sb,
            insts: Vec::with_capacity(e.insts.len()),
            venue_gross: usd(&aggs.venue_gross)?,
            venue_equity: aggs.venue_equity.iter().map(|m| at(*m, su)).collect(),
            venue_im: usd(&aggs.venue_im)?,
            total_gross: at(aggs.total_gross, su)?,
            net_delta: at(aggs.net_delta, su)?,
            max_net_delta: lim_floor(e.limits.max_net_delta_usd, su)?,
            concentration_min: ceil_at(e.limits.concentration_min_total_usd, su)?,
            lin,
        };
        for (i, s) in scales.iter().enumerate() {
            let inst = inst(e, aggs, &f, i, *s);
            f.insts.push(inst);
        }
        // The bounds read the whole state, so they are computed before any is stored.
        let bounds: Vec<_> = f
            .insts
            .iter()
            .map(|fi| fi.as_ref().map(|fi| bounds::bounds(&f, fi)))
            .collect();
        for (fi, b) in f.insts.iter_mut().zip(bounds) {
            if let (Some(fi), Some((q, p))) = (fi, b) {
                (fi.q_max, fi.p_max) = (q, p);
            }
        }
        Some(f)
    }

    /// Count an approved order as filled at its price (cumulative batches), exactly as
    /// `Aggregates::apply_order` does; `None` if that cannot be done on the grid.
    pub(crate) fn apply(&mut self, i: usize, q: i128, p: i128) -> Option<()> {
        let fi = self.insts.get(i)?.as_ref()?;
        if !fi.linear {
            return None;
        }
        let px = fi.px.unwrap_or(p);
        let qty = fi.qty + q;
        let after = mul(mul(mul(qty, fi.mult)?, px)?.abs(), fi.f_usd)?;
        let change = after - fi.notional;
        let units = mul(q, fi.mult)?;
        let delta = mul(mul(units, px)?, fi.f_usd)?;
        let im = mul(change, fi.im.m)?;
        let k = p10(fi.im.scale)?;
        if im % k != 0 {
            return None;
        }
        let (v, a) = (fi.venue, fi.asset);
        let l = self.lin[v][a]?;
        let lines = Lines {
            a: l.a - mul(mul(units, p)?, fi.f_usd)?,
            b: l.b + mul(units, fi.f_units)?,
            c: l.c,
            d: l.d + mul(units.abs(), fi.mm)?,
        };
        let fits = super::fixed::fits;
        let sums = [
            self.venue_gross[v] + change,
            self.total_gross + change,
            self.net_delta + delta,
            self.venue_im[v] + im / k,
            lines.a,
            lines.b,
            lines.d,
            qty,
        ];
        if !sums.iter().all(|x| fits(*x)) {
            return None;
        }
        self.bounded = false;
        self.venue_gross[v] = sums[0];
        self.total_gross = sums[1];
        self.net_delta = sums[2];
        self.venue_im[v] = sums[3];
        self.lin[v][a] = Some(lines);
        let fi = self.insts[i].as_mut()?;
        fi.qty = qty;
        fi.notional = after;
        Some(())
    }
}

fn inst(
    e: &State,
    aggs: &Aggregates,
    f: &Fast,
    i: usize,
    (sp, sq, sm): (u32, u32, u32),
) -> Option<FastInst> {
    let st = &e.insts[i];
    let s = &st.spec;
    let linear = s.payoff == Payoff::Linear;
    let sn = if linear { sq + sm + sp } else { sq + sm };
    let (su, sb) = (f.su, f.sb);
    let ven = &e.venues[st.venue].lim;
    let max_q = match (s.max_qty, st.lim.max_order_qty) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let band = match st.lim.price_band {
        None => Band::Off,
        Some(band) => match st.mark.or(e.index_px[st.asset]) {
            None => Band::NoReference,
            Some(r) => Band::On {
                reference: at(r, sp)?,
                reference_raw: r,
                // The same product the Money path compares against, rounding included.
                lim: floor_at(band.mul(r, "band").ok()?, sp)?,
                band,
            },
        },
    };
    let mm = Rate::new(st.lim.mm_rate)?;
    let im = Rate::new(st.lim.im_rate)?;
    let min_notional = match (s.min_notional, linear) {
        (Some(raw), true) => Some(Lim {
            lim: ceil_at(raw, sn)?,
            raw,
        }),
        _ => None,
    };
    let min_headroom = match ven.min_headroom {
        None => None,
        Some(raw) => Some(Lim {
            lim: ceil_at(raw, (su + im.scale).min(MAX_SCALE))?,
            raw,
        }),
    };
    let at_price = |p: Option<Money>| p.map(|p| at(p, sp)).map_or(Some(None), |v| v.map(Some));
    Some(FastInst {
        linear,
        sq,
        sp,
        sn,
        mult: at(s.multiplier, sm)?,
        tick: Divisor::new(at(s.tick, sp)?),
        lot: Divisor::new(at(s.lot, sq)?),
        min_qty: ceil_at(s.min_qty, sq)?,
        max_qty: lim_floor(max_q, sq)?,
        min_notional,
        band,
        max_notional: lim_floor(st.lim.max_order_notional, sn)?,
        max_position: lim_floor(st.lim.max_position, sq)?,
        px: at_price(ref_price(e, i))?,
        liq_at: at_price(e.index_px[st.asset].or(st.mark))?,
        qty: at(aggs.qty[i], sq)?,
        notional: at(aggs.notional[i], su)?,
        f_usd: p10(su - sn)?,
        f_units: p10(sb.checked_sub(sq + sm)?)?,
        mm: mul(mm.m, p10(sb.checked_sub(sq + sm + mm.scale)?)?)?,
        f_slope: p10(su.checked_sub(sb + sp)?)?,
        im,
        max_gross: lim_floor(ven.max_gross, su)?,
        max_share: rate(ven.max_share)?,
        min_headroom,
        min_liq: rate(ven.min_liq_distance)?,
        venue: st.venue,
        asset: st.asset,
        q_max: 0,
        p_max: 0,
    })
}

/// The `Money` lines of an account on the grid (for a refusal's payload).
pub(crate) fn lines_money(l: &Lines, su: u32, sb: u32) -> Option<LinearAccount> {
    use super::fixed::money;
    Some(LinearAccount {
        a: money(l.a, su)?,
        b: money(l.b, sb)?,
        c: money(l.c, su)?,
        d: money(l.d, sb)?,
    })
}
