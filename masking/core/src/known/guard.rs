//! The precision guard of the known values: which recognized values may be remembered.
//!
//! **What is remembered** ([`rememberable`]): only values that could not be an ordinary word
//! or number, because a known value is masked everywhere, without the context that identified
//! it, and over-masking changes what the model reads ("Run the database migrations" must not
//! lose `migrations` because a resource was once named so). By family:
//!
//! - every value: 4 to [`MAX_VALUE_LEN`] bytes, printable ASCII (plus newline and tab, for key
//!   bodies), a run of at least 3 letters or digits to anchor on (2 for a generated secret
//!   whose marks leave no longer one), not a common technical token
//!   or hyphenated word (`sha256`, `x86_64`, `utf-8`, `read-only`, `us-east-1`, …), not a date
//!   or a version (`2024-05-01T…`, `v1.2.3`);
//! - digits only (account ids, numbers): 10 digits or more, 4 distinct digits or more (line
//!   numbers, ports, years, counts and most ids of small systems stay out);
//! - letters only, one word: camelCase or PascalCase of 8 letters or more (`OrdersTable`), or
//!   16 letters or more that do not read like a word (vowel share, consonant runs); a single
//!   English word of any length in one case is never remembered;
//! - letters only, compound (`prod-db`, `orders_api`, `billing.internal`): 6 bytes or more;
//! - letters and digits (ids, keys, tokens, passwords with a digit): 6 bytes or more, 2 letters
//!   or more, 5 distinct letters or digits or more;
//! - IP addresses (`ipv4_*`, `cidr_block`, `ipv6_*`): IPv4 with 8 digits or more whose last
//!   octet is not 0–2 or 254–255 (`10.0.0.1`, `192.168.1.1` are everyone's examples); IPv6
//!   with 12 hex digits or more. The recognizers find addresses in any context anyway;
//! - user terms and user regexes (`user_*`): always (the user chose them), within the length
//!   bounds.

use super::{alnum_runs, MAX_VALUE_LEN, MIN_VALUE_LEN};

/// Longer values are neither in [`COMMON`] nor region names.
const COMMON_MAX_LEN: usize = 24;

/// Tokens and hyphenated words that recur in ordinary technical text: never remembered.
const COMMON: &[&str] = &[
    "sha1",
    "sha224",
    "sha256",
    "sha384",
    "sha512",
    "md5sum",
    "base64",
    "base32",
    "x86_64",
    "amd64",
    "arm64",
    "aarch64",
    "i386",
    "i686",
    "utf-8",
    "utf-16",
    "utf-32",
    "iso-8859-1",
    "python3",
    "http2",
    "ipv4",
    "ipv6",
    "read-only",
    "read-write",
    "built-in",
    "well-known",
    "up-to-date",
    "real-time",
    "long-running",
    "end-to-end",
    "e-mail",
    "non-null",
    "opt-in",
    "opt-out",
    "follow-up",
    "set-up",
    "sign-in",
    "sign-up",
    "log-in",
    "add-on",
    "plug-in",
    "pre-commit",
    "content-type",
    "content-length",
    "user-agent",
    "x-api-key",
    "third-party",
    "open-source",
    "command-line",
    "front-end",
    "back-end",
    "full-stack",
    "multi-az",
    "cross-region",
    "in-place",
    "node_modules",
    "__init__",
    "__main__",
    "snake_case",
    "kebab-case",
    "key-value",
    "localhost",
    "example.com",
    "example.org",
    "example.net",
    "github.com",
    "amazonaws.com",
    "google.com",
    "anthropic.com",
    "x-amz-date",
    "x-amz-security-token",
    "application/json",
    "text/plain",
    "us-gov",
    "latest",
    "default",
    "production",
    "staging",
    "development",
];

/// True when `value` (decoded) could not be an ordinary word or number: see the module doc.
pub fn rememberable(value: &[u8], rtype: &str) -> bool {
    let n = value.len();
    if !(MIN_VALUE_LEN..=MAX_VALUE_LEN).contains(&n) {
        return false;
    }
    // a control byte only as an escape's letter decodes (`\f` in a password is read as one)
    let printable = |b: u8| b.is_ascii_graphic() || matches!(b, b' ' | b'\n' | b'\t' | b'\r');
    if !value.iter().all(|&b| printable(b) || matches!(b, 0x08 | 0x0c)) {
        return false;
    }
    let longest_run = alnum_runs(value).map(|(_, l)| l).max().unwrap_or(0);
    if longest_run < 3 && !(longest_run == 2 && generated_secret(value, rtype)) {
        return false;
    }
    if rtype.starts_with("user_") {
        return true;
    }
    if n <= COMMON_MAX_LEN {
        let mut buf = [0u8; COMMON_MAX_LEN];
        let lower = &mut buf[..n];
        lower.copy_from_slice(value);
        lower.make_ascii_lowercase();
        if COMMON.iter().any(|w| w.as_bytes() == &lower[..]) || region_like(lower) {
            return false;
        }
    }
    if date_like(value) {
        return false;
    }
    let digits = value.iter().filter(|b| b.is_ascii_digit()).count();
    let letters = value.iter().filter(|b| b.is_ascii_alphabetic()).count();
    if rtype.starts_with("ipv4") || rtype == "cidr_block" {
        return ipv4_rememberable(value, digits);
    }
    if rtype.starts_with("ipv6") {
        return value.iter().filter(|b| b.is_ascii_hexdigit()).count() >= 12;
    }
    if letters == 0 {
        let only_digits: Vec<u8> = value.iter().copied().filter(u8::is_ascii_digit).collect();
        return digits >= 10 && distinct(only_digits.iter().copied()) >= 4 && !counting(&only_digits);
    }
    if digits == 0 {
        let single_word = value.iter().all(u8::is_ascii_alphabetic);
        if !single_word {
            return n >= 6;
        }
        let camel = value[1..].iter().any(u8::is_ascii_uppercase) && value.iter().any(u8::is_ascii_lowercase);
        if camel {
            return n >= 8;
        }
        return n >= 16 && !word_like(&value.to_ascii_lowercase());
    }
    if version_like(value) {
        return false;
    }
    n >= 6 && letters >= 2 && distinct(value.iter().copied().filter(u8::is_ascii_alphanumeric)) >= 5
}

