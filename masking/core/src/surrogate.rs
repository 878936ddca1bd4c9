//! Keyed, deterministic, length- and shape-preserving surrogates.
//!
//! A surrogate replaces only ASCII letters and digits; every other byte, and every JSON escape
//! sequence (`\n`, `\"`, `\/`, `\\n` at deeper nesting), stays where it is. A `\uXXXX` escape of
//! a letter or digit is re-encoded in place (same backslashes, same number of hex digits). So a
//! surrogate has the byte length of its original at any escaping depth, and a value written as
//! `a\/b` in one place and `a/b` in another gets the same letters and digits.
//!
//! The letters and digits come from HMAC-SHA256 over the shape, an attempt number and the
//! value's letters and digits (its *projection*), so they depend on the key and the value only:
//! every request, restart and instance that shares the key gives the same surrogate (DESIGN
//! invariant 4). `attempt` > 0 derives an alternative, for the exchange map to keep its map a
//! bijection. A surrogate never equals its original.
//!
//! Surrogates that cannot collide with ordinary text (DESIGN invariant 5, issue 12):
//!
//! - **Digit runs** keep a nonzero leading digit when the original's is nonzero, so a JSON
//!   number stays a valid number and an account id keeps looking like one.
//! - **Short letter runs** (fewer than [`SHORT_LETTER_RUN`] letters in a row) are drawn from
//!   consonants only (`bcdfghjklmnpqrstvwxz`, either case): such a surrogate is never an English
//!   word, so a word the model writes on its own is never taken for one. Longer runs use the
//!   whole alphabet, so a long secret keeps its look.
//! - **IPv4** (see [`Shape::Ipv4`]): private stays private (its range prefix kept), public stays
//!   public, loopback and link-local keep their prefix, every octet keeps its digit count, and
//!   the surrogate avoids the addresses real data commonly uses:
//!   - the last octet is never 0, 1, 2, 3 (a network's first hosts: gateway, DNS, reserved)
//!     nor 254 or 255: one digit draws from 4–9, three digits from 100–253;
//!   - the middle octets are never 0 or 255 (so never `10.0.0.x`, `192.168.0.x`, and never a
//!     netmask such as `255.255.255.0`); a zero octet stays zero only in a CIDR block, where
//!     it keeps the block's base aligned, and as the last octet of a network address (`.0`);
//!   - a public surrogate is never in a special-purpose range (0/8, 10/8, 100.64/10, 127/8,
//!     169.254/16, 172.16/12, 192.0.0/24, 192.0.2/24, 192.88.99/24, 192.168/16, 198.18/15,
//!     198.51.100/24, 203.0.113/24, 224/3 and up: multicast, reserved, broadcast), never a
//!     well-known public resolver (`1.1.1.1`, `8.8.8.8`, `9.9.9.9`, …) and never four equal
//!     octets.
//!
//!   When no such address differs from the original (it cannot happen for a well-formed
//!   address; the loop is bounded all the same) the digits are drawn class-wise instead.
//! - **Too short to mask safely**: [`min_len`] and [`safe_to_mask`] say below which number of
//!   letters and digits a value's surrogate space is too small (digit-only values under
//!   [`MIN_DIGITS`] digits, such as line numbers, hex under 8 digits, anything under 4). The
//!   engine leaves those unmasked rather than issue a surrogate that ordinary text could
//!   contain.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::finding::Shape;

type HmacSha256 = Hmac<Sha256>;

/// The minimum key length in bytes.
pub const MIN_KEY_LEN: usize = 32;
/// Letter runs shorter than this draw from consonants only (never an English word).
pub const SHORT_LETTER_RUN: usize = 8;
/// Digit-only values shorter than this are not masked (line numbers, counts, ports, years).
pub const MIN_DIGITS: usize = 6;

const DIGITS: &[u8; 10] = b"0123456789";
const LOWER: &[u8; 26] = b"abcdefghijklmnopqrstuvwxyz";
const UPPER: &[u8; 26] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER_CONSONANTS: &[u8; 20] = b"bcdfghjklmnpqrstvwxz";
const UPPER_CONSONANTS: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";
const HEX_LOWER: &[u8; 16] = b"0123456789abcdef";
const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// How many times a draw is repeated (with a fresh stream) before giving up on a rule.
const RETRIES: u32 = 64;

/// The minimum number of letters and digits (the projection) a value of `shape` and `rtype`
/// needs to be masked: below it the surrogate space is so small that ordinary text could
/// contain a surrogate and the unmasker would then restore text the model wrote on its own.
///
/// - `Ipv4`: 4 (every dotted quad is masked: its surrogates avoid the addresses real data
///   uses, see the module doc);
/// - `Ipv6`: 4 hex digits;
/// - `Hex`: 8 hex digits (`cafe`, `beef`, `1234` stay);
/// - `Classwise`: [`MIN_DIGITS`] for the types whose values are digits only (account ids and
///   other numbers), 4 otherwise. [`safe_to_mask`] also applies the digit rule to any value
///   that turns out to be digits only.
pub fn min_len(shape: Shape, rtype: &str) -> usize {
    match shape {
        Shape::Ipv4 => 4,
        Shape::Ipv6 => 4,
        Shape::Hex => 8,
        Shape::Classwise => {
            if rtype == "aws_account_id" || rtype.ends_with("_number") {
                MIN_DIGITS
            } else {
                4
            }
        }
    }
}

