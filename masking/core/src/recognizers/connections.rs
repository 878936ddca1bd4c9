//! Connection strings: what a database or broker URL names besides its password.
//!
//! `postgres://ledger_app:…@db.internal.example.io:5432/ledger_prod` names the database's user
//! and the database (`aws_db_identifier`, as the RDS fields and flags name them) and the host
//! that serves it, one of the user's own (masked as the user's domain, see
//! [`domains`](super::domains), unless it is AWS's, which the AWS rules read, an address, or a
//! name without a dot such as a compose service's). The password is the `url_credentials`
//! rule's, which reads the same URL after this one. Defaults everyone uses (`postgres`,
//! `root`, `admin`, database `0` or `postgres`) stay.

use super::base::{CheckResult, Finding, Recognizer, Shape};
use super::{aws, domains};

const DB: &str = "aws_db_identifier";

/// Users and databases every installation has.
const DEFAULTS: &[&[u8]] = &[
    b"postgres",
    b"root",
    b"admin",
    b"sa",
    b"default",
    b"user",
    b"guest",
    b"test",
    b"mysql",
    b"template1",
    b"master",
    b"admin_db",
    b"db",
    b"app",
];

/// The bytes of a user, a host or a database name in a URL.
fn url_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'%')
}

/// A name worth masking: some letter, not a default, not a token (a token in the user part is
/// the `url_credentials` rule's).
fn private(name: &[u8]) -> bool {
    let token = name.len() >= 20 && name.iter().any(u8::is_ascii_digit);
    name.len() >= 3
        && name.iter().any(u8::is_ascii_alphabetic)
        && !token
        && !DEFAULTS.iter().any(|d| d.eq_ignore_ascii_case(name))
}

/// The candidate is the scheme and `://`: the user, the host and the database after it.
fn check_db_url(data: &[u8], s: usize, e: usize) -> CheckResult {
    if s > 0 && (data[s - 1].is_ascii_alphanumeric() || data[s - 1] == b'+') {
        return None;
    }
    let lim = data.len().min(e + 512);
    let auth_end = e + data[e..lim]
        .iter()
        .take_while(|&&c| !matches!(c, b'/' | b'?' | b'#' | b'"' | b'\'' | b' ' | b'\\' | b'\n'))
        .count();
    let mut out = Vec::new();
    let mut host_at = e;
    if let Some(at) = memchr::memrchr(b'@', &data[e..auth_end]) {
        let at = e + at;
        let user_end = e + data[e..at].iter().take_while(|&&c| c != b':').count();
        if data[e..user_end].iter().all(|&c| url_char(c)) && private(&data[e..user_end]) {
            out.push(Finding::new(e, user_end, DB, Shape::Classwise));
        }
        host_at = at + 1;
    }
    // hosts: `h1:port,h2:port` (a replica set) or one
    let mut i = host_at;
    while i < auth_end {
        let he = i + data[i..auth_end]
            .iter()
            .take_while(|&&c| url_char(c))
            .count();
        let host = &data[i..he];
        if host.contains(&b'.')
            && !aws::is_aws_host(host)
            && !host.iter().all(|c| c.is_ascii_digit() || *c == b'.')
        {
            out.extend(domains::own_host(i, host));
        }
        let next = he
            + data[he..auth_end]
                .iter()
                .take_while(|&&c| c != b',')
                .count();
        i = next + 1;
    }
    // the database: the path's one segment
    if data.get(auth_end) == Some(&b'/') {
        let ds = auth_end + 1;
        let de = ds
            + data[ds..lim]
                .iter()
                .take_while(|&&c| url_char(c) && c != b'.')
                .count();
        if de > ds && private(&data[ds..de]) && !data[ds..de].iter().all(u8::is_ascii_digit) {
            out.push(Finding::new(ds, de, DB, Shape::Classwise));
        }
    }
    // the URL is not claimed: its password is read by the URL credentials rule
    Some((out, s + 1))
}

pub fn recognizers() -> Vec<Recognizer> {
    vec![Recognizer::new(
        "connections.db_url",
        r"(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|sqlserver|cockroachdb)://",
        check_db_url,
        &[DB, aws::HOSTNAME],
    )]
}
