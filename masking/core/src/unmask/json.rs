//! The little JSON the response side needs: escaping and decoding string contents, and reading
//! the few fields of a Messages stream event without building a document.
//!
//! Decoded strings are WTF-8: a lone UTF-16 surrogate (`\ud83d` with no low half) becomes the
//! three bytes `ED A0..BF xx`, which valid UTF-8 never holds, and [`escape_into`] writes it back
//! as `\uXXXX`; so decoding and re-escaping never loses or invents a character.

use std::ops::Range;

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Whether `b` must be escaped inside a JSON string.
#[inline]
pub(crate) fn needs_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\' || b == 0xED
}

/// Appends `raw` as it stands inside a JSON string (no quotes), escaped as `json.dumps` with
/// `ensure_ascii=False` does: `\"`, `\\`, the short escapes, `\u00XX` for other control bytes;
/// everything else as it is.
pub(crate) fn escape_into(raw: &[u8], out: &mut Vec<u8>) {
    let mut from = 0;
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        if !needs_escape(b) {
            i += 1;
            continue;
        }
        if b == 0xED {
            // a lone surrogate in WTF-8 goes back to its escape; any other ED lead byte stays
            if i + 2 < raw.len() && (0xA0..=0xBF).contains(&raw[i + 1]) {
                out.extend_from_slice(&raw[from..i]);
                let unit = 0xD000 | ((raw[i + 1] as u32 & 0x3F) << 6) | (raw[i + 2] as u32 & 0x3F);
                push_unit(unit, out);
                i += 3;
                from = i;
            } else {
                i += 1;
            }
            continue;
        }
        out.extend_from_slice(&raw[from..i]);
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0C => out.extend_from_slice(b"\\f"),
            _ => push_unit(b as u32, out),
        }
        i += 1;
        from = i;
    }
    out.extend_from_slice(&raw[from..]);
}

fn push_unit(unit: u32, out: &mut Vec<u8>) {
    out.extend_from_slice(b"\\u");
    for shift in [12, 8, 4, 0] {
        out.push(HEX[(unit >> shift) as usize & 0xF]);
    }
}

/// `raw` JSON-escaped (no quotes).
#[cfg(test)]
pub(crate) fn escaped(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + 2);
    escape_into(raw, &mut out);
    out
}

/// The value of four hex digits.
fn hex4(b: &[u8]) -> Option<u32> {
    if b.len() < 4 {
        return None;
    }
    let mut v = 0;
    for &c in &b[..4] {
        v = v << 4 | (c as char).to_digit(16)?;
    }
    Some(v)
}

/// Appends the code point (or lone surrogate) `cp` as UTF-8 (WTF-8).
pub(crate) fn push_code_point(cp: u32, out: &mut Vec<u8>) {
    match cp {
        0..=0x7F => out.push(cp as u8),
        0x80..=0x7FF => out.extend_from_slice(&[0xC0 | (cp >> 6) as u8, 0x80 | (cp & 0x3F) as u8]),
        0x800..=0xFFFF => out.extend_from_slice(&[
            0xE0 | (cp >> 12) as u8,
            0x80 | ((cp >> 6) & 0x3F) as u8,
            0x80 | (cp & 0x3F) as u8,
        ]),
        _ => out.extend_from_slice(&[
            0xF0 | (cp >> 18) as u8,
            0x80 | ((cp >> 12) & 0x3F) as u8,
            0x80 | ((cp >> 6) & 0x3F) as u8,
            0x80 | (cp & 0x3F) as u8,
        ]),
    }
}

/// The escape at the start of `raw` (which starts with a backslash): `(bytes it takes, code
/// point)`, with a `\uD8xx\uDCxx` pair read as one character; `None` when it is not a valid
/// escape.
pub(crate) fn read_escape(raw: &[u8]) -> Option<(usize, u32)> {
    let c = *raw.get(1)?;
    let simple = match c {
        b'"' => b'"',
        b'\\' => b'\\',
        b'/' => b'/',
        b'b' => 0x08,
        b'f' => 0x0C,
        b'n' => b'\n',
        b'r' => b'\r',
        b't' => b'\t',
        b'u' => {
            let unit = hex4(&raw[2..])?;
            if (0xD800..0xDC00).contains(&unit)
                && raw.len() >= 12
                && raw[6] == b'\\'
                && raw[7] == b'u'
            {
                if let Some(low) = hex4(&raw[8..]).filter(|l| (0xDC00..0xE000).contains(l)) {
                    return Some((12, 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)));
                }
            }
            return Some((6, unit));
        }
        _ => return None,
    };
    Some((2, simple as u32))
}

