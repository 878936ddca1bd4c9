//! The unmasker against a brute-force statement of what it restores, under any chunking, and
//! the cases that statement spells out (ported from tests/test_stream_unmasker.py and the SSE
//! parts of tests/test_anthropic_codec.py).
//!
//! The statement ([`reference`]): scan left to right; at each position take the longest
//! surrogate of the map that stands there and passes the boundary rule, else move one byte on.
//! A surrogate shorter than GLUE_SAFE needs a non-letter-or-digit on both sides; a longer one is
//! restored glued too: on its left only right after one of the map's glue prefixes, and not when
//! it is all letters and digits inside a longer word on both sides. It is found by its anchor:
//! the text's run there must be exactly the anchor, or, for a surrogate of GLUE_SAFE bytes or
//! more whose anchor has GLUE_KEY bytes or more, the anchor may be the end of a longer run (when
//! it starts the surrogate) or its start (when it ends the surrogate).

use std::sync::Arc;

use super::index::anchor;
use super::json::escaped;
use super::*;
use crate::recognizers::base::ALNUM;

type Pairs = Vec<(Vec<u8>, Vec<u8>)>;

/// A small seeded generator (splitmix64): the cases are the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }
    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())].clone()
    }
    fn text(&mut self, alphabet: &[u8], lo: usize, hi: usize) -> Vec<u8> {
        (0..self.range(lo, hi))
            .map(|_| self.pick(alphabet))
            .collect()
    }
}

const LOWER: &[u8] = b"abcdefghijklmnopqrstuvwxyz";
const ALNUMS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

fn alnum(b: Option<u8>) -> bool {
    b.is_some_and(|b| ALNUM[b as usize])
}

/// Whether `text[i]` is a letter or digit of a run: not the letter of an escape after a
/// literal backslash (`n` of `\n`, `u0041` of `\u0041`), which the masker reads as a boundary.
fn word_at(text: &[u8], i: usize) -> bool {
    if !alnum(Some(text[i])) {
        return false;
    }
    let after_backslash = |k: usize| i >= k && text[i - k] == b'\\';
    if after_backslash(1) && b"nrtbf".contains(&text[i]) {
        return false;
    }
    // inside `\uXXXX`: the `u` is `k - 1` bytes before `i`
    !(1..=5).any(|k| {
        after_backslash(k)
            && text[i + 1 - k] == b'u'
            && text.len() >= i + 6 - k
            && text[i + 2 - k..i + 6 - k].iter().all(u8::is_ascii_hexdigit)
    })
}

fn run_around(text: &[u8], i: usize) -> (usize, usize) {
    let (mut a, mut b) = (i, i);
    while a > 0 && word_at(text, a - 1) {
        a -= 1;
    }
    while b < text.len() && word_at(text, b) {
        b += 1;
    }
    (a, b)
}

fn findable(text: &[u8], i: usize, s: &[u8], o: &[u8]) -> bool {
    let Some(anchor) = anchor(s, o, &mut [Vec::new(), Vec::new()]) else {
        return false;
    };
    let (k, len) = (anchor.start, anchor.len);
    let (a, b) = run_around(text, i + k);
    let (start, end) = (i + k, i + k + len);
    if let Some((next, len2)) = anchor.second {
        return (a, b) == (start, end) && run_around(text, i + next) == (i + next, i + next + len2);
    }
    if (a, b) == (start, end) {
        return true;
    }
    if s.len() < GLUE_SAFE || len < GLUE_KEY {
        return false;
    }
    if k == 0 && b == end && a < start {
        return true;
    }
    k + len == s.len() && a == start && b > end
}

/// What the unmasker restores in `text`, stated by brute force.
fn reference(text: &[u8], pairs: &Pairs, glue: &[Vec<u8>]) -> Vec<u8> {
    let mut map: Pairs = Vec::new(); // the last pair wins, as in a dict
    for (s, o) in pairs {
        map.retain(|(t, _)| t != s);
        map.push((s.clone(), o.clone()));
    }
    map.sort_by_key(|(s, _)| std::cmp::Reverse(s.len()));
    let (mut out, mut i, n) = (Vec::new(), 0, text.len());
    'text: while i < n {
        for (s, o) in &map {
            if s.is_empty() || !text[i..].starts_with(s) || !findable(text, i, s, o) {
                continue;
            }
            let e = i + s.len();
            let before = i > 0 && word_at(text, i - 1);
            let after = e < n && word_at(text, e);
            if s.len() < GLUE_SAFE {
                if before || after {
                    continue;
                }
            } else if before {
                let solid = s.iter().all(|&b| ALNUM[b as usize]);
                if (after && solid) || !glue.iter().any(|g| !g.is_empty() && text[..i].ends_with(g))
                {
                    continue;
                }
            }
            out.extend_from_slice(o);
            i = e;
            continue 'text;
        }
        out.push(text[i]);
        i += 1;
    }
    out
}

fn unmask_with(index: &Arc<SurrogateIndex>, chunks: &[&[u8]]) -> Vec<u8> {
    let mut un = StreamUnmasker::new(Arc::clone(index));
    let mut out = Vec::new();
    for c in chunks {
        out.extend(un.feed(c));
    }
    out.extend(un.finish());
    out
}

