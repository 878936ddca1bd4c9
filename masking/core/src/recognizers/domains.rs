//! The account's own domains: the DNS names AWS output says the account holds.
//!
//! A company's domain is in no format; what gives it away is the resource that serves or proves
//! it. ACM issues a certificate only for names whose owner validated it (`DomainName`,
//! `SubjectAlternativeNames`); CloudFront serves its alternate names (`Aliases`' `Items`), API
//! Gateway and AppSync their custom domains (`domainName`), SES sends from verified identities
//! (`IdentityName`, `EmailIdentity`); Route 53 writes its zones' and records' names with the
//! root's dot ([`name_value`](super::name_value), and `dig`'s cells in [`aws`]).
//!
//! Such a name is masked in two parts ([`own_host`]): the labels before its registrable domain
//! (`api`, `db.internal`; one of 3 letters or fewer stays) and the registrable domain
//! (`tallyco.io`, `tallyco.co.uk`). The registrable domain, a value with a dot, is remembered
//! (see `known::guard`): it is then masked wherever it recurs, in other host names, URLs,
//! e-mail addresses and prose, with the same surrogate, so the model still reads one domain.

use std::collections::HashMap;

use memchr::memmem;

use super::aws;
use super::base::{
    escape_ends_at, field_check, field_check_with, grep_prefix_ends_at, key_variants,
    line_start_of, norm_key, opens_text, text_line, Check, CheckResult, Field, Finding, Recognizer,
    Shape, Validator, Value, KEY_ANCHOR, Q, WORD,
};
use super::names::v_name;

/// Second-level labels under which country-code domains register names (`co.uk`, `com.au`).
const CC_SECOND_LEVEL: &[&[u8]] = &[
    b"co", b"com", b"net", b"org", b"gov", b"edu", b"ac", b"or", b"ne", b"go", b"ltd", b"plc",
    b"gob", b"nic",
];

/// Domains whose customers are given names one label down (`<name>.github.io`): the
/// registrable domain is that name.
const SHARED_HOSTS: &[&[u8]] = &[
    b"github.io",
    b"gitlab.io",
    b"herokuapp.com",
    b"vercel.app",
    b"netlify.app",
    b"pages.dev",
    b"workers.dev",
    b"web.app",
    b"firebaseapp.com",
    b"appspot.com",
    b"azurewebsites.net",
    b"cloudfront.net",
    b"fly.dev",
    b"onrender.com",
    // hosted databases: `<cluster>.<id>.mongodb.net`
    b"mongodb.net",
    b"supabase.co",
    b"neon.tech",
    b"aivencloud.com",
];

/// Where a name two labels down is the customer's (`<project>.iam.gserviceaccount.com`).
const SHARED_HOSTS_3: &[&[u8]] = &[b"iam.gserviceaccount.com"];

/// Whether `host` is a name under `domain` (`a.github.io` under `github.io`; not `github.io`).
pub(super) fn under(host: &[u8], domain: &[u8]) -> bool {
    host.len() > domain.len()
        && host.ends_with(domain)
        && host[host.len() - domain.len() - 1] == b'.'
}

/// Where the registrable domain of `host` (a DNS name without the root's dot) starts: its last
/// two labels, or three under a country's second level (`co.uk`) or a shared host
/// (`github.io`). `None` when `host` is no more than such a suffix.
pub fn registrable_start(host: &[u8]) -> Option<usize> {
    let dots: Vec<usize> = memchr::memchr_iter(b'.', host).collect();
    let last = host.rsplit(|&c| c == b'.').next()?;
    let second = dots
        .last()
        .and_then(|&d| host[..d].rsplit(|&c| c == b'.').next());
    let shared = SHARED_HOSTS.iter().any(|s| under(host, s));
    let country = last.len() == 2 && second.is_some_and(|s| CC_SECOND_LEVEL.contains(&s));
    let shared_3 = SHARED_HOSTS_3.iter().any(|s| under(host, s));
    let suffix_labels = if shared_3 {
        3
    } else if shared || country {
        2
    } else {
        1
    };
    match dots.len() {
        n if n < suffix_labels => None,
        n if n == suffix_labels => Some(0),
        n => Some(dots[n - suffix_labels - 1] + 1),
    }
}

