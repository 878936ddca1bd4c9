//! Print every built-in recognizer's name, first bytes and candidate pattern, one a line:
//! `cargo run --release --example patterns`.

use maskcore::recognizers;
use maskcore::scanner::first_bytes;

fn main() {
    for r in recognizers::builtin() {
        let n = first_bytes(&r.pattern).iter().filter(|b| **b).count();
        println!("{}\t{}\t{}", r.name, n, r.pattern);
    }
}
