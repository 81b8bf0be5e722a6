//! OKX v5 public streams: order books (`books`, `books-l2-tbt`, `books50-l2-tbt`,
//! `books5`, `bbo-tbt`), `trades`, `tickers`, `mark-price` and `funding-rate`.
//!
//! Books are keyed by `instId`. Book rule (OKX v5 docs, "Order book channel"):
//! `books`, `books-l2-tbt` and `books50-l2-tbt` push `action: "snapshot"` first, then
//! `action: "update"`; levels are `[px, sz, "0" (deprecated), numOrders]` and a size of
//! `"0"` deletes the level. Every message carries `checksum`: the CRC32 of the top 25
//! levels of the local book after applying it, as the string
//! `bidPx:bidSz:askPx:askSz:...` (bid and ask interleaved level by level, the exact
//! strings received; "when the bid or ask depth data is less than 25 levels, the missing
//! depth data will be ignored", i.e. continue with the other side), compared as a signed
//! 32-bit integer. A mismatch means the book is wrong: resubscribe.
//! Newer messages also carry `seqId`/`prevSeqId`: "The prevSeqId in the new message
//! matches with seqId of the previous message", and is -1 on a snapshot. A heartbeat
//! with no change repeats the last seqId as both (still prevSeqId == previous seqId),
//! and after a maintenance reset seqId may be smaller than prevSeqId (still linked by
//! prevSeqId). Messages without seqId (before 2023) are checked by checksum only.
//! `books5` and `bbo-tbt` are full snapshots on every push, with no checksum.
//!
//! OKX's current rules (docs/venue-feeds.md#okx): from 23 June 2026 the `checksum` of
//! these channels is always 0 and must not be used, so a checksum of 0 is not checked
//! (counted as `checksum_skipped`; a real CRC32 of 0 is a 1 in 2^32 chance) while a
//! non-zero one still is (older captures keep their checks). The initial websocket
//! snapshot is being delisted too: updates that reach a book awaiting a snapshot are
//! buffered, and a REST snapshot (`GET /api/v5/market/books?source=0`, with `seqId`)
//! bridges them under [`OkxSequencer`]'s REST rules (see [`rest`]). A websocket
//! snapshot, while OKX still sends one, is used as before: the next update must link to
//! its `seqId`, so a snapshot that does not fit the stream is a gap, not a silent error.
//!
//! One book per instrument: if a connection carries several book channels of one
//! instrument, the deepest channel whose snapshot arrived feeds the book; `books5` and
//! `bbo-tbt` of an instrument fed by a deeper channel become [`Bbo`] events, other
//! channels are ignored (and counted as such).
//!
//! `mark-price` and `funding-rate` each carry their full state, so they are emitted as
//! they come (no merging across channels): mark price alone, or funding rate with the
//! time it settles (`fundingTime`) as `next_funding_ns`.

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};

use serde::Deserialize;
use serde_json::value::RawValue;

use super::owners::{self, DepthOwner, Role};
use super::sequence::OkxSequencer;
use super::wire::{collect_px_sz, ms_to_ns, opt_fixed, Num, PxSz};
use super::{Bbo, Event, Fault, FeedCtx, Handled, MarkFunding, Normaliser, Trade, VenueError};
use crate::book::Side;
use crate::decimal::Fixed;

mod checksum;
mod rest;

use checksum::checksum;
use rest::Buffered;

/// Updates buffered per book while it waits for a snapshot (oldest dropped beyond).
const MAX_BUFFER: usize = 10_000;

/// Channels we recognise and deliberately do not normalise.
const IGNORED_CHANNELS: &[&str] = &[
    "instruments",
    "open-interest",
    "index-tickers",
    "price-limit",
    "opt-summary",
    "estimated-price",
    "liquidation-orders",
    "status",
    "public-struc-block-trades",
    "block-tickers",
    "account",
    "positions",
    "balance_and_position",
    "orders",
    "orders-algo",
    "algo-advance",
    "liquidation-warning",
    "account-greeks",
    "fills",
];

