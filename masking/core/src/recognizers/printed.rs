//! Secrets a command prints: the output of a command that reads one secret and writes it bare.
//!
//! `kubectl get secret db -o jsonpath='{.data.password}' | base64 -d`, `aws ssm get-parameter
//! --with-decryption --query Parameter.Value --output text`, `aws secretsmanager
//! get-secret-value --query SecretString --output text`, `vault kv get -field=password …`,
//! `terraform output -raw db_password`, `gcloud secrets versions access …`, `az keyvault secret
//! show … --query value -o tsv`, `op read op://…`: an agent runs these to debug a connection,
//! and the value comes back with no key or flag beside it. The command is its only context.
//!
//! The candidate is the command's distinctive words; the check reads the command's line and
//! finds its output: in a transcript (`$ cmd\nvalue`, a terminal pasted in prose or a tool
//! result), the next line; when the command is the `command` of a tool call, the first line of
//! the tool result with the call's id, later in the request. The value must be one token of a
//! secret's shape (no blank, letters with digits or symbols): an error message, an empty
//! output or a JSON document (read by the field rules) is not one.

use memchr::memmem;

use super::base::{escape_ends_at, CheckResult, Finding, Recognizer, Shape};
use super::tool_calls::tool_result_text;

/// A printed secret is at most this long (a token, a password, a connection string).
const MAX_VALUE: usize = 2048;

/// What kind of secret a command prints, if it prints one bare: `password` when the key,
/// field or output name it reads says so, else `generic_secret`.
fn printed_type(cmd: &[u8]) -> Option<&'static str> {
    let has = |w: &[u8]| memmem::find(cmd, w).is_some();
    let text_output = has(b"--output text") || has(b"--output=text");
    let prints = (has(b"kubectl") && has(b"secret") && (has(b"jsonpath") || has(b"template"))
        && (has(b"base64 -d") || has(b"base64 --decode") || has(b"base64 -D")))
        || (has(b"ssm") && has(b"get-parameter") && has(b"--with-decryption") && text_output
            && has(b"Value"))
        || (has(b"get-secret-value") && has(b"SecretString") && text_output)
        || (has(b"vault") && has(b"-field="))
        || (has(b"terraform") && has(b"output") && has(b"-raw") && secret_named(cmd))
        || (has(b"secrets") && has(b"versions") && has(b"access"))
        || (has(b"keyvault") && has(b"secret") && has(b"show") && has(b"value")
            && (has(b"-o tsv") || has(b"--output tsv")))
        || has(b"op read ");
    if !prints {
        return None;
    }
    let lower = cmd.to_ascii_lowercase();
    let password = [&b"password"[..], b"passwd", b"_pass", b"-pass", b".pass", b"pwd"]
        .iter()
        .any(|w| memmem::find(&lower, w).is_some());
    Some(if password { "password" } else { "generic_secret" })
}

/// Whether a Terraform output's name says it is secret.
fn secret_named(cmd: &[u8]) -> bool {
    let lower = cmd.to_ascii_lowercase();
    [&b"pass"[..], b"secret", b"token", b"key", b"credential"]
        .iter()
        .any(|w| memmem::find(&lower, w).is_some())
}

/// A line break at `i`: a byte or a JSON escape (`\n`, `\r`).
fn break_at(data: &[u8], i: usize) -> Option<usize> {
    match data[i] {
        b'\n' | b'\r' => Some(1),
        b'\\' if matches!(data.get(i + 1), Some(b'n' | b'r')) => Some(2),
        _ => None,
    }
}

/// A JSON string's quote at `i` (not escaped).
fn quote_at(data: &[u8], i: usize) -> bool {
    data[i] == b'"' && (i == 0 || data[i - 1] != b'\\')
}

/// The bounds of the line holding `s`: back to a line break or the quote that opens the JSON
/// string it is in, forward to a line break or the string's closing quote.
fn line_around(data: &[u8], s: usize) -> (usize, usize) {
    let lo = s.saturating_sub(2048);
    let mut a = s;
    while a > lo {
        let c = data[a - 1];
        if c == b'\n' || c == b'\r' || quote_at(data, a - 1) {
            break;
        }
        if matches!(c, b'n' | b'r') && a >= 2 && data[a - 2] == b'\\' {
            break;
        }
        a -= 1;
    }
    let hi = data.len().min(s + 2048);
    let mut b = s;
    while b < hi && break_at(data, b).is_none() && !quote_at(data, b) {
        b += 1;
    }
    (a, b)
}

/// The first line of the text at `i` (up to a line break or a JSON string's end).
fn first_line(data: &[u8], i: usize) -> (usize, usize) {
    let hi = data.len().min(i + MAX_VALUE + 1);
    let mut b = i;
    while b < hi && break_at(data, b).is_none() && !quote_at(data, b) {
        b += 1;
    }
    (i, b)
}

/// Whether a printed line has a secret's shape: one token, letters with digits or symbols.
fn secret_shaped(v: &[u8]) -> bool {
    if !(6..=MAX_VALUE).contains(&v.len())
        || v.iter().any(|&c| c == b' ' || c == b'\t')
        || memmem::find(v, b"\\t").is_some()
        || v.starts_with(b"{")
        || v.starts_with(b"[")
        || v.starts_with(b"-----")
    {
        return false;
    }
    let letters = v.iter().filter(|c| c.is_ascii_alphabetic()).count();
    letters > 0 && letters < v.len()
}

fn check_printed(data: &[u8], s: usize, _e: usize) -> CheckResult {
    let (a, b) = line_around(data, s);
    let rtype = printed_type(&data[a..b])?;
    let out = match tool_result_text(data, a, b) {
        Some(at) => at,
        // a transcript: the next line (a command string's closing quote has no next line)
        None if b < data.len() => b + break_at(data, b)?,
        None => return None,
    };
    let (vs, ve) = first_line(data, out);
    let mut ve = ve;
    while ve > vs && matches!(data[ve - 1], b' ' | b'\t') {
        ve -= 1;
    }
    if ve == vs || escape_ends_at(data, ve - 1) || !secret_shaped(&data[vs..ve]) {
        return None;
    }
    Some((vec![Finding::new(vs, ve, rtype, Shape::Classwise)], b))
}

pub fn recognizers() -> Vec<Recognizer> {
    vec![Recognizer::new(
        "printed.secret",
        r"base64[ \t]+(?:-d|-D|--decode)|--with-decryption|get-secret-value|-field=|output[ \t]+-raw|versions[ \t]+access|keyvault[ \t]+secret[ \t]+show|op[ \t]+read[ \t]",
        check_printed,
        &["password", "generic_secret"],
    )]
}
