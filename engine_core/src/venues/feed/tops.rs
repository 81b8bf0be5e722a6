//! One crossing per batch for the feed actor: handle the messages, then answer the top
//! levels of every book the batch changed, as the levels and the scales that write them
//! as the exact decimal text a `BookTop` carries. Without it the actor crosses twice per
//! frame (the batch, then one book query per changed book) and builds a view object per
//! book (issue 11 §1). The levels stay integers so that the Python binding can reuse the
//! text of a level the previous top of the book already had (`python/feed_tops.rs`).

use std::sync::Arc;

use super::Feed;
use crate::book::{level_text, Book, Level, Side};
use crate::venues::event::Event;

/// The top levels of one book a batch changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Top {
    /// Venue-native symbol.
    pub symbol: Arc<str>,
    /// Synced and neither crossed nor locked ([`super::InstrumentBook::valid`]).
    pub valid: bool,
    /// Last venue sequence applied.
    pub seq: i64,
    /// Venue timestamp of the last update, ns.
    pub ts_event: i64,
    /// Best bids first.
    pub bids: Vec<Level>,
    /// Best asks first.
    pub asks: Vec<Level>,
    /// The book's price scale when the top was taken (a book may rescale later).
    pub px_scale: u8,
    /// The book's size scale.
    pub sz_scale: u8,
}

impl Top {
    /// A level of this top as (price, size) exact decimal text, as the venue wrote it.
    #[must_use]
    pub fn text(&self, l: &Level) -> (String, String) {
        level_text(l, self.px_scale, self.sz_scale)
    }
}

fn levels(book: &Book, side: Side, depth: usize) -> Vec<Level> {
    book.top(side, depth).collect()
}

impl Feed {
    /// Handle a batch of `(raw, ts_recv)` messages (outcomes counted as by
    /// [`Feed::on_message`]), then push onto `out` the top `depth` levels of every book
    /// it changed; see [`Feed::take_tops`].
    pub fn on_messages_tops<'a, I>(&mut self, msgs: I, depth: usize, out: &mut Vec<Top>)
    where
        I: IntoIterator<Item = (&'a [u8], i64)>,
    {
        for (raw, ts_recv) in msgs {
            // Rejections are counted in the stats; the caller reads those.
            let _ = self.on_message(raw, ts_recv);
        }
        self.take_tops(depth, out);
    }

    /// The books changed since the events were last drained (by a book update or a
    /// fault), once each in first-change order, with their top `depth` levels as they
    /// are now. Book updates are consumed (the tops stand for them); every other event,
    /// faults included, stays queued for [`Feed::drain_events`].
    pub fn take_tops(&mut self, depth: usize, out: &mut Vec<Top>) {
        let mut changed: Vec<Arc<str>> = Vec::new();
        let mut note = |s: &Arc<str>| {
            // A batch touches few books: a scan beats hashing.
            if !changed.iter().any(|c| c == s) {
                changed.push(s.clone());
            }
        };
        self.ctx.events.retain(|ev| match ev {
            Event::Book(b) => {
                note(&b.symbol);
                false
            }
            Event::Fault(f) => {
                note(&f.symbol);
                true
            }
            _ => true,
        });
        for symbol in changed {
            if let Some(ib) = self.ctx.book(&symbol) {
                out.push(Top {
                    valid: ib.valid(),
                    seq: ib.seq,
                    ts_event: ib.ts_event,
                    bids: levels(&ib.book, Side::Bid, depth),
                    asks: levels(&ib.book, Side::Ask, depth),
                    px_scale: ib.book.px_scale(),
                    sz_scale: ib.book.sz_scale(),
                    symbol,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests;