/// Events (`{"event": ...}`) we recognise and ignore; `error` is reported instead.
const IGNORED_EVENTS: &[&str] = &[
    "subscribe",
    "unsubscribe",
    "login",
    "notice",
    "channel-conn-count",
];

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(default, borrow)]
    event: Option<&'a str>,
    #[serde(default, borrow)]
    arg: Option<Arg<'a>>,
    #[serde(default, borrow)]
    action: Option<&'a str>,
    #[serde(default, borrow)]
    data: Option<&'a RawValue>,
    #[serde(default, borrow)]
    code: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    msg: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Arg<'a> {
    #[serde(borrow)]
    channel: &'a str,
    #[serde(default, borrow, rename = "instId")]
    inst_id: Option<&'a str>,
}

#[derive(Deserialize)]
struct BookData<'a> {
    #[serde(borrow)]
    asks: Vec<PxSz<'a>>,
    #[serde(borrow)]
    bids: Vec<PxSz<'a>>,
    #[serde(default, borrow)]
    ts: Option<Num<'a>>,
    #[serde(default, borrow)]
    checksum: Option<Num<'a>>,
    #[serde(default, borrow, rename = "seqId")]
    seq_id: Option<Num<'a>>,
    #[serde(default, borrow, rename = "prevSeqId")]
    prev_seq_id: Option<Num<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TradeRow<'a> {
    #[serde(borrow)]
    inst_id: &'a str,
    #[serde(borrow)]
    trade_id: Num<'a>,
    #[serde(borrow)]
    px: Num<'a>,
    #[serde(borrow)]
    sz: Num<'a>,
    #[serde(borrow)]
    side: &'a str,
    #[serde(borrow)]
    ts: Num<'a>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TickerRow<'a> {
    #[serde(borrow)]
    inst_id: &'a str,
    #[serde(default, borrow)]
    bid_px: Option<Num<'a>>,
    #[serde(default, borrow)]
    bid_sz: Option<Num<'a>>,
    #[serde(default, borrow)]
    ask_px: Option<Num<'a>>,
    #[serde(default, borrow)]
    ask_sz: Option<Num<'a>>,
    #[serde(borrow)]
    ts: Num<'a>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MarkRow<'a> {
    #[serde(borrow)]
    inst_id: &'a str,
    #[serde(default, borrow)]
    mark_px: Option<Num<'a>>,
    #[serde(default, borrow)]
    funding_rate: Option<Num<'a>>,
    #[serde(default, borrow)]
    funding_time: Option<Num<'a>>,
    #[serde(default, borrow)]
    ts: Option<Num<'a>>,
}

/// One book item of a message, validated.
#[derive(Debug, Clone, Copy)]
struct Item {
    /// Range of its levels in the scratch buffer.
    start: usize,
    end: usize,
    ts_event: i64,
    checksum: Option<i64>,
    seq_id: Option<i64>,
    prev_seq_id: Option<i64>,
}

/// Per-instrument book state beyond [`super::InstrumentBook`].
#[derive(Debug, Default, Clone)]
struct InstState {
    /// Which channel feeds the book.
    owner: DepthOwner,
    /// The seqId rule since the last snapshot.
    seq: OkxSequencer,
    /// Updates received while the book awaits a snapshot.
    pending: VecDeque<Buffered>,
}

/// What became of one book update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Applied,
    /// The book waits for a snapshot: the update was buffered.
    Buffered,
    /// A gap invalidated the book.
    Faulted,
}

/// OKX v5 normaliser.
#[derive(Debug)]
pub struct Okx {
    insts: HashMap<String, InstState>,
    scratch: Vec<(Side, Fixed, Fixed)>,
    items: Vec<Item>,
    text: String,
}

impl Default for Okx {
    fn default() -> Self {
        Self::new()
    }
}

/// (depth, checksummed snapshot+update stream) of a book channel.
fn book_channel(channel: &str) -> Option<(u32, bool)> {
    match channel {
        "books" | "books-l2-tbt" => Some((400, true)),
        "books50-l2-tbt" => Some((50, true)),
        "books5" => Some((5, false)),
        "bbo-tbt" => Some((1, false)),
        _ => None,
    }
}

impl Okx {
    /// A new normaliser.
    #[must_use]
    pub fn new() -> Self {
        Okx {
            insts: HashMap::new(),
            scratch: Vec::with_capacity(512),
            items: Vec::with_capacity(2),
            text: String::with_capacity(1024),
        }
    }

