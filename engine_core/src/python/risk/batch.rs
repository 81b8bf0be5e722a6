//! `BatchVerdicts`: the verdicts of one `check_batch` call, kept in Rust.
//!
//! A batch answers "which orders may go, and why not the others" without building one
//! Python object per order: `approved` and `refused` are plain lists, and a `Verdict`
//! object is made only for the order that is indexed (the approved one is shared).

use pyo3::exceptions::PyIndexError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyList;

use super::PyVerdict;
use crate::risk::{Refusal, Verdict};

static APPROVED: PyOnceLock<Py<PyVerdict>> = PyOnceLock::new();

/// The shared approved `Verdict`.
pub(super) fn approved(py: Python<'_>) -> PyResult<Py<PyVerdict>> {
    APPROVED
        .get_or_try_init(py, || {
            Py::new(
                py,
                PyVerdict {
                    inner: Verdict::default(),
                },
            )
        })
        .map(|v| v.clone_ref(py))
}

/// A `Verdict` object for `v` (the shared one when approved).
pub(super) fn verdict(py: Python<'_>, v: &Verdict) -> PyResult<Py<PyVerdict>> {
    if v.approved() {
        return approved(py);
    }
    Py::new(py, PyVerdict { inner: v.clone() })
}

/// Verdicts of a batch, in order: `len`, indexing and iteration give `Verdict`s.
#[pyclass(frozen, module = "pyengine._core", name = "BatchVerdicts")]
#[derive(Debug)]
pub struct PyBatchVerdicts {
    verdicts: Vec<Verdict>,
}

impl PyBatchVerdicts {
    pub(super) fn new(verdicts: Vec<Verdict>) -> Self {
        PyBatchVerdicts { verdicts }
    }

    fn index(&self, i: isize) -> PyResult<&Verdict> {
        let n = self.verdicts.len() as isize;
        let k = if i < 0 { i + n } else { i };
        usize::try_from(k)
            .ok()
            .and_then(|k| self.verdicts.get(k))
            .ok_or_else(|| PyIndexError::new_err("batch index out of range"))
    }
}

#[pymethods]
impl PyBatchVerdicts {
    fn __len__(&self) -> usize {
        self.verdicts.len()
    }
    fn __getitem__(&self, py: Python<'_>, i: isize) -> PyResult<Py<PyVerdict>> {
        verdict(py, self.index(i)?)
    }
    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let all = self
            .verdicts
            .iter()
            .map(|v| verdict(py, v))
            .collect::<PyResult<Vec<_>>>()?;
        PyList::new(py, all)?.try_iter().map(Bound::into_any)
    }
    /// One bool per order.
    #[getter]
    fn approved(&self) -> Vec<bool> {
        self.verdicts.iter().map(Verdict::approved).collect()
    }
    /// True if every order was approved.
    #[getter]
    fn all_approved(&self) -> bool {
        self.verdicts.iter().all(Verdict::approved)
    }
    /// Indices of the refused orders.
    #[getter]
    fn refused(&self) -> Vec<usize> {
        (0..self.verdicts.len())
            .filter(|k| !self.verdicts[*k].approved())
            .collect()
    }
    /// Each order's refusal codes (empty when approved).
    #[getter]
    fn codes(&self) -> Vec<Vec<&'static str>> {
        self.verdicts
            .iter()
            .map(|v| v.reasons.iter().map(Refusal::code).collect())
            .collect()
    }
    fn __repr__(&self) -> String {
        let refused = self.verdicts.iter().filter(|v| !v.approved()).count();
        format!(
            "BatchVerdicts({} orders, {refused} refused)",
            self.verdicts.len()
        )
    }
}
