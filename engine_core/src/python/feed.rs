//! `Feed`: raw venue bytes in (one message or a batch per call), normalised events and
//! book answers out. Prices and sizes cross as exact decimal strings.
//!
//! Within one call, book updates are coalesced per instrument (one `BookUpdate` with the
//! count of updates folded into it), so a batch costs one Python object per changed book
//! rather than one per message; trades, BBOs, marks and faults keep their order.

use std::collections::HashMap;
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};

use super::args;
use super::errors::UnknownInstrument;
use super::feed_tops::TopTexts;
use crate::book::{Book, Cross, Side};
use crate::decimal::{format_fixed, Fixed};
use crate::venue::Venue;
use crate::venues::{self, Event, Feed, FeedOptions, InstrumentBook};

/// A book changed; `updates` snapshots/deltas were folded into this event.
#[pyclass(frozen, get_all, module = "pyengine._core")]
#[derive(Debug)]
pub struct BookUpdate {
    symbol: String,
    ts_event: i64,
    ts_recv: i64,
    seq: i64,
    snapshot: bool,
    updates: u32,
}

/// A public trade; `aggressor` is "buy", "sell" or None.
#[pyclass(frozen, get_all, module = "pyengine._core")]
#[derive(Debug)]
pub struct Trade {
    symbol: String,
    ts_event: i64,
    ts_recv: i64,
    price: String,
    size: String,
    aggressor: Option<&'static str>,
    trade_id: String,
}

/// Best bid and offer from a top-of-book stream.
#[pyclass(frozen, get_all, module = "pyengine._core")]
#[derive(Debug)]
pub struct Bbo {
    symbol: String,
    ts_event: i64,
    ts_recv: i64,
    bid_px: String,
    bid_sz: String,
    ask_px: String,
    ask_sz: String,
}

/// Mark/index price and funding (fields the venue did not send are None).
#[pyclass(frozen, get_all, module = "pyengine._core")]
#[derive(Debug)]
pub struct MarkFunding {
    symbol: String,
    ts_event: i64,
    ts_recv: i64,
    mark_px: Option<String>,
    index_px: Option<String>,
    funding_rate: Option<String>,
    next_funding_ns: Option<i64>,
}

/// A book failed its integrity rule and was cleared; resync it.
#[pyclass(frozen, get_all, module = "pyengine._core")]
#[derive(Debug)]
pub struct BookFault {
    symbol: String,
    ts_recv: i64,
    kind: &'static str,
    detail: String,
}

/// A book's state and its best levels.
#[pyclass(frozen, get_all, module = "pyengine._core")]
#[derive(Debug)]
pub struct BookView {
    symbol: String,
    valid: bool,
    synced: bool,
    cross: &'static str,
    seq: i64,
    ts_event: i64,
    bid_levels: usize,
    ask_levels: usize,
    bids: Vec<(String, String)>,
    asks: Vec<(String, String)>,
}

/// The result of sweeping a side for a size (exact decimal strings).
#[pyclass(frozen, get_all, module = "pyengine._core")]
#[derive(Debug)]
pub struct SweepResult {
    filled: String,
    notional: String,
    worst_px: Option<String>,
    levels: usize,
    complete: bool,
}

fn fixed_opt(f: Option<Fixed>) -> Option<String> {
    f.map(|v| v.to_string())
}

fn cross_name(c: Cross) -> &'static str {
    match c {
        Cross::Normal => "normal",
        Cross::Locked => "locked",
        Cross::Crossed => "crossed",
    }
}

fn fault_kind(f: &venues::Fault) -> &'static str {
    match f {
        venues::Fault::Gap { .. } => "gap",
        venues::Fault::Checksum { .. } => "checksum",
        venues::Fault::UnknownLevel(_) => "unknown_level",
        venues::Fault::BadMessage(_) => "bad_message",
        venues::Fault::Crossed => "crossed",
        venues::Fault::BufferOverflow => "buffer_overflow",
    }
}

