//! One side of a book: a dense window of prices around the touch ([`ladder`]) in front
//! of price-sorted chunks for everything else ([`chunked`]).
//!
//! Why two structures: venues update every depth, but most updates land near the best
//! price. On the Binance BTCUSDT capture 89% fall within 2,048 ticks of it, on sides of
//! ~2,300 levels spread over ~60,000 ticks. The window makes those O(1) (a store and a
//! bit); the chunks keep the rest sorted and compact. A side gets its window once it
//! holds [`DENSE_FROM`] levels, so the many shallow books (options, small symbols) keep
//! only their chunks and their few KiB.
//!
//! Invariant: every level whose price the window covers is in the window, every other
//! level is in the chunks. Reads merge the two; writes go to exactly one.

mod chunked;
mod ladder;

use std::ops::ControlFlow;

use chunked::{Chunked, Cursor as FarCursor};
use ladder::{Ladder, LadderCursor, W};

/// What a side stores per price besides the price itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Slot {
    pub sz: i64,
    /// Decimals of the venue's price and size text (for checksums), packed.
    pub dps: u16,
}

/// Levels from which a side gets its dense window (2 x 32 KiB per book).
const DENSE_FROM: usize = 256;
/// Prices the window keeps on the better side of the best price: room for the touch to
/// improve before levels spill into the chunks.
const MARGIN: i64 = W as i64 / 8;
/// How far the best price may drift from where the window wants it before the window
/// moves. Hysteresis: a market wobbling around one price never moves it back and forth.
const SLACK: u64 = W as u64 / 4;

/// Updates outside the window between two moves of it. A move costs O(levels moved),
/// ~6 µs for 200 levels; a best price jumping back and forth by more than [`SLACK`] with
/// every update would otherwise pay that each time. This bounds the cost to 1/64 of a
/// move per update outside the window, and delays a genuine move by at most 64 slower
/// updates (about one Binance message).
const MOVE_AFTER: u32 = 64;

/// Price-sorted levels of one side.
#[derive(Debug, Clone)]
pub(crate) struct SideLevels {
    near: Option<Box<Ladder>>,
    far: Chunked,
    /// Bids: the best price is the highest; the window sits below it.
    high_is_best: bool,
    /// Reused buffer for moving levels between window and chunks.
    scratch: Vec<(i64, Slot)>,
    /// Updates outside the window since it last moved (see [`MOVE_AFTER`]).
    far_updates: u32,
}

