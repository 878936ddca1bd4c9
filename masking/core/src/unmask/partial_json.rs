//! [`PartialJsonUnmasker`]: restores the strings of a JSON text that arrives in fragments (the
//! `partial_json` of a tool input).

use std::sync::Arc;

use super::json::{escape_into, push_code_point, read_escape};
use super::{StreamUnmasker, SurrogateIndex};

/// `feed(fragment) -> fragment`, `finish() -> rest` over the fragments of one JSON text.
///
/// String contents are decoded, restored as text, and re-escaped, so the concatenated output is
/// valid JSON with the originals in place, whatever escapes the model used and wherever the
/// fragments were cut. Outside strings every byte passes as it came. Each string is its own
/// text: a surrogate never spans two strings.
pub struct PartialJsonUnmasker {
    text: StreamUnmasker,
    in_string: bool,
    /// An escape cut by a fragment boundary (or a high surrogate waiting for its low half).
    pending: Vec<u8>,
}

impl PartialJsonUnmasker {
    pub fn new(index: Arc<SurrogateIndex>) -> Self {
        PartialJsonUnmasker {
            text: StreamUnmasker::new(index),
            in_string: false,
            pending: Vec::new(),
        }
    }

    pub fn restored(&self) -> usize {
        self.text.restored()
    }

    pub fn feed(&mut self, fragment: &[u8]) -> Vec<u8> {
        let joined;
        let text: &[u8] = if self.pending.is_empty() {
            fragment
        } else {
            let mut j = std::mem::take(&mut self.pending);
            j.extend_from_slice(fragment);
            joined = j;
            &joined
        };
        let n = text.len();
        let mut out = Vec::with_capacity(n + 8);
        let mut decoded = Vec::new();
        let mut i = 0;
        while i < n {
            if !self.in_string {
                let j = memchr::memchr(b'"', &text[i..]).map_or(n, |o| i + o);
                out.extend_from_slice(&text[i..j]);
                if j < n {
                    out.push(b'"');
                    self.in_string = true;
                    i = j + 1;
                } else {
                    i = j;
                }
                continue;
            }
            decoded.clear();
            let mut j = i;
            while j < n {
                let Some(off) = memchr::memchr2(b'"', b'\\', &text[j..]) else {
                    decoded.extend_from_slice(&text[j..]);
                    j = n;
                    break;
                };
                decoded.extend_from_slice(&text[j..j + off]);
                j += off;
                if text[j] == b'"' {
                    break;
                }
                if escape_prefix(&text[j..]) || high_surrogate_waiting(&text[j..]) {
                    self.pending = text[j..].to_vec(); // the rest of it is in the next fragment
                    j = n;
                    break;
                }
                match read_escape(&text[j..]) {
                    Some((taken, cp)) => {
                        push_code_point(cp, &mut decoded);
                        j += taken;
                    }
                    None => {
                        // not valid JSON: keep the backslash so the client sees what came
                        decoded.push(b'\\');
                        j += 1;
                    }
                }
            }
            if !decoded.is_empty() {
                escape_into(&self.text.feed(&decoded), &mut out);
            }
            if j < n {
                // the closing quote
                escape_into(&self.text.finish(), &mut out);
                out.push(b'"');
                self.in_string = false;
                j += 1;
            }
            i = j;
        }
        out
    }

    /// What is still held: the end of the current string, then any cut escape as it came.
    pub fn finish(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        escape_into(&self.text.finish(), &mut out);
        out.append(&mut self.pending);
        out
    }
}

/// Whether `rest` is only the start of an escape (`\`, `\u`, `\u` and up to three hex digits).
fn escape_prefix(rest: &[u8]) -> bool {
    rest.len() < 6
        && (rest.len() == 1 || (rest[1] == b'u' && rest[2..].iter().all(u8::is_ascii_hexdigit)))
}

/// Whether `rest` is a `\uD8xx`..`\uDBxx` escape whose low half may still arrive: it ends the
/// text, or only the start of an escape follows it.
fn high_surrogate_waiting(rest: &[u8]) -> bool {
    rest.len() >= 6
        && rest[1] == b'u'
        && matches!(rest[2], b'd' | b'D')
        && matches!(rest[3], b'8' | b'9' | b'a' | b'b' | b'A' | b'B')
        && rest[4..6].iter().all(u8::is_ascii_hexdigit)
        && (rest.len() == 6 || escape_prefix(&rest[6..]))
}
