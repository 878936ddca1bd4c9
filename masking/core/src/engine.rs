//! The engine: recognize a whole request body, remember what was found, replace every
//! occurrence, and hand the response side this exchange's map.
//!
//! A request is masked in one pass over the complete body (DESIGN invariant 2): the JSON
//! layout says which bytes are opaque (signed blocks, image data, ids); the scanner finds
//! values by their format and context; every value found that could not be an ordinary word
//! joins the known values, and every occurrence of a known value anywhere in the body —
//! before or after the place that gave it away, or in an earlier request — is replaced too
//! (invariant 1). Surrogates keep length and shape (invariant 3), are keyed and deterministic
//! (invariant 4), and never equal an original or a value the body carries unmasked
//! (invariant 5).
//!
//! **Cost** (the bench's 1 MB Messages body, 5,158 values, one core, `--example stages`, best
//! of 40 on a loaded 2-core machine): a warm body takes ~14 ms in the core:
//! JSON layout 0.4 ms, the scan ~4.7 ms, remembering the 4,859 distinct values 2.2 ms into an
//! empty store and 0.6 ms when all are known (one probe of an exact-value index), finding known
//! values in the body ~2.1 ms (crowded anchor buckets are walked side by side and rejected by
//! the bytes after the anchor), and the rest is the exchange map: each pair is stored once and
//! found through index tables, plain spans are looked up without a copy, and a known value's
//! first surrogate is kept with it, so a warm body draws no keyed surrogate for a value seen
//! before. A cold body adds the scanner's lazy DFA (see `scanner`).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Mutex;

use crate::anthropic::MessagesPolicy;
use crate::finding::{Finding, Shape};
use crate::json::{self, GenericPolicy};
use crate::known::KnownValues;
use crate::recognizers;
use crate::scanner::{Filter, Scanner};
use crate::surrogate::{safe_to_mask, SurrogateMaker};

/// The shortest surrogate made only of digits and dots: six digits (the all-digit minimum,
/// [`crate::surrogate::MIN_DIGITS`]), or a dotted quad of four digits and three dots.
const SHORTEST_NUMERIC_SURROGATE: usize = 6;

/// The body's runs of digits and dots that start with a digit, trailing dots left out.
fn digit_runs(body: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut i = 0;
    std::iter::from_fn(move || {
        let (s, e, next) = next_digit_run(body, i)?;
        i = next;
        Some(&body[s..e])
    })
}

/// Like [`digit_runs`], only the runs of at least `min` bytes (`min` ≥ 1). Most of a body is
/// not digits: the byte `min - 1` ahead is looked at first, and when it cannot be in a run, no
/// run of `min` bytes starts before it and `min` bytes are skipped at once.
fn long_digit_runs(body: &[u8], min: usize) -> impl Iterator<Item = &[u8]> {
    let in_run = |c: u8| c.is_ascii_digit() || c == b'.';
    let mut i = 0;
    std::iter::from_fn(move || loop {
        // here body[i - 1] is not in a run (or i is 0)
        let p = i + min - 1;
        if p >= body.len() {
            return None;
        }
        if !in_run(body[p]) {
            i = p + 1;
            continue;
        }
        let mut s = p;
        while s > i && in_run(body[s - 1]) {
            s -= 1;
        }
        let (s, e, next) = next_digit_run(body, s)?;
        i = next;
        if e - s >= min {
            return Some(&body[s..e]);
        }
    })
}

/// The first run of digits and dots that starts with a digit at or after `from`: its start,
/// its end without trailing dots, and where the run stops (its first byte not in it).
fn next_digit_run(body: &[u8], from: usize) -> Option<(usize, usize, usize)> {
    let mut i = from;
    while i < body.len() && !body[i].is_ascii_digit() {
        i += 1;
    }
    if i >= body.len() {
        return None;
    }
    let s = i;
    while i < body.len() && (body[i].is_ascii_digit() || body[i] == b'.') {
        i += 1;
    }
    let mut e = i;
    while e > s && body[e - 1] == b'.' {
        e -= 1;
    }
    Some((s, e, i))
}

/// A fast hash for the engine's per-body maps, whose keys are values of the body itself (no
/// attacker gains by colliding them: a collision only costs a longer probe).
#[derive(Default)]
struct FastHasher(u64);

