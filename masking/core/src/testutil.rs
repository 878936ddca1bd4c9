//! Helpers the crate's unit tests share (compiled for tests only).

use std::sync::LazyLock;

use crate::recognizers::names;
use crate::scanner::{Filter, Scanner};

/// `(type, matched text)` of every finding `scanner` reports in `text`.
pub fn found_in(scanner: &Scanner, text: &str) -> Vec<(&'static str, String)> {
    let data = text.as_bytes();
    scanner
        .scan(data)
        .into_iter()
        .map(|f| (f.rtype, String::from_utf8_lossy(&data[f.start..f.end]).into_owned()))
        .collect()
}

/// `(type, matched text)` of every finding the names family's recognizers (those it places from
/// other modules too) report in `text`.
pub fn found_by_names(text: &str) -> Vec<(&'static str, String)> {
    static SCANNER: LazyLock<Scanner> = LazyLock::new(|| {
        Scanner::new(names::recognizers(), Filter::default()).expect("patterns compile")
    });
    found_in(&SCANNER, text)
}

/// A xorshift generator: deterministic test inputs from a seed.
pub struct Rng(pub u64);

impl Rng {
    /// A generator for `seed` spread over the bits (any seed, zero included).
    pub fn seeded(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// The next number below `n`.
    pub fn below(&mut self, n: usize) -> usize {
        let x = &mut self.0;
        *x ^= *x << 13;
        *x ^= *x >> 7;
        *x ^= *x << 17;
        (*x % n as u64) as usize
    }
}

/// Fresh pseudo-random test values from a seed (no real secrets in the repo).
pub fn random_string(seed: u64, n: usize, alphabet: &[u8]) -> Vec<u8> {
    let mut rng = Rng::seeded(seed);
    (0..n).map(|_| alphabet[rng.below(alphabet.len())]).collect()
}

/// A fresh name made in a test: `<letters>-<letters><digit>` (five, three and one).
pub fn fresh_name(seed: u64) -> String {
    let mut rng = Rng::seeded(seed);
    let mut s = String::new();
    for k in 0..8 {
        if k == 5 {
            s.push('-');
        }
        s.push((b'a' + rng.below(26) as u8) as char);
    }
    s.push((b'1' + rng.below(9) as u8) as char);
    s
}