/// True when `raw` (raw or decoded) has enough letters and digits for a surrogate that ordinary
/// text will not contain: at least [`min_len`] of them, and at least [`MIN_DIGITS`] when they
/// are all digits (outside IPv4, whose surrogates avoid common addresses instead).
pub fn safe_to_mask(raw: &[u8], shape: Shape, rtype: &str) -> bool {
    let count = |decoded: &mut dyn Iterator<Item = u8>| {
        decoded.fold((0usize, 0usize), |(n, digits), c| {
            (
                n + usize::from(c.is_ascii_alphanumeric()),
                digits + usize::from(c.is_ascii_digit()),
            )
        })
    };
    let (n, digits) = if memchr::memchr(b'\\', raw).is_none() {
        count(&mut raw.iter().copied())
    } else {
        count(&mut Units::parse(raw).list.iter().map(|u| u.decoded))
    };
    if n < min_len(shape, rtype) {
        return false;
    }
    shape == Shape::Ipv4 || digits < n || n >= MIN_DIGITS
}

/// Makes the surrogate of a raw span for a given shape, keyed by the masking key.
#[derive(Clone)]
pub struct SurrogateMaker {
    /// The keyed HMAC state, cloned per block so the key schedule runs once.
    mac: HmacSha256,
}

impl std::fmt::Debug for SurrogateMaker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SurrogateMaker { .. }")
    }
}

impl SurrogateMaker {
    /// A maker for `key`, which must be at least [`MIN_KEY_LEN`] bytes.
    pub fn new(key: &[u8]) -> Result<Self, String> {
        if key.len() < MIN_KEY_LEN {
            return Err(format!("masking key must be at least {MIN_KEY_LEN} bytes"));
        }
        let mac = HmacSha256::new_from_slice(key).map_err(|e| e.to_string())?;
        Ok(SurrogateMaker { mac })
    }

    /// The surrogate of the raw span `raw` (plain or JSON-escaped text) for `shape`: same byte
    /// length, only ASCII letters and digits changed, never equal to `raw`'s value unless it
    /// has no letters or digits at all. A pure function of the key and the arguments.
    pub fn surrogate(&self, raw: &[u8], shape: Shape, attempt: u32) -> Vec<u8> {
        if memchr::memchr(b'\\', raw).is_none() {
            return self.decoded_surrogate(raw, shape, attempt);
        }
        let units = Units::parse(raw);
        let decoded: Vec<u8> = units.list.iter().map(|u| u.decoded).collect();
        let mut new = self.decoded_surrogate(&decoded, shape, attempt);
        // A letter after a backslash of the value must not become an escape's letter: `\a`
        // drawn as `\n` would be a line break, and the surrogate another value.
        for i in 1..new.len() {
            if decoded[i - 1] == b'\\' && decoded[i].is_ascii_alphabetic() {
                new[i] = not_an_escape_letter(new[i], shape);
            }
        }
        units.encode(raw, &new)
    }

    /// The surrogate of a decoded value (one byte per unit; non-alphanumeric units stay).
    fn decoded_surrogate(&self, value: &[u8], shape: Shape, attempt: u32) -> Vec<u8> {
        if shape == Shape::Ipv4 {
            if let Some(out) = self.ipv4(value, attempt) {
                return out;
            }
            return self.letters(value, Shape::Classwise, attempt);
        }
        self.letters(value, shape, attempt)
    }

    /// A keyed byte stream for `(shape, attempt, retry, projection)`.
    fn stream<'a>(&'a self, shape: Shape, attempt: u32, retry: u32, value: &'a [u8]) -> Stream<'a> {
        Stream {
            mac: &self.mac,
            shape,
            attempt,
            retry,
            value,
            counter: 0,
            block: [0; 32],
            pos: 32,
        }
    }