/// [`unmask_with`] through `feed_into` and `finish_into`, each output written into a buffer of
/// the length it states.
fn unmask_into(index: &Arc<SurrogateIndex>, chunks: &[&[u8]]) -> Vec<u8> {
    let write = |out: &Restored<'_>| {
        let mut buf = vec![b'?'; out.len()];
        out.write_to(&mut buf);
        buf
    };
    let mut un = StreamUnmasker::new(Arc::clone(index));
    let mut out = Vec::new();
    for c in chunks {
        out.extend(un.feed_into(c, write));
    }
    out.extend(un.finish_into(write));
    out
}

fn unmask(pairs: &Pairs, chunks: &[&[u8]], glue: &[&[u8]]) -> Vec<u8> {
    let glue: Vec<Vec<u8>> = glue.iter().map(|g| g.to_vec()).collect();
    unmask_with(&Arc::new(SurrogateIndex::new(pairs, &glue)), chunks)
}

/// `data` cut at up to ten random places.
fn random_cuts<'a>(rng: &mut Rng, data: &'a [u8]) -> Vec<&'a [u8]> {
    let mut marks: Vec<usize> = (0..rng.below(11))
        .map(|_| rng.below(data.len() + 1))
        .collect();
    marks.sort_unstable();
    marks.dedup();
    let mut out = Vec::new();
    let mut prev = 0;
    for m in marks {
        out.push(&data[prev..m]);
        prev = m;
    }
    out.push(&data[prev..]);
    out
}

/// A surrogate/original pair of the shapes the masker makes: one run, several runs with kept
/// separators and kept runs, punctuation at the edges, dotted numbers; `seps` are the
/// separators between runs.
fn pair(rng: &mut Rng, seps: &[&[u8]]) -> (Vec<u8>, Vec<u8>) {
    match rng.below(5) {
        0 => {
            let s = rng.text(ALNUMS, 3, 24);
            let mut o: Vec<u8> = s.iter().rev().copied().collect();
            o.push(b'#');
            (s, o)
        }
        1 => {
            let octets: Vec<String> = (0..4).map(|_| rng.below(256).to_string()).collect();
            let s = octets.join(".").into_bytes();
            let o = vec![b'9'; s.len()];
            (s, o)
        }
        kind => {
            let parts: Vec<Vec<u8>> = (0..rng.range(2, 4))
                .map(|_| rng.text(LOWER, 3, 24))
                .collect();
            let keep: &[u8] = rng.pick(&[&b""[..], b"com", b"prod"]);
            let sep = rng.pick(seps);
            let mut s = parts.join(sep);
            let mut o: Vec<Vec<u8>> = parts.clone();
            if kind == 4 {
                // one part changed in the original, the others kept
                let which = rng.below(o.len());
                o[which] = rng.text(LOWER, o[which].len(), o[which].len());
            }
            let mut o = o.join(sep);
            if !keep.is_empty() {
                for x in [&mut s, &mut o] {
                    x.extend_from_slice(sep);
                    x.extend_from_slice(keep);
                }
            }
            if kind == 3 {
                s = [&b"!"[..], &s, b"."].concat();
                o = [&b"!"[..], &o, b"."].concat();
            }
            (s, o)
        }
    }
}

const FILLERS: &[&[u8]] = &[
    b"", b" ", b"x", b"AKIA", b"7", b"-", b".", b"\n", b"ab1", b"::", b"/",
];
const TINY_GLUES: &[&[&[u8]]] = &[&[], &[b"a"], &[b"AKIA", b"0"]];
const GLUES: &[&[&[u8]]] = &[&[], &[b"AKIA"], &[b"AKIA", b"ab1"], &[b"7"]];

/// A text made of surrogates of `pairs`, their pieces and `fillers`, and a lookalike word that
/// is not in the map.
fn text_for(rng: &mut Rng, pairs: &Pairs, fillers: &[&[u8]]) -> Vec<u8> {
    let mut text = Vec::new();
    for _ in 0..rng.below(31) {
        match rng.below(5) {
            0 | 1 => text.extend_from_slice(&rng.pick(pairs).0),
            2 => {
                // a piece of a surrogate: its start or its end
                let s = &rng.pick(pairs).0;
                let cut = rng.below(s.len() + 1);
                text.extend_from_slice(if rng.below(2) == 0 {
                    &s[..cut]
                } else {
                    &s[cut..]
                });
            }
            _ => text.extend_from_slice(rng.pick(fillers)),
        }
    }
    let lookalike = rng.text(LOWER, 5, 9);
    text.extend_from_slice(&lookalike);
    text
}

