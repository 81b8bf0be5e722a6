//! The split planner for Python: plain data in, frozen values out (`crate::planner`).
//!
//! Amounts cross as `Decimal` (or `int` / `str`; a `float` is refused); book depth
//! crosses as integer mantissas with their scales, the form a `Book` already holds:
//! either `(px, sz)` int pairs or, cheapest, one int64 buffer of interleaved
//! `px, sz, px, sz, ...` (`array('q')`), copied in one go (750 levels: ~1 us instead of
//! ~20 us as tuples). Results are
//! `HedgePlan` and `HedgeLeg`, whose amounts become `Decimal` when read. Bad input raises
//! `ContractMathError` (planner refusals) or `InvalidDecimal`.

use pyo3::buffer::PyBuffer;
use pyo3::prelude::*;

use super::args;
use super::contracts::{Dec, Out};
use super::errors::InvalidDecimal;
use crate::planner::{
    plan, Candidate, Carry, Depth, HedgeSide, Leg, Plan, PlanRequest, VenueLimit,
};

/// `(name, current_coins, max_share, headroom_usd | None, healthy)`.
type VenueIn = (String, Dec, Dec, Option<Dec>, bool);
/// `(multiplier, lot, min_qty, max_qty | None, tick)`.
type SizesIn = (Dec, Dec, Dec, Option<Dec>, Dec);
/// `None`, `("funding", rate, interval_min)` or `("basis", basis, minutes_to_expiry)`.
type CarryIn = Option<(String, Dec, u32)>;
/// `(px_scale, sz_scale, levels)`, best first; levels as int pairs or an int64 buffer.
type DepthIn<'py> = (u8, u8, Bound<'py, PyAny>);
/// `(venue, symbol, payoff, sizes, (taker_fee, maker_fee), carry, position_coins,
/// healthy, depth)`.
type CandidateIn<'py> = (
    String,
    String,
    String,
    SizesIn,
    (Dec, Dec),
    CarryIn,
    Dec,
    bool,
    DepthIn<'py>,
);

fn side_in(side: &str) -> PyResult<HedgeSide> {
    args::choice(
        "side",
        side,
        &[("sell", HedgeSide::Sell), ("buy", HedgeSide::Buy)],
    )
}

fn carry_in(c: CarryIn) -> PyResult<Carry> {
    match c {
        None => Ok(Carry::None),
        Some((kind, v, minutes)) => {
            #[derive(Clone, Copy)]
            enum Kind {
                Funding,
                Basis,
            }
            let kind = args::choice(
                "carry",
                &kind,
                &[("funding", Kind::Funding), ("basis", Kind::Basis)],
            )?;
            Ok(match kind {
                Kind::Funding => Carry::Funding {
                    rate: v.0,
                    interval_min: minutes,
                },
                Kind::Basis => Carry::Basis {
                    basis: v.0,
                    minutes_to_expiry: minutes,
                },
            })
        }
    }
}

fn levels_in(obj: &Bound<'_, PyAny>) -> PyResult<Vec<(i64, i64)>> {
    if let Ok(buf) = PyBuffer::<i64>::get(obj) {
        let flat = buf.to_vec(obj.py())?;
        if flat.len() % 2 != 0 {
            return Err(InvalidDecimal::new_err(
                "depth buffer must hold px, sz pairs (even length)",
            ));
        }
        return Ok(flat.chunks_exact(2).map(|p| (p[0], p[1])).collect());
    }
    obj.extract()
}

fn candidate_in(c: CandidateIn<'_>) -> PyResult<Candidate> {
    let (venue, symbol, payoff, sizes, fees, carry, position, healthy, depth) = c;
    let (multiplier, lot, min_qty, max_qty, tick) = sizes;
    Ok(Candidate {
        venue,
        symbol,
        payoff: args::payoff(&payoff)?,
        multiplier: multiplier.0,
        lot: lot.0,
        min_qty: min_qty.0,
        max_qty: max_qty.map(|m| m.0),
        tick: tick.0,
        taker_fee: fees.0 .0,
        maker_fee: fees.1 .0,
        carry: carry_in(carry)?,
        position_coins: position.0,
        healthy,
        depth: Depth {
            px_scale: depth.0,
            sz_scale: depth.1,
            levels: levels_in(&depth.2)?,
        },
    })
}

/// Plan a hedge (see `pyengine.routing.planner` for the documented facade).
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn plan_hedge(
    py: Python<'_>,
    asset: String,
    side: &str,
    target_coins: Dec,
    ref_price: Dec,
    horizon_min: u32,
    venues: Vec<VenueIn>,
    candidates: Vec<CandidateIn<'_>>,
) -> PyResult<PyHedgePlan> {
    let req = PlanRequest {
        asset,
        side: side_in(side)?,
        target_coins: target_coins.0,
        ref_price: ref_price.0,
        horizon_min,
        venues: venues
            .into_iter()
            .map(|(venue, cur, share, room, healthy)| VenueLimit {
                venue,
                current_coins: cur.0,
                max_share: share.0,
                headroom_usd: room.map(|r| r.0),
                healthy,
            })
            .collect(),
        candidates: candidates
            .into_iter()
            .map(candidate_in)
            .collect::<PyResult<_>>()?,
    };
    // Pure computation on owned data: let other Python threads run meanwhile.
    let inner = py.detach(|| plan(&req))?;
    Ok(PyHedgePlan { inner })
}

