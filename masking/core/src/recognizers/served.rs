//! The host names the user's own configuration declares: what its web servers answer to and
//! what its DNS zones hold.
//!
//! A web server's configuration names the hosts it serves (nginx's `server_name`, Apache's
//! `ServerName` and `ServerAlias`, a Kubernetes Ingress's hosts as `kubectl get ingress` lists
//! them), and infrastructure code names the Route 53 zones and
//! records it creates or reads (Terraform's `aws_route53_zone` and `aws_route53_record`,
//! CloudFormation's `AWS::Route53::*`). Such a name is the user's, as surely as an ACM
//! certificate's (see [`domains`]): it is masked in two parts by [`domains::own_host`], and its
//! registrable domain is remembered, so the company's domain stays masked wherever it recurs.
//! Names everyone's examples use (`example.com`), reserved test names (`.test`, `.localhost`)
//! and the common services' domains stay.

use memchr::memmem;

use super::aws;
use super::base::{
    column_at, command_end, command_tokens, escape_ends_at, file_line, header_column,
    line_start_of, opens_text, table_header, table_lines, value_after, CheckResult, Finding,
    Recognizer,
};
use super::domains;

/// Top-level names reserved for tests and documentation (RFC 2606, RFC 6761): no one's host.
const RESERVED_TLDS: &[&[u8]] = &[b"test", b"example", b"invalid", b"localhost"];

/// The findings of `host` at `start`, a name the user's configuration declares as its own: the
/// root's dot and a wildcard's `*.` stay; reserved names and the common services' stay.
fn declared_host(start: usize, host: &[u8]) -> Vec<Finding> {
    let host = host.strip_suffix(b".").unwrap_or(host);
    let tld = host.rsplit(|&c| c == b'.').next().unwrap_or_default();
    if RESERVED_TLDS.iter().any(|t| tld.eq_ignore_ascii_case(t))
        || domains::is_service_host(host.strip_prefix(b"*.").unwrap_or(host))
    {
        return Vec::new();
    }
    domains::own_host(start, host)
}

/// Whether `s` opens a line of a file's text ([`opens_text`]) after indentation (blanks, or
/// tabs escaped in a JSON string).
fn opens_line(data: &[u8], s: usize) -> bool {
    let mut i = s;
    loop {
        if i >= 1 && matches!(data[i - 1], b' ' | b'\t') {
            i -= 1;
        } else if i >= 2 && data[i - 1] == b't' && escape_ends_at(data, i - 1) {
            i -= 2;
        } else {
            break;
        }
    }
    opens_text(data, i)
}

/// A web server's names: nginx's `server_name a b;`, Apache's `ServerName a:443` and
/// `ServerAlias a b`, each directive opening its line. nginx's catch-all `_`, its regular
/// expressions (`~^…`), variables and addresses stay; a leading `.` (nginx's "this name and
/// its subdomains") and a port are not part of the name. An assignment in code
/// (`server_name = …`) is no directive.
fn check_server_names(data: &[u8], s: usize, e: usize) -> CheckResult {
    if !opens_line(data, s) {
        return None;
    }
    let end = command_end(data, e);
    let mut out = Vec::new();
    for (ts, te) in command_tokens(data, e, end) {
        let tok = &data[ts..te];
        if tok[0] == b'#' {
            break;
        }
        if matches!(tok[0], b'=' | b':') {
            return None;
        }
        let lead = usize::from(tok[0] == b'.');
        let host = &tok[lead..memchr::memchr(b':', tok).unwrap_or(tok.len())];
        if host.first() == Some(&b'~') || host.contains(&b'$') {
            continue;
        }
        out.extend(declared_host(ts + lead, host));
    }
    (!out.is_empty()).then_some((out, end))
}

/// How far a Route 53 resource's declaration is read.
const DECLARATION_REACH: usize = 4096;

const PLAN_MARKERS: &[&[u8]] = &[b"-/+ ", b"+/- ", b"<= ", b"+ ", b"- ", b"~ "];

/// Where a line's content starts: after its indentation and the markers `terraform plan`
/// prints before an attribute (`+`, `-`, `~`, `-/+`, `+/-`, `<=`).
fn content_start(data: &[u8], mut i: usize, end: usize) -> usize {
    loop {
        while i < end && matches!(data[i], b' ' | b'\t') {
            i += 1;
        }
        if i + 1 < end && data[i] == b'\\' && data[i + 1] == b't' {
            i += 2;
            continue;
        }
        let marker = PLAN_MARKERS.iter().find(|m| data[i..end].starts_with(m));
        match marker {
            Some(m) => i += m.len(),
            None => return i,
        }
    }
}