#[test]
fn matches_the_statement_whatever_the_chunking() {
    let mut rng = Rng(12);
    for case in 0..4000 {
        let pairs: Pairs = (0..rng.range(1, 6))
            .map(|_| pair(&mut rng, &[b"-"]))
            .collect();
        let text = text_for(&mut rng, &pairs, FILLERS);
        let glue: &[&[u8]] = rng.pick(GLUES);
        let owned_glue: Vec<Vec<u8>> = glue.iter().map(|g| g.to_vec()).collect();
        let want = reference(&text, &pairs, &owned_glue);
        let index = Arc::new(SurrogateIndex::new(&pairs, &owned_glue));
        assert_eq!(
            unmask_with(&index, &[&text]),
            want,
            "case {case}: {:?}",
            String::from_utf8_lossy(&text)
        );
        let cuts = random_cuts(&mut rng, &text);
        assert_eq!(unmask_with(&index, &cuts), want, "case {case} cut {cuts:?}");
        assert_eq!(unmask_into(&index, &cuts), want, "case {case} cut {cuts:?}");
        let bytes: Vec<&[u8]> = text.chunks(1).collect();
        assert_eq!(
            unmask_with(&index, &bytes),
            want,
            "case {case} byte by byte"
        );
    }
}

#[test]
fn matches_the_statement_on_a_tiny_alphabet() {
    // surrogates from three letters overlap and nest in every way
    let mut rng = Rng(7);
    for case in 0..4000 {
        let pairs: Pairs = (0..rng.range(1, 5))
            .map(|_| {
                let mut s = rng.text(b"ab0", 1, 14);
                if rng.below(3) == 0 {
                    s.insert(rng.below(s.len() + 1), b'-');
                }
                let o = rng.text(b"XYZ", s.len(), s.len());
                (s, o)
            })
            .collect();
        let text = text_for(&mut rng, &pairs, &[b" ", b"a", b"b0", b"-", b"AKIA", b"."]);
        let glue: &[&[u8]] = rng.pick(TINY_GLUES);
        let owned_glue: Vec<Vec<u8>> = glue.iter().map(|g| g.to_vec()).collect();
        let want = reference(&text, &pairs, &owned_glue);
        let index = Arc::new(SurrogateIndex::new(&pairs, &owned_glue));
        let cuts = random_cuts(&mut rng, &text);
        assert_eq!(
            unmask_with(&index, &cuts),
            want,
            "case {case}: {pairs:?} {cuts:?}"
        );
        let bytes: Vec<&[u8]> = text.chunks(1).collect();
        assert_eq!(
            unmask_with(&index, &bytes),
            want,
            "case {case} byte by byte"
        );
    }
}

#[test]
fn a_json_escaped_index_of_plain_tokens_reads_as_the_one_built_escaped() {
    // The tables of an index whose pairs hold nothing JSON escapes serve as its escaped index:
    // on escaped text, both restore the same bytes, a surrogate right after `\n` included.
    let fillers: &[&[u8]] = &[b" ", b"\n", b"\t", b"\"", b"\\", b"x", b"n", b"t", b"7", b"u0041"];
    let mut rng = Rng(5);
    for case in 0..2000 {
        let pairs: Pairs = (0..rng.range(1, 6)).map(|_| pair(&mut rng, &[b"-", b"."])).collect();
        let plain = SurrogateIndex::new(&pairs, &[]);
        let copied = Arc::new(plain.json_escaped());
        let built = Arc::new(plain.json_escaped_built());
        let body = escaped(&text_for(&mut rng, &pairs, fillers));
        let cuts = random_cuts(&mut rng, &body);
        assert_eq!(unmask_with(&copied, &cuts), unmask_with(&built, &cuts), "case {case}");
    }
    let pairs: Pairs = vec![(b"qzvbkxwpmt".to_vec(), b"orders-db1".to_vec())];
    let index = Arc::new(SurrogateIndex::new(&pairs, &[]).json_escaped());
    let body: &[u8] = b"line one\\nqzvbkxwpmt\\tqzvbkxwpmt";
    assert_eq!(unmask_with(&index, &[body]), b"line one\\norders-db1\\torders-db1".to_vec());
}

#[test]
fn json_escaped_text_matches_the_statement_on_the_decoded_text() {
    // Escapes are separators: what is restored in a JSON string is what the statement restores
    // in its decoded text, escaped. Pairs holding bytes JSON escapes, and pairs of plain tokens
    // only (whose escaped index is the plain one's tables, copied).
    json_escaped_matches_the_statement(&[b"-", b"\n", b"\"", b"\\"], 99);
    json_escaped_matches_the_statement(&[b"-", b".", b"/"], 7);
}

fn json_escaped_matches_the_statement(separators: &[&[u8]], seed: u64) {
    let fillers: &[&[u8]] = &[
        b" ",
        b"\n",
        b"\t",
        b"\"",
        b"\\",
        b"\x01",
        "é".as_bytes(),
        b"x",
        b"AKIA",
        b"7",
        b"n",
        b"u0041",
    ];
    let mut rng = Rng(seed);
    for case in 0..3000 {
        let pairs: Pairs = (0..rng.range(1, 6))
            .map(|_| pair(&mut rng, separators))
            .collect();
        let text = text_for(&mut rng, &pairs, fillers);
        let glue: &[&[u8]] = rng.pick(GLUES);
        let owned_glue: Vec<Vec<u8>> = glue.iter().map(|g| g.to_vec()).collect();
        let want = escaped(&reference(&text, &pairs, &owned_glue));
        let index = Arc::new(SurrogateIndex::new(&pairs, &owned_glue).json_escaped());
        let body = escaped(&text);
        let cuts = random_cuts(&mut rng, &body);
        assert_eq!(
            unmask_with(&index, &cuts),
            want,
            "case {case}: {:?}",
            String::from_utf8_lossy(&body)
        );
        let bytes: Vec<&[u8]> = body.chunks(1).collect();
        assert_eq!(
            unmask_with(&index, &bytes),
            want,
            "case {case} byte by byte"
        );
    }
}

