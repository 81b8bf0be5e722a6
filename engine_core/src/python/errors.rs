//! The one place where Rust error enums become typed Python exceptions.
//!
//! Every exception derives from `EngineError` (an `Exception`), so callers can catch
//! one family or one case, and each subclass also derives from its closest builtin, as
//! the Python errors do (`pyengine/errors.py`): bad input text or shapes are
//! `ValueError`s; a lookup of something absent (an instrument with no book or no
//! limits) is a `LookupError`. `ContractMathError` is a `ValueError` rather than an
//! `ArithmeticError`: nearly all its cases are refused inputs (a non-positive price, an
//! invalid planner candidate, a bad route), overflow being the one exception. An
//! unknown venue name is a `ValueError`, not a
//! `LookupError`: it is a bad argument (a constructor's closed set of names), not a
//! missing entry of a table the caller filled. Each domain error converts with `From`,
//! variant by variant, so a binding method ends its call with `?` and never picks a
//! class itself; bad enum text (a side, a payoff, an order tuple of the wrong shape)
//! goes through `args::choice` and raises `InvalidArgument`.
//!
//! `create_exception!` gives a class one base only, so the subclasses are made with
//! `type(name, (EngineError, builtin), ns)` on first use and kept for the interpreter.

use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyLookupError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple, PyType};

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
    PyException,
    "Base class of every engine_core error."
);

/// `type(name, (EngineError, builtin), {"__doc__": doc, "__module__": ...})`.
fn subclass(
    py: Python<'_>,
    name: &str,
    doc: &str,
    builtin: Bound<'_, PyType>,
) -> PyResult<Py<PyType>> {
    let root = py.get_type::<EngineError>();
    let ns = PyDict::new(py);
    ns.set_item("__doc__", doc)?;
    ns.set_item("__module__", root.getattr("__module__")?)?;
    let bases = PyTuple::new(py, [root, builtin])?;
    let ty = py.get_type::<PyType>().call1((name, bases, ns))?;
    Ok(ty.cast_into::<PyType>()?.unbind())
}

/// A subclass of `EngineError` and of a builtin, with `new_err` like
/// `create_exception!`'s.
macro_rules! native_error {
    ($name:ident, $builtin:ty, $doc:expr) => {
        #[doc = $doc]
        pub(crate) struct $name;

        impl $name {
            /// The class (made on first use).
            pub(crate) fn type_object(py: Python<'_>) -> PyResult<Bound<'_, PyType>> {
                static CELL: PyOnceLock<Py<PyType>> = PyOnceLock::new();
                CELL.get_or_try_init(py, || {
                    subclass(py, stringify!($name), $doc, py.get_type::<$builtin>())
                })
                .map(|t| t.bind(py).clone())
            }

            /// An error of this class with `msg`.
            pub(crate) fn new_err(msg: impl Into<String>) -> PyErr {
                let msg = msg.into();
                Python::attach(|py| match Self::type_object(py) {
                    Ok(ty) => PyErr::from_type(ty, msg),
                    Err(e) => e,
                })
            }
        }
    };
}

native_error!(
    InvalidArgument,
    PyValueError,
    "An argument outside its closed set of names or shapes (side, payoff, order tuple)."
);
native_error!(
    InvalidDecimal,
    PyValueError,
    "Text that is not an exact decimal."
);
native_error!(
    VenueMessageError,
    PyValueError,
    "A venue message that cannot be used."
);
native_error!(
    UnknownVenue,
    PyValueError,
    "A venue name the engine does not know."
);
native_error!(
    UnknownInstrument,
    PyLookupError,
    "An instrument with no book (or no limits) here."
);
native_error!(
    ContractMathError,
    PyValueError,
    "Contract math refused its input (zero price, overflow, bad route)."
);
native_error!(
    InstrumentSpecError,
    PyValueError,
    "An instrument message that cannot become a spec."
);
native_error!(
    RiskConfigError,
    PyValueError,
    "A limits table or risk-state update that cannot be used."
);

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("EngineError", py.get_type::<EngineError>())?;
    m.add("InvalidArgument", InvalidArgument::type_object(py)?)?;
    m.add("InvalidDecimal", InvalidDecimal::type_object(py)?)?;
    m.add("VenueMessageError", VenueMessageError::type_object(py)?)?;
    m.add("UnknownVenue", UnknownVenue::type_object(py)?)?;
    m.add("UnknownInstrument", UnknownInstrument::type_object(py)?)?;
    m.add("ContractMathError", ContractMathError::type_object(py)?)?;
    m.add("InstrumentSpecError", InstrumentSpecError::type_object(py)?)?;
    m.add("RiskConfigError", RiskConfigError::type_object(py)?)?;
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
