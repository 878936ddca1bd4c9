//! SSM Parameter Store: the paths a company names its parameters by.
//!
//! A parameter's name is a path (`/ledger/prod/db-password`) whose segments carry the company's
//! projects and environments and what the secret is for. Its ARN (`…:parameter/ledger/prod/…`)
//! is masked segment by segment ([`aws::resource_segments`]); the same path where it stands
//! without its ARN is masked by that same rule, so each segment goes out as one surrogate
//! everywhere and a prefix (`--path /ledger/prod`) stays the prefix of its parameters' names.
//!
//! The places that name a parameter by its path: the SSM commands' `--name`, `--names` and
//! `--path`; the `Name` of a parameter in the CLI's output (an object whose `Type` is
//! `String`, `StringList` or `SecureString`); CloudFormation's dynamic references
//! (`{{resolve:ssm:…}}`, `{{resolve:ssm-secure:…}}`) and its parameters of type
//! `AWS::SSM::Parameter::Value<…>` (their `Default`); the Serverless Framework's `${ssm:…}`;
//! Terraform's `aws_ssm_parameter` (its `name`); an ECS container secret's `valueFrom`.
//! AWS's public parameters (`/aws/service/…`) stay, and so does the `/aws/reference/
//! secretsmanager/` before the name of the secret such a path refers to, which is masked whole
//! as the Secrets Manager rules mask a secret's name.

use memchr::memmem;

use super::aws;
use super::base::{
    after_escaped_break, file_line, line_start_of, sibling_value, value_after, CheckResult,
    Finding, Recognizer, Shape, Value, Q,
};
use super::names::{runs_aws_cli, yaml_sibling, RES};

/// A parameter's name as a path: `/` and the segments, of the bytes SSM allows in a name
/// (letters, digits, `_`, `.`, `-`, `/`), a `/` escaped as JSON writes it (`\/`) included.
/// `None` when `data[s..e]` is not one.
pub(super) fn parameter_path(data: &[u8], s: usize, e: usize) -> Option<Vec<Finding>> {
    let path = &data[s..e];
    let first = if path.starts_with(b"/") {
        1
    } else if path.starts_with(b"\\/") {
        2
    } else {
        return None;
    };
    let allowed =
        |c: &u8| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-' | b'/' | b'\\');
    if path.len() <= first || path.len() > 2048 || !path.iter().all(allowed) {
        return None;
    }
    let decoded: Vec<u8> = path.iter().copied().filter(|&c| c != b'\\').collect();
    if decoded.starts_with(b"/aws/service/") {
        return Some(Vec::new()); // AWS's public parameters (AMI ids, regions, versions)
    }
    let mut out = Vec::new();
    if let Some(rest) = decoded.strip_prefix(b"/aws/reference/secretsmanager/") {
        // the secret's own name, whole, as its ARN and `--secret-id` have it
        if !rest.is_empty() {
            let name = e - rest.len() - count_escapes(&data[s..e], rest.len());
            out.push(Finding::new(name, e, RES, Shape::Classwise));
        }
        return Some(out);
    }
    aws::resource_segments(data, s + first, e, b"ssm", RES, s + first, &mut out);
    Some(out)
}

/// How many escaping backslashes the last `n` decoded bytes of `raw` carry.
fn count_escapes(raw: &[u8], n: usize) -> usize {
    let (mut seen, mut escapes) = (0, 0);
    for &c in raw.iter().rev() {
        if c == b'\\' {
            escapes += 1;
        } else if seen == n {
            break;
        } else {
            seen += 1;
        }
    }
    escapes
}

/// A quoted or bare value that is a parameter's path: its findings and end.
fn path_value(data: &[u8], v: &Value) -> Option<(Vec<Finding>, usize)> {
    let fs = parameter_path(data, v.start, v.end)?;
    Some((fs, v.end + v.quote.len()))
}

/// `aws ssm … --name <path>`, `--names <path> <path> …` and `--path <path>`: the command's
/// parameters. A name that is not a path is the name rules' (`--name DbPassword`).
fn check_flags(data: &[u8], s: usize, e: usize) -> CheckResult {
    let ls = line_start_of(data, s, 512)?;
    let before = &data[ls..s];
    if !runs_aws_cli(before) || memmem::find(before, b" ssm ").is_none() {
        return None;
    }
    let limit = data.len().min(s + 4096);
    let many = data[s..e].starts_with(b"--names");
    let mut out = Vec::new();
    let mut at = e - 1; // the separator the pattern ends with
    let mut end = e;
    while let Some(v) = value_after(data, at, limit, true, None) {
        let Some((fs, ve)) = path_value(data, &v) else {
            break;
        };
        out.extend(fs);
        end = ve;
        if !many {
            break;
        }
        at = ve;
    }
    (end > e).then_some((out, end))
}

