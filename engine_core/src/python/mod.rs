//! PyO3 bindings: thin wrappers that convert plain data at the boundary and nothing else.
//!
//! Compiled only with the `python` feature; the module is imported as `pyengine._core`.

use pyo3::prelude::*;

mod args;
mod contracts;
mod errors;
mod feed;
mod feed_tops;
mod planner;
mod risk;

/// The private native module behind `pyengine`.
#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    errors::register(m)?;
    feed::register(m)?;
    contracts::register(m)?;
    risk::register(m)?;
    planner::register(m)?;
    Ok(())
}