/// A Terraform block declaring a Route 53 zone or record, read or created
/// (`resource "aws_route53_zone" "main" {`, `data "aws_route53_zone" "main" {`, as written and
/// as `terraform plan` and `terraform state show` print it): the block's own `name`. A nested
/// block's `name` (a record's `alias`, a load balancer's host) is not the record's.
fn terraform_block(data: &[u8], s: usize, e: usize) -> CheckResult {
    // the line's start, or as far back as a keyword can lie (the file opens a JSON string)
    let ls = line_start_of(data, s, 128).unwrap_or(s.saturating_sub(128));
    // `resource "`, or `resource \"` in a JSON string
    let before = data[ls..s].strip_suffix(b"\"")?;
    let escapes = before.iter().rev().take_while(|&&c| c == b'\\').count();
    let before = before[..before.len() - escapes].trim_ascii_end();
    let keyword = [&b"resource"[..], b"data"]
        .into_iter()
        .find(|k| before.ends_with(k))?;
    let at = before.len() - keyword.len();
    if at > 0 && (before[at - 1].is_ascii_alphanumeric() || before[at - 1] == b'_') {
        return None;
    }
    // in a JSON string (`resource \"…`) the file's own quotes are escaped
    let json = escapes > 0;
    let (_, first_end, mut next) = file_line(data, e, json)?;
    // the block opens on its line
    memchr::memchr(b'{', &data[e..first_end])?;
    let mut depth = 1i32;
    let mut out = Vec::new();
    for _ in 0..96 {
        if next > s + DECLARATION_REACH {
            break;
        }
        let Some((a, b, n)) = file_line(data, next, json) else {
            break;
        };
        next = n;
        let c = content_start(data, a, b);
        if depth == 1 && data[c..b].starts_with(b"name") {
            let k = c + 4;
            let eq = k + data[k..b]
                .iter()
                .take_while(|&&x| x == b' ' || x == b'\t')
                .count();
            if data.get(eq) == Some(&b'=') {
                if let Some(v) = value_after(data, k, b, false, None) {
                    out.extend(declared_host(v.start, &data[v.start..v.end]));
                }
            }
        }
        let line = &data[c..b];
        depth += memchr::memchr_iter(b'{', line).count() as i32;
        depth -= memchr::memchr_iter(b'}', line).count() as i32;
        if depth <= 0 {
            break;
        }
    }
    (!out.is_empty()).then_some((out, e))
}

/// A CloudFormation resource of type `AWS::Route53::HostedZone`, `RecordSet` or
/// `RecordSetGroup`, in YAML or JSON: the values of its `Name` and `HostedZoneName` keys (a
/// record group's every record), up to the next resource's type. Intrinsic functions
/// (`!Sub`, `{"Fn::Join": …}`) name no host here.
fn cloudformation_resource(data: &[u8], e: usize) -> CheckResult {
    let mut hi = data.len().min(e + DECLARATION_REACH);
    if let Some(k) = memmem::find(&data[e..hi], b"AWS::") {
        hi = e + k;
    }
    let mut out = Vec::new();
    for p in memmem::find_iter(&data[e..hi], b"Name").map(|k| e + k) {
        let before = data[..p].strip_suffix(b"HostedZone").map_or(p, |b| b.len());
        if before > 0 && data[before - 1].is_ascii_alphanumeric() {
            continue;
        }
        let k = p + 4;
        let sep = k + data[k..hi]
            .iter()
            .take_while(|&&c| matches!(c, b'"' | b'\\'))
            .count();
        if data.get(sep) != Some(&b':') {
            continue;
        }
        if let Some(v) = value_after(data, k, hi, false, None) {
            out.extend(declared_host(v.start, &data[v.start..v.end]));
        }
    }
    (!out.is_empty()).then_some((out, e))
}

fn check_route53(data: &[u8], s: usize, e: usize) -> CheckResult {
    if data[s] == b'A' {
        cloudformation_resource(data, e)
    } else {
        terraform_block(data, s, e)
    }
}

/// The table `kubectl get ingress` prints (`NAME  CLASS  HOSTS  ADDRESS  PORTS  AGE`, with
/// `NAMESPACE` first for every namespace): the hosts each Ingress serves, from the cell under
/// `HOSTS`, comma-separated. `*` (every host) and the `+ 2 more...` kubectl writes for a long
/// list stay; a table ends at a blank line or a line that is no row.
fn check_ingress_table(data: &[u8], s: usize, e: usize) -> CheckResult {
    // the header's line: capitals and blanks back to where it opens a text
    let ls = s - data[s.saturating_sub(512)..s]
        .iter()
        .rev()
        .take_while(|&&c| c.is_ascii_uppercase() || c == b' ')
        .count();
    if !opens_text(data, ls) || !data[ls..s].starts_with(b"NAME") {
        return None;
    }
    let (he, rows, json) = table_header(data, ls)?;
    let col = header_column(&data[ls..he], b"HOSTS")?;
    let mut out = Vec::new();
    for (rs, re) in table_lines(data, rows, json) {
        if !(re > rs && data[rs].is_ascii_alphanumeric()) {
            break;
        }
        // the cell starts where its header does, after the blanks that pad the one before
        if let Some(cs) = column_at(data, rs, re, col, json)
            .filter(|&cs| data[cs - 1] == b' ' && data[cs] != b' ')
        {
            let ce = cs + data[cs..re].iter().take_while(|&&b| b != b' ').count();
            let mut hs = cs;
            for host in data[cs..ce].split(|&b| b == b',') {
                out.extend(declared_host(hs, host));
                hs += host.len() + 1;
            }
        }
    }
    Some((out, e))
}