impl SideLevels {
    pub fn new(high_is_best: bool) -> Self {
        SideLevels {
            near: None,
            far: Chunked::default(),
            high_is_best,
            scratch: Vec::new(),
            far_updates: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.far.len() + self.near.as_ref().map_or(0, |l| l.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Remove every level; the window keeps its allocation and place.
    pub fn clear(&mut self) {
        self.far.clear();
        if let Some(l) = &mut self.near {
            let base = l.base();
            l.reset(base);
        }
    }

    pub fn get(&self, px: i64) -> Option<&Slot> {
        if let Some(l) = &self.near {
            if let Some(i) = l.index(px) {
                return l.get(i);
            }
        }
        self.far.get(px)
    }

    /// Insert or replace the level at `px`.
    #[inline]
    pub fn set(&mut self, px: i64, slot: Slot) {
        if let Some(l) = &mut self.near {
            if let Some(i) = l.index(px) {
                l.set(i, slot);
                return;
            }
        }
        self.far.set(px, slot);
        if self.near.is_some() || self.far.len() >= DENSE_FROM {
            self.after_far_change();
        }
    }

    /// Remove the level at `px` if present.
    #[inline]
    pub fn remove(&mut self, px: i64) -> bool {
        if let Some(l) = &mut self.near {
            if let Some(i) = l.index(px) {
                return l.remove(i);
            }
        }
        let removed = self.far.remove(px);
        if removed && self.near.is_some() {
            self.after_far_change();
        }
        removed
    }

    /// A level landed outside the window: give the side a window once it is deep
    /// enough, or move the window if the best price has left the place it wants.
    #[inline(never)]
    fn after_far_change(&mut self) {
        self.far_updates = self.far_updates.saturating_add(1);
        let Some(best) = self.best_px() else {
            return;
        };
        let want = if self.high_is_best {
            best - (W as i64 - 1 - MARGIN)
        } else {
            best - MARGIN
        };
        let off = match &self.near {
            Some(l) => want.abs_diff(l.base()) > SLACK && self.far_updates >= MOVE_AFTER,
            None => true,
        };
        if off {
            self.move_window(want);
            self.far_updates = 0;
        }
    }

    fn best_px(&self) -> Option<i64> {
        if self.high_is_best {
            self.last()
        } else {
            self.first()
        }
        .map(|(p, _)| p)
    }

    /// Place the window at `base`: levels it no longer covers go to the chunks, levels
    /// it now covers come out of them. Costs O(levels moved); the hysteresis above
    /// keeps it rare (a few times per capture).
    fn move_window(&mut self, base: i64) {
        let mut moved = std::mem::take(&mut self.scratch);
        moved.clear();
        let near = self.near.get_or_insert_with(|| Ladder::new(base));
        near.drain_into(&mut moved);
        near.reset(base);
        for &(p, s) in &moved {
            match near.index(p) {
                Some(i) => near.set(i, s),
                None => self.far.set(p, s),
            }
        }
        moved.clear();
        self.far
            .take_range(base, base.saturating_add(W as i64), &mut moved);
        for &(p, s) in &moved {
            if let Some(i) = near.index(p) {
                near.set(i, s);
            }
        }
        moved.clear();
        self.scratch = moved;
    }

    /// Lowest price level.
    #[inline]
    pub fn first(&self) -> Option<(i64, &Slot)> {
        let far = self.far.first();
        match self.near.as_ref().and_then(|l| l.first()) {
            Some(n) => match far {
                Some(f) if f.0 < n.0 => Some(f),
                _ => Some(n),
            },
            None => far,
        }
    }

    /// Highest price level.
    #[inline]
    pub fn last(&self) -> Option<(i64, &Slot)> {
        let far = self.far.last();
        match self.near.as_ref().and_then(|l| l.last()) {
            Some(n) => match far {
                Some(f) if f.0 > n.0 => Some(f),
                _ => Some(n),
            },
            None => far,
        }
    }

    /// Multiply every price by `k` (a scale change; order is preserved). The window is
    /// emptied into the chunks and comes back at the new scale with the next update
    /// outside it.
    pub fn scale_prices(&mut self, k: i64) {
        if let Some(mut near) = self.near.take() {
            let mut moved = std::mem::take(&mut self.scratch);
            near.drain_into(&mut moved);
            for &(p, s) in &moved {
                self.far.set(p, s);
            }
            moved.clear();
            self.scratch = moved;
        }
        self.far.scale_prices(k);
    }

    /// Prices, in no particular order.
    pub fn prices(&self) -> impl Iterator<Item = i64> + '_ {
        let near = self
            .near
            .iter()
            .flat_map(|l| l.cursor(true).map(|(p, _)| p));
        self.far.prices().chain(near)
    }

    /// Slots, mutable, in no particular order.
    pub fn slots_mut(&mut self) -> impl Iterator<Item = &mut Slot> + '_ {
        let near = self.near.iter_mut().flat_map(|l| l.slots_mut());
        self.far.slots_mut().chain(near)
    }

    /// Call `f` on the levels from the lowest (`ascending`) or highest price until it
    /// breaks: the same order as [`Self::cursor`], read as up to three tight loops
    /// (chunks before the window, the window, chunks after it). A 50-level sweep this
    /// way takes about half the time of the cursor.
    #[inline(always)]
    pub fn walk<B>(
        &self,
        ascending: bool,
        mut f: impl FnMut(i64, &Slot) -> ControlFlow<B>,
    ) -> ControlFlow<B> {
        let Some(near) = &self.near else {
            return self.far.walk(ascending, i64::MIN, i64::MAX, &mut f);
        };
        // The window covers base..=top; the chunks hold no price in it.
        let (base, top) = (near.base(), near.top());
        if ascending {
            self.far.walk(true, i64::MIN, base - 1, &mut f)?;
            near.walk(true, &mut f)?;
            self.far.walk(true, top.saturating_add(1), i64::MAX, &mut f)
        } else {
            self.far
                .walk(false, top.saturating_add(1), i64::MAX, &mut f)?;
            near.walk(false, &mut f)?;
            self.far.walk(false, i64::MIN, base - 1, &mut f)
        }
    }

    /// Cursor at the lowest (`ascending`) or highest price.
    pub fn cursor(&self, ascending: bool) -> Cursor<'_> {
        // In reading order the chunks' levels before the window come first, then the
        // window's, then the rest of the chunks'. The chunk cursor is stopped after the
        // first group and resumed after the window, so reading a side costs no more per
        // level than reading its chunks alone. Finding the first group walks it, which
        // is cheap best-first (the window sits at the touch: that group is usually
        // empty) and O(levels) worst-first.
        let mut far = self.far.cursor(ascending);
        let (near, before) = match &self.near {
            None => (LadderCursor::empty(), self.far.len()),
            Some(l) => {
                let (lo, hi) = (l.base(), l.top());
                let outside = |p: &(i64, &Slot)| if ascending { p.0 < lo } else { p.0 > hi };
                (l.cursor(ascending), far.clone().take_while(outside).count())
            }
        };
        far.limit(before);
        Cursor {
            far,
            near,
            far_rest: self.far.len() - before,
        }
    }
}

