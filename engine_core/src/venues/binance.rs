//! Binance USD-M and COIN-M futures: `depthUpdate` diffs synced to a REST snapshot,
//! plus `bookTicker`, `trade`/`aggTrade` and `markPriceUpdate`.
//!
//! Book rule (Binance futures docs, "How to manage a local order book correctly"):
//! buffer the stream; fetch `GET /fapi|dapi/v1/depth`; drop every event with
//! `u < lastUpdateId`; the first event applied must have `U <= lastUpdateId <= u`; after
//! that each event's `pu` must equal the previous event's `u`, otherwise the book is out
//! of sync and must be rebuilt from a new snapshot. This is not the spot rule
//! (`U <= lastUpdateId + 1`): some captures bridge only at `u == lastUpdateId`.
//! COIN-M sizes are contracts; USD-M sizes are coins. Both come as decimal strings.

use std::collections::{HashMap, VecDeque};

use serde::Deserialize;
use serde_json::value::RawValue;

use super::scan::Scanner;
use super::sequence::{BinanceSequencer, Step};
use super::wire::{leading_str_field, ms_to_ns};
use super::{Bbo, Event, Fault, FeedCtx, Handled, MarkFunding, Normaliser, Trade, VenueError};
use crate::book::Side;
use crate::decimal::Fixed;

type Levels<'a> = Vec<(&'a str, &'a str)>;

#[derive(Deserialize)]
struct Combined<'a> {
    #[serde(borrow)]
    data: &'a RawValue,
}

#[derive(Deserialize)]
struct Peek<'a> {
    #[serde(default, borrow)]
    e: Option<&'a str>,
    #[serde(default, rename = "lastUpdateId")]
    last_update_id: Option<i64>,
    #[serde(default)]
    id: Option<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
struct DepthUpdate<'a> {
    #[serde(rename = "E")]
    event_ms: i64,
    #[serde(borrow)]
    s: &'a str,
    #[serde(rename = "U")]
    first: i64,
    u: i64,
    pu: i64,
    #[serde(borrow)]
    b: Levels<'a>,
    #[serde(borrow)]
    a: Levels<'a>,
}

#[derive(Deserialize)]
struct DepthSnapshot<'a> {
    #[serde(rename = "lastUpdateId")]
    last_update_id: i64,
    #[serde(rename = "E", default)]
    event_ms: i64,
    #[serde(default, borrow)]
    symbol: Option<&'a str>,
    #[serde(borrow)]
    bids: Levels<'a>,
    #[serde(borrow)]
    asks: Levels<'a>,
}

#[derive(Deserialize)]
struct BookTicker<'a> {
    #[serde(rename = "E", default)]
    event_ms: Option<i64>,
    #[serde(rename = "T", default)]
    txn_ms: Option<i64>,
    s: &'a str,
    b: &'a str,
    #[serde(rename = "B")]
    bid_sz: &'a str,
    a: &'a str,
    #[serde(rename = "A")]
    ask_sz: &'a str,
}

#[derive(Deserialize)]
struct TradeMsg<'a> {
    #[serde(rename = "E")]
    event_ms: i64,
    s: &'a str,
    #[serde(default)]
    t: Option<i64>,
    #[serde(default)]
    a: Option<i64>,
    p: &'a str,
    q: &'a str,
    m: bool,
    #[serde(rename = "X", default)]
    kind: Option<&'a str>,
}

#[derive(Deserialize)]
struct MarkPrice<'a> {
    #[serde(rename = "E")]
    event_ms: i64,
    s: &'a str,
    p: &'a str,
    #[serde(default)]
    i: Option<&'a str>,
    #[serde(default)]
    r: Option<&'a str>,
    #[serde(rename = "T", default)]
    next_funding_ms: Option<i64>,
}

/// The scalar fields of a `depthUpdate`; its levels go to the normaliser's scratch.
struct DepthHeader<'a> {
    symbol: &'a str,
    event_ms: i64,
    first: i64,
    last: i64,
    prev: i64,
}

