//! `Position` and `LiquidationModel` for Python.

use pyo3::prelude::*;

use super::num::{Dec, Out};
use crate::contracts::liquidation::LinearAccount;
use crate::contracts::position::{Fill, Position};
use crate::contracts::Money;
use crate::python::args;

/// A position kept from fills.
#[pyclass(module = "pyengine._core", name = "Position")]
#[derive(Debug, Clone)]
pub struct PyPosition {
    inner: Position,
}

#[pymethods]
impl PyPosition {
    #[new]
    fn new(payoff: &str, multiplier: Dec) -> PyResult<Self> {
        Ok(PyPosition {
            inner: Position::new(
                args::payoff(payoff)?,
                crate::contracts::positive(multiplier.0, "multiplier")?,
            ),
        })
    }
    #[pyo3(signature = (qty, price, fee=None))]
    fn apply(&mut self, qty: Dec, price: Dec, fee: Option<Dec>) -> PyResult<(Out, Out, Out)> {
        let fill = Fill {
            qty: qty.0,
            price: price.0,
            fee: fee.map_or(Money::ZERO, |f| f.0),
        };
        let e = self.inner.apply(fill)?;
        Ok((Out(e.closed), Out(e.opened), Out(e.realised)))
    }
    fn add_funding(&mut self, amount: Dec) -> PyResult<()> {
        Ok(self.inner.add_funding(amount.0)?)
    }
    fn unrealised(&self, mark: Dec) -> PyResult<Out> {
        Ok(Out(self.inner.unrealised(mark.0)?))
    }
    fn net_realised(&self) -> PyResult<Out> {
        Ok(Out(self.inner.net_realised()?))
    }
    #[getter]
    fn qty(&self) -> Out {
        Out(self.inner.qty)
    }
    #[getter]
    fn avg_entry(&self) -> Out {
        Out(self.inner.avg_entry)
    }
    #[getter]
    fn realised_pnl(&self) -> Out {
        Out(self.inner.realised_pnl)
    }
    #[getter]
    fn fees(&self) -> Out {
        Out(self.inner.fees)
    }
    #[getter]
    fn funding(&self) -> Out {
        Out(self.inner.funding)
    }
}

/// Equity and maintenance of an account as lines in one price (liquidation model).
#[pyclass(module = "pyengine._core", name = "LiquidationModel")]
#[derive(Debug, Clone, Default)]
pub struct PyLiq {
    inner: LinearAccount,
}

#[pymethods]
impl PyLiq {
    #[new]
    fn new() -> Self {
        PyLiq::default()
    }
    fn add_cash(&mut self, usd: Dec) -> PyResult<()> {
        Ok(self.inner.add_cash(usd.0)?)
    }
    fn add_coin(&mut self, coins: Dec, rate: Dec, ratio: Dec) -> PyResult<()> {
        Ok(self.inner.add_coin(coins.0, rate.0, ratio.0)?)
    }
    fn add_position(
        &mut self,
        payoff: &str,
        multiplier: Dec,
        qty: Dec,
        entry: Dec,
        maint_rate: Dec,
    ) -> PyResult<()> {
        Ok(self.inner.add_position(
            args::payoff(payoff)?,
            multiplier.0,
            qty.0,
            entry.0,
            maint_rate.0,
        )?)
    }
    fn equity(&self, price: Dec) -> PyResult<Out> {
        Ok(Out(self.inner.equity(price.0)?))
    }
    fn maintenance(&self, price: Dec) -> PyResult<Out> {
        Ok(Out(self.inner.maintenance(price.0)?))
    }
    fn liq_price(&self) -> PyResult<Option<Out>> {
        Ok(self.inner.liq_price()?.map(Out))
    }
    fn liq_distance(&self, price: Dec) -> PyResult<Option<Out>> {
        Ok(self.inner.liq_distance(price.0)?.map(Out))
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyPosition>()?;
    m.add_class::<PyLiq>()?;
    Ok(())
}
