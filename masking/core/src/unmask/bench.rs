//! Speed figures (not timed assertions): `cargo test --release --lib unmask::bench -- --ignored
//! --nocapture`.

use std::sync::Arc;
use std::time::Duration;

use super::json::escaped;
use super::*;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn string(&mut self, alphabet: &[u8], len: usize) -> Vec<u8> {
        (0..len)
            .map(|_| alphabet[(self.next() % alphabet.len() as u64) as usize])
            .collect()
    }
}

const HEX: &[u8] = b"0123456789abcdef";
const DIGITS: &[u8] = b"0123456789";
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const LOWER: &[u8] = b"abcdefghijklmnopqrstuvwxyz";

type Pairs = Vec<(Vec<u8>, Vec<u8>)>;

/// `n` pairs of the shapes a Claude Code exchange carries: resource ids, account ids, access
/// key parts, secret keys, names; and its glue prefixes.
fn exchange_pairs(n: usize) -> (Pairs, Vec<Vec<u8>>) {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let mut pairs = Vec::with_capacity(n);
    for i in 0..n {
        let (s, o) = match i % 6 {
            0 | 1 => (rng.string(HEX, 17), rng.string(HEX, 17)),
            2 => (rng.string(DIGITS, 12), rng.string(DIGITS, 12)),
            3 => (rng.string(UPPER, 16), rng.string(UPPER, 16)),
            4 => (rng.string(ALNUM, 40), rng.string(ALNUM, 40)),
            _ => {
                let s = [
                    rng.string(LOWER, 7),
                    b"-prod-".to_vec(),
                    rng.string(LOWER, 5),
                ]
                .concat();
                let o = [
                    rng.string(LOWER, 7),
                    b"-prod-".to_vec(),
                    rng.string(LOWER, 5),
                ]
                .concat();
                (s, o)
            }
        };
        pairs.push((s, o));
    }
    (pairs, vec![b"AKIA".to_vec(), b"ASIA".to_vec()])
}

/// English-like text with a surrogate every `every` bytes or so.
fn reply(pairs: &[(Vec<u8>, Vec<u8>)], len: usize, every: usize) -> Vec<u8> {
    let words: &[&[u8]] = &[
        b"the ",
        b"instance ",
        b"is ",
        b"running ",
        b"in ",
        b"account ",
        b"and ",
        b"I ",
        b"will ",
        b"stop ",
        b"it, ",
        b"then ",
        b"check ",
        b"volume ",
        b"state.\n",
        b"Done: ",
        b"`aws ec2 describe-instances` ",
        b"10.0.3.17 ",
    ];
    let mut rng = Rng(88172645463325252);
    let mut out = Vec::with_capacity(len + 64);
    let mut next = every;
    while out.len() < len {
        if out.len() >= next {
            let (s, _) = &pairs[(rng.next() % pairs.len() as u64) as usize];
            if s.len() == 17 {
                out.extend_from_slice(b"i-");
            } else if s.len() == 16 {
                out.extend_from_slice(b"AKIA");
            }
            out.extend_from_slice(s);
            out.push(b' ');
            next += every;
        }
        out.extend_from_slice(words[(rng.next() % words.len() as u64) as usize]);
    }
    out
}

/// CPU time of this thread (the machine is shared: wall time says little).
fn cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
    Duration::from_nanos(
        stat.split_whitespace()
            .next()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
    )
}

/// A stopwatch of CPU time.
struct Clock(Duration);

impl Clock {
    fn start() -> Self {
        Clock(cpu())
    }
    fn elapsed(&self) -> Duration {
        cpu() - self.0
    }
}

fn text_events(text: &[u8], piece: usize) -> Vec<Vec<u8>> {
    let mut events = vec![b"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n".to_vec()];
    for chunk in text.chunks(piece) {
        let mut e = b"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"".to_vec();
        e.extend(escaped(chunk));
        e.extend_from_slice(b"\"}}\n\n");
        events.push(e);
    }
    events.push(
        b"event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
            .to_vec(),
    );
    events
}

