//! The AWS CLI's and SDKs' named profiles: the names the user gave its profiles and SSO
//! sessions, and the SSO role each profile assumes.
//!
//! A profile's name is the user's own, and often the company's or the project's
//! (`tallyco-prod-admin`): `~/.aws/config` declares it (`[profile …]`, `[sso-session …]`),
//! other profiles and tools name it (`source_profile`, `sso_session`, `AWS_PROFILE`, a Terraform
//! provider's `profile`) and every command passes it (`--profile`). Each
//! is masked as a name ([`names::v_name`]: not `default`, placeholders or code) and
//! remembered, so the profile stays masked where the agent types it bare. A profile's
//! `sso_role_name` is the permission set it signs in with, an IAM role's name.

use super::aws;
use super::base::{
    field_check_with, opens_text, Check, CheckResult, Field, Finding, Recognizer, Shape, Validator,
    Value, KEY_ANCHOR, WORD,
};
use super::names::{self, IAM};

pub(super) const PROFILE: &str = "aws_profile_name";

/// A profile's or SSO session's name: a name as [`names::v_name`] reads one, of the bytes AWS
/// allows in a section name here (letters, digits, `-`, `_`, `.`).
fn v_profile(data: &[u8], v: &Value, _rtype: &'static str) -> Option<Vec<Finding>> {
    let tok = &data[v.start..v.end];
    if !tok
        .iter()
        .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
    {
        return None;
    }
    names::v_name(data, v, PROFILE)
}

/// A bare `profile` key's value, which is anyone's word as often (`"profile": "basic"`): only
/// a name no dictionary holds, with a `-`, `_` or digit in it (`ledger-prod`, `ops_admin`), and
/// no member access (`request.user.profile`).
fn v_profile_compound(data: &[u8], v: &Value, rtype: &'static str) -> Option<Vec<Finding>> {
    let tok = &data[v.start..v.end];
    if tok.iter().all(u8::is_ascii_alphabetic) || tok.contains(&b'.') {
        return None;
    }
    v_profile(data, v, rtype)
}

/// A profile's `sso_role_name`: the user's permission set, not one of AWS's job functions
/// (`AdministratorAccess`), which are everyone's.
fn v_sso_role(data: &[u8], v: &Value, rtype: &'static str) -> Option<Vec<Finding>> {
    if aws::JOB_FUNCTIONS.contains(&&data[v.start..v.end]) {
        return None;
    }
    names::v_name(data, v, rtype)
}

/// The keys (normal form) whose value is a profile's or SSO session's name, and the role's.
fn profile_field(key: &str) -> Option<Field> {
    match key {
        "awsprofile" | "awsdefaultprofile" | "sourceprofile" | "ssosession" => {
            Some(field(PROFILE, v_profile))
        }
        "profile" => Some(field(PROFILE, v_profile_compound)),
        "ssorolename" => Some(field(IAM, v_sso_role)),
        _ => None,
    }
}

fn field(rtype: &'static str, validate: Validator) -> Field {
    Field {
        rtype,
        shape: Shape::Classwise,
        validate,
        line: true,
    }
}

fn keys_check() -> Check {
    field_check_with(profile_field, false, true, WORD)
}

/// `--profile NAME` or `--profile=NAME`, the flag a word of a command line (its value ends as a
/// command's word does, at `;` or `&` too).
fn flag_check() -> Check {
    let flag_field = Field {
        line: false,
        ..field(PROFILE, v_profile)
    };
    field_check_with(
        move |flag: &str| (flag == "profile").then_some(flag_field),
        true,
        false,
        WORD,
    )
}

/// A section of `~/.aws/config` opening its line: `[profile NAME]`, `[sso-session NAME]`.
fn check_section(data: &[u8], s: usize, e: usize) -> CheckResult {
    if !opens_text(data, s) {
        return None;
    }
    let end = e + data[e..data.len().min(e + 128)]
        .iter()
        .position(|&c| c == b']')?;
    let fs = v_profile(data, &Value::bare(e, end), PROFILE)?;
    Some((fs, end))
}

pub fn recognizers() -> Vec<Recognizer> {
    vec![
        Recognizer::with_check(
            "profiles.flag",
            r"--profile[ \t=]",
            flag_check(),
            &[PROFILE],
        ),
        Recognizer::with_check(
            "profiles.keys",
            format!("(?:PROFILE|[Pp]rofile|sso_session|sso_role_name){KEY_ANCHOR}"),
            keys_check(),
            &[PROFILE, IAM],
        ),
        Recognizer::new(
            "profiles.section",
            r"\[(?:profile|sso-session) ",
            check_section,
            &[PROFILE],
        ),
    ]
}
