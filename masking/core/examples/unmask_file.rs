//! Where a reply's unmasking time goes: `cargo run --release --example unmask_file -- DIR
//! [REPEAT [index|text]]`. DIR holds `pairs.bin` (per pair: surrogate length and original length as
//! little-endian u32, then both), `glue.bin` (per prefix: its length as u32, then it),
//! `text.bin` (a response text) and optionally `reply.bin` (an event stream). Each figure is
//! the best CPU time of the thread over REPEAT runs.

use std::sync::Arc;
use std::time::{Duration, Instant};

use maskcore::unmask::{SseUnmasker, StreamUnmasker, SurrogateIndex};

/// CPU time of this process's thread, from `/proc/thread-self/stat` (user + system, in
/// clock ticks of 10 ms): coarse, so [`best`] times batches of calls.
fn cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    // the fields after the command name, which is in parentheses
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let ticks: u64 = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|v| v.parse::<u64>().ok())
        .sum();
    Duration::from_millis(ticks * 10)
}

/// The CPU time of one call of `f` (best over `repeat` batches, each of as many calls as fill
/// a quarter of a second of wall time), and its last result.
fn best<T>(repeat: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut out = f();
    let start = Instant::now();
    let mut calls = 1u32;
    while start.elapsed() < Duration::from_millis(25) {
        out = f();
        calls += 1;
    }
    let batch = calls * 10;
    let mut best = f64::INFINITY;
    for _ in 0..repeat {
        let t = cpu();
        for _ in 0..batch {
            out = f();
        }
        best = best.min((cpu() - t).as_secs_f64() / f64::from(batch));
    }
    (best * 1e3, out)
}

fn u32_at(data: &[u8], at: usize) -> usize {
    u32::from_le_bytes(data[at..at + 4].try_into().expect("4 bytes")) as usize
}

type Pairs = Vec<(Vec<u8>, Vec<u8>)>;

fn read_pairs(data: &[u8]) -> Pairs {
    let mut pairs = Vec::new();
    let mut at = 0;
    while at < data.len() {
        let (s, o) = (u32_at(data, at), u32_at(data, at + 4));
        at += 8;
        pairs.push((data[at..at + s].to_vec(), data[at + s..at + s + o].to_vec()));
        at += s + o;
    }
    pairs
}

fn read_glue(data: &[u8]) -> Vec<Vec<u8>> {
    let mut glue = Vec::new();
    let mut at = 0;
    while at < data.len() {
        let n = u32_at(data, at);
        glue.push(data[at + 4..at + 4 + n].to_vec());
        at += 4 + n;
    }
    glue
}

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(
        args.next()
            .expect("usage: unmask_file DIR [REPEAT [index|text]]"),
    );
    let repeat: usize = args
        .next()
        .map(|r| r.parse().expect("REPEAT is a number"))
        .unwrap_or(5);
    let read = |name: &str| std::fs::read(dir.join(name));
    let pairs = read_pairs(&read("pairs.bin").expect("pairs.bin"));
    let glue = read_glue(&read("glue.bin").expect("glue.bin"));
    let text = read("text.bin").expect("text.bin");
    if let Some(only) = args.next() {
        // one stage alone, for a profiler: `index` or `text`, REPEAT times
        let index = Arc::new(SurrogateIndex::new(&pairs, &glue));
        for _ in 0..repeat {
            match only.as_str() {
                "index" => drop(SurrogateIndex::new(&pairs, &glue)),
                _ => {
                    let mut un = StreamUnmasker::new(Arc::clone(&index));
                    for chunk in text.chunks(1 << 16) {
                        drop(un.feed(chunk));
                    }
                    drop(un.finish());
                }
            }
        }
        return;
    }

    let (t, index) = best(repeat, || SurrogateIndex::new(&pairs, &glue));
    println!("index of {} pairs    {t:8.3} ms", pairs.len());
    let index = Arc::new(index);
    let (t, _) = best(repeat, || index.json_escaped());
    println!("json_escaped index    {t:8.3} ms");
    let (t, (out, restored)) = best(repeat, || {
        let mut un = StreamUnmasker::new(Arc::clone(&index));
        let mut out = Vec::with_capacity(text.len());
        for chunk in text.chunks(1 << 16) {
            out.extend(un.feed(chunk));
        }
        out.extend(un.finish());
        (out, un.restored())
    });
    println!(
        "text, 64 KB chunks    {t:8.3} ms   {:.0} MB/s, {restored} restored, {} bytes out",
        text.len() as f64 / t / 1e3,
        out.len()
    );
    let (t, _) = best(repeat, || {
        let index = Arc::new(SurrogateIndex::new(&pairs, &glue));
        let mut un = StreamUnmasker::new(index);
        let mut n = 0;
        for chunk in text.chunks(1 << 16) {
            n += un.feed(chunk).len();
        }
        n + un.finish().len()
    });
    println!(
        "index + text          {t:8.3} ms   {:.0} MB/s",
        text.len() as f64 / t / 1e3
    );
    if let Ok(reply) = read("reply.bin") {
        let (t, _) = best(repeat, || {
            let mut un = SseUnmasker::new(Arc::clone(&index), 16 << 20);
            let mut n = 0;
            for chunk in reply.chunks(1 << 10) {
                n += un.feed(chunk).expect("valid stream").len();
            }
            n + un.finish().expect("valid stream").len()
        });
        println!("event-stream reply    {t:8.3} ms   ({} bytes)", reply.len());
    }
}
