//! The user's own rules: literal terms, internal domains (`*.corp.example.com`) and regexes.
//!
//! Terms match case-insensitively as whole words (not glued to letters or digits); a term with
//! non-ASCII characters matches their UTF-8 bytes (ASCII letters in it in any case). A domain
//! glob matches the domain itself and any host under it. A user regex uses the syntax of the
//! `regex` crate over bytes with Unicode off (nearly RE2's, which the Python engine used); each
//! finding is the whole match, trimmed so that it never cuts through a JSON escape sequence.

use std::collections::HashSet;
use std::fmt::Write;
use std::sync::{Arc, Mutex, OnceLock};

use regex_syntax::is_meta_character;

use super::base::{
    escape_ends_at, left_ok, right_ok, strip_escape_tail, CheckResult, Finding, Recognizer, Shape,
    TypeInfo, ALNUM, BACK,
};
use crate::scanner::check_pattern;

pub const CATEGORY: &str = "user";

pub const TYPES: &[TypeInfo] = &[
    TypeInfo {
        name: "user_term",
        shape: Shape::Classwise,
        description: "a literal term from the config (company, project, customer names)",
    },
    TypeInfo {
        name: "user_domain",
        shape: Shape::Classwise,
        description: "a host under an internal domain from the config (*.corp.example.com)",
    },
];

/// Recognizers for the user's terms, domain globs and regexes (`(name, pattern)`), in priority
/// order: domains, terms, then the regexes as listed. A regex that does not compile or that can
/// match the empty string is an error naming its rule.
pub fn build(terms: &[String], regexes: &[(String, String)]) -> Result<Vec<Recognizer>, String> {
    let mut out = Vec::new();
    let domains: Vec<&str> = terms
        .iter()
        .filter_map(|t| t.strip_prefix("*."))
        .filter(|d| !d.is_empty())
        .collect();
    let words: Vec<&str> = terms
        .iter()
        .map(String::as_str)
        .filter(|t| !t.starts_with("*.") && !t.trim().is_empty())
        .collect();
    if !domains.is_empty() {
        let pattern = alternation(&domains);
        out.push(Recognizer::new(
            "user.domains",
            pattern,
            check_domain,
            &["user_domain"],
        ));
    }
    if !words.is_empty() {
        let pattern = alternation(&words);
        out.push(Recognizer::new(
            "user.terms",
            pattern,
            check_term,
            &["user_term"],
        ));
    }
    for (name, pattern) in regexes {
        let pattern = bytes_pattern(pattern);
        validate_regex(name, &pattern)?;
        let rtype = intern_type_name(format!("user_regex:{name}"));
        let check = Arc::new(move |data: &[u8], s: usize, e: usize| regex_check(data, s, e, rtype));
        let mut rec = Recognizer::with_check(rtype, pattern, check, &[rtype]);
        rec.bounded = false; // a user's pattern may match anything, anywhere
        out.push(rec);
    }
    Ok(out)
}

/// `(?i:...)` of the literal texts, longest first (in characters, then in text order), so that a
/// longer term wins over a shorter one at the same offset.
fn alternation(texts: &[&str]) -> String {
    let mut texts: Vec<&str> = texts
        .iter()
        .copied()
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    texts.sort_by_key(|t| (std::cmp::Reverse(t.chars().count()), *t));
    let alts: Vec<String> = texts.iter().map(|t| literal_pattern(t)).collect();
    format!("(?i:{})", alts.join("|"))
}

/// Escape `text` for a byte pattern: ASCII meta characters with a backslash, other characters
/// as the `\xHH` escapes of their UTF-8 bytes (the scanner matches UTF-8 bytes).
fn literal_pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for ch in text.chars() {
        if ch.is_ascii() {
            if is_meta_character(ch) {
                out.push('\\');
            }
            out.push(ch);
        } else {
            push_utf8_escapes(&mut out, ch);
        }
    }
    out
}

/// A user regex with its non-ASCII characters turned into UTF-8 byte escapes.
fn bytes_pattern(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    for ch in pattern.chars() {
        if ch.is_ascii() {
            out.push(ch);
        } else {
            push_utf8_escapes(&mut out, ch);
        }
    }
    out
}

/// Append the `\xHH` escapes of the UTF-8 bytes of `ch`.
fn push_utf8_escapes(out: &mut String, ch: char) {
    let mut buf = [0u8; 4];
    for b in ch.encode_utf8(&mut buf).bytes() {
        let _ = write!(out, "\\x{b:02x}"); // writing to a String cannot fail
    }
}

