//! What every recognizer family shares: the recognizer record and raw-byte helpers.
//!
//! A recognizer is one alternative of the scanner's combined pattern. Its `pattern` finds a
//! *candidate* cheaply (no capturing groups, no look-around, bounded length) and its `check`
//! decides on a few bytes around the candidate: boundaries, JSON-escape parity, value shape and
//! context. `check` returns the findings and the offset where scanning resumes, or `None` to
//! reject the candidate (the scanner then tries the next recognizer at the same offset, and then
//! the next offset).
//!
//! Everything here works on raw bytes: plain text or JSON text at any escaping depth. A JSON
//! escape right before a value (`\ni-0abc`) is a boundary; `\/` and `\u002F` stand for `/`;
//! `\"` and `\\\"` stand for quotes.

use std::collections::HashMap;
use std::sync::Arc;

pub use crate::finding::{Finding, Shape, TypeInfo};
pub use super::lines::{
    after_escaped_break, at_line_start, break_before, column_at, file_line, first_file_line,
    grep_prefix_ends_at, header_column, line_number_before, line_start_of, opens_text,
    past_line_number, table_header, table_lines, text_line, MAX_TABLE_ROWS,
};
use super::lines::ends_grep_path;

/// How far a finding may start left of its candidate's start.
pub const BACK: usize = 256;
/// How far a check may look left of a candidate's start (boundaries, escape parity, key names).
pub const LOOKBEHIND: usize = 64;
/// How far an echo may look back for the place that named a value.
pub const ECHO_BACK: usize = 1536;
/// How far a check may look right of a candidate's match end.
pub const LOOKAHEAD: usize = 64;

pub type CheckResult = Option<(Vec<Finding>, usize)>;
/// A check: `(data, candidate start, candidate match end) -> findings and resume offset`.
pub type Check = Arc<dyn Fn(&[u8], usize, usize) -> CheckResult + Send + Sync>;

/// Candidates found by code rather than by the scanner's automaton: every `(start, end)` in
/// `data` where the recognizer's pattern matches and its check may accept, in order.
pub type Trigger = fn(data: &[u8], out: &mut Vec<(usize, usize)>);

/// One candidate pattern plus the check that decides it.
#[derive(Clone)]
pub struct Recognizer {
    pub name: String,
    /// Regex syntax of the `regex` crate, compiled over bytes with Unicode off.
    pub pattern: String,
    /// When set, the candidates come from this code and `pattern` only describes them (and
    /// gives their first bytes): a pattern that would run beside every other pattern in the
    /// scanner's lazy DFA, multiplying its states, is found by a pass of its own.
    pub trigger: Option<Trigger>,
    pub check: Check,
    /// The catalog names its findings may carry.
    pub types: Vec<&'static str>,
    /// True for built-in patterns, whose matches are bounded by construction.
    pub bounded: bool,
    /// Whether what it finds may be masked at every other occurrence and remembered. False for
    /// context that is a turn of phrase ("the user X", the last word of a log line): the same
    /// word elsewhere is most often just a word (`site-packages` after "per user").
    pub propagate: bool,
}

