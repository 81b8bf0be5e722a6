//! Raw venue bytes -> normalised events, one [`Normaliser`] per venue.
//!
//! Each venue module follows three steps: the venue's wire structs (borrowed from the
//! raw bytes, no copies), the venue's published sequence/checksum rule (comments quote
//! it), then conversion into the venue-neutral [`Event`]s below. A [`Feed`] owns one
//! connection's books and counters; every outcome is counted in [`FeedStats`], and a
//! book that fails its integrity rule is cleared, marked unsynced and reported with a
//! [`Fault`] so the caller resubscribes or fetches a snapshot. Nothing here panics on
//! bad input: malformed messages are `Err(VenueError)` and counted as rejected.

pub mod binance;
pub mod bitmex;
pub mod bybit;
pub mod deribit;
pub mod okx;
pub mod scan;
mod wire;

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use crate::book::{Book, BookError, Cross, Side};
use crate::decimal::Fixed;

/// A venue (and product family) whose wire format we normalise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Venue {
    /// Binance USD-M futures (linear).
    BinanceUsdm,
    /// Binance COIN-M futures (inverse; sizes in contracts).
    BinanceCoinm,
    /// Bybit v5 (linear, inverse, spot; category per connection).
    Bybit,
    /// OKX v5.
    Okx,
    /// Deribit v2 JSON-RPC.
    Deribit,
    /// BitMEX realtime.
    Bitmex,
}

impl Venue {
    /// Every supported venue.
    pub const ALL: [Venue; 6] = [
        Venue::BinanceUsdm,
        Venue::BinanceCoinm,
        Venue::Bybit,
        Venue::Okx,
        Venue::Deribit,
        Venue::Bitmex,
    ];

    /// The CLI/config name (`binance-usdm`, ...).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Venue::BinanceUsdm => "binance-usdm",
            Venue::BinanceCoinm => "binance-coinm",
            Venue::Bybit => "bybit",
            Venue::Okx => "okx",
            Venue::Deribit => "deribit",
            Venue::Bitmex => "bitmex",
        }
    }
}

impl fmt::Display for Venue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Venue {
    type Err = VenueError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Venue::ALL
            .into_iter()
            .find(|v| v.name() == s)
            .ok_or_else(|| VenueError::UnknownVenue(s.to_owned()))
    }
}

/// A message that could not be used. The feed counts it as rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VenueError {
    /// Not JSON, or JSON of the wrong shape for its declared type.
    #[error("malformed message: {0}")]
    Malformed(String),
    /// Well-formed JSON that no rule of this venue recognises.
    #[error("unknown message type: {0}")]
    UnknownMessage(String),
    /// A level that cannot enter a book.
    #[error("bad level: {0}")]
    BadLevel(#[from] BookError),
    /// A venue name we do not know.
    #[error("unknown venue {0:?} (expected one of binance-usdm, binance-coinm, bybit, okx, deribit, bitmex)")]
    UnknownVenue(String),
    /// A feed option that does not fit the venue.
    #[error("bad feed option: {0}")]
    BadOption(String),
    /// The venue has no such input (e.g. a REST snapshot for a snapshot-in-stream venue).
    #[error("unsupported for this venue: {0}")]
    Unsupported(&'static str),
}

impl From<serde_json::Error> for VenueError {
    fn from(e: serde_json::Error) -> Self {
        VenueError::Malformed(e.to_string())
    }
}

impl From<crate::decimal::DecimalError> for VenueError {
    fn from(e: crate::decimal::DecimalError) -> Self {
        VenueError::BadLevel(BookError::Decimal(e))
    }
}

/// Why a book was invalidated; the caller must resync it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// A sequence number did not follow the previous one.
    Gap {
        /// What the venue rule required.
        expected: i64,
        /// What arrived.
        got: i64,
    },
    /// A checksum did not match the book we hold.
    Checksum {
        /// The venue's checksum.
        expected: i64,
        /// Ours over the local book.
        computed: i64,
    },
    /// An update referenced a level we do not hold (BitMEX id, Deribit change).
    UnknownLevel(String),
    /// A book message for this instrument could not be applied.
    BadMessage(String),
    /// The book crossed on a venue with no sequence numbers (BitMEX).
    Crossed,
    /// Too many updates buffered while waiting for a snapshot.
    BufferOverflow,
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Gap { expected, got } => {
                write!(f, "sequence gap: expected {expected}, got {got}")
            }
            Fault::Checksum { expected, computed } => {
                write!(f, "checksum mismatch: venue {expected}, local {computed}")
            }
            Fault::UnknownLevel(id) => write!(f, "update for unknown level {id}"),
            Fault::BadMessage(why) => write!(f, "bad book message: {why}"),
            Fault::Crossed => f.write_str("book crossed without sequence numbers"),
            Fault::BufferOverflow => f.write_str("snapshot wait buffer overflowed"),
        }
    }
}

