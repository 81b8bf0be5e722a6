//! L2 order book in fixed point.
//!
//! Prices and sizes are integers at the book's scale (decimals), which starts at what the
//! first levels need and only ever grows, exactly, when a venue sends a finer value. Each
//! level also remembers how many decimals the venue wrote, so the original text can be
//! rebuilt byte for byte for checksums (OKX) and for display.
//!
//! Each side is a [`side::SideLevels`]: a dense window of prices around the touch in
//! front of price-sorted chunks, because venues update every depth but most often near
//! the best price (see that module for the measurements).

mod analytics;
mod side;

pub use analytics::{QtySweep, Sweep};

use std::ops::ControlFlow;

use side::{Cursor, SideLevels, Slot};

use crate::decimal::{format_fixed, pow10, rescale, DecimalError, Fixed, MAX_SCALE};

/// Book side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// Buy orders.
    Bid,
    /// Sell orders.
    Ask,
}

impl Side {
    /// The other side.
    #[must_use]
    pub fn opposite(self) -> Side {
        match self {
            Side::Bid => Side::Ask,
            Side::Ask => Side::Bid,
        }
    }
}

/// One price level: integers at the book's scale plus the decimals the venue wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Level {
    /// Price at the book's price scale.
    pub px: i64,
    /// Size at the book's size scale.
    pub sz: i64,
    /// Decimals in the venue's price text.
    pub px_dp: u8,
    /// Decimals in the venue's size text.
    pub sz_dp: u8,
}

/// Crossed/locked state of the top of book.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cross {
    /// best bid < best ask, or a side is empty.
    Normal,
    /// best bid == best ask.
    Locked,
    /// best bid > best ask.
    Crossed,
}

/// Why a level could not be applied; the book is left unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BookError {
    /// A price or size that is not an exact decimal.
    #[error(transparent)]
    Decimal(#[from] DecimalError),
    /// A price of zero or below.
    #[error("price must be positive, got {0}")]
    NonPositivePrice(String),
    /// A negative size.
    #[error("size must not be negative, got {0}")]
    NegativeSize(String),
    /// The value does not fit the book's fixed-point range.
    #[error("value {0} out of the book's fixed-point range")]
    OutOfRange(String),
}

/// Levels of one side, best first.
#[derive(Debug, Clone)]
pub struct Levels<'a>(Cursor<'a>);

#[inline]
fn level(px: i64, s: &Slot) -> Level {
    Level {
        px,
        sz: s.sz,
        px_dp: (s.dps >> 8) as u8,
        sz_dp: (s.dps & 0xFF) as u8,
    }
}