impl Recognizer {
    pub fn new(
        name: &str,
        pattern: impl Into<String>,
        check: fn(&[u8], usize, usize) -> CheckResult,
        types: &[&'static str],
    ) -> Self {
        Recognizer {
            name: name.to_string(),
            pattern: pattern.into(),
            trigger: None,
            check: Arc::new(check),
            types: types.to_vec(),
            bounded: true,
            propagate: true,
        }
    }

    pub fn with_check(name: &str, pattern: impl Into<String>, check: Check, types: &[&'static str]) -> Self {
        Recognizer {
            name: name.to_string(),
            pattern: pattern.into(),
            trigger: None,
            check,
            types: types.to_vec(),
            bounded: true,
            propagate: true,
        }
    }

    /// Its candidates come from `trigger`, not from the scanner's automaton.
    pub fn triggered(mut self, trigger: Trigger) -> Self {
        self.trigger = Some(trigger);
        self
    }

    /// This recognizer's context is a turn of phrase: its findings are masked where they
    /// stand, not propagated nor remembered.
    pub fn phrase(mut self) -> Self {
        self.propagate = false;
        self
    }
}

// ---------------------------------------------------------------- byte classes

pub type ByteTable = [bool; 256];

pub const fn table(chars: &[u8]) -> ByteTable {
    let mut t = [false; 256];
    let mut i = 0;
    while i < chars.len() {
        t[chars[i] as usize] = true;
        i += 1;
    }
    t
}

pub const fn concat_table(a: ByteTable, b: &[u8]) -> ByteTable {
    let mut t = a;
    let mut i = 0;
    while i < b.len() {
        t[b[i] as usize] = true;
        i += 1;
    }
    t
}

pub const DIGITS: &[u8] = b"0123456789";
pub const LOWER: &[u8] = b"abcdefghijklmnopqrstuvwxyz";
pub const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
pub const ALNUM: ByteTable =
    concat_table(concat_table(table(DIGITS), LOWER), UPPER);
pub const WORD: ByteTable = concat_table(ALNUM, b"_");
pub const HEXCH: ByteTable = table(b"0123456789abcdefABCDEF");
/// Resource ids: not glued to `\w` or `-`.
pub const GLUE_ID: ByteTable = concat_table(ALNUM, b"_-");
pub const GLUE_TOKEN: ByteTable = concat_table(ALNUM, b"_-+/=");
const ESCAPE_LETTERS: ByteTable = table(b"nrtbf/");

/// Regex fragment: a quote, possibly JSON-escaped at any depth (`\"` or `\\\"`).
pub const Q: &str = r#"(?:\\{0,7}["'])"#;
/// Regex fragment: `/`, `\/`, `\\\/` or `\u002F`.
pub const SLASH: &str = r"(?:\\{0,7}/|\\{1,7}u002[fF])";

#[inline]
pub fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// Number of consecutive backslashes ending right before offset `i` (capped at 16).
pub fn backslashes_before(data: &[u8], mut i: usize) -> usize {
    let mut n = 0;
    let lo = i.saturating_sub(16);
    while i > lo && data[i - 1] == b'\\' {
        n += 1;
        i -= 1;
    }
    n
}

/// True when the byte at `i` is the last byte of a JSON escape (`\n`, `\u00e9`...).
pub fn escape_ends_at(data: &[u8], i: usize) -> bool {
    // Any run of backslashes counts, not only an odd one: at the second escaping depth '\\n'
    // is the escape '\n' of the text inside, so its 'n' is no letter of a token either.
    let c = data[i];
    if ESCAPE_LETTERS[c as usize] && i >= 1 && data[i - 1] == b'\\' {
        return true;
    }
    if HEXCH[c as usize] && i >= 5 && data[i - 4] == b'u' && data[i - 5] == b'\\' {
        let j = i - 3;
        if HEXCH[data[j] as usize] && HEXCH[data[j + 1] as usize] {
            return true;
        }
    }
    false
}

/// The unmatched `{` left of `s` (at most `reach` bytes back), skipping nested objects.
pub fn enclosing_brace(data: &[u8], s: usize, reach: usize) -> Option<usize> {
    let low = s.saturating_sub(reach);
    let mut depth = 0usize;
    let mut i = s;
    while i > low {
        i -= 1;
        match data[i] {
            b'}' => depth += 1,
            b'{' if depth > 0 => depth -= 1,
            b'{' => return Some(i),
            _ => {}
        }
    }
    None
}

/// How far from its object's opening brace an object's own ARN is looked for.
const OBJECT_REACH: usize = 4096;

/// Whether the JSON object around the key at `s` (any escaping depth) holds an ARN of its own
/// that `accept` accepts: the quoted value of a key named `Arn`, `ARN`, `arn` or ending so
/// (`TopicArn`, `stateMachineArn`, `TrailARN`, `PolicyArn`) directly inside it. An ARN inside
/// a nested object is another resource's.
pub fn own_arn(data: &[u8], s: usize, accept: impl Fn(&[u8]) -> bool) -> bool {
    let Some(open) = enclosing_brace(data, s, OBJECT_REACH) else { return false };
    let hi = data.len().min(open + 2 * OBJECT_REACH);
    if memchr::memmem::find(&data[open..hi], b"arn:aws").is_none() {
        return false;
    }
    object_quotes(data, open, hi).any(|i| {
        arn_key_ends_at(data, i)
            && value_after(data, i, hi, false, None)
                .is_some_and(|v| !v.quote.is_empty() && accept(&data[v.start..v.end]))
    })
}

/// The quoted value of the key `key` directly inside the JSON object around `s` (any escaping
/// depth), if it has one.
pub fn sibling_value(data: &[u8], s: usize, key: &[u8]) -> Option<Value> {
    let open = enclosing_brace(data, s, OBJECT_REACH)?;
    let hi = data.len().min(open + 2 * OBJECT_REACH);
    object_quotes(data, open, hi).find_map(|i| {
        let named = i > key.len()
            && data[i - key.len()..i] == *key
            && matches!(data[i - key.len() - 1], b'"' | b'\'');
        let v = named.then(|| value_after(data, i, hi, false, None)).flatten()?;
        (!v.quote.is_empty()).then_some(v)
    })
}

/// The offsets of the quotes (raw or escaped: `"`, `\`, `'`) directly inside the JSON object
/// that opens at `open`, up to where it closes or `hi`: where a key of its own may close.
fn object_quotes(data: &[u8], open: usize, hi: usize) -> impl Iterator<Item = usize> + '_ {
    let mut depth = 0usize;
    let mut i = open + 1;
    std::iter::from_fn(move || {
        while i < hi {
            let at = i;
            i += 1;
            match data[at] {
                b'{' | b'[' => depth += 1,
                b'}' | b']' if depth == 0 => {
                    i = hi;
                    return None;
                }
                b'}' | b']' => depth -= 1,
                b'"' | b'\\' | b'\'' if depth == 0 => return Some(at),
                _ => {}
            }
        }
        None
    })
}

/// Whether a quoted key whose name ends in `Arn`, `ARN` or `arn` closes at `q`.
fn arn_key_ends_at(data: &[u8], q: usize) -> bool {
    if q < 4 || !matches!(&data[q - 3..q], b"Arn" | b"ARN" | b"arn") {
        return false;
    }
    let name = data[..q].iter().rev().take_while(|c| c.is_ascii_alphabetic()).count();
    let before = q - name;
    before > 0 && matches!(data[before - 1], b'"' | b'\'')
}

/// `data[s]` starts a token: the byte before is not a `glue` byte (or is the end of an escape
/// sequence such as the `n` of `\n`).
pub fn left_ok(data: &[u8], s: usize, glue: &ByteTable) -> bool {
    if s == 0 {
        return true;
    }
    let c = data[s - 1];
    if !glue[c as usize] {
        return true;
    }
    (ALNUM[c as usize] && escape_ends_at(data, s - 1))
        || (c == b'-' && grep_prefix_ends_at(data, s))
}

/// `data[e-1]` ends a token: the next byte is not a `glue` byte.
pub fn right_ok(data: &[u8], e: usize, glue: &ByteTable) -> bool {
    e >= data.len() || !glue[data[e] as usize]
}

/// Where a command line that starts at or before `s` ends: a line break (or its escape), `|`,
/// `;`, `&`, `` ` ``, a redirection, a quote closing the string it sits in.
pub fn command_end(data: &[u8], s: usize) -> usize {
    let hi = data.len().min(s + 1024);
    let mut i = s;
    while i < hi {
        match data[i] {
            b'\n' | b'\r' | b'|' | b';' | b'&' | b'`' | b'"' | b'\'' | b'>' | b'<' => return i,
            b'\\' if matches!(data.get(i + 1), Some(b'n' | b'r' | b'"' | b'\\')) => return i,
            _ => i += 1,
        }
    }
    hi
}

/// The blank-separated tokens of a command line from `i` to `end`: (start, end) each. Blanks
/// are spaces, tabs and tabs escaped in a JSON string (`\t`: a tab-separated line shown in a
/// tool result).
pub fn command_tokens(
    data: &[u8],
    mut i: usize,
    end: usize,
) -> impl Iterator<Item = (usize, usize)> + '_ {
    let blank_at = move |k: usize| match data[k] {
        b' ' | b'\t' => 1,
        b'\\' if k + 1 < end && data[k + 1] == b't' && escape_ends_at(data, k + 1) => 2,
        _ => 0,
    };
    std::iter::from_fn(move || {
        while i < end && blank_at(i) > 0 {
            i += blank_at(i);
        }
        if i >= end {
            return None;
        }
        let ts = i;
        while i < end && blank_at(i) == 0 {
            i += 1;
        }
        Some((ts, i))
    })
}