impl Hasher for FastHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = self.0;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let w = u64::from_le_bytes(c.try_into().expect("8 bytes"));
            h = (h.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
        for &b in chunks.remainder() {
            h = (h.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
        self.0 = h;
    }
}

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;
type FastSet<K> = HashSet<K, BuildHasherDefault<FastHasher>>;

/// Findings shorter than this stay as they are: a one- or two-character surrogate would turn
/// up in ordinary text and be "restored" there, and such a value reveals next to nothing.
/// They also need the letters and digits `surrogate::safe_to_mask` asks for, but for the user's
/// own terms and regexes holding a letter, which are masked from this length on.
pub const MIN_SPAN: usize = 3;

/// What the body is, as far as masking is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyKind {
    /// masked anywhere
    Text,
    /// JSON: every string and number masked; invalid JSON is refused
    Json,
    /// an Anthropic Messages request: signed and opaque fields pass byte for byte
    Messages,
}

/// The user's rules.
#[derive(Clone, Default)]
pub struct Rules {
    pub terms: Vec<String>,
    pub regexes: Vec<(String, String)>,
    pub allowlist: Vec<String>,
    pub disabled: Vec<String>,
    /// how many values the engine remembers across requests (0: none)
    pub known_values: usize,
    /// the memory the known values may take, in bytes
    pub known_bytes: usize,
}

/// Why a body cannot be masked; the message never quotes the body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub status: u16,
    pub error_type: &'static str,
    pub message: String,
}

/// (surrogate, original) pairs, both decoded.
pub type Pairs = Vec<(Vec<u8>, Vec<u8>)>;

/// The result of masking one body.
pub struct Masked {
    pub body: Vec<u8>,
    /// masked occurrences by type
    pub counts: BTreeMap<&'static str, usize>,
    /// (surrogate, original), both decoded: what this exchange's response may restore
    pub pairs: Vec<(Vec<u8>, Vec<u8>)>,
    /// the bytes right before originals glued to a letter or digit (`AKIA`)
    pub glue: Vec<Vec<u8>>,
}

/// A span to replace: where, its type and shape, and the known value it holds.
struct Span {
    start: usize,
    end: usize,
    rtype: &'static str,
    shape: Shape,
    /// the index of the known value the span holds, [`NO_ENTRY`] if none
    entry: u32,
}

/// [`Span::entry`] of a span whose value is not remembered.
const NO_ENTRY: u32 = u32::MAX;

pub struct Engine {
    scanner: Scanner,
    maker: SurrogateMaker,
    known: Mutex<KnownValues>,
    /// whether values are remembered across requests (`known_values` > 0)
    remembers: bool,
    allowlist: HashSet<Vec<u8>>,
    disabled: HashSet<String>,
}

impl Engine {
    pub fn new(key: &[u8], rules: &Rules) -> Result<Engine, String> {
        let maker = SurrogateMaker::new(key)?;
        let mut recs = recognizers::user::build(&rules.terms, &rules.regexes)?;
        recs.extend(recognizers::builtin());
        let allowlist: HashSet<Vec<u8>> = rules.allowlist.iter().map(|a| a.as_bytes().to_vec()).collect();
        let disabled: HashSet<String> = rules.disabled.iter().cloned().collect();
        let filter = Filter { disabled: disabled.clone(), allowlist: allowlist.clone() };
        let scanner = Scanner::new(recs, filter)?;
        Ok(Engine {
            scanner,
            maker,
            known: Mutex::new(KnownValues::new(rules.known_values, rules.known_bytes)),
            remembers: rules.known_values > 0 && rules.known_bytes > 0,
            allowlist,
            disabled,
        })
    }

    /// How many values the engine remembers now, and the bytes they take.
    pub fn known_stats(&self) -> (usize, usize) {
        let k = self.known.lock().unwrap_or_else(|e| e.into_inner());
        (k.len(), k.bytes_used())
    }

