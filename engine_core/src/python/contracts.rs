//! Contract math for Python: `Decimal` in and out, thin wrappers over `crate::contracts`.
//!
//! Amounts cross the boundary as `decimal.Decimal` (also accepted: `int`, `str`); a
//! `float` is refused because it is not exact. Each function is one line of conversion
//! around the Rust function of the same name.

use pyo3::prelude::*;

mod account;
mod num;
mod portfolio;

pub(crate) use num::{dec_in, Dec, Out};

use super::args;
use crate::contracts::liquidation::lst_hedge_liq_price;
use crate::contracts::margin::{binance_example_tiers, bybit_btc_tiers, HaircutTiers};
use crate::contracts::{funding, loaders, math, route, InstrumentSpec, Money};

/// One instrument as its venue defines it (read-only).
#[pyclass(frozen, module = "pyengine._core", name = "InstrumentSpec")]
#[derive(Debug, Clone)]
pub struct PySpec {
    pub(crate) inner: InstrumentSpec,
}

#[pymethods]
impl PySpec {
    #[getter]
    fn venue(&self) -> &'static str {
        self.inner.venue.name()
    }
    #[getter]
    fn symbol(&self) -> &str {
        &self.inner.symbol
    }
    #[getter]
    fn kind(&self) -> &'static str {
        self.inner.kind.name()
    }
    #[getter]
    fn expiry_ms(&self) -> Option<i64> {
        self.inner.kind.expiry_ms()
    }
    #[getter]
    fn payoff(&self) -> &'static str {
        self.inner.payoff.name()
    }
    #[getter]
    fn base(&self) -> &str {
        &self.inner.base
    }
    #[getter]
    fn quote(&self) -> &str {
        &self.inner.quote
    }
    #[getter]
    fn settle(&self) -> &str {
        &self.inner.settle
    }
    #[getter]
    fn margin(&self) -> &str {
        &self.inner.margin
    }
    #[getter]
    fn multiplier(&self) -> Out {
        Out(self.inner.multiplier)
    }
    #[getter]
    fn contract_size(&self) -> Out {
        Out(self.inner.contract_size)
    }
    #[getter]
    fn tick(&self) -> Out {
        Out(self.inner.tick)
    }
    #[getter]
    fn lot(&self) -> Out {
        Out(self.inner.lot)
    }
    #[getter]
    fn min_qty(&self) -> Out {
        Out(self.inner.min_qty)
    }
    #[getter]
    fn max_qty(&self) -> Option<Out> {
        self.inner.max_qty.map(Out)
    }
    #[getter]
    fn min_notional(&self) -> Option<Out> {
        self.inner.min_notional.map(Out)
    }
    #[getter]
    fn funding_interval_min(&self) -> Option<u32> {
        self.inner.funding_interval_min
    }
    #[getter]
    fn maint_margin_rate(&self) -> Option<Out> {
        self.inner.maint_margin_rate.map(Out)
    }
    #[getter]
    fn active(&self) -> bool {
        self.inner.active
    }
    fn on_tick(&self, price: Dec) -> bool {
        self.inner.on_tick(price.0)
    }
    fn on_lot(&self, qty: Dec) -> bool {
        self.inner.on_lot(qty.0)
    }
    fn __repr__(&self) -> String {
        let s = &self.inner;
        format!(
            "InstrumentSpec({}:{} {} {} x{} tick {} lot {})",
            s.venue,
            s.symbol,
            s.kind.name(),
            s.payoff.name(),
            s.multiplier,
            s.tick,
            s.lot
        )
    }
}

/// Specs built, and `(symbol, reason)` of the entries skipped.
type LoadedPy = (Vec<PySpec>, Vec<(String, String)>);

#[pyfunction]
fn load_instruments(venue: &str, text: &str) -> PyResult<LoadedPy> {
    let l = loaders::load_instruments(args::venue(venue)?, text)?;
    Ok((
        l.specs.into_iter().map(|inner| PySpec { inner }).collect(),
        l.skipped,
    ))
}

#[pyfunction]
fn notional(payoff: &str, multiplier: Dec, qty: Dec, price: Dec) -> PyResult<Out> {
    Ok(Out(math::notional(
        args::payoff(payoff)?,
        multiplier.0,
        qty.0,
        price.0,
    )?))
}

#[pyfunction]
fn coin_delta(payoff: &str, multiplier: Dec, qty: Dec, price: Dec) -> PyResult<Out> {
    Ok(Out(math::coin_delta(
        args::payoff(payoff)?,
        multiplier.0,
        qty.0,
        price.0,
    )?))
}

#[pyfunction]
fn pnl(payoff: &str, multiplier: Dec, qty: Dec, entry: Dec, exit: Dec) -> PyResult<Out> {
    Ok(Out(math::pnl(
        args::payoff(payoff)?,
        multiplier.0,
        qty.0,
        entry.0,
        exit.0,
    )?))
}

#[pyfunction]
fn pnl_usd(payoff: &str, multiplier: Dec, qty: Dec, entry: Dec, exit: Dec) -> PyResult<Out> {
    Ok(Out(math::pnl_usd(
        args::payoff(payoff)?,
        multiplier.0,
        qty.0,
        entry.0,
        exit.0,
    )?))
}

