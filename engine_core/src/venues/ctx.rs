//! [`FeedCtx`]: one feed's books, counters and outgoing events; the normalisers act on
//! books only through it.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use super::error::VenueError;
use super::event::{Bbo, BookFault, BookUpdate, Event, Fault};
use crate::book::{Book, Cross, Side};
use crate::decimal::Fixed;

/// Counters of every outcome; each message lands in exactly one of
/// applied / ignored / rejected, and integrity events are counted on top.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FeedStats {
    /// Messages handed in (stream and REST).
    pub messages: u64,
    /// Messages that produced events or changed state.
    pub applied: u64,
    /// Known messages with nothing to normalise (acks, pongs, klines...).
    pub ignored: u64,
    /// Malformed or unknown messages.
    pub rejected: u64,
    /// Snapshots and deltas applied to books.
    pub book_updates: u64,
    /// Checksums verified and matching.
    pub checksum_ok: u64,
    /// Checksums that did not match.
    pub checksum_failed: u64,
    /// Checksums not checked because the venue sent its "unused" value (OKX's 0).
    pub checksum_skipped: u64,
    /// Sequence gaps detected.
    pub gaps: u64,
    /// Books invalidated and sent to resync (any fault).
    pub resyncs: u64,
    /// Times a book became crossed or locked.
    pub crossed: u64,
    /// Book messages skipped because their book awaits a snapshot.
    pub skipped: u64,
    /// Messages dropped from a full snapshot-wait buffer.
    pub buffer_dropped: u64,
}

/// One instrument's book with its sync state.
#[derive(Debug, Clone)]
pub struct InstrumentBook {
    /// Venue-native symbol.
    pub symbol: Arc<str>,
    /// The levels.
    pub book: Book,
    /// True once a snapshot was applied and every update since obeyed the venue rule.
    pub synced: bool,
    /// Last venue sequence applied (venue-specific meaning; 0 if none).
    pub seq: i64,
    /// Venue timestamp of the last update, ns.
    pub ts_event: i64,
    /// Top-of-book state after the last update.
    pub cross: Cross,
}

impl InstrumentBook {
    fn new(symbol: Arc<str>) -> Self {
        InstrumentBook {
            symbol,
            book: Book::new(),
            synced: false,
            seq: 0,
            ts_event: 0,
            cross: Cross::Normal,
        }
    }

    /// Trustworthy: synced and neither crossed nor locked.
    #[must_use]
    pub fn valid(&self) -> bool {
        self.synced && self.cross == Cross::Normal
    }
}

/// What the normaliser did with a message that was well-formed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    /// State changed or events were produced.
    Applied,
    /// A known message with nothing to normalise.
    Ignored,
}

/// Cap on symbol names a feed remembers (books and event-only instruments).
pub const MAX_NAMES: usize = 65_536;

/// Books, counters and the outgoing events of one feed; normalisers act through it.
#[derive(Debug, Default)]
pub struct FeedCtx {
    /// Books in creation order, found through `book_at`.
    books: Vec<InstrumentBook>,
    book_at: HashMap<Arc<str>, usize>,
    /// The book used last: handling one message asks for the same book several times,
    /// and comparing its name is cheaper than hashing it each time.
    last_book: usize,
    symbols: HashSet<Arc<str>>,
    /// Outcome counters.
    pub stats: FeedStats,
    pub(super) events: Vec<Event>,
}

impl FeedCtx {
    /// A shared symbol name for events (trades, BBOs, marks) without creating a book.
    /// At most [`MAX_NAMES`] names are remembered, so garbage symbols cannot grow memory.
    pub fn intern(&mut self, symbol: &str) -> Arc<str> {
        if let Some(s) = self.symbols.get(symbol) {
            return s.clone();
        }
        let s: Arc<str> = Arc::from(symbol);
        if self.symbols.len() < MAX_NAMES {
            self.symbols.insert(s.clone());
        }
        s
    }

    /// Emit a [`Bbo`] from validated levels (best first per side) if both sides have a
    /// non-empty level; returns whether one was emitted.
    pub fn emit_top_of_book(
        &mut self,
        symbol: &str,
        levels: &[(Side, Fixed, Fixed)],
        ts_event: i64,
        ts_recv: i64,
    ) -> bool {
        let top = |side| levels.iter().find(|l| l.0 == side && !l.2.is_zero());
        let (Some(&(_, bid_px, bid_sz)), Some(&(_, ask_px, ask_sz))) =
            (top(Side::Bid), top(Side::Ask))
        else {
            return false;
        };
        let ev = Bbo {
            symbol: self.intern(symbol),
            ts_event,
            ts_recv,
            bid_px,
            bid_sz,
            ask_px,
            ask_sz,
        };
        self.emit(Event::Bbo(ev));
        true
    }

    /// The book for `symbol`, created empty and unsynced on first use.
    #[inline]
    pub fn book_mut(&mut self, symbol: &str) -> &mut InstrumentBook {
        let i = self.slot(symbol);
        &mut self.books[i]
    }

    /// Where `symbol`'s book is (the last one used, else looked up or created).
    #[inline]
    fn slot(&mut self, symbol: &str) -> usize {
        let i = match self.books.get(self.last_book) {
            Some(ib) if *ib.symbol == *symbol => self.last_book,
            _ => self.book_index(symbol),
        };
        self.last_book = i;
        i
    }