/// Undo the JSON escapes that matter for comparing values (`\/`, `\"`, `\\`, `\u002F`) at any
/// depth; good enough for allowlists and stop-word checks.
pub fn unescape(raw: &[u8]) -> Vec<u8> {
    if memchr::memchr(b'\\', raw).is_none() {
        return raw.to_vec();
    }
    // pass 1: a run of backslashes + u002f/F -> '/'
    let mut a = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'\\' {
            let mut j = i;
            while j < raw.len() && raw[j] == b'\\' {
                j += 1;
            }
            if raw.len() >= j + 5 && &raw[j..j + 4] == b"u002" && matches!(raw[j + 4], b'f' | b'F') {
                a.push(b'/');
                i = j + 5;
                continue;
            }
            a.extend_from_slice(&raw[i..j]);
            i = j;
            continue;
        }
        a.push(raw[i]);
        i += 1;
    }
    // pass 2: a run of backslashes + one of " / ' -> that character
    let mut b = Vec::with_capacity(a.len());
    let mut i = 0;
    while i < a.len() {
        if a[i] == b'\\' {
            let mut j = i;
            while j < a.len() && a[j] == b'\\' {
                j += 1;
            }
            if j < a.len() && matches!(a[j], b'"' | b'/' | b'\'') {
                b.push(a[j]);
                i = j + 1;
                continue;
            }
            b.extend_from_slice(&a[i..j]);
            i = j;
            continue;
        }
        b.push(a[i]);
        i += 1;
    }
    // pass 3: '\\' -> '\'
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() && b[i + 1] == b'\\' {
            out.push(b'\\');
            i += 2;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

/// Move `e` left so that `data[s..e]` does not end inside an escape sequence.
pub fn strip_escape_tail(data: &[u8], s: usize, mut e: usize) -> usize {
    while e > s && data[e - 1] == b'\\' {
        e -= 1;
    }
    e
}

// ---------------------------------------------------------------- key/value fields

/// Regex: the bytes between a key and its value: the key's closing quote (any escaping depth),
/// blanks, one of `:`, `=`, `=>`, `:=`, `|` (CLI table output), blanks, and the value's quote.
pub const KEY_TAIL: &str = r#"(?:\\{0,7}["'])?[ \t]{0,16}(?:=>|:=|[:=|])[ \t]{0,16}(?:\\{0,7}["'])?"#;
/// Regex: what the scan pattern requires after a key (the check parses the rest).
pub const KEY_ANCHOR: &str = r#"[\\"' \t:=|]"#;
/// Regex: a CLI flag: `--flag value` or `--flag=value`, value optionally quoted.
pub const FLAG_TAIL: &str = r#"(?:=|[ \t]{1,4})(?:\\{0,7}["'])?"#;

/// A value found after a key: its span, its quote (empty when bare) and separator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Value {
    pub start: usize,
    pub end: usize,
    pub quote: Vec<u8>,
    pub sep: Vec<u8>,
}

