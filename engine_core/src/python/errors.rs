//! The one place where Rust error enums become typed Python exceptions.
//!
//! Every exception derives from `EngineError` (itself a `ValueError`, since all of them
//! mean "the input was wrong"), so callers can catch one family or one case.

use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::decimal::DecimalError;
use crate::venues::VenueError;

create_exception!(
    _core,
    EngineError,
    PyValueError,
    "Base class of every engine_core error."
);
create_exception!(
    _core,
    InvalidDecimal,
    EngineError,
    "Text that is not an exact decimal."
);
create_exception!(
    _core,
    VenueMessageError,
    EngineError,
    "A venue message that cannot be used."
);
create_exception!(
    _core,
    UnknownVenue,
    EngineError,
    "A venue name the engine does not know."
);
create_exception!(
    _core,
    UnknownInstrument,
    EngineError,
    "An instrument with no book here."
);
create_exception!(
    _core,
    ContractMathError,
    EngineError,
    "Contract math refused its input (zero price, overflow, bad route)."
);
create_exception!(
    _core,
    InstrumentSpecError,
    EngineError,
    "An instrument message that cannot become a spec."
);
create_exception!(
    _core,
    RiskConfigError,
    EngineError,
    "A limits table or risk-state update that cannot be used."
);

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("EngineError", py.get_type::<EngineError>())?;
    m.add("InvalidDecimal", py.get_type::<InvalidDecimal>())?;
    m.add("VenueMessageError", py.get_type::<VenueMessageError>())?;
    m.add("UnknownVenue", py.get_type::<UnknownVenue>())?;
    m.add("UnknownInstrument", py.get_type::<UnknownInstrument>())?;
    m.add("ContractMathError", py.get_type::<ContractMathError>())?;
    m.add("InstrumentSpecError", py.get_type::<InstrumentSpecError>())?;
    m.add("RiskConfigError", py.get_type::<RiskConfigError>())?;
    Ok(())
}

pub(crate) fn decimal_err(e: DecimalError) -> PyErr {
    InvalidDecimal::new_err(e.to_string())
}

pub(crate) fn venue_err(e: VenueError) -> PyErr {
    VenueMessageError::new_err(e.to_string())
}

pub(crate) fn contract_err(e: crate::contracts::ContractError) -> PyErr {
    ContractMathError::new_err(e.to_string())
}

pub(crate) fn spec_err(e: crate::contracts::loaders::SpecError) -> PyErr {
    InstrumentSpecError::new_err(e.to_string())
}

pub(crate) fn risk_err(e: crate::risk::RiskError) -> PyErr {
    use crate::risk::RiskError;
    match e {
        RiskError::UnknownInstrument(_) => UnknownInstrument::new_err(e.to_string()),
        RiskError::Contract(c) => contract_err(c),
        other => RiskConfigError::new_err(other.to_string()),
    }
}
