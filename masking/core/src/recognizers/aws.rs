//! Port in progress: see masking/recognizers/aws.py.

use super::base::{Recognizer, TypeInfo};

pub const CATEGORY: &str = "aws";
pub const TYPES: &[TypeInfo] = &[];

pub fn recognizers() -> Vec<Recognizer> {
    Vec::new()
}
