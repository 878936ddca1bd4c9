//! Mask a file with the engine and report MB/s, cold (a fresh engine) and warm:
//! `cargo run --release --example mask_file -- FILE [text|json|messages] [REPEAT]`.

use std::time::Instant;

use maskcore::engine::{BodyKind, Engine, Rules};

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: mask_file FILE [text|json|messages] [REPEAT]");
    let kind = match args.next().as_deref() {
        Some("json") => BodyKind::Json,
        Some("messages") | None => BodyKind::Messages,
        _ => BodyKind::Text,
    };
    let repeat: usize = args.next().map(|r| r.parse().expect("REPEAT is a number")).unwrap_or(5);
    let data = std::fs::read(&path).expect("readable file");
    let rules = Rules { known_values: 100_000, known_bytes: 64 << 20, ..Rules::default() };
    let key = [7u8; 32];
    let t = Instant::now();
    let engine = Engine::new(&key, &rules).expect("engine");
    let built = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let masked = engine.mask(&data, kind).expect("masks");
    let cold = t.elapsed().as_secs_f64();
    let mut best = f64::INFINITY;
    for _ in 0..repeat {
        let t = Instant::now();
        engine.mask(&data, kind).expect("masks");
        best = best.min(t.elapsed().as_secs_f64());
    }
    let mb = data.len() as f64 / 1e6;
    println!(
        "{} bytes, {} pairs; engine built in {:.1} ms; cold {:.1} MB/s; warm {:.1} MB/s",
        data.len(),
        masked.pairs.len(),
        built * 1e3,
        mb / cold,
        mb / best
    );
}
