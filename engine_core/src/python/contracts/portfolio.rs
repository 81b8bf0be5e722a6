//! `Portfolio` for Python: many positions, marked in one call.
//!
//! `mark` gives the totals; `mark_each` every position's own PnL as a
//! `PositionMarks` column that stays in Rust until an element is read (each read
//! builds one `Decimal`), so marking 10,000 positions crosses the boundary once.

use pyo3::exceptions::PyIndexError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyList, PyType};

use super::num::{dec_in, Dec, Out};
use crate::contracts::Money;
use crate::python::args;
use crate::risk::portfolio::{Exact, Portfolio};

/// Many positions over a fixed instrument table, marked in one call.
#[pyclass(module = "pyengine._core", name = "Portfolio")]
#[derive(Debug, Clone)]
pub struct PyPortfolio {
    inner: Portfolio,
}

fn marks_in(marks: &Bound<'_, PyAny>) -> PyResult<Vec<Money>> {
    marks.try_iter()?.map(|m| dec_in(&m?)).collect()
}

#[pymethods]
impl PyPortfolio {
    #[new]
    fn new(terms: Vec<(String, Dec)>) -> PyResult<Self> {
        let t = terms
            .into_iter()
            .map(|(p, m)| Ok((args::payoff(&p)?, m.0)))
            .collect::<PyResult<Vec<_>>>()?;
        Ok(PyPortfolio {
            inner: Portfolio::new(t),
        })
    }
    fn add(&mut self, instrument: usize, qty: Dec, entry: Dec) -> PyResult<()> {
        Ok(self.inner.push(instrument, qty.0, entry.0)?)
    }
    fn extend(&mut self, rows: &Bound<'_, PyAny>) -> PyResult<()> {
        for row in rows.try_iter()? {
            let (i, q, e): (usize, Dec, Dec) = row?.extract()?;
            self.inner.push(i, q.0, e.0)?;
        }
        Ok(())
    }
    fn mark(&self, marks: &Bound<'_, PyAny>) -> PyResult<(Out, Out, Out)> {
        let t = self.inner.mark(&marks_in(marks)?)?;
        Ok((
            Out(t.upl_usd),
            Out(t.gross_notional_usd),
            Out(t.net_delta_usd),
        ))
    }
    fn mark_each(&self, marks: &Bound<'_, PyAny>) -> PyResult<PyPositionMarks> {
        let v = self.inner.mark_each(&marks_in(marks)?)?;
        Ok(PyPositionMarks { upl: v })
    }
    fn unrealised(&self, marks: &Bound<'_, PyAny>) -> PyResult<Vec<Out>> {
        let v = self.inner.unrealised(&marks_in(marks)?)?;
        Ok(v.into_iter().map(Out).collect())
    }
    fn __len__(&self) -> usize {
        self.inner.len()
    }
}

static DECIMAL: PyOnceLock<Py<PyType>> = PyOnceLock::new();

fn exact_out<'py>(py: Python<'py>, x: Exact) -> PyResult<Bound<'py, PyAny>> {
    DECIMAL
        .import(py, "decimal", "Decimal")?
        .call1((format!("{}E{}", x.mant, -i64::from(x.scale)),))
}

/// Each position's unrealised PnL in USD (see `Portfolio.mark_each`), read lazily.
#[pyclass(frozen, module = "pyengine._core", name = "PositionMarks")]
#[derive(Debug)]
pub struct PyPositionMarks {
    upl: Vec<Exact>,
}

#[pymethods]
impl PyPositionMarks {
    fn __len__(&self) -> usize {
        self.upl.len()
    }
    fn __getitem__<'py>(&self, py: Python<'py>, i: isize) -> PyResult<Bound<'py, PyAny>> {
        let n = self.upl.len() as isize;
        let k = if i < 0 { i + n } else { i };
        let x = usize::try_from(k)
            .ok()
            .and_then(|k| self.upl.get(k))
            .ok_or_else(|| PyIndexError::new_err("position index out of range"))?;
        exact_out(py, *x)
    }
    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let all = self
            .upl
            .iter()
            .map(|x| exact_out(py, *x))
            .collect::<PyResult<Vec<_>>>()?;
        PyList::new(py, all)?.try_iter().map(Bound::into_any)
    }
    fn __repr__(&self) -> String {
        format!("PositionMarks({} positions)", self.upl.len())
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyPortfolio>()?;
    m.add_class::<PyPositionMarks>()?;
    Ok(())
}