/// `"Type": "SecureString"` (or `String`, `StringList`): a parameter in the CLI's JSON
/// output; its object's `Name`, when it is a path.
fn check_json_parameter(data: &[u8], s: usize, _e: usize) -> CheckResult {
    let v = sibling_value(data, s, b"Name")?;
    let (fs, _) = path_value(data, &v)?;
    Some((fs, s + 4))
}

/// `{{resolve:ssm:<path>}}`, `{{resolve:ssm-secure:<path>:<version>}}` and `${ssm:<path>}`
/// (`${ssm(us-east-1):<path>}`, `${ssm(raw):<path>}`): the path up to its version, a `~`
/// option or the closing brace.
fn check_reference(data: &[u8], _s: usize, e: usize) -> CheckResult {
    let limit = data.len().min(e + 2048);
    let end = e + data[e..limit]
        .iter()
        .take_while(|&&c| {
            c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-' | b'/' | b'\\')
        })
        .count();
    let fs = parameter_path(data, e, end)?;
    Some((fs, end))
}

/// A CloudFormation parameter of type `AWS::SSM::Parameter::Value<…>`: its `Default` is the
/// path of the parameter whose value the stack takes (JSON: a key of the same object; YAML: a
/// key of the same mapping, after `Type`).
fn check_cfn_type(data: &[u8], s: usize, _e: usize) -> CheckResult {
    let v = match sibling_value(data, s, b"Default") {
        Some(v) => v,
        None => {
            let ls = line_start_of(data, s, 256)?;
            let col = data[ls..s].iter().take_while(|&&c| c == b' ').count();
            let key = ls + col;
            if !data[key..s].starts_with(b"Type:") {
                return None;
            }
            let json = after_escaped_break(data, ls);
            let (_, _, next) = file_line(data, ls, json)?;
            let limit = data.len().min(s + 1024);
            let after = yaml_sibling(data, next, col, b"Default", limit)?;
            value_after(data, after, limit, false, None)?
        }
    };
    let (fs, end) = path_value(data, &v)?;
    Some((fs, end.max(s + 1)))
}

/// Terraform's `resource "aws_ssm_parameter" "…" {` and `data "aws_ssm_parameter" "…" {`: the
/// block's `name` argument.
fn check_terraform(data: &[u8], _s: usize, e: usize) -> CheckResult {
    // a raw or escaped line break ends a line: HCL's quotes are the file's, not JSON's
    let (_, line_end, mut i) = file_line(data, e, false)?;
    memchr::memchr(b'{', &data[e..line_end])?;
    for _ in 0..32 {
        let (ls, le, next) = file_line(data, i, false)?;
        let line = &data[ls..le];
        let lead = line
            .iter()
            .take_while(|&&c| c == b' ' || c == b'\t')
            .count();
        let rest = &line[lead..];
        if rest.starts_with(b"}") {
            return None; // the block's end
        }
        if rest.starts_with(b"name")
            && !rest
                .get(4)
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
        {
            let v = value_after(data, ls + lead + 4, le, false, None)?;
            return if v.quote.is_empty() {
                None
            } else {
                path_value(data, &v)
            };
        }
        if next == le {
            return None;
        }
        i = next;
    }
    None
}

/// An ECS container secret's `"valueFrom": "<path>"` (a parameter of the same Region named
/// by its path; an ARN there is the ARN rules').
fn check_value_from(data: &[u8], _s: usize, e: usize) -> CheckResult {
    let v = value_after(data, e, data.len().min(e + 2048), false, None)?;
    path_value(data, &v)
}

pub fn recognizers() -> Vec<Recognizer> {
    vec![
        Recognizer::new(
            "parameters.flags",
            r"--(?:names?|path)[ =]",
            check_flags,
            &[RES],
        ),
        Recognizer::new(
            "parameters.json",
            format!(r"Type{Q}[ \t]*:[ \t]*{Q}(?:SecureString|StringList|String){Q}"),
            check_json_parameter,
            &[RES],
        ),
        Recognizer::new(
            "parameters.reference",
            r"\{\{resolve:ssm(?:-secure)?:|\$\{ssm(?:\([a-z0-9-]{1,20}\))?:",
            check_reference,
            &[RES],
        ),
        Recognizer::new(
            "parameters.cfn_type",
            r"AWS::SSM::Parameter::Value<",
            check_cfn_type,
            &[RES],
        ),
        Recognizer::new(
            "parameters.terraform",
            r"aws_ssm_parameter",
            check_terraform,
            &[RES],
        ),
        Recognizer::new(
            "parameters.value_from",
            r"valueFrom",
            check_value_from,
            &[RES],
        ),
    ]
}
