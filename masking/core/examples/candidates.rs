//! Measure a candidate pass against the scanner's one unanchored search: candidate starts from
//! the built-in patterns' literal prefixes (Aho-Corasick, overlapping), then anchored searches
//! there only; says whether both find the same matches:
//! `cargo run --release --example candidates -- FILE [PREFIX_LEN [LITERALS_PER_PATTERN]]`.
//! `VERBOSE=1` lists each pattern's literal count; `NFA=1` uses a contiguous NFA, not a DFA.
use std::time::Instant;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind as AcKind};
use maskcore::recognizers;
use regex_automata::meta::Regex;
use regex_automata::util::syntax;
use regex_automata::{Anchored, Input};
use regex_syntax::hir::literal::{ExtractKind, Extractor};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let data = std::fs::read(args.get(1).expect("usage: candidates FILE [PREFIX_LEN [LITERALS]]")).expect("readable file");
    let prefix_len: usize = args.get(2).map_or(4, |a| a.parse().expect("a number"));
    let per_pattern: usize = args.get(3).map_or(300, |a| a.parse().expect("a number"));
    let recs = recognizers::builtin();
    let pats: Vec<&str> = recs.iter().map(|r| r.pattern.as_str()).collect();
    let t = Instant::now();
    let mut lits: Vec<Vec<u8>> = Vec::new();
    let mut owner: Vec<u32> = Vec::new();
    for (i, p) in pats.iter().enumerate() {
        let hir = regex_syntax::ParserBuilder::new()
            .unicode(false)
            .utf8(false)
            .build()
            .parse(p)
            .unwrap();
        let mut ex = Extractor::new();
        ex.kind(ExtractKind::Prefix)
            .limit_class(64)
            .limit_repeat(4)
            .limit_literal_len(prefix_len)
            .limit_total(per_pattern);
        let seq = ex.extract(&hir);
        match seq.literals() {
            Some(ls) => {
                let minlen = ls.iter().map(|l| l.as_bytes().len()).min().unwrap_or(0);
                if std::env::var_os("VERBOSE").is_some() {
                    println!("{}\t{}\tmin {}", recs[i].name, ls.len(), minlen);
                }
                for l in ls {
                    lits.push(l.as_bytes().to_vec());
                    owner.push(i as u32);
                }
            }
            None => println!("{}\tINFINITE", recs[i].name),
        }
    }
    let extract_ms = t.elapsed().as_secs_f64() * 1e3;
    let t = Instant::now();
    let ac = AhoCorasick::builder()
        .kind(Some(if std::env::var_os("NFA").is_some() {
            AhoCorasickKind::ContiguousNFA
        } else {
            AhoCorasickKind::DFA
        }))
        .match_kind(AcKind::Standard)
        .build(&lits)
        .unwrap();
    println!(
        "{} literals; extract {extract_ms:.1} ms; AC build {:.1} ms, {} bytes",
        lits.len(),
        t.elapsed().as_secs_f64() * 1e3,
        ac.memory_usage()
    );
    let re = Regex::builder()
        .syntax(syntax::Config::new().unicode(false).utf8(false))
        .configure(Regex::config().hybrid_cache_capacity(64 << 20))
        .build_many(&pats)
        .unwrap();
    for round in 0..3 {
        let t = Instant::now();
        let mut starts = vec![false; data.len() + 1];
        for m in ac.find_overlapping_iter(&data) {
            starts[m.start()] = true;
        }
        let cand_ms = t.elapsed().as_secs_f64() * 1e3;
        let ncand = starts.iter().filter(|b| **b).count();
        let mut cache = re.create_cache();
        let t = Instant::now();
        let mut a = Vec::new();
        for s in (0..data.len()).filter(|&s| starts[s]) {
            let input = Input::new(&data)
                .span(s..data.len())
                .anchored(Anchored::Yes);
            if let Some(m) = re.search_with(&mut cache, &input) {
                a.push((m.start(), m.end(), m.pattern().as_usize()));
            }
        }
        let anch_ms = t.elapsed().as_secs_f64() * 1e3;
        let t = Instant::now();
        let mut cache2 = re.create_cache();
        let mut b = Vec::new();
        let mut at = 0;
        while at < data.len() {
            match re.search_with(&mut cache2, &Input::new(&data).span(at..data.len())) {
                Some(m) => {
                    b.push((m.start(), m.end(), m.pattern().as_usize()));
                    at = m.start() + 1;
                }
                None => break,
            }
        }
        let unanch_ms = t.elapsed().as_secs_f64() * 1e3;
        println!("round {round}: candidates {ncand} in {cand_ms:.1} ms, anchored {anch_ms:.1} ms ({} m); unanchored {unanch_ms:.1} ms ({} m); same {}", a.len(), b.len(), a == b);
    }
}