impl Value {
    /// A value found by its place, not after a key: no quote, no separator.
    pub fn bare(start: usize, end: usize) -> Value {
        Value { start, end, quote: Vec::new(), sep: Vec::new() }
    }
}

/// `\\{0,7}["']` at `i` (before `limit`): the end of the match.
pub fn match_quote(data: &[u8], i: usize, limit: usize) -> Option<usize> {
    let mut j = i;
    while j < limit && data[j] == b'\\' {
        j += 1;
    }
    if j - i <= 7 && j < limit && (data[j] == b'"' || data[j] == b'\'') {
        Some(j + 1)
    } else {
        None
    }
}

fn skip_blanks(data: &[u8], mut i: usize, limit: usize, max: usize) -> usize {
    let lo = i;
    while i < limit && i - lo < max && (data[i] == b' ' || data[i] == b'\t') {
        i += 1;
    }
    i
}

/// `=>|:=|[:=|]` at `i`: the end of the separator.
fn match_sep(data: &[u8], i: usize, limit: usize) -> Option<usize> {
    if i >= limit {
        return None;
    }
    if i + 1 < limit && ((data[i] == b'=' && data[i + 1] == b'>') || (data[i] == b':' && data[i + 1] == b'=')) {
        return Some(i + 2);
    }
    matches!(data[i], b':' | b'=' | b'|').then_some(i + 1)
}

/// The bytes that end a bare value: blank, quote, backslash, comma, semicolon, bracket, and `&`
/// (the next parameter of a query string).
pub fn bare_stop(c: u8) -> bool {
    is_space(c) || matches!(c, b'"' | b'\'' | b'\\' | b',' | b';' | b'<' | b'>' | b'(' | b')' | b'{' | b'}' | b'[' | b']' | b'|' | b'`' | b'&')
}

/// The bytes that end a bare env/ini/properties value (which keeps punctuation).
pub fn line_stop(c: u8) -> bool {
    is_space(c) || matches!(c, b'"' | b'\'' | b'\\' | b'`')
}

/// The end of a bare env, ini, properties or YAML value that starts at `vs` (a generated
/// password keeps its punctuation: `DB_PASSWORD=aB3"x\9!k`, `password: p'q"r`).
///
/// The value runs to a blank or its line's end, raw or escaped at any depth (`\n`, `\\t`).
/// A quote inside it, raw or escaped (`"`, `\"`, `\\\"`), is the value's when another
/// value byte follows; one that ends it (before a blank, a line's end, `,`, `;` or a bracket)
/// closes a quoting around the whole assignment (`"DB_PASSWORD=x",`) and is left out. A
/// backslash before any other byte is the value's own (`x\9`, `x\\9` one depth down), and so
/// is a `\uXXXX` escape.
pub fn line_value_end(data: &[u8], vs: usize, limit: usize) -> usize {
    let limit = limit.min(data.len());
    let hex4 = |h: &[u8]| h.iter().all(|c| HEXCH[*c as usize]);
    // whether the value goes on at `k` (after a quote): a byte of it, not its end
    let goes_on = |k: usize| -> bool {
        let Some(&c) = data[..limit].get(k) else { return false };
        if is_space(c) || matches!(c, b'"' | b'\'' | b'`' | b',' | b';' | b')' | b']' | b'}') {
            return false;
        }
        if c == b'\\' {
            let mut r = k;
            while r < limit && data[r] == b'\\' {
                r += 1;
            }
            return r < limit && !matches!(data[r], b'n' | b'r' | b't' | b'b' | b'f' | b'"' | b'\'');
        }
        true
    };
    let mut j = vs;
    while j < limit {
        match data[j] {
            c if is_space(c) || c == b'`' => break,
            b'"' | b'\'' => {
                if !goes_on(j + 1) {
                    break;
                }
                j += 1;
            }
            b'\\' => {
                let mut r = j;
                while r < limit && data[r] == b'\\' {
                    r += 1;
                }
                match data[..limit].get(r) {
                    None | Some(b'n' | b'r' | b't' | b'b' | b'f') => break,
                    Some(b'"' | b'\'') => {
                        if !goes_on(r + 1) {
                            break;
                        }
                        j = r + 1;
                    }
                    Some(b'u') if data[..limit].get(r + 1..r + 5).is_some_and(hex4) => j = r + 5,
                    Some(_) => j = r,
                }
            }
            _ => j += 1,
        }
    }
    j
}

