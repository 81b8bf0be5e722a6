//! Deribit v2 JSON-RPC: `book.*` (incremental and grouped), `trades.*`, `ticker.*` and
//! `quote.*` subscription notifications.
//!
//! Book rule (Deribit API v2, "book.{instrument_name}.{interval}"): the first
//! notification is the whole book (`type: "snapshot"`, with a `change_id`); after that
//! `type: "change"` notifications carry `prev_change_id`, which must equal the
//! `change_id` of the previous notification for that instrument (ids grow but are not
//! consecutive). On a mismatch the local book is wrong: resubscribe for a new snapshot.
//! Levels are `["new"|"change"|"delete", price, amount]`. A `change` or `delete` of a
//! price we do not hold means the chain lied to us, so it also invalidates the book; a
//! `new` at a price we already hold is applied as a set (Deribit only sends it after a
//! delete, so the outcome is the same and a strict check would buy nothing).
//! Grouped channels (`book.{instrument}.{group}.{depth}.{interval}`) push the full top of
//! book every time (`[price, amount]` pairs, no `type`, no `prev_change_id`): each one is a
//! snapshot. One book channel per instrument per connection: once an instrument has an
//! incremental book, grouped pushes for it are ignored.
//!
//! Prices and amounts are JSON numbers: they go through [`Num`] and never through `f64`.
//! Option prices are in the base coin (BTC/ETH); perpetual/future amounts are USD.
//! JSON-RPC responses (`result` or `error` with an `id`) and `heartbeat`/`test_request`
//! are ignored: a failed request is the caller's business (it sent it), not a feed fault.

use std::collections::HashSet;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::sequence::DeribitSequencer;
use super::wire::{ms_to_ns, Num, Present};
use super::{Fault, FeedCtx, Handled, Normaliser, VenueError};
use crate::book::Side;
use crate::decimal::Fixed;

mod market;

/// Deribit channels we recognise but do not normalise (first dotted part).
const IGNORED_CHANNELS: &[&str] = &[
    "announcements",
    "block_rfq",
    "block_trade_confirmations",
    "chart",
    "deribit_price_index",
    "deribit_price_ranking",
    "deribit_price_statistics",
    "deribit_volatility_index",
    "estimated_expiration_price",
    "incremental_ticker",
    "instrument",
    "markprice",
    "perpetual",
    "platform_state",
    "user",
];

#[derive(Deserialize)]
struct Rpc<'a> {
    #[serde(default, borrow)]
    method: Option<&'a str>,
    #[serde(default, borrow)]
    params: Option<&'a RawValue>,
    #[serde(default)]
    id: Present,
    #[serde(default)]
    result: Present,
    #[serde(default)]
    error: Present,
}

#[derive(Deserialize)]
struct Subscription<'a> {
    #[serde(borrow)]
    channel: &'a str,
    #[serde(borrow)]
    data: &'a RawValue,
}

#[derive(Deserialize)]
struct BookMsg<'a> {
    #[serde(rename = "type", default, borrow)]
    kind: Option<&'a str>,
    #[serde(borrow)]
    instrument_name: &'a str,
    #[serde(default)]
    timestamp: i64,
    #[serde(default)]
    change_id: Option<i64>,
    #[serde(default)]
    prev_change_id: Option<i64>,
    #[serde(borrow)]
    bids: &'a RawValue,
    #[serde(borrow)]
    asks: &'a RawValue,
}

type RawLevel<'a> = (&'a str, Num<'a>, Num<'a>);

/// What a `change` level asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    New,
    Change,
    Delete,
}

impl Action {
    fn parse(s: &str) -> Result<Self, VenueError> {
        match s {
            "new" => Ok(Action::New),
            "change" => Ok(Action::Change),
            "delete" => Ok(Action::Delete),
            other => Err(VenueError::Malformed(format!(
                "unknown level action {other:?}"
            ))),
        }
    }
}

/// A parsed, sign-checked level of a book message.
#[derive(Debug, Clone, Copy)]
struct Level {
    side: Side,
    action: Action,
    px: Fixed,
    amount: Fixed,
}

