//! The venues' published book-sequence rules, one sequencer per venue, apart from the
//! buffering and the book writes: each one looks at an update's ids and says
//! [`Step::Apply`], [`Step::Skip`] or [`Step::Gap`], and advances its own state on
//! `Apply`. The numbered comments are the venue's procedure, step by step (in our
//! words; the module docs of each normaliser quote the source). The normaliser owns the
//! rest: buffering, snapshots (which always reset a sequencer), writing the levels, and
//! turning a gap into a [`Fault::Gap`].
//!
//! Bybit, OKX and Deribit keep their one number in the book's `seq` as well, so the
//! normaliser can rebuild the sequencer from it (`resume`) instead of keeping a copy.

use super::event::Fault;

/// What a sequencer makes of one book update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// In order: apply it.
    Apply,
    /// Older than the book: drop it; the book stays synced.
    Skip,
    /// Out of order: the book is wrong and must be rebuilt from a new snapshot.
    Gap {
        /// What the rule required.
        expected: i64,
        /// What arrived.
        got: i64,
    },
}

impl Step {
    /// The fault a gap raises (`None` for apply and skip).
    #[must_use]
    pub fn fault(self) -> Option<Fault> {
        match self {
            Step::Gap { expected, got } => Some(Fault::Gap { expected, got }),
            Step::Apply | Step::Skip => None,
        }
    }
}

/// Binance USD-M / COIN-M futures `depthUpdate` (`U` first id, `u` last id, `pu` the
/// previous event's `u`), per "How to manage a local order book correctly":
///
/// 1. open the depth stream;
/// 2. buffer its events;
/// 3. fetch a REST depth snapshot (`lastUpdateId`);
/// 4. drop every event with `u < lastUpdateId`;
/// 5. the first event applied must bridge the snapshot: `U <= lastUpdateId <= u`;
/// 6. after it, each event's `pu` must equal the previous event's `u`, otherwise go back
///    to step 3;
/// 7. to 9. (absolute sizes, zero deletes, deleting an absent level is normal) are the
///    book's business, not the sequencer's.
///
/// Steps 4 to 6 are here, once, for the live diffs ([`BinanceSequencer::check`]) and the
/// buffered ones replayed after a snapshot ([`BinanceSequencer::check_buffered`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BinanceSequencer {
    /// `lastUpdateId` of the snapshot the book was built from.
    snapshot_id: i64,
    /// `u` of the last diff applied (the snapshot's id until one is).
    last_u: i64,
    /// A diff has bridged the snapshot (step 5 done): from now on step 6 holds.
    bridged: bool,
}

impl BinanceSequencer {
    /// Step 3: a book just built from the snapshot `last_update_id`.
    #[must_use]
    pub fn new(last_update_id: i64) -> Self {
        BinanceSequencer {
            snapshot_id: last_update_id,
            last_u: last_update_id,
            bridged: false,
        }
    }

    /// `u` of the last diff applied (or the snapshot's id).
    #[must_use]
    pub fn last_u(&self) -> i64 {
        self.last_u
    }

    /// Whether a diff has bridged the snapshot yet.
    #[must_use]
    pub fn bridged(&self) -> bool {
        self.bridged
    }

    /// A diff `(U, u, pu)` that arrived after the snapshot.
    #[inline]
    pub fn check(&mut self, first: i64, last: i64, prev: i64) -> Step {
        if self.bridged {
            // 6. `pu` chains to the previous `u`.
            if prev != self.last_u {
                return Step::Gap {
                    expected: self.last_u,
                    got: prev,
                };
            }
        } else {
            // 4. Older than the snapshot (`last_u` is still its id).
            if last < self.last_u {
                return Step::Skip;
            }
            // 5. `U <= lastUpdateId` (and `lastUpdateId <= u`, given step 4).
            if first > self.last_u {
                return Step::Gap {
                    expected: self.last_u,
                    got: first,
                };
            }
            self.bridged = true;
        }
        self.last_u = last;
        Step::Apply
    }

    /// A diff `(U, u, pu)` buffered before the snapshot arrived: step 4 drops every
    /// buffered diff older than the snapshot, even after another one bridged it.
    #[inline]
    pub fn check_buffered(&mut self, first: i64, last: i64, prev: i64) -> Step {
        if last < self.snapshot_id {
            return Step::Skip;
        }
        self.check(first, last, prev)
    }
}

/// Bybit v5 `orderbook.{depth}.{symbol}` (v5 docs, "Orderbook"):
///
/// 1. after subscribing, a snapshot comes first, then deltas;
/// 2. any snapshot resets the local book whatever its `u` (`u = 1` after a service
///    restart, the same `u` again on a level-1 refresh): the normaliser never checks one;
/// 3. each delta's `u` is the previous `u` + 1 on this topic; anything else means the
///    book is out of sync: resubscribe;
/// 4. a size of 0 deletes the level (the book's business).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BybitSequencer {
    last_u: i64,
}

impl BybitSequencer {
    /// The state of a book whose last message (snapshot or delta) had `u = last_u`.
    #[must_use]
    pub fn resume(last_u: i64) -> Self {
        BybitSequencer { last_u }
    }

    /// `u` of the last message applied.
    #[must_use]
    pub fn last_u(&self) -> i64 {
        self.last_u
    }

