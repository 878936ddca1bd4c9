//! Recognize a file with the built-in rules and report findings and throughput:
//! `cargo run --release --example scan_file -- FILE [REPEAT]`.

use std::time::Instant;

use maskcore::recognizers;
use maskcore::scanner::{Filter, Scanner};

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: scan_file FILE [REPEAT]");
    let repeat: usize = args.next().map(|r| r.parse().expect("REPEAT is a number")).unwrap_or(5);
    let data = std::fs::read(&path).expect("readable file");
    let scanner = Scanner::new(recognizers::builtin(), Filter::default()).expect("patterns compile");
    let mut best = f64::INFINITY;
    let mut found = 0;
    for _ in 0..repeat {
        let t = Instant::now();
        found = scanner.scan(&data).len();
        best = best.min(t.elapsed().as_secs_f64());
        if std::env::var_os("EACH").is_some() { eprintln!("{:.1} ms", t.elapsed().as_secs_f64() * 1e3); }
    }
    println!("{} bytes, {} findings, {:.1} MB/s", data.len(), found, data.len() as f64 / best / 1e6);
}