/// The end of a quoted value that starts at `vs` right after its opening quote `vq` (0 to 7
/// backslashes and `"` or `'`): the offset where its closing quote — the same quote at the same
/// escaping depth — begins, or `None` when it is not closed on its line.
///
/// The escapes an encoder writes inside one value belong to it: an escaped quote (`\"`, and
/// `\\\"` one depth down), escaped backslashes, `\/` and `\uXXXX` (Go writes `&` as `\u0026`,
/// PHP and some Java encoders write `/` as `\/`). A line break, raw or escaped (`\n`, `\r`,
/// `\t`, `\b`, `\f`), ends the search: a quoted string holding one is text, not one value.
pub fn quoted_end(data: &[u8], vs: usize, vq: &[u8], limit: usize) -> Option<usize> {
    let (&qc, outer) = vq.split_last()?;
    let k = outer.len(); // the depth's backslashes: 0, 1, 3 or 7
    let unit = 2 * (k + 1); // backslashes of one escaped backslash at this depth
    let limit = limit.min(data.len());
    let mut j = vs;
    while j < limit {
        let c = data[j];
        if c == b'\n' || c == b'\r' {
            return None;
        }
        if c == qc {
            return (k == 0).then_some(j);
        }
        if c != b'\\' {
            j += 1;
            continue;
        }
        let run = j;
        while j < limit && data[j] == b'\\' {
            j += 1;
        }
        if j >= limit {
            return None;
        }
        let b = j - run;
        let rem = b % unit;
        match data[j] {
            c if c == qc => {
                if rem == k {
                    return Some(j - k); // the closing quote, after any escaped backslashes
                }
                if rem != k + 1 + k {
                    return None;
                }
                j += 1; // an escaped quote inside the value
            }
            // after escaped backslashes only, a letter is the value's (`\\b` is `\` and `b`)
            b'n' | b'r' | b't' | b'b' | b'f' if rem != 0 => return None,
            b'u' if j + 5 <= limit && data[j + 1..j + 5].iter().all(|h| HEXCH[*h as usize]) => {
                j += 5
            }
            _ => j += 1,
        }
    }
    None
}

/// Locate the value that follows a key (or `--flag`) ending at offset `i`.
///
/// A quoted value runs to its closing quote ([`quoted_end`]: same quote at the same escaping
/// depth, escapes inside belong to the value); a bare value runs to the first byte `stop`
/// accepts (default: [`bare_stop`]).
pub fn value_after(data: &[u8], i: usize, limit: usize, flag: bool, stop: Option<fn(u8) -> bool>) -> Option<Value> {
    let limit = limit.min(data.len());
    let (sep_start, sep_end, vq_start) = if flag {
        // (?P<sep>=|[ \t]{1,4})
        if i < limit && data[i] == b'=' {
            (i, i + 1, i + 1)
        } else {
            let j = skip_blanks(data, i, limit, 4);
            if j == i {
                return None;
            }
            (i, j, j)
        }
    } else {
        // (?P<kq>\\{0,7}["'])?[ \t]{0,16}(?P<sep>...)[ \t]{0,16}
        let after_kq = match_quote(data, i, limit).unwrap_or(i);
        // Terraform and HCL formatters align `=` under the block's longest key
        let j = skip_blanks(data, after_kq, limit, 64);
        let se = match_sep(data, j, limit)?;
        let k = skip_blanks(data, se, limit, 16);
        (j, se, k)
    };
    let sep = data[sep_start..sep_end].to_vec();
    if let Some(vs) = match_quote(data, vq_start, limit) {
        let vq = &data[vq_start..vs];
        let end = quoted_end(data, vs, vq, limit)?;
        return Some(Value { start: vs, end, quote: vq.to_vec(), sep });
    }
    let vs = vq_start;
    let stop = stop.unwrap_or(bare_stop);
    let mut ve = vs;
    while ve < limit && !stop(data[ve]) {
        ve += 1;
    }
    Some(Value { start: vs, end: ve, quote: Vec::new(), sep })
}

