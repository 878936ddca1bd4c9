//! The response side of the engine: restoring one exchange's surrogates in what comes back.
//!
//! - [`SurrogateIndex`]: the exchange's `(surrogate, original)` pairs and glue prefixes, built
//!   once per exchange and shared (`Arc`) by every stream of its response;
//!   [`SurrogateIndex::json_escaped`] for JSON bodies read as raw text.
//! - [`StreamUnmasker`]: restores surrogates in a byte stream, holding back only a tail that
//!   could still be the start of a surrogate. Its output never depends on how the input was cut.
//! - [`SseUnmasker`]: an Anthropic Messages event stream, restored per content block across
//!   event boundaries; every other byte passes unchanged.
//!
//! Only surrogates issued for this exchange are restored (DESIGN invariants 5 and 6), and only
//! where one stands on its own, or, [`GLUE_SAFE`] bytes or more, glued to letters or digits on
//! one side (on its left only right after a recorded glue prefix such as `AKIA`).
//!
//! # Design: a hash index by anchor run, not Aho-Corasick
//!
//! Each surrogate is found by one run of letters and digits inside it (its *anchor*: keyed
//! random bytes), so the text is split into runs and a run is looked up by hash only when its
//! length is that of some anchor; each hit is then compared byte for byte. Building is one hash
//! and one table insert per surrogate (well under a millisecond for 5,000), with no automaton
//! to compile per exchange; scanning costs one pass over the bytes plus a lookup per run of a
//! plausible length, whatever the number of surrogates. An Aho-Corasick automaton over 5,000
//! surrogates costs milliseconds to build, and its matches would still need the run and
//! boundary rules checked one by one; the anchor rule is also what defines where a surrogate
//! may be found (a run that must be exactly its anchor, or, for glued ones, end or start a
//! longer run), so indexing by it states the rule directly. Holding back a tail is a binary
//! search among the sorted surrogates for each of the last `longest` offsets.

mod anthropic;
mod index;
mod json;
mod partial_json;
mod stream;

#[cfg(test)]
mod bench;
#[cfg(test)]
mod tests;

pub use crate::sse::SseError;
pub use anthropic::SseUnmasker;
pub use index::{SurrogateIndex, GLUE_KEY, GLUE_SAFE, SHORT_ANCHOR};
pub use partial_json::PartialJsonUnmasker;
pub use stream::StreamUnmasker;
