//! [`SurrogateIndex`]: the surrogates of one exchange, found in text by their anchor run.
//!
//! Every surrogate is found by an *anchor*: the longest run of letters and digits in which it
//! differs from its original (keyed random bytes, which occur elsewhere only by chance), or two
//! neighbouring runs when that run is shorter than [`SHORT_ANCHOR`]. The text is split into runs;
//! a run is looked up by hash only when its length and key ([`RunKey`]) pass the anchors'
//! filters, and each hit is checked byte for byte. A surrogate that may be glued to letters or digits ([`GLUE_SAFE`]) is
//! also indexed by the outer [`GLUE_KEY`] bytes of the run at its edge, so that it is found at the
//! end of a longer run (`AKIA` + surrogate) or at its start.

use super::Pairs;
use crate::recognizers::base::ALNUM;

/// Surrogates this long are restored even when glued to letters or digits on one side: a
/// finding's span leaves out its token prefix (the `AKIA` of an access key), and a keyed random
/// string of twelve or more letters does not turn up inside other words by chance. On the left
/// only right after a glue prefix; one made only of letters and digits, inside a longer word on
/// both sides, is part of that word. Shorter ones are restored only where they stand alone.
pub const GLUE_SAFE: usize = 12;

/// A glued surrogate is found by the first or last bytes of its edge run; an edge run shorter
/// than this is found only where it stands as a whole run.
pub const GLUE_KEY: usize = 8;

/// A run shorter than this (an address octet, a short number) is common in any text: such a
/// surrogate is anchored on two neighbouring runs instead, when it has them.
pub const SHORT_ANCHOR: usize = 4;

/// Only this many bytes before a surrogate are compared with the glue prefixes.
const GLUE_LOOKBACK: usize = 8;

/// Byte classes of escaped (JSON string) text: a separator, a letter or digit that stands for
/// itself, or a byte that is part of an escape (`n` of `\n`, `u0041` of `\u0041`).
pub(crate) const SEP: u8 = 0;
pub(crate) const WORD: u8 = 1;
pub(crate) const ESC: u8 = 2;
/// A letter or hex digit that ends an escape after a decoded backslash (`n` of `\\n`): a
/// separator, yet, as the masker also reads it as a letter, a surrogate may start at it.
pub(crate) const SOFT: u8 = 3;

/// The letters that, right after a backslash, the masker reads as the end of an escape (`\n`,
/// `\t`, `\r`, `\b`, `\f`; `u` when four hex digits follow), whatever the number of
/// backslashes before them: so in text that holds a literal backslash (a JSON document quoted
/// in a message, a tool input holding `\\n`) such a letter is a separator, never part of a run.
#[inline]
fn escape_letter(b: u8) -> bool {
    matches!(b, b'n' | b'r' | b't' | b'b' | b'f')
}

/// In decoded text, how many bytes from `rest[0]` (right after a backslash) are the masker's
/// escape: the letter, or `u` and its four hex digits; `0` when none.
#[inline]
fn escape_len_after_backslash(rest: &[u8]) -> usize {
    match rest.first() {
        Some(&b) if escape_letter(b) => 1,
        Some(b'u') if rest.len() >= 5 && rest[1..5].iter().all(u8::is_ascii_hexdigit) => 5,
        _ => 0,
    }
}

/// Where a byte of JSON string text stands relative to an escape: `0` outside one, `1` right
/// after its backslash, `2..=5` inside `\uXXXX` with `state - 1` hex digits to go, `6` right
/// after an escaped backslash (`\\`): the text it stands for holds a backslash there, so an
/// escape letter next is an escape as the masker reads it (`\\n` is `\n` one level down);
/// `7..=10` inside such a `\\uXXXX` with `state - 6` hex digits to go.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct EscState(u8);

impl EscState {
    pub(crate) const NORMAL: EscState = EscState(0);

    /// The class of byte `text[i]` seen in this state, and the state after it (after a decoded
    /// backslash, a `u` is an escape only when four hex digits follow it in `text`).
    #[inline]
    pub(crate) fn step(self, text: &[u8], i: usize) -> (u8, EscState) {
        let b = text[i];
        match self.0 {
            0 => Self::normal(b),
            1 => (
                ESC,
                EscState(match b {
                    b'u' => 5,
                    b'\\' => 6,
                    _ => 0,
                }),
            ),
            6 if escape_letter(b) => (SOFT, EscState(0)),
            6 if escape_len_after_backslash(&text[i..]) == 5 => (SOFT, EscState(10)),
            6 => Self::normal(b),
            s @ 7..=10 => (SOFT, EscState(if s == 7 { 0 } else { s - 1 })),
            s if b.is_ascii_hexdigit() => (ESC, EscState(if s == 2 { 0 } else { s - 1 })),
            _ => Self::normal(b), // a malformed `\u` escape: the byte stands for itself
        }
    }

    #[inline]
    fn normal(b: u8) -> (u8, EscState) {
        if b == b'\\' {
            (SEP, EscState(1))
        } else if ALNUM[b as usize] {
            (WORD, EscState(0))
        } else {
            (SEP, EscState(0))
        }
    }
}

/// How the unmasker sees the bytes of a text: which are letters or digits, which are inside an
/// escape. Plain text has no escapes; escaped text has its classes computed once per step.
pub(crate) trait Classes {
    fn word(&self, i: usize) -> bool;
    fn esc(&self, i: usize) -> bool;
    /// The runs of letters and digits, in order, as `(start, end)`.
    fn runs(&self) -> Runs<'_>;
}

/// A text's letters and digits as a bit mask (bit `i % 64` of word `i / 64`), and for escaped
/// text its classes. Runs are found by scanning the mask a word at a time, with no branch per
/// byte.
pub(crate) struct Masked<'a> {
    words: &'a [u64],
    len: usize,
    classes: Option<&'a [u8]>,
}