const LONG: &[u8] = b"Zq81mXv4Lp0TrW2k"; // 16 letters and digits, as the part of an access key after AKIA
const SHORT: &[u8] = b"qvzlm"; // a short name

fn pairs_of(list: &[(&[u8], &[u8])]) -> Pairs {
    list.iter().map(|(s, o)| (s.to_vec(), o.to_vec())).collect()
}

#[test]
fn short_surrogates_only_on_their_own() {
    let pairs = pairs_of(&[(SHORT, b"alice")]);
    assert_eq!(
        unmask(&pairs, &[b"user qvzlm, and qvzlm."], &[]),
        b"user alice, and alice."
    );
    assert_eq!(
        unmask(&pairs, &[b"xqvzlm qvzlm7 qvzlmqvzlm"], &[]),
        b"xqvzlm qvzlm7 qvzlmqvzlm"
    );
}

#[test]
fn long_surrogates_glued_on_one_side() {
    let original: &[u8] = b"AB12CD34EF56GH78";
    let pairs = pairs_of(&[(LONG, original)]);
    let text = [&b"key AKIA"[..], LONG, b", again ", LONG, b"s and ", LONG].concat();
    let want = [
        &b"key AKIA"[..],
        original,
        b", again ",
        original,
        b"s and ",
        original,
    ]
    .concat();
    assert_eq!(unmask(&pairs, &[&text], &[b"AKIA"]), want);
    // after letters that are not a glue prefix of this exchange it is part of another word
    let text = [&b"xx"[..], LONG, b" ", LONG].concat();
    assert_eq!(
        unmask(&pairs, &[&text], &[b"AKIA"]),
        [&b"xx"[..], LONG, b" ", original].concat()
    );
    // the glue prefix in one chunk, the surrogate in the next (a short text before it)
    for head in [&b"AKIA"[..], b" AKIA", b"key AKIA", b"the key AKIA"] {
        let rest = [LONG, b" "].concat();
        assert_eq!(
            unmask(&pairs, &[head, &rest], &[b"AKIA"]),
            [head, original, b" "].concat()
        );
    }
    // and inside a longer word on both sides, even after a glue prefix
    let text = [&b"AKIA"[..], LONG, b"yy"].concat();
    assert_eq!(unmask(&pairs, &[&text], &[b"AKIA"]), text);
}

#[test]
fn multi_part_surrogates_are_found_by_their_changed_part() {
    let surrogate: &[u8] = b"ip-10-41-7-203.qxv-wkzbnrtyu.internal";
    let original: &[u8] = b"ip-10-12-9-117.eng-platforms.internal";
    let pairs = pairs_of(&[(surrogate, original)]);
    let upper = surrogate.to_ascii_uppercase();
    let text = [&b"host "[..], surrogate, b" and ", &upper].concat();
    assert_eq!(
        unmask(&pairs, &[&text], &[]),
        [&b"host "[..], original, b" and ", &upper].concat()
    );
}

#[test]
fn only_this_exchanges_surrogates() {
    let pairs = pairs_of(&[(b"i-0feedfacecafe0001", b"i-0123456789abcdef0")]);
    let text = b"i-0feedfacecafe0002 i-0feedfacecafe0001";
    assert_eq!(
        unmask(&pairs, &[text], &[]),
        b"i-0feedfacecafe0002 i-0123456789abcdef0"
    );
}

#[test]
fn a_big_map_and_a_short_text() {
    let pairs: Pairs = (0..5000)
        .map(|n| {
            (
                format!("i-0{n:016x}").into_bytes(),
                format!("i-1{n:016x}").into_bytes(),
            )
        })
        .collect();
    let text = format!("stopped i-0{:016x} ok", 4321).into_bytes();
    let want = format!("stopped i-1{:016x} ok", 4321).into_bytes();
    assert_eq!(unmask(&pairs, &[&text[..9], &text[9..]], &[]), want);
}

