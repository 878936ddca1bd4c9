//! A JSON tokenizer that finds the byte ranges of a body that must pass byte for byte.
//!
//! The engine masks string contents in place and never re-serializes, so all it needs from the
//! JSON is a [`Layout`]: the raw byte ranges that are *opaque* (signed blocks, image data, ids,
//! the billing line). What is opaque is a [`Policy`]'s decision, made per value from its parent
//! container, the key it sits under and the container's `type` member; the tokenizer knows
//! nothing about any API. It validates the grammar strictly on the way (the same acceptance as
//! the Python `masking/json_tracker.py`), so a body that is not JSON fails closed at its first
//! bad byte with a [`JsonError`] that gives the offset and never quotes content.
//!
//! Classification is that of the Python tracker with one change: a JSON number is opaque only
//! when its policy says so (inside an opaque container or as an opaque field's value), so the
//! engine can mask an account id written as a number. Literals (`true`, `false`, `null`) are
//! opaque, as in Python.
//!
//! The body is parsed whole, iteratively, never on the call stack: nesting costs one bit per
//! level inside containers whose members all share one class ([`Policy::is_uniform`]: free
//! text, opaque content) and one 32-byte frame per level the policy classifies (a Messages body
//! spends at least six bytes of input on each). String contents are scanned eight bytes at a
//! time without allocating; the time goes to the body's bytes, not to its values.

/// The body is not valid JSON. `message` is fixed text: it never quotes the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    /// Byte offset of the first bad byte (the body's length when it ends early).
    pub offset: usize,
    pub message: &'static str,
}

impl std::fmt::Display for JsonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "invalid JSON at offset {}: {}",
            self.offset, self.message
        )
    }
}

impl std::error::Error for JsonError {}

/// Where a body's opaque bytes are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Layout {
    /// Sorted, non-overlapping half-open ranges `[start, end)` of raw bytes that must pass
    /// byte for byte: whole tokens (a string with its quotes, a container with its brackets).
    pub opaque: Vec<(usize, usize)>,
}

impl Layout {
    /// True when `[start, end)` lies inside one opaque range.
    pub fn opaque_within(&self, start: usize, end: usize) -> bool {
        let k = self.opaque.partition_point(|&(s, _)| s <= start);
        k > 0 && end <= self.opaque[k - 1].1
    }
}

/// What happens to a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Its strings may be masked.
    Mask,
    /// It passes byte for byte, whole.
    Opaque,
    /// A string that is opaque when its raw content starts with [`Policy::hold_prefix`] and
    /// masked otherwise (a container or number in this mode is masked).
    Hold,
}

/// A policy's name for a kind of container (what it holds: messages, a content block, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tag(pub u8);

/// An open container, as a policy sees it when it classifies one of its members.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    pub is_object: bool,
    pub mode: Mode,
    pub tag: Tag,
    /// The raw (still escaped) key of the member being classified; `None` in an array.
    pub key: Option<&'a [u8]>,
    /// The raw content of the object's `type` string member, once seen (when
    /// [`Policy::wants_type`] asks for it). Members before it are classified without it.
    pub block_type: Option<&'a [u8]>,
}