/// The regex compiles as the scanner compiles it and cannot match the empty string (which
/// would make a candidate at every offset). Errors name the rule, never any scanned text.
fn validate_regex(name: &str, pattern: &str) -> Result<(), String> {
    check_pattern(pattern).map_err(|e| format!("user regex {name:?}: invalid pattern: {e}"))?;
    let hir = regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(pattern)
        .map_err(|e| format!("user regex {name:?}: invalid pattern: {e}"))?;
    if hir.properties().minimum_len() == Some(0) {
        return Err(format!(
            "user regex {name:?}: pattern matches the empty string"
        ));
    }
    Ok(())
}

/// A `'static` catalog name for a user regex type. Leaked once per distinct name: the names
/// come from the config, so what is leaked is bounded by it.
fn intern_type_name(name: String) -> &'static str {
    static NAMES: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut names = NAMES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(known) = names.get(name.as_str()) {
        return known;
    }
    let leaked: &'static str = Box::leak(name.into_boxed_str());
    names.insert(leaked);
    leaked
}

fn check_term(data: &[u8], s: usize, e: usize) -> CheckResult {
    if !left_ok(data, s, &ALNUM) || !right_ok(data, e, &ALNUM) {
        return None;
    }
    Some((vec![Finding::new(s, e, "user_term", Shape::Classwise)], e))
}

/// Bytes of a host name, for reading the labels left of a domain.
fn is_host_byte(c: u8) -> bool {
    ALNUM[c as usize] || c == b'.' || c == b'-'
}

/// The candidate is the domain itself; the labels of a host under it lie to its left.
fn check_domain(data: &[u8], a: usize, e: usize) -> CheckResult {
    if !right_ok(data, e, &ALNUM) || (e < data.len() && data[e] == b'-') {
        return None;
    }
    let mut s = a;
    if s > 0 && data[s - 1] == b'.' {
        let lo = a.saturating_sub(BACK);
        while s > lo && is_host_byte(data[s - 1]) {
            s -= 1;
        }
        while s < a && matches!(data[s], b'.' | b'-') {
            s += 1;
        }
        if s > 0 && data[s - 1] == b'\\' && escape_ends_at(data, s) {
            s += 1; // the 'n' of '\n' before the host
        }
    } else if !left_ok(data, s, &ALNUM) {
        return None;
    }
    Some((vec![Finding::new(s, e, "user_domain", Shape::Classwise)], e))
}