/// The findings of the account's own host name `host` lying at `start`: the labels before its
/// registrable domain (a leading `*.` stays, and so do 3 bytes or fewer: `api`, `www`, whose
/// surrogates would be words) and the registrable domain, both `aws_hostname`.
/// Empty when `host` is not a DNS name or is AWS's own (`….amazonaws.com`).
pub fn own_host(start: usize, host: &[u8]) -> Vec<Finding> {
    let wild = usize::from(host.starts_with(b"*.")) * 2;
    let name = &host[wild..];
    if !aws::own_dns_name(name) || aws::is_aws_host(name) {
        return Vec::new();
    }
    let Some(r) = registrable_start(name) else {
        return Vec::new();
    };
    // a cluster's own service names (`<service>.<namespace>.svc.cluster.local`) are no domain
    if &name[r..] == b"cluster.local" {
        return Vec::new();
    }
    let at = start + wild;
    let mut out = Vec::with_capacity(2);
    if r > 4 {
        out.push(Finding::new(
            at,
            at + r - 1,
            aws::HOSTNAME,
            Shape::Classwise,
        ));
    }
    out.push(Finding::new(
        at + r,
        at + name.len(),
        aws::HOSTNAME,
        Shape::Classwise,
    ));
    out
}

/// The labels of a host name before one of the account's registrable domains, met where the
/// domain recurs as a known value: `data[dot]` is the `.` before the domain, and the result is
/// where the labels start (`grafana.internal` in `grafana.internal.tallyco.io`). `None` for
/// 3 bytes or fewer (`api`, `www`, whose surrogates would be words, as [`own_host`] leaves them).
pub fn labels_before(data: &[u8], dot: usize) -> Option<usize> {
    let (_, i) = labels_start(data, dot);
    (dot - i > 3).then_some(i)
}

/// Where the host labels that end at `end` start, read back over letters, digits, `-` and `.`
/// (at most a host's 253 bytes; a JSON escape's letter, `\n` before the host, is no label's):
/// the run's first byte, and its first label's, past any leading `-` or `.`.
fn labels_start(data: &[u8], end: usize) -> (usize, usize) {
    let lo = end.saturating_sub(253);
    let mut i = end;
    while i > lo
        && (data[i - 1].is_ascii_alphanumeric() || matches!(data[i - 1], b'-' | b'.'))
        && !escape_ends_at(data, i - 1)
        && !(data[i - 1] == b'-' && grep_prefix_ends_at(data, i))
    {
        i -= 1;
    }
    let run = i;
    while i < end && matches!(data[i], b'-' | b'.') {
        i += 1;
    }
    (run, i)
}

/// A field value that is one of the account's host names (a trailing root dot allowed, and an
/// e-mail address, whose domain is masked), or `None`.
pub(super) fn v_domain(data: &[u8], v: &Value, _rtype: &'static str) -> Option<Vec<Finding>> {
    let tok = &data[v.start..v.end];
    let tok = tok.strip_suffix(b".").unwrap_or(tok);
    let at = memchr::memrchr(b'@', tok).map_or(0, |i| i + 1);
    let fs = own_host(v.start + at, &tok[at..]);
    (!fs.is_empty()).then_some(fs)
}

/// A name field that may hold a host (`DomainName`: ACM's and API Gateway's domain, an
/// OpenSearch domain's name): the account's host names by [`v_domain`], any other value as a
/// name.
pub(super) fn v_domain_or_name(
    data: &[u8],
    v: &Value,
    rtype: &'static str,
) -> Option<Vec<Finding>> {
    if memchr::memchr(b'.', &data[v.start..v.end]).is_some() {
        if let Some(fs) = v_domain(data, v, rtype) {
            return Some(fs);
        }
    }
    v_name(data, v, rtype)
}

/// Keys whose value (or list of values) is one of the account's host names, beside
/// `DomainName`, which the name fields read with [`v_domain_or_name`].
const DOMAIN_KEYS: &[&str] = &[
    "SubjectAlternativeNames",
    "SubjectAlternativeNameSummaries",
    "IdentityName",
    "EmailIdentity",
    "CustomDomain",
    "ValidationDomain",
    "HostedZoneName",
];

fn domain_field() -> Field {
    hostname_field(v_domain, false)
}

/// A field whose value `validate` reads for host names; with `line`, a bare value runs to the
/// end of its line (a list of hosts, a URL).
fn hostname_field(validate: Validator, line: bool) -> Field {
    Field {
        rtype: aws::HOSTNAME,
        shape: Shape::Classwise,
        validate,
        line,
    }
}

