//! Bybit v5 public streams: `orderbook.{depth}.{symbol}` books, `publicTrade` and
//! `tickers` (best bid/offer, mark/index price, funding).
//!
//! One feed is one websocket connection, and a Bybit public connection serves one
//! category (`/v5/public/linear`, `inverse`, `spot`, `option`). Linear and spot use the
//! same topic names (`orderbook.200.BTCUSDT` on both), so books are keyed by symbol
//! within the feed and the caller keeps one feed per connection and prefixes the
//! category (`linear:BTCUSDT`).
//!
//! Book rule (Bybit v5 docs, "Orderbook"): "Once you have subscribed successfully, you
//! will receive a snapshot. The WebSocket will keep pushing delta messages every time the
//! orderbook changes. If you receive a new snapshot message, you will have to reset your
//! local orderbook." Deltas: "If you receive an amount that is 0, delete the entry".
//! `u` is the update id, consecutive per (connection, topic): each delta must carry the
//! previous `u` + 1, otherwise the book is out of sync and must be resubscribed.
//! "Occasionally, you'll receive "u"=1, which is a snapshot data due to the restart of
//! the service. So please overwrite your local orderbook": any snapshot resets the book,
//! whatever its `u`. Level 1 pushes only snapshots, and "if 3 seconds have elapsed
//! without a change in the orderbook, a snapshot message will be pushed again, and the
//! field u will be the same as that in the previous message": a repeated `u` on a
//! snapshot is a refresh, not a gap (no snapshot is ever sequence-checked).
//!
//! A feed keeps one book per symbol. If a connection carries several depths of one
//! symbol, the deepest depth whose snapshot arrived feeds the book; `orderbook.1` of a
//! symbol whose book is fed by a deeper stream becomes [`Bbo`] events, other shallower
//! depths are ignored (and counted as such).
//!
//! `ts_event` is the matching engine's `cts` where the message has it (books, and the
//! trade's `T`), else the gateway's `ts`.

use std::borrow::Cow;
use std::collections::HashMap;

use serde::Deserialize;

use super::owners::{self, DepthOwners, Role};
use super::sequence::{BybitSequencer, Step};
use super::wire::{collect_px_sz, leading_str_field, ms_to_ns, opt_fixed, Num, PxSz};
use super::{Bbo, Event, Fault, FeedCtx, Handled, MarkFunding, Normaliser, Trade, VenueError};
use crate::book::Side;
use crate::decimal::Fixed;

/// Bybit v5 categories (one per public connection).
const CATEGORIES: [&str; 4] = ["linear", "inverse", "spot", "option"];

/// Topics we recognise and deliberately do not normalise.
const IGNORED_TOPICS: &[&str] = &[
    "kline",
    "liquidation",
    "allLiquidation",
    "insurance",
    "lt",
    "kline_lt",
    "tickers_lt",
    "priceLimit",
    "adlAlert",
    "order",
    "execution",
    "position",
    "wallet",
    "greeks",
    "dcp",
];

#[derive(Deserialize)]
struct Peek<'a> {
    #[serde(default, borrow)]
    topic: Option<&'a str>,
    #[serde(default, borrow)]
    op: Option<&'a str>,
    #[serde(default)]
    success: Option<bool>,
    #[serde(default, borrow)]
    ret_msg: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct BookMsg<'a> {
    #[serde(rename = "type", borrow)]
    kind: &'a str,
    #[serde(default)]
    ts: Option<i64>,
    #[serde(default)]
    cts: Option<i64>,
    #[serde(borrow)]
    data: BookData<'a>,
}

#[derive(Deserialize)]
struct BookData<'a> {
    #[serde(borrow)]
    s: &'a str,
    #[serde(borrow)]
    b: Vec<PxSz<'a>>,
    #[serde(borrow)]
    a: Vec<PxSz<'a>>,
    u: i64,
}

#[derive(Deserialize)]
struct TradeMsg<'a> {
    #[serde(borrow)]
    data: Vec<TradeRow<'a>>,
}

#[derive(Deserialize)]
struct TradeRow<'a> {
    #[serde(rename = "T")]
    time_ms: i64,
    #[serde(borrow)]
    s: &'a str,
    #[serde(rename = "S", borrow)]
    side: &'a str,
    #[serde(borrow)]
    v: Num<'a>,
    #[serde(borrow)]
    p: Num<'a>,
    #[serde(borrow)]
    i: Num<'a>,
    #[serde(rename = "BT", default)]
    block_trade: bool,
}

