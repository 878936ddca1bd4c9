//! Text two JSON escaping depths down, read as the text it is.
//!
//! An agent's tool result is a JSON string; when the command printed JSON (`aws cloudformation
//! get-template`, `kubectl get configmap -o json`, an MCP server's reply), the strings of that
//! document are one depth further down, and a multi-line string there (a template's YAML body,
//! a ConfigMap's `nginx.conf`) has its line breaks as `\\n` and its tabs as `\\t`. The rules
//! read lines, columns and quotes at the first depth. So each such string is found here, decoded
//! to the text it holds (a [`View`]), scanned as that text, and its findings are mapped back to
//! the raw bytes, where they cover whole escape sequences.
//!
//! A nested string is found from its escaped line breaks and tabs (a run of exactly two
//! backslashes before `n` or `t`) or the quotes of its text (`\\\"`: JSON inside it, an
//! event's `body` or an SNS message as a log prints them), and bounded by the quotes of its
//! own depth (`\"`, one backslash) within the string of the first depth (a raw `"` ends the
//! search). Its opening quote must stand where a JSON value does (after `:`, `[` or `,`), so a
//! string literal in a program's source shown in a tool result (`print(\"a\\n\")`) is left to
//! the first depth's reading, which is the right one for it.

/// How far a nested string's quotes are looked for around one of its line breaks.
const REACH: usize = 1 << 20;

/// The raw spans (`start..end`, between its quotes) of the strings two escaping depths down
/// in `data` that hold an escaped line break, tab or quote, in order, not overlapping.
pub fn nested_strings(data: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    // hits before `from` are passed over (inside a string found, or before the end of the
    // first depth's string where no nested string closes); no nested string opens between
    // the first depth's quote and `floor` (each byte is searched once, not once per hit)
    let mut from = 0;
    let mut floor = 0;
    for p in memchr::memmem::find_iter(data, b"\\\\") {
        if p < from || (p > 0 && data[p - 1] == b'\\') {
            continue;
        }
        // `\\n`, `\\t`: a line break or a tab; `\\\"`: a quote in the nested string's text
        let next = match data.get(p + 2) {
            Some(b'n' | b't') => p + 3,
            Some(b'\\') if data.get(p + 3) == Some(&b'"') => p + 4,
            _ => continue,
        };
        let Some(open) = quote_before(data, p, floor) else {
            floor = p;
            continue;
        };
        let close = match quote_after(data, next) {
            Ok(close) => close,
            Err(stop) => {
                from = stop;
                continue;
            }
        };
        if value_position(data, open - 1) {
            out.push((open + 1, close - 1));
        }
        from = close + 1;
    }
    out
}

/// What a quote at `q` is, by the backslashes right before it: `Some(true)` one depth down
/// (`\"`, a nested string's own quote), `Some(false)` deeper (a quote in a nested string's
/// text), `None` a quote of the first depth (an even run: the end of the string that holds it).
fn nested_quote(data: &[u8], q: usize) -> Option<bool> {
    let run = data[..q].iter().rev().take_while(|&&c| c == b'\\').count();
    (run % 2 == 1).then_some(run == 1)
}

/// The quote that opens the nested string holding `p`: the nearest `\"` before it and after
/// `floor`, not past the first depth's own quote.
fn quote_before(data: &[u8], p: usize, floor: usize) -> Option<usize> {
    let lo = p.saturating_sub(REACH).max(floor);
    let mut hi = p;
    while let Some(q) = memchr::memrchr(b'"', &data[lo..hi]).map(|q| lo + q) {
        if nested_quote(data, q)? {
            return Some(q);
        }
        hi = q;
    }
    None
}

/// The quote that closes the nested string holding `p`: the nearest `\"` from `p` on, not past
/// the first depth's own quote; else where the search stopped.
fn quote_after(data: &[u8], p: usize) -> Result<usize, usize> {
    let hi = data.len().min(p.saturating_add(REACH));
    let mut lo = p;
    while let Some(q) = memchr::memchr(b'"', &data[lo..hi]).map(|q| lo + q) {
        match nested_quote(data, q) {
            Some(true) => return Ok(q),
            Some(false) => lo = q + 1,
            None => return Err(q),
        }
    }
    Err(hi)
}

/// Whether the backslash of an opening `\"` at `b` follows what a JSON value follows (`:`,
/// `[`, `,`, with blanks and escaped line breaks between).
fn value_position(data: &[u8], b: usize) -> bool {
    let mut i = b;
    while i > 0 {
        i -= 1;
        match data[i] {
            b' ' | b'\t' | b'\r' | b'\n' => {}
            b'n' | b't' | b'r' if i > 0 && data[i - 1] == b'\\' => i -= 1,
            b':' | b'[' | b',' => return true,
            _ => return false,
        }
    }
    false
}

/// A raw span decoded to the text it holds, with where each byte of the text came from.
pub struct View {
    pub text: Vec<u8>,
    /// per byte of `text`, the raw offset of the escape sequence (or byte) it came from, and
    /// one more entry: the raw span's end (offsets from the span's start)
    from: Vec<u32>,
    /// the raw span's start
    start: usize,
}

impl View {
    /// `data[s..e]` with two depths of JSON escapes undone.
    pub fn decode(data: &[u8], s: usize, e: usize) -> View {
        let (once, from_once) = unescape(&data[s..e]);
        let (text, from_twice) = unescape(&once);
        let from = from_twice.iter().map(|&j| from_once[j as usize]).collect();
        View {
            text,
            from,
            start: s,
        }
    }