impl<'a> Masked<'a> {
    /// The mask of plain `text`, built in `words`.
    pub(crate) fn plain(text: &[u8], words: &'a mut Vec<u64>) -> Self {
        words.clear();
        let mut full = text.chunks_exact(64);
        words.extend(full.by_ref().map(|chunk| {
            chunk
                .chunks_exact(8)
                .enumerate()
                .fold(0u64, |m, (j, eight)| {
                    m | alnum_bits(word8(eight)) << (8 * j)
                })
        }));
        words.extend(
            std::iter::once(full.remainder())
                .filter(|rest| !rest.is_empty())
                .map(|chunk| {
                    let mut eights = chunk.chunks_exact(8);
                    let mut m = 0u64;
                    let mut at = 0;
                    for eight in &mut eights {
                        m |= alnum_bits(u64::from_le_bytes(eight.try_into().expect("8 bytes")))
                            << at;
                        at += 8;
                    }
                    for (j, &b) in eights.remainder().iter().enumerate() {
                        m |= (ALNUM[b as usize] as u64) << (at + j);
                    }
                    m
                }),
        );
        // a letter that ends an escape after a literal backslash is a separator
        for at in memchr::memchr_iter(b'\\', text) {
            for i in at + 1..at + 1 + escape_len_after_backslash(&text[at + 1..]) {
                words[i >> 6] &= !(1u64 << (i & 63));
            }
        }
        Masked {
            words,
            len: text.len(),
            classes: None,
        }
    }

    /// The mask of escaped text from its `classes` ([`classify`]), built in `words`.
    pub(crate) fn escaped(classes: &'a [u8], words: &'a mut Vec<u64>) -> Self {
        words.clear();
        words.extend(classes.chunks(64).map(|chunk| {
            chunk
                .iter()
                .enumerate()
                .fold(0u64, |m, (j, &c)| m | ((c == WORD) as u64) << j)
        }));
        Masked {
            words,
            len: classes.len(),
            classes: Some(classes),
        }
    }
}

/// The runs of set bits of a mask as `(start, end)`, read a word at a time: each bound is a
/// `trailing_zeros` of the current word (the bits beyond the text's length are clear).
pub(crate) struct Runs<'a> {
    words: &'a [u64],
    len: usize,
    /// The word being read, and its bits not yet read.
    k: usize,
    rest: u64,
}

impl Iterator for Runs<'_> {
    type Item = (usize, usize);

    #[inline]
    fn next(&mut self) -> Option<(usize, usize)> {
        while self.rest == 0 {
            self.k += 1;
            self.rest = *self.words.get(self.k)?;
        }
        let a = self.k * 64 + self.rest.trailing_zeros() as usize;
        // the clear bits from the run's start on
        let mut gaps = !self.rest & (u64::MAX << (a & 63));
        while gaps == 0 {
            self.k += 1;
            match self.words.get(self.k) {
                Some(&w) => gaps = !w,
                None => {
                    self.rest = 0;
                    return Some((a, self.len));
                }
            }
        }
        let at = gaps.trailing_zeros();
        self.rest = self.words[self.k] & (u64::MAX << at);
        Some((a, (self.k * 64 + at as usize).min(self.len)))
    }
}

/// One bit per byte of `x` (little-endian): whether it is an ASCII letter or digit. Each byte
/// is range-checked within its own lane (no carry crosses lanes: the checks run on 7-bit values
/// with the lane's top bit set or clear on purpose), then the flags are gathered by a multiply.
#[inline]
fn alnum_bits(x: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let low7 = x & !HIGH;
    // top bit of each lane set iff the lane's 7-bit value is >= `lo`
    let at_least = |v: u64, lo: u64| (v | HIGH) - lo * ONES;
    let digit = at_least(low7, 0x30) & !at_least(low7, 0x3A);
    let folded = low7 | 0x2020_2020_2020_2020;
    let letter = at_least(folded, 0x61) & !at_least(folded, 0x7B);
    let flags = (digit | letter) & HIGH & !x; // bytes >= 0x80 are neither
    ((flags >> 7).wrapping_mul(0x0102_0408_1020_4080)) >> 56
}

impl Classes for Masked<'_> {
    #[inline]
    fn word(&self, i: usize) -> bool {
        self.words[i >> 6] >> (i & 63) & 1 != 0
    }
    #[inline]
    fn esc(&self, i: usize) -> bool {
        self.classes.is_some_and(|c| c[i] == ESC)
    }
    #[inline]
    fn runs(&self) -> Runs<'_> {
        Runs {
            words: self.words,
            len: self.len,
            k: 0,
            rest: self.words.first().copied().unwrap_or(0),
        }
    }
}

/// The classes of escaped `text` read from `state`, into `classes`; `inside` gets
/// `(offset, state before it)` for every byte read in a state other than
/// [`EscState::NORMAL`] (the bytes after a backslash: few). Returns the state after `text`.
pub(crate) fn classify(
    text: &[u8],
    mut state: EscState,
    classes: &mut Vec<u8>,
    inside: &mut Vec<(usize, EscState)>,
) -> EscState {
    classes.clear();
    inside.clear();
    classes.extend(
        text.iter()
            .map(|&b| if ALNUM[b as usize] { WORD } else { SEP }),
    );
    let n = text.len();
    let mut i = 0;
    loop {
        if state == EscState::NORMAL {
            match memchr::memchr(b'\\', &text[i..]) {
                None => return state,
                Some(off) => {
                    i += off + 1; // the backslash itself is a separator
                    state = EscState(1);
                }
            }
        }
        while i < n && state != EscState::NORMAL {
            inside.push((i, state));
            let (class, next) = state.step(text, i);
            classes[i] = class;
            state = next;
            i += 1;
        }
        if i >= n {
            return state;
        }
    }
}