    fn inst(&mut self, inst_id: &str) -> &mut InstState {
        if !self.insts.contains_key(inst_id) {
            self.insts.insert(inst_id.to_owned(), InstState::default());
        }
        self.insts
            .get_mut(inst_id)
            .unwrap_or_else(|| unreachable!("inserted above"))
    }

    /// A book message we could not read (see [`owners::unreadable`]).
    fn bad_book(
        &self,
        ctx: &mut FeedCtx,
        inst_id: &str,
        depth: u32,
        ts_recv: i64,
        e: VenueError,
    ) -> VenueError {
        let owner = self.insts.get(inst_id).map(|s| s.owner).unwrap_or_default();
        owners::unreadable(ctx, inst_id, owner, depth, ts_recv, e)
    }

    /// Parse and validate every item and level of a book message into the scratch buffers.
    fn collect(&mut self, data: &RawValue) -> Result<(), VenueError> {
        let rows: Vec<BookData<'_>> = serde_json::from_str(data.get())?;
        self.scratch.clear();
        self.items.clear();
        for r in &rows {
            let start = self.scratch.len();
            collect_px_sz(Side::Bid, &r.bids, &mut self.scratch)?;
            collect_px_sz(Side::Ask, &r.asks, &mut self.scratch)?;
            let int = |n: Option<Num<'_>>| n.map(|n| n.int()).transpose();
            self.items.push(Item {
                start,
                end: self.scratch.len(),
                ts_event: ms_to_ns(int(r.ts)?.unwrap_or(0)),
                checksum: int(r.checksum)?,
                seq_id: int(r.seq_id)?,
                prev_seq_id: int(r.prev_seq_id)?,
            });
        }
        Ok(())
    }

    fn book(
        &mut self,
        ctx: &mut FeedCtx,
        env: &Envelope<'_>,
        inst_id: &str,
        (depth, incremental): (u32, bool),
        ts_recv: i64,
    ) -> Result<Handled, VenueError> {
        let snapshot = if incremental {
            match env.action {
                Some("snapshot") => true,
                Some("update") => false,
                Some(a) => return Err(VenueError::UnknownMessage(format!("book action {a}"))),
                None => return Err(VenueError::Malformed("book message without action".into())),
            }
        } else {
            true
        };
        let Some(data) = env.data else {
            return Err(VenueError::Malformed("book message without data".into()));
        };
        // Validate every level before touching any state.
        if let Err(e) = self.collect(data) {
            return Err(self.bad_book(ctx, inst_id, depth, ts_recv, e));
        }
        match self.inst(inst_id).owner.role(depth, snapshot, depth <= 5) {
            Role::Book => {}
            Role::Skip => return Ok(Handled::Ignored),
            Role::Bbo => {
                let mut handled = Handled::Ignored;
                for it in &self.items {
                    let levels = &self.scratch[it.start..it.end];
                    if ctx.emit_top_of_book(inst_id, levels, it.ts_event, ts_recv) {
                        handled = Handled::Applied;
                    }
                }
                return Ok(handled);
            }
        }
        let mut handled = Handled::Ignored;
        for k in 0..self.items.len() {
            let it = self.items[k];
            if snapshot {
                let seq = OkxSequencer::snapshot(it.seq_id);
                self.load_snapshot(ctx, inst_id, it, seq, ts_recv)?;
                // The stream's own snapshot supersedes what was buffered before it.
                self.inst(inst_id).pending.clear();
            } else {
                match self.apply_update(ctx, inst_id, it, depth, ts_recv)? {
                    Outcome::Applied => {}
                    // Kept for the next snapshot, with the rest of the message.
                    Outcome::Buffered => {
                        handled = Handled::Applied;
                        continue;
                    }
                    Outcome::Faulted => return Ok(Handled::Applied),
                }
            }
            if incremental && !self.verify(ctx, inst_id, it.checksum, ts_recv) {
                return Ok(Handled::Applied);
            }
            ctx.book_applied(inst_id, it.ts_event, ts_recv, snapshot);
            handled = Handled::Applied;
        }
        Ok(handled)
    }

