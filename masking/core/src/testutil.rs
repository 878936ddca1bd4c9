//! Helpers the crate's unit tests share (compiled for tests only).

use crate::scanner::Scanner;

/// `(type, matched text)` of every finding `scanner` reports in `text`.
pub fn found_in(scanner: &Scanner, text: &str) -> Vec<(&'static str, String)> {
    let data = text.as_bytes();
    scanner
        .scan(data)
        .into_iter()
        .map(|f| (f.rtype, String::from_utf8_lossy(&data[f.start..f.end]).into_owned()))
        .collect()
}

/// Fresh pseudo-random test values from a seed (no real secrets in the repo).
pub fn random_string(seed: u64, n: usize, alphabet: &[u8]) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            alphabet[(x % alphabet.len() as u64) as usize]
        })
        .collect()
}
