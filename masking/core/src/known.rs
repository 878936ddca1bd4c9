//! The engine's memory of recognized values ("known values", DESIGN invariant 1).
//!
//! Every value recognized in a request joins it (decoded: `a/b`, not `a\/b`); later requests
//! mask every occurrence of a known value whatever its context: the account id the model echoes
//! bare, the bucket name the user types in the prompt, the secret pasted again in prose.
//!
//! **Bounded, in memory only.** Nothing here is ever written anywhere. The store holds at most
//! `max_values` values and about `max_bytes` bytes ([`KnownValues::bytes_used`] counts the
//! values and their surrogates, the entry table, the indexes and the filter); the least
//! recently seen value goes first. The defaults ([`DEFAULT_MAX_VALUES`], [`DEFAULT_MAX_BYTES`])
//! keep 200,000 values within 64 MiB. Entries live in one `Vec` linked into a recency list by
//! index (no pointers, no per-operation allocation beyond the value's own bytes): touch and
//! eviction are O(1).
//!
//! **Finding known values in a body in one pass.** Each value is indexed by an *anchor*: one of
//! its maximal runs of ASCII letters and digits (the longest, unless that run's bucket is
//! crowded, see [`MAX_BUCKET`]). [`KnownValues::find_in`] walks the text's maximal alnum runs
//! once, looks each run up (the anchor lengths in use, then a blocked Bloom filter on a cheap
//! fingerprint, 16 bits per anchor from 4 KiB to 512 KiB, then a hash map), and verifies the
//! whole value around a hit, so its cost is linear in the text and does not grow with the
//! number of known values. In a crowded bucket most entries are rejected by the bytes that
//! follow the anchor, without reading the value (see [`Link`]). It handles:
//!
//! - token boundaries: a value must not be glued to a letter, digit, `_` or `-` (`prod-db` is
//!   not found in `prod-db-2`); the end of a JSON escape (`\n`, `\t`, `\u00e9`) before a value
//!   is a boundary, like base's `left_ok`;
//! - values of [`GLUE_MIN`] bytes or more glued on the left to up to [`MAX_GLUE`] letters or
//!   digits (`AKIA` + the 16 characters of a remembered access key id body; when the glued run
//!   is the value's anchor, it must be [`GLUE_ANCHOR_MIN`] long or more); such long values
//!   may also touch `-` or `_` on either side when they contain neither themselves (an account
//!   id in `bucket-123456789012-logs`);
//! - escaped forms: `/` written `\/` (any number of backslashes) or `\u002f`, `"` as `\"`,
//!   newline and tab as `\n` and `\t`, any other ASCII punctuation as `\u00XX`. Letters and
//!   digits written as `\uXXXX` are not matched (no encoder writes them so).
//! - overlaps: leftmost first, then longest.
//!
//! **What is remembered**: only values that could not be an ordinary word or number
//! ([`rememberable`], in `known/guard.rs`, says which, by family).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::finding::Shape;
use crate::recognizers::base::{left_ok, ALNUM, GLUE_ID};

mod guard;
pub use guard::rememberable;

/// A value remembered from one occurrence is also found where it follows a `-` (`h-` + the
/// body of an Organizations handshake id): it is remembered at all, long enough to be looked
/// for behind a prefix, and holds no `-` or `_` (which would make it part of a longer name).
/// A recognizer that keeps an id's type prefix readable asks this first, so that the id
/// stays masked wherever it recurs.
pub fn recurs_behind_dash(value: &[u8], rtype: &str) -> bool {
    value.len() >= GLUE_MIN
        && !value.iter().any(|&b| b == b'-' || b == b'_')
        && rememberable(value, rtype)
}

/// Default bound on the number of values.
pub const DEFAULT_MAX_VALUES: usize = 200_000;
/// Default bound on [`KnownValues::bytes_used`]: 64 MiB.
pub const DEFAULT_MAX_BYTES: usize = 64 << 20;
/// Longer values are not remembered (a PEM private key body fits).
pub const MAX_VALUE_LEN: usize = 8192;
/// Values shorter than this are not remembered.
pub const MIN_VALUE_LEN: usize = 4;
/// Values at least this long may be glued on the left to a prefix (`AKIA…`).
pub const GLUE_MIN: usize = 12;
/// The longest prefix a long value may be glued to.
pub const MAX_GLUE: usize = 8;
/// A value is looked for behind a glued prefix only when its first run, which is then its
/// anchor, is at least this long (an access key id body: 16); shorter first runs would make
/// every word of the text a candidate.
pub const GLUE_ANCHOR_MIN: usize = 10;
/// An anchor bucket holding this many values makes a new value pick another of its runs.
pub const MAX_BUCKET: u32 = 8;

const NIL: u32 = u32::MAX;
/// The filter's size in 64-bit words, least and most: it grows with the anchors (to about
/// [`FILTER_BITS_PER_ANCHOR`] bits each) so that a small store's filter stays in the CPU's
/// nearest caches, where a lookup per text run costs next to nothing.
const FILTER_MIN_WORDS: usize = 1 << 9;
const FILTER_MAX_WORDS: usize = 1 << 16;
const FILTER_BITS_PER_ANCHOR: usize = 16;
/// Anchor lengths are counted up to this (longer ones share the last slot).
const LENS: usize = 64;

/// One known value, linked into the recency list and its anchor bucket by index.
#[derive(Debug)]
struct Entry {
    /// The decoded value; empty when the slot is free.
    value: Box<[u8]>,
    /// The value's surrogate for its `shape`, first draw, once the engine has drawn it (empty
    /// before): a surrogate is a pure function of the key, shape and value, so a value seen
    /// again is not drawn again.
    surrogate: Box<[u8]>,
    rtype: &'static str,
    shape: Shape,
    anchor_start: u16,
    anchor_len: u16,
    /// Toward the most recently seen entry.
    prev: u32,
    /// Toward the least recently seen entry; the next free slot when the slot is free.
    next: u32,
    /// The next entry whose value has the same hash (see `KnownValues::values`).
    value_next: u32,
}

impl Entry {
    fn anchor(&self) -> &[u8] {
        let s = usize::from(self.anchor_start);
        &self.value[s..s + usize::from(self.anchor_len)]
    }

    /// Long values may be glued on the left to a short prefix.
    fn long(&self) -> bool {
        self.value.len() >= GLUE_MIN
    }

    /// Long and starting with a long anchor: the text run holding it may be `prefix + anchor`.
    fn gluable(&self) -> bool {
        self.long() && self.anchor_start == 0 && usize::from(self.anchor_len) >= GLUE_ANCHOR_MIN
    }

    /// Holds `-` or `_`: then those bytes continue the name rather than separate it.
    fn compound(&self) -> bool {
        self.value.iter().any(|&b| b == b'-' || b == b'_')
    }
}

/// An anchor bucket: its entries, side by side.
type Bucket = Vec<Link>;