    /// The opaque ranges of `body` for `kind` (empty for text).
    fn opaque(&self, body: &[u8], kind: BodyKind) -> Result<Vec<(usize, usize)>, Refusal> {
        let layout = match kind {
            BodyKind::Text => return Ok(Vec::new()),
            BodyKind::Json => json::layout(body, &GenericPolicy),
            BodyKind::Messages => json::layout(body, &MessagesPolicy),
        };
        layout.map(|l| l.opaque).map_err(|e| Refusal {
            status: 400,
            error_type: "invalid_request_error",
            message: format!("the body is not valid JSON ({} at offset {}); it was not forwarded", e.message, e.offset),
        })
    }

    /// The findings by format and context in `body` outside opaque ranges that can be masked,
    /// with the index of the recognizer that made each. Needs no lock: run before the known
    /// values are taken.
    fn found(&self, body: &[u8], opaque: &[(usize, usize)]) -> Vec<(Finding, usize)> {
        self.scanner
            .scan_sources(body)
            .into_iter()
            .filter(|(f, _)| {
                f.end - f.start >= MIN_SPAN
                    && (safe_to_mask(&body[f.start..f.end], f.shape, f.rtype) || user_term_ok(&body[f.start..f.end], f.rtype))
                    && !overlaps(opaque, f.start, f.end)
            })
            .collect()
    }

    /// The values `body` holds that the rules recognize, outside opaque ranges: the findings
    /// `found`, and occurrences of values recognized before (in this body or an earlier one).
    /// Sorted, not overlapping.
    fn spans(&self, body: &[u8], opaque: &[(usize, usize)], found: &[(Finding, usize)], known: &mut KnownValues) -> Vec<Span> {
        let recognizers = self.scanner.recognizers();
        let mut spans: Vec<Span> = Vec::with_capacity(found.len());
        // Each distinct value once: a body repeats its values many times.
        let mut remembered: FastMap<&[u8], u32> = FastMap::with_capacity_and_hasher(found.len(), Default::default());
        for (f, source) in found {
            let raw = &body[f.start..f.end];
            // A value named by a turn of phrase is masked at its other occurrences only when it
            // holds a digit beside its letters (`invoices-prod-v2`, not `site-packages`): a
            // name, not a word that happened to follow one.
            let propagate = recognizers[*source].propagate
                || (raw.iter().any(u8::is_ascii_digit) && raw.iter().any(u8::is_ascii_alphabetic));
            let entry = if !propagate {
                NO_ENTRY
            } else {
                *remembered.entry(raw).or_insert_with(|| {
                    let index = if memchr::memchr(b'\\', raw).is_none() {
                        known.remember(raw, f.rtype, f.shape)
                    } else {
                        known.remember(&canonical(raw), f.rtype, f.shape)
                    };
                    index.map_or(NO_ENTRY, |i| i as u32)
                })
            };
            spans.push(Span { start: f.start, end: f.end, rtype: f.rtype, shape: f.shape, entry });
        }
        if known.is_empty() {
            return spans;
        }
        let mut extra: Vec<Span> = Vec::new();
        let mut seen: Vec<usize> = Vec::new();
        for (s, e, idx) in known.find_in(body) {
            let Some(kv) = known.get(idx) else { continue };
            if (!self.disabled.is_empty() && self.disabled.contains(kv.rtype))
                || (!self.allowlist.is_empty() && self.allowlist.contains(kv.value))
                || overlaps(opaque, s, e)
            {
                continue;
            }
            // A host under one of the account's domains is the account's: its labels are masked
            // with the domain (they name its services), as where the domain was recognized.
            if kv.rtype == recognizers::aws::HOSTNAME
                && s > 0
                && body[s - 1] == b'.'
                && recognizers::domains::registrable_start(kv.value) == Some(0)
            {
                if let Some(ls) = recognizers::domains::labels_before(body, s - 1) {
                    let host = &body[ls..e];
                    if !overlaps(opaque, ls, s) && (self.allowlist.is_empty() || !self.allowlist.contains(host)) {
                        let (rtype, shape) = (kv.rtype, Shape::Classwise);
                        extra.push(Span { start: ls, end: s - 1, rtype, shape, entry: NO_ENTRY });
                    }
                }
            }
            extra.push(Span { start: s, end: e, rtype: kv.rtype, shape: kv.shape, entry: idx as u32 });
            seen.push(idx);
        }
        for idx in seen {
            known.touch(idx);
        }
        if extra.is_empty() {
            return spans;
        }
        // findings by format and context win over occurrences of known values
        spans.sort_by_key(|s| s.start);
        extra.sort_by_key(|s| s.start);
        let mut merged: Vec<Span> = Vec::with_capacity(spans.len() + extra.len());
        let mut it = extra.into_iter().peekable();
        for sp in spans {
            while let Some(x) = it.peek() {
                if x.end <= sp.start {
                    let x = it.next().expect("peeked");
                    if merged.last().is_none_or(|m| m.end <= x.start) {
                        merged.push(x);
                    }
                } else if x.start < sp.end {
                    it.next(); // overlaps a finding
                } else {
                    break;
                }
            }
            if merged.last().is_none_or(|m| m.end <= sp.start) {
                merged.push(sp);
            }
        }
        for x in it {
            if merged.last().is_none_or(|m| m.end <= x.start) {
                merged.push(x);
            }
        }
        merged
    }

