//! Name and value pairs whose name says what the value is.
//!
//! AWS passes many things as a pair rather than as a field of their own: a CloudWatch metric's
//! dimensions (`{"Name": "DBInstanceIdentifier", "Value": "<db>"}` in `list-metrics` and
//! `describe-alarms`, `--dimensions Name=FunctionName,Value=<function>` on the command line),
//! EC2 and RDS filters (`--filters Name=tag:Name,Values=<name>,<name>`), and the shorthand of
//! tags (`--tags Key=Name,Value=<name>`); CloudFormation's parameters and outputs
//! (`{"ParameterKey": "BucketName", "ParameterValue": "<bucket>"}`, `OutputKey`/`OutputValue`)
//! and a container's environment (`{"name": "TABLE_NAME", "value": "<table>"}` in an ECS task
//! definition; `- name: DB_PASSWORD` then `value: <secret>` in a Kubernetes manifest or a
//! CloudFormation template in YAML). The name is looked up in the same field tables the JSON
//! field rules of [`names`](super::names) and [`aws`](super::aws) use (a tag's name: `Name` and
//! the owner tags), and the value is validated as that field's; in YAML, where no other rule
//! reads such pairs, a name that says secret (`DB_PASSWORD`, as the key rules of
//! [`secrets`](super::secrets) read it) makes its value a secret. A pair whose name is no known
//! field (`Name=instance-state-name,Values=running`) is left to the other rules.
//!
//! A JSON object's own `Name` is named by its sibling too: beside the object's own ARN in an
//! account (`Arn`, `ARN`, `TopicArn`, …), it is the resource's name. That matters where the ARN
//! carries an id, not the name, so nothing else would mask it: an AWS account's name in
//! `organizations list-accounts`, an organizational unit's, an EMR cluster's.

use super::{aws, domains};
use memchr::memmem;

use super::base::{
    at_line_start, escape_ends_at, left_ok, norm_key, own_arn, value_after, CheckResult, Field,
    Finding, Recognizer, Value, GLUE_ID, Q,
};
use super::names::{
    key_at, next_key, tag_field, v_display_name, yaml_key_line, yaml_sibling,
    BUCKET, DB, IAM, OWNER, RES, TABLE,
};
use super::secrets::{key_type, v_secret, KEY_RULE_TYPES};

/// How far after the pair's name its value may lie.
const PAIR_REACH: usize = 512;

/// What the value of a pair named `name` holds: a field of the tables, a `Name` tag's or an
/// owner tag's value (`tag:Name`, `tag:Owner` in a filter); `None` for any other name, and for
/// the generic `Name` itself (a dimension or filter called `Name` says nothing).
fn pair_field(name: &[u8]) -> Option<Field> {
    if let Some(tag) = name.strip_prefix(b"tag:") {
        return tag_field(tag);
    }
    let key = norm_key(name);
    if key == "name" {
        return None;
    }
    TABLE.get(&key).or_else(|| aws::field_table().get(&key)).copied()
}

/// The naming keys of a pair and the key of the value each names.
const PAIR_KEYS: &[(&[u8], &[u8])] = &[
    (b"Name", b"Value"),
    (b"name", b"value"),
    (b"ParameterKey", b"ParameterValue"),
    (b"OutputKey", b"OutputValue"),
];

/// The value key of the pair whose naming key starts at `k`.
fn value_key(data: &[u8], k: usize) -> Option<&'static [u8]> {
    PAIR_KEYS
        .iter()
        .find(|(name, _)| data[k..].starts_with(name))
        .map(|&(_, value)| value)
}