/// A book changed (snapshot or delta applied).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookUpdate {
    /// Venue-native symbol.
    pub symbol: Arc<str>,
    /// Venue timestamp, ns UTC (0 if the venue sent none).
    pub ts_event: i64,
    /// Local receive time, ns UTC.
    pub ts_recv: i64,
    /// Venue sequence after this update (u, seqId, change_id...; 0 if none).
    pub seq: i64,
    /// True if the book was replaced by a snapshot.
    pub snapshot: bool,
}

/// A public trade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trade {
    /// Venue-native symbol.
    pub symbol: Arc<str>,
    /// Venue timestamp, ns UTC.
    pub ts_event: i64,
    /// Local receive time, ns UTC.
    pub ts_recv: i64,
    /// Trade price.
    pub price: Fixed,
    /// Trade size (venue units: coins or contracts).
    pub size: Fixed,
    /// Aggressor side: `Bid` = buyer took the offer, `Ask` = seller hit the bid.
    pub aggressor: Option<Side>,
    /// Venue trade id.
    pub trade_id: String,
}

/// Best bid and offer from a venue's top-of-book stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bbo {
    /// Venue-native symbol.
    pub symbol: Arc<str>,
    /// Venue timestamp, ns UTC.
    pub ts_event: i64,
    /// Local receive time, ns UTC.
    pub ts_recv: i64,
    /// Best bid price.
    pub bid_px: Fixed,
    /// Best bid size.
    pub bid_sz: Fixed,
    /// Best ask price.
    pub ask_px: Fixed,
    /// Best ask size.
    pub ask_sz: Fixed,
}

/// Mark/index price and funding, as far as the message carries them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkFunding {
    /// Venue-native symbol.
    pub symbol: Arc<str>,
    /// Venue timestamp, ns UTC.
    pub ts_event: i64,
    /// Local receive time, ns UTC.
    pub ts_recv: i64,
    /// Mark price.
    pub mark_px: Option<Fixed>,
    /// Index price.
    pub index_px: Option<Fixed>,
    /// Current/next funding rate per interval (fraction, e.g. 0.0001).
    pub funding_rate: Option<Fixed>,
    /// Next funding time, ns UTC.
    pub next_funding_ns: Option<i64>,
}

/// An integrity failure: the book is cleared and must be resynced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookFault {
    /// Venue-native symbol.
    pub symbol: Arc<str>,
    /// Local receive time, ns UTC.
    pub ts_recv: i64,
    /// What went wrong.
    pub fault: Fault,
}