/// The host fields' check; an HTTP request's `Host:` header (a client's trace, `curl -v`) is
/// no configuration's.
fn host_fields_check() -> Check {
    let check = field_check_with(host_field, false, true, WORD);
    std::sync::Arc::new(move |data: &[u8], s: usize, e: usize| -> CheckResult {
        if data[s..].starts_with(b"Host:") {
            return None;
        }
        check(data, s, e)
    })
}

fn fields_check() -> Check {
    let table: HashMap<String, Field> = DOMAIN_KEYS
        .iter()
        .map(|k| (norm_key(k.as_bytes()), domain_field()))
        .collect();
    field_check(table, false, false, WORD)
}

/// Registrable domains of services everyone's configuration names (mail, payments, error
/// tracking, package registries, the big clouds' and vendors' APIs): a host under one is not
/// the user's. Hosts where each customer has a name (`<app>.herokuapp.com`) are
/// [`SHARED_HOSTS`], whose customer label is masked.
#[rustfmt::skip]
const SERVICE_DOMAINS: &[&[u8]] = &[
    b"gmail.com", b"google.com", b"googleapis.com", b"gstatic.com", b"github.com",
    b"githubusercontent.com", b"gitlab.com", b"bitbucket.org", b"anthropic.com", b"openai.com",
    b"stripe.com", b"slack.com", b"sendgrid.net", b"mailgun.org", b"mailgun.net",
    b"mailtrap.io", b"twilio.com", b"sentry.io", b"datadoghq.com", b"datadoghq.eu",
    b"newrelic.com", b"npmjs.org", b"npmjs.com", b"pypi.org", b"pythonhosted.org", b"docker.io",
    b"docker.com", b"cloudflare.com", b"azure.com", b"microsoft.com", b"windows.net",
    b"office365.com", b"outlook.com", b"yahoo.com", b"icloud.com", b"apple.com", b"heroku.com",
    b"okta.com", b"auth0.com", b"atlassian.net", b"atlassian.com", b"pagerduty.com",
    b"mailchimp.com", b"postmarkapp.com", b"amazon.com", b"ubuntu.com", b"debian.org",
    b"fedoraproject.org", b"alpinelinux.org", b"golang.org", b"rust-lang.org", b"crates.io",
    b"maven.org", b"apache.org", b"jfrog.io", b"quay.io", b"gcr.io", b"ghcr.io", b"k8s.io",
    b"letsencrypt.org", b"digicert.com", b"ntp.org", b"example.com", b"example.org",
    b"example.net",
];

/// The value of a host field (`DB_HOST=`, `"host":`, `redisHost:`): a host of the user's own
/// when it is a subdomain (`pg-main.tallyco.io`, not `tallyco.io` alone, which a host field
/// names as often for a vendor's site) outside AWS's and the common services' domains.
fn v_service_host(data: &[u8], v: &Value, _rtype: &'static str) -> Option<Vec<Finding>> {
    let tok = &data[v.start..v.end];
    // `db.tallyco.io:5432`
    let host = &tok[..memchr::memchr(b':', tok).unwrap_or(tok.len())];
    Some(service_host(v.start, host, false))
}

/// The findings of `host` at `start`, named by a host field: see [`v_service_host`]. With
/// `apex`, a registrable domain alone is the user's too.
fn service_host(start: usize, host: &[u8], apex: bool) -> Vec<Finding> {
    let first = host.split(|&c| c == b'.').next().unwrap_or_default();
    // a member access in code (`this.proxyURL.host`) is no host: hosts are written lower case
    if !aws::own_dns_name(host)
        || host.iter().any(u8::is_ascii_uppercase)
        || CODE_ROOTS.contains(&first)
        || registrable_start(host).is_none_or(|r| r == 0 && !apex)
        || aws::is_aws_host(host)
        || aws::is_aws_domain(host)
        || is_service_host(host)
    {
        return Vec::new();
    }
    own_host(start, host)
}

/// The value of a field that lists the application's own hosts or addresses (Django's
/// `ALLOWED_HOSTS=api.tallyco.io,.tallyco.io`, `CORS_ORIGINS`, an Ingress's `hosts:`,
/// `BASE_URL=https://app.tallyco.io/`): each host of the list, separated by commas or blanks,
/// a URL's host read from it, judged as a host field's.
fn v_service_hosts(data: &[u8], v: &Value, _rtype: &'static str) -> Option<Vec<Finding>> {
    Some(hosts_of_list(data, v, false))
}