/// `"Name": "<field>"` followed by `"Value": "<value>"` in one JSON object (any escaping depth):
/// a CloudWatch dimension; the same with `name`/`value`, `ParameterKey`/`ParameterValue`,
/// `OutputKey`/`OutputValue`.
fn check_json_pair(data: &[u8], s: usize, e: usize) -> CheckResult {
    let k = s + data[s..e].iter().take_while(|&&c| matches!(c, b'\\' | b'"' | b'\'')).count();
    let value_key = value_key(data, k)?;
    let limit = data.len().min(e + PAIR_REACH);
    // the pattern ends with the separator: read the quoted name after it
    let name = value_after(data, e - 1, limit, false, None)?;
    if name.quote.is_empty() {
        return None;
    }
    if let Some(field) = pair_field(&data[name.start..name.end]) {
        let i = next_key(data, name.end + name.quote.len(), limit);
        let after = key_at(data, i, limit, value_key)?;
        let value = value_after(data, after, limit, false, None)?;
        if value.quote.is_empty() {
            return None;
        }
        return Some(((field.validate)(data, &value, field.rtype)?, value.end));
    }
    if value_key.eq_ignore_ascii_case(b"value") && beside_account_arn(data, s) {
        return Some((own_name(data, &name)?, name.end));
    }
    if data[k] == b'N' {
        return Some((zone_name(data, &name)?, name.end));
    }
    None
}

/// The DNS names of the account's own zones: a `Name` ending with the root's dot is how Route 53
/// writes a hosted zone's and a record's name (`"Name": "db.internal.example.io."`), and no
/// other `Name` ends so. The name is masked but for that dot, in two parts (see [`domains`]):
/// the registrable domain, remembered, and the labels before it; AWS's own names
/// (`….amazonaws.com.`) stay, and so does a wildcard (`\052.`).
fn zone_name(data: &[u8], name: &Value) -> Option<Vec<Finding>> {
    let host = data[name.start..name.end].strip_suffix(b".")?;
    let fs = domains::own_host(name.start, host);
    (!fs.is_empty()).then_some(fs)
}

/// Whether the JSON object around the key at `s` has an ARN of its own in some account (see
/// [`own_arn`]): a 12-digit account, not AWS's own (`aws`) nor none.
fn beside_account_arn(data: &[u8], s: usize) -> bool {
    own_arn(data, s, |v| {
        aws::arn_account(v).is_some_and(|a| a.len() == 12 && a.iter().all(u8::is_ascii_digit))
    })
}

/// The value of an object's `Name` beside its own ARN: the resource's name (an AWS account's
/// or an organizational unit's, whose ARNs carry ids; a rule's, a trail's, a parameter's), a
/// display name with blanks included. AWS's own resources listed in an account (the ECS
/// capacity providers `FARGATE` and `FARGATE_SPOT`) are named in capitals and underscores and
/// stay.
fn own_name(data: &[u8], name: &Value) -> Option<Vec<Finding>> {
    let tok = &data[name.start..name.end];
    if tok.iter().all(|&c| c.is_ascii_uppercase() || c == b'_') {
        return None;
    }
    v_display_name(data, name, RES)
}

/// `- name: <NAME>` then `value: <value>` in the same YAML mapping (a Kubernetes container's
/// `env`, a CloudFormation template's `Environment`, `Parameters` in YAML output; raw or in
/// JSON text): a field's value, or a secret when the name says so.
fn check_yaml_pair(data: &[u8], s: usize, e: usize) -> CheckResult {
    let limit = data.len().min(s + PAIR_REACH);
    let line = yaml_key_line(data, s, limit)?;
    let value_key = value_key(data, s)?;
    // the pattern ends with the separator and a blank
    let name = value_after(data, e - 2, line.end, false, None)?;
    let name = &data[name.start..name.end];
    if name.is_empty() || name.len() > 128 {
        return None;
    }
    let after = yaml_sibling(data, line.next, line.col, value_key, limit)?;
    let value = value_after(data, after, limit, false, None)?;
    if value.end <= value.start {
        return None;
    }
    let found = match pair_field(name) {
        Some(field) => (field.validate)(data, &value, field.rtype)?,
        None => {
            let plain = name
                .iter()
                .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-' | b'/'));
            let rtype = key_type(&norm_key(name)).filter(|_| plain)?;
            v_secret(data, &value, rtype)?
        }
    };
    (!found.is_empty()).then_some((found, value.end))
}

