//! The response side of the engine: restoring one exchange's surrogates in what comes back.
//!
//! - [`Pairs`]: an exchange's `(surrogate, original)` pairs in one buffer.
//! - [`SurrogateIndex`]: the exchange's `(surrogate, original)` pairs and glue prefixes, built
//!   once per exchange and shared (`Arc`) by every stream of its response;
//!   [`SurrogateIndex::json_escaped`] for JSON bodies read as raw text.
//! - [`StreamUnmasker`]: restores surrogates in a byte stream, holding back only a tail that
//!   could still be the start of a surrogate. Its output never depends on how the input was cut.
//!   Each step's output is a [`Restored`] plan, written once into the buffer the caller gives.
//! - [`SseUnmasker`]: an Anthropic Messages event stream, restored per content block across
//!   event boundaries; every other byte passes unchanged.
//! - [`JsonReplyUnmasker`]: a whole JSON reply, its strings restored one by one in their escaped
//!   form, its opaque fields (signatures, encrypted content, server-tool blocks, ids) unchanged.
//!
//! Only surrogates issued for this exchange are restored (DESIGN invariants 5 and 6), and only
//! where one stands on its own, or, [`GLUE_SAFE`] bytes or more, glued to letters or digits on
//! one side (on its left only right after a recorded glue prefix such as `AKIA`).
//!
//! # Design: a hash index by anchor run, not Aho-Corasick
//!
//! Each surrogate is found by one run of letters and digits inside it (its *anchor*: keyed
//! random bytes). The text's letters and digits become a bit mask (eight bytes at a time), runs
//! are read off the mask a word at a time (each bound one `trailing_zeros`), and a run is read
//! as its first and last eight bytes and its length, spread by one multiply; it is hashed and
//! looked up only when its length is an anchor's and the top 16 bits of that spread are in the
//! anchors' 8 KB filter; each hit is then compared byte for byte. Building is one hash and one
//! table insert per surrogate, with no
//! automaton to compile per exchange; scanning costs one pass over the bytes and a table load
//! per run, whatever the number of surrogates. An Aho-Corasick automaton over 5,000 surrogates
//! costs milliseconds to build (and most surrogates share prefixes such as `i-0`, which blunts
//! its prefilter), and its matches would still need the run and boundary rules checked one by
//! one; the anchor rule is also what defines where a surrogate may be found (a run that must be
//! exactly its anchor, or, for glued ones, end or start a longer run), so indexing by it states
//! the rule directly. Holding back a tail is a binary search among the sorted surrogates for
//! each of the last `longest` offsets that a two-byte prefix filter lets through.
//!
//! JSON-escaped text ([`SurrogateIndex::json_escaped`]) is read with the bytes of an escape
//! (`n` of `\n`, `u001b` of `\u001b`) as separators: a surrogate right after `\n` or `\t`
//! stands on its own there as it does in the decoded text, and an escape's letter is never
//! taken for the start of a surrogate. A letter that follows a literal backslash (`\n` in the
//! decoded text, `\\n` in a JSON string, at any depth of JSON inside JSON) is read as the
//! masker reads it: the end of an escape (`n`, `r`, `t`, `b`, `f`, `u` and four hex digits),
//! a separator, so a surrogate right after it is restored where its original was masked.

mod anthropic;
mod index;
mod json;
mod pairs;
mod partial_json;
mod reply;
mod stream;

#[cfg(test)]
mod bench;
#[cfg(test)]
mod tests;

pub use crate::sse::SseError;
pub use anthropic::SseUnmasker;
pub use index::{SurrogateIndex, GLUE_KEY, GLUE_SAFE, SHORT_ANCHOR};
pub use pairs::Pairs;
pub use partial_json::PartialJsonUnmasker;
pub use reply::JsonReplyUnmasker;
pub use stream::{Restored, StreamUnmasker};
