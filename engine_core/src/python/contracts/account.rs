//! `Position` and `LiquidationModel` for Python.

use pyo3::prelude::*;

use super::num::{Dec, Out};
use super::parse_payoff;
use crate::contracts::liquidation::LinearAccount;
use crate::contracts::position::{Fill, Position};
use crate::contracts::Money;
use crate::python::errors::contract_err;

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
                parse_payoff(payoff)?,
                crate::contracts::positive(multiplier.0, "multiplier").map_err(contract_err)?,
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
        let e = self.inner.apply(fill).map_err(contract_err)?;
        Ok((Out(e.closed), Out(e.opened), Out(e.realised)))
    }
    fn add_funding(&mut self, amount: Dec) -> PyResult<()> {
        self.inner.add_funding(amount.0).map_err(contract_err)
    }
    fn unrealised(&self, mark: Dec) -> PyResult<Out> {
        self.inner.unrealised(mark.0).map(Out).map_err(contract_err)
    }
    fn net_realised(&self) -> PyResult<Out> {
        self.inner.net_realised().map(Out).map_err(contract_err)
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
        self.inner.add_cash(usd.0).map_err(contract_err)
    }
    fn add_coin(&mut self, coins: Dec, rate: Dec, ratio: Dec) -> PyResult<()> {
        self.inner
            .add_coin(coins.0, rate.0, ratio.0)
            .map_err(contract_err)
    }
    fn add_position(
        &mut self,
        payoff: &str,
        multiplier: Dec,
        qty: Dec,
        entry: Dec,
        maint_rate: Dec,
    ) -> PyResult<()> {
        self.inner
            .add_position(
                parse_payoff(payoff)?,
                multiplier.0,
                qty.0,
                entry.0,
                maint_rate.0,
            )
            .map_err(contract_err)
    }
    fn equity(&self, price: Dec) -> PyResult<Out> {
        self.inner.equity(price.0).map(Out).map_err(contract_err)
    }
    fn maintenance(&self, price: Dec) -> PyResult<Out> {
        self.inner
            .maintenance(price.0)
            .map(Out)
            .map_err(contract_err)
    }
    fn liq_price(&self) -> PyResult<Option<Out>> {
        self.inner
            .liq_price()
            .map(|o| o.map(Out))
            .map_err(contract_err)
    }
    fn liq_distance(&self, price: Dec) -> PyResult<Option<Out>> {
        self.inner
            .liq_distance(price.0)
            .map(|o| o.map(Out))
            .map_err(contract_err)
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyPosition>()?;
    m.add_class::<PyLiq>()?;
    Ok(())
}
