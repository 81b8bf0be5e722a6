//! Contract math for Python: `Decimal` in and out, thin wrappers over `crate::contracts`.
//!
//! Amounts cross the boundary as `decimal.Decimal` (also accepted: `int`, `str`); a
//! `float` is refused because it is not exact. Each function is one line of conversion
//! around the Rust function of the same name.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyFloat, PyType};

use super::errors::{contract_err, spec_err, InvalidDecimal, UnknownVenue};
use crate::contracts::liquidation::{lst_hedge_liq_price, LinearAccount};
use crate::contracts::margin::{binance_example_tiers, bybit_btc_tiers, HaircutTiers, TierBasis};
use crate::contracts::position::{Fill, Position};
use crate::contracts::{funding, loaders, math, parse_money, route, InstrumentSpec, Money, Payoff};
use crate::risk::portfolio::Portfolio;
use crate::venues::Venue;

static DECIMAL: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// A Python `Decimal`, `int` or `str` as exact [`Money`].
pub(crate) fn dec_in(obj: &Bound<'_, PyAny>) -> PyResult<Money> {
    if obj.is_instance_of::<PyFloat>() {
        return Err(InvalidDecimal::new_err(format!(
            "float {obj} is not exact: pass a Decimal, int or str"
        )));
    }
    let s = obj.str()?;
    let t = s.to_str()?;
    parse_money(t).ok_or_else(|| {
        InvalidDecimal::new_err(format!("not an exact decimal (max 28 digits): {t:?}"))
    })
}

/// [`Money`] as a Python `Decimal`.
pub(crate) fn dec_out<'py>(py: Python<'py>, m: Money) -> PyResult<Bound<'py, PyAny>> {
    DECIMAL
        .import(py, "decimal", "Decimal")?
        .call1((m.to_string(),))
}

/// Decimal-typed argument for `#[pyfunction]` signatures.
pub(crate) struct Dec(pub Money);

impl<'a, 'py> FromPyObject<'a, 'py> for Dec {
    type Error = PyErr;
    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        dec_in(&obj).map(Dec)
    }
}

/// `Money` result converted to `Decimal`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Out(pub Money);

impl<'py> IntoPyObject<'py> for Out {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;
    fn into_pyobject(self, py: Python<'py>) -> PyResult<Self::Output> {
        dec_out(py, self.0)
    }
}

pub(crate) fn parse_venue(v: &str) -> PyResult<Venue> {
    v.parse()
        .map_err(|e: crate::venues::VenueError| UnknownVenue::new_err(e.to_string()))
}

pub(crate) fn parse_payoff(p: &str) -> PyResult<Payoff> {
    match p {
        "linear" => Ok(Payoff::Linear),
        "inverse" => Ok(Payoff::Inverse),
        _ => Err(InvalidDecimal::new_err(format!(
            "payoff must be 'linear' or 'inverse', got {p:?}"
        ))),
    }
}

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
    let l = loaders::load_instruments(parse_venue(venue)?, text).map_err(spec_err)?;
    Ok((
        l.specs.into_iter().map(|inner| PySpec { inner }).collect(),
        l.skipped,
    ))
}

#[pyfunction]
fn notional(payoff: &str, multiplier: Dec, qty: Dec, price: Dec) -> PyResult<Out> {
    math::notional(parse_payoff(payoff)?, multiplier.0, qty.0, price.0)
        .map(Out)
        .map_err(contract_err)
}

#[pyfunction]
fn coin_delta(payoff: &str, multiplier: Dec, qty: Dec, price: Dec) -> PyResult<Out> {
    math::coin_delta(parse_payoff(payoff)?, multiplier.0, qty.0, price.0)
        .map(Out)
        .map_err(contract_err)
}

#[pyfunction]
fn pnl(payoff: &str, multiplier: Dec, qty: Dec, entry: Dec, exit: Dec) -> PyResult<Out> {
    math::pnl(parse_payoff(payoff)?, multiplier.0, qty.0, entry.0, exit.0)
        .map(Out)
        .map_err(contract_err)
}

#[pyfunction]
fn pnl_usd(payoff: &str, multiplier: Dec, qty: Dec, entry: Dec, exit: Dec) -> PyResult<Out> {
    math::pnl_usd(parse_payoff(payoff)?, multiplier.0, qty.0, entry.0, exit.0)
        .map(Out)
        .map_err(contract_err)
}