    /// Where `symbol`'s book is, creating it if needed.
    fn book_index(&mut self, symbol: &str) -> usize {
        if let Some(&i) = self.book_at.get(symbol) {
            return i;
        }
        let key = self.intern(symbol);
        self.books.push(InstrumentBook::new(key.clone()));
        self.book_at.insert(key, self.books.len() - 1);
        self.books.len() - 1
    }

    /// The book for `symbol`, if any.
    #[must_use]
    pub fn book(&self, symbol: &str) -> Option<&InstrumentBook> {
        self.book_at.get(symbol).map(|&i| &self.books[i])
    }

    /// All books.
    pub fn books(&self) -> impl Iterator<Item = &InstrumentBook> {
        self.books.iter()
    }

    /// Record that a snapshot/delta was applied to `symbol`'s book: count it, track
    /// crossing, and emit a [`BookUpdate`].
    pub fn book_applied(&mut self, symbol: &str, ts_event: i64, ts_recv: i64, snapshot: bool) {
        let ib = self.book_mut(symbol);
        let was = ib.cross;
        ib.cross = ib.book.cross();
        ib.ts_event = ts_event;
        let became_crossed = was == Cross::Normal && ib.cross != Cross::Normal;
        let ev = BookUpdate {
            symbol: ib.symbol.clone(),
            ts_event,
            ts_recv,
            seq: ib.seq,
            snapshot,
        };
        self.stats.book_updates += 1;
        if became_crossed {
            self.stats.crossed += 1;
        }
        self.events.push(Event::Book(ev));
    }

    /// Invalidate `symbol`'s book: clear it, mark it unsynced, count and report the fault.
    pub fn fault(&mut self, symbol: &str, ts_recv: i64, fault: Fault) {
        let ib = self.book_mut(symbol);
        ib.book.clear();
        ib.synced = false;
        ib.cross = Cross::Normal;
        let sym = ib.symbol.clone();
        match fault {
            Fault::Gap { .. } => self.stats.gaps += 1,
            Fault::Checksum { .. } => self.stats.checksum_failed += 1,
            _ => {}
        }
        self.stats.resyncs += 1;
        self.events.push(Event::Fault(BookFault {
            symbol: sym,
            ts_recv,
            fault,
        }));
    }

    /// Invalidate `symbol`'s book because one of its messages could not be used, and
    /// hand back the error to report: the one "fault with `BadMessage`, return `Err`".
    pub fn refuse<E>(&mut self, symbol: &str, ts_recv: i64, e: E) -> VenueError
    where
        E: fmt::Display + Into<VenueError>,
    {
        self.fault(symbol, ts_recv, Fault::BadMessage(e.to_string()));
        e.into()
    }

    /// Apply validated levels to `symbol`'s book and hand it back (its sequence and the
    /// `BookUpdate` are the caller's: a checksum may come first). A level the book
    /// refuses (a negative size, a price out of range) invalidates the book rather than
    /// leaving it half-applied.
    #[inline]
    pub fn apply_levels(
        &mut self,
        symbol: &str,
        levels: &[(Side, Fixed, Fixed)],
        ts_recv: i64,
    ) -> Result<&mut InstrumentBook, VenueError> {
        let i = self.slot(symbol);
        let book = &mut self.books[i].book;
        for &(side, px, sz) in levels {
            if let Err(e) = book.apply(side, px, sz) {
                return Err(self.refuse(symbol, ts_recv, e));
            }
        }
        Ok(&mut self.books[i])
    }

    /// [`FeedCtx::apply_levels`], then the book is at `seq` and a delta `BookUpdate` is
    /// emitted.
    #[inline]
    pub fn apply_delta(
        &mut self,
        symbol: &str,
        levels: &[(Side, Fixed, Fixed)],
        seq: i64,
        ts_event: i64,
        ts_recv: i64,
    ) -> Result<(), VenueError> {
        self.apply_levels(symbol, levels, ts_recv)?.seq = seq;
        self.book_applied(symbol, ts_event, ts_recv, false);
        Ok(())
    }

    /// Replace `symbol`'s book with a snapshot: it is synced at `seq` on success; a
    /// level the book refuses leaves it cleared and faulted. The `BookUpdate` is the
    /// caller's (a checksum may come first).
    pub fn load_book<B, A>(
        &mut self,
        symbol: &str,
        bids: B,
        asks: A,
        seq: i64,
        ts_recv: i64,
    ) -> Result<(), VenueError>
    where
        B: IntoIterator<Item = (Fixed, Fixed)>,
        A: IntoIterator<Item = (Fixed, Fixed)>,
    {
        let ib = self.book_mut(symbol);
        ib.book.clear();
        let loaded = ib
            .book
            .load_side(Side::Bid, bids)
            .and_then(|()| ib.book.load_side(Side::Ask, asks));
        if let Err(e) = loaded {
            return Err(self.refuse(symbol, ts_recv, e));
        }
        ib.seq = seq;
        ib.synced = true;
        Ok(())
    }

    /// Emit a non-book event.
    pub fn emit(&mut self, ev: Event) {
        self.events.push(ev);
    }

    /// Mark every book unsynced and empty (connection lost); no fault is counted.
    pub fn reset_all(&mut self) {
        for ib in &mut self.books {
            ib.book.clear();
            ib.synced = false;
            ib.seq = 0;
            ib.cross = Cross::Normal;
        }
    }
}