    /// Class-wise (or hex) letters for every letter and digit of `value`.
    fn letters(&self, value: &[u8], shape: Shape, attempt: u32) -> Vec<u8> {
        let projection: Vec<u8> = value
            .iter()
            .copied()
            .filter(u8::is_ascii_alphanumeric)
            .collect();
        if projection.is_empty() {
            return value.to_vec();
        }
        let hex = matches!(shape, Shape::Hex | Shape::Ipv6);
        let hex_upper = hex
            && projection.iter().any(|b| (b'A'..=b'F').contains(b))
            && !projection.iter().any(|b| (b'a'..=b'f').contains(b));
        let seed_shape = if shape == Shape::Ipv4 {
            Shape::Classwise
        } else {
            shape
        };
        let hex_runs = if shape == Shape::Classwise {
            hex_runs(value, &projection)
        } else {
            None
        };
        let mut out = value.to_vec();
        for retry in 0..RETRIES {
            let mut rnd = self.stream(seed_shape, attempt, retry, &projection);
            // whether the letter run the walk is in is shorter than SHORT_LETTER_RUN
            let mut short_run = false;
            for (i, &b) in value.iter().enumerate() {
                if !b.is_ascii_alphanumeric() {
                    continue;
                }
                if b.is_ascii_alphabetic() && (i == 0 || !value[i - 1].is_ascii_alphabetic()) {
                    let run = value[i..]
                        .iter()
                        .take_while(|c| c.is_ascii_alphabetic())
                        .count();
                    short_run = run < SHORT_LETTER_RUN;
                }
                let r = rnd.next();
                let hex_run = hex_runs.as_ref().map(|h| h[i]);
                out[i] = if let Some(Some(upper)) = hex_run {
                    if upper {
                        HEX_UPPER[usize::from(r % 16)]
                    } else {
                        HEX_LOWER[usize::from(r % 16)]
                    }
                } else if hex && b.is_ascii_hexdigit() {
                    if hex_upper {
                        HEX_UPPER[usize::from(r % 16)]
                    } else {
                        HEX_LOWER[usize::from(r % 16)]
                    }
                } else if b.is_ascii_digit() {
                    let run_start = i == 0 || !value[i - 1].is_ascii_digit();
                    if run_start && b != b'0' {
                        DIGITS[1 + usize::from(r % 9)]
                    } else {
                        DIGITS[usize::from(r % 10)]
                    }
                } else if short_run {
                    let set = if b.is_ascii_lowercase() {
                        LOWER_CONSONANTS
                    } else {
                        UPPER_CONSONANTS
                    };
                    set[usize::from(r % 20)]
                } else if b.is_ascii_lowercase() {
                    LOWER[usize::from(r % 26)]
                } else {
                    UPPER[usize::from(r % 26)]
                };
            }
            if out != value {
                return out;
            }
        }
        // 64 draws equal to the original: only a one-letter value from a one-element set could
        // do that, and no set has one element. Flip the first letter or digit deterministically.
        if let Some(i) = value.iter().position(u8::is_ascii_alphanumeric) {
            out[i] = match value[i] {
                b'9' => b'8',
                b'z' => b'y',
                b'Z' => b'Y',
                c => c + 1,
            };
        }
        out
    }

    /// The IPv4 surrogate of a decoded dotted quad (optionally with a `/prefix`), or `None`
    /// when `value` is not one or no address satisfies the rules.
    fn ipv4(&self, value: &[u8], attempt: u32) -> Option<Vec<u8>> {
        let quad = Quad::parse(value)?;
        let class = Class::of(quad.values);
        // dashes draw as dots: a host's `ip-10-4-7-9` gets the digits of `10.4.7.9`'s surrogate
        let dotted: Vec<u8> = value.iter().map(|&c| if c == b'-' { b'.' } else { c }).collect();
        for retry in 0..RETRIES * 4 {
            let mut rnd = self.stream(Shape::Ipv4, attempt, retry, &dotted);
            let mut new = [0u16; 4];
            for (i, slot) in new.iter_mut().enumerate() {
                *slot = quad.draw_octet(i, class, &mut rnd);
            }
            if !quad.accepts(new, class) {
                continue;
            }
            let mut out = value.to_vec();
            for (i, &(s, len)) in quad.spans.iter().enumerate() {
                write_decimal(&mut out[s..s + len], new[i]);
            }
            if out != value {
                return Some(out);
            }
        }
        None
    }
}

/// The shortest run of letters and digits taken for a hex number inside a class-wise value.
pub const HEX_RUN: usize = 8;

/// For a class-wise value, the hex numbers inside it, by byte: `Some(upper)` for a byte of a
/// run drawn from hex digits of that case, `None` elsewhere; `None` in all when there is none.
///
/// A run of letters and digits is a hex number when it has at least [`HEX_RUN`] of them, all
/// hex digits of one case, with at least one digit and one letter (an EKS endpoint's id, an
/// ECS task id, a commit in a resource name). Its surrogate keeps it hex, so the value keeps
/// its look; such a run is never a word, so the consonant rule for short letter runs, which
/// keeps surrogates from being words, has nothing to guard there. When the whole projection
/// is such a number (a UUID whose groups are shorter than [`HEX_RUN`]), every run is one.
fn hex_runs(value: &[u8], projection: &[u8]) -> Option<Vec<Option<bool>>> {
    fn number(chars: &[u8]) -> Option<bool> {
        let upper = chars.iter().any(|b| (b'A'..=b'F').contains(b));
        let lower = chars.iter().any(|b| (b'a'..=b'f').contains(b));
        let hex = chars.iter().all(u8::is_ascii_hexdigit);
        let digit = chars.iter().any(u8::is_ascii_digit);
        (chars.len() >= HEX_RUN && hex && digit && upper != lower).then_some(upper)
    }
    if let Some(upper) = number(projection) {
        let marks = value
            .iter()
            .map(|b| b.is_ascii_alphanumeric().then_some(upper))
            .collect();
        return Some(marks);
    }
    let mut marks = vec![None; value.len()];
    let mut any = false;
    let mut i = 0;
    while i < value.len() {
        if !value[i].is_ascii_alphanumeric() {
            i += 1;
            continue;
        }
        let end = i + value[i..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        if let Some(upper) = number(&value[i..end]) {
            marks[i..end].fill(Some(upper));
            any = true;
        }
        i = end;
    }
    any.then_some(marks)
}

/// The bytes of an HMAC-SHA256 keystream, one 32-byte block per counter value.
struct Stream<'a> {
    mac: &'a HmacSha256,
    shape: Shape,
    attempt: u32,
    retry: u32,
    value: &'a [u8],
    counter: u32,
    block: [u8; 32],
    pos: usize,
}

