//! The Python bindings: the `masking._core` extension module.

use std::sync::OnceLock;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::recognizers;
use crate::scanner::{Filter, Scanner};

fn builtin_scanner() -> &'static Scanner {
    static SCANNER: OnceLock<Scanner> = OnceLock::new();
    SCANNER.get_or_init(|| Scanner::new(recognizers::builtin(), Filter::default()).expect("built-in patterns compile"))
}

/// Recognize `data` whole with the built-in rules: `[(start, end, type, shape), ...]`.
#[pyfunction]
fn scan(data: &Bound<'_, PyBytes>) -> Vec<(usize, usize, &'static str, &'static str)> {
    builtin_scanner()
        .scan(data.as_bytes())
        .into_iter()
        .map(|f| (f.start, f.end, f.rtype, f.shape.name()))
        .collect()
}

/// Every built-in type: `[(name, category, shape, description), ...]`.
#[pyfunction]
fn catalog() -> Vec<(&'static str, &'static str, &'static str, &'static str)> {
    recognizers::catalog()
        .into_iter()
        .map(|(cat, t)| (t.name, cat, t.shape.name(), t.description))
        .collect()
}

/// Compile a user regex as the engine does: raises ValueError when it is invalid.
#[pyfunction]
fn check_pattern(pattern: &str) -> PyResult<()> {
    crate::scanner::check_pattern(pattern).map_err(PyValueError::new_err)
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(scan, m)?)?;
    m.add_function(wrap_pyfunction!(catalog, m)?)?;
    m.add_function(wrap_pyfunction!(check_pattern, m)?)?;
    Ok(())
}
