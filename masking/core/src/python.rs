//! The Python bindings: the `masking._core` extension module. `masking/engine.py` is the only
//! Python code that uses it directly.

use std::sync::{Arc, Mutex, OnceLock};

use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyValueError};
use pyo3::prelude::*;
use pyo3::exceptions::PyTypeError;
use pyo3::types::{PyBytes, PyTuple};

use crate::engine::{self, BodyKind, Refusal, Rules};
use crate::recognizers;
use crate::scanner::{Filter, Scanner};
use crate::unmask::{JsonReplyUnmasker, Pairs, Restored, SseUnmasker, StreamUnmasker, SurrogateIndex};

create_exception!(_core, Refused, PyException, "A body the engine will not let through: args are (status, error_type, message).");
create_exception!(_core, RulesError, PyException, "The user's rules cannot be compiled; the message says which rule and why.");

fn refused(r: Refusal) -> PyErr {
    Refused::new_err((r.status, r.error_type, r.message))
}

fn kind(name: &str) -> PyResult<BodyKind> {
    match name {
        "text" => Ok(BodyKind::Text),
        "json" => Ok(BodyKind::Json),
        "messages" => Ok(BodyKind::Messages),
        _ => Err(PyValueError::new_err(format!("unknown body kind {name:?}"))),
    }
}

/// What `Engine.mask` returns: the masked body, `(type, count)` pairs and the exchange's map.
type MaskResult<'py> = (Bound<'py, PyBytes>, Vec<(&'static str, usize)>, PyMap);

/// Compiled rules, the key and the known values, shared by every exchange.
#[pyclass(frozen, name = "Engine")]
struct PyEngine {
    inner: Arc<engine::Engine>,
}

#[pymethods]
impl PyEngine {
    #[new]
    #[allow(clippy::too_many_arguments)]
    fn new(
        key: &[u8],
        terms: Vec<String>,
        regexes: Vec<(String, String)>,
        allowlist: Vec<String>,
        disabled: Vec<String>,
        known_values: usize,
        known_bytes: usize,
    ) -> PyResult<Self> {
        let rules = Rules { terms, regexes, allowlist, disabled, known_values, known_bytes };
        let inner = engine::Engine::new(key, &rules).map_err(RulesError::new_err)?;
        Ok(PyEngine { inner: Arc::new(inner) })
    }

    /// Mask a whole body: `(masked body, [(type, count)], map)`; raises Refused.
    fn mask<'py>(
        &self,
        py: Python<'py>,
        body: &[u8],
        kind_name: &str,
    ) -> PyResult<MaskResult<'py>> {
        let k = kind(kind_name)?;
        let inner = self.inner.clone();
        let masked = py.allow_threads(|| inner.mask(body, k)).map_err(refused)?;
        let counts = masked.counts.iter().map(|(t, n)| (*t, *n)).collect();
        let bytes = masked.pairs.iter().map(|(s, o)| s.len() + o.len()).sum();
        let mut pairs = Pairs::with_capacity(masked.pairs.len(), bytes);
        for (s, o) in &masked.pairs {
            pairs.push(s, o);
        }
        let map = PyMap { pairs: Arc::new(pairs), glue: Arc::new(masked.glue), index: Mutex::new(None) };
        Ok((PyBytes::new(py, &masked.body), counts, map))
    }

    /// What `mask` would replace: `[(start, end, type, shape)]`; raises Refused.
    fn scan(&self, py: Python<'_>, body: &[u8], kind_name: &str) -> PyResult<Vec<(usize, usize, &'static str, &'static str)>> {
        let k = kind(kind_name)?;
        let inner = self.inner.clone();
        let found = py.allow_threads(|| inner.scan(body, k)).map_err(refused)?;
        Ok(found.into_iter().map(|f| (f.start, f.end, f.rtype, f.shape.name())).collect())
    }

    /// `(values remembered, bytes they take)`.
    fn known_stats(&self) -> (usize, usize) {
        self.inner.known_stats()
    }
}