impl Stream<'_> {
    fn next(&mut self) -> u8 {
        if self.pos == self.block.len() {
            let mut mac = self.mac.clone();
            mac.update(&self.counter.to_be_bytes());
            mac.update(self.shape.name().as_bytes());
            mac.update(&[0]);
            mac.update(&self.attempt.to_be_bytes());
            mac.update(&self.retry.to_be_bytes());
            mac.update(&[0]);
            mac.update(self.value);
            self.block.copy_from_slice(&mac.finalize().into_bytes());
            self.counter += 1;
            self.pos = 0;
        }
        let b = self.block[self.pos];
        self.pos += 1;
        b
    }

    /// A number in `lo..=hi` (small ranges only; the bias of one byte's modulo is harmless).
    fn range(&mut self, lo: u16, hi: u16) -> u16 {
        let r = u16::from_be_bytes([self.next(), self.next()]);
        lo + r % (hi - lo + 1)
    }
}

// ---------------------------------------------------------------- escapes

/// One unit of raw text: a single byte or a whole escape sequence.
struct Unit {
    start: usize,
    end: usize,
    /// The byte the unit stands for; `0xFF` for an escape of a non-ASCII character.
    decoded: u8,
}

/// A raw span cut into units.
struct Units {
    list: Vec<Unit>,
}

impl Units {
    /// Cut `raw` into units. An escape is a run of backslashes and the character (`"\/bfnrt`)
    /// or `uXXXX` it escapes, or a run of two or more backslashes (an escaped backslash).
    fn parse(raw: &[u8]) -> Self {
        let mut list = Vec::with_capacity(raw.len());
        let mut i = 0;
        while i < raw.len() {
            if raw[i] != b'\\' {
                list.push(Unit {
                    start: i,
                    end: i + 1,
                    decoded: raw[i],
                });
                i += 1;
                continue;
            }
            let mut j = i;
            while j < raw.len() && raw[j] == b'\\' {
                j += 1;
            }
            if j + 5 <= raw.len()
                && raw[j] == b'u'
                && raw[j + 1..j + 5].iter().all(u8::is_ascii_hexdigit)
            {
                let code = parse_hex4(&raw[j + 1..j + 5]);
                let decoded = if code < 0x80 { code as u8 } else { 0xFF };
                list.push(Unit {
                    start: i,
                    end: j + 5,
                    decoded,
                });
                i = j + 5;
            } else if j < raw.len()
                && matches!(raw[j], b'"' | b'/' | b'b' | b'f' | b'n' | b'r' | b't')
            {
                let decoded = match raw[j] {
                    b'b' => 0x08,
                    b'f' => 0x0c,
                    b'n' => b'\n',
                    b'r' => b'\r',
                    b't' => b'\t',
                    c => c,
                };
                list.push(Unit {
                    start: i,
                    end: j + 1,
                    decoded,
                });
                i = j + 1;
            } else {
                // a run of backslashes: an escaped backslash (or one stray backslash)
                list.push(Unit {
                    start: i,
                    end: j,
                    decoded: b'\\',
                });
                i = j;
            }
        }
        Units { list }
    }

    /// `raw` with every letter or digit unit replaced by the same unit of `new` (one decoded
    /// byte per unit); `\uXXXX` escapes are re-encoded with the case of their hex digits.
    fn encode(&self, raw: &[u8], new: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(raw.len());
        for (u, &b) in self.list.iter().zip(new) {
            if !u.decoded.is_ascii_alphanumeric() {
                out.extend_from_slice(&raw[u.start..u.end]);
            } else if u.end - u.start == 1 {
                out.push(b);
            } else {
                let esc = &raw[u.start..u.end];
                let (head, hex) = esc.split_at(esc.len() - 4);
                out.extend_from_slice(head);
                let upper = hex.iter().any(u8::is_ascii_uppercase);
                let digits = if upper { HEX_UPPER } else { HEX_LOWER };
                out.extend_from_slice(&[
                    b'0',
                    b'0',
                    digits[usize::from(b >> 4)],
                    digits[usize::from(b & 15)],
                ]);
            }
        }
        out
    }
}

/// `c`, or the letter after it when `c` ends a JSON escape after a backslash (`b`, `f`, `n`, `r`,
/// `t`, `u`): `e` for a hex digit `f`, so a hex surrogate stays hex.
fn not_an_escape_letter(c: u8, shape: Shape) -> u8 {
    match c {
        b'f' if matches!(shape, Shape::Hex | Shape::Ipv6) => b'e',
        b'b' | b'f' | b'n' | b'r' => c + 1,
        b't' | b'u' => b'v',
        _ => c,
    }
}

fn parse_hex4(h: &[u8]) -> u32 {
    h.iter().fold(0, |acc, &c| {
        acc * 16 + (c as char).to_digit(16).unwrap_or(0)
    })
}

// ---------------------------------------------------------------- IPv4

/// A parsed dotted quad: octet spans in the value, their values, and whether a `/prefix`
/// follows (a CIDR block).
struct Quad {
    spans: [(usize, usize); 4],
    values: [u16; 4],
    cidr: bool,
}