/// One entry of an anchor bucket: what [`KnownValues::find_in`] reads of an entry while it
/// walks the bucket. The links of a bucket lie side by side, 16 bytes each, and most entries
/// are rejected without reading their value: in a crowded bucket (`billing` shared by
/// `billing-prod-7`, `billing-stg-64`, …) nearly every entry fails on the bytes right after
/// the anchor.
#[derive(Clone, Copy, Debug)]
struct Link {
    /// Up to 8 value bytes right after the anchor, as [`load`] reads them.
    after: u64,
    /// The entry.
    index: u32,
    /// How many bytes `after` holds.
    after_len: u8,
    /// The entry may be found glued to a prefix ([`Entry::gluable`]).
    gluable: bool,
}

impl Link {
    fn of(index: u32, e: &Entry) -> Link {
        let from = usize::from(e.anchor_start) + usize::from(e.anchor_len);
        let after = &e.value[from..e.value.len().min(from + 8)];
        Link { after: load(after), index, after_len: after.len() as u8, gluable: e.gluable() }
    }

    /// False when the text right after the anchor (`window`, as [`load`] reads up to 8 bytes;
    /// `literal`: how many of them come before the first backslash) shows the value cannot
    /// follow: its literal bytes differ. An escape in the text may still match an escapable
    /// value byte, so only the bytes before the first backslash decide.
    #[inline]
    fn may_follow(&self, window: u64, literal: usize) -> bool {
        let k = usize::from(self.after_len).min(literal);
        let mask = if k >= 8 { u64::MAX } else { (1u64 << (8 * k)) - 1 };
        (window ^ self.after) & mask == 0
    }
}

/// A hasher for keys that are already hashes.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(K);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

const K: u64 = 0x9E37_79B9_7F4A_7C15;

/// One known value as the iterator and the engine see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KnownValue<'a> {
    pub index: usize,
    pub value: &'a [u8],
    pub rtype: &'static str,
    pub shape: Shape,
}

/// The engine's known values: bounded, least recently seen out first.
#[derive(Debug)]
pub struct KnownValues {
    entries: Vec<Entry>,
    /// Most recently seen entry.
    head: u32,
    /// Least recently seen entry.
    tail: u32,
    /// First free slot, chained through `next`.
    free: u32,
    buckets: HashMap<u64, Bucket, BuildHasherDefault<PassThrough>>,
    /// The heap bytes of the buckets' link vectors.
    link_bytes: usize,
    /// Hash of a whole value -> the first entry with that hash (chained by `value_next`): a
    /// value already known is found in one probe.
    values: HashMap<u64, u32, BuildHasherDefault<PassThrough>>,
    /// Bit filter over anchor fingerprints: a clear bit means no anchor has that fingerprint.
    /// Evicted anchors leave their bit set until the filter is rebuilt.
    filter: Vec<u64>,
    /// Evictions since the filter was last rebuilt.
    stale: usize,
    /// How many anchors have each length (capped at `LENS`), all and gluable ones.
    anchor_lens: [u32; LENS + 1],
    glue_lens: [u32; LENS + 1],
    len: usize,
    /// Sum of the values' heap sizes (length rounded up to the allocator's 16-byte classes).
    value_bytes: usize,
    /// Entries that may be found glued to a prefix.
    gluable: usize,
    max_values: usize,
    max_bytes: usize,
}

impl Default for KnownValues {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_VALUES, DEFAULT_MAX_BYTES)
    }
}

impl KnownValues {
    /// An empty store holding at most `max_values` values within about `max_bytes` bytes.
    pub fn new(max_values: usize, max_bytes: usize) -> Self {
        KnownValues {
            entries: Vec::new(),
            head: NIL,
            tail: NIL,
            free: NIL,
            buckets: HashMap::default(),
            link_bytes: 0,
            values: HashMap::default(),
            filter: vec![0; FILTER_MIN_WORDS],
            stale: 0,
            anchor_lens: [0; LENS + 1],
            glue_lens: [0; LENS + 1],
            len: 0,
            value_bytes: 0,
            gluable: 0,
            max_values: max_values.max(1),
            max_bytes,
        }
    }

    /// How many values are known.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The memory the store holds: values, entry table, indexes and filter.
    pub fn bytes_used(&self) -> usize {
        let bucket_slot = std::mem::size_of::<(u64, Bucket)>() + 1;
        let value_slot = std::mem::size_of::<(u64, u32)>() + 1;
        self.value_bytes
            + self.entries.capacity() * std::mem::size_of::<Entry>()
            + self.link_bytes
            + self.buckets.capacity() * bucket_slot * 8 / 7
            + self.values.capacity() * value_slot * 8 / 7
            + self.filter.len() * 8
    }

    /// Remember `value` (decoded): a known one is touched (its first type and shape stay); a
    /// new one goes in as the most recently seen if [`rememberable`]. Evicts the least recently
    /// seen values beyond the bounds. Returns the entry's index, `None` when not remembered.
    /// A known value is looked up first: a body repeats the values of the turns before it.
    pub fn remember(&mut self, value: &[u8], rtype: &'static str, shape: Shape) -> Option<usize> {
        if let Some(i) = self.lookup_value(value) {
            self.touch(i as usize);
            return Some(i as usize);
        }
        if !rememberable(value, rtype) {
            return None;
        }
        let (anchor_start, anchor_len) = self.pick_anchor(value)?;
        let entry = Entry {
            value: value.into(),
            surrogate: Box::default(),
            rtype,
            shape,
            anchor_start: anchor_start as u16,
            anchor_len: anchor_len as u16,
            prev: NIL,
            next: NIL,
            value_next: NIL,
        };
        let i = if self.free != NIL {
            let i = self.free;
            self.free = self.entries[i as usize].next;
            self.entries[i as usize] = entry;
            i
        } else {
            self.entries.push(entry);
            (self.entries.len() - 1) as u32
        };
        self.index(i);
        self.push_front(i);
        self.len += 1;
        self.grow_filter_if_full();
        self.value_bytes += heap_size(value.len());
        while (self.len > self.max_values || self.bytes_used() > self.max_bytes) && self.tail != i {
            self.evict(self.tail);
        }
        Some(i as usize)
    }

    /// Mark entry `index` as just seen. Ignores a free or out-of-range index.
    pub fn touch(&mut self, index: usize) {
        let Some(e) = self.entries.get(index) else { return };
        if e.value.is_empty() || self.head == index as u32 {
            return;
        }
        self.unlink(index as u32);
        self.push_front(index as u32);
    }

    /// The surrogate kept for entry `index` and `shape` ([`KnownValues::keep_surrogate`]).
    pub fn surrogate(&self, index: usize, shape: Shape) -> Option<&[u8]> {
        let e = self.entries.get(index)?;
        (e.shape == shape && !e.surrogate.is_empty()).then_some(&*e.surrogate)
    }

