//! Leave-one-out: the lazy DFA states a fresh scanner's first scan of FILE builds without each
//! recognizer in turn, largest saving first: `cargo run --release --example ablation -- FILE`.

use std::time::Instant;

use maskcore::recognizers;
use maskcore::scanner::{Filter, Scanner};

fn main() {
    let path = std::env::args().nth(1).expect("usage: ablation FILE");
    let data = std::fs::read(&path).expect("readable file");
    let cold = |recs| {
        let s = Scanner::new(recs, Filter::default()).expect("scanner");
        let t = Instant::now();
        let n = s.scan(&data).len();
        (
            s.automaton_memory() / 1024,
            t.elapsed().as_secs_f64() * 1e3,
            n,
        )
    };
    let (all, ms, n) = cold(recognizers::builtin());
    println!("all\t{all} KB\t{ms:.1} ms\t{n}");
    let count = recognizers::builtin().len();
    let mut rows = Vec::new();
    for i in 0..count {
        let mut recs = recognizers::builtin();
        let name = recs.remove(i).name;
        let (kb, ms, n) = cold(recs);
        rows.push((all as i64 - kb as i64, name, ms, n));
    }
    rows.sort_by(|a, b| b.0.cmp(&a.0));
    for (saved, name, ms, n) in rows {
        println!("{name}\t-{saved} KB\t{ms:.1} ms\t{n}");
    }
}
