//! Port in progress: see masking/recognizers/secrets.py.

use super::base::{Recognizer, TypeInfo};

pub const CATEGORY: &str = "secret";
pub const TYPES: &[TypeInfo] = &[];

pub fn recognizers() -> Vec<Recognizer> {
    Vec::new()
}