/// Decides what is opaque, value by value.
pub trait Policy {
    /// Mode and tag of a value starting under `parent` (`None`: the root value).
    /// Not asked inside opaque containers nor inside uniform ones.
    fn value_mode(&self, parent: Option<&Frame<'_>>, is_container: bool) -> (Mode, Tag);

    /// Whether every value under a container of this mode and tag, at any depth, has this same
    /// mode and tag, so the tokenizer stops asking and stops tracking keys there. Opaque
    /// containers are always treated as uniform.
    fn is_uniform(&self, mode: Mode, tag: Tag) -> bool;

    /// For a string in [`Mode::Hold`]: the raw prefix that makes it opaque.
    fn hold_prefix(&self, _parent: Option<&Frame<'_>>) -> &'static [u8] {
        b""
    }

    /// Whether objects with this tag record their `type` member for [`Frame::block_type`].
    fn wants_type(&self, _tag: Tag) -> bool {
        false
    }
}

/// Every string may be masked and nothing but literals is opaque: any JSON body.
#[derive(Debug, Clone, Copy, Default)]
pub struct GenericPolicy;

impl Policy for GenericPolicy {
    fn value_mode(&self, _parent: Option<&Frame<'_>>, _is_container: bool) -> (Mode, Tag) {
        (Mode::Mask, Tag(0))
    }

    fn is_uniform(&self, _mode: Mode, _tag: Tag) -> bool {
        true
    }
}

/// Classify `body` with `policy`, validating it as one JSON value (whitespace around it).
pub fn layout(body: &[u8], policy: &dyn Policy) -> Result<Layout, JsonError> {
    let mut tokenizer = Tokenizer {
        body,
        policy,
        frames: Vec::new(),
        nested: BitStack::default(),
        key: None,
        expect: Expect::Value,
        opaque: Vec::new(),
    };
    tokenizer.run()?;
    Ok(Layout {
        opaque: tokenizer.opaque,
    })
}

// Error messages: fixed text, the same as the Python tracker's.
const BAD_STRING: &str = "bad character or escape in string";
const UNEXPECTED_STRING: &str = "unexpected string";
const UNEXPECTED_CONTAINER: &str = "unexpected container";
const UNBALANCED: &str = "unbalanced bracket";
const UNEXPECTED_CLOSE_OBJECT: &str = "unexpected '}'";
const UNEXPECTED_CLOSE_ARRAY: &str = "unexpected ']'";
const UNEXPECTED_COLON: &str = "unexpected ':'";
const UNEXPECTED_COMMA: &str = "unexpected ','";
const UNEXPECTED_VALUE: &str = "unexpected value";
const BAD_NUMBER: &str = "bad number";
const UNEXPECTED_CHARACTER: &str = "unexpected character";
const ENDS_EARLY: &str = "JSON body ends early";

/// What the grammar allows next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Value,
    /// Right after `[`: a value or `]`.
    ValueOrClose,
    /// Right after `{`: a key or `}`.
    KeyOrClose,
    /// After `,` in an object.
    Key,
    Colon,
    CommaOrClose,
    /// After the root value: only whitespace.
    End,
}

/// A container the policy classified (see [`Frame`]); containers nested in a uniform one are
/// only bits in [`Tokenizer::nested`].
struct Level {
    is_object: bool,
    mode: Mode,
    tag: Tag,
    uniform: bool,
    /// Raw content range of the `type` member's string.
    block_type: Option<(usize, usize)>,
}

/// One bit per level: is it an object.
#[derive(Default)]
struct BitStack {
    words: Vec<u64>,
    len: usize,
}

impl BitStack {
    fn push(&mut self, bit: bool) {
        let (w, b) = (self.len / 64, self.len % 64);
        if w == self.words.len() {
            self.words.push(0);
        }
        if bit {
            self.words[w] |= 1 << b;
        } else {
            self.words[w] &= !(1 << b);
        }
        self.len += 1;
    }

    fn top(&self) -> Option<bool> {
        let last = self.len.checked_sub(1)?;
        Some(self.words[last / 64] >> (last % 64) & 1 == 1)
    }

    fn pop(&mut self) {
        self.len -= 1;
        if self.len.is_multiple_of(64) {
            self.words.truncate(self.len / 64);
        }
    }
}

struct Tokenizer<'a> {
    body: &'a [u8],
    policy: &'a dyn Policy,
    /// Classified containers, outermost first; the last may be uniform.
    frames: Vec<Level>,
    /// Containers nested inside the last frame, which is then uniform.
    nested: BitStack,
    /// Raw content range of the current key of the innermost container when it is a
    /// classified object (reset whenever a container opens or closes).
    key: Option<(usize, usize)>,
    expect: Expect,
    opaque: Vec<(usize, usize)>,
}

/// The byte a two-byte JSON escape `\c` stands for (`"`, `\\`, `/`, `b`, `f`, `n`, `r`, `t`);
/// `None` for `u` and for what is no escape.
pub fn escaped_byte(c: u8) -> Option<u8> {
    match c {
        b'"' => Some(b'"'),
        b'\\' => Some(b'\\'),
        b'/' => Some(b'/'),
        b'b' => Some(0x08),
        b'f' => Some(0x0c),
        b'n' => Some(b'\n'),
        b'r' => Some(b'\r'),
        b't' => Some(b'\t'),
        _ => None,
    }
}