/// The end of a shorthand value at `i`: a comma, a quote or escape that closes the argument, a
/// line break, or a blank unless the argument is quoted.
fn shorthand_end(data: &[u8], i: usize, limit: usize, quoted: bool) -> usize {
    let mut b = i;
    while b < limit
        && !matches!(data[b], b',' | b'"' | b'\'' | b'\\' | b'\n' | b'\r' | b'}' | b']')
        && (quoted || !matches!(data[b], b' ' | b'\t'))
    {
        b += 1;
    }
    b
}

/// The CLI's shorthand: `Name=<field>,Value=<value>` (a dimension), `Name=<filter>,Values=<v>,
/// <v>…` (a filter) and `Key=Name,Value=<name>` (a tag). The pattern is the `Name=` or `Key=`;
/// it must start the argument or follow a blank, a quote or a comma (not `KeyName=`).
fn check_shorthand(data: &[u8], s: usize, e: usize) -> CheckResult {
    if s > 0 && !matches!(data[s - 1], b' ' | b'\t' | b'"' | b'\'' | b',' | b'[' | b'{') {
        return None;
    }
    let quoted = s > 0 && matches!(data[s - 1], b'"' | b'\'');
    let limit = data.len().min(e + PAIR_REACH);
    let in_name = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b':' | b'.');
    let name_end = (e..limit).find(|&k| !in_name(data[k]))?;
    if data[name_end] != b',' || name_end == e {
        return None;
    }
    let name = &data[e..name_end];
    let tag = data[s..e].starts_with(b"Key");
    let field = if tag { tag_field(name)? } else { pair_field(name)? };
    let rest = &data[name_end + 1..limit];
    let (list, at) = if !tag && rest.starts_with(b"Values=") {
        (true, name_end + 1 + b"Values=".len())
    } else if rest.starts_with(b"Value=") {
        (false, name_end + 1 + b"Value=".len())
    } else {
        return None;
    };
    let mut found = Vec::new();
    let mut a = at;
    loop {
        let b = shorthand_end(data, a, limit, quoted);
        if b > a {
            // one value that is no name (`web-*`) leaves the others of the list to be read
            let v = Value::bare(a, b);
            found.extend((field.validate)(data, &v, field.rtype).unwrap_or_default());
        }
        if list && b < limit && data[b] == b',' {
            a = b + 1;
            continue;
        }
        return (!found.is_empty()).then_some((found, b));
    }
}

/// `DIMENSIONS<tab><field><tab><value>`: a dimension in the CLI's `--output text`
/// (`describe-alarms`, `list-metrics`; tabs raw or escaped in a JSON string).
fn check_dimension_row(data: &[u8], s: usize, e: usize) -> CheckResult {
    if !at_line_start(data, s) {
        return None;
    }
    let limit = data.len().min(e + PAIR_REACH);
    let cell_end = |a: usize| {
        (a..limit)
            .find(|&k| matches!(data[k], b'\t' | b'\r' | b'\n' | b'\\' | b'"'))
            .unwrap_or(limit)
    };
    let n = cell_end(e);
    let field = pair_field(&data[e..n])?;
    let tab = match data.get(n..n + 2) {
        Some(b"\\t") => 2,
        _ if data.get(n) == Some(&b'\t') => 1,
        _ => return None,
    };
    let (a, b) = (n + tab, cell_end(n + tab));
    Some(((field.validate)(data, &Value::bare(a, b), field.rtype)?, b))
}

/// The kinds of resource an environment variable's name may end with, and the field each
/// names: `ORDERS_TABLE`, `UPLOAD_BUCKET_NAME`, `SETTLE_FUNCTION`. Not `_ROLE` (`USER_ROLE=
/// viewer`: an application's roles).
const ENV_KINDS: &[(&[u8], &[u8])] = &[
    (b"TABLE", b"TableName"),
    (b"BUCKET", b"BucketName"),
    (b"QUEUE", b"QueueName"),
    (b"TOPIC", b"TopicName"),
    (b"FUNCTION", b"FunctionName"),
    (b"CLUSTER", b"ClusterName"),
    (b"SERVICE", b"ServiceName"),
    (b"TASK_DEFINITION", b"ServiceName"),
    (b"STREAM", b"StreamName"),
    (b"REPOSITORY", b"RepositoryName"),
];

