//! BitMEX realtime: `orderBookL2`/`orderBookL2_25` books, `trade`, `quote`, `instrument`
//! (mark/index/funding) and `funding` tables.
//!
//! Book rule (BitMEX realtime API, "Subscriptions" and the orderBookL2 table keys
//! `symbol, id, side`): a `partial` for a symbol replaces its book; `insert`, `update`
//! and `delete` rows then change one row each, keyed by id. Deltas that arrive before
//! the first `partial` of their symbol are dropped. Older feeds send `update`/`delete`
//! rows without `price`, so we keep id -> price per symbol: an update or delete of an id
//! we do not hold, an insert of an id we already hold, or an update whose price
//! disagrees with the id's price means we missed something. BitMEX has no sequence
//! numbers, so the book is also checked after every message: a crossed book is out of
//! sync. Either failure invalidates the book; the only resync is a new `partial`, which
//! BitMEX sends on (re)subscription, so the caller reconnects. A locked book is only
//! flagged (`InstrumentBook::valid` is false), since the rule names crossing.
//!
//! XBTUSD and other inverse contracts have sizes in USD contracts. Numbers are JSON
//! numbers and go through [`Num`], never `f64`; timestamps are ISO-8601. Welcome
//! (`info`), request acks (`success`), request errors (`error`, the sender's business)
//! and the text `pong` are ignored.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::wire::{iso8601_to_ns, Num, Present};
use super::{Fault, FeedCtx, Handled, Normaliser, VenueError};
use crate::book::{Cross, Side};
use crate::decimal::Fixed;
use market::MarkState;

mod market;

/// Tables we recognise but do not normalise.
const IGNORED_TABLES: &[&str] = &[
    "affiliate",
    "announcement",
    "chat",
    "connected",
    "execution",
    "insurance",
    "liquidation",
    "margin",
    "order",
    "orderBook10",
    "position",
    "privateNotifications",
    "publicNotifications",
    "quoteBin1d",
    "quoteBin1h",
    "quoteBin1m",
    "quoteBin5m",
    "settlement",
    "tradeBin1d",
    "tradeBin1h",
    "tradeBin1m",
    "tradeBin5m",
    "transact",
    "wallet",
];

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(default, borrow)]
    table: Option<&'a str>,
    #[serde(default, borrow)]
    action: Option<&'a str>,
    #[serde(default, borrow)]
    data: Option<&'a RawValue>,
    #[serde(default, borrow)]
    filter: Option<Filter<'a>>,
    #[serde(default)]
    info: Present,
    #[serde(default)]
    success: Present,
    #[serde(default)]
    error: Present,
}

#[derive(Deserialize)]
struct Filter<'a> {
    #[serde(default, borrow)]
    symbol: Option<&'a str>,
}

#[derive(Deserialize)]
struct L2Row<'a> {
    #[serde(borrow)]
    symbol: &'a str,
    id: i64,
    #[serde(borrow)]
    side: &'a str,
    #[serde(default, borrow)]
    size: Option<Num<'a>>,
    #[serde(default, borrow)]
    price: Option<Num<'a>>,
    #[serde(default, borrow)]
    timestamp: Option<&'a str>,
}

/// Just the symbol of a row, to find the books a malformed message touched.
#[derive(Deserialize)]
struct SymbolOnly<'a> {
    #[serde(default, borrow)]
    symbol: Option<&'a str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Partial,
    Insert,
    Update,
    Delete,
}

/// A validated orderBookL2 row.
#[derive(Debug, Clone, Copy)]
struct Row {
    /// Index into the message's distinct symbols.
    sym: usize,
    id: i64,
    side: Side,
    size: Option<Fixed>,
    price: Option<Fixed>,
    ts: i64,
}

/// BitMEX realtime normaliser.
#[derive(Debug, Default)]
pub struct Bitmex {
    /// Per symbol: (id, side) -> price of every row we hold.
    ids: HashMap<String, HashMap<(i64, Side), Fixed>>,
    marks: HashMap<String, MarkState>,
}