/// The value of a field naming the user's domain (`APP_DOMAIN=tallyco.io`,
/// `SESSION_COOKIE_DOMAIN=.tallyco.io`, Terraform's `api_domain = "api.tallyco.io"`): read as
/// [`v_service_hosts`] reads a list, a registrable domain alone included.
fn v_own_domains(data: &[u8], v: &Value, _rtype: &'static str) -> Option<Vec<Finding>> {
    Some(hosts_of_list(data, v, true))
}

/// The findings of a list of hosts or URLs (see [`v_service_hosts`]); with `apex`, a
/// registrable domain alone is the user's too.
fn hosts_of_list(data: &[u8], v: &Value, apex: bool) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut i = v.start;
    while i < v.end {
        let pe = i + data[i..v.end]
            .iter()
            .take_while(|&&c| !matches!(c, b',' | b' ' | b'\t'))
            .count();
        let (ps, part) = (i, &data[i..pe]);
        i = pe + 1;
        // `https://user@host:443/path`: the host alone
        let mut hs = memmem::find(part, b"://").map_or(0, |k| k + 3);
        let authority = hs
            + part[hs..]
                .iter()
                .take_while(|&&c| !matches!(c, b'/' | b'?' | b'#'))
                .count();
        if let Some(at) = memchr::memrchr(b'@', &part[hs..authority]) {
            if part[hs..hs + at].contains(&b':') {
                continue; // a URL with a password: left to the credentials rules
            }
            hs += at + 1;
        }
        let he = hs
            + part[hs..authority]
                .iter()
                .take_while(|&&c| c != b':')
                .count();
        // Django's `.tallyco.io`: the domain and every name under it
        let lead = usize::from(part.get(hs) == Some(&b'.'));
        out.extend(service_host(
            ps + hs + lead,
            &part[hs + lead..he],
            apex || lead == 1,
        ));
    }
    out
}

/// Key endings that name the application's own address (normal form): where it is served
/// (`BASE_URL`, `NEXT_PUBLIC_SITE_URL`), where its sign-in comes back to (`REDIRECT_URI`).
const OWN_URL_KEYS: &[&str] = &[
    "baseurl",
    "appurl",
    "siteurl",
    "publicurl",
    "frontendurl",
    "backendurl",
    "apiurl",
    "externalurl",
    "callbackurl",
    "redirecturi",
    "redirecturis",
    "redirecturl",
    "nextauthurl",
];

/// Whether `host` is one of [`SERVICE_DOMAINS`] or a name under one.
pub(super) fn is_service_host(host: &[u8]) -> bool {
    SERVICE_DOMAINS
        .iter()
        .any(|d| host.eq_ignore_ascii_case(d) || under(host, d))
}

/// Keys that name a host: `host`, `hostname` and keys ending so (`DB_HOST`, `redisHost`,
/// `ansible_host`); and keys that list hosts or name the application's own address
/// (`ALLOWED_HOSTS`, `allowedOrigins`, [`OWN_URL_KEYS`]).
fn host_field(key: &str) -> Option<Field> {
    let host = key.ends_with("host") || key.ends_with("hostname");
    if host && !key.ends_with("localhost") && !key.ends_with("ghost") {
        return Some(hostname_field(v_service_host, false));
    }
    // `APP_DOMAIN`, `cookieDomain`, `api_domain`: the user's own (`DomainName`, which AWS
    // gives its own hosts and other things' names, is the name fields')
    if key.ends_with("domain") || key.ends_with("domains") {
        return Some(hostname_field(v_own_domains, true));
    }
    let list = (key.ends_with("hosts") && !key.ends_with("ghosts")) || key.ends_with("origins");
    // `DATABASE_URL` ends as `BASE_URL` does: a connection string, the connections rule's
    let own_url = OWN_URL_KEYS.iter().any(|k| key.ends_with(k)) && !key.ends_with("databaseurl");
    (list || own_url).then_some(hostname_field(v_service_hosts, true))
}

/// How far into an `Aliases` object its `Items` may lie.
const ALIASES_REACH: usize = 256;