#[derive(Deserialize)]
struct TickerMsg<'a> {
    #[serde(rename = "type", default, borrow)]
    kind: Option<&'a str>,
    #[serde(default)]
    ts: Option<i64>,
    #[serde(borrow)]
    data: TickerData<'a>,
}

/// Linear/inverse carry everything; spot only prices and volumes; option `bidPrice` ...
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TickerData<'a> {
    #[serde(borrow)]
    symbol: &'a str,
    #[serde(default, borrow)]
    mark_price: Option<Num<'a>>,
    #[serde(default, borrow)]
    index_price: Option<Num<'a>>,
    #[serde(default, borrow)]
    funding_rate: Option<Num<'a>>,
    #[serde(default, borrow)]
    next_funding_time: Option<Num<'a>>,
    #[serde(default, borrow, alias = "bidPrice")]
    bid1_price: Option<Num<'a>>,
    #[serde(default, borrow, alias = "bidSize")]
    bid1_size: Option<Num<'a>>,
    #[serde(default, borrow, alias = "askPrice")]
    ask1_price: Option<Num<'a>>,
    #[serde(default, borrow, alias = "askSize")]
    ask1_size: Option<Num<'a>>,
}

/// Last known ticker values of one symbol (deltas carry only the fields that changed).
#[derive(Debug, Default, Clone)]
struct TickerState {
    mark: Option<Fixed>,
    index: Option<Fixed>,
    funding: Option<Fixed>,
    next_funding_ns: Option<i64>,
    bid_px: Option<Fixed>,
    bid_sz: Option<Fixed>,
    ask_px: Option<Fixed>,
    ask_sz: Option<Fixed>,
}

/// Bybit v5 normaliser for one public connection.
#[derive(Debug)]
pub struct Bybit {
    category: &'static str,
    /// Which depth of each symbol feeds its book.
    owners: DepthOwners,
    tickers: HashMap<String, TickerState>,
    scratch: Vec<(Side, Fixed, Fixed)>,
}

impl Bybit {
    /// A normaliser for a connection of `category` (`linear` if `None`).
    ///
    /// # Errors
    /// [`VenueError::BadOption`] for a category other than linear, inverse, spot, option.
    pub fn new(category: Option<&str>) -> Result<Self, VenueError> {
        let wanted = category.unwrap_or("linear");
        let category = CATEGORIES
            .into_iter()
            .find(|c| *c == wanted)
            .ok_or_else(|| {
                VenueError::BadOption(format!(
                    "bybit category {wanted:?} (expected linear, inverse, spot or option)"
                ))
            })?;
        Ok(Bybit {
            category,
            owners: DepthOwners::default(),
            tickers: HashMap::new(),
            scratch: Vec::with_capacity(256),
        })
    }