/// Hot path: scan a `depthUpdate` without allocating. `None` means "not the common
/// shape": the serde path then parses it or names the error.
fn depth_fast<'a>(raw: &'a [u8], out: &mut Vec<(Side, Fixed, Fixed)>) -> Option<DepthHeader<'a>> {
    let (mut symbol, mut event_ms, mut first, mut last, mut prev) = (None, None, None, None, None);
    let (mut bids, mut asks) = (false, false);
    let mut s = Scanner::new(raw);
    s.object(|k, s| match k {
        b"s" => s.string().map(|v| symbol = Some(v)),
        b"E" => s.int().map(|v| event_ms = Some(v)),
        b"U" => s.int().map(|v| first = Some(v)),
        b"u" => s.int().map(|v| last = Some(v)),
        b"pu" => s.int().map(|v| prev = Some(v)),
        b"b" => s.levels(Side::Bid, out).map(|()| bids = true),
        b"a" => s.levels(Side::Ask, out).map(|()| asks = true),
        _ => s.skip(),
    })?;
    if !(s.at_end() && bids && asks) {
        return None;
    }
    Some(DepthHeader {
        symbol: symbol?,
        event_ms: event_ms?,
        first: first?,
        last: last?,
        prev: prev?,
    })
}

fn depth_serde<'a>(
    raw: &'a [u8],
    out: &mut Vec<(Side, Fixed, Fixed)>,
) -> Result<DepthHeader<'a>, VenueError> {
    let m: DepthUpdate<'a> = serde_json::from_slice(raw)?;
    collect(Side::Bid, &m.b, out)?;
    collect(Side::Ask, &m.a, out)?;
    Ok(DepthHeader {
        symbol: m.s,
        event_ms: m.event_ms,
        first: m.first,
        last: m.u,
        prev: m.pu,
    })
}

/// A diff waiting for its book's snapshot.
#[derive(Debug, Clone)]
struct Buffered {
    first: i64,
    last: i64,
    prev: i64,
    ts_event: i64,
    ts_recv: i64,
    levels: Vec<(Side, Fixed, Fixed)>,
}

#[derive(Debug, Default)]
struct SymbolSync {
    /// Diffs received while the book awaits a snapshot.
    pending: VecDeque<Buffered>,
    /// The sync rule since the last snapshot (meaningful while the book is synced).
    seq: BinanceSequencer,
}

/// Binance futures normaliser (USD-M and COIN-M share the wire format).
#[derive(Debug)]
pub struct Binance {
    max_buffer: usize,
    sync: HashMap<String, SymbolSync>,
    scratch: Vec<(Side, Fixed, Fixed)>,
}

/// Known stream events we deliberately do not normalise.
const IGNORED_EVENTS: &[&str] = &[
    "kline",
    "continuous_kline",
    "24hrTicker",
    "24hrMiniTicker",
    "forceOrder",
    "indexPriceUpdate",
    "indexPriceKline",
    "markPriceKline",
    "compositeIndex",
    "contractInfo",
    "assetIndexUpdate",
];

impl Binance {
    /// A normaliser buffering at most `max_buffer` diffs per book while unsynced.
    #[must_use]
    pub fn new(max_buffer: usize) -> Self {
        Binance {
            max_buffer: max_buffer.max(1),
            sync: HashMap::new(),
            scratch: Vec::with_capacity(256),
        }
    }

