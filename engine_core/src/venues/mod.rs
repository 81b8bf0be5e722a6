//! Raw venue bytes -> normalised events, one [`Normaliser`] per venue.
//!
//! Each venue module follows three steps: the venue's wire structs (borrowed from the
//! raw bytes, no copies), the venue's published sequence/checksum rule (its module docs
//! quote it; the sequence rule itself is a unit of [`sequence`]), then conversion into
//! the venue-neutral [`Event`]s (`event.rs`). The normalisers write levels into the books
//! through [`FeedCtx`] (`ctx.rs`), whose helpers apply or load levels and fault the book
//! when one is refused. A [`Feed`] (`feed.rs`) owns one connection's books and counters;
//! every outcome is counted in [`FeedStats`], and a book that fails its integrity rule is
//! cleared, marked unsynced and reported with a [`Fault`] so the caller resubscribes or
//! fetches a snapshot. Nothing here panics on bad input: malformed messages are
//! `Err(VenueError)` and counted as rejected. Which venue a feed is for is
//! [`crate::venue`]'s, a neutral module the contract and risk code share.

pub mod binance;
pub mod bitmex;
pub mod bybit;
pub mod deribit;
pub mod okx;
pub mod scan;
pub mod sequence;
mod wire;

mod ctx;
mod error;
mod event;
mod feed;
mod owners;

pub use crate::venue::{UnknownVenue, Venue};
pub use ctx::{FeedCtx, FeedStats, Handled, InstrumentBook, MAX_NAMES};
pub use error::VenueError;
pub use event::{Bbo, BookFault, BookUpdate, Event, Fault, MarkFunding, Trade};
pub use feed::{Feed, FeedOptions, Normaliser, Top};

#[cfg(test)]
mod tests;
