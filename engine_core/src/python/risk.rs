//! Pre-trade risk for Python: `RiskEngine`, `Verdict`, `Gatekeeper`.
//!
//! A check crosses the boundary once with plain arguments (instrument id, side, two
//! amounts, a timestamp) and returns a frozen `Verdict`; the approved verdict is one
//! shared object, so the common case allocates nothing, and a refused one keeps its
//! reasons as values until `codes` or `reasons` is read. `check_batch` takes many orders
//! in one crossing (amounts given as `str` or `int` are parsed in Rust without going
//! through `Decimal`) and returns one `BatchVerdicts`, not one object per order.

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyString, PyTuple};

mod batch;
mod gate;

pub use batch::PyBatchVerdicts;

use super::args;
use super::contracts::{dec_in, Dec, Out, PySpec, PyTiers};
use crate::contracts::position::Fill;
use crate::contracts::Money;
use crate::risk::{Limits, Order, RiskEngine, TradingState, Verdict};

/// Approved, or refused with every reason (`codes` machine-readable, `reasons` for people).
#[pyclass(frozen, module = "pyengine._core", name = "Verdict")]
#[derive(Debug)]
pub struct PyVerdict {
    inner: Verdict,
}

#[pymethods]
impl PyVerdict {
    #[getter]
    fn approved(&self) -> bool {
        self.inner.approved()
    }
    #[getter]
    fn codes(&self) -> Vec<&'static str> {
        self.inner
            .reasons
            .iter()
            .map(crate::risk::Refusal::code)
            .collect()
    }
    #[getter]
    fn reasons(&self) -> Vec<String> {
        self.inner.reasons.iter().map(ToString::to_string).collect()
    }
    fn __bool__(&self) -> bool {
        self.inner.approved()
    }
    fn __repr__(&self) -> String {
        if self.inner.approved() {
            "Verdict(approved)".to_owned()
        } else {
            format!("Verdict(refused: {})", self.reasons().join("; "))
        }
    }
}

/// The pre-trade risk engine (state + limits + checks).
#[pyclass(module = "pyengine._core", name = "RiskEngine")]
#[derive(Debug)]
pub struct PyRiskEngine {
    inner: RiskEngine,
    approved: Py<PyVerdict>,
}

/// One `(instrument, side, qty, price, ts_ms)` tuple.
fn order_in(o: &Bound<'_, PyAny>) -> PyResult<Order> {
    const SHAPE: &str = "an order is (instrument, side, qty, price, ts_ms)";
    let t = o.cast::<PyTuple>().map_err(|_| args::bad_shape(SHAPE))?;
    if t.len() != 5 {
        return Err(args::bad_shape(SHAPE));
    }
    let py = o.py();
    let side = t.get_borrowed_item(1)?;
    // Literal sides are interned: an identity test usually settles it without decoding.
    let qty = dec_in(&*t.get_borrowed_item(2)?)?;
    let qty = if side.is(intern!(py, "buy")) {
        qty
    } else if side.is(intern!(py, "sell")) {
        -qty
    } else {
        let text = side
            .cast::<PyString>()
            .map_err(|_| args::bad_shape("an order's side is the text 'buy' or 'sell'"))?;
        args::signed_qty(text.to_str()?, qty)?
    };
    Ok(Order {
        instrument: t.get_borrowed_item(0)?.extract()?,
        qty,
        price: dec_in(&*t.get_borrowed_item(3)?)?,
        ts_ms: t.get_borrowed_item(4)?.extract()?,
    })
}

/// Every order of `orders` (a list, or any iterable) through `each`, in one pass.
fn for_orders(orders: &Bound<'_, PyAny>, mut each: impl FnMut(Order)) -> PyResult<()> {
    if let Ok(list) = orders.cast::<PyList>() {
        for o in list.iter() {
            each(order_in(&o)?);
        }
    } else {
        for o in orders.try_iter()? {
            each(order_in(&o?)?);
        }
    }
    Ok(())
}

fn parse_limits(json: &str) -> PyResult<Limits> {
    Ok(Limits::from_json(json)?)
}

impl PyRiskEngine {
    fn verdict(&self, py: Python<'_>, v: Verdict) -> PyResult<Py<PyVerdict>> {
        if v.approved() {
            return Ok(self.approved.clone_ref(py));
        }
        Py::new(py, PyVerdict { inner: v })
    }
}

#[pymethods]
impl PyRiskEngine {
    #[new]
    #[pyo3(signature = (limits_json="{}"))]
    fn new(py: Python<'_>, limits_json: &str) -> PyResult<Self> {
        let approved = Py::new(
            py,
            PyVerdict {
                inner: Verdict::default(),
            },
        )?;
        Ok(PyRiskEngine {
            inner: RiskEngine::new(parse_limits(limits_json)?),
            approved,
        })
    }

    fn set_limits(&mut self, limits_json: &str) -> PyResult<()> {
        self.inner.set_limits(parse_limits(limits_json)?);
        Ok(())
    }

    #[pyo3(signature = (state, venue=None, symbol=None))]
    fn set_state(
        &mut self,
        state: &str,
        venue: Option<&str>,
        symbol: Option<&str>,
    ) -> PyResult<()> {
        let st = TradingState::parse(state)?;
        let v = venue.map(args::venue).transpose()?;
        Ok(self.inner.set_state(v, symbol, st)?)
    }