    /// Replace the book with the scratch levels of `it` (whatever its state: a snapshot
    /// always resyncs), under `seq`.
    fn load_snapshot(
        &mut self,
        ctx: &mut FeedCtx,
        inst_id: &str,
        it: Item,
        seq: OkxSequencer,
        ts_recv: i64,
    ) -> Result<(), VenueError> {
        let levels = &self.scratch[it.start..it.end];
        let side = |s: Side| {
            levels
                .iter()
                .filter(move |l| l.0 == s)
                .map(|&(_, p, z)| (p, z))
        };
        ctx.load_book(
            inst_id,
            side(Side::Bid),
            side(Side::Ask),
            seq.last(),
            ts_recv,
        )?;
        self.inst(inst_id).seq = seq;
        Ok(())
    }

    /// Apply an update under the sequence rule.
    fn apply_update(
        &mut self,
        ctx: &mut FeedCtx,
        inst_id: &str,
        it: Item,
        depth: u32,
        ts_recv: i64,
    ) -> Result<Outcome, VenueError> {
        if !ctx.book_mut(inst_id).synced {
            let levels = self.scratch[it.start..it.end].to_vec();
            let st = self.inst(inst_id);
            if st.pending.len() >= MAX_BUFFER {
                st.pending.pop_front();
                ctx.stats.buffer_dropped += 1;
            }
            st.pending
                .push_back(Buffered::new(it, levels, depth, ts_recv));
            return Ok(Outcome::Buffered);
        }
        let mut seq = self.inst(inst_id).seq;
        if let Some(fault) = seq.check(it.prev_seq_id, it.seq_id).fault() {
            ctx.fault(inst_id, ts_recv, fault);
            return Ok(Outcome::Faulted);
        }
        ctx.apply_levels(inst_id, &self.scratch[it.start..it.end], ts_recv)?
            .seq = seq.last();
        self.inst(inst_id).seq = seq;
        Ok(Outcome::Applied)
    }

    /// Check the message's checksum against the local book; false if it failed (the book
    /// is then invalidated). A message without a checksum passes unchecked; one of 0 is
    /// OKX's "deprecated, do not use" value (from 23 June 2026) and is counted, unchecked.
    fn verify(
        &mut self,
        ctx: &mut FeedCtx,
        inst_id: &str,
        checksum_field: Option<i64>,
        ts_recv: i64,
    ) -> bool {
        let Some(expected) = checksum_field else {
            return true;
        };
        if expected == 0 {
            ctx.stats.checksum_skipped += 1;
            return true;
        }
        let Some(ib) = ctx.book(inst_id) else {
            return true;
        };
        let computed = i64::from(checksum(&ib.book, &mut self.text));
        if computed == expected {
            ctx.stats.checksum_ok += 1;
            true
        } else {
            ctx.fault(inst_id, ts_recv, Fault::Checksum { expected, computed });
            false
        }
    }

    fn trades(ctx: &mut FeedCtx, data: &RawValue, ts_recv: i64) -> Result<Handled, VenueError> {
        let rows: Vec<TradeRow<'_>> = serde_json::from_str(data.get())?;
        let mut out = Vec::with_capacity(rows.len());
        for t in &rows {
            let aggressor = match t.side {
                "buy" => Side::Bid,
                "sell" => Side::Ask,
                s => return Err(VenueError::Malformed(format!("trade side {s:?}"))),
            };
            out.push(Trade {
                symbol: ctx.intern(t.inst_id),
                ts_event: ms_to_ns(t.ts.int()?),
                ts_recv,
                price: t.px.fixed()?,
                size: t.sz.fixed()?,
                aggressor: Some(aggressor),
                trade_id: t.trade_id.text().to_owned(),
            });
        }
        Ok(emit_all(ctx, out.into_iter().map(Event::Trade)))
    }

    /// Tickers carry the best bid and offer; `""` on a side means it is empty (no BBO).
    fn tickers(ctx: &mut FeedCtx, data: &RawValue, ts_recv: i64) -> Result<Handled, VenueError> {
        let rows: Vec<TickerRow<'_>> = serde_json::from_str(data.get())?;
        let mut out = Vec::with_capacity(rows.len());
        for t in &rows {
            let vals = (opt_fixed(t.bid_px)?, opt_fixed(t.bid_sz)?);
            let vals = (vals, opt_fixed(t.ask_px)?, opt_fixed(t.ask_sz)?);
            let ts_event = ms_to_ns(t.ts.int()?);
            if let ((Some(bid_px), Some(bid_sz)), Some(ask_px), Some(ask_sz)) = vals {
                if bid_px.mantissa > 0 && ask_px.mantissa > 0 {
                    out.push(Event::Bbo(Bbo {
                        symbol: ctx.intern(t.inst_id),
                        ts_event,
                        ts_recv,
                        bid_px,
                        bid_sz,
                        ask_px,
                        ask_sz,
                    }));
                }
            }
        }
        Ok(emit_all(ctx, out))
    }