/// The contents of a JSON string (between its quotes) decoded into `out`; `None` on an
/// invalid escape.
pub(crate) fn decode_into(raw: &[u8], out: &mut Vec<u8>) -> Option<()> {
    let mut i = 0;
    while i < raw.len() {
        let Some(off) = memchr::memchr(b'\\', &raw[i..]) else {
            out.extend_from_slice(&raw[i..]);
            break;
        };
        out.extend_from_slice(&raw[i..i + off]);
        i += off;
        let (taken, cp) = read_escape(&raw[i..])?;
        push_code_point(cp, out);
        i += taken;
    }
    Some(())
}

/// The fields of a Messages stream event that decide what the unmasker does with it.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct EventFields {
    /// `index`, when it is an integer.
    pub(crate) index: Option<i64>,
    /// `content_block.type`, decoded.
    pub(crate) block_type: Option<Vec<u8>>,
    /// `delta.type`, decoded.
    pub(crate) delta_type: Option<Vec<u8>>,
    /// Where `delta.text` / `delta.partial_json` stand in the data, quotes included, when they
    /// are strings.
    pub(crate) text: Option<Range<usize>>,
    pub(crate) partial_json: Option<Range<usize>>,
}

/// Reads `data` as one JSON object and picks out [`EventFields`]; `None` when it is not one.
/// Other members are skipped without being checked in depth.
pub(crate) fn event_fields(data: &[u8]) -> Option<EventFields> {
    let mut r = Reader { b: data, i: 0 };
    let mut fields = EventFields::default();
    r.object(|r, key| match key {
        b"index" => {
            fields.index = r.integer()?;
            Some(())
        }
        b"content_block" | b"delta" => {
            let is_block = key == b"content_block";
            if is_block {
                fields.block_type = None;
            } else {
                (fields.delta_type, fields.text, fields.partial_json) = (None, None, None);
            }
            if r.peek() != Some(b'{') {
                return r.skip_value();
            }
            r.object(|r, inner| {
                match inner {
                    b"type" => {
                        let value = r.string_value()?;
                        if is_block {
                            fields.block_type = value;
                        } else {
                            fields.delta_type = value;
                        }
                    }
                    b"text" | b"partial_json" if !is_block => {
                        let at = r.i;
                        let span = if r.peek() == Some(b'"') {
                            r.string()?;
                            Some(at..r.i)
                        } else {
                            r.skip_value()?;
                            None
                        };
                        if inner == b"text" {
                            fields.text = span;
                        } else {
                            fields.partial_json = span;
                        }
                    }
                    _ => r.skip_value()?,
                }
                Some(())
            })
        }
        _ => r.skip_value(),
    })?;
    r.ws();
    (r.i == data.len()).then_some(fields)
}

/// A cursor over JSON text.
struct Reader<'a> {
    b: &'a [u8],
    i: usize,
}

