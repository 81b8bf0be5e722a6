//! `Portfolio` for Python: many positions, marked in one call.

use pyo3::prelude::*;

use super::num::{dec_in, Dec, Out};
use super::parse_payoff;
use crate::contracts::Money;
use crate::python::errors::contract_err;
use crate::risk::portfolio::Portfolio;

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
            .map(|(p, m)| Ok((parse_payoff(&p)?, m.0)))
            .collect::<PyResult<Vec<_>>>()?;
        Ok(PyPortfolio {
            inner: Portfolio::new(t),
        })
    }
    fn add(&mut self, instrument: usize, qty: Dec, entry: Dec) -> PyResult<()> {
        self.inner
            .push(instrument, qty.0, entry.0)
            .map_err(contract_err)
    }
    fn extend(&mut self, rows: &Bound<'_, PyAny>) -> PyResult<()> {
        for row in rows.try_iter()? {
            let (i, q, e): (usize, Dec, Dec) = row?.extract()?;
            self.inner.push(i, q.0, e.0).map_err(contract_err)?;
        }
        Ok(())
    }
    fn mark(&self, marks: &Bound<'_, PyAny>) -> PyResult<(Out, Out, Out)> {
        let t = self.inner.mark(&marks_in(marks)?).map_err(contract_err)?;
        Ok((
            Out(t.upl_usd),
            Out(t.gross_notional_usd),
            Out(t.net_delta_usd),
        ))
    }
    fn unrealised(&self, marks: &Bound<'_, PyAny>) -> PyResult<Vec<Out>> {
        let v = self
            .inner
            .unrealised(&marks_in(marks)?)
            .map_err(contract_err)?;
        Ok(v.into_iter().map(Out).collect())
    }
    fn __len__(&self) -> usize {
        self.inner.len()
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyPortfolio>()?;
    Ok(())
}