impl Bitmex {
    /// A normaliser with no books yet.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn table(
        &mut self,
        ctx: &mut FeedCtx,
        env: &Envelope<'_>,
        table: &str,
        ts_recv: i64,
    ) -> Result<Handled, VenueError> {
        let action = match env.action {
            Some("partial") => Action::Partial,
            Some("insert") => Action::Insert,
            Some("update") => Action::Update,
            Some("delete") => Action::Delete,
            other => return Err(VenueError::Malformed(format!("{table} action {other:?}"))),
        };
        let data = env
            .data
            .ok_or_else(|| VenueError::Malformed(format!("{table} without data")))?
            .get();
        match table {
            "orderBookL2" | "orderBookL2_25" => {
                let filter = env.filter.as_ref().and_then(|f| f.symbol);
                match self.book(ctx, action, data, filter, ts_recv) {
                    Err(e) => {
                        fault_symbols_of(ctx, data, ts_recv, &e);
                        Err(e)
                    }
                    ok => ok,
                }
            }
            // A trade partial replays recent history; only inserts are new prints.
            "trade" if action == Action::Partial => Ok(Handled::Ignored),
            "trade" => self.trades(ctx, serde_json::from_str(data)?, ts_recv),
            "quote" => self.quotes(ctx, serde_json::from_str(data)?, ts_recv),
            "instrument" => self.instruments(ctx, serde_json::from_str(data)?, ts_recv),
            "funding" => self.funding(ctx, serde_json::from_str(data)?, ts_recv),
            t if IGNORED_TABLES.contains(&t) => Ok(Handled::Ignored),
            t => Err(VenueError::UnknownMessage(format!("table {t}"))),
        }
    }

    fn book(
        &mut self,
        ctx: &mut FeedCtx,
        action: Action,
        data: &str,
        filter: Option<&str>,
        ts_recv: i64,
    ) -> Result<Handled, VenueError> {
        let raw_rows: Vec<L2Row<'_>> = serde_json::from_str(data)?;
        // Validate every row before touching any book.
        let mut symbols: Vec<&str> = Vec::new();
        let mut rows = Vec::with_capacity(raw_rows.len());
        for r in &raw_rows {
            let sym = match symbols.iter().position(|s| *s == r.symbol) {
                Some(i) => i,
                None => {
                    symbols.push(r.symbol);
                    symbols.len() - 1
                }
            };
            rows.push(validate(r, sym, action)?);
        }
        if action == Action::Partial {
            // An empty partial still says: this (filtered) symbol's book is empty.
            if let (Some(f), true) = (filter, symbols.is_empty()) {
                symbols.push(f);
            }
            for (i, sym) in symbols.iter().enumerate() {
                self.partial(ctx, sym, rows.iter().filter(|r| r.sym == i), ts_recv)?;
            }
            return Ok(if symbols.is_empty() {
                Handled::Ignored
            } else {
                Handled::Applied
            });
        }
        let mut handled = Handled::Ignored;
        let mut first_err = None;
        for (i, sym) in symbols.iter().enumerate() {
            if !ctx.book(sym).is_some_and(|b| b.synced) {
                // Before the first partial, or after a fault until the next one.
                ctx.stats.skipped += 1;
                continue;
            }
            handled = Handled::Applied;
            let r = self.delta(
                ctx,
                sym,
                action,
                rows.iter().filter(|r| r.sym == i),
                ts_recv,
            );
            if let Err(e) = r {
                first_err.get_or_insert(e);
            }
        }
        match first_err {
            Some(e) => Err(e),
            None => Ok(handled),
        }
    }

    fn partial<'r>(
        &mut self,
        ctx: &mut FeedCtx,
        sym: &str,
        rows: impl Iterator<Item = &'r Row> + Clone,
        ts_recv: i64,
    ) -> Result<(), VenueError> {
        let ids = self.ids.entry(sym.to_owned()).or_default();
        ids.clear();
        let mut ts_event = 0;
        for r in rows.clone() {
            // validate() guarantees price and size on partial rows.
            ids.insert((r.id, r.side), r.price.unwrap_or_default());
            ts_event = ts_event.max(r.ts);
        }
        let side_of = |s: Side| {
            rows.clone()
                .filter(move |r| r.side == s)
                .map(|r| (r.price.unwrap_or_default(), r.size.unwrap_or_default()))
        };
        // BitMEX has no sequence numbers: the book's seq stays 0.
        if let Err(e) = ctx.load_book(sym, side_of(Side::Bid), side_of(Side::Ask), 0, ts_recv) {
            ids.clear();
            return Err(e);
        }
        ctx.book_applied(sym, ts_event, ts_recv, true);
        check_crossed(ctx, sym, ts_recv);
        Ok(())
    }

    fn delta<'r>(
        &mut self,
        ctx: &mut FeedCtx,
        sym: &str,
        action: Action,
        rows: impl Iterator<Item = &'r Row>,
        ts_recv: i64,
    ) -> Result<(), VenueError> {
        let ids = self.ids.entry(sym.to_owned()).or_default();
        let ib = ctx.book_mut(sym);
        let mut ts_event = 0;
        for r in rows {
            ts_event = ts_event.max(r.ts);
            let key = (r.id, r.side);
            let (px, size) = match action {
                Action::Insert | Action::Partial => {
                    if ids.contains_key(&key) {
                        let why = format!("insert of held id {} ({:?})", r.id, r.side);
                        ctx.fault(sym, ts_recv, Fault::BadMessage(why));
                        ids.clear();
                        return Ok(());
                    }
                    let px = r.price.unwrap_or_default();
                    ids.insert(key, px);
                    (px, r.size.unwrap_or_default())
                }
                Action::Update | Action::Delete => {
                    let Some(&px) = ids.get(&key) else {
                        let what = format!("id {} ({:?})", r.id, r.side);
                        ctx.fault(sym, ts_recv, Fault::UnknownLevel(what));
                        ids.clear();
                        return Ok(());
                    };
                    if r.price.is_some_and(|p| !same_value(p, px)) {
                        let why = format!("id {} moved from {px} to {:?}", r.id, r.price);
                        ctx.fault(sym, ts_recv, Fault::BadMessage(why));
                        ids.clear();
                        return Ok(());
                    }
                    if action == Action::Delete {
                        ids.remove(&key);
                        (px, Fixed::ZERO)
                    } else {
                        (px, r.size.unwrap_or_default())
                    }
                }
            };
            if let Err(e) = ib.book.apply(r.side, px, size) {
                ids.clear();
                return Err(ctx.refuse(sym, ts_recv, e));
            }
        }
        ctx.book_applied(sym, ts_event, ts_recv, false);
        if check_crossed(ctx, sym, ts_recv) {
            ids.clear();
        }
        Ok(())
    }
}

