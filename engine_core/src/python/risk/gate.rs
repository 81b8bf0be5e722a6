//! `Gatekeeper` for Python: the SPEC §8 mint/redeem circuit breaker.

use pyo3::prelude::*;

use crate::python::args;
use crate::python::contracts::{Dec, Out};
use crate::risk::gatekeeper::{GateAction, Gatekeeper};

/// What the gatekeeper made of one mint/redeem event.
#[pyclass(frozen, get_all, module = "pyengine._core", name = "GateDecision")]
#[derive(Debug)]
pub struct PyGateDecision {
    price: Option<Out>,
    loss: Out,
    window_loss: Out,
    action: &'static str,
    reasons: Vec<String>,
}

/// SPEC §8 circuit breaker over executed mints and redeems.
#[pyclass(module = "pyengine._core", name = "Gatekeeper")]
#[derive(Debug)]
pub struct PyGatekeeper {
    inner: Gatekeeper,
}

#[pymethods]
impl PyGatekeeper {
    #[new]
    #[pyo3(signature = (max_deviation=None, disable_loss=None, warn_loss=None, window_ms=1_800_000))]
    fn new(
        max_deviation: Option<Dec>,
        disable_loss: Option<Dec>,
        warn_loss: Option<Dec>,
        window_ms: i64,
    ) -> Self {
        let mut g = Gatekeeper::default();
        g.window_ms = window_ms;
        if let Some(d) = max_deviation {
            g.max_deviation = d.0;
        }
        if let Some(d) = disable_loss {
            g.disable_loss = d.0;
        }
        if let Some(d) = warn_loss {
            g.warn_loss = d.0;
        }
        PyGatekeeper { inner: g }
    }

    #[pyo3(signature = (ts_ms, flow, collateral_amount, usde_amount, spot=None))]
    fn observe(
        &mut self,
        ts_ms: i64,
        flow: &str,
        collateral_amount: Dec,
        usde_amount: Dec,
        spot: Option<Dec>,
    ) -> PyResult<PyGateDecision> {
        let flow = args::flow(flow)?;
        let d = self.inner.observe(
            ts_ms,
            flow,
            collateral_amount.0,
            usde_amount.0,
            spot.map(|s| s.0),
        )?;
        Ok(PyGateDecision {
            price: d.price.map(Out),
            loss: Out(d.loss),
            window_loss: Out(d.window_loss),
            action: match d.action {
                GateAction::Ok => "ok",
                GateAction::Alert => "alert",
                GateAction::Disable => "disable",
            },
            reasons: d.reasons,
        })
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyGatekeeper>()?;
    m.add_class::<PyGateDecision>()?;
    Ok(())
}