    /// Run `f` with the known values (and whether they are the engine's): the engine's,
    /// locked, or, when it keeps none, a store for this body alone, unbounded in practice
    /// (`values`: at least the number of values the body can hold).
    fn with_known<T>(&self, values: usize, f: impl FnOnce(&mut KnownValues, bool) -> T) -> T {
        if self.remembers {
            let mut guard = self.known.lock().unwrap_or_else(|e| e.into_inner());
            f(&mut guard, true)
        } else {
            f(&mut KnownValues::new(values.max(1), usize::MAX), false)
        }
    }

    /// Recognize `body` whole and return it masked, with this exchange's map.
    pub fn mask(&self, body: &[u8], kind: BodyKind) -> Result<Masked, Refusal> {
        let opaque = self.opaque(body, kind)?;
        let found = self.found(body, &opaque);
        let (out, counts, map) = self.with_known(body.len(), |known, keeps| {
            let spans = self.spans(body, &opaque, &found, known);
            let mut map = ExchangeMap::new(&self.maker, body, spans.len() / 2);
            let mut out = body.to_vec();
            let mut counts = TypeCounts::default();
            for sp in &spans {
                let raw = &body[sp.start..sp.end];
                let entry = if keeps { sp.entry } else { NO_ENTRY };
                map.mask_into(raw, sp.shape, &mut out[sp.start..sp.end], known, entry);
                if sp.start > 0 && body[sp.start - 1].is_ascii_alphanumeric() {
                    map.add_glue(&body[sp.start.saturating_sub(4)..sp.start]);
                }
                counts.add(sp.rtype);
            }
            (out, counts, map)
        });
        let (pairs, glue) = map.into_parts();
        Ok(Masked { body: out, counts: counts.into_map(), pairs, glue })
    }

    /// The findings `mask` would replace, without replacing them (for `maskproxy scan`).
    pub fn scan(&self, body: &[u8], kind: BodyKind) -> Result<Vec<Finding>, Refusal> {
        let opaque = self.opaque(body, kind)?;
        let found = self.found(body, &opaque);
        let spans = self.with_known(body.len(), |known, _| self.spans(body, &opaque, &found, known));
        Ok(spans.into_iter().map(|s| Finding::new(s.start, s.end, s.rtype, s.shape)).collect())
    }
}