#[test]
fn a_surrogate_after_a_literal_backslash_escape_is_restored_as_the_masker_masked_it() {
    // The masker reads the letter after a backslash (`\n`, `\t`, `\r`, `\b`, `\f`, `\u0041`)
    // as the end of an escape, whatever the backslashes before it, so a value right after one
    // is masked there; its surrogate comes back restored in plain text, in a JSON string, and
    // in JSON text inside a JSON string. A letter that is no escape's (`\x`, `n` with no
    // backslash) still glues the surrogate to it.
    let pairs = pairs_of(&[
        (b"7b3a8074", b"000012ab"),
        (b"vol-7b3a8074", b"vol-000012ab"),
    ]);
    let text: &[u8] = b"vol-7b3a8074\\n7b3a8074 \\t7b3a8074\\r7b3a8074 \\b7b3a8074 \\f7b3a8074 \\u00417b3a8074 \\\\n7b3a8074 \\x7b3a8074 n7b3a8074 \\u00z7b3a8074 \\";
    let want: &[u8] = b"vol-000012ab\\n000012ab \\t000012ab\\r000012ab \\b000012ab \\f000012ab \\u0041000012ab \\\\n000012ab \\x7b3a8074 n7b3a8074 \\u00z7b3a8074 \\";
    let plain = Arc::new(SurrogateIndex::new(&pairs, &[]));
    let json = Arc::new(plain.json_escaped());
    let (once, twice) = (escaped(text), escaped(&escaped(text)));
    let (want_once, want_twice) = (escaped(want), escaped(&escaped(want)));
    for (index, body, want) in [
        (&plain, text, want),
        (&json, &once[..], &want_once[..]),
        (&json, &twice[..], &want_twice[..]),
    ] {
        assert_eq!(unmask_with(index, &[body]), want);
        for cut in 0..body.len() {
            assert_eq!(
                unmask_with(index, &[&body[..cut], &body[cut..]]),
                want,
                "cut {cut}"
            );
        }
        let bytes: Vec<&[u8]> = body.chunks(1).collect();
        assert_eq!(unmask_with(index, &bytes), want);
    }
}

#[test]
fn a_model_written_lookalike_is_never_restored() {
    // invariant 5: an address or a number the model writes on its own stays as it is
    let pairs = pairs_of(&[(b"10.0.0.1", b"10.0.0.2"), (b"177", b"142")]);
    assert_eq!(
        unmask(&pairs, &[b"see 10.0.0.12 and line 1770, 10.0.0.1"], &[]),
        b"see 10.0.0.12 and line 1770, 10.0.0.2"
    );
}

#[test]
fn a_surrogate_right_after_an_escape_is_restored_in_json() {
    let pairs = pairs_of(&[
        (b"i-0feedfacecafe0001", b"i-0123456789abcdef0"),
        (SHORT, b"alice"),
    ]);
    let index = Arc::new(SurrogateIndex::new(&pairs, &[]).json_escaped());
    let body: &[u8] = br#"{"text":"\ni-0feedfacecafe0001\tqvzlm\"qvzlm\\nqvzlm\u000bqvzlm"}"#;
    // `\\n` is a backslash and `n`: the masker reads that `n` as an escape's, so a surrogate
    // right after it stands on its own there too
    let want: &[u8] = br#"{"text":"\ni-0123456789abcdef0\talice\"alice\\nalice\u000balice"}"#;
    assert_eq!(unmask_with(&index, &[body]), want);
    for cut in 0..body.len() {
        assert_eq!(
            unmask_with(&index, &[&body[..cut], &body[cut..]]),
            want,
            "cut at {cut}"
        );
    }
}

#[test]
fn json_escaped_pairs_are_restored_escaped() {
    let pairs = pairs_of(&[(
        b"-----BEGIN KEY-----\nqxzvbnmasdfgh\n-----END KEY-----",
        b"-----BEGIN KEY-----\nMIIEvQIBADANB\n-----END KEY-----",
    )]);
    let index = Arc::new(SurrogateIndex::new(&pairs, &[]).json_escaped());
    let body = br#"{"k":"-----BEGIN KEY-----\nqxzvbnmasdfgh\n-----END KEY-----"}"#;
    assert_eq!(
        unmask_with(&index, &[body]),
        br#"{"k":"-----BEGIN KEY-----\nMIIEvQIBADANB\n-----END KEY-----"}"#
    );
}

#[test]
fn an_output_written_into_a_given_buffer_is_the_same() {
    let pairs = pairs_of(&[(b"i-0a1b2c3d4e5f60718", b"i-0f9e8d7c6b5a40312")]);
    let text = b"stop i-0a1b2c3d4e5f60718 now, then i-0a1b2c3d4e5f60718.";
    let index = Arc::new(SurrogateIndex::new(&pairs, &[]));
    let want = b"stop i-0f9e8d7c6b5a40312 now, then i-0f9e8d7c6b5a40312.";
    for cut in 0..=text.len() {
        let (a, b) = text.split_at(cut);
        assert_eq!(unmask_into(&index, &[a, b]), want, "cut at {cut}");
    }
    let empty = Arc::new(SurrogateIndex::new(&Vec::new(), &[]));
    assert_eq!(unmask_into(&empty, &[&text[..9], &text[9..]]), text);
}

#[test]
fn plain_text_is_not_held_back() {
    let pairs = pairs_of(&[(b"i-0feedfacecafe0001", b"i-0123456789abcdef0")]);
    let mut un = StreamUnmasker::new(Arc::new(SurrogateIndex::new(&pairs, &[])));
    assert_eq!(un.feed(b"Hello there. "), b"Hello there. ");
    assert_eq!(un.feed(b"Stopping i-0fee"), b"Stopping ");
    assert_eq!(un.held_back(), 6);
    assert_eq!(un.feed(b"dfacecafe0001."), b"i-0123456789abcdef0.");
    assert_eq!(un.restored(), 1);
}