#[pyfunction]
fn inverse_rehedge(
    spec: &PySpec,
    current_qty: Dec,
    price: Dec,
    target_coins: Dec,
) -> PyResult<(Out, Out)> {
    let (a, b) = math::inverse_rehedge(&spec.inner, current_qty.0, price.0, target_coins.0)
        .map_err(contract_err)?;
    Ok((Out(a), Out(b)))
}

#[pyfunction]
fn premium_index(impact_bid: Dec, impact_ask: Dec, index: Dec) -> PyResult<Out> {
    funding::premium_index(impact_bid.0, impact_ask.0, index.0)
        .map(Out)
        .map_err(contract_err)
}

#[pyfunction]
#[pyo3(signature = (premium_avg, interest=None, clamp=None))]
fn funding_rate(premium_avg: Dec, interest: Option<Dec>, clamp: Option<Dec>) -> PyResult<Out> {
    let i = interest.map_or(funding::BINANCE_INTEREST_8H, |d| d.0);
    let c = clamp.map_or(funding::FUNDING_CLAMP, |d| d.0);
    funding::funding_rate(premium_avg.0, i, c)
        .map(Out)
        .map_err(contract_err)
}

#[pyfunction]
fn weighted_premium(samples: Vec<Dec>) -> PyResult<Out> {
    let v: Vec<Money> = samples.into_iter().map(|d| d.0).collect();
    funding::weighted_premium(&v).map(Out).map_err(contract_err)
}

#[pyfunction]
fn funding_payment(payoff: &str, multiplier: Dec, qty: Dec, mark: Dec, rate: Dec) -> PyResult<Out> {
    funding::funding_payment(parse_payoff(payoff)?, multiplier.0, qty.0, mark.0, rate.0)
        .map(Out)
        .map_err(contract_err)
}

#[pyfunction]
fn funding_apr(rate: Dec, interval_min: u32) -> PyResult<Out> {
    funding::funding_apr(rate.0, interval_min)
        .map(Out)
        .map_err(contract_err)
}

#[pyfunction]
fn basis(future: Dec, spot: Dec) -> PyResult<Out> {
    funding::basis(future.0, spot.0)
        .map(Out)
        .map_err(contract_err)
}

#[pyfunction]
fn basis_apr(future: Dec, spot: Dec, days_to_expiry: Dec) -> PyResult<Out> {
    funding::basis_apr(future.0, spot.0, days_to_expiry.0)
        .map(Out)
        .map_err(contract_err)
}

#[pyfunction]
fn lst_liquidation_price(p0: Dec, s: Dec, h: Dec, m: Dec) -> PyResult<Option<Out>> {
    lst_hedge_liq_price(p0.0, s.0, h.0, m.0)
        .map(|o| o.map(Out))
        .map_err(contract_err)
}

#[pyfunction]
fn split_route(amount: u128, ratios_bps: Vec<u32>) -> PyResult<Vec<u128>> {
    route::split_route(amount, &ratios_bps).map_err(contract_err)
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
        let basis = match basis {
            "quantity" => TierBasis::Quantity,
            "value" => TierBasis::Value,
            _ => {
                return Err(InvalidDecimal::new_err(format!(
                    "basis must be 'quantity' or 'value', got {basis:?}"
                )))
            }
        };
        let bands = bands.into_iter().map(|(a, b)| (a.0, b.0)).collect();
        HaircutTiers::new(basis, bands, beyond.0)
            .map(|inner| PyTiers { inner })
            .map_err(contract_err)
    }
    #[staticmethod]
    fn flat(ratio: Dec) -> PyResult<Self> {
        HaircutTiers::flat(ratio.0)
            .map(|inner| PyTiers { inner })
            .map_err(contract_err)
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
        self.inner
            .value(qty.0, price.0)
            .map(Out)
            .map_err(contract_err)
    }
    fn effective_ratio(&self, qty: Dec, price: Dec) -> PyResult<Out> {
        self.inner
            .effective_ratio(qty.0, price.0)
            .map(Out)
            .map_err(contract_err)
    }
}

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
    m.add_class::<PySpec>()?;
    m.add_class::<PyTiers>()?;
    m.add_class::<PyPosition>()?;
    m.add_class::<PyLiq>()?;
    m.add_class::<PyPortfolio>()?;
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