/// An iterator over a side in either direction.
///
/// One flat struct on purpose: an enum of "chunks only" and "merged" cursors made a
/// 50-level VWAP sweep twice as slow (the state no longer stayed in registers), and a
/// price compare per level cost a third more.
#[derive(Debug, Clone)]
pub(crate) struct Cursor<'a> {
    far: FarCursor<'a>,
    near: LadderCursor<'a>,
    /// Chunk levels after the window, read once the window is done.
    far_rest: usize,
}

impl<'a> Iterator for Cursor<'a> {
    type Item = (i64, &'a Slot);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if let Some(f) = self.far.next() {
            return Some(f);
        }
        if let Some(n) = self.near.next() {
            return Some(n);
        }
        if self.far_rest == 0 {
            return None;
        }
        self.far.limit(std::mem::take(&mut self.far_rest));
        self.far.next()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.far.size_hint().0 + self.near.size_hint().0 + self.far_rest;
        (n, Some(n))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;

    fn slot(sz: i64) -> Slot {
        Slot { sz, dps: 0 }
    }

    /// Every read of the side against the model, and the placement invariant.
    fn check(side: &SideLevels, model: &BTreeMap<i64, i64>) -> Result<(), TestCaseError> {
        prop_assert_eq!(side.len(), model.len());
        let want: Vec<(i64, i64)> = model.iter().map(|(p, s)| (*p, *s)).collect();
        let asc: Vec<(i64, i64)> = side.cursor(true).map(|(p, s)| (p, s.sz)).collect();
        prop_assert_eq!(&asc, &want);
        let mut desc: Vec<(i64, i64)> = side.cursor(false).map(|(p, s)| (p, s.sz)).collect();
        desc.reverse();
        prop_assert_eq!(&desc, &want);
        prop_assert_eq!(side.cursor(true).size_hint().0, model.len());
        prop_assert_eq!(side.first().map(|(p, _)| p), model.keys().next().copied());
        prop_assert_eq!(
            side.last().map(|(p, _)| p),
            model.keys().next_back().copied()
        );
        for (p, s) in model {
            prop_assert_eq!(side.get(*p).map(|x| x.sz), Some(*s));
        }
        if let Some(l) = &side.near {
            for p in side.far.prices() {
                prop_assert!(l.index(p).is_none(), "{} belongs in the window", p);
            }
        }
        for ascending in [true, false] {
            let by_cursor: Vec<(i64, i64)> =
                side.cursor(ascending).map(|(p, s)| (p, s.sz)).collect();
            let mut by_walk = Vec::new();
            let _ = side.walk(ascending, |p, s| -> ControlFlow<()> {
                by_walk.push((p, s.sz));
                ControlFlow::Continue(())
            });
            prop_assert_eq!(&by_walk, &by_cursor);
            // A walk that stops early has visited exactly a prefix.
            let stop = model.len() / 3;
            let mut prefix = Vec::new();
            let r = side.walk(ascending, |p, s| {
                if prefix.len() == stop {
                    return ControlFlow::Break(p);
                }
                prefix.push((p, s.sz));
                ControlFlow::Continue(())
            });
            prop_assert_eq!(&prefix[..], &by_cursor[..stop]);
            prop_assert_eq!(r.break_value(), by_cursor.get(stop).map(|x| x.0));
        }
        let mut prices: Vec<i64> = side.prices().collect();
        prices.sort_unstable();
        prop_assert_eq!(prices, model.keys().copied().collect::<Vec<_>>());
        Ok(())
    }