/// The CPU time of one call of `f`, averaged over as many calls as fill half a second.
fn per_call(mut f: impl FnMut()) -> Duration {
    f(); // warm up
    let clock = Clock::start();
    let mut calls = 0u32;
    while clock.elapsed() < Duration::from_millis(500) {
        f();
        calls += 1;
    }
    clock.elapsed() / calls
}

#[test]
#[ignore]
fn bench_index_build() {
    let (pairs, glue) = exchange_pairs(5000);
    println!("(CPU time of the thread, averaged over half a second of calls)");
    let d = per_call(|| assert_eq!(SurrogateIndex::new(&pairs, &glue).len(), 5000));
    println!("index build, 5,000 surrogates: {d:?}");
    let index = SurrogateIndex::new(&pairs, &glue);
    let d = per_call(|| assert_eq!(index.json_escaped().len(), 5000));
    println!("json_escaped index from it: {d:?}");
}

#[test]
#[ignore]
fn bench_small_deltas() {
    let (pairs, glue) = exchange_pairs(5000);
    let index = Arc::new(SurrogateIndex::new(&pairs, &glue));
    // a 4 KB reply in 40-byte text_delta events, one event per feed
    let text = reply(&pairs, 4096, 300);
    let events = text_events(&text, 40);
    let d = per_call(|| {
        let mut un = SseUnmasker::new(Arc::clone(&index), 1 << 20);
        let mut n = 0;
        for e in &events {
            n += un.feed(e).unwrap().len();
        }
        n += un.finish().unwrap().len();
        assert!(n > 4096 && un.restored() > 5);
    });
    println!(
        "4 KB reply in {} text_delta events of 40 bytes, 5,000 surrogates: {d:?} in all",
        events.len() - 2
    );
}

#[test]
#[ignore]
fn bench_throughput() {
    let (pairs, glue) = exchange_pairs(5000);
    let index = Arc::new(SurrogateIndex::new(&pairs, &glue));
    // 8 MB of text in 64 KB chunks, a surrogate every ~1 KB
    let big = reply(&pairs, 8 << 20, 1024);
    for (name, idx) in [
        ("text", Arc::clone(&index)),
        ("JSON-escaped text", Arc::new(index.json_escaped())),
    ] {
        let d = per_call(|| {
            let mut un = StreamUnmasker::new(Arc::clone(&idx));
            let mut n = 0;
            for c in big.chunks(64 << 10) {
                n += un.feed(c).len();
            }
            n += un.finish().len();
            assert!(n >= big.len() && un.restored() > 1000);
        });
        println!(
            "{name} stream, 8 MB in 64 KB chunks: {:.0} MB/s",
            big.len() as f64 / d.as_secs_f64() / 1e6
        );
    }
    // for scale: one table lookup per byte over the same text, on this machine
    let d = per_call(|| {
        let n = big
            .iter()
            .filter(|&&b| crate::recognizers::base::ALNUM[b as usize])
            .count();
        assert!(n > 0);
    });
    println!(
        "(scale: counting letters and digits by table over the same text: {:.0} MB/s)",
        big.len() as f64 / d.as_secs_f64() / 1e6
    );
    // the same text as an event stream of 4 KB text_delta events
    let events = text_events(&big, 4096).concat();
    let d = per_call(|| {
        let mut un = SseUnmasker::new(Arc::clone(&index), 1 << 20);
        let mut n = 0;
        for c in events.chunks(64 << 10) {
            n += un.feed(c).unwrap().len();
        }
        n += un.finish().unwrap().len();
        assert!(n > big.len());
    });
    println!(
        "SSE stream, 4 KB text_delta events in 64 KB chunks: {:.0} MB/s",
        events.len() as f64 / d.as_secs_f64() / 1e6
    );
}
