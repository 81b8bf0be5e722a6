//! Exact numbers across the boundary: `Decimal`, `int` or `str` in, `Decimal` out.
//!
//! Text is read with the crate's allocation-free parser ([`Fixed::parse_ascii`]) and only
//! falls back to the general `Money` parser (exponents past 18 decimals, 28 digits) when
//! that refuses it; an `int` is read as an integer; a `Decimal` goes through `str()`
//! (the one costly case, ~0.1 us). A `float` is refused because it is not exact.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyFloat, PyInt, PyString, PyType};

use crate::contracts::{parse_money, Money};
use crate::decimal::Fixed;
use crate::python::errors::InvalidDecimal;

static DECIMAL: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// A Python `Decimal`, `int` or `str` as exact [`Money`].
pub(crate) fn dec_in(obj: &Bound<'_, PyAny>) -> PyResult<Money> {
    if let Ok(s) = obj.cast::<PyString>() {
        return text_in(s.to_str()?);
    }
    if obj.is_instance_of::<PyInt>() && !obj.is_instance_of::<PyBool>() {
        if let Ok(v) = obj.extract::<i64>() {
            return Ok(Money::from(v));
        }
    }
    if obj.is_instance_of::<PyFloat>() {
        return Err(InvalidDecimal::new_err(format!(
            "float {obj} is not exact: pass a Decimal, int or str"
        )));
    }
    if obj.is_instance_of::<PyBool>() {
        return Err(InvalidDecimal::new_err(format!(
            "bool {obj} is not an amount: pass a Decimal, int or str"
        )));
    }
    text_in(obj.str()?.to_str()?)
}

/// Decimal text as exact [`Money`].
pub(crate) fn text_in(t: &str) -> PyResult<Money> {
    if let Some(f) = Fixed::parse_ascii(t.as_bytes()) {
        return Ok(Money::new(f.mantissa, u32::from(f.scale)));
    }
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
