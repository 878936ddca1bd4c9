//! The scanner: one multi-pattern pass over raw bytes finds candidates, checks decide them.
//!
//! Every recognizer's candidate pattern is one pattern of a single alternation, searched with
//! `regex-automata`'s lazy DFAs (leftmost-first: at the leftmost candidate, the earliest
//! recognizer wins; see `Automata`). When a check rejects its candidate, the later
//! recognizers that can start with the same byte are tried at the same offset with anchored
//! searches, in priority order, and then the next offset.
//!
//! The strings of a JSON document that a JSON string holds (a command's JSON output in a tool
//! result) are read once more as the text they hold ([`nested`]): the rules read lines,
//! columns and quotes at the first escaping depth, and two depths down they are `\\n`, `\\t`
//! and `\\\"`. The first depth's candidates inside such a string are passed over, so its
//! bytes are read twice only by the decoding: a warm 1 MB body of log events whose messages
//! are JSON (two fifths of its bytes) masks at 110 MB/s against 159 without this reading, a
//! body of templates and configuration files in printed JSON at 75 against 100 (and finds 66 %
//! more values).
//!
//! Candidate patterns are the cheapest distinctive bytes of a token (a prefix such as `ghp_`, a
//! suffix such as `.amazonaws.com`, a key name); the checks parse the token itself. A candidate
//! pattern holds no counted run or loop over the token where its check can count it instead
//! (`vpc-` and one hex digit, not eight): in one lazy DFA, such runs multiply the states with
//! every other pattern's progress. A recognizer whose pattern cannot be made cheap that way
//! finds its candidates by code instead ([`Recognizer::trigger`]: the 40-character secret from
//! the separators `memchr` finds, the echoed CLI value read back from the tabs and line breaks,
//! the IAM unique id and the flow log record from the runs of 12 digits a probe of every 12th
//! byte finds); those candidates are merged with the automaton's in its own order (start, then
//! priority), so the findings are the same as with the pattern. A trigger is worth it where
//! its pass is cheap (`memchr` on rare bytes, a stride): each costs ~0.1-0.2 ms of every 1 MB
//! scan, warm or cold.
//!
//! **What the one unanchored pass costs** (the bench's 1 MB body, one core, `--example stages`
//! and CPU time; the machine was shared, so ±20 %): building the automata ~9 ms (each pattern
//! parsed once, the forward and reverse NFAs); the first scan of a fresh engine ~42 ms CPU,
//! nearly all of it the forward lazy DFA building its states (~8 µs each: every transition
//! steps a few hundred NFA states); a warm scan ~5 ms. It was ~75 ms before the runs left the
//! candidate patterns (resource ids and access key ids ~32 ms, the prose phrases' next word
//! ~3 ms) and the reverse search was anchored to the one pattern (~7 ms), and ~53 ms before the
//! echo's token loop (~5 ms), the IAM unique id's and the flow log's counts of 12 digits (~3 ms
//! each) were found by code. Measured and not kept: the prose phrases by code (~8 ms of the
//! first scan, but no byte of a phrase is rare: a pass of their own, Aho-Corasick or a lazy
//! DFA, costs ~1.6 ms of every warm scan; the secret and name key words, ~4 ms each, would need
//! the same); the log tail's and the bucket listing's tokens read back from the line ends, and
//! the account ids' counts of 12 digits (no gain above the noise on the bench body); the
//! recognizers whose pattern is a few literal prefixes and a bounded match (88 with prefixes of
//! 4 bytes or more, 96 with 3: the token families, `arn:aws`, `AKIA`, ...) found by one pass
//! over their prefixes, each confirmed by an anchored lazy DFA of those patterns (findings the
//! same on the bench body and the corpus samples): in instructions of
//! the bench body's scan, the first scan 446 -> 340-369 M (-17 to -24 %), but a warm scan
//! 42.6 -> 51-67 M (+20 to +57 %) whatever the pass (`aho-corasick`'s DFA ~18 instructions a
//! byte, no prefilter past 64 prefixes; a dense DFA of the prefixes ~8 but 600 ms to build;
//! Teddy 12 ms a pass on false candidates; a hashed bit set of three bytes, every offset or
//! every other one; `--example stages` scan warm 8.0-8.2 -> 10.2-10.3 ms), and the patterns
//! outside the secrets family gave the first scan nothing more; before
//! that, prefix-factoring the alternations (no change: the cost is the threads in flight, not
//! the start state); a full DFA of the alternation, to build ahead of time and load at no cost
//! (did not finish determinizing in five minutes); candidate starts from the patterns' literal
//! prefixes by Aho-Corasick, then anchored searches (~3x faster cold, ~3x slower warm, 10-25 ms
//! more to build); the alternation split in two or three groups (cold about halved, warm
//! 40-60 % slower); dense DFAs per group built ahead of time, to embed (6 MB for the class
//! group, 26 MB for the key words, over 512 MB for the literal-prefix group). Hundreds of MB/s
//! on a fresh engine need candidate patterns small enough to determinize at build time: every
//! rule's context matched by its check, the automaton reduced to literal triggers or candidates
//! found by code. No single rule is the cost (`--example ablation`, leave-one-out on the bench
//! body): the largest, the name fields' keys, builds 18 % of the states; the nine costliest
//! together 55 %, and without them a fresh engine's first scan still takes ~70 ms.