/// The kinds whose word is anyone's unless the service's own name comes before it: an
/// `ECS_SERVICE`, not an `EMAIL_SERVICE=sendgrid`; a `KINESIS_STREAM`, not an
/// `OUTPUT_STREAM=stdout`; an `ECR_REPOSITORY`, not a `GIT_REPOSITORY`.
const QUALIFIED_KINDS: &[(&[u8], &[&[u8]])] = &[
    (b"SERVICE", &[b"ECS"]),
    (b"TASK_DEFINITION", &[b"ECS"]),
    (b"STREAM", &[b"KINESIS", b"FIREHOSE", b"DELIVERY"]),
    (b"REPOSITORY", &[b"ECR"]),
];

/// An environment variable named `<PREFIX>_<KIND>` or `<PREFIX>_<KIND>_NAME` (a Lambda
/// function's `Environment.Variables`, `.env`, `export`, docker compose, a SAM template):
/// its value is that kind's name, validated as the field's (`TABLE_NAME` itself is the
/// `TableName` field's key and read by the field rules). The pattern is `_<KIND>`, then
/// `_NAME` or nothing, a quote or not, and `=` or `:`.
fn check_env_kind(data: &[u8], s: usize, e: usize) -> CheckResult {
    let upper = |c: u8| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_';
    // back to the key's start: a JSON escape before it (`\nORDERS_TABLE=`) is a boundary
    let mut ks = s;
    while ks > 0 && upper(data[ks - 1]) && !escape_ends_at(data, ks - 1) {
        ks -= 1;
    }
    if ks == s || !data[ks].is_ascii_uppercase() || !left_ok(data, ks, &GLUE_ID) {
        return None;
    }
    // `KEY=value` in a shell or an env file has no blanks around `=`; with them it is code
    // (`MAKE_FUNCTION = opmap[…]`)
    if data[e - 1] == b'=' && (matches!(data[e - 2], b' ' | b'\t') || data.get(e) == Some(&b' ')) {
        return None;
    }
    let word = &data[s + 1..];
    let &(kind, key) = ENV_KINDS.iter().find(|(kind, _)| word.starts_with(kind))?;
    if let Some((_, services)) = QUALIFIED_KINDS.iter().find(|(k, _)| *k == kind) {
        if !services.iter().any(|w| data[ks..s].ends_with(w)) {
            return None;
        }
    }
    let field = pair_field(key)?;
    let mut after = s + 1 + kind.len();
    if data[after..].starts_with(b"_NAME") {
        after += b"_NAME".len();
    }
    let value = value_after(data, after, data.len().min(e + PAIR_REACH), false, None)?;
    let v = &data[value.start..value.end];
    if v.starts_with(b"arn:") || memmem::find(v, b"://").is_some() {
        return None; // an ARN or a URL: their own rules read them
    }
    if !v.iter().any(u8::is_ascii_alphabetic)
        || v.starts_with(b"0x")
        || data.get(value.end).is_some_and(|c| matches!(c, b'[' | b'('))
    {
        return None; // a number, or code
    }
    Some(((field.validate)(data, &value, field.rtype)?, value.end))
}

/// What the pair rules may find: names, and the secrets a YAML pair's name announces.
fn pair_types() -> Vec<&'static str> {
    let mut types = vec![DB, IAM, RES, BUCKET, OWNER];
    types.extend(KEY_RULE_TYPES);
    types
}