fn validate(r: &L2Row<'_>, sym: usize, action: Action) -> Result<Row, VenueError> {
    let side = match r.side {
        "Buy" => Side::Bid,
        "Sell" => Side::Ask,
        s => return Err(VenueError::Malformed(format!("orderBookL2 side {s:?}"))),
    };
    let size = r.size.map(|n| n.fixed()).transpose()?;
    let price = r.price.map(|n| n.fixed()).transpose()?;
    let needs_size = action != Action::Delete;
    let needs_price = matches!(action, Action::Partial | Action::Insert);
    if (needs_size && size.is_none()) || (needs_price && price.is_none()) {
        return Err(VenueError::Malformed(format!(
            "orderBookL2 row {} lacks size/price",
            r.id
        )));
    }
    if price.is_some_and(|p| p.mantissa <= 0) || size.is_some_and(|s| s.mantissa < 0) {
        return Err(VenueError::Malformed(format!(
            "orderBookL2 row {} out of range",
            r.id
        )));
    }
    let ts = r.timestamp.map(iso8601_to_ns).transpose()?.unwrap_or(0);
    Ok(Row {
        sym,
        id: r.id,
        side,
        size,
        price,
        ts,
    })
}

/// Invalidate every synced book a malformed book message names: without sequence
/// numbers, a lost delta would otherwise go unnoticed.
fn fault_symbols_of(ctx: &mut FeedCtx, data: &str, ts_recv: i64, e: &VenueError) {
    let Ok(rows) = serde_json::from_str::<Vec<SymbolOnly<'_>>>(data) else {
        return;
    };
    let mut done: Vec<&str> = Vec::new();
    for sym in rows.iter().filter_map(|r| r.symbol) {
        if !done.contains(&sym) && ctx.book(sym).is_some_and(|b| b.synced) {
            ctx.fault(sym, ts_recv, Fault::BadMessage(e.to_string()));
        }
        done.push(sym);
    }
}

/// Fault a crossed book (BitMEX has no sequence numbers to catch a lost message).
fn check_crossed(ctx: &mut FeedCtx, sym: &str, ts_recv: i64) -> bool {
    let crossed = ctx.book(sym).is_some_and(|b| b.cross == Cross::Crossed);
    if crossed {
        ctx.fault(sym, ts_recv, Fault::Crossed);
    }
    crossed
}

/// Equal values whatever the written decimals (`32180` vs `32180.0`).
fn same_value(a: Fixed, b: Fixed) -> bool {
    let s = a.scale.max(b.scale);
    matches!((a.at_scale(s), b.at_scale(s)), (Some(x), Some(y)) if x == y)
}

impl Normaliser for Bitmex {
    fn on_message(
        &mut self,
        ctx: &mut FeedCtx,
        raw: &[u8],
        ts_recv: i64,
    ) -> Result<Handled, VenueError> {
        // Answer to our text "ping" keep-alive.
        if raw.trim_ascii() == b"pong" {
            return Ok(Handled::Ignored);
        }
        let env: Envelope<'_> = serde_json::from_slice(raw)?;
        match env.table {
            Some(t) => self.table(ctx, &env, t, ts_recv),
            None if env.info.0 || env.success.0 || env.error.0 => Ok(Handled::Ignored),
            None => Err(VenueError::UnknownMessage("no table".into())),
        }
    }

    fn on_reconnect(&mut self, ctx: &mut FeedCtx) {
        self.ids.clear();
        self.marks.clear();
        ctx.reset_all();
    }
}

#[cfg(test)]
mod tests;