/// The whole match, without the letter of an escape it began on (`\n`) nor a backslash it
/// ended on; scanning resumes after the match.
fn regex_check(data: &[u8], s: usize, e: usize, rtype: &'static str) -> CheckResult {
    let mut a = s;
    if a < e && a > 0 && escape_ends_at(data, a) {
        a += 1;
    }
    let b = strip_escape_tail(data, a, e);
    if b <= a {
        return None;
    }
    Some((vec![Finding::new(a, b, rtype, Shape::Classwise)], e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recognizers::network;
    use crate::scanner::{Filter, Scanner};

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    fn rules(terms: &[&str], regexes: &[(&str, &str)]) -> Vec<Recognizer> {
        let regexes: Vec<(String, String)> = regexes
            .iter()
            .map(|(n, p)| (n.to_string(), p.to_string()))
            .collect();
        build(&strings(terms), &regexes).unwrap()
    }

    /// The user's rules first, then the network built-ins, as the engine orders them.
    fn scanner_with(terms: &[&str], regexes: &[(&str, &str)], filter: Filter) -> Scanner {
        let mut recs = rules(terms, regexes);
        recs.extend(network::recognizers());
        Scanner::new(recs, filter).unwrap()
    }

    use crate::testutil::found_in as found_with;

    fn found(terms: &[&str], regexes: &[(&str, &str)], text: &str) -> Vec<(&'static str, String)> {
        found_with(&scanner_with(terms, regexes, Filter::default()), text)
    }

    fn pairs(items: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
        items.iter().map(|(t, v)| (*t, v.to_string())).collect()
    }

    #[test]
    fn terms_match_whole_words_case_insensitively() {
        let terms = ["Vellumcrest", "Project Ashgrove"];
        assert_eq!(
            found(&terms, &[], "ask vellumcrest about PROJECT ASHGROVE"),
            pairs(&[
                ("user_term", "vellumcrest"),
                ("user_term", "PROJECT ASHGROVE")
            ])
        );
        assert_eq!(found(&terms, &[], "vellumcrests"), vec![]); // glued to a letter
        assert_eq!(found(&terms, &[], "2vellumcrest"), vec![]); // glued to a digit
        assert_eq!(
            found(&terms, &[], "vellumcrest-corp"),
            pairs(&[("user_term", "vellumcrest")])
        );
        assert_eq!(found(&terms, &[], "project  ashgrove"), vec![]);
    }

    #[test]
    fn the_longest_term_wins() {
        let terms = ["Ashgrove", "Ashgrove Labs", "ashgrove"];
        assert_eq!(
            found(&terms, &[], "at ashgrove labs"),
            pairs(&[("user_term", "ashgrove labs")])
        );
        assert_eq!(
            rules(&terms, &[])[0].pattern,
            "(?i:Ashgrove Labs|Ashgrove|ashgrove)"
        );
    }

    #[test]
    fn terms_after_a_json_escape() {
        assert_eq!(
            found(&["Vellumcrest"], &[], r#""text": "hi\nVellumcrest""#),
            pairs(&[("user_term", "Vellumcrest")])
        );
    }

    #[test]
    fn terms_with_regex_characters_are_literal() {
        let terms = ["a.b+c (x)"];
        assert_eq!(
            found(&terms, &[], "see a.b+c (x) now"),
            pairs(&[("user_term", "a.b+c (x)")])
        );
        assert_eq!(found(&terms, &[], "see aXb+c (x) now"), vec![]);
    }

    #[test]
    fn non_ascii_terms() {
        let terms = ["Crème Brûlée Labs"];
        assert_eq!(
            found(&terms, &[], "for Crème Brûlée Labs only"),
            pairs(&[("user_term", "Crème Brûlée Labs")])
        );
        // ASCII letters in any case, the others byte for byte
        assert_eq!(
            found(&terms, &[], "CRèME BRûLéE LABS"),
            pairs(&[("user_term", "CRèME BRûLéE LABS")])
        );
        assert_eq!(found(&terms, &[], "CRÈME BRÛLÉE LABS"), vec![]);
    }

    #[test]
    fn blank_terms_are_ignored() {
        assert!(rules(&["", "  ", "*."], &[]).is_empty());
    }

    #[test]
    fn domain_glob_covers_the_domain_and_its_hosts() {
        let terms = ["*.corp.example.com"];
        assert_eq!(
            found(&terms, &[], "ssh build-7.eu.corp.example.com now"),
            pairs(&[("user_domain", "build-7.eu.corp.example.com")])
        );
        assert_eq!(
            found(&terms, &[], "https://corp.example.com/x"),
            pairs(&[("user_domain", "corp.example.com")])
        );
        assert_eq!(found(&terms, &[], "notcorp.example.com"), vec![]);
        assert_eq!(
            found(&terms, &[], r"\nci.corp.example.com"),
            pairs(&[("user_domain", "ci.corp.example.com")])
        );
        assert_eq!(
            found(&terms, &[], "CI.Corp.Example.COM"),
            pairs(&[("user_domain", "CI.Corp.Example.COM")])
        );
        assert_eq!(
            found(&terms, &[], "-.ci.corp.example.com"),
            pairs(&[("user_domain", "ci.corp.example.com")])
        );
        assert_eq!(found(&terms, &[], "corp.example.comx"), vec![]);
        assert_eq!(found(&terms, &[], "corp.example.com-x"), vec![]);
    }

    #[test]
    fn user_regex() {
        let regexes = [("ticket", r"TCK-[0-9]{6}")];
        assert_eq!(
            found(&[], &regexes, "see TCK-004211 and TCK-99"),
            pairs(&[("user_regex:ticket", "TCK-004211")])
        );
        assert_eq!(rules(&[], &regexes)[0].types, vec!["user_regex:ticket"]);
        assert!(!rules(&[], &regexes)[0].bounded);
    }

    #[test]
    fn user_regex_with_non_ascii_and_groups() {
        let regexes = [("site", r"(?i)Zürich-(?P<n>[0-9]{3})")];
        assert_eq!(
            found(&[], &regexes, "at ZüRICH-042."),
            pairs(&[("user_regex:site", "ZüRICH-042")])
        );
        assert_eq!(found(&[], &regexes, "at ZÜRICH-042."), vec![]);
    }

    #[test]
    fn user_regex_never_cuts_an_escape() {
        let s = scanner_with(&[], &[("word", r"n[a-z]+")], Filter::default());
        let data = br"x\nabc";
        for f in s.scan(data) {
            assert_ne!(data[f.start - 1], b'\\');
        }
        let s = scanner_with(&[], &[("tail", r"k[a-z]+\\")], Filter::default());
        assert_eq!(
            found_with(&s, r"kab\n"),
            pairs(&[("user_regex:tail", "kab")])
        );
    }

    #[test]
    fn bad_regexes_are_errors_naming_the_rule() {
        for (name, pattern) in [("open", "TCK-(["), ("look", r"(?=x)y"), ("back", r"(a)\1")] {
            let err = build(&[], &[(name.to_string(), pattern.to_string())])
                .err()
                .unwrap();
            assert!(
                err.contains(&format!("{name:?}")) && err.contains("invalid"),
                "{err}"
            );
        }
        for pattern in ["a*", "x|", "^", "(?:)", r"\b", "[0-9]{0,3}"] {
            let err = build(&[], &[("empty".to_string(), pattern.to_string())])
                .err()
                .unwrap();
            assert_eq!(
                err,
                "user regex \"empty\": pattern matches the empty string"
            );
        }
    }

    #[test]
    fn type_names_are_leaked_once() {
        let a = rules(&[], &[("intern-me", "q[0-9]+")]);
        let b = rules(&[], &[("intern-me", "z[0-9]+")]);
        assert!(std::ptr::eq(a[0].types[0], b[0].types[0]));
    }

    #[test]
    fn order_is_domains_terms_regexes() {
        let recs = rules(
            &["Vellumcrest", "*.corp.example.com"],
            &[("b", "b[0-9]+"), ("a", "a[0-9]+")],
        );
        let names: Vec<&str> = recs.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            names,
            ["user.domains", "user.terms", "user_regex:b", "user_regex:a"]
        );
    }

    #[test]
    fn allowlist_keeps_exact_values() {
        let (keep, other) = ("10.9.8.7", "10.9.8.6");
        let filter = Filter {
            allowlist: [keep.as_bytes().to_vec()].into(),
            ..Filter::default()
        };
        let s = scanner_with(&["Vellumcrest"], &[], filter);
        assert_eq!(
            found_with(&s, &format!("{keep} {other} Vellumcrest")),
            pairs(&[("ipv4_private", other), ("user_term", "Vellumcrest")])
        );
        let filter = Filter {
            allowlist: [b"Vellumcrest".to_vec()].into(),
            ..Filter::default()
        };
        let s = scanner_with(&["Vellumcrest"], &[], filter);
        assert_eq!(
            found_with(&s, "Vellumcrest vellumcrest"),
            pairs(&[("user_term", "vellumcrest")])
        );
    }

    #[test]
    fn disable_a_type() {
        let filter = Filter {
            disabled: ["ipv4_private".to_string()].into(),
            ..Filter::default()
        };
        let s = scanner_with(&[], &[], filter);
        assert_eq!(
            found_with(&s, "10.1.2.3 54.201.17.88"),
            pairs(&[("ipv4_public", "54.201.17.88")])
        );
        let filter = Filter {
            disabled: ["user_regex:ticket".to_string()].into(),
            ..Filter::default()
        };
        let s = scanner_with(&[], &[("ticket", r"TCK-[0-9]{6}")], filter);
        assert_eq!(found_with(&s, "TCK-004211"), vec![]);
    }

    #[test]
    fn user_rules_win_a_tie_with_builtins() {
        let regexes = [("lab", r"10\.77\.[0-9]+\.[0-9]+")];
        assert_eq!(
            found(&[], &regexes, "host 10.77.3.4"),
            pairs(&[("user_regex:lab", "10.77.3.4")])
        );
        assert_eq!(
            found(&[], &regexes, "host 10.78.3.4"),
            pairs(&[("ipv4_private", "10.78.3.4")])
        );
        let regexes = [("inst", r"i-[0-9a-f]{17}")];
        assert_eq!(
            found(&[], &regexes, "i-0123456789abcdef0"),
            pairs(&[("user_regex:inst", "i-0123456789abcdef0")])
        );
    }
}