/// The rules, in priority order (after the tag map rules of [`names`](super::names), which
/// read a `"Name":` in a tag map first).
pub fn recognizers() -> Vec<Recognizer> {
    vec![
        Recognizer::new(
            "names.json_pair",
            format!(r"{Q}(?:[Nn]ame|ParameterKey|OutputKey){Q}[ \t]{{0,16}}:"),
            check_json_pair,
            &[DB, IAM, RES, BUCKET, OWNER, aws::HOSTNAME],
        ),
        Recognizer::new(
            "names.yaml_pair",
            r"(?:[Nn]ame|ParameterKey|OutputKey): ",
            check_yaml_pair,
            &pair_types(),
        ),
        Recognizer::new(
            "names.pair_shorthand",
            r"(?:Name|Key)=",
            check_shorthand,
            &[DB, IAM, RES, BUCKET, OWNER],
        ),
        Recognizer::new(
            "names.env_kind",
            concat!(
                "_(?:TABLE|BUCKET|QUEUE|TOPIC|FUNCTION|CLUSTER|SERVICE|TASK_DEFINITION|STREAM",
                r#"|REPOSITORY)(?:_NAME)?(?:\\{0,7}["'])?[ \t]*[:=]"#,
            ),
            check_env_kind,
            &[RES, BUCKET],
        ),
        Recognizer::new(
            "names.dimension_row",
            r"DIMENSIONS(?:\t|\\t)",
            check_dimension_row,
            &[DB, IAM, RES, BUCKET, OWNER],
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::found_by_names as found;

    fn field_type(name: &str) -> Option<&'static str> {
        pair_field(name.as_bytes()).map(|f| f.rtype)
    }

    #[test]
    fn a_pair_is_typed_by_its_name() {
        assert_eq!(field_type("DBInstanceIdentifier"), Some(DB));
        assert_eq!(field_type("db-instance-id"), None);
        assert_eq!(field_type("FunctionName"), Some(RES));
        assert_eq!(field_type("RoleName"), Some(IAM));
        assert_eq!(field_type("BucketName"), Some(BUCKET));
        assert_eq!(field_type("tag:Name"), Some(RES));
        assert_eq!(field_type("tag:CreatedBy"), Some(OWNER));
        for name in ["Name", "name", "tag:env", "InstanceType", "instance-state-name", ""] {
            assert_eq!(field_type(name), None, "{name}");
        }
    }

    #[test]
    fn shorthand_values_end_where_the_argument_does() {
        // unquoted: a blank ends the value; quoted: only the quote does (a `Name` tag's value
        // may hold blanks)
        assert_eq!(
            found("--dimensions Name=FunctionName,Value=settle-hook-2 Name=X,Value=y"),
            vec![(RES, "settle-hook-2".into())]
        );
        assert_eq!(
            found("--filters 'Name=tag:Name,Values=web blue-7,api-2,web-*' --output text"),
            vec![(RES, "web blue-7".into()), (RES, "api-2".into())]
        );
        // in a JSON string the escaped quote ends it
        assert_eq!(
            found(r#"{"command": "aws ec2 x --filters \"Name=tag:Name,Values=edge-9\""}"#),
            vec![(RES, "edge-9".into())]
        );
        // a tag's key is one key, not a list
        assert_eq!(
            found("--tags Key=Name,Values=edge-9,Value=edge-10"),
            Vec::<(&str, String)>::new()
        );
    }

    #[test]
    fn only_a_pair_at_the_start_of_an_argument() {
        for text in [
            "DBName=ledger-db-2,Value=x-1",
            "XName=FunctionName,Value=settle-hook-2",
            "MyKey=Name,Value=web-3",
            "Name=FunctionName Value=settle-hook-2",
            "Name=FunctionName,Other=settle-hook-2",
        ] {
            let pairs: Vec<_> = found(text)
                .into_iter()
                .filter(|(_, v)| v.contains("settle") || v.contains("web-3"))
                .collect();
            assert!(pairs.is_empty(), "{text}: {pairs:?}");
        }
    }

    #[test]
    fn a_dimension_needs_its_value_beside_its_name() {
        assert_eq!(
            found(r#"{"Name": "TableName", "Value": "ledger-entries-7"}"#),
            vec![(RES, "ledger-entries-7".into())]
        );
        // another key between them is another object's business
        assert_eq!(
            found(r#"{"Name": "TableName", "Unit": "Count", "Value": "ledger-entries-7"}"#),
            Vec::<(&str, String)>::new()
        );
        // a number is no name
        assert_eq!(
            found(r#"{"Name": "TableName", "Value": 12}"#),
            Vec::<(&str, String)>::new()
        );
    }
}
