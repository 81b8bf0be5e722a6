//! Deribit market channels besides the book: `trades.*` (prints), `ticker.*`
//! (mark/index/funding and top of book) and `quote.*` (top of book).

use serde::Deserialize;

use super::Deribit;
use crate::book::Side;
use crate::venues::wire::{ms_to_ns, Num};
use crate::venues::{Bbo, Event, FeedCtx, Handled, MarkFunding, Trade, VenueError};

#[derive(Deserialize)]
pub(super) struct TradeMsg<'a> {
    #[serde(borrow)]
    instrument_name: &'a str,
    #[serde(borrow)]
    trade_id: Num<'a>,
    #[serde(borrow)]
    price: Num<'a>,
    #[serde(borrow)]
    amount: Num<'a>,
    #[serde(borrow)]
    direction: &'a str,
    timestamp: i64,
}

/// `ticker.*` and `quote.*` share the top-of-book fields.
#[derive(Deserialize)]
pub(super) struct TickerMsg<'a> {
    #[serde(borrow)]
    instrument_name: &'a str,
    #[serde(default)]
    timestamp: i64,
    #[serde(default, borrow)]
    mark_price: Option<Num<'a>>,
    #[serde(default, borrow)]
    index_price: Option<Num<'a>>,
    #[serde(default, borrow)]
    funding_8h: Option<Num<'a>>,
    #[serde(default, borrow)]
    current_funding: Option<Num<'a>>,
    #[serde(default, borrow)]
    best_bid_price: Option<Num<'a>>,
    #[serde(default, borrow)]
    best_bid_amount: Option<Num<'a>>,
    #[serde(default, borrow)]
    best_ask_price: Option<Num<'a>>,
    #[serde(default, borrow)]
    best_ask_amount: Option<Num<'a>>,
}

impl Deribit {
    pub(super) fn trades(
        &mut self,
        ctx: &mut FeedCtx,
        trades: Vec<TradeMsg<'_>>,
        ts_recv: i64,
    ) -> Result<Handled, VenueError> {
        let mut out = Vec::with_capacity(trades.len());
        for t in &trades {
            // `direction` is the taker's side.
            let aggressor = match t.direction {
                "buy" => Side::Bid,
                "sell" => Side::Ask,
                d => return Err(VenueError::Malformed(format!("trade direction {d:?}"))),
            };
            out.push(Trade {
                symbol: ctx.intern(t.instrument_name),
                ts_event: ms_to_ns(t.timestamp),
                ts_recv,
                price: t.price.fixed()?,
                size: t.amount.fixed()?,
                aggressor: Some(aggressor),
                trade_id: t.trade_id.text().to_owned(),
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

    /// `ticker.*` gives mark/index/funding and the top of book; `quote.*` only the latter.
    pub(super) fn ticker(
        &mut self,
        ctx: &mut FeedCtx,
        m: &TickerMsg<'_>,
        ts_recv: i64,
        with_mark: bool,
    ) -> Result<Handled, VenueError> {
        let opt = |n: Option<Num<'_>>| n.map(|n| n.fixed()).transpose();
        let ts_event = ms_to_ns(m.timestamp);
        let (bid_px, bid_sz) = (opt(m.best_bid_price)?, opt(m.best_bid_amount)?);
        let (ask_px, ask_sz) = (opt(m.best_ask_price)?, opt(m.best_ask_amount)?);
        let mark = if with_mark {
            // funding_8h is the rate over 8 hours, comparable to other venues' per-interval
            // rates; current_funding is the instantaneous value, the fallback.
            let funding = match m.funding_8h {
                Some(f) => Some(f.fixed()?),
                None => opt(m.current_funding)?,
            };
            let (mark_px, index_px) = (opt(m.mark_price)?, opt(m.index_price)?);
            (mark_px.is_some() || index_px.is_some() || funding.is_some())
                .then_some((mark_px, index_px, funding))
        } else {
            None
        };
        let symbol = ctx.intern(m.instrument_name);
        let mut handled = Handled::Ignored;
        if let Some((mark_px, index_px, funding_rate)) = mark {
            ctx.emit(Event::Mark(MarkFunding {
                symbol: symbol.clone(),
                ts_event,
                ts_recv,
                mark_px,
                index_px,
                funding_rate,
                // Deribit perpetuals fund continuously: there is no next funding time.
                next_funding_ns: None,
            }));
            handled = Handled::Applied;
        }
        // An empty side comes as price 0 (or null): no two-sided top of book, no Bbo.
        if let (Some(bid_px), Some(bid_sz), Some(ask_px), Some(ask_sz)) =
            (bid_px, bid_sz, ask_px, ask_sz)
        {
            if bid_px.mantissa > 0 && ask_px.mantissa > 0 {
                ctx.emit(Event::Bbo(Bbo {
                    symbol,
                    ts_event,
                    ts_recv,
                    bid_px,
                    bid_sz,
                    ask_px,
                    ask_sz,
                }));
                handled = Handled::Applied;
            }
        }
        Ok(handled)
    }
}