/// CloudFront's `"Aliases": {"Quantity": 1, "Items": ["cdn.tallyco.io"]}`: the items of the
/// `Items` list in the object the key opens (a generic key, read only there).
fn check_aliases(data: &[u8], _s: usize, e: usize) -> CheckResult {
    let limit = data.len().min(e + ALIASES_REACH);
    let open = e + data[e..limit]
        .iter()
        .take_while(|&&c| matches!(c, b' ' | b'\t'))
        .count();
    if data.get(open) != Some(&b'{') {
        return None;
    }
    let close = memchr::memchr(b'}', &data[open..limit]).map_or(limit, |i| open + i);
    let items = open + memmem::find(&data[open..close], b"Items")?;
    (items_check())(data, items, items + 5)
}

fn items_check() -> &'static Check {
    static CHECK: std::sync::LazyLock<Check> = std::sync::LazyLock::new(|| {
        field_check(
            HashMap::from([("items".to_string(), domain_field())]),
            false,
            false,
            WORD,
        )
    });
    &CHECK
}

/// Top-level names no public host has, whose hosts are a private network's: `.internal`
/// (reserved for private use), `.local` (multicast DNS), and the names networks use by custom
/// (`.corp`, `.lan`, `.intranet`).
const PRIVATE_TLDS: &str = r"\.(?:internal|local|corp|lan|intranet)\b";

/// Names under a private top-level name that software gives, not the user's network.
const SOFTWARE_HOSTS: &[&[u8]] = &[
    b"docker.internal",
    b"google.internal",
    b"cluster.local",
    b"ec2.internal",
    b"compute.internal",
    b"orb.local",
];

/// First labels that make a dotted name a path in code, not a host (`self.cache.local`,
/// `com.example.internal`, a package's reversed domain).
#[rustfmt::skip]
const CODE_ROOTS: &[&[u8]] = &[
    b"this", b"self", b"window", b"module", b"exports", b"os", b"sys", b"std", b"java", b"javax",
    b"com", b"org", b"net", b"io", b"android", b"kotlin", b"google", b"golang", b"threading",
];

/// A host under a private top-level name (`ledger-db.corp.tallyco.internal`,
/// `cache-01.tallyco.lan`, `Priyas-MacBook-Pro.local`): a name of the user's network, masked
/// as the account's own host. The candidate is the top-level name; the labels are read back
/// from it. A single plain word before it (`threading.local`), a dotted path in code (a first
/// label such as `self` or `com`, an import line, a call or an index after it) and software's
/// own names (`host.docker.internal`, `*.svc.cluster.local`) stay.
fn check_private_host(data: &[u8], s: usize, e: usize) -> CheckResult {
    if let Some(&c) = data.get(e) {
        let more = c == b'.' && data.get(e + 1).is_some_and(u8::is_ascii_alphanumeric);
        if more || matches!(c, b'(' | b'[' | b'=' | b'-' | b'_') {
            return None;
        }
    }
    let (run, i) = labels_start(data, s);
    // a flag with its value glued (`-hdb.corp`): the flag's rule reads it
    let flag = data[run] == b'-' && (run == 0 || matches!(data[run - 1], b' ' | b'\t'));
    if i == s || flag {
        return None;
    }
    if i > 0 {
        // glued to code (`_x.local`, `$x.local`) or a package's scope (`@x.local/y`); an
        // address's domain (`ops@host.corp`) is read
        let address = data[i - 1] == b'@' && i >= 2 && data[i - 2].is_ascii_alphanumeric();
        if matches!(data[i - 1], b'_' | b'$') || (data[i - 1] == b'@' && !address) {
            return None;
        }
    }
    let host = &data[i..e];
    let labels: Vec<&[u8]> = data[i..s].split(|&c| c == b'.').collect();
    let word = |l: &[u8]| l.iter().all(u8::is_ascii_alphabetic);
    if (labels.len() == 1 && word(labels[0]))
        || CODE_ROOTS.iter().any(|r| r.eq_ignore_ascii_case(labels[0]))
        || SOFTWARE_HOSTS
            .iter()
            .any(|h| host.eq_ignore_ascii_case(h) || under(host, h))
        || aws::is_aws_host(host)
    {
        return None;
    }
    if let Some(ls) = line_start_of(data, i, 512) {
        let line = data[ls..i].trim_ascii_start();
        if [&b"from "[..], b"import ", b"package "]
            .iter()
            .any(|k| line.starts_with(k))
        {
            return None;
        }
    }
    let fs = own_host(i, host);
    (!fs.is_empty()).then_some((fs, e))
}