    fn marks(ctx: &mut FeedCtx, data: &RawValue, ts_recv: i64) -> Result<Handled, VenueError> {
        let rows: Vec<MarkRow<'_>> = serde_json::from_str(data.get())?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let next = match r.funding_time {
                Some(n) if !n.text().is_empty() => Some(n.int()?),
                _ => None,
            };
            let ts = match r.ts {
                Some(n) if !n.text().is_empty() => n.int()?,
                _ => 0,
            };
            let ev = MarkFunding {
                symbol: ctx.intern(r.inst_id),
                ts_event: ms_to_ns(ts),
                ts_recv,
                mark_px: opt_fixed(r.mark_px)?,
                index_px: None,
                funding_rate: opt_fixed(r.funding_rate)?,
                next_funding_ns: next.filter(|t| *t > 0).map(ms_to_ns),
            };
            if ev.mark_px.is_some() || ev.funding_rate.is_some() {
                out.push(Event::Mark(ev));
            }
        }
        Ok(emit_all(ctx, out))
    }
}

fn emit_all(ctx: &mut FeedCtx, evs: impl IntoIterator<Item = Event>) -> Handled {
    let mut handled = Handled::Ignored;
    for ev in evs {
        ctx.emit(ev);
        handled = Handled::Applied;
    }
    handled
}

impl Normaliser for Okx {
    fn on_message(
        &mut self,
        ctx: &mut FeedCtx,
        raw: &[u8],
        ts_recv: i64,
    ) -> Result<Handled, VenueError> {
        // Keep-alive: the venue answers our "ping" text frame with a bare "pong".
        if raw.trim_ascii() == b"pong" {
            return Ok(Handled::Ignored);
        }
        let env: Envelope<'_> = serde_json::from_slice(raw)?;
        if let Some(ev) = env.event {
            if ev == "error" {
                // A refused subscription: counted and visible, not silently waiting.
                let code = env.code.as_deref().unwrap_or("");
                let msg = env.msg.as_deref().unwrap_or("");
                return Err(VenueError::UnknownMessage(format!(
                    "okx error {code}: {msg}"
                )));
            }
            if IGNORED_EVENTS.contains(&ev) {
                return Ok(Handled::Ignored);
            }
            return Err(VenueError::UnknownMessage(format!("event {ev}")));
        }
        let Some(arg) = &env.arg else {
            return Err(VenueError::UnknownMessage("no arg or event".into()));
        };
        let channel = arg.channel;
        if let Some(kind) = book_channel(channel) {
            let Some(inst_id) = arg.inst_id else {
                return Err(VenueError::Malformed(format!("{channel} without instId")));
            };
            return self.book(ctx, &env, inst_id, kind, ts_recv);
        }
        let data = || {
            env.data
                .ok_or_else(|| VenueError::Malformed(format!("{channel} without data")))
        };
        match channel {
            "trades" | "trades-all" => Self::trades(ctx, data()?, ts_recv),
            "tickers" => Self::tickers(ctx, data()?, ts_recv),
            "mark-price" | "funding-rate" => Self::marks(ctx, data()?, ts_recv),
            c if IGNORED_CHANNELS.contains(&c) || c.contains("candle") => Ok(Handled::Ignored),
            c => Err(VenueError::UnknownMessage(format!("channel {c}"))),
        }
    }

    fn on_rest_snapshot(
        &mut self,
        ctx: &mut FeedCtx,
        symbol: Option<&str>,
        raw: &[u8],
        ts_recv: i64,
    ) -> Result<Handled, VenueError> {
        self.rest_snapshot(ctx, symbol, raw, ts_recv)
    }

    fn on_reconnect(&mut self, ctx: &mut FeedCtx) {
        self.insts.clear();
        ctx.reset_all();
    }
}

#[cfg(test)]
mod tests;