    fn dispatch(
        &mut self,
        ctx: &mut FeedCtx,
        raw: &[u8],
        ts_recv: i64,
    ) -> Result<Handled, VenueError> {
        let kind = match leading_str_field(raw, b"e") {
            Some(k) => k,
            None => {
                let p: Peek<'_> = serde_json::from_slice(raw)?;
                if p.last_update_id.is_some() {
                    return self.snapshot(ctx, None, raw, ts_recv);
                }
                match p.e {
                    Some(k) => k,
                    // Subscription acks: {"result":null,"id":1}.
                    None if p.id.is_some() => return Ok(Handled::Ignored),
                    None => return Err(VenueError::UnknownMessage("no event type".into())),
                }
            }
        };
        match kind {
            "depthUpdate" => {
                // Validate every level before touching any state.
                self.scratch.clear();
                let h = match depth_fast(raw, &mut self.scratch) {
                    Some(h) => h,
                    None => {
                        self.scratch.clear();
                        depth_serde(raw, &mut self.scratch)?
                    }
                };
                self.depth(ctx, &h, ts_recv)
            }
            "bookTicker" => {
                let m: BookTicker<'_> = serde_json::from_slice(raw)?;
                let ts = m.event_ms.or(m.txn_ms).unwrap_or(0);
                let ev = Bbo {
                    symbol: ctx.intern(m.s),
                    ts_event: ms_to_ns(ts),
                    ts_recv,
                    bid_px: Fixed::parse(m.b)?,
                    bid_sz: Fixed::parse(m.bid_sz)?,
                    ask_px: Fixed::parse(m.a)?,
                    ask_sz: Fixed::parse(m.ask_sz)?,
                };
                ctx.emit(Event::Bbo(ev));
                Ok(Handled::Applied)
            }
            "trade" | "aggTrade" => {
                let m: TradeMsg<'_> = serde_json::from_slice(raw)?;
                if m.kind.is_some_and(|k| k != "MARKET") {
                    // Insurance-fund and ADL prints are not market trades.
                    return Ok(Handled::Ignored);
                }
                let id =
                    m.t.or(m.a)
                        .ok_or_else(|| VenueError::Malformed("trade id".into()))?;
                let ev = Trade {
                    symbol: ctx.intern(m.s),
                    ts_event: ms_to_ns(m.event_ms),
                    ts_recv,
                    price: Fixed::parse(m.p)?,
                    size: Fixed::parse(m.q)?,
                    // m = buyer is the maker, so the seller aggressed.
                    aggressor: Some(if m.m { Side::Ask } else { Side::Bid }),
                    trade_id: id.to_string(),
                };
                ctx.emit(Event::Trade(ev));
                Ok(Handled::Applied)
            }
            "markPriceUpdate" => {
                let m: MarkPrice<'_> = serde_json::from_slice(raw)?;
                let opt = |s: Option<&str>| -> Result<Option<Fixed>, VenueError> {
                    match s {
                        Some(t) if !t.is_empty() => Ok(Some(Fixed::parse(t)?)),
                        _ => Ok(None),
                    }
                };
                let ev = MarkFunding {
                    symbol: ctx.intern(m.s),
                    ts_event: ms_to_ns(m.event_ms),
                    ts_recv,
                    mark_px: Some(Fixed::parse(m.p)?),
                    index_px: opt(m.i)?,
                    funding_rate: opt(m.r)?,
                    next_funding_ns: m.next_funding_ms.filter(|t| *t > 0).map(ms_to_ns),
                };
                ctx.emit(Event::Mark(ev));
                Ok(Handled::Applied)
            }
            k if IGNORED_EVENTS.contains(&k) => Ok(Handled::Ignored),
            k => Err(VenueError::UnknownMessage(k.to_owned())),
        }
    }

    fn depth(
        &mut self,
        ctx: &mut FeedCtx,
        m: &DepthHeader<'_>,
        ts_recv: i64,
    ) -> Result<Handled, VenueError> {
        let ts_event = ms_to_ns(m.event_ms);
        let sync = match self.sync.get_mut(m.symbol) {
            Some(s) => s,
            None => self.sync.entry(m.symbol.to_owned()).or_default(),
        };
        if ctx.book_mut(m.symbol).synced {
            match sync.seq.check(m.first, m.last, m.prev) {
                Step::Apply => {
                    ctx.apply_delta(m.symbol, &self.scratch, m.last, ts_event, ts_recv)?;
                    return Ok(Handled::Applied);
                }
                Step::Skip => {
                    ctx.stats.skipped += 1;
                    return Ok(Handled::Applied);
                }
                Step::Gap { expected, got } => {
                    ctx.fault(m.symbol, ts_recv, Fault::Gap { expected, got });
                }
            }
        }
        // Unsynced: keep the diff for the next snapshot.
        if sync.pending.len() >= self.max_buffer {
            sync.pending.pop_front();
            ctx.stats.buffer_dropped += 1;
        }
        sync.pending.push_back(Buffered {
            first: m.first,
            last: m.last,
            prev: m.prev,
            ts_event,
            ts_recv,
            levels: self.scratch.clone(),
        });
        Ok(Handled::Applied)
    }

    fn snapshot(
        &mut self,
        ctx: &mut FeedCtx,
        symbol: Option<&str>,
        raw: &[u8],
        ts_recv: i64,
    ) -> Result<Handled, VenueError> {
        let snap: DepthSnapshot<'_> = serde_json::from_slice(raw)?;
        let symbol = match symbol.or(snap.symbol) {
            Some(s) => s.to_owned(),
            None => self.only_symbol(ctx)?,
        };
        let big_l = snap.last_update_id;
        {
            let ib = ctx.book_mut(&symbol);
            if ib.synced && big_l <= ib.seq {
                // Our book is already newer than this snapshot.
                return Ok(Handled::Ignored);
            }
        }
        let parse = |levels: &Levels<'_>| -> Result<Vec<(Fixed, Fixed)>, VenueError> {
            levels
                .iter()
                .map(|(p, s)| Ok((Fixed::parse(p)?, Fixed::parse(s)?)))
                .collect()
        };
        let (bids, asks) = (parse(&snap.bids)?, parse(&snap.asks)?);
        ctx.load_book(&symbol, bids, asks, big_l, ts_recv)?;
        ctx.book_applied(&symbol, ms_to_ns(snap.event_ms), ts_recv, true);