impl Iterator for Levels<'_> {
    type Item = Level;

    #[inline]
    fn next(&mut self) -> Option<Level> {
        self.0.next().map(|(p, s)| level(p, s))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl ExactSizeIterator for Levels<'_> {}

/// An L2 book for one instrument.
#[derive(Debug, Clone)]
pub struct Book {
    bids: SideLevels,
    asks: SideLevels,
    px_scale: u8,
    sz_scale: u8,
}

impl Default for Book {
    fn default() -> Self {
        Book {
            bids: SideLevels::new(true),
            asks: SideLevels::new(false),
            px_scale: 0,
            sz_scale: 0,
        }
    }
}

impl Book {
    /// An empty book whose scales grow with the data.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty book at known scales (from the instrument's tick and lot).
    #[must_use]
    pub fn with_scales(px_scale: u8, sz_scale: u8) -> Self {
        Book {
            px_scale: px_scale.min(MAX_SCALE),
            sz_scale: sz_scale.min(MAX_SCALE),
            ..Self::default()
        }
    }

    /// Decimals of the integer prices.
    #[must_use]
    pub fn px_scale(&self) -> u8 {
        self.px_scale
    }

    /// Decimals of the integer sizes.
    #[must_use]
    pub fn sz_scale(&self) -> u8 {
        self.sz_scale
    }

    /// Remove every level (keeps the allocation and the scales).
    pub fn clear(&mut self) {
        self.bids.clear();
        self.asks.clear();
    }

    /// True if both sides are empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.bids.is_empty() && self.asks.is_empty()
    }

    /// Number of levels on a side.
    #[must_use]
    pub fn len(&self, side: Side) -> usize {
        self.side(side).len()
    }

    /// Set the size at a price; a size of zero deletes the level (absent is fine).
    ///
    /// # Errors
    /// [`BookError`] for a non-positive price, negative size or out-of-range value.
    #[inline]
    pub fn apply(&mut self, side: Side, px: Fixed, sz: Fixed) -> Result<(), BookError> {
        let level = self.make_level(px, sz)?;
        self.apply_level(side, level);
        Ok(())
    }

    /// Parse and apply decimal text (the common venue case).
    ///
    /// # Errors
    /// As [`Book::apply`], plus [`DecimalError`] for text that is not a decimal.
    #[inline]
    pub fn apply_text(&mut self, side: Side, px: &str, sz: &str) -> Result<(), BookError> {
        self.apply(side, Fixed::parse(px)?, Fixed::parse(sz)?)
    }

    /// Replace one side with these levels (a snapshot). Zero sizes are skipped; on a
    /// later duplicate price the last one wins.
    ///
    /// # Errors
    /// [`BookError`] on the first bad level; the side is then left empty.
    pub fn load_side<I>(&mut self, side: Side, levels: I) -> Result<(), BookError>
    where
        I: IntoIterator<Item = (Fixed, Fixed)>,
    {
        self.side_mut(side).clear();
        for (px, sz) in levels {
            let level = match self.make_level(px, sz) {
                Ok(l) => l,
                Err(e) => {
                    self.side_mut(side).clear();
                    return Err(e);
                }
            };
            if level.sz == 0 {
                // A zero in a snapshot deletes an earlier duplicate of the price.
                self.side_mut(side).remove(level.px);
            } else {
                self.side_mut(side).set(level.px, slot(&level));
            }
        }
        Ok(())
    }

    /// Best level of a side.
    #[inline]
    #[must_use]
    pub fn best(&self, side: Side) -> Option<Level> {
        match side {
            Side::Bid => self.bids.last(),
            Side::Ask => self.asks.first(),
        }
        .map(|(p, s)| level(p, s))
    }

    /// Levels of a side, best first.
    #[must_use]
    pub fn levels(&self, side: Side) -> Levels<'_> {
        Levels(match side {
            Side::Bid => self.bids.cursor(false),
            Side::Ask => self.asks.cursor(true),
        })
    }

    /// Call `f` on the levels of a side, best first, until it breaks: the order of
    /// [`Book::levels`], in tighter loops (what the sweeps and depth sums use).
    #[inline(always)]
    pub fn walk_levels<B>(
        &self,
        side: Side,
        mut f: impl FnMut(Level) -> ControlFlow<B>,
    ) -> ControlFlow<B> {
        let visit = |p: i64, s: &Slot| f(level(p, s));
        match side {
            Side::Bid => self.bids.walk(false, visit),
            Side::Ask => self.asks.walk(true, visit),
        }
    }

    /// Size at an exact price (integer at the book's price scale), if the level exists.
    #[must_use]
    pub fn size_at(&self, side: Side, px: i64) -> Option<i64> {
        self.side(side).get(px).map(|s| s.sz)
    }

    /// Crossed or locked state of the top of book.
    #[must_use]
    pub fn cross(&self) -> Cross {
        match (self.best(Side::Bid), self.best(Side::Ask)) {
            (Some(b), Some(a)) if b.px > a.px => Cross::Crossed,
            (Some(b), Some(a)) if b.px == a.px => Cross::Locked,
            _ => Cross::Normal,
        }
    }

    /// Price text of a level, as the venue wrote it.
    #[must_use]
    pub fn px_text(&self, l: impl std::borrow::Borrow<Level>) -> String {
        let l = l.borrow();
        text(l.px, self.px_scale, l.px_dp)
    }

    /// Size text of a level, as the venue wrote it.
    #[must_use]
    pub fn sz_text(&self, l: impl std::borrow::Borrow<Level>) -> String {
        let l = l.borrow();
        text(l.sz, self.sz_scale, l.sz_dp)
    }

    /// A price or size integer of this book as a [`Fixed`].
    #[must_use]
    pub fn px_fixed(&self, px: i64) -> Fixed {
        Fixed::new(px, self.px_scale)
    }

    /// A size integer of this book as a [`Fixed`].
    #[must_use]
    pub fn sz_fixed(&self, sz: i64) -> Fixed {
        Fixed::new(sz, self.sz_scale)
    }

    /// Convert venue values to a level at this book's scales, growing them if needed.
    #[inline(always)]
    fn make_level(&mut self, px: Fixed, sz: Fixed) -> Result<Level, BookError> {
        // The steady state: positive values that the book's scales represent as they
        // are, or by an exact constant-divisor rescale (a venue padding `61800.20` for a
        // 0.1 tick). Everything else (errors, a first finer value) is out of line.
        if px.mantissa > 0 && sz.mantissa >= 0 {
            if let (Some(p), Some(s)) = (px.at_scale(self.px_scale), sz.at_scale(self.sz_scale)) {
                if p == i64::MAX {
                    // Reserved: the sides mark unused price slots with it.
                    return Err(BookError::OutOfRange(px.to_string()));
                }
                return Ok(Level {
                    px: p,
                    sz: s,
                    px_dp: px.scale,
                    sz_dp: sz.scale,
                });
            }
        }
        self.make_level_slow(px, sz)
    }

    #[cold]
    #[inline(never)]
    fn make_level_slow(&mut self, px: Fixed, sz: Fixed) -> Result<Level, BookError> {
        if px.mantissa <= 0 {
            return Err(BookError::NonPositivePrice(px.to_string()));
        }
        if sz.mantissa < 0 {
            return Err(BookError::NegativeSize(sz.to_string()));
        }
        let p = match px.at_scale(self.px_scale) {
            Some(i64::MAX) => return Err(BookError::OutOfRange(px.to_string())),
            Some(p) => p,
            None => {
                self.grow_px_scale(px.min_scale(), px)?;
                px.at_scale(self.px_scale)
                    .ok_or_else(|| BookError::OutOfRange(px.to_string()))?
            }
        };
        let s = match sz.at_scale(self.sz_scale) {
            Some(s) => s,
            None => {
                self.grow_sz_scale(sz.min_scale(), sz)?;
                sz.at_scale(self.sz_scale)
                    .ok_or_else(|| BookError::OutOfRange(sz.to_string()))?
            }
        };
        Ok(Level {
            px: p,
            sz: s,
            px_dp: px.scale,
            sz_dp: sz.scale,
        })
    }

    #[inline]
    fn apply_level(&mut self, side: Side, level: Level) {
        let levels = self.side_mut(side);
        if level.sz == 0 {
            levels.remove(level.px);
        } else {
            levels.set(level.px, slot(&level));
        }
    }

    fn grow_px_scale(&mut self, to: u8, culprit: Fixed) -> Result<(), BookError> {
        if to <= self.px_scale {
            return Err(BookError::OutOfRange(culprit.to_string()));
        }
        let k = pow10(to - self.px_scale);
        let overflow = self
            .bids
            .prices()
            .chain(self.asks.prices())
            .any(|p| p.checked_mul(k).is_none());
        if overflow {
            return Err(BookError::OutOfRange(culprit.to_string()));
        }
        self.bids.scale_prices(k);
        self.asks.scale_prices(k);
        self.px_scale = to;
        Ok(())
    }

    fn grow_sz_scale(&mut self, to: u8, culprit: Fixed) -> Result<(), BookError> {
        if to <= self.sz_scale {
            return Err(BookError::OutOfRange(culprit.to_string()));
        }
        let k = pow10(to - self.sz_scale);
        let ok = [&mut self.bids, &mut self.asks]
            .into_iter()
            .all(|side| side.slots_mut().all(|s| s.sz.checked_mul(k).is_some()));
        if !ok {
            return Err(BookError::OutOfRange(culprit.to_string()));
        }
        for s in self.bids.slots_mut().chain(self.asks.slots_mut()) {
            s.sz *= k;
        }
        self.sz_scale = to;
        Ok(())
    }

    #[inline]
    fn side(&self, side: Side) -> &SideLevels {
        match side {
            Side::Bid => &self.bids,
            Side::Ask => &self.asks,
        }
    }

    #[inline]
    fn side_mut(&mut self, side: Side) -> &mut SideLevels {
        match side {
            Side::Bid => &mut self.bids,
            Side::Ask => &mut self.asks,
        }
    }
}

#[inline]
fn slot(l: &Level) -> Slot {
    Slot {
        sz: l.sz,
        dps: (u16::from(l.px_dp) << 8) | u16::from(l.sz_dp),
    }
}

/// A level as (price, size) exact decimal text, at the given scales, with the decimals the
/// venue wrote.
#[must_use]
pub fn level_text(l: &Level, px_scale: u8, sz_scale: u8) -> (String, String) {
    (text(l.px, px_scale, l.px_dp), text(l.sz, sz_scale, l.sz_dp))
}

fn text(m: i64, scale: u8, dp: u8) -> String {
    match rescale(m, scale, dp) {
        Some(v) => format_fixed(i128::from(v), dp),
        None => format_fixed(i128::from(m), scale),
    }
}

#[cfg(test)]
mod tests;