fn top(book: &Book, side: Side, depth: usize) -> Vec<(String, String)> {
    book.top(side, depth)
        .map(|l| (book.px_text(l), book.sz_text(l)))
        .collect()
}

/// One venue connection's normaliser and books.
#[pyclass(module = "pyengine._core", name = "Feed")]
#[derive(Debug)]
pub struct PyFeed {
    inner: Feed,
    texts: TopTexts,
}

impl PyFeed {
    /// Hand a batch to the feed; `ts_recv` is one time for all or one per message.
    fn feed_batch(
        &mut self,
        raws: &Bound<'_, PyAny>,
        ts_recv: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let per_msg: Option<Vec<i64>> = match ts_recv {
            Some(t) if t.is_instance_of::<pyo3::types::PyInt>() => None,
            Some(t) => Some(t.extract()?),
            None => None,
        };
        let common: i64 = match ts_recv {
            Some(t) if per_msg.is_none() => t.extract()?,
            _ => 0,
        };
        for (i, item) in raws.try_iter()?.enumerate() {
            let item = item?;
            let bytes = item.cast::<PyBytes>()?;
            let ts = per_msg
                .as_ref()
                .map_or(common, |v| v.get(i).copied().unwrap_or(common));
            let _ = self.inner.on_message(bytes.as_bytes(), ts);
        }
        Ok(())
    }

    fn ib(&self, symbol: &str) -> PyResult<&InstrumentBook> {
        self.inner
            .book(symbol)
            .ok_or_else(|| UnknownInstrument::new_err(format!("no book for {symbol:?}")))
    }

    /// Convert queued events, folding book updates per symbol.
    fn take_events<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let out = PyList::empty(py);
        let mut books: Vec<BookUpdate> = Vec::new();
        let mut index: HashMap<Arc<str>, usize> = HashMap::new();
        for ev in self.inner.drain_events() {
            match ev {
                Event::Book(b) => match index.get(&b.symbol) {
                    Some(&i) => {
                        let e = &mut books[i];
                        e.ts_event = b.ts_event;
                        e.ts_recv = b.ts_recv;
                        e.seq = b.seq;
                        e.snapshot |= b.snapshot;
                        e.updates += 1;
                    }
                    None => {
                        index.insert(b.symbol.clone(), books.len());
                        books.push(BookUpdate {
                            symbol: b.symbol.to_string(),
                            ts_event: b.ts_event,
                            ts_recv: b.ts_recv,
                            seq: b.seq,
                            snapshot: b.snapshot,
                            updates: 1,
                        });
                    }
                },
                Event::Trade(t) => out.append(Trade {
                    symbol: t.symbol.to_string(),
                    ts_event: t.ts_event,
                    ts_recv: t.ts_recv,
                    price: t.price.to_string(),
                    size: t.size.to_string(),
                    aggressor: t.aggressor.map(|s| match s {
                        Side::Bid => "buy",
                        Side::Ask => "sell",
                    }),
                    trade_id: t.trade_id,
                })?,
                Event::Bbo(b) => out.append(Bbo {
                    symbol: b.symbol.to_string(),
                    ts_event: b.ts_event,
                    ts_recv: b.ts_recv,
                    bid_px: b.bid_px.to_string(),
                    bid_sz: b.bid_sz.to_string(),
                    ask_px: b.ask_px.to_string(),
                    ask_sz: b.ask_sz.to_string(),
                })?,
                Event::Mark(m) => out.append(MarkFunding {
                    symbol: m.symbol.to_string(),
                    ts_event: m.ts_event,
                    ts_recv: m.ts_recv,
                    mark_px: fixed_opt(m.mark_px),
                    index_px: fixed_opt(m.index_px),
                    funding_rate: fixed_opt(m.funding_rate),
                    next_funding_ns: m.next_funding_ns,
                })?,
                Event::Fault(f) => out.append(BookFault {
                    symbol: f.symbol.to_string(),
                    ts_recv: f.ts_recv,
                    kind: fault_kind(&f.fault),
                    detail: f.fault.to_string(),
                })?,
            }
        }
        for b in books {
            out.append(b)?;
        }
        Ok(out)
    }
}