use std::collections::HashSet;

use std::sync::Mutex;

use regex_automata::hybrid::dfa::{Cache, DFA};
use regex_automata::meta::Regex;
use regex_automata::nfa::thompson::{self, WhichCaptures};
use regex_automata::util::syntax;
use regex_automata::{Anchored, Input, MatchKind, PatternID};
use regex_syntax::hir::{Class, Hir, HirKind};

use crate::finding::Finding;
use crate::nested;
use crate::recognizers::base::{unescape, Recognizer};

/// The user's rules that filter what the scanner reports.
#[derive(Clone, Default)]
pub struct Filter {
    pub disabled: HashSet<String>,
    pub allowlist: HashSet<Vec<u8>>,
}

pub struct Scanner {
    recognizers: Vec<Recognizer>,
    automata: Option<Automata>,
    /// per automaton pattern: its recognizer (those with a trigger have no pattern there)
    recognizer_of: Vec<usize>,
    /// per recognizer: its pattern in the automata, if it has one
    pattern_of: Vec<Option<usize>>,
    /// per first byte: the recognizer indexes that can start with it, in priority order
    dispatch: Vec<Vec<u32>>,
    filter: Filter,
    /// lazy-DFA caches kept between scans: the states one body built serve the next
    caches: Mutex<Vec<Caches>>,
}

/// The candidate patterns as two lazy DFAs: forward (leftmost-first) finds where the leftmost
/// candidate ends and which pattern it is, reverse finds where it starts, anchored at that end
/// and to that one pattern, so the reverse DFA's states never mix patterns (it is what
/// `regex-automata`'s meta regex does, but for the pattern: ~7 ms less on a fresh engine's
/// first 1 MB body). Both are built without quit bytes (Unicode is off: `\b` is ASCII) and
/// never give up (no minimum cache-clear count), so a search cannot fail.
struct Automata {
    forward: DFA,
    reverse: DFA,
}

struct Caches {
    forward: Cache,
    reverse: Cache,
}

/// How many times the strings of nested strings are read as their text in turn (each time two
/// escaping depths further down).
const NESTED_DEPTHS: usize = 2;

/// Each lazy DFA's cache may grow to this before it is cleared and rebuilt.
const CACHE_CAPACITY: usize = 64 << 20;