impl Reader<'_> {
    fn ws(&mut self) {
        while self.i < self.b.len() && matches!(self.b[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.b.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }

    /// An object, calling `member` with each decoded key and the reader at its value.
    fn object(&mut self, mut member: impl FnMut(&mut Self, &[u8]) -> Option<()>) -> Option<()> {
        self.eat(b'{')?;
        if self.peek()? == b'}' {
            self.i += 1;
            return Some(());
        }
        loop {
            self.ws();
            let at = self.i;
            self.string()?;
            let raw = &self.b[at + 1..self.i - 1];
            let mut decoded = Vec::new();
            let key: &[u8] = if raw.contains(&b'\\') {
                decode_into(raw, &mut decoded)?;
                &decoded
            } else {
                raw
            };
            self.eat(b':')?;
            self.ws();
            member(self, key)?;
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// A string; the cursor ends after its closing quote.
    fn string(&mut self) -> Option<()> {
        if self.b.get(self.i) != Some(&b'"') {
            return None;
        }
        let mut i = self.i + 1;
        loop {
            let off = memchr::memchr2(b'"', b'\\', &self.b[i..])?;
            if self.b[i..i + off].iter().any(|&c| c < 0x20) {
                return None;
            }
            i += off;
            if self.b[i] == b'"' {
                self.i = i + 1;
                return Some(());
            }
            let (taken, _) = read_escape(&self.b[i..])?;
            i += taken;
        }
    }

    /// A string value decoded (`Some(None)` when the value is not a string).
    fn string_value(&mut self) -> Option<Option<Vec<u8>>> {
        if self.peek() != Some(b'"') {
            self.skip_value()?;
            return Some(None);
        }
        let at = self.i;
        self.string()?;
        let mut out = Vec::new();
        decode_into(&self.b[at + 1..self.i - 1], &mut out)?;
        Some(Some(out))
    }

    /// A value read as an integer (`Some(None)` for any other value, which is skipped).
    fn integer(&mut self) -> Option<Option<i64>> {
        self.ws();
        let at = self.i;
        self.skip_value()?;
        Some(
            std::str::from_utf8(&self.b[at..self.i])
                .ok()
                .and_then(|s| s.parse().ok()),
        )
    }

    /// Any value; nested containers are matched by bracket depth, strings skipped whole.
    fn skip_value(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => self.string(),
            b'{' | b'[' => {
                let mut depth = 0usize;
                loop {
                    match *self.b.get(self.i)? {
                        b'"' => {
                            self.string()?;
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                self.i += 1;
                                return Some(());
                            }
                        }
                        _ => {}
                    }
                    self.i += 1;
                }
            }
            _ => {
                let at = self.i;
                while self.i < self.b.len()
                    && matches!(self.b[self.i], b'-' | b'+' | b'.' | b'0'..=b'9' | b'a'..=b'z' | b'E')
                {
                    self.i += 1;
                }
                (self.i > at).then_some(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_and_decode_round_trip() {
        let raw = "a\"b\\c\nd\te\u{1}f é 😀 \u{7f}".as_bytes();
        let esc = escaped(raw);
        assert_eq!(esc, br#"a\"b\\c\nd\te\u0001f "#.iter().chain("é 😀 \u{7f}".as_bytes()).copied().collect::<Vec<u8>>());
        let mut back = Vec::new();
        decode_into(&esc, &mut back).unwrap();
        assert_eq!(back, raw);
    }

    #[test]
    fn lone_surrogates_survive_decoding_and_escaping() {
        let mut out = Vec::new();
        decode_into(br"x\ud83dy\ud83d\ude00", &mut out).unwrap();
        assert_eq!(&out[..1], b"x");
        assert_eq!(&out[1..4], &[0xED, 0xA0, 0xBD]);
        assert_eq!(&out[4..], "y😀".as_bytes());
        assert_eq!(escaped(&out), "x\\ud83dy😀".as_bytes());
    }

    #[test]
    fn invalid_escapes_are_refused() {
        assert!(decode_into(br"a\qb", &mut Vec::new()).is_none());
        assert!(decode_into(br"a\u12", &mut Vec::new()).is_none());
    }

    #[test]
    fn event_fields_are_read_in_place() {
        let data = br#"{"type":"content_block_delta","index":3,"delta":{"type":"text_delta","text":"hi \"x\""}}"#;
        let f = event_fields(data).unwrap();
        assert_eq!(f.index, Some(3));
        assert_eq!(f.delta_type.as_deref(), Some(&b"text_delta"[..]));
        assert_eq!(&data[f.text.clone().unwrap()], br#""hi \"x\"""#);
        let start = br#"{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"t","input":{"a":[1,{"b":"}"}]}}}"#;
        let f = event_fields(start).unwrap();
        assert_eq!(f.block_type.as_deref(), Some(&b"tool_use"[..]));
        assert_eq!(f.index, Some(0));
        assert!(event_fields(b"{\"index\": 1} x").is_none());
        assert!(event_fields(b"[1]").is_none());
        assert!(event_fields(b"{\"index\": 1, \"delta\": {\"text\": 5}}")
            .unwrap()
            .text
            .is_none());
        assert_eq!(
            event_fields(b" { \"ind\\u0065x\" : 7 } ").unwrap().index,
            Some(7)
        );
    }
}