#[pyfunction]
fn inverse_rehedge(
    spec: &PySpec,
    current_qty: Dec,
    price: Dec,
    target_coins: Dec,
) -> PyResult<(Out, Out)> {
    let (a, b) = math::inverse_rehedge(&spec.inner, current_qty.0, price.0, target_coins.0)?;
    Ok((Out(a), Out(b)))
}

#[pyfunction]
fn premium_index(impact_bid: Dec, impact_ask: Dec, index: Dec) -> PyResult<Out> {
    Ok(Out(funding::premium_index(
        impact_bid.0,
        impact_ask.0,
        index.0,
    )?))
}

#[pyfunction]
#[pyo3(signature = (premium_avg, interest=None, clamp=None))]
fn funding_rate(premium_avg: Dec, interest: Option<Dec>, clamp: Option<Dec>) -> PyResult<Out> {
    let i = interest.map_or(funding::BINANCE_INTEREST_8H, |d| d.0);
    let c = clamp.map_or(funding::FUNDING_CLAMP, |d| d.0);
    Ok(Out(funding::funding_rate(premium_avg.0, i, c)?))
}

#[pyfunction]
fn weighted_premium(samples: Vec<Dec>) -> PyResult<Out> {
    let v: Vec<Money> = samples.into_iter().map(|d| d.0).collect();
    Ok(Out(funding::weighted_premium(&v)?))
}

#[pyfunction]
fn funding_payment(payoff: &str, multiplier: Dec, qty: Dec, mark: Dec, rate: Dec) -> PyResult<Out> {
    Ok(Out(funding::funding_payment(
        args::payoff(payoff)?,
        multiplier.0,
        qty.0,
        mark.0,
        rate.0,
    )?))
}

#[pyfunction]
fn funding_apr(rate: Dec, interval_min: u32) -> PyResult<Out> {
    Ok(Out(funding::funding_apr(rate.0, interval_min)?))
}

#[pyfunction]
fn basis(future: Dec, spot: Dec) -> PyResult<Out> {
    Ok(Out(funding::basis(future.0, spot.0)?))
}

#[pyfunction]
fn basis_apr(future: Dec, spot: Dec, days_to_expiry: Dec) -> PyResult<Out> {
    Ok(Out(funding::basis_apr(future.0, spot.0, days_to_expiry.0)?))
}

#[pyfunction]
fn lst_liquidation_price(p0: Dec, s: Dec, h: Dec, m: Dec) -> PyResult<Option<Out>> {
    Ok(lst_hedge_liq_price(p0.0, s.0, h.0, m.0)?.map(Out))
}

#[pyfunction]
fn split_route(amount: u128, ratios_bps: Vec<u32>) -> PyResult<Vec<u128>> {
    Ok(route::split_route(amount, &ratios_bps)?)
}

/// A haircut schedule (quantity- or value-tiered).
#[pyclass(frozen, module = "pyengine._core", name = "HaircutTiers")]
#[derive(Debug, Clone)]
pub struct PyTiers {
    pub(crate) inner: HaircutTiers,
}

#[pymethods]
impl PyTiers {
    #[new]
    fn new(basis: &str, bands: Vec<(Dec, Dec)>, beyond: Dec) -> PyResult<Self> {
        let basis = args::tier_basis(basis)?;
        let bands = bands.into_iter().map(|(a, b)| (a.0, b.0)).collect();
        Ok(PyTiers {
            inner: HaircutTiers::new(basis, bands, beyond.0)?,
        })
    }
    #[staticmethod]
    fn flat(ratio: Dec) -> PyResult<Self> {
        Ok(PyTiers {
            inner: HaircutTiers::flat(ratio.0)?,
        })
    }
    #[staticmethod]
    fn bybit_btc() -> Self {
        PyTiers {
            inner: bybit_btc_tiers(),
        }
    }
    #[staticmethod]
    fn binance_example() -> Self {
        PyTiers {
            inner: binance_example_tiers(),
        }
    }
    fn value(&self, qty: Dec, price: Dec) -> PyResult<Out> {
        Ok(Out(self.inner.value(qty.0, price.0)?))
    }
    fn effective_ratio(&self, qty: Dec, price: Dec) -> PyResult<Out> {
        Ok(Out(self.inner.effective_ratio(qty.0, price.0)?))
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PySpec>()?;
    m.add_class::<PyTiers>()?;
    account::register(m)?;
    portfolio::register(m)?;
    m.add_function(wrap_pyfunction!(load_instruments, m)?)?;
    m.add_function(wrap_pyfunction!(notional, m)?)?;
    m.add_function(wrap_pyfunction!(coin_delta, m)?)?;
    m.add_function(wrap_pyfunction!(pnl, m)?)?;
    m.add_function(wrap_pyfunction!(pnl_usd, m)?)?;
    m.add_function(wrap_pyfunction!(inverse_rehedge, m)?)?;
    m.add_function(wrap_pyfunction!(premium_index, m)?)?;
    m.add_function(wrap_pyfunction!(funding_rate, m)?)?;
    m.add_function(wrap_pyfunction!(weighted_premium, m)?)?;
    m.add_function(wrap_pyfunction!(funding_payment, m)?)?;
    m.add_function(wrap_pyfunction!(funding_apr, m)?)?;
    m.add_function(wrap_pyfunction!(basis, m)?)?;
    m.add_function(wrap_pyfunction!(basis_apr, m)?)?;
    m.add_function(wrap_pyfunction!(lst_liquidation_price, m)?)?;
    m.add_function(wrap_pyfunction!(split_route, m)?)?;
    Ok(())
}