impl Automata {
    fn new(hirs: &[Hir]) -> Result<Automata, String> {
        let nfa = |reverse: bool| {
            thompson::Compiler::new()
                // no capture groups: the checks parse the token themselves
                .configure(
                    thompson::Config::new()
                        .which_captures(WhichCaptures::None)
                        .reverse(reverse),
                )
                .build_many_from_hir(hirs)
                .map_err(|e| format!("recognizer pattern: {e}"))
        };
        let config = DFA::config().cache_capacity(CACHE_CAPACITY).starts_for_each_pattern(true);
        let forward = DFA::builder()
            .configure(config.clone())
            .build_from_nfa(nfa(false)?)
            .map_err(|e| format!("recognizer pattern: {e}"))?;
        let reverse = DFA::builder()
            .configure(config.match_kind(MatchKind::All))
            .build_from_nfa(nfa(true)?)
            .map_err(|e| format!("recognizer pattern: {e}"))?;
        Ok(Automata { forward, reverse })
    }

    fn caches(&self) -> Caches {
        Caches { forward: self.forward.create_cache(), reverse: self.reverse.create_cache() }
    }

    /// The leftmost candidate in `data[at..]`: (start, end, pattern).
    fn find(&self, caches: &mut Caches, data: &[u8], at: usize) -> Option<(usize, usize, usize)> {
        let input = Input::new(data).span(at..data.len());
        let end = self
            .forward
            .try_search_fwd(&mut caches.forward, &input)
            .expect("a lazy DFA without quit bytes that never gives up")?;
        let pid = end.pattern();
        if end.offset() == at {
            return Some((at, at, pid.as_usize()));
        }
        let back = Input::new(data)
            .span(at..end.offset())
            .anchored(Anchored::Pattern(pid))
            .earliest(false);
        let start = self
            .reverse
            .try_search_rev(&mut caches.reverse, &back)
            .expect("a lazy DFA without quit bytes that never gives up")
            .expect("a forward match has a start");
        Some((start.offset(), end.offset(), pid.as_usize()))
    }

    /// Where pattern `k` matches `data` from `at` on, anchored there (its end).
    fn end_at(&self, caches: &mut Caches, data: &[u8], at: usize, k: usize) -> Option<usize> {
        let input = Input::new(data)
            .span(at..data.len())
            .anchored(Anchored::Pattern(PatternID::must(k)));
        self.forward
            .try_search_fwd(&mut caches.forward, &input)
            .expect("a lazy DFA without quit bytes that never gives up")
            .map(|m| m.offset())
    }
}

fn syntax_config() -> syntax::Config {
    syntax::Config::new().unicode(false).utf8(false)
}