/// The keywords of an `ssh_config` host block (`man ssh_config`), lower case: the indented
/// lines after a `Host` line that make it one.
#[rustfmt::skip]
const SSH_KEYWORDS: &[&[u8]] = &[
    b"hostname", b"user", b"port", b"identityfile", b"proxyjump", b"proxycommand",
    b"forwardagent", b"localforward", b"remoteforward", b"dynamicforward", b"identitiesonly",
    b"stricthostkeychecking", b"userknownhostsfile", b"serveraliveinterval", b"addkeystoagent",
    b"usekeychain", b"preferredauthentications", b"controlmaster", b"controlpath",
    b"controlpersist", b"loglevel", b"certificatefile", b"connecttimeout",
];

/// A host name in `ssh_config`: the user's own (a DNS name, masked as [`own_host`]; an alias
/// the user made up, masked whole), unless it is a pattern (`*`), a public forge's, AWS's or
/// an address (the address rules' own).
pub(super) fn ssh_host(data: &[u8], s: usize, e: usize, out: &mut Vec<Finding>) {
    let host = &data[s..e];
    if host.is_empty()
        || host.iter().any(|c| matches!(c, b'*' | b'?' | b'!' | b'%'))
        || super::git::FORGES
            .iter()
            .any(|f| host.eq_ignore_ascii_case(f) || under(host, f))
        || aws::is_aws_host(host)
        || host.iter().all(|c| c.is_ascii_digit() || *c == b'.')
        || host.eq_ignore_ascii_case(b"localhost")
    {
        return;
    }
    if host.contains(&b'.') {
        out.extend(own_host(s, host));
    } else if host.len() >= 5 || host.iter().any(|c| c.is_ascii_digit() || *c == b'-') {
        out.push(Finding::new(s, e, aws::HOSTNAME, Shape::Classwise));
    }
}

/// The end of the host name or pattern from `i` (before `end`).
fn host_token_end(data: &[u8], i: usize, end: usize) -> usize {
    i + data[i..end]
        .iter()
        .take_while(|&&c| {
            c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'*' | b'?' | b'!')
        })
        .count()
}

/// An `ssh_config` host block (`~/.ssh/config`): the names after `Host` and the block's
/// `HostName` and `ProxyJump` hosts, when indented lines with ssh's keywords follow the `Host`
/// line.
fn check_ssh_config(data: &[u8], s: usize, e: usize) -> CheckResult {
    if !opens_text(data, s) {
        return None;
    }
    let (_, host_end, mut i) = text_line(data, e)?;
    let mut out = Vec::new();
    let mut keywords = 0;
    for _ in 0..64 {
        let Some((a, b, next)) = text_line(data, i) else {
            break;
        };
        let ind = data[a..b]
            .iter()
            .take_while(|&&c| c == b' ' || c == b'\t')
            .count();
        if ind == 0 || a + ind == b {
            break; // the block ends at a line that is not indented
        }
        let ks = a + ind;
        let ke = ks
            + data[ks..b]
                .iter()
                .take_while(|c| c.is_ascii_alphabetic())
                .count();
        let keyword = data[ks..ke].to_ascii_lowercase();
        if !SSH_KEYWORDS.contains(&keyword.as_slice()) {
            break;
        }
        keywords += 1;
        let vs = ke
            + data[ke..b]
                .iter()
                .take_while(|&&c| matches!(c, b' ' | b'\t' | b'='))
                .count();
        if keyword == b"hostname" || keyword == b"proxyjump" {
            // `ProxyJump ops@jump-01:2222,bastion`: each hop's host
            let mut ps = vs;
            while ps < b {
                let pe = ps + memchr::memchr(b',', &data[ps..b]).unwrap_or(b - ps);
                let hs = ps + memchr::memchr(b'@', &data[ps..pe]).map_or(0, |k| k + 1);
                ssh_host(data, hs, host_token_end(data, hs, pe), &mut out);
                ps = pe + 1;
            }
        }
        if next == b {
            break;
        }
        i = next;
    }
    if keywords == 0 {
        return None;
    }
    // the names, up to a comment
    let host_end = e + memchr::memchr(b'#', &data[e..host_end]).unwrap_or(host_end - e);
    let mut names = Vec::new();
    let mut k = e;
    while k < host_end {
        let te = host_token_end(data, k, host_end);
        ssh_host(data, k, te, &mut names);
        k = te + 1;
    }
    names.extend(out);
    Some((names, e))
}

