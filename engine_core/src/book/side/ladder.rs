//! A dense window of [`W`] consecutive prices near the touch: one slot per price, found
//! by subtraction, with an occupancy bitmap for the best level and for walking.
//!
//! Why: on the Binance BTCUSDT capture 89% of updates land within 2,048 ticks of the
//! best price, while a side holds ~2,300 levels spread over ~60,000 ticks. In the
//! sorted chunks each of those updates paid a search through a side that lives in L2
//! plus a memmove; here it is one store and one bit.

use std::ops::ControlFlow;

use super::Slot;

/// Prices in the window.
pub(crate) const W: usize = 2048;
const WORDS: usize = W / 64;
const _: () = assert!(WORDS <= 64, "the summary is one u64");

/// Prices `base .. base + W`, each with a slot and an occupancy bit.
///
/// Invariants: `bits` marks exactly the occupied slots, `summary` bit `w` is set iff
/// `bits[w] != 0`, and `count` is the number of set bits.
#[derive(Debug, Clone)]
pub(crate) struct Ladder {
    base: i64,
    count: usize,
    summary: u64,
    bits: [u64; WORDS],
    slots: [Slot; W],
}

impl Ladder {
    /// Out of line: the value is built on the stack first, and a 32 KiB frame inlined
    /// into the caller made every call of it probe the stack (15% of replay time).
    #[cold]
    #[inline(never)]
    pub fn new(base: i64) -> Box<Self> {
        Box::new(Ladder {
            base,
            count: 0,
            summary: 0,
            bits: [0; WORDS],
            slots: [Slot { sz: 0, dps: 0 }; W],
        })
    }

    pub fn base(&self) -> i64 {
        self.base
    }

    /// The highest price the window covers (or `i64::MAX` if that is lower: a window
    /// near the top of the integer range).
    pub fn top(&self) -> i64 {
        self.base.saturating_add(W as i64 - 1)
    }

    pub fn len(&self) -> usize {
        self.count
    }

    /// The slot index of `px`, if the window covers it.
    #[inline]
    pub fn index(&self, px: i64) -> Option<usize> {
        // Wrapping is exact here: prices are positive and `base > i64::MIN + W`, so the
        // true difference lies in (-2^63, 2^63 + W) and only [0, W) maps below W.
        let d = px.wrapping_sub(self.base) as u64;
        (d < W as u64).then_some(d as usize)
    }

    #[inline]
    fn price(&self, i: usize) -> i64 {
        self.base + i as i64
    }

    #[inline]
    fn occupied(&self, i: usize) -> bool {
        self.bits[i / 64] & (1 << (i % 64)) != 0
    }

    #[inline]
    pub fn get(&self, i: usize) -> Option<&Slot> {
        self.occupied(i).then(|| &self.slots[i])
    }

    #[inline]
    pub fn set(&mut self, i: usize, slot: Slot) {
        self.slots[i] = slot;
        let (w, bit) = (i / 64, 1u64 << (i % 64));
        if self.bits[w] & bit == 0 {
            self.bits[w] |= bit;
            self.summary |= 1 << w;
            self.count += 1;
        }
    }

    /// Clear slot `i`; false if it was empty.
    #[inline]
    pub fn remove(&mut self, i: usize) -> bool {
        let (w, bit) = (i / 64, 1u64 << (i % 64));
        if self.bits[w] & bit == 0 {
            return false;
        }
        self.bits[w] &= !bit;
        if self.bits[w] == 0 {
            self.summary &= !(1 << w);
        }
        self.count -= 1;
        true
    }

    /// Lowest occupied price.
    #[inline]
    pub fn first(&self) -> Option<(i64, &Slot)> {
        let w = self.summary.trailing_zeros() as usize;
        let i = w * 64 + self.bits.get(w)?.trailing_zeros() as usize;
        Some((self.price(i), &self.slots[i]))
    }