/// Masked occurrences by type: a short list (a body has a few dozen types at most), found by
/// the type name's address first, so counting a span costs no hashing.
#[derive(Default)]
struct TypeCounts(Vec<(&'static str, usize)>);

impl TypeCounts {
    fn add(&mut self, rtype: &'static str) {
        let at = match self.0.iter().position(|(t, _)| std::ptr::eq(*t, rtype)) {
            Some(at) => at,
            None => match self.0.iter().position(|(t, _)| *t == rtype) {
                Some(at) => at,
                None => {
                    self.0.push((rtype, 0));
                    self.0.len() - 1
                }
            },
        };
        self.0[at].1 += 1;
    }

    fn into_map(self) -> BTreeMap<&'static str, usize> {
        let mut map = BTreeMap::new();
        for (t, n) in self.0 {
            *map.entry(t).or_insert(0) += n;
        }
        map
    }
}

/// The user's own terms and regexes are masked from [`MIN_SPAN`] bytes on, as the user asked,
/// except a number under `surrogate::MIN_DIGITS` digits: its surrogate would be an ordinary
/// number the model may write on its own, and the reply would be "restored" there.
fn user_term_ok(raw: &[u8], rtype: &str) -> bool {
    rtype.starts_with("user_") && raw.iter().any(|c| c.is_ascii_alphabetic())
}

fn overlaps(ranges: &[(usize, usize)], s: usize, e: usize) -> bool {
    // ranges are sorted and disjoint: find the first that ends after s
    let i = ranges.partition_point(|r| r.1 <= s);
    i < ranges.len() && ranges[i].0 < e
}

/// The value a raw span stands for, with JSON escape sequences of any depth decoded: a run of
/// backslashes before an escape's letter is that escape (`\\\"` two depths down is `"`), and
/// before any other byte one backslash of the value (`\\9` is `\9`).
pub fn canonical(raw: &[u8]) -> Vec<u8> {
    if memchr::memchr(b'\\', raw).is_none() {
        return raw.to_vec();
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] != b'\\' {
            out.push(raw[i]);
            i += 1;
            continue;
        }
        let mut j = i;
        while j < raw.len() && raw[j] == b'\\' {
            j += 1;
        }
        if j < raw.len() {
            let c = raw[j];
            let simple = json::escaped_byte(c);
            if let Some(d) = simple {
                out.push(d);
                i = j + 1;
                continue;
            }
            if c == b'u' && j + 5 <= raw.len() && raw[j + 1..j + 5].iter().all(|h| h.is_ascii_hexdigit()) {
                let code = u32::from_str_radix(std::str::from_utf8(&raw[j + 1..j + 5]).unwrap_or("0"), 16).unwrap_or(0);
                if let Some(ch) = char::from_u32(code) {
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                    i = j + 5;
                    continue;
                }
            }
        }
        // a literal backslash of the value, escaped as deep as the span is (`\\` one depth down)
        out.push(b'\\');
        i = j;
    }
    out
}

/// The hash of `bytes` the exchange map's tables use.
fn hash_bytes(bytes: &[u8]) -> u64 {
    let mut h = FastHasher(bytes.len() as u64);
    h.write(bytes);
    let h = h.finish();
    h ^ (h >> 29)
}

/// Indices into the exchange's pairs, found by a hash of bytes the pair holds (its original or
/// its surrogate) and confirmed by comparing those bytes: open addressing with linear probing,
/// no removal (an exchange only adds). The pairs own the bytes once; the table holds 12 bytes
/// per pair.
struct IndexTable {
    /// (hash, pair index); `u32::MAX` marks a free slot
    slots: Vec<(u64, u32)>,
    len: usize,
}

impl IndexTable {
    const FREE: u32 = u32::MAX;

    fn with_capacity(n: usize) -> Self {
        IndexTable { slots: vec![(0, Self::FREE); (n * 2).next_power_of_two().max(16)], len: 0 }
    }

    /// The index of a pair with hash `h` for which `is(index)` holds.
    fn find(&self, h: u64, is: impl Fn(usize) -> bool) -> Option<usize> {
        let mask = self.slots.len() - 1;
        let mut at = (h as usize) & mask;
        loop {
            let (sh, i) = self.slots[at];
            if i == Self::FREE {
                return None;
            }
            if sh == h && is(i as usize) {
                return Some(i as usize);
            }
            at = (at + 1) & mask;
        }
    }

    fn insert(&mut self, h: u64, index: usize) {
        if (self.len + 1) * 2 > self.slots.len() {
            let old = std::mem::take(&mut self.slots);
            self.slots = vec![(0, Self::FREE); old.len() * 2];
            self.len = 0;
            for (sh, i) in old.into_iter().filter(|s| s.1 != Self::FREE) {
                self.insert(sh, i as usize);
            }
        }
        let mask = self.slots.len() - 1;
        let mut at = (h as usize) & mask;
        while self.slots[at].1 != Self::FREE {
            at = (at + 1) & mask;
        }
        self.slots[at] = (h, index as u32);
        self.len += 1;
    }
}