    /// The connection's category.
    #[must_use]
    pub fn category(&self) -> &'static str {
        self.category
    }

    fn orderbook(
        &mut self,
        ctx: &mut FeedCtx,
        topic: &str,
        raw: &[u8],
        ts_recv: i64,
    ) -> Result<Handled, VenueError> {
        let (depth, symbol) = parse_book_topic(topic)?;
        let unreadable = |ctx: &mut FeedCtx, owners: &DepthOwners, e: VenueError| {
            owners::unreadable(ctx, symbol, owners.get(symbol), depth, ts_recv, e)
        };
        let m: BookMsg<'_> = match serde_json::from_slice(raw) {
            Ok(m) => m,
            Err(e) => return Err(unreadable(ctx, &self.owners, e.into())),
        };
        if m.data.s != symbol {
            let e = VenueError::Malformed(format!("topic {topic} carries symbol {}", m.data.s));
            return Err(unreadable(ctx, &self.owners, e));
        }
        let snapshot = match m.kind {
            "snapshot" => true,
            "delta" => false,
            k => return Err(VenueError::UnknownMessage(format!("orderbook type {k}"))),
        };
        // Validate every level before touching any state.
        self.scratch.clear();
        let parsed = collect_px_sz(Side::Bid, &m.data.b, &mut self.scratch)
            .and_then(|()| collect_px_sz(Side::Ask, &m.data.a, &mut self.scratch));
        if let Err(e) = parsed {
            return Err(unreadable(ctx, &self.owners, e));
        }
        let ts_event = ms_to_ns(m.cts.or(m.ts).unwrap_or(0));
        match self.owners.role(symbol, depth, snapshot, depth == 1) {
            Role::Book => {}
            Role::Bbo => {
                let emitted = ctx.emit_top_of_book(symbol, &self.scratch, ts_event, ts_recv);
                return Ok(if emitted {
                    Handled::Applied
                } else {
                    Handled::Ignored
                });
            }
            Role::Skip => return Ok(Handled::Ignored),
        }
        let u = m.data.u;
        if snapshot {
            // Step 2 of the rule: any snapshot replaces the book, whatever its u.
            let bids = self.scratch.iter().filter(|l| l.0 == Side::Bid);
            let asks = self.scratch.iter().filter(|l| l.0 == Side::Ask);
            let (bids, asks) = (bids.map(|&(_, p, s)| (p, s)), asks.map(|&(_, p, s)| (p, s)));
            ctx.load_book(symbol, bids, asks, u, ts_recv)?;
            ctx.book_applied(symbol, ts_event, ts_recv, true);
            return Ok(Handled::Applied);
        }
        let ib = ctx.book_mut(symbol);
        if !ib.synced {
            // Waiting for a snapshot (never had one, or invalidated by a fault).
            ctx.stats.skipped += 1;
            return Ok(Handled::Ignored);
        }
        match BybitSequencer::resume(ib.seq).check(u) {
            Step::Apply => ctx.apply_delta(symbol, &self.scratch, u, ts_event, ts_recv)?,
            Step::Skip => {}
            Step::Gap { expected, got } => {
                ctx.fault(symbol, ts_recv, Fault::Gap { expected, got });
            }
        }
        Ok(Handled::Applied)
    }

    fn trades(
        &mut self,
        ctx: &mut FeedCtx,
        raw: &[u8],
        ts_recv: i64,
    ) -> Result<Handled, VenueError> {
        let m: TradeMsg<'_> = serde_json::from_slice(raw)?;
        // Validate all rows first: a message is used whole or not at all.
        let mut out = Vec::with_capacity(m.data.len());
        for t in &m.data {
            if t.block_trade {
                // Block trades are negotiated off the book: not a market print.
                continue;
            }
            let aggressor = match t.side {
                "Buy" => Side::Bid,
                "Sell" => Side::Ask,
                s => return Err(VenueError::Malformed(format!("trade side {s:?}"))),
            };
            out.push(Trade {
                symbol: ctx.intern(t.s),
                ts_event: ms_to_ns(t.time_ms),
                ts_recv,
                price: t.p.fixed()?,
                size: t.v.fixed()?,
                aggressor: Some(aggressor),
                trade_id: t.i.text().to_owned(),
            });
        }
        if out.is_empty() {
            return Ok(Handled::Ignored);
        }
        for t in out {
            ctx.emit(Event::Trade(t));
        }
        Ok(Handled::Applied)
    }

    /// Tickers: linear/inverse send a snapshot then deltas holding only changed fields,
    /// so the last known values are kept per symbol and every event carries the merged
    /// state. A field sent as `""` clears it. A [`MarkFunding`] is emitted when the
    /// message touched mark, index or funding; a [`Bbo`] when it touched the best bid or
    /// offer and all four values are known. Spot tickers carry neither (last price and
    /// volumes only) and are ignored.
    fn tickers(
        &mut self,
        ctx: &mut FeedCtx,
        raw: &[u8],
        ts_recv: i64,
    ) -> Result<Handled, VenueError> {
        let m: TickerMsg<'_> = serde_json::from_slice(raw)?;
        let d = &m.data;
        // Parse everything before updating the state.
        let mark = opt_fixed(d.mark_price)?;
        let index = opt_fixed(d.index_price)?;
        let funding = opt_fixed(d.funding_rate)?;
        let next_funding = match d.next_funding_time {
            Some(n) if !n.text().is_empty() => Some(n.int()?),
            _ => None,
        };
        let bbo = [d.bid1_price, d.bid1_size, d.ask1_price, d.ask1_size];
        let bbo_vals = [
            opt_fixed(bbo[0])?,
            opt_fixed(bbo[1])?,
            opt_fixed(bbo[2])?,
            opt_fixed(bbo[3])?,
        ];
        let snapshot = match m.kind {
            None | Some("snapshot") => true,
            Some("delta") => false,
            Some(k) => return Err(VenueError::UnknownMessage(format!("tickers type {k}"))),
        };
        if !self.tickers.contains_key(d.symbol) {
            self.tickers
                .insert(d.symbol.to_owned(), TickerState::default());
        }
        let Some(st) = self.tickers.get_mut(d.symbol) else {
            return Err(VenueError::Malformed("ticker state".into()));
        };
        if snapshot {
            *st = TickerState::default();
        }
        let set = |slot: &mut Option<Fixed>, present: bool, v: Option<Fixed>| {
            if present {
                *slot = v;
            }
        };
        set(&mut st.mark, d.mark_price.is_some(), mark);
        set(&mut st.index, d.index_price.is_some(), index);
        set(&mut st.funding, d.funding_rate.is_some(), funding);
        if d.next_funding_time.is_some() {
            st.next_funding_ns = next_funding.filter(|t| *t > 0).map(ms_to_ns);
        }
        set(&mut st.bid_px, bbo[0].is_some(), bbo_vals[0]);
        set(&mut st.bid_sz, bbo[1].is_some(), bbo_vals[1]);
        set(&mut st.ask_px, bbo[2].is_some(), bbo_vals[2]);
        set(&mut st.ask_sz, bbo[3].is_some(), bbo_vals[3]);

        let ts_event = ms_to_ns(m.ts.unwrap_or(0));
        let mut handled = Handled::Ignored;
        let touched_mark = d.mark_price.is_some()
            || d.index_price.is_some()
            || d.funding_rate.is_some()
            || d.next_funding_time.is_some();
        if touched_mark {
            let ev = MarkFunding {
                symbol: ctx.intern(d.symbol),
                ts_event,
                ts_recv,
                mark_px: st.mark,
                index_px: st.index,
                funding_rate: st.funding,
                next_funding_ns: st.next_funding_ns,
            };
            ctx.emit(Event::Mark(ev));
            handled = Handled::Applied;
        }
        if bbo.iter().any(Option::is_some) {
            if let (Some(bp), Some(bs), Some(ap), Some(asz)) =
                (st.bid_px, st.bid_sz, st.ask_px, st.ask_sz)
            {
                // Options quote "0" for an empty side.
                if bp.mantissa > 0 && ap.mantissa > 0 {
                    let ev = Bbo {
                        symbol: ctx.intern(d.symbol),
                        ts_event,
                        ts_recv,
                        bid_px: bp,
                        bid_sz: bs,
                        ask_px: ap,
                        ask_sz: asz,
                    };
                    ctx.emit(Event::Bbo(ev));
                    handled = Handled::Applied;
                }
            }
        }
        Ok(handled)
    }

    /// Responses to our requests: `{"success":true,"ret_msg":"pong","op":"ping",...}`.
    /// A refused request (bad topic, failed auth) is reported as an error so it is
    /// counted and visible rather than silently waiting for data that never comes.
    fn op_response(p: &Peek<'_>, op: &str) -> Result<Handled, VenueError> {
        if p.success == Some(false) {
            let why = p.ret_msg.as_deref().unwrap_or("");
            return Err(VenueError::UnknownMessage(format!(
                "bybit refused {op}: {why}"
            )));
        }
        Ok(Handled::Ignored)
    }
}