/// The escape state before `text[q]`, from what [`classify`] found.
pub(crate) fn state_at(q: usize, start: EscState, inside: &[(usize, EscState)]) -> EscState {
    match inside.binary_search_by_key(&q, |&(i, _)| i) {
        Ok(k) => inside[k].1,
        Err(_) if q == 0 => start,
        Err(_) => EscState::NORMAL,
    }
}

/// The runs of letters and digits in `text` as `(start, end)`, read with the escape rule when
/// `escaped` (a letter that is part of an escape splits runs).
fn runs_of(text: &[u8], escaped: bool, out: &mut Vec<(usize, usize)>) {
    out.clear();
    let mut state = EscState::NORMAL;
    let mut start = None;
    let mut escape_to = 0; // decoded text: the end of the escape being read
    for (i, &b) in text.iter().enumerate() {
        let word = if escaped {
            let (class, next) = state.step(text, i);
            state = next;
            class == WORD
        } else {
            if b == b'\\' {
                escape_to = i + 1 + escape_len_after_backslash(&text[i + 1..]);
            }
            ALNUM[b as usize] && i >= escape_to
        };
        match (word, start) {
            (true, None) => start = Some(i),
            (false, Some(a)) => {
                out.push((a, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(a) = start {
        out.push((a, text.len()));
    }
}

/// How many escaping depths below the one it was masked at a surrogate that holds a byte JSON
/// escapes is still restored at (see [`SurrogateIndex::of_pairs`]): JSON in a command or a
/// snippet in prose is one, a JSON document quoted in such JSON a second.
pub const DEEPER_FORMS: usize = 2;

/// The pairs whose surrogate holds a byte JSON escapes, JSON-escaped once, then twice, up to
/// [`DEEPER_FORMS`] times, surrogate and original alike.
fn deeper_forms(pairs: &Pairs) -> Pairs {
    let mut out = Pairs::default();
    for (surrogate, original) in pairs.iter() {
        if !surrogate.iter().any(|&b| super::json::needs_escape(b)) {
            continue;
        }
        let (mut s, mut o) = (surrogate.to_vec(), original.to_vec());
        for _ in 0..DEEPER_FORMS {
            let (mut s2, mut o2) = (Vec::with_capacity(s.len() + 8), Vec::new());
            super::json::escape_into(&s, &mut s2);
            super::json::escape_into(&o, &mut o2);
            out.push(&s2, &o2);
            (s, o) = (s2, o2);
        }
    }
    out
}

/// Where a surrogate is anchored: `(offset, run length)` of one run, and of a second run when
/// the first is too short to stand alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Anchor {
    /// Which run of the surrogate it is (the second one, when there is one, is the next).
    pub(crate) run: usize,
    pub(crate) start: usize,
    pub(crate) len: usize,
    pub(crate) second: Option<(usize, usize)>,
}

/// The anchor of `surrogate` (see the module doc), or `None` when it has no letter or digit.
/// The run that differs from `original` and is longest wins (the first of equals); when none
/// differs, or the two are not aligned run for run, the longest run.
pub(crate) fn anchor(
    surrogate: &[u8],
    original: &[u8],
    scratch: &mut [Vec<(usize, usize)>; 2],
) -> Option<Anchor> {
    if !surrogate.is_empty() && surrogate.iter().all(|&b| ALNUM[b as usize]) {
        return Some(Anchor {
            run: 0,
            start: 0,
            len: surrogate.len(),
            second: None,
        });
    }
    let [mine, theirs] = scratch;
    runs_of(surrogate, false, mine);
    if mine.is_empty() {
        return None;
    }
    theirs.clear();
    if original.len() == surrogate.len() {
        runs_of(original, false, theirs);
    }
    let aligned = theirs.len() == mine.len();
    let len = |r: usize| mine[r].1 - mine[r].0;
    let differs = |r: usize| {
        !aligned || original[theirs[r].0..theirs[r].1] != surrogate[mine[r].0..mine[r].1]
    };
    // which of the first 64 runs differ, compared once each (later runs: when asked)
    let differ_bits = (0..mine.len().min(64))
        .filter(|&r| differs(r))
        .fold(0u64, |bits, r| bits | 1 << r);
    let any_differs = differ_bits != 0 || (64..mine.len()).any(differs);
    // when every run is kept (it differs in its separators only), every run counts as changed
    let changed = |r: usize| {
        !any_differs
            || if r < 64 {
                differ_bits >> r & 1 != 0
            } else {
                differs(r)
            }
    };
    let mut best: Option<usize> = None;
    for r in (0..mine.len()).filter(|&r| changed(r)) {
        if best.is_none_or(|b| len(r) > len(b)) {
            best = Some(r);
        }
    }
    let best = best?;
    if len(best) < SHORT_ANCHOR && mine.len() >= 2 {
        // two neighbouring runs, one of them changed, longest together (the first of equals)
        let mut first: Option<usize> = None;
        for i in (0..mine.len() - 1).filter(|&i| changed(i) || changed(i + 1)) {
            if first.is_none_or(|f| len(i) + len(i + 1) > len(f) + len(f + 1)) {
                first = Some(i);
            }
        }
        let f = first.expect("a changed run has a neighbour");
        return Some(Anchor {
            run: f,
            start: mine[f].0,
            len: len(f),
            second: Some((mine[f + 1].0, len(f + 1))),
        });
    }
    Some(Anchor {
        run: best,
        start: mine[best].0,
        len: len(best),
        second: None,
    })
}

/// The same anchor in the JSON-escaped form of its surrogate: escapes are separators and
/// letters and digits are never escaped, so the escaped form has the same runs.
fn escaped_anchor(plain: Anchor, escaped: &[u8], runs: &mut Vec<(usize, usize)>) -> Option<Anchor> {
    runs_of(escaped, true, runs);
    if plain.run + usize::from(plain.second.is_some()) >= runs.len() {
        // not aligned run for run (not expected: the escape rule reads both forms alike):
        // anchor it on its longest escaped run (none: nothing to find it by)
        let (k, &(a, e)) = runs
            .iter()
            .enumerate()
            .max_by_key(|&(k, &(a, e))| (e - a, std::cmp::Reverse(k)))?;
        return Some(Anchor {
            run: k,
            start: a,
            len: e - a,
            second: None,
        });
    }
    let (a, e) = runs[plain.run];
    let second = plain.second.map(|_| {
        (
            runs[plain.run + 1].0,
            runs[plain.run + 1].1 - runs[plain.run + 1].0,
        )
    });
    Some(Anchor {
        run: plain.run,
        start: a,
        len: e - a,
        second,
    })
}

#[cfg(test)]
#[test]
fn alnum_bits_agree_with_the_table() {
    for b in 0..=255u8 {
        for lane in 0..8 {
            let x = (b as u64) << (8 * lane) | 0x2020_2020_2020_2020 & !(0xFF << (8 * lane));
            let want = (ALNUM[b as usize] as u64) << lane;
            assert_eq!(alnum_bits(x), want, "byte {b:#x} in lane {lane}");
        }
    }
    let text = b"ab-9Z\xff\x80 q";
    let mut words = Vec::new();
    let m = Masked::plain(text, &mut words);
    for i in 0..text.len() {
        assert_eq!(m.word(i), ALNUM[text[i] as usize]);
    }
}

/// A run of letters and digits as the index reads it: its first eight bytes (fewer, zero-padded,
/// in a shorter run), its last eight when it is longer than eight, and `spread`, one multiply
/// of them and its length, whose top bits the key filters read. The table keys
/// ([`RunKey::key`], [`pair_key`]) are hashed from `spread` only for the few runs a filter
/// lets through. A key is exact for runs of up to 16 bytes and a hash beyond; the index
/// compares bytes on every hit, so a shared key costs a comparison, never a wrong restoration.
#[derive(Clone, Copy)]
struct RunKey {
    head: u64,
    tail: u64,
    spread: u64,
}

impl RunKey {
    /// The run `bytes[a..a + len]` (`len > 0`): two loads and a multiply, whatever its length.
    #[inline]
    fn of(bytes: &[u8], a: usize, len: usize) -> RunKey {
        let keep = u64::MAX >> (64 - 8 * len.min(8));
        let head = match bytes.get(a..a + 8) {
            Some(eight) => word8(eight) & keep,
            None => bytes[a..a + len.min(8)]
                .iter()
                .rev()
                .fold(0u64, |w, &b| w << 8 | b as u64),
        };
        // (without a branch on the length: the text decides it)
        let e = a + len;
        let tail = match e.checked_sub(8) {
            Some(t) => word8(&bytes[t..e]) & u64::from(len > 8).wrapping_neg(),
            None => 0,
        };
        let mixed = head ^ tail.rotate_left(29) ^ (len as u64) << 56;
        RunKey {
            head,
            tail,
            spread: mixed.wrapping_mul(0x9E37_79B9_7F4A_7C15),
        }
    }

    /// The run's key in the table of exact anchors.
    #[inline]
    fn key(&self) -> u64 {
        finish_hash(self.spread)
    }
}

/// Two neighbouring runs together, spread as [`RunKey::spread`] is (the key filter reads its
/// top bits; [`finish_hash`] of it is the key in the table of pairs).
#[inline]
fn pair_spread(first: &RunKey, second: &RunKey) -> u64 {
    (first.spread.rotate_left(32) ^ second.spread).wrapping_mul(0xC2B2_AE3D_27D4_EB4F)
}

/// The key of eight bytes that end a glued surrogate's anchor (the last eight of a run longer
/// than [`GLUE_KEY`] in the text).
#[inline]
fn end_key(eight: u64) -> u64 {
    finish_hash(eight ^ 0x1234_5678_9ABC_DEF1)
}

/// The key of eight bytes that start a glued surrogate's anchor.
#[inline]
fn start_key(eight: u64) -> u64 {
    finish_hash(eight ^ 0x0F1E_2D3C_4B5A_6978)
}

/// Eight bytes as one little-endian word.
#[inline]
fn word8(eight: &[u8]) -> u64 {
    u64::from_le_bytes(eight.try_into().expect("8 bytes"))
}

#[inline]
fn finish_hash(mut h: u64) -> u64 {
    h ^= h >> 32;
    h = h.wrapping_mul(0xD6E8_FEB8_6659_FD93);
    h ^= h >> 29;
    h
}

/// Lists of items keyed by a 64-bit hash: an open-addressing table of keys, each with the head
/// of a linked list of its items (built without sorting, one insert per item). A slot is
/// chosen by the key's low bits and tells keys apart by its top 32: two keys alike in both
/// share a list (callers check every item).
#[derive(Clone)]
struct HashedLists<T> {
    /// `(top 32 bits of the key, 1 + the index of its last item)`; a head of 0 marks an empty
    /// slot.
    slots: Vec<(u32, u32)>,
    /// Each item and `1 +` the index of the next item of its key (0 ends the list).
    items: Vec<(T, u32)>,
}

impl<T: Copy> HashedLists<T> {
    /// The table of the items `keyed` holds, sized for them; each item's list is linked in
    /// place, so the items are not copied.
    fn from_keyed(keyed: Keyed<T>) -> Self {
        let Keyed { keys, mut items } = keyed;
        if items.is_empty() {
            return HashedLists {
                slots: Vec::new(),
                items,
            };
        }
        let size = (items.len() * 3 / 2 + 1).next_power_of_two().max(16);
        let mut slots = vec![(0u32, 0u32); size];
        let mask = size - 1;
        for (i, &key) in keys.iter().enumerate() {
            let tag = (key >> 32) as u32;
            let mut slot = key as usize & mask;
            while slots[slot].1 != 0 && slots[slot].0 != tag {
                slot = (slot + 1) & mask;
            }
            items[i].1 = slots[slot].1;
            slots[slot] = (tag, i as u32 + 1);
        }
        HashedLists { slots, items }
    }

    /// The items of `key` (and, rarely, of keys whose slot it shares: callers check each).
    #[inline]
    fn get(&self, key: u64) -> ListIter<'_, T> {
        if self.items.is_empty() {
            return ListIter {
                items: &self.items,
                at: 0,
            };
        }
        let (mask, tag) = (self.slots.len() - 1, (key >> 32) as u32);
        let mut slot = key as usize & mask;
        loop {
            let (t, head) = self.slots[slot];
            if head == 0 || t == tag {
                return ListIter {
                    items: &self.items,
                    at: head,
                };
            }
            slot = (slot + 1) & mask;
        }
    }
}

/// Items for a [`HashedLists`], in the order they are found, each with its key.
struct Keyed<T> {
    keys: Vec<u64>,
    /// Each item, with room for the link [`HashedLists::from_keyed`] sets.
    items: Vec<(T, u32)>,
}

impl<T> Keyed<T> {
    fn with_capacity(expected: usize) -> Self {
        Keyed {
            keys: Vec::with_capacity(expected),
            items: Vec::with_capacity(expected),
        }
    }

    fn push(&mut self, key: u64, item: T) {
        self.keys.push(key);
        self.items.push((item, 0));
    }
}

struct ListIter<'a, T> {
    items: &'a [(T, u32)],
    at: u32,
}

impl<T: Copy> Iterator for ListIter<'_, T> {
    type Item = T;
    #[inline]
    fn next(&mut self) -> Option<T> {
        if self.at == 0 {
            return None;
        }
        let (item, next) = self.items[self.at as usize - 1];
        self.at = next;
        Some(item)
    }
}

/// A surrogate found by a run: it starts `back` bytes before the run's start (exact, pair,
/// start-of-run hits) or before its end (end-of-run hits); `len` is the anchor run's length,
/// `len2` the second run's for pairs.
#[derive(Clone, Copy, Debug)]
struct Hit {
    back: u32,
    len: u32,
    len2: u32,
    id: u32,
}

/// One surrogate of the index: its bytes and its original's in the arena.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Entry {
    surrogate: (u32, u32),
    original: (u32, u32),
    /// Restored glued to letters or digits on one side (its unescaped length is at least
    /// [`GLUE_SAFE`]).
    pub(crate) glue_safe: bool,
    /// Made only of letters and digits: inside a longer word on both sides it is that word.
    pub(crate) solid: bool,
}

