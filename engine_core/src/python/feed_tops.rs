//! The level text of `Feed.on_messages_tops`, reused from one top of a book to the next.
//!
//! A depth update changes a few levels near the touch; the other levels of the top the
//! actor publishes are the ones it published a frame ago. Writing each level as two
//! decimal strings and a tuple was about half of the call at depth 10 (0.28 µs a level),
//! so each book keeps the `(price, size)` tuples of its last top and a level that is
//! unchanged (same integers, same decimals the venue wrote, same book scales) gets the same
//! immutable tuple again.

use std::collections::HashMap;
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};

use crate::book::Level;
use crate::venues::Top;

type Texts = Vec<(Level, Py<PyTuple>)>;

/// The text tuples of one book's last top, and the scales they were written at.
#[derive(Debug, Default)]
struct BookTexts {
    scales: (u8, u8),
    bids: Texts,
    asks: Texts,
}

/// Per book, the text of the top last answered.
#[derive(Debug, Default)]
pub(super) struct TopTexts {
    books: HashMap<Arc<str>, BookTexts>,
}

impl TopTexts {
    /// `(bids, asks)` of `top` as lists of `(price, size)` text tuples, best first.
    pub(super) fn sides<'py>(
        &mut self,
        py: Python<'py>,
        top: &Top,
    ) -> PyResult<(Bound<'py, PyList>, Bound<'py, PyList>)> {
        let scales = (top.px_scale, top.sz_scale);
        let book = self.books.entry(top.symbol.clone()).or_default();
        if book.scales != scales {
            // A rescaled book's integers mean other prices: nothing written before holds.
            *book = BookTexts {
                scales,
                ..BookTexts::default()
            };
        }
        let bids = side(py, top, &top.bids, &mut book.bids, |a, b| a > b)?;
        let asks = side(py, top, &top.asks, &mut book.asks, |a, b| a < b)?;
        Ok((bids, asks))
    }
}

/// One side: `levels` best first, `ahead(a, b)` when price `a` is better than `b`; `last`
/// (the side's previous top, best first too) is walked once alongside and replaced.
fn side<'py>(
    py: Python<'py>,
    top: &Top,
    levels: &[Level],
    last: &mut Texts,
    ahead: impl Fn(i64, i64) -> bool,
) -> PyResult<Bound<'py, PyList>> {
    let mut next: Texts = Vec::with_capacity(levels.len());
    let mut j = 0;
    for l in levels {
        while j < last.len() && ahead(last[j].0.px, l.px) {
            j += 1;
        }
        let text = match last.get(j) {
            Some((was, text)) if was == l => text.clone_ref(py),
            _ => {
                let (px, sz) = top.text(l);
                PyTuple::new(py, [px, sz])?.unbind()
            }
        };
        next.push((*l, text));
    }
    let out = PyList::new(py, next.iter().map(|(_, t)| t.bind(py)))?;
    *last = next;
    Ok(out)
}
