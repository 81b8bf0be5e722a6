//! Read-only questions pricing and routing ask of a book: mid, depth near mid, and the
//! VWAP / impact price of sweeping a size. All exact: notionals are i128 at
//! `px_scale + sz_scale` decimals, so no rounding happens until the caller divides.

use std::ops::ControlFlow;

use super::{Book, Side};
use crate::decimal::Fixed;

/// Result of sweeping a side for a size, level by level from the best.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sweep {
    /// Size taken (book size scale); less than asked if the side ran out.
    pub filled: i64,
    /// Sum of px x size taken, at `px_scale + sz_scale` decimals.
    pub notional: i128,
    /// Price of the last (worst) level touched: the impact price.
    pub worst_px: Option<i64>,
    /// Number of levels touched.
    pub levels: usize,
}

impl Sweep {
    /// True if the whole size was available.
    #[must_use]
    pub fn complete(&self, qty: i64) -> bool {
        self.filled >= qty
    }
}

/// [`Book::sweep_qty`]'s result: sizes at `sz_scale`, notional at `px_scale + sz_scale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QtySweep {
    /// Size taken.
    pub filled: i128,
    /// Sum of px x size taken.
    pub notional: i128,
    /// Decimals of `filled`.
    pub sz_scale: u8,
    /// Price of the worst level touched.
    pub worst_px: Option<i64>,
    /// Levels touched.
    pub levels: usize,
}

impl Book {
    /// Mid price, exact (one more decimal than the book when the sum is odd).
    #[must_use]
    pub fn mid(&self) -> Option<Fixed> {
        let b = self.best(Side::Bid)?.px;
        let a = self.best(Side::Ask)?.px;
        let sum = b.checked_add(a)?;
        if sum % 2 == 0 {
            Some(Fixed::new(sum / 2, self.px_scale))
        } else if self.px_scale < crate::decimal::MAX_SCALE {
            Some(Fixed::new(sum.checked_mul(5)?, self.px_scale + 1))
        } else {
            None
        }
    }

    /// Spread in price integers (ask - bid), if both sides exist.
    #[must_use]
    pub fn spread(&self) -> Option<i64> {
        Some(self.best(Side::Ask)?.px - self.best(Side::Bid)?.px)
    }

    /// Sweep `side` (bids when we sell, asks when we buy) for `qty` at the size scale.
    #[must_use]
    pub fn sweep(&self, side: Side, qty: i64) -> Sweep {
        let mut out = Sweep::default();
        if qty <= 0 {
            return out;
        }
        let mut left = qty;
        let _ = self.walk_levels(side, |l| {
            let take = left.min(l.sz);
            out.filled += take;
            out.notional += i128::from(take) * i128::from(l.px);
            out.worst_px = Some(l.px);
            out.levels += 1;
            left -= take;
            if left == 0 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        out
    }

    /// Sweep for a size given at any scale (finer than the book's lots is fine): the
    /// result is exact at `max(book size scale, qty scale)` decimals.
    #[must_use]
    pub fn sweep_qty(&self, side: Side, qty: Fixed) -> QtySweep {
        let scale = self.sz_scale.max(qty.scale);
        let mut out = QtySweep {
            sz_scale: scale,
            ..QtySweep::default()
        };
        if qty.mantissa <= 0 {
            return out;
        }
        let up_qty = i128::from(crate::decimal::pow10(scale - qty.scale));
        let up_book = i128::from(crate::decimal::pow10(scale - self.sz_scale));
        let mut left = i128::from(qty.mantissa) * up_qty;
        let _ = self.walk_levels(side, |l| {
            let take = left.min(i128::from(l.sz) * up_book);
            out.filled += take;
            out.notional += take * i128::from(l.px);
            out.worst_px = Some(l.px);
            out.levels += 1;
            left -= take;
            if left == 0 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        out
    }

    /// Total size and notional on `side` priced within `bps` of mid (inclusive).
    #[must_use]
    pub fn depth_within_bps(&self, side: Side, bps: u32) -> (i128, i128) {
        let (Some(b), Some(a)) = (self.best(Side::Bid), self.best(Side::Ask)) else {
            return (0, 0);
        };
        // px within bps of mid=(b+a)/2  <=>  px * 20000 vs (b+a) * (10000 -/+ bps).
        let two_mid = i128::from(b.px) + i128::from(a.px);
        let bps = i128::from(bps);
        let (mut size, mut notional) = (0i128, 0i128);
        let _ = self.walk_levels(side, |l| {
            let lhs = i128::from(l.px) * 20_000;
            let inside = match side {
                Side::Bid => lhs >= two_mid * (10_000 - bps),
                Side::Ask => lhs <= two_mid * (10_000 + bps),
            };
            if !inside {
                return ControlFlow::Break(());
            }
            size += i128::from(l.sz);
            notional += i128::from(l.sz) * i128::from(l.px);
            ControlFlow::Continue(())
        });
        (size, notional)
    }

    /// The best `n` levels of a side, best first.
    pub fn top(&self, side: Side, n: usize) -> impl Iterator<Item = super::Level> + '_ {
        self.levels(side).take(n)
    }
}
