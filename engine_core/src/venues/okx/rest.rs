//! OKX REST order-book snapshots (`GET /api/v5/market/books?instId=...&source=0`, whose
//! one item carries `seqId`) and the replay of the updates buffered while waiting for
//! one, under [`OkxSequencer::rest`]'s bridge rule (docs/venue-feeds.md#okx). This is
//! the only snapshot once OKX delists the websocket one; while both come, whichever
//! arrives first syncs the book and a REST body for a synced book is ignored (it cannot
//! be linked to updates already applied).

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::{Item, Okx, Role};
use crate::book::Side;
use crate::decimal::Fixed;
use crate::venues::sequence::{OkxSequencer, Step};
use crate::venues::{Fault, FeedCtx, Handled, VenueError};

/// Depth of the `books` channel, the one a REST snapshot stands in for unless buffered
/// updates say otherwise.
const REST_DEPTH: u32 = 400;

/// An update waiting for its book's snapshot.
#[derive(Debug, Clone)]
pub(super) struct Buffered {
    levels: Vec<(Side, Fixed, Fixed)>,
    depth: u32,
    ts_event: i64,
    ts_recv: i64,
    checksum: Option<i64>,
    seq_id: Option<i64>,
    prev_seq_id: Option<i64>,
}

impl Buffered {
    pub(super) fn new(
        it: Item,
        levels: Vec<(Side, Fixed, Fixed)>,
        depth: u32,
        ts_recv: i64,
    ) -> Self {
        Buffered {
            levels,
            depth,
            ts_event: it.ts_event,
            ts_recv,
            checksum: it.checksum,
            seq_id: it.seq_id,
            prev_seq_id: it.prev_seq_id,
        }
    }
}

/// `{"code": "0", "msg": "", "data": [{"asks", "bids", "ts", "seqId"}]}`.
#[derive(Deserialize)]
struct Body<'a> {
    #[serde(default, borrow)]
    code: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    msg: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    data: Option<&'a RawValue>,
}

impl Okx {
    /// Load a REST snapshot of `symbol` and replay its buffered updates.
    pub(super) fn rest_snapshot(
        &mut self,
        ctx: &mut FeedCtx,
        symbol: Option<&str>,
        raw: &[u8],
        ts_recv: i64,
    ) -> Result<Handled, VenueError> {
        let body: Body<'_> = serde_json::from_slice(raw)?;
        let code = body.code.as_deref().unwrap_or("0");
        if code != "0" {
            let msg = body.msg.as_deref().unwrap_or("");
            return Err(VenueError::UnknownMessage(format!(
                "okx error {code}: {msg}"
            )));
        }
        // The body names no instrument: the caller says which one it asked for.
        let Some(inst_id) = symbol else {
            return Err(VenueError::Malformed(
                "okx REST snapshot without its instId".into(),
            ));
        };
        let Some(data) = body.data else {
            return Err(VenueError::Malformed(
                "okx REST snapshot without data".into(),
            ));
        };
        self.collect(data)?;
        let [it] = self.items[..] else {
            return Err(VenueError::Malformed(format!(
                "okx REST snapshot with {} items, not 1",
                self.items.len()
            )));
        };
        let Some(seq_id) = it.seq_id else {
            return Err(VenueError::Malformed(
                "okx REST snapshot without seqId (source=0 is needed)".into(),
            ));
        };
        if ctx.book(inst_id).is_some_and(|b| b.synced) {
            return Ok(Handled::Ignored);
        }
        let st = self.inst(inst_id);
        let depth = st.pending.back().map_or(REST_DEPTH, |b| b.depth);
        if st.owner.role(depth, true, false) != Role::Book {
            // A deeper channel owns this book: this snapshot is not its.
            return Ok(Handled::Ignored);
        }
        self.load_snapshot(ctx, inst_id, it, OkxSequencer::rest(seq_id), ts_recv)?;
        ctx.book_applied(inst_id, it.ts_event, ts_recv, true);
        self.replay(ctx, inst_id);
        Ok(Handled::Applied)
    }

    /// Apply the buffered updates under the bridge rule; on a gap (the snapshot is older
    /// than the stream, or an update was lost) the book faults, which asks for a new
    /// snapshot, and the updates not yet used stay buffered for it.
    fn replay(&mut self, ctx: &mut FeedCtx, inst_id: &str) {
        let mut seq = self.inst(inst_id).seq;
        while let Some(d) = self.inst(inst_id).pending.pop_front() {
            match seq.check(d.prev_seq_id, d.seq_id) {
                Step::Apply => {}
                Step::Skip => {
                    ctx.stats.skipped += 1;
                    continue;
                }
                Step::Gap { expected, got } => {
                    ctx.fault(inst_id, d.ts_recv, Fault::Gap { expected, got });
                    self.inst(inst_id).pending.push_front(d);
                    return;
                }
            }
            match ctx.apply_levels(inst_id, &d.levels, d.ts_recv) {
                Ok(ib) => ib.seq = seq.last(),
                // The book refused a level and is faulted (counted there).
                Err(_) => return,
            }
            self.inst(inst_id).seq = seq;
            if !self.verify(ctx, inst_id, d.checksum, d.ts_recv) {
                return;
            }
            ctx.book_applied(inst_id, d.ts_event, d.ts_recv, false);
        }
    }
}

#[cfg(test)]
mod tests;