fn error(offset: usize, message: &'static str) -> JsonError {
    JsonError { offset, message }
}

fn is_ws(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r')
}

fn is_number_char(c: u8) -> bool {
    matches!(c, b'0'..=b'9' | b'+' | b'-' | b'.' | b'e' | b'E')
}

/// Length of the run of plain string content at the start of `s`: up to the first `"`, `\\`
/// or control byte (below 0x20, not allowed raw in a string), or all of `s`.
fn plain_run(s: &[u8]) -> usize {
    // Eight bytes at a time (SWAR): in each test below the lowest flagged byte is exact (a
    // borrow only runs upward from a flagged byte), so the first stop is the lowest flag.
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut words = s.chunks_exact(8);
    let mut k = 0;
    for word in &mut words {
        let x = u64::from_le_bytes(word.try_into().expect("eight bytes"));
        let quote = x ^ (ONES * u64::from(b'"'));
        let backslash = x ^ (ONES * u64::from(b'\\'));
        let stops = (x.wrapping_sub(ONES * 0x20) & !x
            | quote.wrapping_sub(ONES) & !quote
            | backslash.wrapping_sub(ONES) & !backslash)
            & HIGH;
        if stops != 0 {
            return k + (stops.trailing_zeros() / 8) as usize;
        }
        k += 8;
    }
    k + words
        .remainder()
        .iter()
        .take_while(|&&c| c != b'"' && c != b'\\' && c >= 0x20)
        .count()
}

/// End of the number starting at `i` (the longest match of JSON's number grammar), or `None`
/// when no digit starts there.
fn number_end(body: &[u8], i: usize) -> Option<usize> {
    let digit = |k: usize| body.get(k).is_some_and(u8::is_ascii_digit);
    let mut j = i;
    if body[j] == b'-' {
        j += 1;
    }
    match body.get(j) {
        Some(b'0') => j += 1,
        Some(b'1'..=b'9') => {
            j += 1;
            while digit(j) {
                j += 1;
            }
        }
        _ => return None,
    }
    if body.get(j) == Some(&b'.') && digit(j + 1) {
        j += 2;
        while digit(j) {
            j += 1;
        }
    }
    if matches!(body.get(j), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(body.get(j + 1), Some(b'+' | b'-')));
        if digit(j + 1 + sign) {
            j += 2 + sign;
            while digit(j) {
                j += 1;
            }
        }
    }
    Some(j)
}

/// End of the valid escape whose backslash is at `q`.
fn escape_end(body: &[u8], q: usize) -> Option<usize> {
    match body.get(q + 1)? {
        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => Some(q + 2),
        b'u' => {
            let hex = body.get(q + 2..q + 6)?;
            hex.iter().all(u8::is_ascii_hexdigit).then_some(q + 6)
        }
        _ => None,
    }
}

impl<'a> Tokenizer<'a> {
    fn run(&mut self) -> Result<(), JsonError> {
        let body = self.body;
        let n = body.len();
        let mut i = 0;
        loop {
            while i < n && is_ws(body[i]) {
                i += 1;
            }
            if i == n {
                break;
            }
            let c = body[i];
            i = match c {
                b'"' => self.string(i)?,
                b'{' | b'[' => self.open(i, c == b'{')?,
                b'}' | b']' => self.close(i, c == b'}')?,
                b':' => {
                    if self.expect != Expect::Colon {
                        return Err(error(i, UNEXPECTED_COLON));
                    }
                    self.expect = Expect::Value;
                    i + 1
                }
                b',' => {
                    if self.expect != Expect::CommaOrClose {
                        return Err(error(i, UNEXPECTED_COMMA));
                    }
                    self.expect = if self.in_object() {
                        Expect::Key
                    } else {
                        Expect::Value
                    };
                    i + 1
                }
                _ => self.scalar(i)?,
            };
        }
        if self.expect != Expect::End {
            return Err(error(n, ENDS_EARLY));
        }
        Ok(())
    }

    fn expects_value(&self) -> bool {
        matches!(self.expect, Expect::Value | Expect::ValueOrClose)
    }

    fn in_object(&self) -> bool {
        match self.nested.top() {
            Some(bit) => bit,
            None => self.frames.last().is_some_and(|f| f.is_object),
        }
    }

