//! The user's own rules: literal terms, internal domains (`*.corp.example.com`) and regexes.
//! Port in progress: see masking/recognizers/user.py.

use super::base::{Recognizer, Shape, TypeInfo};

pub const CATEGORY: &str = "user";
pub const TYPES: &[TypeInfo] = &[
    TypeInfo { name: "user_term", shape: Shape::Classwise, description: "a literal term from the config (company, project, customer names)" },
    TypeInfo { name: "user_domain", shape: Shape::Classwise, description: "a host under an internal domain from the config (*.corp.example.com)" },
];

/// Recognizers for the user's terms, domain globs and regexes (`(name, pattern)`).
pub fn build(_terms: &[String], _regexes: &[(String, String)]) -> Result<Vec<Recognizer>, String> {
    Ok(Vec::new())
}
