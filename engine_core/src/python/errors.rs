//! The one place where Rust error enums become typed Python exceptions.
//!
//! Every exception derives from `EngineError` (itself a `ValueError`, since all of them
//! mean "the input was wrong"), so callers can catch one family or one case. Each domain
//! error converts with `From`, variant by variant, so a binding method ends its call with
//! `?` and never picks a class itself; bad enum text (a side, a payoff, an order tuple of
//! the wrong shape) goes through `args::choice` and raises `InvalidArgument`.

use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::contracts::loaders::SpecError;
use crate::contracts::ContractError;
use crate::decimal::DecimalError;
use crate::planner::PlanError;
use crate::risk::RiskError;
use crate::venue::UnknownVenue as NoSuchVenue;
use crate::venues::VenueError;

create_exception!(
    _core,
    EngineError,
    PyValueError,
    "Base class of every engine_core error."
);
create_exception!(
    _core,
    InvalidArgument,
    EngineError,
    "An argument outside its closed set of names or shapes (side, payoff, order tuple)."
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
    m.add("InvalidArgument", py.get_type::<InvalidArgument>())?;
    m.add("InvalidDecimal", py.get_type::<InvalidDecimal>())?;
    m.add("VenueMessageError", py.get_type::<VenueMessageError>())?;
    m.add("UnknownVenue", py.get_type::<UnknownVenue>())?;
    m.add("UnknownInstrument", py.get_type::<UnknownInstrument>())?;
    m.add("ContractMathError", py.get_type::<ContractMathError>())?;
    m.add("InstrumentSpecError", py.get_type::<InstrumentSpecError>())?;
    m.add("RiskConfigError", py.get_type::<RiskConfigError>())?;
    Ok(())
}

impl From<PlanError> for PyErr {
    fn from(e: PlanError) -> Self {
        match e {
            PlanError::Invalid { .. } | PlanError::OutOfRange(_) => {
                ContractMathError::new_err(e.to_string())
            }
        }
    }
}

impl From<DecimalError> for PyErr {
    fn from(e: DecimalError) -> Self {
        match e {
            DecimalError::Syntax(_) | DecimalError::Overflow(_) | DecimalError::TooPrecise(_) => {
                InvalidDecimal::new_err(e.to_string())
            }
        }
    }
}

impl From<VenueError> for PyErr {
    fn from(e: VenueError) -> Self {
        match e {
            VenueError::Malformed(_)
            | VenueError::UnknownMessage(_)
            | VenueError::BadLevel(_)
            | VenueError::BadOption(_)
            | VenueError::Unsupported(_) => VenueMessageError::new_err(e.to_string()),
        }
    }
}

impl From<NoSuchVenue> for PyErr {
    fn from(e: NoSuchVenue) -> Self {
        UnknownVenue::new_err(e.to_string())
    }
}

impl From<ContractError> for PyErr {
    fn from(e: ContractError) -> Self {
        match e {
            ContractError::NotPositive(_)
            | ContractError::Overflow(_)
            | ContractError::Invalid { .. }
            | ContractError::Route(_) => ContractMathError::new_err(e.to_string()),
        }
    }
}

impl From<SpecError> for PyErr {
    fn from(e: SpecError) -> Self {
        match e {
            SpecError::Malformed { .. } | SpecError::Field { .. } => {
                InstrumentSpecError::new_err(e.to_string())
            }
        }
    }
}

impl From<RiskError> for PyErr {
    fn from(e: RiskError) -> Self {
        match e {
            RiskError::UnknownInstrument(_) => UnknownInstrument::new_err(e.to_string()),
            RiskError::Contract(c) => c.into(),
            RiskError::BadLimit { .. }
            | RiskError::DuplicateInstrument(_)
            | RiskError::Invalid { .. } => RiskConfigError::new_err(e.to_string()),
        }
    }
}