/// One exchange's map: what its response may restore.
#[pyclass(frozen, name = "ExchangeMap")]
struct PyMap {
    pairs: Arc<Pairs>,
    glue: Arc<Vec<Vec<u8>>>,
    index: Mutex<Option<Arc<SurrogateIndex>>>,
}

impl PyMap {
    fn index(&self) -> Arc<SurrogateIndex> {
        let mut slot = self.index.lock().unwrap_or_else(|e| e.into_inner());
        slot.get_or_insert_with(|| Arc::new(SurrogateIndex::of_pairs(&self.pairs, &self.glue))).clone()
    }
}

#[pymethods]
impl PyMap {
    /// A map from saved pairs (the CLI's `unmask --map`): an iterable of `(bytes, bytes)`
    /// tuples, each read in place and copied whole into one buffer (extracting a `Vec<u8>` from
    /// `bytes` would go byte by byte, and one allocation per value costs more than the copy).
    #[staticmethod]
    fn from_pairs(pairs: &Bound<'_, PyAny>, glue: Vec<Bound<'_, PyBytes>>) -> PyResult<Self> {
        let mut all = Pairs::with_capacity(pairs.len().unwrap_or(0), 0);
        for item in pairs.try_iter()? {
            let item = item?;
            let pair = item.downcast::<PyTuple>()?;
            if pair.len() != 2 {
                return Err(PyTypeError::new_err("a pair is a tuple of two bytes objects"));
            }
            let (s, o) = (pair.get_borrowed_item(0)?, pair.get_borrowed_item(1)?);
            all.push(s.downcast::<PyBytes>()?.as_bytes(), o.downcast::<PyBytes>()?.as_bytes());
        }
        let glue = glue.iter().map(|g| g.as_bytes().to_vec()).collect();
        Ok(PyMap { pairs: Arc::new(all), glue: Arc::new(glue), index: Mutex::new(None) })
    }

    fn __len__(&self) -> usize {
        self.pairs.len()
    }

    fn pairs<'py>(&self, py: Python<'py>) -> Vec<(Bound<'py, PyBytes>, Bound<'py, PyBytes>)> {
        self.pairs.iter().map(|(s, o)| (PyBytes::new(py, s), PyBytes::new(py, o))).collect()
    }

    fn glue<'py>(&self, py: Python<'py>) -> Vec<Bound<'py, PyBytes>> {
        self.glue.iter().map(|g| PyBytes::new(py, g)).collect()
    }

    /// Build the reply index now (while the request is on its way) rather than when the
    /// first reply bytes wait.
    fn prepare(&self, py: Python<'_>) {
        py.allow_threads(|| {
            self.index();
        });
    }

    /// An unmasker for a response body: `kind` is `sse`, `json` or `text`.
    fn unmasker(&self, kind_name: &str, max_event_bytes: usize) -> PyResult<PyUnmasker> {
        let index = self.index();
        let inner = match kind_name {
            "sse" => Unmask::Sse(SseUnmasker::new(index, max_event_bytes)),
            "json" => Unmask::Json(JsonReplyUnmasker::new(&index)),
            "text" => Unmask::Stream(StreamUnmasker::new(index)),
            _ => return Err(PyValueError::new_err(format!("unknown response kind {kind_name:?}"))),
        };
        Ok(PyUnmasker { inner: Mutex::new(inner) })
    }
}

enum Unmask {
    Stream(StreamUnmasker),
    Json(JsonReplyUnmasker),
    Sse(SseUnmasker),
}

/// Restores one response as it streams.
#[pyclass(frozen, name = "Unmasker")]
struct PyUnmasker {
    inner: Mutex<Unmask>,
}