/// The first byte and the first two bytes of a set of strings, as bit sets: a quick "no" for
/// a text that starts none of them (the two bytes are hashed into a [`KeyFilter`]).
#[derive(Clone)]
struct PrefixSet {
    one: [bool; 256],
    two: KeyFilter,
}

impl PrefixSet {
    fn for_entries(n: usize) -> Self {
        PrefixSet {
            one: [false; 256],
            two: KeyFilter::for_entries(n),
        }
    }

    #[inline]
    fn key(a: u8, b: u8) -> u64 {
        ((a as u64) << 8 | b as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
    }

    fn add(&mut self, s: &[u8]) {
        self.one[s[0] as usize] = true;
        if s.len() >= 2 {
            self.two.add(Self::key(s[0], s[1]));
        }
    }

    /// Whether `text` (not empty) may be the start of one of the strings.
    #[inline]
    fn may_start(&self, text: &[u8]) -> bool {
        if text.len() < 2 {
            return self.one[text[0] as usize];
        }
        self.two.has(Self::key(text[0], text[1]))
    }
}

/// A set of 64-bit values as one bit each, chosen by their top bits: a run whose value is not
/// in it is no anchor, known from one load, before any key is hashed or any hash table probed.
///
/// Sized to the entries (32 bits each, at least 512 and at most 65,536 bits: an 8 KB table
/// from ~2,000 entries on). Every index of an exchange's response is built per exchange, most
/// of them for a handful of surrogates: fixed 8 KB tables (five per index, each copied again
/// for a JSON reply) made building one and reading its first reply cost more than the rest.
#[derive(Clone)]
struct KeyFilter {
    words: Box<[u64]>,
    /// 64 minus the number of top bits that choose the bit.
    shift: u32,
}

impl KeyFilter {
    const MIN_BITS: usize = 512;
    const MAX_BITS: usize = 1 << 16;

