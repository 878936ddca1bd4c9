//! Where a body's masking time goes, stage by stage, cold (a fresh engine) and warm:
//! `cargo run --release --example stages -- FILE [REPEAT]` (the body is read as a Messages
//! request). Each stage is timed on its own, best of REPEAT runs; the stages mirror
//! `Engine::mask` without being it, so the sum only approximates the whole.

use std::time::Instant;

use maskcore::anthropic::MessagesPolicy;
use maskcore::engine::{canonical, BodyKind, Engine, Rules};
use maskcore::json;
use maskcore::known::KnownValues;
use maskcore::recognizers;
use maskcore::scanner::{Filter, Scanner};

fn best<T>(repeat: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::INFINITY;
    let mut out = None;
    for _ in 0..repeat {
        let t = Instant::now();
        let r = f();
        best = best.min(t.elapsed().as_secs_f64());
        out = Some(r);
    }
    (best * 1e3, out.expect("repeat > 0"))
}

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: stages FILE [REPEAT]");
    let repeat: usize = args
        .next()
        .map(|r| r.parse().expect("REPEAT is a number"))
        .unwrap_or(5);
    let data = std::fs::read(&path).expect("readable file");
    let rules = Rules {
        known_values: 100_000,
        known_bytes: 64 << 20,
        ..Rules::default()
    };
    let key = [7u8; 32];

    let (t, _) = best(repeat, recognizers::builtin);
    println!("recognizers built   {t:8.2} ms");
    let (t, _) = best(repeat, || {
        Scanner::new(recognizers::builtin(), Filter::default()).expect("scanner")
    });
    println!("scanner built       {t:8.2} ms   (recognizers included)");
    let (t, engine) = best(1, || Engine::new(&key, &rules).expect("engine"));
    println!("engine new          {t:8.2} ms");
    let (t, _) = best(1, || engine.mask(&data, BodyKind::Messages).expect("masks"));
    println!("mask cold (whole)   {t:8.2} ms");
    let (t, _) = best(repeat, || {
        engine.mask(&data, BodyKind::Messages).expect("masks")
    });
    println!("mask warm (whole)   {t:8.2} ms");

    let (t, _) = best(repeat, || {
        json::layout(&data, &MessagesPolicy).expect("json")
    });
    println!("json layout         {t:8.2} ms");
    let scanner = Scanner::new(recognizers::builtin(), Filter::default()).expect("scanner");
    let (t, _) = best(1, || scanner.scan_sources(&data));
    println!("scan cold           {t:8.2} ms");
    println!(
        "lazy DFA states     {:8.0} KB   (built by the cold scan: a measure of a rule's cold cost \
         that machine noise does not move)",
        scanner.automaton_memory() as f64 / 1024.0
    );
    let (t, found) = best(repeat, || scanner.scan_sources(&data));
    println!(
        "scan warm           {t:8.2} ms   ({} findings)",
        found.len()
    );
    let recs = scanner.recognizers();
    let (t, known) = best(repeat, || {
        let mut k = KnownValues::new(100_000, 64 << 20);
        let mut seen = std::collections::HashSet::new();
        for (f, s) in &found {
            let raw = &data[f.start..f.end];
            if recs[*s].propagate && seen.insert(raw) {
                k.remember(&canonical(raw), f.rtype, f.shape);
            }
        }
        k
    });
    println!("known remember      {t:8.2} ms   ({} values, into an empty store)", known.len());
    let mut warm_known = known;
    let (t, _) = best(repeat, || {
        let mut seen = std::collections::HashSet::new();
        for (f, s) in &found {
            let raw = &data[f.start..f.end];
            if recs[*s].propagate && seen.insert(raw) {
                warm_known.remember(&canonical(raw), f.rtype, f.shape);
            }
        }
    });
    println!("known remember warm {t:8.2} ms   (every value known already)");
    let known = warm_known;
    let (t, occ) = best(repeat, || known.find_in(&data));
    println!(
        "known find_in       {t:8.2} ms   ({} occurrences)",
        occ.len()
    );
    let (t, _) = best(repeat, || data.to_vec());
    println!("copy body           {t:8.2} ms");
}
