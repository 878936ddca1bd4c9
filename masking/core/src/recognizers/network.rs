//! Port in progress: see masking/recognizers/network.py.

use super::base::{Recognizer, TypeInfo};

pub const CATEGORY: &str = "network";
pub const TYPES: &[TypeInfo] = &[];

pub fn recognizers() -> Vec<Recognizer> {
    Vec::new()
}
