//! maskcore: the masking engine's native core.
//!
//! Sans-io like the rest of `masking/`: bytes in, bytes out. Recognizers find sensitive values
//! in raw bytes (`recognizers`, `scanner`); the JSON layout says which bytes are opaque (`json`,
//! `anthropic`); the engine recognizes a whole body, remembers what it found (`known`) and
//! replaces every occurrence with keyed surrogates (`engine`, `surrogate`); the response side
//! restores them as they stream (`unmask`, `sse`). The Python module `masking._core` exposes
//! it (`python`).

pub mod anthropic;
pub mod engine;
pub mod finding;
pub mod json;
pub mod nested;
pub mod known;
pub mod recognizers;
pub mod scanner;
pub mod sse;
pub mod surrogate;
pub mod unmask;

mod python;
#[cfg(test)]
mod testutil;