    /// Keep `surrogate`, the first draw for entry `index`'s value and `shape`, with the entry.
    /// Ignored unless `shape` is the entry's and the lengths agree; may evict the least
    /// recently seen values to stay within the bounds (never entry `index`).
    pub fn keep_surrogate(&mut self, index: usize, shape: Shape, surrogate: &[u8]) {
        let Some(e) = self.entries.get_mut(index) else { return };
        if e.shape != shape || e.value.is_empty() || e.value.len() != surrogate.len() || !e.surrogate.is_empty() {
            return;
        }
        e.surrogate = surrogate.into();
        self.value_bytes += heap_size(surrogate.len());
        while self.bytes_used() > self.max_bytes && self.tail != index as u32 {
            self.evict(self.tail);
        }
    }

    /// The entry at `index`, if it holds a value.
    pub fn get(&self, index: usize) -> Option<KnownValue<'_>> {
        let e = self.entries.get(index)?;
        (!e.value.is_empty()).then_some(KnownValue {
            index,
            value: &e.value,
            rtype: e.rtype,
            shape: e.shape,
        })
    }

    /// The known values, most recently seen first.
    pub fn iter(&self) -> impl Iterator<Item = KnownValue<'_>> + '_ {
        let mut at = self.head;
        std::iter::from_fn(move || {
            if at == NIL {
                return None;
            }
            let i = at as usize;
            let e = &self.entries[i];
            at = e.next;
            Some(KnownValue {
                index: i,
                value: &e.value,
                rtype: e.rtype,
                shape: e.shape,
            })
        })
    }

    /// Every occurrence of a known value in raw `text` (plain or JSON at any escaping depth):
    /// `(start, end, entry index)`, sorted, not overlapping (leftmost, then longest). Linear in
    /// `text`; does not touch the entries (the engine touches what it masks).
    pub fn find_in(&self, text: &[u8]) -> Vec<(usize, usize, usize)> {
        let mut out = Vec::new();
        if self.len == 0 {
            return out;
        }
        let n = text.len();
        let mut i = 0;
        while i < n {
            if !ALNUM[usize::from(text[i])] {
                i += 1;
                continue;
            }
            let rs = i;
            while i < n && ALNUM[usize::from(text[i])] {
                i += 1;
            }
            self.probe(text, rs, i, &mut out);
            // A run right after backslashes may start with an escape's letter or `uXXXX`.
            if rs > 0 && text[rs - 1] == b'\\' {
                let skip = match text[rs] {
                    b'n' | b'r' | b't' | b'b' | b'f' => 1,
                    b'u' if i - rs >= 5 && text[rs + 1..rs + 5].iter().all(u8::is_ascii_hexdigit) => 5,
                    _ => 0,
                };
                if skip > 0 && i - rs > skip {
                    self.probe(text, rs + skip, i, &mut out);
                }
            }
        }
        if out.len() > 1 {
            out.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
            let mut end = 0;
            out.retain(|&(s, e, _)| {
                if s < end {
                    return false;
                }
                end = e;
                true
            });
        }
        out
    }

    // ------------------------------------------------------------ find_in internals

    /// Look up the text run `rs..re` (and, when some values may be glued, its short-prefix
    /// suffixes) and push every verified occurrence.
    fn probe(&self, text: &[u8], rs: usize, re: usize, out: &mut Vec<(usize, usize, usize)>) {
        let len = re - rs;
        if self.anchor_lens[len.min(LENS)] > 0 {
            self.probe_anchor(text, rs, re, false, out);
        }
        if self.gluable > 0 {
            for k in 1..=MAX_GLUE.min(len.saturating_sub(GLUE_ANCHOR_MIN)) {
                if self.glue_lens[(len - k).min(LENS)] > 0 {
                    self.probe_anchor(text, rs + k, re, true, out);
                }
            }
        }
    }

    fn probe_anchor(&self, text: &[u8], rs: usize, re: usize, glued: bool, out: &mut Vec<(usize, usize, usize)>) {
        let run = &text[rs..re];
        let (word, bits) = self.filter_bits(fingerprint(run));
        if self.filter[word] & bits != bits {
            return;
        }
        let Some(bucket) = self.buckets.get(&hash_bytes(run)) else {
            return;
        };
        let next = &text[re..text.len().min(re + 8)];
        let window = load(next);
        let literal = memchr::memchr(b'\\', next).unwrap_or(next.len());
        for link in bucket {
            if (glued && !link.gluable) || !link.may_follow(window, literal) {
                continue;
            }
            let index = link.index as usize;
            let e = &self.entries[index];
            if e.anchor() != run {
                continue;
            }
            if let Some((s, end)) = verify(text, rs, re, e) {
                if boundary_left(text, s, e) && boundary_right(text, end, e) {
                    out.push((s, end, index));
                }
            }
        }
    }

    // ------------------------------------------------------------ store internals

    /// The index of the entry holding exactly `value`.
    fn lookup_value(&self, value: &[u8]) -> Option<u32> {
        let mut at = *self.values.get(&hash_bytes(value))?;
        while at != NIL {
            let e = &self.entries[at as usize];
            if &*e.value == value {
                return Some(at);
            }
            at = e.value_next;
        }
        None
    }

    /// The run to index `value` by: the longest (first on ties) of 3 bytes or more whose bucket
    /// is not crowded; else the one with the smallest bucket. A value without such a run (a
    /// generated secret the guard let in) is anchored on a run of 2.
    fn pick_anchor(&self, value: &[u8]) -> Option<(usize, usize)> {
        let min = if alnum_runs(value).any(|(_, len)| len >= 3) { 3 } else { 2 };
        let mut runs: Vec<(usize, usize)> = alnum_runs(value).filter(|&(_, len)| len >= min).collect();
        runs.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let mut best: Option<((usize, usize), u32)> = None;
        for &(s, len) in &runs {
            let crowd = self.buckets.get(&hash_bytes(&value[s..s + len])).map_or(0, |b| b.len() as u32);
            if crowd < MAX_BUCKET {
                return Some((s, len));
            }
            if best.is_none_or(|(_, c)| crowd < c) {
                best = Some(((s, len), crowd));
            }
        }
        best.map(|(r, _)| r)
    }

    fn index(&mut self, i: u32) {
        let e = &self.entries[i as usize];
        let anchor = e.anchor();
        let (h, (word, bits)) = (hash_bytes(anchor), self.filter_bits(fingerprint(anchor)));
        let bucket = self.buckets.entry(h).or_default();
        let capacity = bucket.capacity();
        if capacity == 0 {
            bucket.reserve_exact(1);
        }
        bucket.push(Link::of(i, e));
        self.link_bytes += links_heap(bucket.capacity()) - links_heap(capacity);
        self.filter[word] |= bits;
        let same_value = self.values.entry(hash_bytes(&e.value)).or_insert(NIL);
        let first = std::mem::replace(same_value, i);
        self.entries[i as usize].value_next = first;
        let e = &self.entries[i as usize];
        let len = usize::from(e.anchor_len).min(LENS);
        self.anchor_lens[len] += 1;
        if e.gluable() {
            self.glue_lens[len] += 1;
            self.gluable += 1;
        }
    }

    fn unindex(&mut self, i: u32) {
        let e = &self.entries[i as usize];
        let len = usize::from(e.anchor_len).min(LENS);
        self.anchor_lens[len] -= 1;
        if e.gluable() {
            self.glue_lens[len] -= 1;
            self.gluable -= 1;
        }
        let (h, vh) = (hash_bytes(e.anchor()), hash_bytes(&e.value));
        let value_next = e.value_next;
        self.unchain_value(vh, i, value_next);
        let Some(bucket) = self.buckets.get_mut(&h) else { return };
        if let Some(at) = bucket.iter().position(|l| l.index == i) {
            bucket.swap_remove(at);
        }
        if bucket.is_empty() {
            self.link_bytes -= links_heap(bucket.capacity());
            self.buckets.remove(&h);
        }
        self.stale += 1;
    }

    /// Take entry `i` (whose value hashes to `vh` and whose successor is `next`) out of its
    /// same-hash chain.
    fn unchain_value(&mut self, vh: u64, i: u32, next: u32) {
        let Some(head) = self.values.get_mut(&vh) else { return };
        if *head == i {
            if next == NIL {
                self.values.remove(&vh);
            } else {
                *head = next;
            }
            return;
        }
        let mut at = *head;
        while at != NIL {
            let after = self.entries[at as usize].value_next;
            if after == i {
                self.entries[at as usize].value_next = next;
                return;
            }
            at = after;
        }
    }

    /// Clear the bits of evicted anchors once there have been as many evictions as live values
    /// (amortized O(1) per eviction).
    fn rebuild_filter_if_stale(&mut self) {
        if self.stale > self.len.max(1024) {
            self.rebuild_filter(self.filter.len());
        }
    }

    /// Double the filter when the anchors outgrow it (amortized O(1) per value).
    fn grow_filter_if_full(&mut self) {
        let words = self.filter.len();
        if words < FILTER_MAX_WORDS && self.len * FILTER_BITS_PER_ANCHOR > words * 64 {
            self.rebuild_filter(words * 2);
        }
    }

    /// Set the filter, `words` long, from the live anchors.
    fn rebuild_filter(&mut self, words: usize) {
        self.filter.clear();
        self.filter.resize(words, 0);
        let mut at = self.head;
        while at != NIL {
            let e = &self.entries[at as usize];
            let (word, bits) = self.filter_bits(fingerprint(e.anchor()));
            self.filter[word] |= bits;
            at = e.next;
        }
        self.stale = 0;
    }

    /// The filter word and the two bits in it for fingerprint `h`.
    #[inline]
    fn filter_bits(&self, h: u64) -> (usize, u64) {
        let shift = 64 - self.filter.len().trailing_zeros();
        ((h >> shift) as usize, 1 << (h & 63) | 1 << ((h >> 6) & 63))
    }

    fn push_front(&mut self, i: u32) {
        let old = self.head;
        {
            let e = &mut self.entries[i as usize];
            e.prev = NIL;
            e.next = old;
        }
        if old != NIL {
            self.entries[old as usize].prev = i;
        } else {
            self.tail = i;
        }
        self.head = i;
    }

    fn unlink(&mut self, i: u32) {
        let (prev, next) = {
            let e = &self.entries[i as usize];
            (e.prev, e.next)
        };
        if prev != NIL {
            self.entries[prev as usize].next = next;
        } else {
            self.head = next;
        }
        if next != NIL {
            self.entries[next as usize].prev = prev;
        } else {
            self.tail = prev;
        }
    }

    fn evict(&mut self, i: u32) {
        if i == NIL {
            return;
        }
        self.unlink(i);
        self.unindex(i);
        let e = &mut self.entries[i as usize];
        self.value_bytes -= heap_size(e.value.len()) + heap_size(e.surrogate.len());
        e.value = Box::default();
        e.surrogate = Box::default();
        e.next = self.free;
        e.prev = NIL;
        self.free = i;
        self.len -= 1;
        self.rebuild_filter_if_stale();
    }
}