impl Quad {
    /// `d{1,3}.d{1,3}.d{1,3}.d{1,3}(/d{1,3})?` with octets up to 255, the whole value; or the
    /// same four octets joined by dashes, as a host name spells them (`ip-10-4-7-9`), no block.
    fn parse(value: &[u8]) -> Option<Quad> {
        let mut spans = [(0, 0); 4];
        let mut values = [0u16; 4];
        let mut i = 0;
        let sep = if value.contains(&b'.') { b'.' } else { b'-' };
        for k in 0..4 {
            if k > 0 {
                if value.get(i) != Some(&sep) {
                    return None;
                }
                i += 1;
            }
            let s = i;
            while i < value.len() && value[i].is_ascii_digit() && i - s < 4 {
                i += 1;
            }
            let len = i - s;
            if !(1..=3).contains(&len) {
                return None;
            }
            let v = value[s..i]
                .iter()
                .fold(0u16, |a, &c| a * 10 + u16::from(c - b'0'));
            if v > 255 {
                return None;
            }
            spans[k] = (s, len);
            values[k] = v;
        }
        let cidr = i < value.len();
        if cidr && sep == b'-' {
            return None;
        }
        if cidr {
            let rest = &value[i..];
            if rest.len() < 2
                || rest.len() > 4
                || rest[0] != b'/'
                || !rest[1..].iter().all(u8::is_ascii_digit)
            {
                return None;
            }
        }
        Some(Quad {
            spans,
            values,
            cidr,
        })
    }

    /// A new value for octet `i` with the original's digit count, by the module doc's rules.
    fn draw_octet(&self, i: usize, class: Class, rnd: &mut Stream<'_>) -> u16 {
        let v = self.values[i];
        let digits = self.spans[i].1;
        if i < class.kept_octets() {
            return v;
        }
        if v == 0 && (self.cidr || i == 3) {
            return 0;
        }
        match (class, i) {
            (Class::Private172, 1) => return rnd.range(16, 31),
            (Class::Cgnat, 1) => {
                return if digits == 2 {
                    rnd.range(64, 99)
                } else {
                    rnd.range(100, 127)
                }
            }
            _ => {}
        }
        match (i, digits) {
            (0, 1) => rnd.range(1, 9),
            (0, 2) => rnd.range(11, 99),
            (0, _) => rnd.range(100, 223),
            (3, 1) => rnd.range(4, 9),
            (3, 2) => rnd.range(10, 99),
            (3, _) => rnd.range(100, 253),
            (_, 1) => rnd.range(1, 9),
            (_, 2) => rnd.range(10, 99),
            (_, _) => rnd.range(100, 254),
        }
    }

    /// The drawn address stays in the original's class and avoids well-known addresses.
    fn accepts(&self, new: [u16; 4], class: Class) -> bool {
        if Class::of(new) != class {
            return false;
        }
        if class == Class::Public && (special_public(new) || well_known(new)) {
            return false;
        }
        !(new[0] == new[1] && new[1] == new[2] && new[2] == new[3])
    }
}

/// The ranges an IPv4 surrogate stays in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    Private10,
    Private172,
    Private192,
    /// 100.64.0.0/10, shared address space: private in practice.
    Cgnat,
    Loopback,
    LinkLocal,
    /// Everything else, including special-purpose ranges of the original.
    Public,
}

impl Class {
    fn of(v: [u16; 4]) -> Class {
        match (v[0], v[1]) {
            (10, _) => Class::Private10,
            (172, 16..=31) => Class::Private172,
            (192, 168) => Class::Private192,
            (100, 64..=127) => Class::Cgnat,
            (127, _) => Class::Loopback,
            (169, 254) => Class::LinkLocal,
            _ => Class::Public,
        }
    }

    /// How many leading octets are the range prefix and stay as they are.
    fn kept_octets(self) -> usize {
        match self {
            Class::Private10 | Class::Private172 | Class::Cgnat | Class::Loopback => 1,
            Class::Private192 | Class::LinkLocal => 2,
            Class::Public => 0,
        }
    }
}

/// Special-purpose ranges (RFC 6890 and friends) that a public surrogate never lands in.
fn special_public(v: [u16; 4]) -> bool {
    matches!(
        (v[0], v[1], v[2]),
        (0, _, _)
            | (10, _, _)
            | (100, 64..=127, _)
            | (127, _, _)
            | (169, 254, _)
            | (172, 16..=31, _)
            | (192, 0, 0)
            | (192, 0, 2)
            | (192, 88, 99)
            | (192, 168, _)
            | (198, 18..=19, _)
            | (198, 51, 100)
            | (203, 0, 113)
            | (224..=255, _, _)
    )
}

/// Public resolvers and addresses that appear in text on their own.
fn well_known(v: [u16; 4]) -> bool {
    const KNOWN: &[[u16; 4]] = &[
        [1, 1, 1, 1],
        [1, 0, 0, 1],
        [8, 8, 8, 8],
        [8, 8, 4, 4],
        [9, 9, 9, 9],
        [4, 2, 2, 1],
        [4, 2, 2, 2],
        [149, 112, 112, 112],
        [208, 67, 222, 222],
        [208, 67, 220, 220],
    ];
    KNOWN.contains(&v)
}