/// Originals and surrogates of one exchange, both decoded: a bijection in which no surrogate
/// equals an original of the exchange or a value the body carries unmasked.
///
/// Each pair is stored once, in `pairs`, which becomes the exchange's map as it is; the tables
/// find a pair by its original or its surrogate. A span without a backslash is its own
/// decoded original, so it is looked up as it stands, with no copy; only escaped spans are
/// decoded, and their raw surrogates kept by raw span.
struct ExchangeMap<'a> {
    maker: &'a SurrogateMaker,
    body: &'a [u8],
    /// (surrogate, original), both decoded
    pairs: Pairs,
    /// per pair: the shape and attempt its surrogate was drawn with
    drawn: Vec<(Shape, u32)>,
    by_original: IndexTable,
    by_surrogate: IndexTable,
    /// raw span holding an escape -> its raw surrogate
    escaped: FastMap<&'a [u8], Vec<u8>>,
    glue: HashSet<Vec<u8>>,
    /// the body's runs of digits and dots, for the small-space shapes (built when needed)
    body_numbers: Option<FastSet<&'a [u8]>>,
}

impl<'a> ExchangeMap<'a> {
    /// A map for `body`, sized for `values` distinct values (a guess; the tables grow past it).
    fn new(maker: &'a SurrogateMaker, body: &'a [u8], values: usize) -> Self {
        ExchangeMap {
            maker,
            body,
            pairs: Vec::with_capacity(values),
            drawn: Vec::with_capacity(values),
            by_original: IndexTable::with_capacity(values),
            by_surrogate: IndexTable::with_capacity(values),
            escaped: FastMap::default(),
            glue: HashSet::new(),
            body_numbers: None,
        }
    }

    /// Whether `surrogate` (decoded) stands in the body as a value of its own: checked for
    /// numbers and addresses, whose space is small enough for a keyed draw to hit one.
    ///
    /// The body's digit runs are put in a set once, leaving out those shorter than
    /// [`SHORTEST_NUMERIC_SURROGATE`]: most of a body's numbers are short (counts, line
    /// numbers, offsets) and no surrogate made only of digits and dots is that short. A shorter
    /// surrogate, should a rule ever issue one, is looked for in the body directly.
    fn in_body(&mut self, surrogate: &[u8]) -> bool {
        if !surrogate.iter().all(|c| c.is_ascii_digit() || *c == b'.') {
            return false;
        }
        let body = self.body;
        if surrogate.len() < SHORTEST_NUMERIC_SURROGATE {
            return digit_runs(body).any(|run| run == surrogate);
        }
        let set = self.body_numbers.get_or_insert_with(|| {
            long_digit_runs(body, SHORTEST_NUMERIC_SURROGATE).collect()
        });
        set.contains(surrogate)
    }

    /// The pair whose original is `original` (decoded), hashed `h`.
    fn pair_of(&self, original: &[u8], h: u64) -> Option<usize> {
        let pairs = &self.pairs;
        self.by_original.find(h, |i| pairs[i].1 == original)
    }

    /// Write the raw surrogate for the raw span `raw` into `out` (same length), recording the
    /// pair.
    ///
    /// `entry` is the known value the span holds ([`NO_ENTRY`] if none): its surrogate is
    /// taken from `known` when kept there, and kept there once drawn.
    fn mask_into(&mut self, raw: &'a [u8], shape: Shape, out: &mut [u8], known: &mut KnownValues, entry: u32) {
        if memchr::memchr(b'\\', raw).is_none() {
            let h = hash_bytes(raw);
            let i = match self.pair_of(raw, h) {
                Some(i) => i,
                None => {
                    let index = entry as usize;
                    let kept = if entry == NO_ENTRY { None } else { known.surrogate(index, shape) };
                    let first = kept.map(<[u8]>::to_vec);
                    let reuse = first.is_some();
                    let (sur, attempt) = self.draw(raw, raw, shape, first, |s| s);
                    if entry != NO_ENTRY && !reuse && attempt == 0 {
                        known.keep_surrogate(index, shape, &sur);
                    }
                    self.add(sur, raw.to_vec(), h, shape, attempt)
                }
            };
            out.copy_from_slice(&self.pairs[i].0);
            return;
        }
        if let Some(sur) = self.escaped.get(raw) {
            out.copy_from_slice(sur);
            return;
        }
        let sur = self.mask_escaped(raw, shape);
        debug_assert_eq!(sur.len(), raw.len());
        out.copy_from_slice(&sur);
        self.escaped.insert(raw, sur);
    }