#[pymethods]
impl PyUnmasker {
    fn feed<'py>(&self, py: Python<'py>, data: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
        let mut u = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let out = match &mut *u {
            Unmask::Stream(s) => return s.feed_into(data, |out| restored_bytes(py, out)),
            Unmask::Json(s) => s.feed(data),
            Unmask::Sse(s) => s.feed(data).map_err(|e| Refused::new_err((502u16, "api_error", e.to_string())))?,
        };
        Ok(PyBytes::new(py, &out))
    }

    fn finish<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let mut u = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let out = match &mut *u {
            Unmask::Stream(s) => return s.finish_into(|out| restored_bytes(py, out)),
            Unmask::Json(s) => s.finish(),
            Unmask::Sse(s) => s.finish().map_err(|e| Refused::new_err((502u16, "api_error", e.to_string())))?,
        };
        Ok(PyBytes::new(py, &out))
    }

    fn restored(&self) -> usize {
        let u = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        match &*u {
            Unmask::Stream(s) => s.restored(),
            Unmask::Json(s) => s.restored(),
            Unmask::Sse(s) => s.restored(),
        }
    }
}

/// A text stream's output written straight into the `bytes` object returned (no copy in
/// between: a megabyte reply is copied once).
fn restored_bytes<'py>(py: Python<'py>, out: &Restored<'_>) -> PyResult<Bound<'py, PyBytes>> {
    PyBytes::new_with(py, out.len(), |buf| {
        out.write_to(buf);
        Ok(())
    })
}

fn builtin_scanner() -> &'static Scanner {
    static SCANNER: OnceLock<Scanner> = OnceLock::new();
    SCANNER.get_or_init(|| Scanner::new(recognizers::builtin(), Filter::default()).expect("built-in patterns compile"))
}

/// The built-in recognizers alone over `data` whole: `[(start, end, type, shape)]` (no known
/// values, no JSON layout: what the rule table finds by format and context).
#[pyfunction]
fn scan(data: &[u8]) -> Vec<(usize, usize, &'static str, &'static str)> {
    builtin_scanner().scan(data).into_iter().map(|f| (f.start, f.end, f.rtype, f.shape.name())).collect()
}

/// Every built-in type: `[(name, category, shape, description, context kinds)]`; the context
/// kinds are what a value of the type is recognized by (`format`, `field`, `flag`, …).
#[pyfunction]
fn catalog() -> Vec<(&'static str, &'static str, &'static str, &'static str, Vec<&'static str>)> {
    recognizers::catalog()
        .into_iter()
        .map(|(cat, t)| {
            let kinds = recognizers::examples::context_kinds(t.name).iter().map(|k| k.name()).collect();
            (t.name, cat, t.shape.name(), t.description, kinds)
        })
        .collect()
}

/// Compile a user regex as the engine does: raises ValueError when it is invalid.
#[pyfunction]
fn check_pattern(pattern: &str) -> PyResult<()> {
    crate::scanner::check_pattern(pattern).map_err(PyValueError::new_err)
}

/// Whether a pattern matches the empty string (such a user regex is refused).
#[pyfunction]
fn matches_empty(pattern: &str) -> PyResult<bool> {
    let rx = regex::bytes::RegexBuilder::new(pattern)
        .unicode(false)
        .build()
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    Ok(rx.is_match(b""))
}

/// `/v1/messages` and `/v1/messages/count_tokens` (query string ignored).
#[pyfunction]
fn is_messages_endpoint(path: &[u8]) -> bool {
    crate::anthropic::is_messages_endpoint(path)
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("Refused", m.py().get_type::<Refused>())?;
    m.add("RulesError", m.py().get_type::<RulesError>())?;
    m.add_class::<PyEngine>()?;
    m.add_class::<PyMap>()?;
    m.add_class::<PyUnmasker>()?;
    m.add_function(wrap_pyfunction!(scan, m)?)?;
    m.add_function(wrap_pyfunction!(catalog, m)?)?;
    m.add_function(wrap_pyfunction!(check_pattern, m)?)?;
    m.add_function(wrap_pyfunction!(is_messages_endpoint, m)?)?;
    m.add_function(wrap_pyfunction!(matches_empty, m)?)?;
    Ok(())
}