pub fn recognizers() -> Vec<Recognizer> {
    vec![
        Recognizer::new(
            "served.server_names",
            r"(?:server_name|Server(?:Name|Alias))(?:[ \t]|\\t)+",
            check_server_names,
            &[aws::HOSTNAME],
        ),
        Recognizer::new(
            "served.route53",
            r#"aws_route53_(?:zone|record)\\{0,3}"|AWS::Route53::(?:HostedZone|RecordSet)"#,
            check_route53,
            &[aws::HOSTNAME],
        ),
        Recognizer::new(
            "served.ingress_table",
            r"HOSTS +ADDRESS +PORTS ",
            check_ingress_table,
            &[aws::HOSTNAME],
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scanner::{Filter, Scanner};
    use crate::testutil::found_in;

    fn masked(text: &str) -> Vec<String> {
        let scanner = Scanner::new(recognizers(), Filter::default()).expect("patterns compile");
        found_in(&scanner, text)
            .into_iter()
            .map(|(_, v)| v)
            .collect()
    }

    #[test]
    fn web_servers_names() {
        let nginx = concat!(
            "server {\n    listen 443 ssl;\n",
            "    server_name api.pay.tallyco.io .tallyco.io _;\n}",
        );
        assert_eq!(masked(nginx), ["api.pay", "tallyco.io", "tallyco.io"]);
        let apache = concat!(
            "<VirtualHost *:443>\n  ServerName shop.tallyco.io:443\n",
            "  ServerAlias www.tallyco.io\n",
        );
        assert_eq!(masked(apache), ["shop", "tallyco.io", "tallyco.io"]);
        for none in [
            "server_name = os.environ['HOST']",
            "server_name example.com www.example.com;",
            "server_name ~^(?<sub>.+)\\.tallyco\\.io$;",
            "set the server_name to your host",
            "server_name myapp.test;",
        ] {
            assert!(masked(none).is_empty(), "{none}");
        }
    }

    #[test]
    fn route53_declarations() {
        let tf = concat!(
            r#"data "aws_route53_zone" "main" {\n  name         = "tallyco.io."\n"#,
            r#"  private_zone = false\n}"#,
        );
        assert_eq!(masked(tf), ["tallyco.io"]);
        // a nested block's `name` and one after the block are not the record's
        let plan = concat!(
            "  + resource \"aws_route53_record\" \"api\" {\n",
            "      + name    = \"api.pay.tallyco.io\"\n",
            "      + alias {\n          + name = \"dualstack.x.elb.amazonaws.com\"\n        }\n",
            "    }\n  + name = \"other.tallyco.net\"\n",
        );
        assert_eq!(masked(plan), ["api.pay", "tallyco.io"]);
        // an intrinsic function, and the next resource's `Name`
        let cfn = concat!(
            "  ApiRecord:\n    Type: AWS::Route53::RecordSet\n    Properties:\n",
            "      HostedZoneName: tallyco.io.\n      Name: !Sub 'api.${Domain}'\n",
            "  Bucket:\n    Type: AWS::S3::Bucket\n    Properties:\n",
            "      Name: not-a-host.tallyco.net\n",
        );
        assert_eq!(masked(cfn), ["tallyco.io"]);
        let json = concat!(
            r#"{\"Type\": \"AWS::Route53::RecordSet\", \"Properties\": {"#,
            r#"\"Name\": \"shop.tallyco.io.\", "#,
            r#"\"AliasTarget\": {\"DNSName\": \"d1.cloudfront.net\"}}}"#,
        );
        assert_eq!(masked(json), ["shop", "tallyco.io"]);
        assert!(masked("the aws_route53_zone\" docs").is_empty());
        // the file opening a tool result's string, far into one line of JSON
        let opening = format!(
            r#"{{"id": "{}", "type": "tool_result", "content": "data \"aws_route53_zone\" {}"#,
            "x".repeat(200),
            r#"\"main\" {\n  name = \"tallyco.io.\"\n}\n"}"#,
        );
        assert_eq!(masked(&opening), ["tallyco.io"]);
        assert!(
            masked("metadata \"aws_route53_zone\" \"x\" {\n  name = \"tallyco.io\"\n}").is_empty()
        );
    }
}