    proptest! {
        /// Prices wander as a random walk, so the window is created, moved both ways
        /// and levels cross between window and chunks.
        #[test]
        fn matches_btreemap_as_the_market_moves(
            high_is_best in any::<bool>(),
            steps in prop::collection::vec((-150i64..150, -1_500i64..1_500, 0i64..4), 0..2_500),
        ) {
            let mut side = SideLevels::new(high_is_best);
            let mut model = BTreeMap::new();
            let mut mid = 50_000i64;
            for (drift, offset, sz) in steps {
                mid = (mid + drift).clamp(10_000, 90_000);
                let px = mid + offset;
                if sz == 0 {
                    prop_assert_eq!(side.remove(px), model.remove(&px).is_some());
                } else {
                    side.set(px, slot(sz));
                    model.insert(px, sz);
                }
                prop_assert_eq!(side.len(), model.len());
            }
            check(&side, &model)?;
            side.scale_prices(10);
            let scaled: BTreeMap<i64, i64> = model.iter().map(|(p, s)| (p * 10, *s)).collect();
            check(&side, &scaled)?;
            side.clear();
            check(&side, &BTreeMap::new())?;
        }

        /// Sizes scale in place wherever a level lives.
        #[test]
        fn slots_mut_reaches_every_level(n in 0usize..1_500) {
            let mut side = SideLevels::new(false);
            let mut model = BTreeMap::new();
            for i in 0..n as i64 {
                let px = 1 + i * 7 % 20_011;
                side.set(px, slot(i + 1));
                model.insert(px, i + 1);
            }
            for s in side.slots_mut() {
                s.sz *= 3;
            }
            model.values_mut().for_each(|s| *s *= 3);
            check(&side, &model)?;
        }
    }

    #[test]
    fn deep_side_gets_a_window_near_its_best() {
        let mut side = SideLevels::new(true);
        for p in 1..=1_000i64 {
            side.set(p * 3, slot(1));
        }
        let near = side.near.as_ref().expect("window");
        assert!(near.index(3_000).is_some() && near.len() > 600);
        assert_eq!(side.last().map(|(p, _)| p), Some(3_000));
        assert_eq!(side.len(), 1_000);
    }

    #[test]
    fn window_follows_the_best_price_but_at_most_once_per_64_updates_outside_it() {
        let mut side = SideLevels::new(false);
        for p in 0..1_000i64 {
            side.set(100_000 + p * 3, slot(1));
        }
        let base_of = |side: &SideLevels| side.near.as_ref().map(|l| l.base());
        // The market drops 5,000 ticks: the window follows at once (it has not moved
        // since it was created).
        side.set(95_000, slot(2));
        assert_eq!(base_of(&side), Some(95_000 - MARGIN));
        // It drops again right away: the window waits for 64 updates outside it.
        side.set(90_000, slot(2));
        for k in 2..=MOVE_AFTER as i64 {
            assert_eq!(
                base_of(&side),
                Some(95_000 - MARGIN),
                "moved after {k} updates"
            );
            side.set(500_000 + k, slot(1));
        }
        assert_eq!(base_of(&side), Some(90_000 - MARGIN));
        assert_eq!(side.first().map(|(p, _)| p), Some(90_000));
        assert_eq!(side.len(), 1_002 + MOVE_AFTER as usize - 1);
    }

    #[test]
    fn shallow_side_has_no_window() {
        let mut side = SideLevels::new(false);
        for p in 1..DENSE_FROM as i64 {
            side.set(p * 1_000, slot(1));
        }
        assert!(side.near.is_none());
    }
}