    /// A delta with update id `u`.
    #[inline]
    pub fn check(&mut self, u: i64) -> Step {
        // 3. Consecutive ids per topic.
        let expected = self.last_u.saturating_add(1);
        if u != expected {
            return Step::Gap { expected, got: u };
        }
        self.last_u = u;
        Step::Apply
    }
}

/// OKX v5 order-book channels with `seqId` / `prevSeqId` (v5 docs, "Order book channel",
/// and the changelog entry "Delist initial snapshot and checksum field in order book
/// channels", docs/venue-feeds.md#okx). From a websocket snapshot:
///
/// 1. the first push is a snapshot (`prevSeqId` -1);
/// 2. each update's `prevSeqId` equals the previous message's `seqId`; a heartbeat with
///    no change repeats the last `seqId` as both, which that rule already accepts;
/// 3. after a maintenance reset `seqId` may be smaller than `prevSeqId`: still linked by
///    `prevSeqId`, so no ordering of the ids themselves is assumed;
/// 4. messages without `seqId` (before 2023) cannot be sequenced: the checksum alone
///    guards them (checked by the normaliser after applying).
///
/// From a REST snapshot (`GET /api/v5/market/books?source=0`, the only snapshot once the
/// websocket one is delisted), with the stream buffered meanwhile:
///
/// 5. drop every event whose `seqId` is at or below the snapshot's `seqId`;
/// 6. the first event applied must bridge the snapshot: `prevSeqId <= seqId(snapshot) <
///    seqId`; otherwise the snapshot is older than the stream (or an event was lost):
///    fetch a snapshot again;
/// 7. after it, rule 2 holds. An event without ids cannot bridge (a gap).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OkxSequencer {
    /// `seqId` of the last message applied (0 if it had none).
    last: i64,
    /// The last message carried a `seqId`, so the next `prevSeqId` can be checked.
    known: bool,
    /// Built from a REST snapshot and no event has bridged it yet (rules 5 and 6 apply).
    bridging: bool,
}

impl OkxSequencer {
    /// 1. A book just loaded from a snapshot with this `seqId`.
    #[must_use]
    pub fn snapshot(seq_id: Option<i64>) -> Self {
        OkxSequencer {
            last: seq_id.unwrap_or(0),
            known: seq_id.is_some(),
            bridging: false,
        }
    }

    /// A book just loaded from a REST snapshot with this `seqId`: the next events must
    /// bridge it (rules 5 and 6).
    #[must_use]
    pub fn rest(seq_id: i64) -> Self {
        OkxSequencer {
            last: seq_id,
            known: true,
            bridging: true,
        }
    }

    /// Whether the book still waits for an event bridging its REST snapshot.
    #[must_use]
    pub fn bridging(&self) -> bool {
        self.bridging
    }

    /// `seqId` of the last message applied (0 if it had none).
    #[must_use]
    pub fn last(&self) -> i64 {
        self.last
    }

    /// An update with these ids.
    #[inline]
    pub fn check(&mut self, prev_seq_id: Option<i64>, seq_id: Option<i64>) -> Step {
        if self.bridging {
            return self.bridge(prev_seq_id, seq_id);
        }
        // 2. and 3. Linked by prevSeqId; 4. unless either side has no ids.
        if let (Some(prev), true) = (prev_seq_id, self.known) {
            if prev != self.last {
                return Step::Gap {
                    expected: self.last,
                    got: prev,
                };
            }
        }
        if let Some(s) = seq_id {
            self.last = s;
        }
        self.known = seq_id.is_some();
        Step::Apply
    }

    /// Rules 5 and 6, while the REST snapshot `last` is not bridged.
    fn bridge(&mut self, prev_seq_id: Option<i64>, seq_id: Option<i64>) -> Step {
        let (Some(prev), Some(seq)) = (prev_seq_id, seq_id) else {
            // 7. Nothing to bridge with.
            return Step::Gap {
                expected: self.last,
                got: prev_seq_id.unwrap_or(-1),
            };
        };
        // 5. Already in the snapshot.
        if seq <= self.last {
            return Step::Skip;
        }
        // 6. The stream starts after the snapshot.
        if prev > self.last {
            return Step::Gap {
                expected: self.last,
                got: prev,
            };
        }
        self.bridging = false;
        self.last = seq;
        Step::Apply
    }
}

/// Deribit v2 `book.{instrument}.{interval}` (API v2, subscription channels):
///
/// 1. the first notification is the whole book (`type: "snapshot"`, with `change_id`);
/// 2. each `type: "change"` carries `prev_change_id`, which must equal the `change_id` of
///    the previous notification for the instrument (ids grow, not consecutively);
/// 3. on a mismatch (drop, duplicate, reorder) the book is wrong: resubscribe.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeribitSequencer {
    last: i64,
}

impl DeribitSequencer {
    /// The state of a book whose last notification had `change_id = last`.
    #[must_use]
    pub fn resume(last: i64) -> Self {
        DeribitSequencer { last }
    }

    /// `change_id` of the last notification applied.
    #[must_use]
    pub fn last(&self) -> i64 {
        self.last
    }

    /// A change notification with these ids.
    #[inline]
    pub fn check(&mut self, prev_change_id: i64, change_id: i64) -> Step {
        // 2. and 3.
        if prev_change_id != self.last {
            return Step::Gap {
                expected: self.last,
                got: prev_change_id,
            };
        }
        self.last = change_id;
        Step::Apply
    }
}

#[cfg(test)]
mod tests;