/// Compile a pattern the way the scanner does (bytes, Unicode off); an error says why.
pub fn check_pattern(pattern: &str) -> Result<(), String> {
    Regex::builder()
        .syntax(syntax_config())
        .build(pattern)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

impl Scanner {
    pub fn new(recognizers: Vec<Recognizer>, filter: Filter) -> Result<Scanner, String> {
        let recognizers: Vec<Recognizer> = recognizers
            .into_iter()
            .filter(|r| !r.types.iter().all(|t| filter.disabled.contains(*t)))
            .collect();
        // Each pattern is parsed once: its first bytes are read from the parse and the regex is
        // built from it (parsing the alternation twice took ~4 ms of every engine's build).
        let mut hirs = Vec::with_capacity(recognizers.len());
        for r in &recognizers {
            hirs.push(parse(&r.pattern).map_err(|e| format!("recognizer pattern: {e}"))?);
        }
        let mut dispatch: Vec<Vec<u32>> = vec![Vec::new(); 256];
        for (i, (r, hir)) in recognizers.iter().zip(&hirs).enumerate() {
            let firsts = if r.bounded { first_bytes_of(hir) } else { [true; 256] };
            for (b, ok) in firsts.iter().enumerate() {
                if *ok {
                    dispatch[b].push(i as u32);
                }
            }
        }
        let mut recognizer_of = Vec::new();
        let mut pattern_of = Vec::with_capacity(recognizers.len());
        let mut searched = Vec::new();
        for (i, (r, hir)) in recognizers.iter().zip(hirs).enumerate() {
            if r.trigger.is_some() {
                pattern_of.push(None);
            } else {
                pattern_of.push(Some(recognizer_of.len()));
                recognizer_of.push(i);
                searched.push(hir);
            }
        }
        let automata = if searched.is_empty() { None } else { Some(Automata::new(&searched)?) };
        Ok(Scanner {
            recognizers,
            automata,
            recognizer_of,
            pattern_of,
            dispatch,
            filter,
            caches: Mutex::new(Vec::new()),
        })
    }

    pub fn recognizers(&self) -> &[Recognizer] {
        &self.recognizers
    }

    /// The bytes the lazy DFAs' kept caches hold: the states scans have built so far (what a
    /// fresh engine's first body pays for, see the module doc).
    pub fn automaton_memory(&self) -> usize {
        let caches = self.caches.lock().unwrap_or_else(|e| e.into_inner());
        caches.iter().map(|c| c.forward.memory_usage() + c.reverse.memory_usage()).sum()
    }

    /// Scan `data` whole: findings sorted by position, a span found twice for one type once
    /// (overlapping findings are left for the engine to resolve).
    pub fn scan(&self, data: &[u8]) -> Vec<Finding> {
        self.scan_sources(data).into_iter().map(|(f, _)| f).collect()
    }

    /// Like [`Scanner::scan`], with the index (in [`Scanner::recognizers`]) of the recognizer
    /// that found each finding.
    pub fn scan_sources(&self, data: &[u8]) -> Vec<(Finding, usize)> {
        self.scan_nested(data, NESTED_DEPTHS)
    }

    /// The findings of `data` read at the first escaping depth, and those of the strings two
    /// depths down read as the text they hold ([`nested`]), `depth` times more within those.
    fn scan_nested(&self, data: &[u8], depth: usize) -> Vec<(Finding, usize)> {
        if depth == 0 {
            return self.scan_flat(data, &[]);
        }
        let strings = nested::nested_strings(data);
        // what the first depth would find inside a nested string gives way to the string's
        // own reading (`merge_nested`): its candidates there are not tried
        let found = self.scan_flat(data, &strings);
        if strings.is_empty() {
            return found;
        }
        // The strings' texts are read in one scan, a blank line between each and the next (a
        // scan of its own for each cost ~2 us a string: 6 % more on a body of log events).
        let views: Vec<nested::View> =
            strings.iter().map(|&(s, e)| nested::View::decode(data, s, e)).collect();
        let mut text = Vec::with_capacity(views.iter().map(|v| v.text.len() + 2).sum());
        let mut starts = Vec::with_capacity(views.len());
        for view in &views {
            if !text.is_empty() {
                text.extend_from_slice(b"\n\n");
            }
            starts.push(text.len());
            text.extend_from_slice(&view.text);
        }
        let mut inner: Vec<(Finding, usize)> = Vec::new();
        for (f, k) in self.scan_nested(&text, depth - 1) {
            let i = starts.partition_point(|&at| at <= f.start) - 1;
            let (at, view) = (starts[i], &views[i]);
            if f.end > at + view.text.len() {
                continue; // past its string's text: no finding of that string
            }
            let (start, end) = view.raw_span(f.start - at, f.end - at);
            inner.push((Finding { start, end, ..f }, k));
        }
        merge_nested(&strings, found, inner)
    }

    /// The findings of `data` read as it stands (JSON escapes one depth down included), but for
    /// candidates that start inside one of the spans `skip` (sorted, not overlapping): a
    /// candidate at a span's first byte is tried, the rest of the span is passed over.
    fn scan_flat(&self, data: &[u8], skip: &[(usize, usize)]) -> Vec<(Finding, usize)> {
        let mut found = Vec::new();
        let n = data.len();
        // Candidates found by code: (start, recognizer, end), in the order the automaton's
        // leftmost-first search would meet them (start, then priority).
        let mut triggered: Vec<(usize, usize, usize)> = Vec::new();
        let mut spans = Vec::new();
        for (k, r) in self.recognizers.iter().enumerate() {
            if let Some(trigger) = r.trigger {
                spans.clear();
                trigger(data, &mut spans);
                triggered.extend(spans.iter().map(|&(s, e)| (s, k, e)));
            }
        }
        triggered.sort_unstable();
        if self.automata.is_none() && triggered.is_empty() {
            return found;
        }
        // The automata with the caches this scan searches them with.
        let mut search = self.automata.as_ref().map(|a| {
            let taken = self.caches.lock().unwrap_or_else(|e| e.into_inner()).pop();
            (a, taken.unwrap_or_else(|| a.caches()))
        });
        let mut cur = 0usize;
        // The end of what accepted candidates claimed: a finding may reach left over rejected
        // candidates (they decide nothing), never into a claimed token.
        let mut decided = 0usize;
        // The automaton's leftmost candidate at or after `cur`, while it stays there.
        let mut searched: Option<(usize, usize, usize)> = None;
        let mut exhausted = search.is_none();
        let mut next_triggered = 0usize;
        let mut next_skip = 0usize;
        while cur < n {
            while next_skip < skip.len() && skip[next_skip].1 <= cur {
                next_skip += 1;
            }
            if let Some(&(ss, se)) = skip.get(next_skip) {
                if ss < cur {
                    cur = se; // inside a skipped span: on from its end
                    continue;
                }
            }
            if !exhausted && searched.is_none_or(|(s, _, _)| s < cur) {
                searched = search.as_mut().and_then(|(a, c)| {
                    a.find(c, data, cur).map(|(s, e, pid)| (s, e, self.recognizer_of[pid]))
                });
                exhausted = searched.is_none();
            }
            while next_triggered < triggered.len() && triggered[next_triggered].0 < cur {
                next_triggered += 1;
            }
            let by_code = triggered.get(next_triggered).map(|&(s, k, e)| (s, e, k));
            let (s, end, first) = match (searched, by_code) {
                (None, None) => break,
                (Some(a), None) => a,
                (None, Some(t)) => t,
                (Some(a), Some(t)) => {
                    if (t.0, t.2) < (a.0, a.2) {
                        t
                    } else {
                        a
                    }
                }
            };
            if let Some(&(ss, se)) = skip.get(next_skip) {
                if ss < s && s < se {
                    cur = se;
                    continue;
                }
            }
            let mut res = (self.recognizers[first].check)(data, s, end);
            let mut source = first;
            if res.is_none() {
                // the later recognizers that can start here, in priority order
                for &k in &self.dispatch[data[s] as usize] {
                    let k = k as usize;
                    if k <= first {
                        continue;
                    }
                    let ek = match self.pattern_of[k] {
                        Some(pid) => search.as_mut().and_then(|(a, c)| a.end_at(c, data, s, pid)),
                        None => triggered[next_triggered..]
                            .iter()
                            .take_while(|t| t.0 == s)
                            .find(|t| t.1 == k)
                            .map(|t| t.2),
                    };
                    if let Some(ek) = ek {
                        res = (self.recognizers[k].check)(data, s, ek);
                        if res.is_some() {
                            source = k;
                            break;
                        }
                    }
                }
            }
            let Some((mut fs, nxt)) = res else {
                cur = s + 1;
                continue;
            };
            if !fs.is_empty() {
                if fs[0].start < decided {
                    // a token reaching left into what is already decided
                    fs.retain(|f| f.start >= decided);
                }
                let f = &self.filter;
                if !f.disabled.is_empty() || !f.allowlist.is_empty() {
                    fs.retain(|x| {
                        !f.disabled.contains(x.rtype) && !f.allowlist.contains(&unescape(&data[x.start..x.end]))
                    });
                    if !f.allowlist.is_empty() && nxt > s && f.allowlist.contains(&unescape(&data[s..nxt.min(n)])) {
                        fs.clear();
                    }
                }
                found.extend(fs.into_iter().map(|f| (f, source)));
            }
            cur = if nxt > s { nxt } else { s + 1 };
            decided = cur;
        }
        if let Some((_, cache)) = search {
            self.caches.lock().unwrap_or_else(|e| e.into_inner()).push(cache);
        }
        // A check may find text after its candidate (the rows a command printed), so findings
        // can come out of order, and two rules may find the same span: sorted, repeats dropped.
        let key = |f: &Finding| (f.start, f.end);
        if found.windows(2).any(|w| key(&w[0].0) > key(&w[1].0)) {
            found.sort_by_key(|(f, _)| key(f));
        }
        found.dedup_by(|b, a| key(&a.0) == key(&b.0) && a.0.rtype == b.0.rtype);
        found
    }
}

/// The findings of a body read at the first escaping depth (`found`) and of its nested
/// `strings` read as their text (`inner`, in raw offsets), as one sorted list.
///
/// Within a nested string, the first depth's reading of its text (its line breaks unseen, the
/// `\\` of an escape taken for a value's last byte) gives way to the text's own; what the first
/// depth says of a string whole (a value named by its key) stands, unless a nested finding
/// covers it too. A first-depth finding that overlaps a nested one otherwise stands and the
/// nested one goes (it never masks less).
fn merge_nested(
    strings: &[(usize, usize)],
    found: Vec<(Finding, usize)>,
    inner: Vec<(Finding, usize)>,
) -> Vec<(Finding, usize)> {
    let inside = |f: &Finding| {
        let i = strings.partition_point(|&(_, e)| e <= f.start);
        strings
            .get(i)
            .is_some_and(|&(s, e)| s <= f.start && f.end <= e && (f.start, f.end) != (s, e))
    };
    let mut out: Vec<(Finding, usize)> = Vec::with_capacity(found.len() + inner.len());
    let mut dropped = vec![false; inner.len()];
    for (f, k) in found {
        if inside(&f) {
            continue;
        }
        let lo = inner.partition_point(|(g, _)| g.end <= f.start);
        let mut keep = true;
        for (i, (g, _)) in inner.iter().enumerate().skip(lo) {
            if g.start >= f.end {
                break;
            }
            if g.start <= f.start && f.end <= g.end {
                keep = false;
            } else {
                dropped[i] = true;
            }
        }
        if keep {
            out.push((f, k));
        }
    }
    out.extend(inner.into_iter().zip(dropped).filter(|(_, d)| !d).map(|(x, _)| x));
    out.sort_by_key(|(f, _)| (f.start, f.end));
    out.dedup_by(|b, a| (a.0.start, a.0.end, a.0.rtype) == (b.0.start, b.0.end, b.0.rtype));
    out
}

/// A pattern parsed as the scanner reads it (bytes, Unicode off).
fn parse(pattern: &str) -> Result<Hir, String> {
    regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(pattern)
        .map_err(|e| e.to_string())
}

/// The bytes a match of `pattern` can start with (a superset; every byte when unsure).
pub fn first_bytes(pattern: &str) -> [bool; 256] {
    match parse(pattern) {
        Ok(hir) => first_bytes_of(&hir),
        Err(_) => [true; 256],
    }
}

/// The bytes a match of `hir` can start with (a superset; every byte when unsure).
fn first_bytes_of(hir: &Hir) -> [bool; 256] {
    let mut out = [false; 256];
    if first_of(hir, &mut out) {
        return [true; 256];
    }
    out
}

/// Adds the first bytes of `hir` to `out`; returns whether `hir` can match the empty string.
fn first_of(hir: &Hir, out: &mut [bool; 256]) -> bool {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => true,
        HirKind::Literal(lit) => {
            if let Some(b) = lit.0.first() {
                out[*b as usize] = true;
                false
            } else {
                true
            }
        }
        HirKind::Class(Class::Bytes(c)) => {
            for r in c.ranges() {
                for b in r.start()..=r.end() {
                    out[b as usize] = true;
                }
            }
            false
        }
        HirKind::Class(Class::Unicode(c)) => {
            for r in c.ranges() {
                let (a, z) = (r.start() as u32, r.end() as u32);
                if a > 0x7f {
                    out[0x80..].fill(true);
                    continue;
                }
                for b in a..=z.min(0x7f) {
                    out[b as usize] = true;
                }
                if z > 0x7f {
                    out[0x80..].fill(true);
                }
            }
            false
        }
        HirKind::Repetition(rep) => {
            let nullable = first_of(&rep.sub, out);
            rep.min == 0 || nullable
        }
        HirKind::Capture(cap) => first_of(&cap.sub, out),
        HirKind::Concat(items) => {
            for item in items {
                if !first_of(item, out) {
                    return false;
                }
            }
            true
        }
        HirKind::Alternation(alts) => {
            let mut nullable = false;
            for a in alts {
                nullable |= first_of(a, out);
            }
            nullable
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::Rng;

    #[test]
    fn first_bytes_of_patterns() {
        let f = first_bytes("ghp_|(?i:ab)");
        assert!(f[b'g' as usize] && f[b'a' as usize] && f[b'A' as usize] && !f[b'b' as usize]);
        let f = first_bytes("x?y");
        assert!(f[b'x' as usize] && f[b'y' as usize] && !f[b'z' as usize]);
        assert!(first_bytes("a*")[b'z' as usize]);
    }

    /// A recognizer whose candidates come from code finds what it finds with its pattern in the
    /// automaton, on text built around the pattern's edges: separators, spaces, escaped quotes,
    /// values one byte short or long, and neighbours other recognizers claim.
    #[test]
    fn triggered_candidates_find_what_the_pattern_finds() {
        let builtin = crate::recognizers::builtin();
        assert!(builtin.iter().any(|r| r.trigger.is_some()));
        let (triggered, searched) = with_and_without_triggers(builtin);
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let keys: [&[u8]; 6] = [b"aws_secret", b"\\\"SigningKey", b"x", b"token", b"NextToken", b""];
        let seps: [&[u8]; 8] = [b":", b"=", b": ", b"=\t", b":     ", b"==", b" ", b"-"];
        let quotes: [&[u8]; 6] = [b"", b"\"", b"'", b"\\\"", b"\\\\\\\\\\\\\\\\\"", b"`"];
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut next = |m: usize| rng.below(m);
        let mut hits = 0;
        for _ in 0..3000 {
            let mut text = Vec::new();
            for _ in 0..1 + next(3) {
                text.extend_from_slice(keys[next(keys.len())]);
                text.extend_from_slice(seps[next(seps.len())]);
                let quote = quotes[next(quotes.len())];
                text.extend_from_slice(quote);
                let len = [16, 39, 40, 40, 40, 41][next(6)];
                for _ in 0..len {
                    text.push(alphabet[next(alphabet.len())]);
                }
                text.extend_from_slice(quote);
                text.extend_from_slice([&b", "[..], b"\n", b"}", b"=", b"_x", b""][next(6)]);
            }
            let found = triggered.scan_sources(&text);
            hits += found.iter().filter(|(f, _)| f.rtype == "aws_secret_access_key").count();
            assert_eq!(found, searched.scan_sources(&text), "{}", String::from_utf8_lossy(&text));
        }
        assert!(hits > 100, "the text reaches the triggered recognizer's findings ({hits})");
    }

    /// A scanner of `recognizers` as they are, and one with every trigger's pattern in the
    /// automaton instead.
    fn with_and_without_triggers(recognizers: Vec<Recognizer>) -> (Scanner, Scanner) {
        let by_pattern: Vec<Recognizer> = recognizers
            .iter()
            .cloned()
            .map(|mut r| {
                r.trigger = None;
                r
            })
            .collect();
        (
            Scanner::new(recognizers, Filter::default()).unwrap(),
            Scanner::new(by_pattern, Filter::default()).unwrap(),
        )
    }

    /// `count` texts of one to `most` pieces each, drawn from `pieces` (deterministic).
    fn texts_of(pieces: &[&[u8]], most: usize, count: usize) -> Vec<Vec<u8>> {
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        let mut next = |m: usize| rng.below(m);
        (0..count)
            .map(|_| {
                let n = 1 + next(most);
                (0..n).flat_map(|_| pieces[next(pieces.len())].to_vec()).collect()
            })
            .collect()
    }

    /// A trigger gives exactly the candidates of the pattern it replaces, on `texts`: at every
    /// offset where the pattern matches anchored, the end of its leftmost-first match (what the
    /// automaton gives the scanner), and the scanner's findings are the same either way.
    /// Returns how many candidates and findings of that recognizer the texts gave.
    fn assert_trigger_is_pattern(name: &str, texts: &[Vec<u8>]) -> (usize, usize) {
        let builtin = crate::recognizers::builtin();
        let k = builtin.iter().position(|r| r.name == name).expect("a built-in recognizer");
        let trigger = builtin[k].trigger.expect("a triggered recognizer");
        let pattern = Regex::builder().syntax(syntax_config()).build(&builtin[k].pattern).unwrap();
        let (triggered, searched) = with_and_without_triggers(builtin);
        let (mut candidates, mut findings) = (0, 0);
        let mut spans = Vec::new();
        for text in texts {
            let shown = String::from_utf8_lossy(text);
            let expected: Vec<(usize, usize)> = (0..text.len())
                .filter_map(|s| {
                    let input = Input::new(text).span(s..text.len()).anchored(Anchored::Yes);
                    pattern.search(&input).map(|m| (s, m.end()))
                })
                .collect();
            spans.clear();
            trigger(text, &mut spans);
            assert_eq!(spans, expected, "{name}: {shown:?}");
            candidates += spans.len();
            let found = triggered.scan_sources(text);
            findings += found.iter().filter(|(_, source)| *source == k).count();
            assert_eq!(found, searched.scan_sources(text), "{name}: {shown:?}");
        }
        (candidates, findings)
    }

    /// The echo's trigger on tokens between tabs, line breaks and quotes, raw and escaped, at
    /// the text's end, glued to backslashes, after a flag that names them.
    #[test]
    fn echo_trigger_finds_what_its_pattern_finds() {
        let pieces: [&[u8]; 26] = [
            b"\"", b"\t", b"\t", b"\n", b"\n", b"\r", b"\\t", b"\\n", b"\\r", b"\\", b"\\\\n",
            b"\\\"", b"t", b"n", b"a", b"orders-rg-002", b"orders-rg-002", b"Z9", b"x.y@z+w=v,u_",
            b" ", b":", b"-", b"0", b"--bucket orders-rg-002 ", b"--bucket orders-rg ",
            b"aws s3api list-objects ",
        ];
        let texts = texts_of(&pieces, 16, 4000);
        let (candidates, findings) = assert_trigger_is_pattern("names.echo", &texts);
        assert!(candidates > 1000 && findings > 40, "the echo: {candidates}, {findings}");
    }

    /// The 12-digit triggers on digit runs 11, 12, 13 and 24 long, after capitals, a version
    /// and a space or neither, before an interface (`eni-` and 7, 8, 17 or 18 hex digits, or
    /// `-`), at the text's edges.
    #[test]
    fn digit_run_triggers_find_what_their_patterns_find() {
        let pieces: [&[u8]; 24] = [
            b"AIDA", b"AR", b"A", b"a", b"2 ", b"1 ", b"9 ", b" ", b"\n", b"123456789012",
            b"123456789012", b"12345678901", b"1", b"0", b" eni-0123456", b" eni-01234567 ",
            b" eni-0123456789abcdef01 ", b" eni-0123456789abcdef0 ", b"f ", b" - ", b"-",
            b"ACCEPT OK\n", b" AB12345678901234 ", b"\n2 123456789012 eni-0123456789abcdef ",
        ];
        let texts = texts_of(&pieces, 8, 6000);
        let (candidates, findings) = assert_trigger_is_pattern("aws.digit_id", &texts);
        assert!(candidates > 100 && findings > 100, "the digit id: {candidates}, {findings}");
        let (candidates, findings) = assert_trigger_is_pattern("aws.flow_log", &texts);
        assert!(candidates > 100 && findings > 50, "the flow log: {candidates}, {findings}");
    }
}