        // Replay the buffer under the sync rule.
        let sync = self.sync.entry(symbol.clone()).or_default();
        sync.seq = BinanceSequencer::new(big_l);
        while let Some(d) = sync.pending.pop_front() {
            match sync.seq.check_buffered(d.first, d.last, d.prev) {
                Step::Apply => {
                    ctx.apply_delta(&symbol, &d.levels, d.last, d.ts_event, d.ts_recv)?;
                }
                Step::Skip => ctx.stats.skipped += 1,
                Step::Gap { expected, got } => {
                    ctx.fault(&symbol, d.ts_recv, Fault::Gap { expected, got });
                    // Keep the rest for the next snapshot.
                    sync.pending.push_front(d);
                    return Ok(Handled::Applied);
                }
            }
        }
        Ok(Handled::Applied)
    }

    /// A snapshot without a symbol (USD-M REST bodies) belongs to the only book we have.
    fn only_symbol(&self, ctx: &FeedCtx) -> Result<String, VenueError> {
        let mut names: Vec<&str> = self.sync.keys().map(String::as_str).collect();
        names.extend(ctx.books().map(|b| &*b.symbol));
        names.sort_unstable();
        names.dedup();
        match names.as_slice() {
            [one] => Ok((*one).to_owned()),
            [] => Err(VenueError::Malformed(
                "depth snapshot without symbol before any diff".into(),
            )),
            _ => Err(VenueError::Malformed(
                "depth snapshot without symbol on a multi-symbol feed".into(),
            )),
        }
    }
}

/// The `data` member of `{"stream":"<name>","data":<event>}` in one pass: the stream
/// name is read, the event is the rest up to the closing brace (the event parser then
/// checks it is exactly one object). Any other layout goes to serde.
fn combined_data(raw: &[u8]) -> Option<&[u8]> {
    let mut s = Scanner::new(raw);
    s.expect(b'{')?;
    (s.string()? == "stream").then_some(())?;
    s.expect(b':')?;
    s.string()?;
    s.expect(b',')?;
    (s.string()? == "data").then_some(())?;
    s.expect(b':')?;
    let rest = raw.get(s.position()..)?;
    let end = rest.iter().rposition(|c| !c.is_ascii_whitespace())?;
    (rest[end] == b'}').then_some(())?;
    let inner = &rest[..end];
    let last = inner.iter().rposition(|c| !c.is_ascii_whitespace())?;
    (inner[last] == b'}').then_some(&inner[..=last])
}

fn collect(
    side: Side,
    levels: &Levels<'_>,
    out: &mut Vec<(Side, Fixed, Fixed)>,
) -> Result<(), VenueError> {
    for (p, s) in levels {
        out.push((side, Fixed::parse(p)?, Fixed::parse(s)?));
    }
    Ok(())
}

impl Normaliser for Binance {
    fn on_message(
        &mut self,
        ctx: &mut FeedCtx,
        raw: &[u8],
        ts_recv: i64,
    ) -> Result<Handled, VenueError> {
        if raw.starts_with(b"{\"stream\"") {
            // Combined stream: {"stream": name, "data": event}.
            let inner = match combined_data(raw) {
                Some(d) => d,
                None => {
                    let c: Combined<'_> = serde_json::from_slice(raw)?;
                    c.data.get().as_bytes()
                }
            };
            return self.dispatch(ctx, inner, ts_recv);
        }
        self.dispatch(ctx, raw, ts_recv)
    }

    fn on_rest_snapshot(
        &mut self,
        ctx: &mut FeedCtx,
        symbol: Option<&str>,
        raw: &[u8],
        ts_recv: i64,
    ) -> Result<Handled, VenueError> {
        self.snapshot(ctx, symbol, raw, ts_recv)
    }

    fn on_reconnect(&mut self, ctx: &mut FeedCtx) {
        self.sync.clear();
        ctx.reset_all();
    }
}