/// The heap bytes a boxed value of `len` bytes takes (16-byte size classes).
fn heap_size(len: usize) -> usize {
    len.div_ceil(16) * 16
}

/// The heap bytes of a bucket holding `capacity` links.
fn links_heap(capacity: usize) -> usize {
    heap_size(capacity * std::mem::size_of::<Link>())
}

/// `(start, len)` of every maximal run of ASCII letters and digits in `value`.
fn alnum_runs(value: &[u8]) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < value.len() && !value[i].is_ascii_alphanumeric() {
            i += 1;
        }
        if i >= value.len() {
            return None;
        }
        let s = i;
        while i < value.len() && value[i].is_ascii_alphanumeric() {
            i += 1;
        }
        Some((s, i - s))
    })
}

/// The first 8 bytes of `s` (zero-padded) as a number.
#[inline]
fn load(s: &[u8]) -> u64 {
    if let Some(head) = s.first_chunk::<8>() {
        return u64::from_le_bytes(*head);
    }
    s.iter().rev().fold(0u64, |acc, &b| acc << 8 | u64::from(b))
}

/// A cheap fingerprint of a run (its length, first and last 8 bytes): its top bits pick a word
/// of the filter, its low 12 bits two bits in it (a blocked Bloom filter: one memory access
/// per lookup).
#[inline]
fn fingerprint(s: &[u8]) -> u64 {
    let n = s.len();
    let first = load(s);
    let last = if n > 8 { load(&s[n - 8..]) } else { 0 };
    let h = (first ^ last.rotate_left(29) ^ (n as u64).rotate_left(56)).wrapping_mul(K);
    h ^ (h >> 31)
}

/// The bucket key of a run.
fn hash_bytes(s: &[u8]) -> u64 {
    let mut h = (s.len() as u64).wrapping_mul(K);
    for chunk in s.chunks(8) {
        h = (h.rotate_left(23) ^ load(chunk)).wrapping_mul(K);
    }
    h ^ (h >> 29)
}

// ---------------------------------------------------------------- verification

/// The text span of `e`'s value around its anchor found at `rs..re`, if the rest matches.
fn verify(text: &[u8], rs: usize, re: usize, e: &Entry) -> Option<(usize, usize)> {
    let a = usize::from(e.anchor_start);
    let l = usize::from(e.anchor_len);
    let mut j = re;
    for &c in &e.value[a + l..] {
        j = match_forward(text, j, c)?;
    }
    let mut s = rs;
    for &c in e.value[..a].iter().rev() {
        s = match_backward(text, s, c)?;
    }
    Some((s, j))
}

/// The escape letter JSON writes for `c` after a backslash, if any.
fn escape_letter(c: u8) -> Option<u8> {
    match c {
        b'/' | b'"' => Some(c),
        b'\n' => Some(b'n'),
        b'\t' => Some(b't'),
        b'\r' => Some(b'r'),
        0x08 => Some(b'b'),
        0x0c => Some(b'f'),
        _ => None,
    }
}

