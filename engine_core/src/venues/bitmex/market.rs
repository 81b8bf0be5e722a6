//! BitMEX market tables besides the book: `trade` (prints), `quote` (top of book),
//! `instrument` (mark/index/funding, merged per symbol from partial rows) and `funding`
//! (each rate as it is applied).

use serde::Deserialize;

use super::Bitmex;
use crate::book::Side;
use crate::decimal::Fixed;
use crate::venues::wire::{iso8601_to_ns, Num};
use crate::venues::{Bbo, Event, FeedCtx, Handled, MarkFunding, Trade, VenueError};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TradeRow<'a> {
    #[serde(borrow)]
    timestamp: &'a str,
    #[serde(borrow)]
    symbol: &'a str,
    #[serde(default, borrow)]
    side: Option<&'a str>,
    #[serde(borrow)]
    size: Num<'a>,
    #[serde(borrow)]
    price: Num<'a>,
    #[serde(rename = "trdMatchID", borrow)]
    trd_match_id: &'a str,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct QuoteRow<'a> {
    #[serde(borrow)]
    timestamp: &'a str,
    #[serde(borrow)]
    symbol: &'a str,
    #[serde(default, borrow)]
    bid_size: Option<Num<'a>>,
    #[serde(default, borrow)]
    bid_price: Option<Num<'a>>,
    #[serde(default, borrow)]
    ask_price: Option<Num<'a>>,
    #[serde(default, borrow)]
    ask_size: Option<Num<'a>>,
}

/// `instrument` rows are partial: only changed fields are present.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct InstrumentRow<'a> {
    #[serde(borrow)]
    symbol: &'a str,
    #[serde(default, borrow)]
    timestamp: Option<&'a str>,
    #[serde(default, borrow)]
    mark_price: Option<Num<'a>>,
    #[serde(default, borrow)]
    index_price: Option<Num<'a>>,
    #[serde(default, borrow)]
    indicative_settle_price: Option<Num<'a>>,
    #[serde(default, borrow)]
    funding_rate: Option<Num<'a>>,
    #[serde(default, borrow)]
    funding_timestamp: Option<&'a str>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct FundingRow<'a> {
    #[serde(borrow)]
    timestamp: &'a str,
    #[serde(borrow)]
    symbol: &'a str,
    #[serde(borrow)]
    funding_rate: Num<'a>,
}
/// Mark/index/funding of one symbol, merged from partial instrument rows.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct MarkState {
    mark: Option<Fixed>,
    index: Option<Fixed>,
    funding: Option<Fixed>,
    next_funding: Option<i64>,
}

impl Bitmex {
    pub(super) fn trades(
        &mut self,
        ctx: &mut FeedCtx,
        rows: Vec<TradeRow<'_>>,
        ts_recv: i64,
    ) -> Result<Handled, VenueError> {
        let mut out = Vec::with_capacity(rows.len());
        for t in &rows {
            // `side` is the taker's side.
            let aggressor = match t.side {
                Some("Buy") => Some(Side::Bid),
                Some("Sell") => Some(Side::Ask),
                Some("") | None => None,
                Some(s) => return Err(VenueError::Malformed(format!("trade side {s:?}"))),
            };
            out.push(Trade {
                symbol: ctx.intern(t.symbol),
                ts_event: iso8601_to_ns(t.timestamp)?,
                ts_recv,
                price: t.price.fixed()?,
                size: t.size.fixed()?,
                aggressor,
                trade_id: t.trd_match_id.to_owned(),
            });
        }
        Ok(emit_all(ctx, out.into_iter().map(Event::Trade)))
    }

    pub(super) fn quotes(
        &mut self,
        ctx: &mut FeedCtx,
        rows: Vec<QuoteRow<'_>>,
        ts_recv: i64,
    ) -> Result<Handled, VenueError> {
        let mut out = Vec::with_capacity(rows.len());
        for q in &rows {
            let opt = |n: Option<Num<'_>>| n.map(|n| n.fixed()).transpose();
            let ts_event = iso8601_to_ns(q.timestamp)?;
            let (bp, bs) = (opt(q.bid_price)?, opt(q.bid_size)?);
            let (ap, az) = (opt(q.ask_price)?, opt(q.ask_size)?);
            // An empty side comes as null: no two-sided top of book, no Bbo.
            if let (Some(bid_px), Some(bid_sz), Some(ask_px), Some(ask_sz)) = (bp, bs, ap, az) {
                out.push(Bbo {
                    symbol: ctx.intern(q.symbol),
                    ts_event,
                    ts_recv,
                    bid_px,
                    bid_sz,
                    ask_px,
                    ask_sz,
                });
            }
        }
        Ok(emit_all(ctx, out.into_iter().map(Event::Bbo)))
    }

    /// Merge each row into its symbol's mark state; emit when a mark field changed.
    pub(super) fn instruments(
        &mut self,
        ctx: &mut FeedCtx,
        rows: Vec<InstrumentRow<'_>>,
        ts_recv: i64,
    ) -> Result<Handled, VenueError> {
        let opt = |n: Option<Num<'_>>| n.map(|n| n.fixed()).transpose();
        let mut parsed = Vec::with_capacity(rows.len());
        for r in &rows {
            let ts = r.timestamp.map(iso8601_to_ns).transpose()?;
            let next = r.funding_timestamp.map(iso8601_to_ns).transpose()?;
            // Perpetuals track their index in indicativeSettlePrice; newer rows may
            // carry indexPrice itself.
            let index = match r.index_price {
                Some(i) => Some(i.fixed()?),
                None => opt(r.indicative_settle_price)?,
            };
            parsed.push((
                r.symbol,
                ts,
                opt(r.mark_price)?,
                index,
                opt(r.funding_rate)?,
                next,
            ));
        }
        let mut out = Vec::new();
        for (sym, ts, mark, index, funding, next) in parsed {
            if mark.is_none() && index.is_none() && funding.is_none() && next.is_none() {
                continue;
            }
            let st = match self.marks.get_mut(sym) {
                Some(st) => st,
                None => self.marks.entry(sym.to_owned()).or_default(),
            };
            st.mark = mark.or(st.mark);
            st.index = index.or(st.index);
            st.funding = funding.or(st.funding);
            st.next_funding = next.or(st.next_funding);
            let st = *st;
            out.push(MarkFunding {
                symbol: ctx.intern(sym),
                ts_event: ts.unwrap_or(0),
                ts_recv,
                mark_px: st.mark,
                index_px: st.index,
                funding_rate: st.funding,
                next_funding_ns: st.next_funding,
            });
        }
        Ok(emit_all(ctx, out.into_iter().map(Event::Mark)))
    }

    /// The `funding` table reports each rate as it is applied.
    pub(super) fn funding(
        &mut self,
        ctx: &mut FeedCtx,
        rows: Vec<FundingRow<'_>>,
        ts_recv: i64,
    ) -> Result<Handled, VenueError> {
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(MarkFunding {
                symbol: ctx.intern(r.symbol),
                ts_event: iso8601_to_ns(r.timestamp)?,
                ts_recv,
                mark_px: None,
                index_px: None,
                funding_rate: Some(r.funding_rate.fixed()?),
                next_funding_ns: None,
            });
        }
        Ok(emit_all(ctx, out.into_iter().map(Event::Mark)))
    }
}

fn emit_all(ctx: &mut FeedCtx, evs: impl Iterator<Item = Event>) -> Handled {
    let mut handled = Handled::Ignored;
    for ev in evs {
        ctx.emit(ev);
        handled = Handled::Applied;
    }
    handled
}