    /// The raw surrogate of a raw span holding an escape.
    fn mask_escaped(&mut self, raw: &[u8], shape: Shape) -> Vec<u8> {
        let original = canonical(raw);
        let h = hash_bytes(&original);
        if let Some(i) = self.pair_of(&original, h) {
            let (first_shape, attempt) = self.drawn[i];
            let sur = &self.pairs[i].0;
            let again = self.maker.surrogate(raw, first_shape, attempt);
            if canonical(&again) == *sur {
                return again;
            }
            // escaped differently: the letters of the decoded form, written over the raw span
            return overlay(raw, sur);
        }
        let mut raw_sur = Vec::new();
        let (sur, attempt) = self.draw(raw, &original, shape, None, |r| {
            let sur = canonical(&r);
            raw_sur = r;
            sur
        });
        self.add(sur, original, h, shape, attempt);
        raw_sur
    }

    /// Draw the surrogate of the raw span `raw` (decoded: `original`) that is free: not the
    /// original, not another pair's surrogate or original, not a number the body carries.
    /// `first` is the first draw when already known; `decode` turns a raw surrogate into its
    /// decoded form. Gives up after 64 attempts.
    fn draw(
        &mut self,
        raw: &[u8],
        original: &[u8],
        shape: Shape,
        mut first: Option<Vec<u8>>,
        mut decode: impl FnMut(Vec<u8>) -> Vec<u8>,
    ) -> (Vec<u8>, u32) {
        let mut attempt = 0u32;
        loop {
            let drawn = first.take().unwrap_or_else(|| self.maker.surrogate(raw, shape, attempt));
            let sur = decode(drawn);
            let h = hash_bytes(&sur);
            let pairs = &self.pairs;
            let free = sur != original
                && self.by_surrogate.find(h, |i| pairs[i].0 == sur).is_none()
                && self.by_original.find(h, |i| pairs[i].1 == sur).is_none()
                && !self.in_body(&sur);
            if free || attempt >= 64 {
                return (sur, attempt);
            }
            attempt += 1;
        }
    }

    /// Record the pair (`sur`, `original`), the original hashed `h`; its index.
    fn add(&mut self, sur: Vec<u8>, original: Vec<u8>, h: u64, shape: Shape, attempt: u32) -> usize {
        let i = self.pairs.len();
        self.by_original.insert(h, i);
        self.by_surrogate.insert(hash_bytes(&sur), i);
        self.pairs.push((sur, original));
        self.drawn.push((shape, attempt));
        i
    }

    fn add_glue(&mut self, before: &[u8]) {
        if !self.glue.contains(before) {
            self.glue.insert(before.to_vec());
        }
    }

    /// The (surrogate, original) pairs and the glue prefixes, moved out of the map.
    fn into_parts(self) -> (Pairs, Vec<Vec<u8>>) {
        (self.pairs, self.glue.into_iter().collect())
    }
}

