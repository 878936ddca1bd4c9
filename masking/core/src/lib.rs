//! maskcore: the masking engine's native core.
//!
//! Sans-io like the rest of `masking/`: bytes in, bytes out. Recognizers find sensitive values
//! in raw bytes (`recognizers`, `scanner`); the Python module `masking._core` exposes it.

pub mod finding;
pub mod known;
pub mod recognizers;
pub mod scanner;
pub mod surrogate;

mod python;