pub fn recognizers() -> Vec<Recognizer> {
    let mut keys: Vec<String> = DOMAIN_KEYS.iter().map(|k| key_variants(k)).collect();
    keys.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    vec![
        Recognizer::with_check(
            "domains.fields",
            format!("(?:{}){}", keys.join("|"), KEY_ANCHOR),
            fields_check(),
            &[aws::HOSTNAME],
        ),
        Recognizer::new(
            "domains.private_host",
            PRIVATE_TLDS,
            check_private_host,
            &[aws::HOSTNAME],
        ),
        Recognizer::with_check(
            "domains.host_fields",
            format!(
                "(?:(?:host|HOST|Host)(?:name|Name|NAME|s|S)?|(?:origin|ORIGIN|Origin)[sS]\
                 |(?:url|URL|Url|uri|URI|Uri)[sS]?|(?:domain|DOMAIN|Domain)[sS]?){KEY_ANCHOR}"
            ),
            host_fields_check(),
            &[aws::HOSTNAME],
        ),
        Recognizer::new(
            "domains.ssh_config",
            r"Host[ \t]+",
            check_ssh_config,
            &[aws::HOSTNAME],
        ),
        Recognizer::new(
            "domains.aliases",
            format!(r"{Q}Aliases{Q}[ \t]{{0,16}}:"),
            check_aliases,
            &[aws::HOSTNAME],
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apex(host: &str) -> Option<&str> {
        registrable_start(host.as_bytes()).map(|r| &host[r..])
    }

    /// The labels [`labels_before`] gives for the host ending in `.tallyco.io` in `text`.
    fn labels(text: &str) -> Option<&str> {
        let dot = text.find(".tallyco.io").expect("a host under the domain");
        labels_before(text.as_bytes(), dot).map(|i| &text[i..dot])
    }

    #[test]
    fn labels_before_a_known_domain() {
        assert_eq!(
            labels("10.1.2.3 vault-01.internal.tallyco.io vault"),
            Some("vault-01.internal")
        );
        assert_eq!(labels("https://grafana.tallyco.io/d/x"), Some("grafana"));
        assert_eq!(labels(r#""Host":"\ndb-1.tallyco.io""#), Some("db-1"));
        assert_eq!(labels(r"line\u0041edge.tallyco.io"), Some("edge"));
        assert_eq!(labels("*.stage.tallyco.io"), Some("stage"));
        assert_eq!(labels("see -.ledger.tallyco.io"), Some("ledger"));
        assert_eq!(labels("https://api.tallyco.io"), None);
        assert_eq!(labels("at www.tallyco.io"), None);
        assert_eq!(labels(" .tallyco.io"), None);
    }

    #[test]
    fn registrable_domains() {
        assert_eq!(apex("api.tallyco.io"), Some("tallyco.io"));
        assert_eq!(apex("tallyco.io"), Some("tallyco.io"));
        assert_eq!(apex("a.b.tallyco.co.uk"), Some("tallyco.co.uk"));
        assert_eq!(apex("docs.tallyco.github.io"), Some("tallyco.github.io"));
        assert_eq!(
            apex("ci.ledger-4821.iam.gserviceaccount.com"),
            Some("ledger-4821.iam.gserviceaccount.com")
        );
        assert_eq!(apex("shop.tallyco.com.au"), Some("tallyco.com.au"));
        // a two-letter label under a generic top-level domain is a name of its own
        assert_eq!(apex("www.co.com"), Some("co.com"));
        assert_eq!(apex("co.uk"), None);
        assert_eq!(apex("github.io"), Some("github.io"));
        assert_eq!(apex("io"), None);
    }

    #[test]
    fn a_host_is_masked_in_two_parts() {
        fn spans(h: &str) -> Vec<&str> {
            own_host(0, h.as_bytes())
                .iter()
                .map(|f| &h[f.start..f.end])
                .collect()
        }
        assert_eq!(
            spans("db.internal.tallyco.io"),
            ["db.internal", "tallyco.io"]
        );
        assert_eq!(spans("*.tallyco.io"), ["tallyco.io"]);
        assert_eq!(spans("api.tallyco.io"), ["tallyco.io"]);
        assert_eq!(spans("tallyco.io"), ["tallyco.io"]);
        assert!(spans("orders.eu-west-1.es.amazonaws.com").is_empty());
        assert!(spans("v1.2").is_empty());
    }
}
