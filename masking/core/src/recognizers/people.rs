//! People: e-mail addresses and the names written with them.
//!
//! An e-mail address in an agent's traffic is a person's or a team's at the user's company: a
//! commit's author (`git log`, a `Co-authored-by:` trailer), a subscription's endpoint, a
//! directory's user, a config's contact. Its local part is masked, and its domain as one of the
//! user's domains (see [`domains`](super::domains): the registrable domain is remembered), but
//! for the public mail providers' (`gmail.com`, GitHub's `users.noreply.github.com`) and the
//! documentation's (`example.com`, whose addresses stay whole). The display name of a mailbox
//! (`Priya Ramaswamy <priya@…>`) and the name fields of a directory's user (`GivenName`,
//! `FamilyName`) are masked too. `git@github.com:owner/repo` is an SSH address, not an e-mail.

use std::collections::HashMap;

use super::base::{
    concat_table, field_check, key_variants, left_ok, norm_key, table, ByteTable, CheckResult,
    Field, Finding, Recognizer, Shape, TypeInfo, Value, KEY_ANCHOR, WORD,
};
use super::{aws, domains};

pub const CATEGORY: &str = "people";
pub const PERSON: &str = "person";
pub const TYPES: &[TypeInfo] = &[TypeInfo {
    name: PERSON,
    shape: Shape::Classwise,
    description:
        "a person's e-mail address (local part; the domain as the user's) or name beside it",
}];