/// Deribit v2 normaliser.
#[derive(Debug)]
pub struct Deribit {
    /// Instruments fed by an incremental (`raw`/`100ms`/`agg2`) book channel.
    incremental: HashSet<Arc<str>>,
    scratch: Vec<Level>,
}

impl Default for Deribit {
    fn default() -> Self {
        Self::new()
    }
}

impl Deribit {
    /// A normaliser with no books yet.
    #[must_use]
    pub fn new() -> Self {
        Deribit {
            incremental: HashSet::new(),
            scratch: Vec::with_capacity(64),
        }
    }

    fn subscription(
        &mut self,
        ctx: &mut FeedCtx,
        params: &RawValue,
        ts_recv: i64,
    ) -> Result<Handled, VenueError> {
        let sub: Subscription<'_> = serde_json::from_str(params.get())?;
        let data = sub.data.get();
        let kind = sub.channel.split('.').next().unwrap_or_default();
        match kind {
            "book" => self.book(ctx, serde_json::from_str(data)?, ts_recv),
            "trades" => self.trades(ctx, serde_json::from_str(data)?, ts_recv),
            "ticker" => self.ticker(ctx, &serde_json::from_str(data)?, ts_recv, true),
            "quote" => self.ticker(ctx, &serde_json::from_str(data)?, ts_recv, false),
            k if IGNORED_CHANNELS.contains(&k) => Ok(Handled::Ignored),
            _ => Err(VenueError::UnknownMessage(format!(
                "channel {}",
                sub.channel
            ))),
        }
    }

    fn book(
        &mut self,
        ctx: &mut FeedCtx,
        m: BookMsg<'_>,
        ts_recv: i64,
    ) -> Result<Handled, VenueError> {
        let name = m.instrument_name;
        let synced = ctx.book(name).is_some_and(|b| b.synced);
        let parsed = self.parse_levels(&m).and_then(|()| match m.kind {
            Some("snapshot") if m.change_id.is_none() => {
                Err(VenueError::Malformed("snapshot without change_id".into()))
            }
            Some("change") if m.change_id.is_none() || m.prev_change_id.is_none() => {
                Err(VenueError::Malformed("change without change ids".into()))
            }
            _ => Ok(()),
        });
        if let Err(e) = parsed {
            // The instrument is known, so its book cannot be trusted past a lost message.
            if synced && m.kind == Some("change") {
                return Err(ctx.refuse(name, ts_recv, e));
            }
            return Err(e);
        }
        let ts_event = ms_to_ns(m.timestamp);
        match m.kind {
            Some("snapshot") => {
                let change_id = m.change_id.unwrap_or_default();
                if !self.incremental.contains(name) {
                    self.incremental.insert(Arc::from(name));
                }
                self.load(ctx, name, change_id, ts_event, ts_recv)
            }
            Some("change") => {
                let (change_id, prev) = (
                    m.change_id.unwrap_or_default(),
                    m.prev_change_id.unwrap_or_default(),
                );
                if !synced || !self.incremental.contains(name) {
                    // Waiting for the snapshot of a (re)subscription.
                    ctx.stats.skipped += 1;
                    return Ok(Handled::Ignored);
                }
                // Steps 2 and 3 of the rule (see `DeribitSequencer`).
                let mut seq = DeribitSequencer::resume(ctx.book_mut(name).seq);
                if let Some(fault) = seq.check(prev, change_id).fault() {
                    ctx.fault(name, ts_recv, fault);
                    return Ok(Handled::Applied);
                }
                self.apply_change(ctx, name, change_id, ts_event, ts_recv)
            }
            None => {
                if self.incremental.contains(name) {
                    return Ok(Handled::Ignored);
                }
                self.load(ctx, name, m.change_id.unwrap_or(0), ts_event, ts_recv)
            }
            Some(other) => Err(VenueError::UnknownMessage(format!("book type {other}"))),
        }
    }

