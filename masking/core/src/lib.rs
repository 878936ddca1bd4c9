//! maskcore: the masking engine's native core.
//!
//! Sans-io like the rest of `masking/`: bytes in, bytes out. Recognizers find sensitive values
//! in raw bytes (`recognizers`, `scanner`); the Python module `masking._core` exposes it.

pub mod anthropic;
pub mod finding;
pub mod json;
pub mod recognizers;
pub mod scanner;
pub mod sse;
pub mod unmask;

mod python;
pub mod anthropic;
pub mod engine;
pub mod json;
pub mod known;
pub mod surrogate;
pub mod unmask;