/// `\u00XX` at `t` (after the backslashes) stands for `c`.
fn is_u_escape_of(text: &[u8], t: usize, c: u8) -> bool {
    t + 5 <= text.len()
        && text[t] == b'u'
        && text[t + 1] == b'0'
        && text[t + 2] == b'0'
        && text[t + 3..t + 5].iter().all(u8::is_ascii_hexdigit)
        && u8::from_str_radix(std::str::from_utf8(&text[t + 3..t + 5]).unwrap_or("zz"), 16) == Ok(c)
}

/// Match value byte `c` at `text[j..]`, literally or escaped: the end of the match.
fn match_forward(text: &[u8], j: usize, c: u8) -> Option<usize> {
    let &b = text.get(j)?;
    if c == b'\\' && b == c {
        // a value's backslash is a whole run of them, as `canonical` reads one (escaped as
        // deep as the text is: `\\` in a JSON string, `\\\\` one depth down)
        let mut t = j;
        while t < text.len() && text[t] == b'\\' && t - j < 15 {
            t += 1;
        }
        return Some(t);
    }
    if b == c {
        return Some(j + 1);
    }
    if b != b'\\' || c.is_ascii_alphanumeric() || !c.is_ascii() {
        return None;
    }
    let mut t = j;
    while t < text.len() && text[t] == b'\\' && t - j < 15 {
        t += 1;
    }
    if let Some(letter) = escape_letter(c) {
        if text.get(t) == Some(&letter) {
            return Some(t + 1);
        }
    }
    is_u_escape_of(text, t, c).then_some(t + 5)
}

/// Match value byte `c` ending at `text[..s]`, literally or escaped: the start of the match.
fn match_backward(text: &[u8], s: usize, c: u8) -> Option<usize> {
    if s == 0 {
        return None;
    }
    let b = text[s - 1];
    if c == b'\\' && b == c {
        return Some(backslashes_start(text, s));
    }
    if b == c {
        // a literal byte; `/` and `"` may carry the backslashes of an escape before them
        return Some(if matches!(c, b'/' | b'"') {
            backslashes_start(text, s - 1)
        } else {
            s - 1
        });
    }
    if c.is_ascii_alphanumeric() || !c.is_ascii() {
        return None;
    }
    if escape_letter(c) == Some(b) && s >= 2 && text[s - 2] == b'\\' {
        return Some(backslashes_start(text, s - 1));
    }
    if s >= 6 && text[s - 6] == b'\\' && is_u_escape_of(text, s - 5, c) {
        return Some(backslashes_start(text, s - 5));
    }
    None
}

/// Where the run of backslashes (at most 15) that ends at `t` starts.
fn backslashes_start(text: &[u8], mut t: usize) -> usize {
    let lo = t.saturating_sub(15);
    while t > lo && text[t - 1] == b'\\' {
        t -= 1;
    }
    t
}

/// The value starting at `s` is not glued on the left (see the module doc).
fn boundary_left(text: &[u8], s: usize, e: &Entry) -> bool {
    if left_ok(text, s, &GLUE_ID) {
        return true;
    }
    if !e.long() {
        return false;
    }
    let c = text[s - 1];
    if c.is_ascii_alphanumeric() {
        let mut k = s;
        while k > 0 && text[k - 1].is_ascii_alphanumeric() && s - k <= MAX_GLUE {
            k -= 1;
        }
        return s - k <= MAX_GLUE;
    }
    !e.compound()
}