    fn after_value(&mut self) {
        self.expect = if self.frames.is_empty() {
            Expect::End
        } else {
            Expect::CommaOrClose
        };
    }

    /// True inside an opaque container: nothing more is classified until it closes.
    fn in_opaque(&self) -> bool {
        self.frames.last().is_some_and(|f| f.mode == Mode::Opaque)
    }

    fn slice(&self, range: (usize, usize)) -> &'a [u8] {
        &self.body[range.0..range.1]
    }

    /// The innermost container as the policy sees it (`None` at the root).
    fn parent(&self) -> Option<Frame<'a>> {
        let level = self.frames.last()?;
        Some(Frame {
            is_object: level.is_object,
            mode: level.mode,
            tag: level.tag,
            key: if level.is_object {
                self.key.map(|k| self.slice(k))
            } else {
                None
            },
            block_type: level.block_type.map(|t| self.slice(t)),
        })
    }

    /// Mode and tag of a value starting here (not inside an opaque container).
    fn classify(&self, is_container: bool) -> (Mode, Tag) {
        match self.frames.last() {
            Some(level) if level.uniform => (level.mode, level.tag),
            _ => self.policy.value_mode(self.parent().as_ref(), is_container),
        }
    }

    /// A string at `i` (its opening quote): a key or a value. Returns the offset after it.
    fn string(&mut self, i: usize) -> Result<usize, JsonError> {
        let is_value = match self.expect {
            Expect::Value | Expect::ValueOrClose => true,
            Expect::Key | Expect::KeyOrClose => false,
            _ => return Err(error(i, UNEXPECTED_STRING)),
        };
        let end = self.string_end(i)?;
        let content = (i + 1, end - 1);
        let classified = self.frames.last().is_some_and(|f| !f.uniform);
        if !is_value {
            if classified {
                self.key = Some(content);
            }
            self.expect = Expect::Colon;
            return Ok(end);
        }
        if !self.in_opaque() {
            let (mut mode, _) = self.classify(false);
            if mode == Mode::Hold {
                let prefix = self.policy.hold_prefix(self.parent().as_ref());
                mode = if self.slice(content).starts_with(prefix) {
                    Mode::Opaque
                } else {
                    Mode::Mask
                };
            }
            if mode == Mode::Opaque {
                self.opaque.push((i, end));
            }
            if classified && self.key.is_some_and(|k| self.slice(k) == b"type") {
                let level = self.frames.last_mut().expect("a classified container");
                if level.is_object && self.policy.wants_type(level.tag) {
                    level.block_type = Some(content);
                }
            }
        }
        self.after_value();
        Ok(end)
    }

    /// Validate the string whose opening quote is at `i`; the offset after its closing quote.
    fn string_end(&self, i: usize) -> Result<usize, JsonError> {
        let body = self.body;
        let mut p = i + 1;
        loop {
            p += plain_run(&body[p..]);
            match body.get(p) {
                None => return Err(error(body.len(), ENDS_EARLY)),
                Some(b'"') => return Ok(p + 1),
                Some(b'\\') => p = escape_end(body, p).ok_or(error(p, BAD_STRING))?,
                Some(_) => return Err(error(p, BAD_STRING)),
            }
        }
    }

    /// `{` or `[` at `i`.
    fn open(&mut self, i: usize, is_object: bool) -> Result<usize, JsonError> {
        if !self.expects_value() {
            return Err(error(i, UNEXPECTED_CONTAINER));
        }
        if self.frames.last().is_some_and(|f| f.uniform) {
            self.nested.push(is_object);
        } else {
            let (mut mode, tag) = self.classify(true);
            if mode == Mode::Hold {
                mode = Mode::Mask;
            }
            if mode == Mode::Opaque {
                self.opaque.push((i, usize::MAX)); // its end is set when it closes
            }
            let uniform = mode == Mode::Opaque || self.policy.is_uniform(mode, tag);
            self.frames.push(Level {
                is_object,
                mode,
                tag,
                uniform,
                block_type: None,
            });
        }
        self.key = None;
        self.expect = if is_object {
            Expect::KeyOrClose
        } else {
            Expect::ValueOrClose
        };
        Ok(i + 1)
    }

    /// `}` or `]` at `i`.
    fn close(&mut self, i: usize, is_object: bool) -> Result<usize, JsonError> {
        if self.frames.is_empty() || self.in_object() != is_object {
            return Err(error(i, UNBALANCED));
        }
        if is_object && !matches!(self.expect, Expect::KeyOrClose | Expect::CommaOrClose) {
            return Err(error(i, UNEXPECTED_CLOSE_OBJECT));
        }
        if !is_object && !matches!(self.expect, Expect::ValueOrClose | Expect::CommaOrClose) {
            return Err(error(i, UNEXPECTED_CLOSE_ARRAY));
        }
        if self.nested.len > 0 {
            self.nested.pop();
        } else {
            let level = self.frames.pop().expect("an open container");
            if level.mode == Mode::Opaque {
                // Opaque containers are uniform: the last range is this one's.
                self.opaque.last_mut().expect("its range").1 = i + 1;
            }
        }
        self.key = None;
        self.after_value();
        Ok(i + 1)
    }

    /// A number or a literal at `i` (or a bad byte).
    fn scalar(&mut self, i: usize) -> Result<usize, JsonError> {
        if !self.expects_value() {
            return Err(error(i, UNEXPECTED_VALUE));
        }
        let body = self.body;
        let (end, opaque) = if let Some(j) = number_end(body, i) {
            if body.get(j).is_some_and(|&c| is_number_char(c)) {
                return Err(error(j, BAD_NUMBER));
            }
            // A number is opaque only where its policy says so (an opaque field): elsewhere
            // the engine may mask it (an account id written as a number).
            (
                j,
                !self.in_opaque() && self.classify(false).0 == Mode::Opaque,
            )
        } else {
            let rest = &body[i..];
            let literal = [&b"true"[..], b"false", b"null"]
                .into_iter()
                .find(|l| rest.starts_with(l));
            let Some(literal) = literal else {
                return Err(error(i, UNEXPECTED_CHARACTER));
            };
            // Literals always pass unchanged (as in the Python tracker).
            (i + literal.len(), !self.in_opaque())
        };
        if opaque {
            self.opaque.push((i, end));
        }
        self.after_value();
        Ok(end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generic(body: &[u8]) -> Result<Vec<(usize, usize)>, JsonError> {
        layout(body, &GenericPolicy).map(|l| l.opaque)
    }

    fn err(body: &[u8]) -> (usize, &'static str) {
        let e = generic(body).expect_err("malformed");
        (e.offset, e.message)
    }

    #[test]
    fn valid_documents_are_accepted() {
        let ok: &[&[u8]] = &[
            b"{}",
            b"[]",
            b" \t\r\n{ \"a\" : [ 1 , -2.5e+3 , 0 , 0.0E-0 , true , false , null ] } \n",
            b"\"just a string\"",
            b"0",
            b"-0.5",
            b"123456789012",
            b"null",
            br#"{"e": "\" \\ \/ \b \f \n \r \t \u00e9 \uD83D\uDE00 \uABcd"}"#,
            "{\"utf8\": \"\u{e9}\u{20ac}\u{1F600}\", \"del\": \"\x7f\"}".as_bytes(),
            b"{\"raw\": \"\xff\xfe\"}", // not UTF-8: bytes pass as they are
            br#"[[], {}, [{}], {"a": {"b": []}}, ""]"#,
            br#"{"a": 1, "a": 2}"#,
        ];
        for body in ok {
            assert!(generic(body).is_ok(), "{}", String::from_utf8_lossy(body));
        }
    }

    #[test]
    fn generic_policy_keeps_only_literals() {
        let body = br#"{"n": 123456789012, "s": "text", "l": [true, false, null], "f": -1.5}"#;
        let opaque = generic(body).unwrap();
        let texts: Vec<&[u8]> = opaque.iter().map(|&(s, e)| &body[s..e]).collect();
        assert_eq!(texts, [&b"true"[..], b"false", b"null"]);
        assert_eq!(generic(b"42").unwrap(), []);
        assert_eq!(generic(b" true ").unwrap(), [(1, 5)]);
    }

    #[test]
    fn malformed_json_fails_at_its_first_bad_byte() {
        let cases: &[(&[u8], usize, &str)] = &[
            (b"", 0, ENDS_EARLY),
            (b"   ", 3, ENDS_EARLY),
            (br#"{"a": 1"#, 7, ENDS_EARLY),
            (br#"{"a"#, 3, ENDS_EARLY),
            (b"[[[[", 4, ENDS_EARLY),
            (b"{\"a\": \"x\x01\"}", 8, BAD_STRING),
            (b"[\"\t\"]", 2, BAD_STRING),
            (br#"{"a": "\q"}"#, 7, BAD_STRING),
            (br#"["\u12G4"]"#, 2, BAD_STRING),
            (br#""\u12"#, 1, BAD_STRING),
            (br#""ab\"#, 3, BAD_STRING),
            (br#"{"a" "b"}"#, 5, UNEXPECTED_STRING),
            (br#"{} "x""#, 3, UNEXPECTED_STRING),
            (br#"{"a": 1}{}"#, 8, UNEXPECTED_CONTAINER),
            (br#"{"a" []}"#, 5, UNEXPECTED_CONTAINER),
            (br#"{"messages": [}"#, 14, UNBALANCED),
            (b"]", 0, UNBALANCED),
            (br#"{"a": 1}}"#, 8, UNBALANCED),
            (br#"{"a": 1,}"#, 8, UNEXPECTED_CLOSE_OBJECT),
            (br#"{"a"}"#, 4, UNEXPECTED_CLOSE_OBJECT),
            (b"[1,]", 3, UNEXPECTED_CLOSE_ARRAY),
            (br#"{"a": 1:}"#, 7, UNEXPECTED_COLON),
            (b"[,1]", 1, UNEXPECTED_COMMA),
            (b"{,}", 1, UNEXPECTED_COMMA),
            (b"[1 2]", 3, UNEXPECTED_VALUE),
            (br#"{"a" 1}"#, 5, UNEXPECTED_VALUE),
            (br#"{"a": 1} x"#, 9, UNEXPECTED_VALUE),
            (b"{1: 2}", 1, UNEXPECTED_VALUE),
            (b"truex", 4, UNEXPECTED_VALUE),
            (br#"{"a": 01}"#, 7, BAD_NUMBER),
            (b"1.", 1, BAD_NUMBER),
            (b"1e+", 1, BAD_NUMBER),
            (b"-01", 2, BAD_NUMBER),
            (b"1.5.3", 3, BAD_NUMBER),
            (b"[1-2]", 2, BAD_NUMBER),
            (br#"{"a": tru}"#, 6, UNEXPECTED_CHARACTER),
            (b"-", 0, UNEXPECTED_CHARACTER),
            (b"+1", 0, UNEXPECTED_CHARACTER),
            (b".5", 0, UNEXPECTED_CHARACTER),
            (b"NaN", 0, UNEXPECTED_CHARACTER),
            (b"\xef\xbb\xbf{}", 0, UNEXPECTED_CHARACTER),
            (br#"{"a": -}"#, 6, UNEXPECTED_CHARACTER),
        ];
        for &(body, offset, message) in cases {
            assert_eq!(
                err(body),
                (offset, message),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn errors_never_quote_the_body() {
        let e = layout(br#"{"secret-value": x}"#, &GenericPolicy).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid JSON at offset 17: unexpected character"
        );
    }

    #[test]
    fn deep_nesting_is_iterative() {
        let depth = 1_000_000;
        let mut body = vec![b'['; depth];
        body.extend(std::iter::repeat_n(b']', depth));
        assert_eq!(generic(&body).unwrap(), []);
        assert_eq!(err(&body[..depth]), (depth, ENDS_EARLY));
        let mut objects = br#"{"a":"#.repeat(depth / 10);
        objects.extend(b"1".iter().chain(&b"}".repeat(depth / 10)));
        assert!(generic(&objects).is_ok());
        // a bad close deep inside
        body[depth + 5] = b'}';
        assert_eq!(err(&body), (depth + 5, UNBALANCED));
    }

    #[test]
    fn a_classified_level_costs_32_bytes() {
        assert!(std::mem::size_of::<Level>() <= 32);
    }

    #[test]
    fn plain_run_stops_at_quote_backslash_and_control_bytes() {
        // Every stop byte at every position of a word and its tail, against a plain count.
        let naive = |s: &[u8]| {
            s.iter()
                .take_while(|&&c| c != b'"' && c != b'\\' && c >= 0x20)
                .count()
        };
        for stop in [b'"', b'\\', 0x00, 0x1f, b'\n'] {
            for len in 0..40 {
                for at in 0..len {
                    let mut s: Vec<u8> = (0..len)
                        .map(|k| [b'a', 0x80, 0xff, b' ', 0x7f][k % 5])
                        .collect();
                    s[at] = stop;
                    if at + 1 < len {
                        s[at + 1] = 0x01; // a later stop must not hide the first
                    }
                    assert_eq!(plain_run(&s), at);
                    assert_eq!(plain_run(&s), naive(&s));
                }
            }
        }
        assert_eq!(plain_run(&[0x20; 19]), 19);
        assert_eq!(plain_run(&[0xa0; 8]), 8);
    }

    #[test]
    fn opaque_within_asks_for_one_range() {
        let l = Layout {
            opaque: vec![(2, 5), (7, 9)],
        };
        assert!(l.opaque_within(2, 5) && l.opaque_within(3, 4) && l.opaque_within(7, 9));
        assert!(!l.opaque_within(1, 3) && !l.opaque_within(4, 8) && !l.opaque_within(5, 6));
        assert!(!l.opaque_within(8, 10) && !Layout::default().opaque_within(0, 1));
    }

    /// A policy that records what it is asked, to check the frames the tokenizer builds.
    struct Probe {
        seen: std::cell::RefCell<Vec<String>>,
    }

    const OBJ: Tag = Tag(1);
    const UNIFORM: Tag = Tag(2);

    impl Policy for Probe {
        fn value_mode(&self, parent: Option<&Frame<'_>>, is_container: bool) -> (Mode, Tag) {
            let Some(p) = parent else {
                return (Mode::Mask, OBJ);
            };
            let key = p.key.map(|k| String::from_utf8_lossy(k).into_owned());
            let ty = p
                .block_type
                .map(|k| String::from_utf8_lossy(k).into_owned());
            self.seen
                .borrow_mut()
                .push(format!("{key:?} {ty:?} {is_container}"));
            match p.key {
                Some(b"secret") => (Mode::Opaque, OBJ),
                Some(b"hold") => (Mode::Hold, OBJ),
                Some(b"free") => (Mode::Mask, UNIFORM),
                _ => (Mode::Mask, OBJ),
            }
        }

        fn is_uniform(&self, _mode: Mode, tag: Tag) -> bool {
            tag == UNIFORM
        }

        fn hold_prefix(&self, _parent: Option<&Frame<'_>>) -> &'static [u8] {
            b"keep:"
        }

        fn wants_type(&self, tag: Tag) -> bool {
            tag == OBJ
        }
    }

    #[test]
    fn the_policy_sees_raw_keys_and_the_type_seen_so_far() {
        let probe = Probe {
            seen: Default::default(),
        };
        let body = br#"{"a": 1, "type": "t\"x", "b": [2, {"c": 3}], "free": {"d": [4]}, "e": 5}"#;
        layout(body, &probe).unwrap();
        let seen = probe.seen.into_inner();
        let expect = [
            r#"Some("a") None false"#,
            r#"Some("type") None false"#,
            r#"Some("b") Some("t\\\"x") true"#,
            r#"None None false"#,
            r#"None None true"#,
            r#"Some("c") None false"#,
            r#"Some("free") Some("t\\\"x") true"#,
            r#"Some("e") Some("t\\\"x") false"#,
        ];
        assert_eq!(seen, expect);
    }

    #[test]
    fn opaque_hold_and_number_values() {
        let probe = Probe {
            seen: Default::default(),
        };
        let body =
            br#"{"secret": {"x": [1, "y"]}, "hold": "keep: me", "hold": "drop", "hold": "kee",
            "secret": 123, "n": 456, "secret": "s", "hold": 7}"#;
        let opaque = layout(body, &probe).unwrap().opaque;
        let texts: Vec<&[u8]> = opaque.iter().map(|&(s, e)| &body[s..e]).collect();
        assert_eq!(
            texts,
            [
                &br#"{"x": [1, "y"]}"#[..],
                br#""keep: me""#,
                b"123",
                br#""s""#
            ]
        );
    }
}
