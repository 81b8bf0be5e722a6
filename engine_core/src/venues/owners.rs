//! "The deepest channel owns the book", shared by Bybit and OKX: one book per instrument
//! even when a connection carries several depths of it. The deepest depth whose snapshot
//! arrived feeds the book; a shallower top-of-book stream of that instrument becomes
//! [`super::Bbo`] events, any other shallower stream is ignored; a deeper stream takes
//! the book over with its first snapshot.

use std::collections::HashMap;

use super::ctx::FeedCtx;
use super::error::VenueError;

/// What a book message of some depth does, given which depth feeds the book.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// It feeds the book.
    Book,
    /// A top-of-book stream of an instrument fed by a deeper one: emit a BBO.
    Bbo,
    /// A shallower stream, or a deeper one's delta before its snapshot: ignore.
    Skip,
}

/// Which depth feeds one instrument's book (none until a snapshot arrives).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct DepthOwner(Option<u32>);

impl DepthOwner {
    /// What a message of `depth` does; `bbo` says whether that depth is a top-of-book
    /// stream (Bybit `orderbook.1`, OKX `books5` and `bbo-tbt`).
    pub(crate) fn role(&mut self, depth: u32, snapshot: bool, bbo: bool) -> Role {
        match self.0 {
            None => {
                if snapshot {
                    self.0 = Some(depth);
                }
                Role::Book
            }
            Some(d) if d == depth => Role::Book,
            Some(d) if depth > d => {
                if snapshot {
                    self.0 = Some(depth);
                    Role::Book
                } else {
                    Role::Skip
                }
            }
            Some(_) if bbo => Role::Bbo,
            Some(_) => Role::Skip,
        }
    }

    /// Whether a message of `depth` feeds the book (any depth does while none owns it).
    pub(crate) fn feeds_book(self, depth: u32) -> bool {
        !matches!(self.0, Some(d) if d != depth)
    }
}

/// [`DepthOwner`]s by symbol, for a normaliser with no other per-symbol state (Bybit).
/// A symbol is remembered only once one of its snapshots arrived.
#[derive(Debug, Default)]
pub(crate) struct DepthOwners(HashMap<String, DepthOwner>);

impl DepthOwners {
    /// [`DepthOwner::role`] of `symbol`'s book.
    pub(crate) fn role(&mut self, symbol: &str, depth: u32, snapshot: bool, bbo: bool) -> Role {
        if let Some(o) = self.0.get_mut(symbol) {
            return o.role(depth, snapshot, bbo);
        }
        let mut o = DepthOwner::default();
        let role = o.role(depth, snapshot, bbo);
        if o != DepthOwner::default() {
            self.0.insert(symbol.to_owned(), o);
        }
        role
    }

    /// `symbol`'s owner (none yet if no snapshot arrived).
    pub(crate) fn get(&self, symbol: &str) -> DepthOwner {
        self.0.get(symbol).copied().unwrap_or_default()
    }

    /// Forget every owner (the connection was renewed).
    pub(crate) fn clear(&mut self) {
        self.0.clear();
    }
}

/// A book message of `depth` we could not read: its book has lost an update, so a
/// synced book fed by this depth is invalidated. Returns the error to report.
pub(crate) fn unreadable(
    ctx: &mut FeedCtx,
    symbol: &str,
    owner: DepthOwner,
    depth: u32,
    ts_recv: i64,
    e: VenueError,
) -> VenueError {
    if owner.feeds_book(depth) && ctx.book(symbol).is_some_and(|b| b.synced) {
        return ctx.refuse(symbol, ts_recv, e);
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deepest_snapshot_owns_the_book() {
        // (depth, snapshot, bbo, role, owner after); one instrument, in order.
        let steps = [
            // TC0: a delta before any snapshot feeds the (unsynced) book, owns nothing.
            (50, false, false, Role::Book, None),
            // TC1: the first snapshot takes the book.
            (50, true, false, Role::Book, Some(50)),
            // TC2: a top-of-book stream of a fed instrument becomes BBOs.
            (1, true, true, Role::Bbo, Some(50)),
            // TC3: another shallower stream is ignored.
            (25, true, false, Role::Skip, Some(50)),
            // TC4: a deeper stream's delta before its snapshot is ignored.
            (200, false, false, Role::Skip, Some(50)),
            // TC5: its snapshot takes the book over.
            (200, true, false, Role::Book, Some(200)),
            // TC6: the former owner is now a shallower stream.
            (50, false, false, Role::Skip, Some(200)),
            // TC7: the owner's deltas feed the book.
            (200, false, false, Role::Book, Some(200)),
        ];
        let mut o = DepthOwner::default();
        for (i, (depth, snapshot, bbo, role, after)) in steps.into_iter().enumerate() {
            assert_eq!(o.role(depth, snapshot, bbo), role, "TC{i} role");
            assert_eq!(o, DepthOwner(after), "TC{i} owner");
        }
        assert!(o.feeds_book(200) && !o.feeds_book(50));
        assert!(DepthOwner::default().feeds_book(1));
    }

    #[test]
    fn owners_remember_only_snapshots() {
        let mut m = DepthOwners::default();
        assert_eq!(m.role("X", 50, false, false), Role::Book);
        assert_eq!(m.get("X"), DepthOwner(None));
        assert_eq!(m.role("X", 50, true, false), Role::Book);
        assert_eq!(m.role("X", 1, true, true), Role::Bbo);
        assert_eq!(m.get("X"), DepthOwner(Some(50)));
        m.clear();
        assert_eq!(m.get("X"), DepthOwner(None));
    }
}