    fn for_entries(n: usize) -> Self {
        let bits = n.saturating_mul(32).next_power_of_two().clamp(Self::MIN_BITS, Self::MAX_BITS);
        KeyFilter {
            words: vec![0; bits / 64].into_boxed_slice(),
            shift: 64 - bits.trailing_zeros(),
        }
    }
    fn add(&mut self, key: u64) {
        let d = (key >> self.shift) as usize;
        self.words[d >> 6] |= 1 << (d & 63);
    }
    #[inline]
    fn has(&self, key: u64) -> bool {
        let d = (key >> self.shift) as usize;
        self.words[d >> 6] >> (d & 63) & 1 != 0
    }
}

/// The lengths of the anchors, as bits (a length of 63 or more counts as 63): a run of a length
/// no anchor has is passed over with no key filter read (the filters stay in the first-level
/// cache for the runs that may be anchors).
#[derive(Clone)]
struct AnchorLengths {
    exact: u64,
    /// By the first run's length, the second runs' lengths.
    pairs: [u64; 64],
}

impl Default for AnchorLengths {
    fn default() -> Self {
        AnchorLengths {
            exact: 0,
            pairs: [0; 64],
        }
    }
}

impl AnchorLengths {
    fn add_exact(&mut self, len: usize) {
        self.exact |= 1 << len.min(63);
    }
    fn add_pair(&mut self, first: usize, second: usize) {
        self.pairs[first.min(63)] |= 1 << second.min(63);
    }
    #[inline]
    fn exact(&self, len: usize) -> bool {
        self.exact >> len.min(63) & 1 != 0
    }
    #[inline]
    fn pair(&self, first: usize, second: usize) -> bool {
        self.pairs[first.min(63)] >> second.min(63) & 1 != 0
    }
}

/// The surrogates of one exchange, shared by every stream of its response (see the module doc).
///
/// Built from `(surrogate, original)` pairs (the last pair wins for a surrogate given twice) and
/// the exchange's glue prefixes: the few bytes that stood right before originals glued to a
/// letter or digit in the request (the `AKIA` of an access key). Prefixes longer than 8 bytes
/// and empty ones are ignored.
#[derive(Clone)]
pub struct SurrogateIndex {
    arena: Vec<u8>,
    entries: Vec<Entry>,
    /// In an escaped index, each entry's surrogate and original unescaped, in the arena (empty
    /// in a plain index, whose entries hold them as they are: only JSON replies need both).
    unescaped: Vec<((u32, u32), (u32, u32))>,
    glue: Vec<Vec<u8>>,
    escaped: bool,
    longest: usize,
    /// Every entry, by surrogate bytes; those that can be found right after a letter or digit.
    sorted_all: Vec<u32>,
    sorted_after_word: Vec<u32>,
    /// The first two bytes of those surrogates, as bit sets.
    heads_all: PrefixSet,
    heads_after_word: PrefixSet,
    exact: HashedLists<Hit>,
    pairs: HashedLists<Hit>,
    ends: HashedLists<Hit>,
    starts: HashedLists<Hit>,
    /// The keys of `exact`, `pairs`, and `ends` and `starts` together.
    exact_keys: KeyFilter,
    pair_keys: KeyFilter,
    edge_keys: KeyFilter,
    lengths: AnchorLengths,
}

impl SurrogateIndex {
    /// The index of `pairs` (surrogate, original) in their decoded form, with `glue` prefixes.
    pub fn new(pairs: &[(Vec<u8>, Vec<u8>)], glue: &[Vec<u8>]) -> Self {
        Self::of_pairs(&pairs.iter().map(|(s, o)| (s, o)).collect(), glue)
    }