/// `orderbook.{depth}.{symbol}` -> (depth, symbol).
fn parse_book_topic(topic: &str) -> Result<(u32, &str), VenueError> {
    let bad = || VenueError::UnknownMessage(format!("orderbook topic {topic:?}"));
    let rest = topic.strip_prefix("orderbook.").ok_or_else(bad)?;
    let (depth, symbol) = rest.split_once('.').ok_or_else(bad)?;
    let depth: u32 = depth.parse().map_err(|_| bad())?;
    if symbol.is_empty() {
        return Err(bad());
    }
    Ok((depth, symbol))
}

impl Normaliser for Bybit {
    fn on_message(
        &mut self,
        ctx: &mut FeedCtx,
        raw: &[u8],
        ts_recv: i64,
    ) -> Result<Handled, VenueError> {
        // Public pushes normally start with the topic; read the envelope otherwise.
        let topic = match leading_str_field(raw, b"topic") {
            Some(t) => t,
            None => {
                let p: Peek<'_> = serde_json::from_slice(raw)?;
                match (p.topic, p.op) {
                    (Some(t), _) => t,
                    (None, Some(op)) => return Self::op_response(&p, op),
                    (None, None) => return Err(VenueError::UnknownMessage("no topic".into())),
                }
            }
        };
        let kind = topic.split('.').next().unwrap_or(topic);
        match kind {
            "orderbook" => self.orderbook(ctx, topic, raw, ts_recv),
            "publicTrade" => self.trades(ctx, raw, ts_recv),
            "tickers" => self.tickers(ctx, raw, ts_recv),
            k if IGNORED_TOPICS.contains(&k) => {
                // Still well-formed JSON, or it is a rejection like any other.
                serde_json::from_slice::<serde::de::IgnoredAny>(raw)?;
                Ok(Handled::Ignored)
            }
            _ => Err(VenueError::UnknownMessage(format!("topic {topic}"))),
        }
    }

    fn on_reconnect(&mut self, ctx: &mut FeedCtx) {
        self.owners.clear();
        self.tickers.clear();
        ctx.reset_all();
    }
}

#[cfg(test)]
mod tests;