fn distinct(bytes: impl Iterator<Item = u8>) -> usize {
    let mut seen = [false; 256];
    bytes
        .filter(|&b| !std::mem::replace(&mut seen[usize::from(b)], true))
        .count()
}

/// Digits that mostly count up or down (`1234567890`, `9876543210`): a run of steps by one
/// in one direction spans more than half of them.
fn counting(digits: &[u8]) -> bool {
    let step = |a: u8, b: u8, up: bool| {
        if up {
            b == a + 1 || (a == b'9' && b == b'0')
        } else {
            a == b + 1
        }
    };
    let longest = |up: bool| {
        let (mut run, mut best) = (1, 1);
        for w in digits.windows(2) {
            run = if step(w[0], w[1], up) { run + 1 } else { 1 };
            best = best.max(run);
        }
        best
    };
    longest(true).max(longest(false)) * 2 > digits.len()
}

/// Reads like one word: a fair share of vowels, no long consonant cluster, few rare letters.
fn word_like(lower: &[u8]) -> bool {
    let rare = lower.iter().filter(|b| b"jqxzkvw".contains(b)).count();
    if rare > 2 {
        return false;
    }
    let vowels = lower.iter().filter(|b| b"aeiouy".contains(b)).count();
    let share = vowels as f64 / lower.len() as f64;
    let mut run = 0;
    let mut longest = 0;
    for b in lower {
        if b"aeiouy".contains(b) {
            run = 0;
        } else {
            run += 1;
            longest = longest.max(run);
        }
    }
    (0.25..=0.65).contains(&share) && longest <= 4
}

/// `us-east-1`, `eu-central-2`, `us-gov-west-1`, `us-east-1a`.
fn region_like(lower: &[u8]) -> bool {
    let parts: Vec<&[u8]> = lower.split(|&b| b == b'-').collect();
    if parts.len() < 3 || parts[0].len() != 2 || !parts[0].iter().all(u8::is_ascii_lowercase) {
        return false;
    }
    let last = parts[parts.len() - 1];
    let last_ok = matches!(last, [d] if d.is_ascii_digit())
        || matches!(last, [d, z] if d.is_ascii_digit() && z.is_ascii_lowercase());
    const DIRECTIONS: &[&[u8]] = &[
        b"north",
        b"south",
        b"east",
        b"west",
        b"central",
        b"northeast",
        b"northwest",
        b"southeast",
        b"southwest",
    ];
    last_ok && parts[1..parts.len() - 1].iter().any(|p| DIRECTIONS.contains(p))
}

/// The secret types whose values may be drawn from every printable mark.
const GENERATED_TYPES: &[&str] = &["password", "db_password", "generic_secret", "generic_api_key"];

/// A generated secret whose marks leave no run of three letters or digits (`n5|"m)V:Ab+E:/mV`,
/// about 3 % of 20-character passwords drawn from every mark): 12 bytes or more, 6 letters or
/// digits, 4 different marks. It is anchored on a run of two (see `KnownValues::pick_anchor`).
fn generated_secret(value: &[u8], rtype: &str) -> bool {
    let marks = value.iter().copied().filter(u8::is_ascii_punctuation);
    GENERATED_TYPES.contains(&rtype)
        && value.len() >= 12
        && value.iter().filter(|b| b.is_ascii_alphanumeric()).count() >= 6
        && distinct(marks) >= 4
}

/// Starts with a year and a date separator: `2024-05-01…`, `1999/12/31`.
fn date_like(value: &[u8]) -> bool {
    value.len() >= 8
        && (value.starts_with(b"19") || value.starts_with(b"20"))
        && value[..4].iter().all(u8::is_ascii_digit)
        && matches!(value[4], b'-' | b'/' | b'.')
        && value[5].is_ascii_digit()
}

/// `v1.2.3`, `1.2.3-rc1`, `2.31.0.6`: digits and dots with at most a short letter tag.
fn version_like(value: &[u8]) -> bool {
    let body = value
        .strip_prefix(b"v")
        .or_else(|| value.strip_prefix(b"V"))
        .unwrap_or(value);
    let dots = body.iter().filter(|&&b| b == b'.').count();
    let head_digits = body.first().is_some_and(u8::is_ascii_digit);
    let letters = body.iter().filter(|b| b.is_ascii_alphabetic()).count();
    // nothing but what a version spells (a generated password `69rv(@=.%P~` has a dot too)
    let spelled = body
        .iter()
        .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'+' | b'_'));
    head_digits && dots >= 1 && letters <= 5 && spelled
}

/// IPv4: enough digits, and not one of the addresses everyone's examples use.
fn ipv4_rememberable(value: &[u8], digits: usize) -> bool {
    if digits < 8 {
        return false;
    }
    let addr = value.split(|&b| b == b'/').next().unwrap_or(value);
    let last = addr.rsplit(|&b| b == b'.').next().unwrap_or(b"");
    let last: u32 = std::str::from_utf8(last).ok().and_then(|s| s.parse().ok()).unwrap_or(0);
    value.contains(&b'/') || (3..=253).contains(&last)
}