    /// The raw span of the text's bytes `a..b`: whole escape sequences.
    pub fn raw_span(&self, a: usize, b: usize) -> (usize, usize) {
        // the first byte after `b - 1` that came from another sequence (a `\u00e9` gives two)
        let mut k = b;
        while k < self.text.len() && self.from[k] == self.from[b - 1] {
            k += 1;
        }
        (
            self.start + self.from[a] as usize,
            self.start + self.from[k] as usize,
        )
    }
}

/// One depth of JSON escapes undone, with, per output byte, the offset in `raw` of the escape
/// (or byte) it came from, and one more entry, `raw.len()`. A backslash that starts no escape
/// stays a backslash.
fn unescape(raw: &[u8]) -> (Vec<u8>, Vec<u32>) {
    let mut text = Vec::with_capacity(raw.len());
    let mut from: Vec<u32> = Vec::with_capacity(raw.len() + 1);
    let mut i = 0;
    while i < raw.len() {
        // the run up to the next backslash, copied whole
        let run = memchr::memchr(b'\\', &raw[i..]).unwrap_or(raw.len() - i);
        text.extend_from_slice(&raw[i..i + run]);
        from.extend(i as u32..(i + run) as u32);
        i += run;
        if i + 1 >= raw.len() {
            if i < raw.len() {
                text.push(raw[i]);
                from.push(i as u32);
                i += 1;
            }
            continue;
        }
        if let Some(c) = crate::json::escaped_byte(raw[i + 1]) {
            text.push(c);
            from.push(i as u32);
            i += 2;
            continue;
        }
        let code = (raw[i + 1] == b'u' && i + 6 <= raw.len())
            .then(|| std::str::from_utf8(&raw[i + 2..i + 6]).ok())
            .flatten()
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .and_then(char::from_u32);
        if let Some(ch) = code {
            let mut buf = [0u8; 4];
            for &b in ch.encode_utf8(&mut buf).as_bytes() {
                text.push(b);
                from.push(i as u32);
            }
            i += 6;
            continue;
        }
        text.push(b'\\');
        from.push(i as u32);
        i += 1;
    }
    from.push(raw.len() as u32);
    (text, from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn in_tool_result(doc: &str) -> String {
        let escaped = doc
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n");
        format!(r#"{{"type": "tool_result", "content": "{escaped}"}}"#)
    }

    #[test]
    fn a_multi_line_string_of_a_document_in_a_tool_result_is_found_and_decoded() {
        let doc = concat!(
            r#"{"TemplateBody": "Resources:\n  Db:\n    Type: \"AWS::RDS::DBInstance\"\n","#,
            r#" "n": 1}"#
        );
        let body = in_tool_result(doc);
        let spans = nested_strings(body.as_bytes());
        assert_eq!(spans.len(), 1);
        let (s, e) = spans[0];
        let view = View::decode(body.as_bytes(), s, e);
        assert_eq!(
            view.text,
            b"Resources:\n  Db:\n    Type: \"AWS::RDS::DBInstance\"\n"
        );
        // a span of the text maps back to the raw bytes, escapes whole
        let at = view.text.iter().position(|&c| c == b'"').expect("a quote");
        let (rs, re) = view.raw_span(at, at + 5);
        assert_eq!(&body.as_bytes()[rs..re], br#"\\\"AWS:"#);
        let (rs, re) = view.raw_span(0, view.text.len());
        assert_eq!((rs, re), (s, e));
    }

    #[test]
    fn a_string_literal_in_source_code_and_first_depth_text_are_not_nested_strings() {
        // `print("a\n")` shown in a tool result: a program's literal, not a JSON value
        let code = in_tool_result("def f():\n    print(\"total:\\n\", x)\n");
        assert!(nested_strings(code.as_bytes()).is_empty());
        // a file's lines in a tool result are one depth down: read there already
        let text = in_tool_result("Host bastion\n  HostName 10.0.0.5\n");
        assert!(nested_strings(text.as_bytes()).is_empty());
        // an escaped backslash before an `n` at the first depth (`C:\new`) outside any string
        let path = in_tool_result("copied to C:\\new\\tmp");
        assert!(nested_strings(path.as_bytes()).is_empty());
    }

    #[test]
    fn a_nested_string_after_escaped_backslashes_that_open_none_is_found() {
        // the hits before it (`C:\new`) open no nested string: the search for its opening
        // quote does not go back over them again, and still finds it
        let text = format!(
            "{}then {{\"log\": \"a\\nb\"}}",
            "copied C:\\new\\tmp ".repeat(50)
        );
        let body = in_tool_result(&text);
        let spans = nested_strings(body.as_bytes());
        assert_eq!(spans.len(), 1);
        let (s, e) = spans[0];
        assert_eq!(View::decode(body.as_bytes(), s, e).text, b"a\nb");
    }

    #[test]
    fn a_unicode_escape_maps_back_whole() {
        let raw = br#"caf\\u00e9 x"#; // two depths: `\\u00e9` is `\u00e9` once decoded
        let view = View::decode(raw, 0, raw.len());
        assert_eq!(view.text, "café x".as_bytes());
        let e_acute = 3;
        assert_eq!(view.raw_span(e_acute, e_acute + 1), (3, 10));
        assert_eq!(view.raw_span(0, 4), (0, 10));
    }
}