/// `raw` with its letters and digits (outside escape sequences) replaced, in order, by those
/// of `decoded_surrogate`.
fn overlay(raw: &[u8], decoded_surrogate: &[u8]) -> Vec<u8> {
    let letters: Vec<u8> = decoded_surrogate.iter().copied().filter(|c| c.is_ascii_alphanumeric()).collect();
    let mut out = raw.to_vec();
    let mut k = 0;
    let mut i = 0;
    while i < raw.len() && k < letters.len() {
        if raw[i] == b'\\' {
            let mut j = i;
            while j < raw.len() && raw[j] == b'\\' {
                j += 1;
            }
            i = if j < raw.len() && raw[j] == b'u' { (j + 5).min(raw.len()) } else { j + 1 };
            continue;
        }
        if raw[i].is_ascii_alphanumeric() {
            out[i] = letters[k];
            k += 1;
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::testutil::random_string;

    const KEY: [u8; 32] = [3; 32];

    fn engine() -> Engine {
        let rules = Rules { known_values: 1000, known_bytes: 1 << 20, ..Rules::default() };
        Engine::new(&KEY, &rules).expect("engine")
    }

    /// A fresh account id and a fresh access key id body.
    fn values(seed: u64) -> (String, String) {
        let mut acct = random_string(seed, 12, b"0123456789");
        acct[0] = b'7';
        let key = random_string(seed, 16, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567");
        (String::from_utf8(acct).expect("ascii"), String::from_utf8(key).expect("ascii"))
    }

    #[test]
    fn long_digit_runs_are_the_digit_runs_of_that_length() {
        for seed in 0..400u64 {
            let body = random_string(seed, (seed % 97) as usize, b"0123456789..ab \n");
            for min in 1..9 {
                let slow: Vec<&[u8]> = digit_runs(&body).filter(|r| r.len() >= min).collect();
                let fast: Vec<&[u8]> = long_digit_runs(&body, min).collect();
                assert_eq!(fast, slow, "seed {seed}, min {min}");
            }
        }
        let runs: Vec<&[u8]> = digit_runs(b"a 1.2.3.4. x..123456 7").collect();
        assert_eq!(runs, [&b"1.2.3.4"[..], b"123456", b"7"]);
    }

    #[test]
    fn a_known_value_gets_the_same_surrogate_in_every_request() {
        let (acct, key) = values(11);
        let first = format!("Account: {acct}\nkey AKIA{key} then {acct} again");
        let later = format!("echo {acct} and AKIA{key}; {acct}");
        let e = engine();
        let m1 = e.mask(first.as_bytes(), BodyKind::Text).expect("masks");
        // a later request, with no context: the same surrogates, taken from the known values
        let m2 = e.mask(later.as_bytes(), BodyKind::Text).expect("masks");
        let m3 = e.mask(later.as_bytes(), BodyKind::Text).expect("masks");
        assert_eq!(m2.body, m3.body);
        let sur_of = |m: &Masked, v: &str| {
            let pair = m.pairs.iter().find(|(_, o)| o == v.as_bytes());
            pair.map(|(s, _)| s.clone()).unwrap_or_else(|| panic!("no pair in {:?}", m.counts))
        };
        assert_eq!(sur_of(&m1, &acct), sur_of(&m2, &acct));
        assert_eq!(sur_of(&m1, &key), sur_of(&m2, &key));
        // and the same as another engine with the key draws for it
        let fresh = engine().mask(first.as_bytes(), BodyKind::Text).expect("masks");
        assert_eq!(sur_of(&fresh, &acct), sur_of(&m2, &acct));
        let sur = String::from_utf8(sur_of(&m2, &acct)).expect("ascii");
        let key_sur = String::from_utf8(sur_of(&m2, &key)).expect("ascii");
        assert_eq!(m2.body, later.replace(&acct, &sur).replace(&key, &key_sur).into_bytes());
    }

    #[test]
    fn a_kept_surrogate_still_avoids_a_number_the_body_carries() {
        let (acct, _) = values(12);
        let e = engine();
        let m1 = e.mask(format!("Account: {acct}").as_bytes(), BodyKind::Text).expect("masks");
        let sur = String::from_utf8(m1.pairs[0].0.clone()).expect("ascii");
        // the next body carries the surrogate itself unmasked: the value is drawn again
        let m2 = e.mask(format!("{acct} and {sur}").as_bytes(), BodyKind::Text).expect("masks");
        let (new_sur, original) = &m2.pairs[0];
        assert_eq!(original, acct.as_bytes());
        assert_ne!(new_sur, sur.as_bytes());
        assert_eq!(m2.body, format!("{} and {sur}", String::from_utf8_lossy(new_sur)).into_bytes());
    }

    #[test]
    fn counts_by_type() {
        let (acct, key) = values(13);
        let body = format!("Account: {acct} AKIA{key} {acct}");
        let m = engine().mask(body.as_bytes(), BodyKind::Text).expect("masks");
        assert_eq!(m.counts.values().sum::<usize>(), 3);
        assert_eq!(m.counts.get("aws_account_id"), Some(&2));
    }
}