#[test]
fn the_last_pair_wins_and_unfindable_ones_are_ignored() {
    let pairs = pairs_of(&[
        (b"qvzlmx", b"first"),
        (b"...", b"dots"),
        (b"qvzlmx", b"second"),
        (b"", b"empty"),
    ]);
    let index = SurrogateIndex::new(&pairs, &[]);
    assert_eq!(index.len(), 1);
    assert_eq!(unmask(&pairs, &[b"a qvzlmx ..."], &[]), b"a second ...");
}

// ---- the Messages event stream ----

fn sse(name: &str, data: &str) -> Vec<u8> {
    format!("event: {name}\ndata: {data}\n\n").into_bytes()
}

fn json_str(s: &str) -> String {
    format!("\"{}\"", String::from_utf8(escaped(s.as_bytes())).unwrap())
}

fn delta(index: usize, kind: &str, field: &str, value: &str) -> Vec<u8> {
    sse(
        "content_block_delta",
        &format!(
            r#"{{"type": "content_block_delta", "index": {index}, "delta": {{"type": "{kind}", "{field}": {}}}}}"#,
            json_str(value)
        ),
    )
}

fn block_start(index: usize, block: &str) -> Vec<u8> {
    sse(
        "content_block_start",
        &format!(
            r#"{{"type": "content_block_start", "index": {index}, "content_block": {block}}}"#
        ),
    )
}

