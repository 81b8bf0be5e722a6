//! The venue-neutral events a feed emits, and the faults that invalidate a book.

use std::fmt;
use std::sync::Arc;

use crate::book::Side;
use crate::decimal::Fixed;

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