/// Regex alternation of literal keys followed by `tail`.
pub fn fields_pattern(keys: &[&str], tail: &str) -> String {
    let mut alts: Vec<String> = keys.iter().map(|k| regex::escape(k)).collect();
    alts.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    alts.dedup();
    format!("(?:{}){}", alts.join("|"), tail)
}

/// `DBInstanceIdentifier` -> `["db", "instance", "identifier"]`.
pub fn camel_words(key: &str) -> Vec<String> {
    let b = key.as_bytes();
    let n = b.len();
    let mut out = Vec::new();
    let mut i = 0;
    while i < n {
        let c = b[i];
        if c.is_ascii_uppercase() {
            let mut j = i;
            while j < n && b[j].is_ascii_uppercase() {
                j += 1;
            }
            let word_after = |k: usize| k < n && (b[k].is_ascii_alphanumeric() || b[k] == b'_');
            // [A-Z]+ followed by a boundary, a digit, '_' or '-'
            let ends_ok = j >= n || !word_after(j) || b[j].is_ascii_digit() || b[j] == b'_';
            if ends_ok {
                out.push(key[i..j].to_ascii_lowercase());
                i = j;
                continue;
            }
            // followed by a lower-case letter: the last capital starts the next word
            if j - 1 > i {
                out.push(key[i..j - 1].to_ascii_lowercase());
                i = j - 1;
                continue;
            }
            let mut k = j;
            while k < n && b[k].is_ascii_lowercase() {
                k += 1;
            }
            out.push(key[i..k].to_ascii_lowercase());
            i = k;
        } else if c.is_ascii_lowercase() {
            let mut k = i;
            while k < n && b[k].is_ascii_lowercase() {
                k += 1;
            }
            out.push(key[i..k].to_string());
            i = k;
        } else if c.is_ascii_digit() {
            let mut k = i;
            while k < n && b[k].is_ascii_digit() {
                k += 1;
            }
            out.push(key[i..k].to_string());
            i = k;
        } else {
            i += 1;
        }
    }
    out
}

fn capitalize(w: &str) -> String {
    let mut c = w.chars();
    match c.next() {
        Some(f) => f.to_ascii_uppercase().to_string() + &c.as_str().to_ascii_lowercase(),
        None => String::new(),
    }
}

/// Regex for a key in PascalCase, camelCase, snake_case, kebab-case or UPPER_SNAKE (not in
/// arbitrary case: `username` in code is not the `UserName` field of an API).
pub fn key_variants(key: &str) -> String {
    let words = camel_words(key);
    if words.is_empty() {
        return regex::escape(key);
    }
    let mut forms: Vec<String> = vec![key.to_string(), key[..1].to_ascii_lowercase() + &key[1..]];
    // A number is written both as a word of its own and glued to the word before it:
    // `S3Bucket` is `s_3_bucket` to a word splitter but `S3_BUCKET` and `s3-bucket` to people.
    let mut glued: Vec<String> = Vec::new();
    for w in &words {
        match glued.last_mut() {
            Some(last) if w.bytes().all(|c| c.is_ascii_digit()) => last.push_str(w),
            _ => glued.push(w.clone()),
        }
    }
    for words in [&words, &glued] {
        forms.extend([
            words.join("_"),
            words.join("-"),
            words.join("_").to_ascii_uppercase(),
            words.iter().map(|w| capitalize(w)).collect::<String>(),
            words[0].clone() + &words[1..].iter().map(|w| capitalize(w)).collect::<String>(),
        ]);
    }
    forms.sort();
    forms.dedup();
    let mut esc: Vec<String> = forms.iter().map(|f| regex::escape(f)).collect();
    esc.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    format!("(?:{})", esc.join("|"))
}

/// A key as typed -> its normal form for lookups (lower case, no separators).
pub fn norm_key(raw: &[u8]) -> String {
    raw.iter()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase() as char)
        .collect()
}

// ---------------------------------------------------------------- field rules