/// The value ending at `end` is not glued on the right.
fn boundary_right(text: &[u8], end: usize, e: &Entry) -> bool {
    match text.get(end) {
        None => true,
        Some(&c) if !GLUE_ID[usize::from(c)] => true,
        Some(&c) => (c == b'-' || c == b'_') && e.long() && !e.compound(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::testutil::random_string;

    const DIGITS: &[u8] = b"0123456789";
    const UPPER_DIGITS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    fn account(seed: u64) -> Vec<u8> {
        let mut v = random_string(seed, 12, DIGITS);
        v[0] = b'1' + (seed % 9) as u8;
        v
    }

    fn spans(k: &KnownValues, text: &[u8]) -> Vec<(usize, usize)> {
        k.find_in(text).into_iter().map(|(s, e, _)| (s, e)).collect()
    }

    fn found(k: &KnownValues, text: &[u8]) -> Vec<Vec<u8>> {
        k.find_in(text)
            .into_iter()
            .map(|(s, e, _)| text[s..e].to_vec())
            .collect()
    }

    #[test]
    fn remember_touch_and_least_recently_seen_out_first() {
        let mut k = KnownValues::new(3, DEFAULT_MAX_BYTES);
        let v: Vec<Vec<u8>> = (1..=4).map(account).collect();
        let i0 = k.remember(&v[0], "aws_account_id", Shape::Classwise).unwrap();
        k.remember(&v[1], "aws_account_id", Shape::Classwise).unwrap();
        k.remember(&v[2], "aws_account_id", Shape::Classwise).unwrap();
        assert_eq!(k.len(), 3);
        let order: Vec<&[u8]> = k.iter().map(|e| e.value).collect();
        assert_eq!(order, vec![&v[2][..], &v[1][..], &v[0][..]]);
        k.touch(i0);
        assert_eq!(k.iter().next().unwrap().value, &v[0][..]);
        // v[1] is now the least recently seen: it goes
        k.remember(&v[3], "aws_account_id", Shape::Classwise).unwrap();
        assert_eq!(k.len(), 3);
        let order: Vec<&[u8]> = k.iter().map(|e| e.value).collect();
        assert_eq!(order, vec![&v[3][..], &v[0][..], &v[2][..]]);
        assert!(k.find_in(&v[1]).is_empty());
        assert_eq!(spans(&k, &v[0]), vec![(0, 12)]);
        // remembering a known value touches it and keeps its first type
        let index2 = k.iter().last().unwrap().index;
        assert_eq!(k.remember(&v[2], "password", Shape::Hex), Some(index2));
        let first = k.iter().next().unwrap();
        assert_eq!(
            (first.value, first.rtype, first.shape),
            (&v[2][..], "aws_account_id", Shape::Classwise)
        );
        assert_eq!(k.get(first.index).unwrap().value, &v[2][..]);
    }

    #[test]
    fn bounded_by_bytes() {
        let mut k = KnownValues::new(1_000_000, 2 << 20);
        for seed in 0..50_000u64 {
            k.remember(&random_string(seed, 40, B64), "aws_secret_access_key", Shape::Classwise);
            assert!(k.bytes_used() <= 2 << 20 || k.len() == 1);
        }
        assert!(k.len() > 1000 && k.len() < 50_000, "{}", k.len());
        // the newest are kept
        let newest = random_string(49_999, 40, B64);
        assert_eq!(found(&k, &newest), vec![newest.clone()]);
        assert!(found(&k, &random_string(0, 40, B64)).is_empty());
    }

    #[test]
    fn slots_are_reused_and_the_index_stays_consistent() {
        let mut k = KnownValues::new(100, DEFAULT_MAX_BYTES);
        for seed in 0..1000u64 {
            k.remember(&account(seed), "aws_account_id", Shape::Classwise)
                .unwrap_or_else(|| panic!("{:?}", String::from_utf8_lossy(&account(seed))));
        }
        assert_eq!(k.len(), 100);
        assert!(k.entries.len() <= 101);
        let text: Vec<u8> = (0..1000u64)
            .flat_map(|s| [account(s), b" ".to_vec()].concat())
            .collect();
        let hits = k.find_in(&text);
        assert_eq!(hits.len(), 100);
        for (s, e, i) in hits {
            assert_eq!(&text[s..e], k.get(i).unwrap().value);
        }
    }

    #[test]
    fn boundaries() {
        let mut k = KnownValues::default();
        k.remember(b"prod-db", "aws_db_identifier", Shape::Classwise).unwrap();
        let acct = account(7);
        k.remember(&acct, "aws_account_id", Shape::Classwise).unwrap();
        assert_eq!(found(&k, b"use prod-db now"), vec![b"prod-db".to_vec()]);
        assert_eq!(found(&k, b"\"prod-db\","), vec![b"prod-db".to_vec()]);
        assert!(found(&k, b"prod-db-2").is_empty());
        assert!(found(&k, b"my-prod-db").is_empty());
        assert!(found(&k, b"xprod-db").is_empty());
        assert!(found(&k, b"prod-dbx").is_empty());
        assert!(found(&k, b"prod_db").is_empty());
        assert_eq!(found(&k, br"line one\nprod-db\tok"), vec![b"prod-db".to_vec()]);
        assert_eq!(found(&k, br"caf\u00e9prod-db"), vec![b"prod-db".to_vec()]);
        assert_eq!(found(&k, b"prod-db.internal"), vec![b"prod-db".to_vec()]);
        // an account id: in a JSON number, an ARN, a bucket name; not inside a longer number
        let json = [b"{\"AccountId\": ".as_slice(), &acct, b"}"].concat();
        assert_eq!(found(&k, &json), vec![acct.clone()]);
        let arn = [b"arn:aws:iam::".as_slice(), &acct, b":role/x"].concat();
        assert_eq!(found(&k, &arn), vec![acct.clone()]);
        let bucket = [b"logs-".as_slice(), &acct, b"-us-east-1"].concat();
        assert_eq!(found(&k, &bucket), vec![acct.clone()]);
        let longer = [acct.as_slice(), b"7"].concat();
        assert!(found(&k, &longer).is_empty());
        let glued_right = [acct.as_slice(), b"abc"].concat();
        assert!(found(&k, &glued_right).is_empty());
    }

    #[test]
    fn values_that_recur_behind_a_dash() {
        const LOWER_DIGITS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
        let mut body = random_string(7, 15, LOWER_DIGITS);
        body[3] = b'5';
        assert!(recurs_behind_dash(&body, "aws_resource_name"));
        let mut k = KnownValues::new(10, DEFAULT_MAX_BYTES);
        k.remember(&body, "aws_resource_name", Shape::Classwise);
        let text = [&b"\"Id\": \"h-"[..], &body, b"\""].concat();
        assert_eq!(found(&k, &text), vec![body.clone()]);
        let compound = [&body[..7], b"-", &body[7..]].concat();
        for v in [
            &random_string(8, 9, LOWER_DIGITS)[..],
            &compound,
            b"organisational",
        ] {
            assert!(!recurs_behind_dash(v, "aws_resource_name"));
        }
    }

    #[test]
    fn glued_prefix_for_long_values() {
        let mut k = KnownValues::default();
        let body = random_string(3, 16, UPPER_DIGITS);
        k.remember(&body, "aws_access_key_id", Shape::Classwise).unwrap();
        let text = [b"key AKIA".as_slice(), &body, b" ok"].concat();
        assert_eq!(spans(&k, &text), vec![(8, 24)]);
        let text = [br"x\nASIA".as_slice(), &body].concat();
        assert_eq!(spans(&k, &text), vec![(7, 23)]);
        let text = [b"TOOLONGPREFIX".as_slice(), &body].concat();
        assert!(k.find_in(&text).is_empty());
        // short values are never found glued
        k.remember(b"ab12cd", "password", Shape::Classwise).unwrap();
        assert!(k.find_in(b"xab12cd").is_empty());
        // a long value whose anchor is not its first run
        k.remember(b"q7-Z3kT9wP2mX8v", "generic_secret", Shape::Classwise)
            .unwrap();
        assert_eq!(found(&k, b"pwAKq7-Z3kT9wP2mX8v"), vec![b"q7-Z3kT9wP2mX8v".to_vec()]);
    }

    #[test]
    fn escaped_slashes_quotes_and_newlines() {
        let mut k = KnownValues::default();
        let secret = b"wJ9aZ/K7MDENG/bPxRfiCYzEXAMPLEKEY0q8Vt2w".to_vec();
        k.remember(&secret, "aws_secret_access_key", Shape::Classwise).unwrap();
        let plain = [b"key=".as_slice(), &secret].concat();
        assert_eq!(spans(&k, &plain), vec![(4, 44)]);
        let once = br#""wJ9aZ\/K7MDENG\/bPxRfiCYzEXAMPLEKEY0q8Vt2w""#;
        assert_eq!(spans(&k, once), vec![(1, once.len() - 1)]);
        let deep = br#"\"wJ9aZ\\\/K7MDENG\\\/bPxRfiCYzEXAMPLEKEY0q8Vt2w\""#;
        assert_eq!(spans(&k, deep), vec![(2, deep.len() - 2)]);
        let u = br"wJ9aZ\u002fK7MDENG\u002FbPxRfiCYzEXAMPLEKEY0q8Vt2w";
        assert_eq!(spans(&k, u), vec![(0, u.len())]);
        // a value starting with its escaped byte: the backslashes belong to the match
        k.remember(b"/team/app/x7Kq9", "aws_resource_name", Shape::Classwise)
            .unwrap();
        let t = br#"path \/team\/app\/x7Kq9 end"#;
        assert_eq!(found(&k, t), vec![br"\/team\/app\/x7Kq9".to_vec()]);
        // a quote and a newline inside a value
        k.remember(b"pa\"ss\nw0rdZ9", "password", Shape::Classwise).unwrap();
        assert_eq!(found(&k, br#"x pa\"ss\nw0rdZ9 y"#), vec![br#"pa\"ss\nw0rdZ9"#.to_vec()]);
    }

    #[test]
    fn overlapping_values_leftmost_longest() {
        let mut k = KnownValues::default();
        k.remember(b"x9k2m7q4", "password", Shape::Classwise).unwrap();
        k.remember(b"x9k2m7q4/p3z8", "aws_resource_name", Shape::Classwise)
            .unwrap();
        k.remember(b"p3z8/r5t6w", "aws_resource_name", Shape::Classwise)
            .unwrap();
        assert_eq!(found(&k, b"see x9k2m7q4/p3z8/r5t6w"), vec![b"x9k2m7q4/p3z8".to_vec()]);
        assert_eq!(
            found(&k, b"x9k2m7q4 and p3z8/r5t6w"),
            vec![b"x9k2m7q4".to_vec(), b"p3z8/r5t6w".to_vec()]
        );
    }

    #[test]
    fn crowded_anchor_picks_another_run() {
        let mut k = KnownValues::default();
        for seed in 0..40u64 {
            let v = [
                b"prod-".as_slice(),
                &random_string(seed, 3, b"abcdefghijklmnopqrstuvwxyz"),
                b"-x",
            ]
            .concat();
            k.remember(&v, "aws_resource_name", Shape::Classwise);
        }
        assert!(
            k.buckets.values().all(|b| b.len() <= MAX_BUCKET as usize + 1),
            "{:?}",
            k.buckets.values().map(Vec::len).max()
        );
        let v = [
            b"prod-".as_slice(),
            &random_string(39, 3, b"abcdefghijklmnopqrstuvwxyz"),
            b"-x",
        ]
        .concat();
        assert_eq!(found(&k, &[b"(".as_slice(), &v, b")"].concat()), vec![v]);
    }

    #[test]
    fn a_kept_surrogate_is_counted_and_goes_with_its_value() {
        let mut k = KnownValues::new(2, DEFAULT_MAX_BYTES);
        let v: Vec<Vec<u8>> = (1..=3).map(account).collect();
        let i0 = k.remember(&v[0], "aws_account_id", Shape::Classwise).unwrap();
        let before = k.bytes_used();
        let sur = account(100);
        // another shape or another length is not kept
        k.keep_surrogate(i0, Shape::Hex, &sur);
        k.keep_surrogate(i0, Shape::Classwise, &sur[1..]);
        assert_eq!(k.surrogate(i0, Shape::Classwise), None);
        k.keep_surrogate(i0, Shape::Classwise, &sur);
        assert_eq!(k.surrogate(i0, Shape::Classwise), Some(sur.as_slice()));
        assert_eq!(k.surrogate(i0, Shape::Hex), None);
        assert_eq!(k.bytes_used(), before + heap_size(sur.len()));
        // the value goes (least recently seen), and its surrogate with it; the slot is reused
        let value_bytes = k.value_bytes;
        k.remember(&v[1], "aws_account_id", Shape::Classwise).unwrap();
        k.remember(&v[2], "aws_account_id", Shape::Classwise).unwrap();
        assert_eq!(k.surrogate(i0, Shape::Classwise), None);
        assert_eq!(k.value_bytes, value_bytes + heap_size(v[2].len()) - heap_size(sur.len()));
        let i3 = k.remember(&account(4), "aws_account_id", Shape::Classwise).unwrap();
        assert_eq!(i3, i0);
        assert_eq!(k.surrogate(i3, Shape::Classwise), None);
    }

    #[test]
    fn values_sharing_every_run_are_found_plain_and_escaped() {
        // every run of these values is shared by many others: their buckets stay crowded
        let mut k = KnownValues::default();
        let values: Vec<Vec<u8>> = (0..120u64)
            .map(|n| format!("{}/{}-{}", ["billing", "orders"][(n % 2) as usize], ["stg", "prod", "dev"][(n % 3) as usize], 10 + n).into_bytes())
            .collect();
        for v in &values {
            assert!(k.remember(v, "aws_resource_name", Shape::Classwise).is_some());
        }
        for v in &values {
            assert_eq!(found(&k, &[b"(".as_slice(), v, b")"].concat()), vec![v.clone()]);
            let escaped: Vec<u8> = v.iter().flat_map(|&c| if c == b'/' { b"\\/".to_vec() } else { vec![c] }).collect();
            let text = [b"\"".as_slice(), &escaped, b"\""].concat();
            assert_eq!(found(&k, &text), vec![escaped.clone()]);
            let mut near = v.clone();
            near.pop();
            near.push(b'x');
            assert!(found(&k, &near).is_empty());
        }
    }

    #[test]
    fn many_values_are_all_found() {
        let mut k = KnownValues::default();
        let values: Vec<Vec<u8>> = (0..5000u64)
            .map(|s| match s % 4 {
                0 => account(s),
                1 => random_string(s, 20, UPPER_DIGITS),
                2 => [
                    b"svc-".as_slice(),
                    &random_string(s, 6, b"abcdefghijklmnopqrstuvwxyz0123456789"),
                ]
                .concat(),
                _ => random_string(s, 40, B64),
            })
            .collect();
        let values: Vec<Vec<u8>> = values
            .into_iter()
            .filter(|v| rememberable(v, "aws_resource_name"))
            .collect();
        assert!(values.len() > 4900, "{}", values.len());
        for v in &values {
            assert!(k.remember(v, "aws_resource_name", Shape::Classwise).is_some());
        }
        let mut text = Vec::new();
        for v in values.iter().rev() {
            text.extend_from_slice(b"the value ");
            text.extend_from_slice(v);
            text.extend_from_slice(b" is here.\n");
        }
        let hits = found(&k, &text);
        assert_eq!(hits.len(), values.len());
    }

    #[test]
    fn rememberable_guards_precision() {
        let no: &[(&[u8], &str)] = &[
            (b"migrations", "aws_resource_name"),
            (b"database", "aws_db_identifier"),
            (b"Orchestration", "aws_iam_name"),
            (b"internationalization", "aws_resource_name"),
            (b"177", "aws_account_id"),
            (b"20240501", "password"),
            (b"12345678901", "aws_account_id"),
            (b"admin", "password"),
            (b"changeme", "password"),
            (b"us-east-1", "aws_resource_name"),
            (b"eu-central-2a", "aws_resource_name"),
            (b"read-only", "aws_resource_name"),
            (b"sha256", "generic_secret"),
            (b"v1.2.3", "aws_resource_name"),
            (b"2.31.0.6", "aws_resource_name"),
            (b"2024-05-01T10:00:00Z", "generic_secret"),
            (b"10.0.0.1", "ipv4_private"),
            (b"192.168.1.1", "ipv4_private"),
            (b"192.168.100.255", "ipv4_private"),
            (b"db", "aws_db_identifier"),
            (b"a-b-c-d", "aws_resource_name"),
            // runs of two only: a generated secret's marks, not a name's separators
            (b"ab-cd-ef-gh-ij-kl", "aws_resource_name"),
            (b"ab-cd.ef_gh-ij", "password"),
            (b"n5|\"m)V:Ab+E:/mV\\;V'", "aws_resource_name"),
        ];
        for (v, t) in no {
            assert!(!rememberable(v, t), "{:?} {t}", String::from_utf8_lossy(v));
        }
        let yes: &[(&[u8], &str)] = &[
            (&account(5), "aws_account_id"),
            (b"prod-db", "aws_db_identifier"),
            (b"orders_api", "aws_resource_name"),
            (b"OrdersTable", "aws_resource_name"),
            (b"web01x", "aws_resource_name"),
            (b"hunter2hunter", "password"),
            (b"qxzvbnmtrplkjhgf", "generic_secret"),
            (&random_string(9, 16, UPPER_DIGITS), "aws_access_key_id"),
            (&random_string(9, 40, B64), "aws_secret_access_key"),
            (b"192.168.20.37", "ipv4_private"),
            (b"10.12.134.0/24", "cidr_block"),
            (b"2001:db8:85a3::8a2e:370:7334", "ipv6_address"),
            (b"acme", "user_term"),
            (b"n5|\"m)V:Ab+E:/mV\\;V'", "password"),
            (b"69rv(@=.%P~?k3e+}!", "password"),
        ];
        for (v, t) in yes {
            assert!(rememberable(v, t), "{:?} {t}", String::from_utf8_lossy(v));
        }
        let mut k = KnownValues::default();
        assert_eq!(k.remember(b"migrations", "aws_resource_name", Shape::Classwise), None);
        assert!(k.is_empty());
    }

    /// CPU time of this thread in ns (the machine is shared: wall time overstates).
    fn cpu_ns() -> u64 {
        let s = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
        s.split_whitespace().next().and_then(|t| t.parse().ok()).unwrap_or(0)
    }

    /// Wall and CPU seconds of `f`.
    fn timed(mut f: impl FnMut()) -> (f64, f64) {
        let (t, c) = (std::time::Instant::now(), cpu_ns());
        f();
        (t.elapsed().as_secs_f64(), (cpu_ns() - c) as f64 / 1e9)
    }

    fn rss_bytes() -> usize {
        let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
        statm
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse::<usize>().ok())
            .unwrap_or(0)
            * 4096
    }

    /// Memory per value at 100,000 values, remember cost, find_in throughput on 1 MB with
    /// 100,000 known values. Run: `cargo test --release known::tests::measure -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn measure() {
        const N: u64 = 100_000;
        let values: Vec<Vec<u8>> = (0..N)
            .map(|s| match s % 5 {
                0 => account(s),
                1 => random_string(s, 16, UPPER_DIGITS),
                2 => [
                    b"svc-".as_slice(),
                    &random_string(s, 8, b"abcdefghijklmnopqrstuvwxyz0123456789"),
                ]
                .concat(),
                3 => random_string(s, 40, B64),
                _ => [
                    b"team/app/".as_slice(),
                    &random_string(s, 12, b"abcdefghijklmnopqrstuvwxyz0123456789-"),
                ]
                .concat(),
            })
            .collect();
        let value_len: usize = values.iter().map(Vec::len).sum();
        let rss0 = rss_bytes();
        let mut k = KnownValues::default();
        let (wall, cpu) = timed(|| {
            for v in &values {
                k.remember(v, "aws_resource_name", Shape::Classwise);
            }
        });
        let rss1 = rss_bytes();
        println!(
            "known values: {} (avg value {} B); bytes_used {:.1} MB = {} B/value; RSS delta {:.1} MB = {} B/value",
            k.len(),
            value_len / N as usize,
            k.bytes_used() as f64 / 1e6,
            k.bytes_used() / k.len(),
            (rss1 - rss0) as f64 / 1e6,
            (rss1 - rss0) / k.len()
        );
        let per = |secs: f64| secs * 1e9 / N as f64;
        println!(
            "remember, new value: {:.0} ns CPU ({:.0} ns wall) per value",
            per(cpu),
            per(wall)
        );
        let (wall, cpu) = timed(|| {
            for v in &values {
                k.remember(v, "aws_resource_name", Shape::Classwise);
            }
        });
        println!(
            "remember, known value (a touch): {:.0} ns CPU ({:.0} ns wall) per value",
            per(cpu),
            per(wall)
        );
        let (wall, cpu) = timed(|| {
            for v in &values {
                std::hint::black_box(rememberable(v, "aws_resource_name"));
            }
        });
        println!(
            "  of which rememberable: {:.0} ns CPU ({:.0} ns wall) per value",
            per(cpu),
            per(wall)
        );

        // ~1 MB of prose, JSON and commands with ~4,700 known values in it
        let words: Vec<&[u8]> = b"the of and to in is that for it as with was on be by this are from at or an which have not file error line run command output json value name id aws ec2 describe instances --region us-east-1 return self def import"
            .split(|&b| b == b' ')
            .collect();
        let mut text = Vec::with_capacity(1 << 20);
        let mut x = 1u64;
        let mut placed = 0;
        while text.len() < 1 << 20 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if x.is_multiple_of(40) {
                text.extend_from_slice(br#"\n\"Id\": \""#);
                text.extend_from_slice(&values[(x / 40 % N) as usize]);
                text.extend_from_slice(br#"\","#);
                placed += 1;
            } else {
                text.extend_from_slice(words[(x % words.len() as u64) as usize]);
                text.push(if x.is_multiple_of(11) { b'.' } else { b' ' });
            }
        }
        let rounds = 20.0;
        let mb = text.len() as f64 / 1e6;
        let mut hits = 0;
        let (wall, cpu) = timed(|| {
            for _ in 0..rounds as usize {
                hits = std::hint::black_box(k.find_in(&text)).len();
            }
        });
        println!(
            "find_in, {} known values: {:.2} ms CPU ({:.2} ms wall) per {:.2} MB = {:.0} MB/s CPU; {hits} hits ({placed} placed)",
            k.len(),
            cpu / rounds * 1e3,
            wall / rounds * 1e3,
            mb,
            mb / (cpu / rounds)
        );
        let mut one = KnownValues::default();
        one.remember(&values[3], "aws_resource_name", Shape::Classwise);
        let (wall, cpu) = timed(|| {
            for _ in 0..rounds as usize {
                std::hint::black_box(one.find_in(&text));
            }
        });
        println!(
            "find_in, 1 known value: {:.2} ms CPU ({:.2} ms wall) = {:.0} MB/s CPU",
            cpu / rounds * 1e3,
            wall / rounds * 1e3,
            mb / (cpu / rounds)
        );
        let mut runs = 0;
        let (wall, cpu) = timed(|| {
            for _ in 0..rounds as usize {
                runs = std::hint::black_box(&text)
                    .windows(2)
                    .filter(|w| !ALNUM[usize::from(w[0])] && ALNUM[usize::from(w[1])])
                    .count();
            }
        });
        println!(
            "baseline, counting the {runs} alnum runs: {:.2} ms CPU ({:.2} ms wall)",
            cpu / rounds * 1e3,
            wall / rounds * 1e3
        );
    }
}