    /// The trading state orders to `venue` are checked against: the stricter of the global
    /// state and the venue's own (each scope is checked, so the stricter one decides); the
    /// global state without a venue. `"active"`, `"reduce-only"` or `"halted"`.
    #[pyo3(signature = (venue=None))]
    fn trading_state(&self, venue: Option<&str>) -> PyResult<&'static str> {
        let limits = self.inner.limits();
        let mut state = limits.state;
        if let Some(v) = venue.map(args::venue).transpose()? {
            if let Some(own) = limits.venues.get(v.name()) {
                state = stricter(state, own.state);
            }
        }
        Ok(state.name())
    }

    fn add_instrument(&mut self, spec: &PySpec) -> PyResult<usize> {
        Ok(self.inner.add_instrument(spec.inner.clone())?)
    }

    fn instrument_id(&self, venue: &str, symbol: &str) -> PyResult<Option<usize>> {
        Ok(self.inner.instrument_id(args::venue(venue)?, symbol))
    }

    fn set_mark(&mut self, instrument: usize, price: Dec) -> PyResult<()> {
        Ok(self.inner.set_mark(instrument, price.0)?)
    }

    fn set_index(&mut self, asset: &str, price: Dec) -> PyResult<()> {
        Ok(self.inner.set_index(asset, price.0)?)
    }

    fn set_spot(&mut self, asset: &str, coins: Dec) {
        self.inner.set_spot(asset, coins.0);
    }

    fn set_collateral(
        &mut self,
        venue: &str,
        name: &str,
        asset: &str,
        coins: Dec,
        rate: Dec,
        tiers: &PyTiers,
    ) -> PyResult<()> {
        Ok(self.inner.set_collateral(
            args::venue(venue)?,
            name,
            asset,
            coins.0,
            rate.0,
            tiers.inner.clone(),
        )?)
    }

    #[pyo3(signature = (instrument, side, qty, price, fee=None))]
    fn apply_fill(
        &mut self,
        instrument: usize,
        side: &str,
        qty: Dec,
        price: Dec,
        fee: Option<Dec>,
    ) -> PyResult<(Out, Out, Out)> {
        let fill = Fill {
            qty: args::signed_qty(side, qty.0)?,
            price: price.0,
            fee: fee.map_or(Money::ZERO, |f| f.0),
        };
        let e = self.inner.apply_fill(instrument, fill)?;
        Ok((Out(e.closed), Out(e.opened), Out(e.realised)))
    }

    fn set_position(&mut self, instrument: usize, qty: Dec, avg_entry: Dec) -> PyResult<()> {
        Ok(self.inner.set_position(instrument, qty.0, avg_entry.0)?)
    }

    /// `(qty, avg_entry, realised_pnl, fees, funding)`.
    fn position(&self, instrument: usize) -> PyResult<(Out, Out, Out, Out, Out)> {
        let p = self
            .inner
            .position(instrument)
            .ok_or_else(|| crate::risk::RiskError::UnknownInstrument(instrument.to_string()))?;
        Ok((
            Out(p.qty),
            Out(p.avg_entry),
            Out(p.realised_pnl),
            Out(p.fees),
            Out(p.funding),
        ))
    }

    /// `(net_delta_usd, total_gross_usd, {venue: (gross, equity, initial_margin)})`.
    fn exposure<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let a = self.inner.aggregates().clone();
        if let Some(e) = a.error {
            return Err(e.into());
        }
        let venues = pyo3::types::PyDict::new(py);
        for (i, v) in crate::venue::Venue::ALL.iter().enumerate() {
            if !a.venue_gross[i].is_zero() || !a.venue_equity[i].is_zero() {
                venues.set_item(
                    v.name(),
                    (
                        Out(a.venue_gross[i]),
                        Out(a.venue_equity[i]),
                        Out(a.venue_im[i]),
                    ),
                )?;
            }
        }
        (Out(a.net_delta), Out(a.total_gross), venues).into_pyobject(py)
    }

    #[pyo3(signature = (instrument, side, qty, price, ts_ms=0))]
    fn check(
        &mut self,
        py: Python<'_>,
        instrument: usize,
        side: &str,
        qty: Dec,
        price: Dec,
        ts_ms: i64,
    ) -> PyResult<Py<PyVerdict>> {
        let order = Order {
            instrument,
            qty: args::signed_qty(side, qty.0)?,
            price: price.0,
            ts_ms,
        };
        let v = self.inner.check(&order);
        self.verdict(py, v)
    }

    /// Orders are `(instrument, side, qty, price, ts_ms)` tuples.
    #[pyo3(signature = (orders, cumulative=false))]
    fn check_batch(
        &mut self,
        orders: &Bound<'_, PyAny>,
        cumulative: bool,
    ) -> PyResult<PyBatchVerdicts> {
        let n = orders.len().unwrap_or(0);
        if cumulative {
            let mut batch = Vec::with_capacity(n);
            for_orders(orders, |o| batch.push(o))?;
            return Ok(PyBatchVerdicts::new(self.inner.check_batch(&batch, true)));
        }
        // Independent checks need no list of orders: each is checked as it is read.
        let mut verdicts = Vec::with_capacity(n);
        let engine = &mut self.inner;
        for_orders(orders, |o| verdicts.push(engine.check(&o)))?;
        Ok(PyBatchVerdicts::new(verdicts))
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }
}

fn stricter(a: TradingState, b: TradingState) -> TradingState {
    let rank = |s: TradingState| match s {
        TradingState::Active => 0,
        TradingState::ReduceOnly => 1,
        TradingState::Halted => 2,
    };
    if rank(b) > rank(a) {
        b
    } else {
        a
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyVerdict>()?;
    m.add_class::<PyRiskEngine>()?;
    m.add_class::<PyBatchVerdicts>()?;
    gate::register(m)?;
    Ok(())
}