    /// [`SurrogateIndex::new`] of pairs held in one buffer.
    ///
    /// A surrogate holding a byte JSON escapes (a quote, a backslash, a line break) is also
    /// found in the form it takes [`DEEPER_FORMS`] escaping depths further down, its original
    /// put back in the same form: the model may write the value into JSON of its own (a
    /// `--cli-input-json` argument in a command, a JSON snippet in prose), where the surrogate
    /// arrives as `\"` where the masked text had `"`. Surrogates without such a byte (nearly
    /// all: ids, names, keys) read the same at every depth and need no second form.
    pub fn of_pairs(pairs: &Pairs, glue: &[Vec<u8>]) -> Self {
        let deeper = deeper_forms(pairs);
        // the deeper forms first: a pair given (the last for its surrogate) wins over them
        let skip = deeper.len();
        let given = |i: usize| if i < skip { deeper.get(i) } else { pairs.get(i - skip) };
        Self::build(skip + pairs.len(), given, given, glue, false)
    }

    /// The same surrogates as they appear inside a JSON string (a JSON response body read as
    /// raw text): surrogates and originals JSON-escaped; a JSON escape (`\n`, `\"`, `\u001b`)
    /// counts as a separator, so a surrogate right after `\n` stands on its own.
    pub fn json_escaped(&self) -> SurrogateIndex {
        if self.escaped || self.arena.iter().all(|&b| !super::json::needs_escape(b)) {
            // Nothing to escape (the usual case: surrogates and originals are tokens): the same
            // tables serve, read as escaped text, at the cost of a copy instead of a build.
            let mut same = self.clone();
            same.escaped = true;
            return same;
        }
        self.json_escaped_built()
    }

    /// [`SurrogateIndex::json_escaped`] built from the escaped pairs, whatever they hold.
    pub(crate) fn json_escaped_built(&self) -> SurrogateIndex {
        let mut buf = Vec::with_capacity(self.arena.len() + 64);
        let mut spans = Vec::with_capacity(self.entries.len());
        let mut plain = Vec::with_capacity(self.entries.len());
        for e in 0..self.entries.len() {
            let (s, o) = self.unescaped_pair(e);
            let at = buf.len();
            super::json::escape_into(s, &mut buf);
            let mid = buf.len();
            super::json::escape_into(o, &mut buf);
            spans.push((at, mid, buf.len()));
            plain.push((s, o));
        }
        let given = |i: usize| {
            let (a, m, e) = spans[i];
            (&buf[a..m], &buf[m..e])
        };
        Self::build(spans.len(), given, |i| plain[i], &self.glue, true)
    }