#[pymethods]
impl PyFeed {
    #[new]
    #[pyo3(signature = (venue, *, category=None, max_buffer=10_000))]
    fn new(venue: &str, category: Option<String>, max_buffer: usize) -> PyResult<Self> {
        let v = args::venue(venue)?;
        let opts = FeedOptions {
            category,
            max_buffer: Some(max_buffer),
        };
        Ok(PyFeed {
            inner: Feed::new(v, &opts)?,
            texts: TopTexts::default(),
        })
    }

    /// The venue name.
    #[getter]
    fn venue(&self) -> &'static str {
        self.inner.venue().name()
    }

    /// Handle one raw message. Malformed input is counted as rejected (see `stats`,
    /// `last_error`), never raised.
    #[pyo3(signature = (raw, ts_recv=0))]
    fn on_message<'py>(
        &mut self,
        py: Python<'py>,
        raw: &[u8],
        ts_recv: i64,
    ) -> PyResult<Bound<'py, PyList>> {
        let _ = self.inner.on_message(raw, ts_recv);
        self.take_events(py)
    }

    /// Handle a batch of raw messages (bytes) in one crossing; `ts_recv` is one time for
    /// all or one per message. With `events=False` nothing is returned (replay).
    #[pyo3(signature = (raws, ts_recv=None, events=true))]
    fn on_messages<'py>(
        &mut self,
        py: Python<'py>,
        raws: &Bound<'py, PyAny>,
        ts_recv: Option<&Bound<'py, PyAny>>,
        events: bool,
    ) -> PyResult<Bound<'py, PyList>> {
        self.feed_batch(raws, ts_recv)?;
        if events {
            self.take_events(py)
        } else {
            self.inner.discard_events();
            Ok(PyList::empty(py))
        }
    }

    /// `on_messages`, then, in the same crossing, the top `depth` levels of every book
    /// the batch changed (by an update or a fault), once each: `(events, tops,
    /// rejected)` with `events` as `on_messages` gives them but without `BookUpdate`s,
    /// `tops` as `(symbol, valid, seq, ts_event, bids, asks)` (levels as exact decimal
    /// text, best first), and `rejected` the feed's rejection count so far.
    #[pyo3(signature = (raws, ts_recv, depth))]
    #[allow(clippy::type_complexity)]
    fn on_messages_tops<'py>(
        &mut self,
        py: Python<'py>,
        raws: &Bound<'py, PyAny>,
        ts_recv: &Bound<'py, PyAny>,
        depth: usize,
    ) -> PyResult<(Bound<'py, PyList>, Bound<'py, PyList>, u64)> {
        self.feed_batch(raws, Some(ts_recv))?;
        let mut tops = Vec::new();
        self.inner.take_tops(depth, &mut tops);
        let out = PyList::empty(py);
        for t in tops {
            let (bids, asks) = self.texts.sides(py, &t)?;
            out.append((&*t.symbol, t.valid, t.seq, t.ts_event, bids, asks))?;
        }
        let events = self.take_events(py)?;
        Ok((events, out, self.inner.stats().rejected))
    }

    /// Handle a REST depth snapshot body (Binance, OKX); `symbol` if the body has none
    /// (OKX bodies never name it).
    #[pyo3(signature = (raw, symbol=None, ts_recv=0))]
    fn on_rest_snapshot<'py>(
        &mut self,
        py: Python<'py>,
        raw: &[u8],
        symbol: Option<&str>,
        ts_recv: i64,
    ) -> PyResult<Bound<'py, PyList>> {
        let _ = self.inner.on_rest_snapshot(symbol, raw, ts_recv);
        self.take_events(py)
    }

    /// The connection was renewed: every book must resync.
    fn on_reconnect(&mut self) {
        self.inner.on_reconnect();
    }

    /// Outcome counters.
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = self.inner.stats();
        let d = PyDict::new(py);
        for (k, v) in [
            ("messages", s.messages),
            ("applied", s.applied),
            ("ignored", s.ignored),
            ("rejected", s.rejected),
            ("book_updates", s.book_updates),
            ("checksum_ok", s.checksum_ok),
            ("checksum_failed", s.checksum_failed),
            ("checksum_skipped", s.checksum_skipped),
            ("gaps", s.gaps),
            ("resyncs", s.resyncs),
            ("crossed", s.crossed),
            ("skipped", s.skipped),
            ("buffer_dropped", s.buffer_dropped),
        ] {
            d.set_item(k, v)?;
        }
        Ok(d)
    }

    /// Why the last rejected message was rejected.
    fn last_error(&self) -> Option<String> {
        self.inner.last_error().map(ToString::to_string)
    }

    /// Symbols with a book, sorted.
    fn symbols(&self) -> Vec<String> {
        let mut v: Vec<String> = self.inner.books().map(|b| b.symbol.to_string()).collect();
        v.sort();
        v
    }

    /// Symbols whose book waits for a snapshot or resync.
    fn unsynced(&self) -> Vec<String> {
        self.inner
            .unsynced()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    /// A book's state and its best `depth` levels per side.
    #[pyo3(signature = (symbol, depth=10))]
    fn book(&self, symbol: &str, depth: usize) -> PyResult<BookView> {
        let ib = self.ib(symbol)?;
        Ok(BookView {
            symbol: ib.symbol.to_string(),
            valid: ib.valid(),
            synced: ib.synced,
            cross: cross_name(ib.cross),
            seq: ib.seq,
            ts_event: ib.ts_event,
            bid_levels: ib.book.len(Side::Bid),
            ask_levels: ib.book.len(Side::Ask),
            bids: top(&ib.book, Side::Bid, depth),
            asks: top(&ib.book, Side::Ask, depth),
        })
    }

    /// Exact mid price, or None if a side is empty.
    fn mid(&self, symbol: &str) -> PyResult<Option<String>> {
        Ok(self.ib(symbol)?.book.mid().map(|m| m.to_string()))
    }

    /// Sweep `side` ("bid" when selling, "ask" when buying) for `qty` (decimal string).
    fn sweep(&self, symbol: &str, side: &str, qty: &str) -> PyResult<SweepResult> {
        let ib = self.ib(symbol)?;
        let q = Fixed::parse(qty)?;
        let s = ib.book.sweep_qty(args::book_side(side)?, q);
        let want = i128::from(q.mantissa)
            * i128::from(crate::decimal::pow10(s.sz_scale.saturating_sub(q.scale)));
        Ok(SweepResult {
            filled: format_fixed(s.filled, s.sz_scale),
            notional: format_fixed(s.notional, ib.book.px_scale() + s.sz_scale),
            worst_px: s.worst_px.map(|p| ib.book.px_fixed(p).to_string()),
            levels: s.levels,
            complete: s.filled >= want,
        })
    }

    /// (size, notional) on `side` within `bps` of mid, as decimal strings.
    fn depth_within_bps(&self, symbol: &str, side: &str, bps: u32) -> PyResult<(String, String)> {
        let ib = self.ib(symbol)?;
        let (size, notional) = ib.book.depth_within_bps(args::book_side(side)?, bps);
        let b = &ib.book;
        Ok((
            format_fixed(size, b.sz_scale()),
            format_fixed(notional, b.px_scale() + b.sz_scale()),
        ))
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyFeed>()?;
    m.add_class::<BookUpdate>()?;
    m.add_class::<Trade>()?;
    m.add_class::<Bbo>()?;
    m.add_class::<MarkFunding>()?;
    m.add_class::<BookFault>()?;
    m.add_class::<BookView>()?;
    m.add_class::<SweepResult>()?;
    m.add(
        "VENUES",
        Venue::ALL.iter().map(|v| v.name()).collect::<Vec<_>>(),
    )?;
    Ok(())
}
