//! The scanner: one multi-pattern pass over raw bytes finds candidates, checks decide them.
//!
//! Every recognizer's candidate pattern is one pattern of a single `regex-automata` meta regex
//! (leftmost-first: at the leftmost candidate, the earliest recognizer wins). When a check
//! rejects its candidate, the later recognizers that can start with the same byte are tried at
//! the same offset with anchored searches, in priority order, and then the next offset.
//!
//! Candidate patterns are the cheapest distinctive bytes of a token (a prefix such as `ghp_`, a
//! suffix such as `.amazonaws.com`, a key name); the checks parse the token itself.
//!
//! **What the one unanchored pass costs** (the bench's 1 MB body, one core, `--example stages`
//! and `--example candidates`; the machine was shared, so ±20 %): building the regex ~11 ms
//! (~16 ms with capture groups and a one-pass DFA, which the scan does not use); the first scan
//! of a fresh engine ~75 ms, nearly all of it the lazy DFA building its states, spread over
//! every pattern (leaving any one out saves at most ~18 ms, `names.prose`); a warm scan ~5 ms.
//! A full DFA of the alternation, to build ahead of time and load at no cost, did not finish
//! determinizing in five minutes. Candidate starts from the patterns' literal prefixes
//! (`regex-syntax`'s extractor, prefixes of 3 to 6 bytes, then Aho-Corasick) followed by
//! anchored searches at those starts only give the same matches, and the anchored lazy DFA
//! stays small: 230,000-330,000 candidates, found in ~8 ms, searched in ~7-10 ms cold or warm.
//! That is ~3x faster cold but ~3x slower warm, plus 10-25 ms more to build (the literal sets
//! and the automaton; `names.fields`, `names.prose` and `secrets.keys` have no finite prefix set
//! under a few hundred literals), so the scanner stays one unanchored pass.
//!
//! Where the cold cost comes from (thread CPU time, best of 3 fresh regexes on the same body):
//! the key-word alternations alone (`names.fields`, `names.prose`, `secrets.keys`, `aws.fields`,
//! `aws.account_words`) take ~13 ms, the 14 patterns that start with a class (IPv4, the 12-digit
//! account contexts, table and listing rows) ~3 ms, the other ~108 literal-prefix patterns ~23 ms
//! (no single one over 3 ms), and all of them in one regex ~85 ms: the DFA states are products
//! of the groups' progress. Split in three groups the sum is ~40 ms cold, but three passes cost
//! ~6-8 ms warm against ~4-5 ms (the trade measured before for two groups). Dense DFAs built
//! ahead of time, to embed, were tried per group: 6 MB in 0.9 s for the class group, 26 MB in
//! 8.6 s for the key words, and over 512 MB for the literal-prefix group. Reaching hundreds of
//! MB/s on a fresh engine needs candidate patterns small enough to determinize at build time
//! (rules whose context is matched by code, not by the automaton), not a different search.

use std::collections::HashSet;

use std::sync::Mutex;

use regex_automata::meta::{Cache, Regex};
use regex_automata::nfa::thompson::WhichCaptures;
use regex_automata::util::syntax;
use regex_automata::{Anchored, Input, PatternID};
use regex_syntax::hir::{Class, Hir, HirKind};

use crate::finding::Finding;
use crate::recognizers::base::{unescape, Recognizer};

/// The user's rules that filter what the scanner reports.
#[derive(Clone, Default)]
pub struct Filter {
    pub disabled: HashSet<String>,
    pub allowlist: HashSet<Vec<u8>>,
}

pub struct Scanner {
    recognizers: Vec<Recognizer>,
    regex: Option<Regex>,
    /// per first byte: the recognizer indexes that can start with it, in priority order
    dispatch: Vec<Vec<u32>>,
    filter: Filter,
    /// lazy-DFA caches kept between scans: the states one body built serve the next
    caches: Mutex<Vec<Cache>>,
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
        let regex = if recognizers.is_empty() {
            None
        } else {
            Some(
                Regex::builder()
                    .configure(
                        // No capture groups beyond the match (the checks parse the token
                        // themselves) and no one-pass DFA (the alternation is not one-pass):
                        // a smaller NFA to build for every engine.
                        // No literal prefilter either: the built-in patterns that start with a
                        // class (IPv4, digit runs) leave the alternation without one, and
                        // looking for it took ~1.3 ms of the ~11 ms build.
                        Regex::config()
                            .which_captures(WhichCaptures::Implicit)
                            .onepass(false)
                            .auto_prefilter(false)
                            .hybrid_cache_capacity(64 << 20),
                    )
                    .build_many_from_hir(&hirs)
                    .map_err(|e| format!("recognizer pattern: {e}"))?,
            )
        };
        Ok(Scanner { recognizers, regex, dispatch, filter, caches: Mutex::new(Vec::new()) })
    }

    pub fn recognizers(&self) -> &[Recognizer] {
        &self.recognizers
    }

    /// Scan `data` whole: findings sorted, not overlapping.
    pub fn scan(&self, data: &[u8]) -> Vec<Finding> {
        self.scan_sources(data).into_iter().map(|(f, _)| f).collect()
    }

    /// Like [`Scanner::scan`], with the index (in [`Scanner::recognizers`]) of the recognizer
    /// that found each finding.
    pub fn scan_sources(&self, data: &[u8]) -> Vec<(Finding, usize)> {
        let mut found = Vec::new();
        let Some(regex) = &self.regex else { return found };
        let n = data.len();
        let taken = self.caches.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let mut cache = taken.unwrap_or_else(|| regex.create_cache());
        let mut cur = 0usize;
        // The end of what accepted candidates claimed: a finding may reach left over rejected
        // candidates (they decide nothing), never into a claimed token.
        let mut decided = 0usize;
        while cur < n {
            let input = Input::new(data).span(cur..n);
            let Some(m) = regex.search_with(&mut cache, &input) else { break };
            let s = m.start();
            let first = m.pattern().as_usize();
            let mut res = (self.recognizers[first].check)(data, s, m.end());
            let mut source = first;
            if res.is_none() {
                // the later recognizers that can start here, in priority order
                for &k in &self.dispatch[data[s] as usize] {
                    let k = k as usize;
                    if k <= first {
                        continue;
                    }
                    let input = Input::new(data)
                        .span(s..n)
                        .anchored(Anchored::Pattern(PatternID::must(k)));
                    if let Some(mk) = regex.search_with(&mut cache, &input) {
                        res = (self.recognizers[k].check)(data, s, mk.end());
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
        self.caches.lock().unwrap_or_else(|e| e.into_inner()).push(cache);
        found
    }
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

    #[test]
    fn first_bytes_of_patterns() {
        let f = first_bytes("ghp_|(?i:ab)");
        assert!(f[b'g' as usize] && f[b'a' as usize] && f[b'A' as usize] && !f[b'b' as usize]);
        let f = first_bytes("x?y");
        assert!(f[b'x' as usize] && f[b'y' as usize] && !f[b'z' as usize]);
        assert!(first_bytes("a*")[b'z' as usize]);
    }
}