    /// `given[i]` is `plain[i]` as the text will carry it (the same, or JSON-escaped).
    fn build<'a>(
        count: usize,
        given: impl Fn(usize) -> (&'a [u8], &'a [u8]),
        plain: impl Fn(usize) -> (&'a [u8], &'a [u8]),
        glue: &[Vec<u8>],
        escaped: bool,
    ) -> Self {
        // Deduplicate by surrogate, the last pair winning: sort by (surrogate, input order).
        let mut order: Vec<(u64, u32)> = (0..count)
            .map(|i| {
                let s = given(i).0;
                let mut head = [0u8; 8];
                let n = s.len().min(8);
                head[..n].copy_from_slice(&s[..n]);
                (u64::from_be_bytes(head), i as u32)
            })
            .collect();
        order.sort_unstable();
        // surrogates that share their first 8 bytes: by their whole bytes, then input order
        let mut run_start = 0;
        for i in 1..=order.len() {
            if i == order.len() || order[i].0 != order[run_start].0 {
                if i - run_start > 1 {
                    order[run_start..i].sort_unstable_by(|a, b| {
                        given(a.1 as usize)
                            .0
                            .cmp(given(b.1 as usize).0)
                            .then(a.1.cmp(&b.1))
                    });
                }
                run_start = i;
            }
        }
        let size = |pair: (&[u8], &[u8])| pair.0.len() + pair.1.len();
        let plain_bytes: usize = if escaped {
            (0..count).map(|i| size(plain(i))).sum()
        } else {
            0
        };
        let mut arena =
            Vec::with_capacity((0..count).map(|i| size(given(i))).sum::<usize>() + plain_bytes);
        let mut entries = Vec::with_capacity(order.len());
        let mut unescaped = Vec::with_capacity(if escaped { order.len() } else { 0 });
        let mut sorted_all = Vec::with_capacity(order.len());
        let mut sorted_after_word = Vec::with_capacity(order.len());
        let mut heads_all = PrefixSet::for_entries(order.len());
        let mut heads_after_word = PrefixSet::for_entries(order.len());
        let mut exact = Keyed::with_capacity(order.len());
        let (mut pair_hits, mut end_hits, mut start_hits) = (
            Keyed::with_capacity(0),
            Keyed::with_capacity(order.len()),
            Keyed::with_capacity(order.len()),
        );
        let mut exact_keys = KeyFilter::for_entries(order.len());
        let mut pair_keys = KeyFilter::for_entries(order.len());
        let mut edge_keys = KeyFilter::for_entries(2 * order.len());
        let mut lengths = AnchorLengths::default();
        let mut longest = 0;
        let mut scratch = [Vec::new(), Vec::new()];
        for (n, &(_, i)) in order.iter().enumerate() {
            let (s, o) = given(i as usize);
            if order
                .get(n + 1)
                .is_some_and(|&(head, j)| head == order[n].0 && given(j as usize).0 == s)
            {
                continue; // a later pair gives this surrogate again
            }
            let (plain_s, plain_o) = plain(i as usize);
            let Some(mut anchor) = anchor(plain_s, plain_o, &mut scratch) else {
                continue; // no letter or digit: nothing to find it by
            };
            if escaped {
                let Some(found) = escaped_anchor(anchor, s, &mut scratch[0]) else {
                    continue; // its escaped form has no run to find it by
                };
                anchor = found;
            }
            let id = entries.len() as u32;
            let glue_safe = plain_s.len() >= GLUE_SAFE;
            let solid = s.iter().all(|&b| ALNUM[b as usize]);
            let s_at = arena.len() as u32;
            arena.extend_from_slice(s);
            let o_at = arena.len() as u32;
            arena.extend_from_slice(o);
            let (surrogate, original) = ((s_at, s.len() as u32), (o_at, o.len() as u32));
            if escaped {
                let ps_at = arena.len() as u32;
                arena.extend_from_slice(plain_s);
                let po_at = arena.len() as u32;
                arena.extend_from_slice(plain_o);
                unescaped.push(((ps_at, plain_s.len() as u32), (po_at, plain_o.len() as u32)));
            }
            entries.push(Entry {
                surrogate,
                original,
                glue_safe,
                solid,
            });
            longest = longest.max(s.len());
            sorted_all.push(id);
            heads_all.add(s);
            let (k, len) = (anchor.start, anchor.len);
            let run = &s[k..k + len];
            let after_word = if let Some((second_at, len2)) = anchor.second {
                let spread = pair_spread(&RunKey::of(s, k, len), &RunKey::of(s, second_at, len2));
                pair_keys.add(spread);
                pair_hits.push(
                    finish_hash(spread),
                    Hit {
                        back: k as u32,
                        len: len as u32,
                        len2: len2 as u32,
                        id,
                    },
                );
                lengths.add_pair(len, len2);
                glue_safe && k > 0
            } else {
                let run_key = RunKey::of(s, k, len);
                exact_keys.add(run_key.spread);
                lengths.add_exact(len);
                exact.push(
                    run_key.key(),
                    Hit {
                        back: k as u32,
                        len: len as u32,
                        len2: 0,
                        id,
                    },
                );
                if glue_safe && len >= GLUE_KEY {
                    if k == 0 {
                        let hit = Hit {
                            back: len as u32,
                            len: len as u32,
                            len2: 0,
                            id,
                        };
                        let key = end_key(word8(&run[len - GLUE_KEY..]));
                        edge_keys.add(key);
                        end_hits.push(key, hit);
                    }
                    if k + len == s.len() {
                        let hit = Hit {
                            back: k as u32,
                            len: len as u32,
                            len2: 0,
                            id,
                        };
                        let key = start_key(word8(&run[..GLUE_KEY]));
                        edge_keys.add(key);
                        start_hits.push(key, hit);
                    }
                }
                glue_safe && (k > 0 || len >= GLUE_KEY)
            };
            if after_word {
                sorted_after_word.push(id);
                heads_after_word.add(s);
            }
        }
        let mut glue: Vec<Vec<u8>> = glue
            .iter()
            .filter(|g| !g.is_empty() && g.len() <= GLUE_LOOKBACK)
            .cloned()
            .collect();
        glue.sort();
        glue.dedup();
        SurrogateIndex {
            arena,
            entries,
            unescaped,
            glue,
            escaped,
            longest,
            sorted_all,
            sorted_after_word,
            heads_all,
            heads_after_word,
            exact: HashedLists::from_keyed(exact),
            pairs: HashedLists::from_keyed(pair_hits),
            ends: HashedLists::from_keyed(end_hits),
            starts: HashedLists::from_keyed(start_hits),
            exact_keys,
            pair_keys,
            edge_keys,
            lengths,
        }
    }

