//! [`JsonReplyUnmasker`]: restores a whole (non-streamed) JSON reply, leaving its opaque
//! fields byte for byte.
//!
//! The reply is read as a stream of JSON tokens, with no document built: bytes outside strings
//! pass as they come; each string is restored on its own in its escaped form
//! ([`SurrogateIndex::json_escaped`]) unless it is opaque. Opaque is what the request codec
//! leaves untouched ([`crate::anthropic::opaque_in_reply`]: a block of a signed or server type
//! such as `thinking`, a member of a typed object named `signature`, `data`, `id`, `*_id`,
//! `encrypted_*`, `citations`), and everything inside it; a block's `type` counts from where it
//! stands, as in the request codec (the API writes it first). Objects with no `type` (JSON that
//! is no Messages reply) have every string restored. Invalid JSON is not judged: its bytes
//! outside what reads as a string pass unchanged.

use std::sync::Arc;

use super::json::decode_into;
use super::{StreamUnmasker, SurrogateIndex};
use crate::anthropic::opaque_in_reply;

/// A key or `type` value longer than this is no name the table holds: it is not kept.
const NAME_LIMIT: usize = 64;

/// An open object or array.
struct Container {
    is_object: bool,
    /// Everything in it passes unchanged.
    opaque: bool,
    /// The object's `type` string, once read (decoded).
    block_type: Option<Vec<u8>>,
    /// The key of the member being read (decoded), when one is.
    key: Option<Vec<u8>>,
    /// An object: the next string is a key.
    expect_key: bool,
}

/// What the string being read is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum StringRole {
    Key,
    Value,
}

/// `feed(bytes) -> bytes`, `finish() -> bytes` over a JSON reply body: the outputs concatenate
/// to the body with surrogates restored in its strings that are not opaque, whatever the cuts.
pub struct JsonReplyUnmasker {
    text: StreamUnmasker,
    stack: Vec<Container>,
    /// Inside a string: its role and whether it is restored.
    string: Option<(StringRole, bool)>,
    /// Inside a string: the last byte was a backslash that escapes the next one.
    escaped_byte: bool,
    /// The raw bytes of a key or of a `type` value being read (up to [`NAME_LIMIT`]).
    name: Vec<u8>,
    name_wanted: bool,
}

impl JsonReplyUnmasker {
    /// An unmasker with `index` (in its decoded form; the escaped one is built here).
    pub fn new(index: &SurrogateIndex) -> Self {
        JsonReplyUnmasker {
            text: StreamUnmasker::new(Arc::new(index.json_escaped())),
            stack: Vec::new(),
            string: None,
            escaped_byte: false,
            name: Vec::new(),
            name_wanted: false,
        }
    }

    /// How many surrogates it has restored.
    pub fn restored(&self) -> usize {
        self.text.restored()
    }

    /// Restores what is decided in `data`.
    pub fn feed(&mut self, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(data.len() + 16);
        let mut i = 0;
        while i < data.len() {
            if let Some((role, restore)) = self.string {
                let end = self.string_end(&data[i..]);
                let body = &data[i..i + end.unwrap_or(data.len() - i)];
                if self.name_wanted && self.name.len() + body.len() <= NAME_LIMIT {
                    self.name.extend_from_slice(body);
                } else {
                    self.name_wanted = false;
                }
                if restore {
                    self.text.feed_into(body, |r| r.append_to(&mut out));
                } else {
                    out.extend_from_slice(body);
                }
                i += body.len();
                if end.is_some() {
                    if restore {
                        self.text.finish_into(|r| r.append_to(&mut out));
                    }
                    out.push(b'"');
                    i += 1;
                    self.string = None;
                    self.string_closed(role);
                }
                continue;
            }
            let b = data[i];
            out.push(b);
            i += 1;
            match b {
                b'"' => self.string_opened(),
                b'{' | b'[' => self.container_opened(b == b'{'),
                b'}' | b']' => {
                    self.stack.pop();
                }
                b':' | b' ' | b'\t' | b'\n' | b'\r' => {}
                b',' => {
                    if let Some(top) = self.stack.last_mut() {
                        if top.is_object {
                            top.expect_key = true;
                            top.key = None;
                        }
                    }
                }
                _ => {} // a number, true, false, null: passes
            }
        }
        out
    }

    /// The rest: whatever a string still held (an unterminated body ends as it came).
    pub fn finish(&mut self) -> Vec<u8> {
        let out = self.text.finish();
        self.stack.clear();
        self.string = None;
        self.escaped_byte = false;
        out
    }

    /// The offset of the closing quote of the string being read, if it is in `rest`.
    fn string_end(&mut self, rest: &[u8]) -> Option<usize> {
        for (k, &c) in rest.iter().enumerate() {
            if self.escaped_byte {
                self.escaped_byte = false;
            } else if c == b'\\' {
                self.escaped_byte = true;
            } else if c == b'"' {
                return Some(k);
            }
        }
        None
    }

    /// Whether a value starting here (in the container on top) is opaque.
    fn value_opaque(&self) -> bool {
        let depth = self.stack.len();
        match self.stack.last() {
            None => false,
            Some(top) if top.opaque => true,
            Some(top) => {
                top.is_object
                    && opaque_in_reply(
                        depth == 1,
                        top.block_type.as_deref(),
                        top.key.as_deref().unwrap_or(b""),
                    )
            }
        }
    }

