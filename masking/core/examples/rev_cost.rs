use std::time::Instant;
use maskcore::recognizers;
use regex_automata::hybrid::dfa::DFA;
use regex_automata::meta::Regex;
use regex_automata::nfa::thompson::{self, WhichCaptures};
use regex_automata::util::syntax;
use regex_automata::{Anchored, Input, PatternID};

fn main() {
    let data = std::fs::read(std::env::args().nth(1).unwrap()).unwrap();
    let recs = recognizers::builtin();
    let pats: Vec<&str> = recs.iter().map(|r| r.pattern.as_str()).collect();
    let sc = syntax::Config::new().unicode(false).utf8(false);
    for round in 0..3 {
        let t = Instant::now();
        let re = Regex::builder().syntax(sc).configure(Regex::config().which_captures(WhichCaptures::Implicit).onepass(false).auto_prefilter(false).hybrid_cache_capacity(64<<20)).build_many(&pats).unwrap();
        let bm = t.elapsed().as_secs_f64()*1e3;
        let mut cache = re.create_cache();
        let t = Instant::now();
        let mut a = vec![]; let mut cur = 0;
        while cur < data.len() { match re.search_with(&mut cache, &Input::new(&data).span(cur..data.len())) { Some(m) => { a.push((m.start(), m.end(), m.pattern().as_usize())); cur = m.start()+1 } None => break } }
        let sm = t.elapsed().as_secs_f64()*1e3;
        let t = Instant::now();
        let hirs: Vec<_> = pats.iter().map(|p| regex_syntax::ParserBuilder::new().unicode(false).utf8(false).build().parse(p).unwrap()).collect();
        let tp = t.elapsed().as_secs_f64()*1e3;
        let t = Instant::now();
        let fnfa = thompson::Compiler::new().configure(thompson::Config::new().which_captures(WhichCaptures::None)).build_many_from_hir(&hirs).unwrap();
        let rnfa = thompson::Compiler::new().configure(thompson::Config::new().which_captures(WhichCaptures::None).reverse(true).shrink(true)).build_many_from_hir(&hirs).unwrap();
        let tn = t.elapsed().as_secs_f64()*1e3;
        let t = Instant::now();
        let fwd = DFA::builder().configure(DFA::config().cache_capacity(64<<20).starts_for_each_pattern(true)).build_from_nfa(fnfa).unwrap();
        let rev = DFA::builder().configure(DFA::config().cache_capacity(64<<20).starts_for_each_pattern(true).match_kind(regex_automata::MatchKind::All)).build_from_nfa(rnfa).unwrap();
        let td = t.elapsed().as_secs_f64()*1e3;
        let (mut fc, mut rc) = (fwd.create_cache(), rev.create_cache());
        let t = Instant::now();
        let mut b = vec![]; let mut cur = 0;
        while cur < data.len() {
            let Some(h) = fwd.try_search_fwd(&mut fc, &Input::new(&data).span(cur..data.len())).unwrap() else { break };
            let pid = h.pattern();
            let s = rev.try_search_rev(&mut rc, &Input::new(&data).span(cur..h.offset()).anchored(Anchored::Pattern(pid)).earliest(false)).unwrap().unwrap();
            b.push((s.offset(), h.offset(), pid.as_usize()));
            cur = s.offset()+1;
        }
        let sh = t.elapsed().as_secs_f64()*1e3;
        println!("round {round}: meta build {bm:.1} scan {sm:.1} | parse {tp:.1} nfas {tn:.1} dfas {td:.1} scan {sh:.1} | same {} ({} vs {})", a == b, a.len(), b.len());
        if a != b { for (x, y) in a.iter().zip(&b) { if x != y { println!("first diff meta {x:?} hybrid {y:?} {}", recs[x.2].name); break; } } }
        let _ = PatternID::ZERO;
        for _ in 0..3 {
            let t = Instant::now(); let mut cur = 0; let mut n = 0;
            while cur < data.len() { match re.search_with(&mut cache, &Input::new(&data).span(cur..data.len())) { Some(m) => { n += 1; cur = m.start()+1 } None => break } }
            let wm = t.elapsed().as_secs_f64()*1e3;
            let t = Instant::now(); let mut cur = 0;
            while cur < data.len() {
                let Some(h) = fwd.try_search_fwd(&mut fc, &Input::new(&data).span(cur..data.len())).unwrap() else { break };
                let s = rev.try_search_rev(&mut rc, &Input::new(&data).span(cur..h.offset()).anchored(Anchored::Pattern(h.pattern())).earliest(false)).unwrap().unwrap();
                cur = s.offset()+1; n += 1;
            }
            println!("  warm meta {wm:.2} ms hybrid {:.2} ms", t.elapsed().as_secs_f64()*1e3);
        }
        println!("  alphabet {} fwd cache {} KB rev cache {} KB; fwd nfa states {}", fwd.byte_classes().alphabet_len(), fc.memory_usage()/1024, rc.memory_usage()/1024, fwd.get_nfa().states().len());
    }
}