    /// How many surrogates it can find.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether it reads JSON-escaped text ([`SurrogateIndex::json_escaped`]).
    pub fn is_escaped(&self) -> bool {
        self.escaped
    }

    /// The longest surrogate's length: the most a stream ever holds back.
    pub fn longest(&self) -> usize {
        self.longest
    }

    #[inline]
    pub(crate) fn entry(&self, id: u32) -> Entry {
        self.entries[id as usize]
    }

    #[inline]
    fn slice(&self, (at, len): (u32, u32)) -> &[u8] {
        &self.arena[at as usize..(at + len) as usize]
    }

    /// Entry `i`'s surrogate and original unescaped.
    fn unescaped_pair(&self, i: usize) -> (&[u8], &[u8]) {
        let e = &self.entries[i];
        let (s, o) = self
            .unescaped
            .get(i)
            .copied()
            .unwrap_or((e.surrogate, e.original));
        (self.slice(s), self.slice(o))
    }

    #[inline]
    pub(crate) fn surrogate(&self, id: u32) -> &[u8] {
        self.slice(self.entries[id as usize].surrogate)
    }

    #[inline]
    pub(crate) fn original(&self, id: u32) -> &[u8] {
        self.slice(self.entries[id as usize].original)
    }

    /// `(start, length, id)` for every place at or after `from` in `text` where a surrogate's
    /// bytes stand, found by its anchor. Unsorted; boundaries are not judged here.
    pub(crate) fn candidates<C: Classes>(
        &self,
        text: &[u8],
        from: usize,
        classes: &C,
        out: &mut Vec<(usize, u32, u32)>,
    ) {
        let push = |p: usize, id: u32, out: &mut Vec<(usize, u32, u32)>| {
            let surrogate = self.surrogate(id);
            if p >= from && text[p..].starts_with(surrogate) {
                out.push((p, surrogate.len() as u32, id));
            }
        };
        // the run before this one, `(start, length, key)`: none yet is a run of length 0,
        // which no pair's first run has
        let mut previous = (
            0,
            0,
            RunKey {
                head: 0,
                tail: 0,
                spread: 0,
            },
        );
        // The tests of a run are combined with `&`, not `&&`: each is a load or two, and a
        // branch the text decides would be mispredicted on most runs.
        for (a, e) in classes.runs() {
            let len = e - a;
            let run = RunKey::of(text, a, len);
            if self.lengths.exact(len) & self.exact_keys.has(run.spread) {
                for hit in self.exact.get(run.key()) {
                    if hit.len as usize == len && a >= hit.back as usize {
                        push(a - hit.back as usize, hit.id, out);
                    }
                }
            }
            let (pa, plen, pkey) = previous;
            if self.lengths.pair(plen, len) {
                let spread = pair_spread(&pkey, &run);
                if self.pair_keys.has(spread) {
                    for hit in self.pairs.get(finish_hash(spread)) {
                        if hit.len as usize == plen
                            && hit.len2 as usize == len
                            && pa >= hit.back as usize
                        {
                            push(pa - hit.back as usize, hit.id, out);
                        }
                    }
                }
            }
            previous = (a, len, run);
            if len > GLUE_KEY {
                let key = end_key(run.tail);
                if self.edge_keys.has(key) {
                    for hit in self.ends.get(key) {
                        if (hit.len as usize) < len && e >= hit.back as usize {
                            push(e - hit.back as usize, hit.id, out);
                        }
                    }
                }
                let key = start_key(run.head);
                if self.edge_keys.has(key) {
                    for hit in self.starts.get(key) {
                        if (hit.len as usize) < len && a >= hit.back as usize {
                            push(a - hit.back as usize, hit.id, out);
                        }
                    }
                }
            }
        }
    }

    /// Whether `text[p]` comes right after one of the glue prefixes (none of its bytes part of
    /// an escape).
    #[inline]
    pub(crate) fn after_glue<C: Classes>(&self, text: &[u8], p: usize, classes: &C) -> bool {
        self.glue.iter().any(|g| {
            p >= g.len()
                && &text[p - g.len()..p] == g.as_slice()
                && (p - g.len()..p).all(|i| !classes.esc(i))
        })
    }

    /// The first offset from `lo` where the rest of `text` may be the start of a surrogate still
    /// arriving (`text.len()` when there is none): after a separator, the start of any
    /// surrogate; after a letter or digit only right after a glue prefix, the start of one that
    /// may be found glued there.
    pub(crate) fn incomplete<C: Classes>(&self, text: &[u8], lo: usize, classes: &C) -> usize {
        let n = text.len();
        for p in lo.max(n.saturating_sub(self.longest))..n {
            if classes.esc(p) {
                continue;
            }
            let tail = &text[p..];
            let (keys, firsts) = if p > 0 && classes.word(p - 1) {
                if self.glue.is_empty() || !self.after_glue(text, p, classes) {
                    continue;
                }
                (&self.sorted_after_word, &self.heads_after_word)
            } else {
                (&self.sorted_all, &self.heads_all)
            };
            if !firsts.may_start(tail) {
                continue;
            }
            let k = keys.partition_point(|&id| self.surrogate(id) < tail);
            if k < keys.len() && self.surrogate(keys[k]).starts_with(tail) {
                return p;
            }
        }
        n
    }
}