/// Bytes of an address's local part.
const LOCAL: ByteTable =
    table(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._%+-");

/// Bytes of a domain.
const DOMAIN: ByteTable =
    table(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-");

/// Mail domains everyone uses, and the big vendors': the domain stays, the local part is
/// masked.
const PUBLIC_MAIL: &[&[u8]] = &[
    b"gmail.com",
    b"googlemail.com",
    b"outlook.com",
    b"hotmail.com",
    b"live.com",
    b"yahoo.com",
    b"icloud.com",
    b"me.com",
    b"proton.me",
    b"protonmail.com",
    b"fastmail.com",
    b"gmx.de",
    b"gmx.net",
    b"aol.com",
    b"users.noreply.github.com",
    b"noreply.github.com",
    // the vendors' own, in their documentation and notices
    b"amazon.com",
    b"google.com",
    b"microsoft.com",
    b"apple.com",
    b"github.com",
    b"gitlab.com",
    // the agent's own vendor: Claude Code signs commits `Claude <noreply@anthropic.com>`
    b"anthropic.com",
    b"openai.com",
];

/// Local parts of addresses no one reads: not a person's.
const NO_REPLY: &[&[u8]] = &[b"noreply", b"no-reply", b"donotreply", b"do-not-reply"];

/// Domains of documentation and tests: their addresses are examples, left whole.
fn example_domain(d: &[u8]) -> bool {
    let d = d.to_ascii_lowercase();
    [
        "example.com",
        "example.org",
        "example.net",
        "localhost",
        "test",
        "invalid",
        "example",
    ]
    .iter()
    .any(|e| d == e.as_bytes() || domains::under(&d, e.as_bytes()))
}

/// The findings of the address `data[s..e]` (`local@domain`): the local part, and the domain
/// as the user's unless public; `None` when it is no address or an example's.
fn address(data: &[u8], s: usize, e: usize) -> Option<Vec<Finding>> {
    let at = s + memchr::memchr(b'@', &data[s..e])?;
    let (local, domain) = (&data[s..at], &data[at + 1..e]);
    let tld = domain.rsplit(|&c| c == b'.').next()?;
    if local.is_empty()
        || !local.iter().all(|&c| LOCAL[c as usize])
        || !domain.contains(&b'.')
        || !domain.iter().all(|&c| DOMAIN[c as usize])
        || tld.len() < 2
        || !tld.iter().all(u8::is_ascii_alphabetic)
        || example_domain(domain)
    {
        return None;
    }
    let mut out = Vec::new();
    if !SYSTEM_LOGINS.contains(&local) && !NO_REPLY.iter().any(|n| n.eq_ignore_ascii_case(local)) {
        out.push(Finding::new(s, at, PERSON, Shape::Classwise));
    }
    let lower = domain.to_ascii_lowercase();
    if !PUBLIC_MAIL.contains(&lower.as_slice()) {
        out.extend(domains::own_host(at + 1, domain));
    }
    Some(out)
}

/// The logins of a system's own accounts (`ssh ec2-user@host`, `root@host`): not people.
const SYSTEM_LOGINS: &[&[u8]] = &[
    b"root",
    b"admin",
    b"ubuntu",
    b"ec2-user",
    b"centos",
    b"debian",
    b"fedora",
    b"git",
    b"deploy",
    b"postgres",
    b"www-data",
    b"nobody",
    b"azureuser",
    b"core",
    b"bitnami",
];

/// Candidates of [`check_address`]: each `@` with a local part before it and a domain after,
/// read to the address's ends.
fn trigger_address(data: &[u8], out: &mut Vec<(usize, usize)>) {
    for p in memchr::memchr_iter(b'@', data) {
        let lo = p.saturating_sub(64);
        let mut s = p - data[lo..p]
            .iter()
            .rev()
            .take_while(|&&c| LOCAL[c as usize])
            .count();
        if s < p && super::base::escape_ends_at(data, s) {
            s += 1; // `\njane@…`: the `n` is the escape's
        }
        let hi = data.len().min(p + 254);
        let mut e = p
            + 1
            + data[p + 1..hi]
                .iter()
                .take_while(|&&c| DOMAIN[c as usize])
                .count();
        while e > p + 1 && matches!(data[e - 1], b'.' | b'-') {
            e -= 1; // the end of a sentence
        }
        if s < p && e > p + 3 {
            out.push((s, e));
        }
    }
}

/// The bytes a local part must not be glued to: a longer token's (`\n`'s `n` is an escape's),
/// or `/` and `:` (`https://user@host`, `ssh://git@host`: a URL's user).
const LOCAL_GLUE: ByteTable = concat_table(WORD, b"/:.-");

/// An e-mail address, with the display name before it when written as a mailbox
/// (`Name <address>`).
fn check_address(data: &[u8], s: usize, e: usize) -> CheckResult {
    if !left_ok(data, s, &LOCAL_GLUE) {
        return None;
    }
    // `user@host:path` (an SSH remote), `user@host/…` (a URL's authority)
    if data.get(e).is_some_and(|&c| matches!(c, b':' | b'/')) || data.get(e) == Some(&b'@') {
        return None;
    }
    // AWS's host names have rules of their own, which the address must leave them to
    let at = s + memchr::memchr(b'@', &data[s..e])?;
    if aws::is_aws_host(&data[at + 1..e]) {
        let local = &data[s..at];
        let person = !SYSTEM_LOGINS.contains(&local) && address(data, s, e).is_some();
        return Some((
            person
                .then(|| Finding::new(s, at, PERSON, Shape::Classwise))
                .into_iter()
                .collect(),
            at + 1,
        ));
    }
    let mut out = address(data, s, e)?;
    // the name of a mailbox whose address is a person's (not `Claude <noreply@…>`)
    let personal = out.first().is_some_and(|f| f.rtype == PERSON);
    if personal && s >= 2 && data[s - 1] == b'<' && data.get(e) == Some(&b'>') {
        if let Some(a) = display_name(data, s - 1) {
            out.insert(0, Finding::new(a, s - 2, PERSON, Shape::Classwise));
        }
    }
    Some((out, e))
}

/// A word of a person's name: a capital, then lower-case letters (any non-ASCII letter too),
/// `'`, `-`, `.`.
fn name_word(w: &[u8]) -> bool {
    const NOT_NAMES: &[&[u8]] = &[
        b"By",
        b"From",
        b"To",
        b"Cc",
        b"And",
        b"Or",
        b"The",
        b"Author",
        b"Authors",
        b"Contact",
        b"Maintainer",
        b"Copyright",
        b"Written",
        b"Reply",
        b"Sender",
        b"Email",
        b"Mail",
    ];
    w.len() >= 2
        && !NOT_NAMES.contains(&w)
        && (w[0].is_ascii_uppercase() || w[0] >= 0x80)
        && w[1..]
            .iter()
            .all(|&c| c.is_ascii_lowercase() || c >= 0x80 || b"'-.".contains(&c))
}

/// The start of the display name of the mailbox whose `<` is at `lt`: 1 to 4 words of a
/// name before ` <`.
fn display_name(data: &[u8], lt: usize) -> Option<usize> {
    if lt == 0 || data[lt - 1] != b' ' {
        return None;
    }
    let mut a = lt - 1;
    let mut words = 0;
    while words < 4 {
        let we = a;
        let ws = we
            - data[we.saturating_sub(40)..we]
                .iter()
                .rev()
                .take_while(|&&c| {
                    !matches!(
                        c,
                        b' ' | b'\t' | b'\n' | b'"' | b'\\' | b',' | b':' | b'<' | b'>'
                    )
                })
                .count();
        if ws == we || !name_word(&data[ws..we]) {
            break;
        }
        words += 1;
        a = ws;
        if ws == 0 || data[ws - 1] != b' ' {
            break;
        }
        a = ws - 1;
    }
    if words == 0 {
        return None;
    }
    // `a` is at the blank before the first word, or at the first word
    Some(if data[a] == b' ' { a + 1 } else { a })
}

/// A field naming a person: 1 to 4 words of a name.
fn v_name_words(data: &[u8], v: &Value, _rtype: &'static str) -> Option<Vec<Finding>> {
    let tok = &data[v.start..v.end];
    let words = tok.split(|&c| c == b' ');
    ((1..=4).contains(&words.clone().count()) && words.clone().all(name_word))
        .then(|| vec![Finding::new(v.start, v.end, PERSON, Shape::Classwise)])
}

/// The keys of a directory's user whose values are a person's name.
const NAME_KEYS: &[&str] = &[
    "GivenName",
    "FamilyName",
    "MiddleName",
    "given_name",
    "family_name",
];

fn fields_check() -> super::base::Check {
    let field = Field {
        rtype: PERSON,
        shape: Shape::Classwise,
        validate: v_name_words,
        line: false,
    };
    let table: HashMap<String, Field> = NAME_KEYS
        .iter()
        .map(|k| (norm_key(k.as_bytes()), field))
        .collect();
    field_check(table, false, false, WORD)
}

pub fn recognizers() -> Vec<Recognizer> {
    let mut keys: Vec<String> = NAME_KEYS.iter().map(|k| key_variants(k)).collect();
    keys.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    keys.dedup();
    vec![
        Recognizer::new(
            "people.address",
            r"[A-Za-z0-9._%+-]@[A-Za-z0-9]",
            check_address,
            &[PERSON, aws::HOSTNAME],
        )
        .triggered(trigger_address),
        Recognizer::with_check(
            "people.name_fields",
            format!("(?:{}){}", keys.join("|"), KEY_ANCHOR),
            fields_check(),
            &[PERSON],
        ),
    ]
}