/// Turns the value found after a key into findings: a list (possibly empty: the value is
/// kept), or `None` to reject the candidate so that other recognizers get a chance at it.
pub type Validator = fn(&[u8], &Value, &'static str) -> Option<Vec<Finding>>;

/// What a key says about its value: the type and shape to give it and how to validate it.
#[derive(Clone, Copy)]
pub struct Field {
    pub rtype: &'static str,
    pub shape: Shape,
    pub validate: Validator,
    /// bare (unquoted) values run to the end of the line, keeping punctuation (env, ini, YAML)
    pub line: bool,
}

fn key_chars_end(data: &[u8], s: usize) -> Option<usize> {
    let mut j = s;
    while j < data.len() && j - s < 80 && (data[j].is_ascii_alphanumeric() || matches!(data[j], b'_' | b'.' | b'-')) {
        j += 1;
    }
    (j > s).then_some(j)
}

/// One quoted item of a JSON list (items may sit on their own lines, or escaped ones: `\n`):
/// `(item value, after the separator, the separator was ']')`.
fn list_item(data: &[u8], mut j: usize, limit: usize) -> Option<(Value, usize, bool)> {
    let skip_ws = |mut j: usize| {
        let mut count = 0;
        while j < limit && count < 64 {
            if is_space(data[j]) {
                j += 1;
            } else if data[j] == b'\\' {
                let mut k = j;
                while k < limit && data[k] == b'\\' {
                    k += 1;
                }
                if k < limit && matches!(data[k], b'n' | b'r' | b't') {
                    j = k + 1;
                } else {
                    break;
                }
            } else {
                break;
            }
            count += 1;
        }
        j
    };
    j = skip_ws(j);
    // (?P<q>\\{0,7}")
    let qs = j;
    let mut k = j;
    while k < limit && data[k] == b'\\' {
        k += 1;
    }
    if k - qs > 7 || k >= limit || data[k] != b'"' {
        return None;
    }
    let q = &data[qs..k + 1];
    let vs = k + 1;
    let mut ve = vs;
    while ve < limit && ve - vs < 256 && !matches!(data[ve], b'"' | b'\\' | b'\r' | b'\n') {
        ve += 1;
    }
    if ve == vs || !data[ve..limit].starts_with(q) {
        return None;
    }
    let after = skip_ws(ve + q.len());
    if after >= limit || !matches!(data[after], b',' | b']') {
        return None;
    }
    let item = Value { start: vs, end: ve, quote: q.to_vec(), sep: b":".to_vec() };
    Some((item, after + 1, data[after] == b']'))
}

/// The items of a YAML block list after a key that ends its line (`hosts:` then `- a` lines, as
/// `--output yaml` and manifests write lists), from `i`, the line break after the key: each
/// item validated as the key's value. `None` when no such list follows or no item is found.
fn yaml_list(data: &[u8], i: usize, limit: usize, spec: &Field) -> Option<(Vec<Finding>, usize)> {
    // an escaped line break: the list is a file's text in a JSON string
    let (first, json) = match data.get(i..i + 2)? {
        [b'\r', b'\n'] => (i + 2, false),
        [b'\n', _] => (i + 1, false),
        [b'\\', b'n'] => (i + 2, true),
        _ => return None,
    };
    let mut out = Vec::new();
    let mut next = first;
    let mut end = i;
    for _ in 0..32 {
        if next >= limit {
            break;
        }
        let Some((a, b, n)) = file_line(data, next, json) else { break };
        let mut c = a;
        while c < b && matches!(data[c], b' ' | b'\t') {
            c += 1;
        }
        if !data[c..b].starts_with(b"- ") {
            break;
        }
        let vs = c + 2;
        let item = match match_quote(data, vs, b) {
            Some(qs) => {
                let Some(qe) = quoted_end(data, qs, &data[vs..qs], b) else { break };
                Value { start: qs, end: qe, quote: data[vs..qs].to_vec(), sep: b":".to_vec() }
            }
            None => {
                let mut ve = vs;
                while ve < b && !bare_stop(data[ve]) {
                    ve += 1;
                }
                // `- cluster:` (a kubeconfig's) or `- name: x`: the item is a mapping, its key
                // no value
                if ve > vs && data[ve - 1] == b':' {
                    end = b;
                    next = n;
                    continue;
                }
                Value { start: vs, end: ve, quote: Vec::new(), sep: b":".to_vec() }
            }
        };
        if item.end > item.start {
            if let Some(fs) = (spec.validate)(data, &item, spec.rtype) {
                out.extend(fs);
            }
        }
        end = b;
        next = n;
    }
    (!out.is_empty()).then_some((out, end))
}

/// A check for `key <sep> value` candidates whose key is looked up in `table`.
///
/// The candidate starts at the key (or `--flag`). With `suffix` the candidate starts at a
/// keyword inside a longer key (`DB_PASSWORD`, `spring.datasource.password`): the whole key is
/// then read back to its start, at most `LOOKBEHIND` bytes, and looked up in normal form.
pub fn field_check(table: HashMap<String, Field>, flag: bool, suffix: bool, glue: ByteTable) -> Check {
    field_check_with(move |key: &str| table.get(key).copied(), flag, suffix, glue)
}

/// [`field_check`] with a lookup function instead of a table: for rules that type any key by
/// its words (the secret-like keys) rather than by a fixed list.
pub fn field_check_with(
    lookup: impl Fn(&str) -> Option<Field> + Send + Sync + 'static,
    flag: bool,
    suffix: bool,
    glue: ByteTable,
) -> Check {
    Arc::new(move |data: &[u8], s: usize, _e: usize| -> CheckResult {
        let (key_end, spec) = if flag {
            if s >= 1 && !b" \t\n'\"=".contains(&data[s - 1]) && !escape_ends_at(data, s - 1) {
                return None;
            }
            let key_end = key_chars_end(data, s + 2)?;
            (key_end, lookup(&norm_key(&data[s + 2..key_end]))?)
        } else {
            let key_end = key_chars_end(data, s)?;
            let mut kstart = s;
            if suffix {
                let lo = s.saturating_sub(LOOKBEHIND);
                while kstart > lo
                    && (WORD[data[kstart - 1] as usize] || matches!(data[kstart - 1], b'.' | b'-'))
                    && !(data[kstart - 1] == b'-' && grep_prefix_ends_at(data, kstart))
                {
                    kstart -= 1;
                }
                if kstart > lo && data[kstart - 1] == b'\\' {
                    kstart += 1; // '\n' before the key
                }
                if kstart > 0 && ALNUM[data[kstart - 1] as usize] && !escape_ends_at(data, kstart - 1) {
                    return None;
                }
            } else if !left_ok(data, s, &glue) {
                return None;
            }
            (key_end, lookup(&norm_key(&data[kstart..key_end]))?)
        };
        if ends_grep_path(data, key_end) {
            return None; // `deploy/secret.yaml:3:` is a file's name before a grep's line
        }
        let limit = data.len().min(s + 4096);
        let stop: Option<fn(u8) -> bool> = if spec.line { Some(line_stop) } else { None };
        let mut v = value_after(data, key_end, limit, flag, stop)?;
        if spec.line && !flag && v.quote.is_empty() {
            v.end = v.end.max(line_value_end(data, v.start, limit));
        }
        if v.start < data.len() && data[v.start] == b'[' && v.quote.is_empty() {
            // a JSON list
            let mut out = Vec::new();
            let mut j = v.start + 1;
            for _ in 0..32 {
                let Some((item, next, last)) = list_item(data, j, limit) else { break };
                if let Some(fs) = (spec.validate)(data, &item, spec.rtype) {
                    out.extend(fs);
                }
                j = next;
                if last {
                    break;
                }
            }
            return if out.is_empty() { None } else { Some((out, j)) };
        }
        if v.end <= v.start {
            return yaml_list(data, v.start, limit, &spec);
        }
        let fs = (spec.validate)(data, &v, spec.rtype)?;
        if fs.is_empty() {
            return Some((Vec::new(), v.start)); // defer: another recognizer owns this value
        }
        Some((fs, v.end))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camel() {
        assert_eq!(camel_words("DBInstanceIdentifier"), vec!["db", "instance", "identifier"]);
        assert_eq!(camel_words("roleName"), vec!["role", "name"]);
        assert_eq!(camel_words("ARN"), vec!["arn"]);
        assert_eq!(camel_words("cache_cluster-id"), vec!["cache", "cluster", "id"]);
        assert_eq!(camel_words("S3Bucket"), vec!["s", "3", "bucket"]);
    }

    #[test]
    fn key_spellings_glue_numbers_to_the_word_before() {
        let re = regex::Regex::new(&format!("^{}$", key_variants("S3BucketName"))).unwrap();
        for k in ["S3BucketName", "s3BucketName", "S3_BUCKET_NAME", "s3_bucket_name", "s3-bucket-name", "s_3_bucket_name"] {
            assert!(re.is_match(k), "{k}");
        }
        assert!(!re.is_match("s3bucketname"));
    }

    #[test]
    fn values() {
        let d = br#""BucketName": "my-bucket", x"#;
        let v = value_after(d, 11, d.len(), false, None).unwrap();
        assert_eq!(&d[v.start..v.end], b"my-bucket");
        let d = br#"--role-name=ops-admin rest"#;
        let v = value_after(d, 11, d.len(), true, None).unwrap();
        assert_eq!(&d[v.start..v.end], b"ops-admin");
        let d = br#"\"Key\": \"abc\""#;
        let v = value_after(d, 5, d.len(), false, None).unwrap();
        assert_eq!(&d[v.start..v.end], b"abc");
    }

    #[test]
    fn unescaping() {
        assert_eq!(unescape(br#"a\/b\\\/c\u002Fd\"e\\f"#), b"a/b/c/d\"e\\f".to_vec());
    }

    #[test]
    fn escapes_are_boundaries() {
        let d = br"x\ni-0abc";
        assert!(left_ok(d, 3, &ALNUM));
        assert!(!left_ok(b"xi-0", 1, &ALNUM));
    }
}