    /// Highest occupied price.
    #[inline]
    pub fn last(&self) -> Option<(i64, &Slot)> {
        let w = 63usize.checked_sub(self.summary.leading_zeros() as usize)?;
        let i = w * 64 + 63 - self.bits[w].leading_zeros() as usize;
        Some((self.price(i), &self.slots[i]))
    }

    /// Empty the window and move it to start at `base`.
    pub fn reset(&mut self, base: i64) {
        self.bits = [0; WORDS];
        self.summary = 0;
        self.count = 0;
        self.base = base;
    }

    /// Move every level out into `out`, ascending, leaving the window empty.
    pub fn drain_into(&mut self, out: &mut Vec<(i64, Slot)>) {
        out.extend(self.cursor(true).map(|(p, s)| (p, *s)));
        let base = self.base;
        self.reset(base);
    }

    pub fn slots_mut(&mut self) -> impl Iterator<Item = &mut Slot> + '_ {
        let bits = self.bits;
        self.slots
            .iter_mut()
            .enumerate()
            .filter(move |(i, _)| bits[i / 64] & (1 << (i % 64)) != 0)
            .map(|(_, s)| s)
    }

    /// Call `f` on every level, ascending or descending, until it breaks.
    #[inline(always)]
    pub fn walk<B>(
        &self,
        ascending: bool,
        f: &mut impl FnMut(i64, &Slot) -> ControlFlow<B>,
    ) -> ControlFlow<B> {
        // See `flip`: a one-cycle dependency chain per level in both directions.
        let at = |b: u32| {
            if ascending {
                b as usize
            } else {
                63 - b as usize
            }
        };
        let mut words = flip(self.summary, ascending);
        while words != 0 {
            let w = at(words.trailing_zeros());
            words &= words - 1;
            let mut bits = flip(self.bits[w], ascending);
            while bits != 0 {
                let i = w * 64 + at(bits.trailing_zeros());
                bits &= bits - 1;
                f(self.price(i), &self.slots[i])?;
            }
        }
        ControlFlow::Continue(())
    }

    pub fn cursor(&self, ascending: bool) -> LadderCursor<'_> {
        let word = if ascending { 0 } else { WORDS - 1 };
        LadderCursor {
            base: self.base,
            bits: &self.bits,
            slots: &self.slots,
            word,
            mask: flip(self.bits[word], ascending),
            ascending,
            remaining: self.count,
        }
    }
}

/// A bitmap word in reading order: descending reads it bit-reversed, so both directions
/// take the lowest set bit with `tzcnt` and clear it with `x & (x - 1)`.
#[inline]
fn flip(x: u64, ascending: bool) -> u64 {
    if ascending {
        x
    } else {
        x.reverse_bits()
    }
}

/// Occupied levels of a [`Ladder`] in either direction.
#[derive(Debug, Clone)]
pub(crate) struct LadderCursor<'a> {
    base: i64,
    /// Empty for [`LadderCursor::empty`].
    bits: &'a [u64],
    slots: &'a [Slot],
    /// The word being read, and its bits not yet returned (in reading order, see `flip`).
    word: usize,
    mask: u64,
    ascending: bool,
    remaining: usize,
}

impl LadderCursor<'_> {
    /// A cursor over no levels (a side without a window).
    pub fn empty() -> Self {
        LadderCursor {
            base: 0,
            bits: &[],
            slots: &[],
            word: 0,
            mask: 0,
            ascending: true,
            remaining: 0,
        }
    }
}

impl<'a> Iterator for LadderCursor<'a> {
    type Item = (i64, &'a Slot);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        // `remaining > 0` guarantees a set bit ahead, so the walk stays in bounds.
        while self.mask == 0 {
            self.word = if self.ascending {
                self.word + 1
            } else {
                self.word - 1
            };
            self.mask = flip(self.bits[self.word], self.ascending);
        }
        let b = self.mask.trailing_zeros() as usize;
        self.mask &= self.mask - 1;
        let b = if self.ascending { b } else { 63 - b };
        self.remaining -= 1;
        let i = self.word * 64 + b;
        Some((self.base + i as i64, &self.slots[i]))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}