fn block_stop(index: usize) -> Vec<u8> {
    sse(
        "content_block_stop",
        &format!(r#"{{"type": "content_block_stop", "index": {index}}}"#),
    )
}

/// The decoded `text` / `partial_json` of every delta in `out`, joined per delta type.
fn collected(out: &[u8]) -> (String, String) {
    let (mut text, mut tool) = (Vec::new(), Vec::new());
    let out = String::from_utf8(out.to_vec()).unwrap();
    for event in out.split("\n\n") {
        let Some((_, data)) = event.split_once("data: ") else {
            continue;
        };
        let Some(fields) = super::json::event_fields(data.as_bytes()) else {
            continue;
        };
        let mut value = Vec::new();
        if let Some(span) = fields.text {
            super::json::decode_into(&data.as_bytes()[span.start + 1..span.end - 1], &mut value)
                .unwrap();
            if fields.delta_type.as_deref() == Some(b"text_delta") {
                text.extend(value);
            }
        } else if let Some(span) = fields.partial_json {
            super::json::decode_into(&data.as_bytes()[span.start + 1..span.end - 1], &mut value)
                .unwrap();
            tool.extend(value);
        }
    }
    (
        String::from_utf8(text).unwrap(),
        String::from_utf8(tool).unwrap(),
    )
}

/// A surrogate for the part of `i-0abc123def4567890` after `i-`, as the masker keys it.
const ID: &str = "i-0abc123def4567890";
const SID: &str = "i-0f3e9d8c7b6a51024";

fn exchange_index() -> Arc<SurrogateIndex> {
    Arc::new(SurrogateIndex::new(
        &pairs_of(&[
            (&SID.as_bytes()[2..], &ID.as_bytes()[2..]),
            (b"wkzbnrtyuq", b"vol-123456"),
        ]),
        &[b"AKIA".to_vec()],
    ))
}

fn feed_all(un: &mut SseUnmasker, raw: &[u8], chunk: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for c in raw.chunks(chunk) {
        out.extend(un.feed(c).unwrap());
    }
    out.extend(un.finish().unwrap());
    out
}

#[test]
fn sse_unmasker_restores_text_and_tool_input_cut_anywhere() {
    let text = format!("I stopped {SID} and {SID}.");
    let tool = format!(r#"{{"command": "aws ec2 start-instances --instance-ids {SID}"}}"#);
    let thinking = format!("the surrogate {SID} stays");
    let index = exchange_index();
    for cut in 1..text.len() {
        let tcut = cut % tool.len();
        let events = [
            sse(
                "message_start",
                r#"{"type": "message_start", "message": {"id": "msg_1"}}"#,
            ),
            block_start(0, r#"{"type": "thinking", "thinking": ""}"#),
            delta(0, "thinking_delta", "thinking", &thinking),
            delta(0, "signature_delta", "signature", SID),
            block_stop(0),
            block_start(1, r#"{"type": "text", "text": ""}"#),
            delta(1, "text_delta", "text", &text[..cut]),
            delta(1, "text_delta", "text", &text[cut..]),
            block_stop(1),
            block_start(
                2,
                r#"{"type": "tool_use", "id": "toolu_2", "name": "Bash", "input": {}}"#,
            ),
            delta(2, "input_json_delta", "partial_json", &tool[..tcut]),
            delta(2, "input_json_delta", "partial_json", &tool[tcut..]),
            block_stop(2),
            sse("message_stop", r#"{"type": "message_stop"}"#),
        ];
        let raw = events.concat();
        let mut un = SseUnmasker::new(Arc::clone(&index), 1 << 20);
        let out = feed_all(&mut un, &raw, 5);
        // the thinking block comes back byte for byte
        let thinking_block = events[1..5].concat();
        assert!(out
            .windows(thinking_block.len())
            .any(|w| w == thinking_block.as_slice()));
        let (got_text, got_tool) = collected(&out);
        assert_eq!(got_text, format!("I stopped {ID} and {ID}."), "cut {cut}");
        assert_eq!(
            got_tool,
            format!(r#"{{"command": "aws ec2 start-instances --instance-ids {ID}"}}"#)
        );
        assert_eq!(un.restored(), 3);
    }
}

#[test]
fn sse_events_go_out_as_soon_as_they_may() {
    let mut un = SseUnmasker::new(exchange_index(), 1 << 20);
    let start = block_start(0, r#"{"type": "text", "text": ""}"#);
    assert_eq!(un.feed(&start).unwrap(), start);
    let plain = delta(0, "text_delta", "text", "Hello there. ");
    assert_eq!(un.feed(&plain).unwrap(), plain); // no tail that could begin a surrogate
                                                 // the surrogate is the part after `i-`
    let held = delta(0, "text_delta", "text", "i-0f3e");
    assert_eq!(
        un.feed(&held).unwrap(),
        delta(0, "text_delta", "text", "i-")
    );
    let held = delta(0, "text_delta", "text", "9d8c");
    assert_eq!(un.feed(&held).unwrap(), b""); // all of it may still be part of a surrogate
}

#[test]
fn a_rewritten_event_changes_only_its_string_value() {
    let mut un = SseUnmasker::new(exchange_index(), 1 << 20);
    un.feed(&block_start(3, r#"{"type":"text","text":""}"#))
        .unwrap();
    let raw = format!("event: content_block_delta\r\nid: 7\r\ndata: {{ \"index\" : 3, \"extra\": [1, {{\"x\": \"\\u00e9\"}}], \"delta\": {{\"text\": \"on {SID}\\n\", \"type\": \"text_delta\"}} }}\r\n\r\n");
    let out = un.feed(raw.as_bytes()).unwrap();
    let want = raw.replace(SID, ID);
    assert_eq!(String::from_utf8(out).unwrap(), want);
}

#[test]
fn held_text_is_flushed_before_the_block_stops() {
    let mut un = SseUnmasker::new(exchange_index(), 1 << 20);
    un.feed(&block_start(0, r#"{"type":"text","text":""}"#))
        .unwrap();
    assert_eq!(
        un.feed(&delta(0, "text_delta", "text", "see i-0f3e9"))
            .unwrap(),
        delta(0, "text_delta", "text", "see i-")
    );
    let out = un.feed(&block_stop(0)).unwrap();
    let flushed = br#"event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"0f3e9"}}

"#;
    assert_eq!(out, [&flushed[..], &block_stop(0)].concat());
}

#[test]
fn tool_input_escapes_cut_between_fragments_are_decoded_whole() {
    let index = exchange_index();
    let tool = format!("{{\"cmd\": \"echo \\\"{SID}\\\"\\n\\ud83d\\ude00 {SID}\\u0021\"}}");
    for cut in 0..tool.len() {
        let raw = [
            block_start(
                0,
                r#"{"type": "tool_use", "id": "t", "name": "Bash", "input": {}}"#,
            ),
            delta(0, "input_json_delta", "partial_json", &tool[..cut]),
            delta(0, "input_json_delta", "partial_json", &tool[cut..]),
            block_stop(0),
        ]
        .concat();
        let out = feed_all(&mut SseUnmasker::new(Arc::clone(&index), 1 << 20), &raw, 7);
        let (_, got) = collected(&out);
        assert_eq!(
            got,
            format!("{{\"cmd\": \"echo \\\"{ID}\\\"\\n😀 {ID}!\"}}"),
            "cut {cut}"
        );
    }
}

#[test]
fn other_blocks_and_deltas_pass_byte_for_byte() {
    let raw = [
        sse("message_start", &format!(r#"{{"type":"message_start","message":{{"id":"msg_1","content":"{SID}"}}}}"#)),
        block_start(0, r#"{"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {}}"#),
        delta(0, "input_json_delta", "partial_json", &format!(r#"{{"q": "{SID}"}}"#)),
        block_stop(0),
        block_start(1, r#"{"type": "text", "text": ""}"#),
        delta(1, "citations_delta", "text", SID),
        delta(7, "text_delta", "text", SID),
        sse("content_block_delta", &format!(r#"{{"index": 1, "delta": {{"type": "text_delta", "text": "{SID}"#)),
        sse("ping", r#"{"type": "ping"}"#),
        sse("message_delta", &format!(r#"{{"type":"message_delta","delta":{{"stop_reason":"end_turn","container":"{SID}"}}}}"#)),
    ]
    .concat();
    let out = feed_all(&mut SseUnmasker::new(exchange_index(), 1 << 20), &raw, 11);
    assert_eq!(out, raw);
}

#[test]
fn interleaved_blocks_keep_their_own_streams() {
    let (a, b) = (&SID[..9], &SID[9..]);
    let raw = [
        block_start(0, r#"{"type": "text", "text": ""}"#),
        block_start(
            1,
            r#"{"type": "tool_use", "id": "t", "name": "Bash", "input": {}}"#,
        ),
        delta(0, "text_delta", "text", &format!("x {a}")),
        delta(
            1,
            "input_json_delta",
            "partial_json",
            &format!("{{\"c\": \"{a}"),
        ),
        delta(0, "text_delta", "text", &format!("{b} y")),
        delta(1, "input_json_delta", "partial_json", &format!("{b}\"}}")),
        block_stop(0),
        block_stop(1),
    ]
    .concat();
    let (text, tool) = collected(&feed_all(
        &mut SseUnmasker::new(exchange_index(), 1 << 20),
        &raw,
        1,
    ));
    assert_eq!(text, format!("x {ID} y"));
    assert_eq!(tool, format!("{{\"c\": \"{ID}\"}}"));
}

#[test]
fn an_event_over_the_limit_is_an_error() {
    let mut un = SseUnmasker::new(exchange_index(), 64);
    assert!(un.feed(&sse("ping", r#"{"type": "ping"}"#)).is_ok());
    let big = delta(0, "text_delta", "text", &"x".repeat(100));
    let err = un.feed(&big[..70]).unwrap_err();
    assert!(matches!(err, SseError::EventTooLarge { limit: 64, .. }));
    assert!(un.feed(b"\n\n").is_err());
}

#[test]
fn a_response_is_unmasked_only_with_its_own_map() {
    let foreign = "i-0999999999999999f stays masked";
    let mut un = StreamUnmasker::new(exchange_index());
    let out = [un.feed(foreign.as_bytes()), un.finish()].concat();
    assert_eq!(out, foreign.as_bytes());
}

#[test]
fn json_response_bodies_are_restored_in_their_escaped_form() {
    let index = Arc::new(exchange_index().json_escaped());
    for body in [
        format!(r#"{{"content": [{{"type": "text", "text": "ok {SID}\n"}}]}}"#),
        format!(r#"{{"text": "ok\n{SID}\t{SID}"}}"#),
    ] {
        let want = body.replace(SID, ID);
        let chunks: Vec<&[u8]> = body.as_bytes().chunks(3).collect();
        assert_eq!(unmask_with(&index, &chunks), want.as_bytes());
    }
}

/// A surrogate holding a quote and a backslash, as the masker keeps punctuation, and its original.
const QUOTED: (&str, &str) = (r#"qX7"vLm9\zR"#, r#"Tr0"ub4x\dQ"#);

/// `s` JSON-escaped `depth` times over.
fn escaped_times(s: &str, depth: usize) -> String {
    let mut out = s.to_string();
    for _ in 0..depth {
        out = String::from_utf8(escaped(out.as_bytes())).unwrap();
    }
    out
}

#[test]
fn a_surrogate_holding_a_quote_is_restored_in_the_json_the_model_writes_around_it() {
    // The model writes the value into JSON of its own (a `--cli-input-json` argument, a JSON
    // snippet in prose): its quote and backslash come escaped one depth more than in the text
    // the masker masked, and the original goes back escaped as deep.
    let (s, o) = QUOTED;
    let pairs = pairs_of(&[(s.as_bytes(), o.as_bytes())]);
    let plain = Arc::new(SurrogateIndex::new(&pairs, &[]));
    let json = Arc::new(SurrogateIndex::new(&pairs, &[]).json_escaped());
    for depth in 0..=2 {
        let text = format!(r#"put {{"password":"{}"}} now"#, escaped_times(s, depth));
        let want = format!(r#"put {{"password":"{}"}} now"#, escaped_times(o, depth));
        let chunks: Vec<&[u8]> = text.as_bytes().chunks(4).collect();
        assert_eq!(unmask_with(&plain, &chunks), want.as_bytes(), "plain, depth {depth}");
        let (raw, raw_want) = (escaped_times(&text, 1), escaped_times(&want, 1));
        let chunks: Vec<&[u8]> = raw.as_bytes().chunks(4).collect();
        assert_eq!(unmask_with(&json, &chunks), raw_want.as_bytes(), "JSON, depth {depth}");
    }
    // ... and only the surrogate: the original's own escaped forms stay as they are
    let text = format!("{} and {}", escaped_times(o, 1), escaped_times(o, 2));
    assert_eq!(unmask_with(&plain, &[text.as_bytes()]), text.as_bytes());
}

#[test]
fn a_surrogate_holding_a_quote_is_restored_in_json_text_of_a_tool_input() {
    let (s, o) = QUOTED;
    let index = Arc::new(SurrogateIndex::new(
        &pairs_of(&[(s.as_bytes(), o.as_bytes())]),
        &[],
    ));
    // the command's JSON argument holds the value one depth down, the tool input one more
    let input = |v: &str| {
        let command = format!(
            r#"aws secretsmanager put-secret-value --secret-string '{{"password":"{}"}}'"#,
            escaped_times(v, 1)
        );
        format!(r#"{{"command": {}}}"#, json_str(&command))
    };
    let tool = input(s);
    let events = [
        block_start(0, r#"{"type": "tool_use", "id": "toolu_1", "name": "Bash", "input": {}}"#),
        delta(0, "input_json_delta", "partial_json", &tool[..40]),
        delta(0, "input_json_delta", "partial_json", &tool[40..]),
        block_stop(0),
    ]
    .concat();
    for chunk in [1, 7, 64] {
        let mut un = SseUnmasker::new(Arc::clone(&index), 1 << 20);
        let (_, got) = collected(&feed_all(&mut un, &events, chunk));
        assert_eq!(got, input(o), "chunks of {chunk}");
        assert_eq!(un.restored(), 1);
    }
}