/// One order of a plan (read-only).
#[pyclass(frozen, module = "pyengine._core", name = "HedgeLeg")]
#[derive(Debug, Clone)]
pub struct PyHedgeLeg {
    inner: Leg,
}

#[pymethods]
impl PyHedgeLeg {
    #[getter]
    fn venue(&self) -> &str {
        &self.inner.venue
    }
    #[getter]
    fn symbol(&self) -> &str {
        &self.inner.symbol
    }
    #[getter]
    fn side(&self) -> &'static str {
        self.inner.side.name()
    }
    #[getter]
    fn qty(&self) -> Out {
        Out(self.inner.qty)
    }
    #[getter]
    fn coins(&self) -> Out {
        Out(self.inner.coins)
    }
    #[getter]
    fn vwap(&self) -> Out {
        Out(self.inner.vwap)
    }
    #[getter]
    fn worst_px(&self) -> Out {
        Out(self.inner.worst_px)
    }
    #[getter]
    fn levels(&self) -> usize {
        self.inner.levels
    }
    #[getter]
    fn gross(&self) -> Out {
        Out(self.inner.gross)
    }
    #[getter]
    fn fee(&self) -> Out {
        Out(self.inner.fee)
    }
    #[getter]
    fn maker_fee(&self) -> Out {
        Out(self.inner.maker_fee)
    }
    #[getter]
    fn carry(&self) -> Out {
        Out(self.inner.carry)
    }
    #[getter]
    fn ref_notional(&self) -> Out {
        Out(self.inner.ref_notional)
    }
    #[getter]
    fn cost(&self) -> Out {
        Out(self.inner.cost)
    }
    fn __repr__(&self) -> String {
        let l = &self.inner;
        format!(
            "HedgeLeg({}:{} {} {} = {} coins @ {}, cost {})",
            l.venue,
            l.symbol,
            l.side.name(),
            l.qty,
            l.coins,
            l.vwap,
            l.cost
        )
    }
}

/// A planned hedge: legs, totals and why anything is left (read-only).
#[pyclass(frozen, module = "pyengine._core", name = "HedgePlan")]
#[derive(Debug)]
pub struct PyHedgePlan {
    inner: Plan,
}

#[pymethods]
impl PyHedgePlan {
    #[getter]
    fn asset(&self) -> &str {
        &self.inner.asset
    }
    #[getter]
    fn side(&self) -> &'static str {
        self.inner.side.name()
    }
    #[getter]
    fn target_coins(&self) -> Out {
        Out(self.inner.target_coins)
    }
    #[getter]
    fn legs(&self) -> Vec<PyHedgeLeg> {
        self.inner
            .legs
            .iter()
            .map(|l| PyHedgeLeg { inner: l.clone() })
            .collect()
    }
    #[getter]
    fn filled_coins(&self) -> Out {
        Out(self.inner.filled_coins)
    }
    #[getter]
    fn residual_coins(&self) -> Out {
        Out(self.inner.residual_coins)
    }
    #[getter]
    fn shortfall(&self) -> Option<&'static str> {
        self.inner.shortfall.map(|s| s.name())
    }
    #[getter]
    fn gross(&self) -> Out {
        Out(self.inner.gross)
    }
    #[getter]
    fn fee(&self) -> Out {
        Out(self.inner.fee)
    }
    #[getter]
    fn carry(&self) -> Out {
        Out(self.inner.carry)
    }
    #[getter]
    fn cost(&self) -> Out {
        Out(self.inner.cost)
    }
    #[getter]
    fn vwap(&self) -> Option<Out> {
        self.inner.vwap.map(Out)
    }
    #[getter]
    fn stops(&self) -> Vec<(String, String, &'static str)> {
        self.inner
            .stops
            .iter()
            .map(|(v, s, w)| (v.clone(), s.clone(), w.name()))
            .collect()
    }
    fn __repr__(&self) -> String {
        let p = &self.inner;
        format!(
            "HedgePlan({} {} {}: {} legs, filled {}, residual {}, cost {})",
            p.asset,
            p.side.name(),
            p.target_coins,
            p.legs.len(),
            p.filled_coins,
            p.residual_coins,
            p.cost
        )
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyHedgeLeg>()?;
    m.add_class::<PyHedgePlan>()?;
    m.add_function(wrap_pyfunction!(plan_hedge, m)?)?;
    Ok(())
}