/// Write `n` in decimal into `out`, which has exactly its digit count.
fn write_decimal(out: &mut [u8], mut n: u16) {
    for slot in out.iter_mut().rev() {
        *slot = b'0' + (n % 10) as u8;
        n /= 10;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn maker() -> SurrogateMaker {
        SurrogateMaker::new(&[7u8; 32]).unwrap()
    }

    fn other_maker() -> SurrogateMaker {
        SurrogateMaker::new(&[9u8; 40]).unwrap()
    }

    use crate::testutil::random_string;

    fn class_of(b: u8) -> u8 {
        if b.is_ascii_digit() {
            b'9'
        } else if b.is_ascii_lowercase() {
            b'a'
        } else if b.is_ascii_uppercase() {
            b'A'
        } else {
            b
        }
    }

    fn quad(s: &[u8]) -> [u16; 4] {
        Quad::parse(s).unwrap().values
    }

    #[test]
    fn short_key_is_refused() {
        assert!(SurrogateMaker::new(&[1u8; 31]).is_err());
        assert!(SurrogateMaker::new(&[1u8; 32]).is_ok());
    }

    #[test]
    fn deterministic_and_keyed() {
        let m = maker();
        let v = b"orders-db-7f3a9c";
        assert_eq!(
            m.surrogate(v, Shape::Classwise, 0),
            maker().surrogate(v, Shape::Classwise, 0)
        );
        assert_ne!(
            m.surrogate(v, Shape::Classwise, 0),
            other_maker().surrogate(v, Shape::Classwise, 0)
        );
        assert_ne!(
            m.surrogate(v, Shape::Classwise, 0),
            m.surrogate(v, Shape::Classwise, 1)
        );
    }

    #[test]
    fn classwise_keeps_length_classes_and_punctuation() {
        let m = maker();
        let alphabet = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/=-_.:";
        for seed in 1..300 {
            let v = random_string(seed, 1 + (seed as usize % 60), alphabet);
            let s = m.surrogate(&v, Shape::Classwise, 0);
            assert_eq!(s.len(), v.len());
            let projection: Vec<u8> = v
                .iter()
                .copied()
                .filter(u8::is_ascii_alphanumeric)
                .collect();
            if hex_runs(&v, &projection).is_some() {
                // a hex number inside is drawn from hex digits (see `hex_numbers_stay_hex`)
                continue;
            }
            assert_eq!(
                s.iter().map(|&b| class_of(b)).collect::<Vec<_>>(),
                v.iter().map(|&b| class_of(b)).collect::<Vec<_>>()
            );
            if v.iter().any(u8::is_ascii_alphanumeric) {
                assert_ne!(s, v);
            }
        }
    }

    #[test]
    fn hex_keeps_hex_and_case() {
        let m = maker();
        for seed in 1..100 {
            let v = random_string(seed, 17, b"0123456789abcdef");
            let s = m.surrogate(&v, Shape::Hex, 0);
            assert_eq!(s.len(), 17);
            assert!(
                s.iter().all(|b| b"0123456789abcdef".contains(b)),
                "{:?}",
                String::from_utf8_lossy(&s)
            );
            let v = random_string(seed, 32, b"0123456789ABCDEF");
            let s = m.surrogate(&v, Shape::Hex, 0);
            assert!(s.iter().all(|b| b"0123456789ABCDEF".contains(b)));
        }
        // non-hex letters stay class-wise
        let s = m.surrogate(b"zon-0abc", Shape::Hex, 0);
        assert!(s[..3].iter().all(u8::is_ascii_lowercase) && &s[3..4] == b"-");
    }

    #[test]
    fn hex_numbers_stay_hex() {
        let m = maker();
        let is_hex_of = |s: &[u8], upper: bool| {
            s.iter().all(|b| {
                b.is_ascii_digit()
                    || if upper {
                        (b'A'..=b'F').contains(b)
                    } else {
                        (b'a'..=b'f').contains(b)
                    }
            })
        };
        for seed in 1..200 {
            // an EKS endpoint id, upper case; an ECS task id, lower case
            let upper = random_string(seed, 32, b"0123456789ABCDEF");
            let lower = random_string(seed, 32, b"0123456789abcdef");
            for (v, up) in [(upper, true), (lower, false)] {
                let projection = v.clone();
                if hex_runs(&v, &projection).is_none() {
                    continue; // no letter or no digit drawn
                }
                let s = m.surrogate(&v, Shape::Classwise, 0);
                assert!(is_hex_of(&s, up) && s != v && s.len() == v.len());
            }
        }
        // inside a name: the hex run keeps hex, the words keep their classes
        let s = m.surrogate(b"payments-api-3f2a1b0c9d8e-x", Shape::Classwise, 0);
        assert!(
            is_hex_of(&s[13..25], false),
            "{}",
            String::from_utf8_lossy(&s)
        );
        assert!(s[..12].iter().all(|b| b.is_ascii_lowercase() || *b == b'-'));
        // a UUID's short groups are hex too when the whole value is one hex number
        let s = m.surrogate(b"1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d", Shape::Classwise, 0);
        assert!(s.split(|b| *b == b'-').all(|g| is_hex_of(g, false)));
        // not hex numbers: a word of hex letters, digits only, a short run, mixed case
        for v in [
            &b"deadbeefcafe"[..],
            b"123456789012",
            b"ab12cd",
            b"aB3dE5gH7j",
            b"9F3a1C7e2B4d",
        ] {
            let projection: Vec<u8> = v
                .iter()
                .copied()
                .filter(u8::is_ascii_alphanumeric)
                .collect();
            assert!(
                hex_runs(v, &projection).is_none(),
                "{}",
                String::from_utf8_lossy(v)
            );
        }
    }

    #[test]
    fn ipv6_keeps_groups() {
        let m = maker();
        let v = b"2001:db8:85a3::8a2e:370:7334";
        let s = m.surrogate(v, Shape::Ipv6, 0);
        assert_eq!(s.len(), v.len());
        for (a, b) in s.iter().zip(v.iter()) {
            assert_eq!(*a == b':', *b == b':');
            assert!(a.is_ascii_hexdigit() || *a == b':');
        }
        assert_ne!(&s[..], &v[..]);
    }

    #[test]
    fn a_letter_after_a_backslash_of_the_value_never_becomes_an_escape() {
        // `\\a` in a JSON string is a backslash and `a`; drawn as `\\n` it would be a line
        // break one depth down: the surrogate keeps every unit of the value what it was
        let m = maker();
        for raw in [&br"Ab\\aQ\\bz\\ry\\tk\\uq\\f9"[..], br"x\a\b\c", br"\\\\u1"] {
            let units = |v: &[u8]| -> Vec<u8> {
                Units::parse(v).list.iter().map(|u| u.decoded).collect()
            };
            let want: Vec<bool> = units(raw).iter().map(u8::is_ascii_alphanumeric).collect();
            for shape in [Shape::Classwise, Shape::Hex] {
                for attempt in 0..300 {
                    let s = m.surrogate(raw, shape, attempt);
                    let got: Vec<bool> = units(&s).iter().map(u8::is_ascii_alphanumeric).collect();
                    assert_eq!(got, want, "{:?}", String::from_utf8_lossy(&s));
                }
            }
        }
    }

    #[test]
    fn escapes_are_kept_and_the_same_value_gets_the_same_letters() {
        let m = maker();
        let plain = m.surrogate(b"path/to/secret9Key", Shape::Classwise, 0);
        let escaped = m.surrogate(br"path\/to\\\/secret9Key", Shape::Classwise, 0);
        assert_eq!(escaped.len(), br"path\/to\\\/secret9Key".len());
        assert_eq!(&escaped[4..6], br"\/");
        assert_eq!(&escaped[8..12], br"\\\/");
        assert_eq!(crate::recognizers::base::unescape(&escaped), plain);
        // \uXXXX of a letter is re-encoded in place, keeping its hex case
        let u = m.surrogate(br"ab\u0063defgh\u002F12345", Shape::Classwise, 0);
        let p = m.surrogate(b"abcdefgh/12345", Shape::Classwise, 0);
        assert_eq!(u.len(), br"ab\u0063defgh\u002F12345".len());
        assert_eq!(&u[2..6], br"\u00");
        let c = u8::from_str_radix(std::str::from_utf8(&u[6..8]).unwrap(), 16).unwrap();
        assert_eq!(c, p[2]);
        assert_eq!(&u[13..19], br"\u002F");
        assert_eq!(&u[19..], &p[9..]);
        let upper = m.surrogate(br"x\u004A", Shape::Classwise, 0);
        assert!(upper[6..].iter().all(|b| !b.is_ascii_lowercase()));
        // escapes of newlines and quotes stay opaque
        let s = m.surrogate(br#"\n\"abc123\""#, Shape::Classwise, 0);
        assert_eq!(&s[..4], br#"\n\""#);
        assert_eq!(&s[s.len() - 2..], br#"\""#);
    }

    #[test]
    fn digit_runs_keep_a_nonzero_leading_digit() {
        let m = maker();
        for seed in 1..500 {
            let mut v = random_string(seed, 12, b"0123456789");
            if v[0] == b'0' {
                v[0] = b'7';
            }
            for attempt in 0..3 {
                let s = m.surrogate(&v, Shape::Classwise, attempt);
                assert_ne!(s[0], b'0');
                assert!(s.iter().all(u8::is_ascii_digit));
            }
            let json = [b"v1-".as_slice(), &v, b".5"].concat();
            let s = m.surrogate(&json, Shape::Classwise, 0);
            assert_ne!(s[3], b'0');
        }
    }

    #[test]
    fn short_letter_runs_have_no_vowels() {
        let m = maker();
        for seed in 1..200 {
            let v = random_string(seed, 7, b"abcdefghijklmnopqrstuvwxyz");
            let s = m.surrogate(&v, Shape::Classwise, 0);
            assert!(s.iter().all(|b| LOWER_CONSONANTS.contains(b)));
            let s = m.surrogate(b"prod-db", Shape::Classwise, seed as u32);
            assert!(!s.iter().any(|b| b"aeiouy".contains(b)));
        }
    }

    #[test]
    fn ipv4_keeps_class_and_digit_counts() {
        let m = maker();
        let cases: &[&[u8]] = &[
            b"10.0.0.5",
            b"10.12.134.27",
            b"172.16.4.9",
            b"172.31.250.100",
            b"192.168.1.1",
            b"192.168.100.254",
            b"100.64.3.2",
            b"100.127.33.44",
            b"54.239.28.85",
            b"3.5.140.2",
            b"203.0.113.7",
            b"127.0.0.1",
            b"169.254.169.254",
            b"8.8.8.8",
        ];
        for &v in cases {
            for attempt in 0..50 {
                let s = m.surrogate(v, Shape::Ipv4, attempt);
                assert_ne!(&s[..], v);
                let (a, b) = (
                    Quad::parse(v).unwrap(),
                    Quad::parse(&s).unwrap_or_else(|| panic!("{:?}", String::from_utf8_lossy(&s))),
                );
                assert_eq!(a.spans, b.spans, "{:?}", String::from_utf8_lossy(&s));
                assert_eq!(Class::of(a.values), Class::of(b.values));
                let n = b.values;
                assert!(
                    n[3] >= 4 && n[3] <= 253 || (n[3] >= 10 && n[3] <= 99),
                    "{:?}",
                    n
                );
                assert!(
                    n[1] != 0 && n[2] != 0 && n[1] != 255 && n[2] != 255,
                    "{:?}",
                    n
                );
                if Class::of(n) == Class::Public {
                    assert!(!special_public(n) && !well_known(n), "{:?}", n);
                }
            }
        }
    }

    #[test]
    fn ipv4_avoids_common_addresses() {
        let m = maker();
        let mut seen = std::collections::HashSet::new();
        for a in 0..=9u16 {
            for b in 0..=9u16 {
                let v = format!("10.{a}.{b}.7");
                for attempt in 0..4 {
                    let s = m.surrogate(v.as_bytes(), Shape::Ipv4, attempt);
                    let n = quad(&s);
                    assert!(!(n[1] == 0 && n[2] == 0), "{v} -> {n:?}");
                    assert!(!matches!(n[3], 0..=3 | 254 | 255));
                    seen.insert(n);
                }
            }
        }
        assert!(
            seen.len() > 100,
            "surrogate space too small: {}",
            seen.len()
        );
        let s = m.surrogate(b"192.168.0.1", Shape::Ipv4, 0);
        let n = quad(&s);
        assert!(n[2] != 0 && n[3] >= 4, "{n:?}");
    }

    #[test]
    fn ipv4_cidr_keeps_prefix_and_zero_octets() {
        let m = maker();
        let s = m.surrogate(b"10.20.0.0/16", Shape::Ipv4, 0);
        assert!(s.ends_with(b".0.0/16") && s.len() == 12);
        let n = quad(&s[..s.len() - 3]);
        assert_eq!(n[0], 10);
        assert_eq!((n[2], n[3]), (0, 0));
        assert_ne!(n[1], 20);
        let s = m.surrogate(b"10.20.30.0", Shape::Ipv4, 0);
        assert!(s.ends_with(b".0"));
        let s = m.surrogate(br"10.20.0.0\/16", Shape::Ipv4, 0);
        assert!(s.ends_with(br".0.0\/16"));
    }

    #[test]
    fn ipv4_in_a_host_name_gets_the_address_surrogate() {
        let m = maker();
        for v in [&b"10.20.31.47"[..], b"54.201.17.88", b"172.31.4.200"] {
            let dashed: Vec<u8> = v.iter().map(|&c| if c == b'.' { b'-' } else { c }).collect();
            let s = m.surrogate(v, Shape::Ipv4, 0);
            let d = m.surrogate(&dashed, Shape::Ipv4, 0);
            assert_eq!(d, s.iter().map(|&c| if c == b'.' { b'-' } else { c }).collect::<Vec<_>>());
        }
        assert!(Quad::parse(b"10-20-31-47/16").is_none());
        assert!(Quad::parse(b"10-20.31-47").is_none());
    }

    #[test]
    fn ipv4_escaped_matches_plain() {
        let m = maker();
        let plain = m.surrogate(b"54.239.28.85", Shape::Ipv4, 0);
        let escaped = m.surrogate(br"54.239.2\u0038.85", Shape::Ipv4, 0);
        let decoded: Vec<u8> = Units::parse(&escaped)
            .list
            .iter()
            .map(|u| u.decoded)
            .collect();
        assert_eq!(decoded, plain);
    }

    #[test]
    fn not_an_address_falls_back_to_classwise() {
        let m = maker();
        let s = m.surrogate(b"999.1.2.3", Shape::Ipv4, 0);
        assert_eq!(s.len(), 9);
        assert_ne!(&s[..], b"999.1.2.3");
    }

    #[test]
    fn min_len_and_safe_to_mask() {
        assert!(!safe_to_mask(b"177", Shape::Classwise, "aws_resource_name"));
        assert!(!safe_to_mask(b"12345", Shape::Classwise, "password"));
        assert!(safe_to_mask(b"123456", Shape::Classwise, "password"));
        assert!(!safe_to_mask(b"abc", Shape::Classwise, "password"));
        assert!(safe_to_mask(b"ab1c", Shape::Classwise, "password"));
        assert!(safe_to_mask(b"1.2.3.4", Shape::Ipv4, "ipv4_public"));
        assert!(!safe_to_mask(b"cafe", Shape::Hex, "aws_kms_key_id"));
        assert!(!safe_to_mask(br"\u0031\u0032345", Shape::Classwise, "x"));
        assert_eq!(min_len(Shape::Classwise, "aws_account_id"), MIN_DIGITS);
    }

    #[test]
    fn no_letters_no_change() {
        let m = maker();
        assert_eq!(m.surrogate(b"--//", Shape::Classwise, 0), b"--//");
        assert_eq!(m.surrogate(b"", Shape::Classwise, 0), b"");
    }
}
