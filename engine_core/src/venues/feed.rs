//! [`Feed`]: one venue connection (a [`Normaliser`] plus its [`FeedCtx`]); every
//! message's outcome is counted once.

use std::fmt;
use std::sync::Arc;

use super::ctx::{FeedCtx, FeedStats, Handled, InstrumentBook};

mod tops;

use super::error::VenueError;
use super::event::Event;
use super::{binance, bitmex, bybit, deribit, okx};
use crate::venue::Venue;
pub use tops::Top;

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