/// A normalised, venue-neutral event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A book changed.
    Book(BookUpdate),
    /// A public trade.
    Trade(Trade),
    /// Top of book from a BBO stream.
    Bbo(Bbo),
    /// Mark price / funding.
    Mark(MarkFunding),
    /// A book was invalidated.
    Fault(BookFault),
}

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
    symbols: std::collections::HashSet<Arc<str>>,
    /// Outcome counters.
    pub stats: FeedStats,
    events: Vec<Event>,
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
    pub fn book_mut(&mut self, symbol: &str) -> &mut InstrumentBook {
        let i = match self.books.get(self.last_book) {
            Some(ib) if *ib.symbol == *symbol => self.last_book,
            _ => self.book_index(symbol),
        };
        self.last_book = i;
        &mut self.books[i]
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

/// A venue's rules: turn raw messages into book changes and events.
pub trait Normaliser: Send + Sync + fmt::Debug {
    /// Handle one raw stream message.
    ///
    /// # Errors
    /// [`VenueError`] for a malformed or unknown message (the feed counts a rejection).
    fn on_message(
        &mut self,
        ctx: &mut FeedCtx,
        raw: &[u8],
        ts_recv: i64,
    ) -> Result<Handled, VenueError>;

    /// Handle a REST depth snapshot (venues that sync books from REST).
    ///
    /// # Errors
    /// [`VenueError`] if malformed, or `Unsupported` for venues that snapshot in-stream.
    fn on_rest_snapshot(
        &mut self,
        _ctx: &mut FeedCtx,
        _symbol: Option<&str>,
        _raw: &[u8],
        _ts_recv: i64,
    ) -> Result<Handled, VenueError> {
        Err(VenueError::Unsupported("REST snapshots"))
    }

    /// The connection was lost/renewed: forget per-connection state.
    fn on_reconnect(&mut self, ctx: &mut FeedCtx) {
        ctx.reset_all();
    }
}

/// Options for a [`Feed`].
#[derive(Debug, Clone, Default)]
pub struct FeedOptions {
    /// Bybit category of the connection (`linear`, `inverse`, `spot`, `option`).
    pub category: Option<String>,
    /// Max updates buffered per book while waiting for a REST snapshot (Binance).
    pub max_buffer: Option<usize>,
}

/// One venue connection: a normaliser, its books, counters and pending events.
#[derive(Debug)]
pub struct Feed {
    venue: Venue,
    norm: Box<dyn Normaliser>,
    ctx: FeedCtx,
    last_error: Option<VenueError>,
}

impl Feed {
    /// A feed for `venue`.
    ///
    /// # Errors
    /// [`VenueError::BadOption`] if an option does not fit the venue.
    pub fn new(venue: Venue, opts: &FeedOptions) -> Result<Self, VenueError> {
        let norm: Box<dyn Normaliser> = match venue {
            Venue::BinanceUsdm | Venue::BinanceCoinm => {
                Box::new(binance::Binance::new(opts.max_buffer.unwrap_or(10_000)))
            }
            Venue::Bybit => Box::new(bybit::Bybit::new(opts.category.as_deref())?),
            Venue::Okx => Box::new(okx::Okx::new()),
            Venue::Deribit => Box::new(deribit::Deribit::new()),
            Venue::Bitmex => Box::new(bitmex::Bitmex::new()),
        };
        if opts.category.is_some() && venue != Venue::Bybit {
            return Err(VenueError::BadOption(format!(
                "category applies to bybit only, not {venue}"
            )));
        }
        Ok(Feed {
            venue,
            norm,
            ctx: FeedCtx::default(),
            last_error: None,
        })
    }

    /// The venue.
    #[must_use]
    pub fn venue(&self) -> Venue {
        self.venue
    }

    /// Handle one raw stream message; outcomes are counted, events queued.
    pub fn on_message(&mut self, raw: &[u8], ts_recv: i64) -> Result<Handled, VenueError> {
        self.ctx.stats.messages += 1;
        let r = self.norm.on_message(&mut self.ctx, raw, ts_recv);
        self.count(r)
    }

    /// Handle one REST depth snapshot body.
    pub fn on_rest_snapshot(
        &mut self,
        symbol: Option<&str>,
        raw: &[u8],
        ts_recv: i64,
    ) -> Result<Handled, VenueError> {
        self.ctx.stats.messages += 1;
        let r = self
            .norm
            .on_rest_snapshot(&mut self.ctx, symbol, raw, ts_recv);
        self.count(r)
    }

    /// The connection was renewed: every book must resync.
    pub fn on_reconnect(&mut self) {
        self.norm.on_reconnect(&mut self.ctx);
    }

    fn count(&mut self, r: Result<Handled, VenueError>) -> Result<Handled, VenueError> {
        match &r {
            Ok(Handled::Applied) => self.ctx.stats.applied += 1,
            Ok(Handled::Ignored) => self.ctx.stats.ignored += 1,
            Err(e) => {
                self.ctx.stats.rejected += 1;
                self.last_error = Some(e.clone());
            }
        }
        r
    }

    /// Take the queued events.
    pub fn drain_events(&mut self) -> std::vec::Drain<'_, Event> {
        self.ctx.events.drain(..)
    }

    /// Number of queued events.
    #[must_use]
    pub fn pending_events(&self) -> usize {
        self.ctx.events.len()
    }

    /// Drop queued events without building them (replay/benchmarks).
    pub fn discard_events(&mut self) {
        self.ctx.events.clear();
    }

    /// The counters.
    #[must_use]
    pub fn stats(&self) -> &FeedStats {
        &self.ctx.stats
    }

    /// The last rejection's reason.
    #[must_use]
    pub fn last_error(&self) -> Option<&VenueError> {
        self.last_error.as_ref()
    }

    /// One instrument's book.
    #[must_use]
    pub fn book(&self, symbol: &str) -> Option<&InstrumentBook> {
        self.ctx.book(symbol)
    }

    /// All books.
    pub fn books(&self) -> impl Iterator<Item = &InstrumentBook> {
        self.ctx.books()
    }

    /// Symbols whose book is not synced (waiting for a snapshot or resync).
    #[must_use]
    pub fn unsynced(&self) -> Vec<Arc<str>> {
        let mut v: Vec<Arc<str>> = self
            .ctx
            .books()
            .filter(|b| !b.synced)
            .map(|b| b.symbol.clone())
            .collect();
        v.sort();
        v
    }
}

#[cfg(test)]
mod tests;