    /// Parse and sign-check every level of `m` into `scratch` before any is applied.
    fn parse_levels(&mut self, m: &BookMsg<'_>) -> Result<(), VenueError> {
        self.scratch.clear();
        for (side, raw) in [(Side::Bid, m.bids), (Side::Ask, m.asks)] {
            if m.kind.is_some() {
                let levels: Vec<RawLevel<'_>> = serde_json::from_str(raw.get())?;
                for (action, px, amount) in levels {
                    let action = Action::parse(action)?;
                    self.scratch.push(level(side, action, px, amount)?);
                }
            } else {
                let levels: Vec<(Num<'_>, Num<'_>)> = serde_json::from_str(raw.get())?;
                for (px, amount) in levels {
                    self.scratch.push(level(side, Action::New, px, amount)?);
                }
            }
        }
        Ok(())
    }

    /// Replace the book with the parsed levels (a snapshot or a grouped push).
    fn load(
        &mut self,
        ctx: &mut FeedCtx,
        name: &str,
        change_id: i64,
        ts_event: i64,
        ts_recv: i64,
    ) -> Result<Handled, VenueError> {
        let side_of = |s: Side| {
            self.scratch
                .iter()
                .filter(move |l| l.side == s && l.action != Action::Delete)
                .map(|l| (l.px, l.amount))
        };
        ctx.load_book(
            name,
            side_of(Side::Bid),
            side_of(Side::Ask),
            change_id,
            ts_recv,
        )?;
        ctx.book_applied(name, ts_event, ts_recv, true);
        Ok(Handled::Applied)
    }

    /// Apply a `change` whose `prev_change_id` matched.
    fn apply_change(
        &mut self,
        ctx: &mut FeedCtx,
        name: &str,
        change_id: i64,
        ts_event: i64,
        ts_recv: i64,
    ) -> Result<Handled, VenueError> {
        let ib = ctx.book_mut(name);
        for l in &self.scratch {
            let held =
                l.px.at_scale(ib.book.px_scale())
                    .and_then(|p| ib.book.size_at(l.side, p))
                    .is_some();
            if !held && l.action != Action::New {
                let what = format!("{:?} {} ({:?})", l.side, l.px, l.action);
                ctx.fault(name, ts_recv, Fault::UnknownLevel(what));
                return Ok(Handled::Applied);
            }
            let amount = if l.action == Action::Delete {
                Fixed::ZERO
            } else {
                l.amount
            };
            if let Err(e) = ib.book.apply(l.side, l.px, amount) {
                return Err(ctx.refuse(name, ts_recv, e));
            }
        }
        ib.seq = change_id;
        ctx.book_applied(name, ts_event, ts_recv, false);
        Ok(Handled::Applied)
    }
}

fn level(side: Side, action: Action, px: Num<'_>, amount: Num<'_>) -> Result<Level, VenueError> {
    let (px, amount) = (px.fixed()?, amount.fixed()?);
    if px.mantissa <= 0 || amount.mantissa < 0 {
        return Err(VenueError::Malformed(format!("bad level {px} {amount}")));
    }
    Ok(Level {
        side,
        action,
        px,
        amount,
    })
}

impl Normaliser for Deribit {
    fn on_message(
        &mut self,
        ctx: &mut FeedCtx,
        raw: &[u8],
        ts_recv: i64,
    ) -> Result<Handled, VenueError> {
        let rpc: Rpc<'_> = serde_json::from_slice(raw)?;
        match (rpc.method, rpc.params) {
            (Some("subscription"), Some(p)) => self.subscription(ctx, p, ts_recv),
            // {"method":"heartbeat","params":{"type":"test_request"|"heartbeat"}}: the
            // connection owner answers test_request with public/test; no market data.
            (Some("heartbeat"), _) => Ok(Handled::Ignored),
            (Some(m), _) => Err(VenueError::UnknownMessage(format!("method {m}"))),
            // Responses to our own requests (subscribe acks, errors, public/test).
            (None, _) if rpc.id.0 && (rpc.result.0 || rpc.error.0) => Ok(Handled::Ignored),
            (None, _) => Err(VenueError::UnknownMessage(
                "neither notification nor response".into(),
            )),
        }
    }

    fn on_reconnect(&mut self, ctx: &mut FeedCtx) {
        self.incremental.clear();
        ctx.reset_all();
    }
}

#[cfg(test)]
mod tests;