    fn string_opened(&mut self) {
        let key = self
            .stack
            .last()
            .is_some_and(|top| top.is_object && top.expect_key);
        let (role, restore) = if key {
            // keys are restored where the object's values may be
            (
                StringRole::Key,
                !self.stack.last().is_some_and(|t| t.opaque),
            )
        } else {
            (StringRole::Value, !self.value_opaque())
        };
        let is_type = !key
            && self
                .stack
                .last()
                .is_some_and(|t| t.is_object && t.key.as_deref() == Some(b"type"));
        self.string = Some((role, restore));
        self.escaped_byte = false;
        self.name.clear();
        self.name_wanted = key || is_type;
    }

    fn string_closed(&mut self, role: StringRole) {
        let name = self.name_wanted.then(|| {
            let mut decoded = Vec::new();
            match decode_into(&self.name, &mut decoded) {
                Some(()) => decoded,
                None => self.name.clone(),
            }
        });
        self.name_wanted = false;
        let Some(top) = self.stack.last_mut() else {
            return;
        };
        match role {
            StringRole::Key => {
                top.key = Some(name.unwrap_or_default());
                top.expect_key = false;
            }
            StringRole::Value => {
                if top.is_object && top.key.as_deref() == Some(b"type") && top.block_type.is_none()
                {
                    top.block_type = name;
                }
            }
        }
    }

    fn container_opened(&mut self, is_object: bool) {
        let opaque = self.value_opaque();
        self.stack.push(Container {
            is_object,
            opaque,
            block_type: None,
            key: None,
            expect_key: is_object,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(pairs: &[(&[u8], &[u8])], chunks: &[&[u8]]) -> Vec<u8> {
        let pairs: Vec<(Vec<u8>, Vec<u8>)> = pairs
            .iter()
            .map(|(s, o)| (s.to_vec(), o.to_vec()))
            .collect();
        let mut un = JsonReplyUnmasker::new(&SurrogateIndex::new(&pairs, &[]));
        let mut out = Vec::new();
        for c in chunks {
            out.extend(un.feed(c));
        }
        out.extend(un.finish());
        out
    }

    const PAIRS: &[(&[u8], &[u8])] = &[(b"i-0feedfacecafe0001", b"i-0123456789abcdef0")];

    #[test]
    fn opaque_fields_pass_and_text_is_restored_whatever_the_cuts() {
        let body: &[u8] = br#"{"type":"message","id":"msg_i-0feedfacecafe0001","content":[{"type":"thinking","thinking":"i-0feedfacecafe0001","signature":"c2lni-0feedfacecafe0001"},{"type":"redacted_thinking","data":"x i-0feedfacecafe0001"},{"type":"text","text":"stopped \"i-0feedfacecafe0001\"\n","citations":[{"cited_text":"i-0feedfacecafe0001","encrypted_index":"i-0feedfacecafe0001"}]},{"type":"tool_use","id":"toolu_i-0feedfacecafe0001","name":"Bash","input":{"command":"aws ec2 stop-instances --instance-ids i-0feedfacecafe0001","n":[1,"i-0feedfacecafe0001"]}},{"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{"query":"i-0feedfacecafe0001"}},{"type":"web_search_tool_result","tool_use_id":"srvtoolu_1","content":[{"type":"web_search_result","encrypted_content":"i-0feedfacecafe0001","title":"i-0feedfacecafe0001"}]}],"usage":{"input_tokens":3}}"#;
        let want = String::from_utf8(body.to_vec())
            .unwrap()
            .replacen(
                "stopped \\\"i-0feedfacecafe0001",
                "stopped \\\"i-0123456789abcdef0",
                1,
            )
            .replacen(
                "instance-ids i-0feedfacecafe0001",
                "instance-ids i-0123456789abcdef0",
                1,
            )
            .replacen("[1,\"i-0feedfacecafe0001", "[1,\"i-0123456789abcdef0", 1)
            .into_bytes();
        assert_eq!(run(PAIRS, &[body]), want);
        for cut in 0..body.len() {
            assert_eq!(run(PAIRS, &[&body[..cut], &body[cut..]]), want, "cut {cut}");
        }
        let bytes: Vec<&[u8]> = body.chunks(1).collect();
        assert_eq!(run(PAIRS, &bytes), want);
    }

    #[test]
    fn untyped_json_has_every_string_restored_and_a_typed_object_its_opaque_members_kept() {
        let body: &[u8] = br#"[{"InstanceId":"i-0feedfacecafe0001","data":["i-0feedfacecafe0001"]},{"type":"x","signature":"i-0feedfacecafe0001"},"i-0feedfacecafe0001", 7, true]"#;
        let want: &[u8] = br#"[{"InstanceId":"i-0123456789abcdef0","data":["i-0123456789abcdef0"]},{"type":"x","signature":"i-0feedfacecafe0001"},"i-0123456789abcdef0", 7, true]"#;
        assert_eq!(run(PAIRS, &[body]), want);
        // not JSON: passes as it came outside what reads as strings
        assert_eq!(
            run(PAIRS, &[b"oops i-0feedfacecafe0001"]),
            b"oops i-0feedfacecafe0001"
        );
    }
}
