//! Print the opaque ranges the JSON tokenizer finds, for differential tests and timing.
//!
//!     json_layout [--generic] [--records] [--repeat N] FILE
//!
//! One line per body: `ok S E S E ...` (half-open opaque ranges) or `err OFFSET MESSAGE`.
//! `--records`: FILE holds many bodies, each a 4-byte little-endian length then its bytes.
//! `--repeat N`: lay the body out N more times and print the throughput to stderr, by wall
//! time and by this thread's time on a CPU (the fair figure on a shared machine).

use std::io::Write;
use std::time::Instant;

use maskcore::anthropic::MessagesPolicy;
use maskcore::json::{layout, GenericPolicy, Policy};

/// Nanoseconds this thread has run on a CPU (Linux), when known.
fn cpu_ns() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().next()?.parse().ok()
}

fn records(data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = data;
    while rest.len() >= 4 {
        let n = u32::from_le_bytes(rest[..4].try_into().unwrap()) as usize;
        out.push(&rest[4..4 + n]);
        rest = &rest[4 + n..];
    }
    out
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (mut generic, mut many, mut repeat, mut path) = (false, false, 0usize, None);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--generic" => generic = true,
            "--records" => many = true,
            "--repeat" => {
                repeat = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .expect("--repeat N")
            }
            _ => path = Some(arg),
        }
    }
    let data = std::fs::read(path.expect("a file")).expect("readable file");
    let policy: &dyn Policy = if generic {
        &GenericPolicy
    } else {
        &MessagesPolicy
    };
    let bodies = if many {
        records(&data)
    } else {
        vec![&data[..]]
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for body in &bodies {
        match layout(body, policy) {
            Ok(l) => {
                write!(out, "ok").unwrap();
                for (s, e) in l.opaque {
                    write!(out, " {s} {e}").unwrap();
                }
                writeln!(out).unwrap();
            }
            Err(e) => writeln!(out, "err {} {}", e.offset, e.message).unwrap(),
        }
    }
    if repeat > 0 {
        let bytes: usize = bodies.iter().map(|b| b.len()).sum();
        let (t, cpu) = (Instant::now(), cpu_ns());
        let mut ranges = 0;
        for _ in 0..repeat {
            for body in &bodies {
                ranges += layout(body, policy).map_or(0, |l| l.opaque.len());
            }
        }
        let secs = t.elapsed().as_secs_f64();
        let cpu_secs = cpu.zip(cpu_ns()).map(|(a, b)| (b - a) as f64 / 1e9);
        let total = (bytes * repeat) as f64;
        eprintln!(
            "{bytes} bytes x {repeat}, {ranges} ranges: wall {:.1} us each, {:.2} GB/s",
            secs / repeat as f64 * 1e6,
            total / secs / 1e9
        );
        if let Some(cpu_secs) = cpu_secs {
            eprintln!(
                "cpu {:.1} us each, {:.2} GB/s",
                cpu_secs / repeat as f64 * 1e6,
                total / cpu_secs / 1e9
            );
        }
    }
}
