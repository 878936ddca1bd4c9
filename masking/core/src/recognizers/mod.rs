//! The built-in recognizer families and the catalog of types they emit.
//!
//! Each family module exposes `CATEGORY`, `TYPES` (its catalog rows) and `recognizers()` (its
//! recognizers in priority order); `printed` (secrets a command prints bare) and `connections`
//! (what a database URL names) have recognizers only, for types of other families. Order across
//! families decides which recognizer wins when two match at the same offset: the more specific
//! first (network, secrets, AWS, Kubernetes, Git, people, connections, names), the generic
//! key-based secrets rule last. `query_columns`, `name_value`, `domains`, `served`,
//! `inventories`, `profiles` and `parameters` hold rules of the names family (`names::recognizers()` places
//! them); `base` and `tool_calls` are helpers the families share.

pub mod aws;
pub mod base;
pub mod connections;
pub mod domains;
pub mod examples;
pub mod git;
pub mod inventories;
pub mod kubernetes;
pub mod lines;
pub mod name_value;
pub mod names;
pub mod network;
pub mod parameters;
pub mod people;
pub mod printed;
pub mod profiles;
pub mod query_columns;
pub mod secrets;
pub mod served;
pub mod tool_calls;
pub mod user;

use base::{Recognizer, TypeInfo};

/// Every built-in type with its category, in family order.
pub fn catalog() -> Vec<(&'static str, TypeInfo)> {
    let mut out: Vec<(&'static str, TypeInfo)> = Vec::new();
    for (cat, types) in [
        (network::CATEGORY, network::TYPES),
        (secrets::CATEGORY, secrets::TYPES),
        (aws::CATEGORY, aws::TYPES),
        (kubernetes::CATEGORY, kubernetes::TYPES),
        (git::CATEGORY, git::TYPES),
        (people::CATEGORY, people::TYPES),
        (names::CATEGORY, names::TYPES),
        (user::CATEGORY, user::TYPES),
    ] {
        for t in types {
            if !out.iter().any(|(_, o)| o.name == t.name) {
                out.push((cat, *t));
            }
        }
    }
    out
}

/// The built-in recognizers in priority order; secrets' key-based rule goes last.
pub fn builtin() -> Vec<Recognizer> {
    let mut all: Vec<Recognizer> = Vec::new();
    all.extend(network::recognizers());
    let secrets = secrets::recognizers();
    all.extend(secrets.iter().filter(|r| r.name != "secrets.keys").cloned());
    all.extend(printed::recognizers());
    all.extend(aws::recognizers());
    all.extend(kubernetes::recognizers());
    all.extend(git::recognizers());
    all.extend(people::recognizers());
    all.extend(connections::recognizers());
    all.extend(names::recognizers());
    all.extend(secrets.into_iter().filter(|r| r.name == "secrets.keys"));
    all
}
