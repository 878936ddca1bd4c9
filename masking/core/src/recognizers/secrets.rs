//! Credentials: provider tokens with a documented prefix, JWTs, private keys, passwords in URLs,
//! authorization headers, AWS secret keys and session tokens, and values assigned to secret-like
//! keys in config formats (.env, YAML, INI, JSON, properties, Terraform, code, CLI flags).
//!
//! Token formats are public facts (provider docs,
//! gitleaks and detect-secrets rule sets). The candidate pattern is a cheap literal prefix; the
//! check re-matches the full token and tests its boundaries. The prefix that names the provider
//! (`ghp_`, `sk-ant-api03-`) is kept so that a surrogate is still recognizable; everything after
//! it is masked.

use std::sync::{Arc, LazyLock, OnceLock};

use regex::bytes::{Regex, RegexBuilder};

use super::base::{
    at_line_start, escape_ends_at, field_check_with, left_ok, norm_key, quoted_end, right_ok,
    unescape, ByteTable, CheckResult, Field, Finding, Recognizer, Shape, TypeInfo, Value, ALNUM,
    WORD,
};
use super::parameters::parameter_path;

pub const CATEGORY: &str = "secret";

const CW: Shape = Shape::Classwise;

/// A regex over bytes with Unicode off (as Python `re` on bytes), room for long repetitions.
fn rx(pattern: &str) -> Regex {
    RegexBuilder::new(pattern)
        .unicode(false)
        .size_limit(64 << 20)
        .dfa_size_limit(8 << 20)
        .build()
        .unwrap_or_else(|e| panic!("secrets pattern {pattern}: {e}"))
}

/// Python's `pattern.match(data, s, end)` for a pattern that starts with `^(?:...)`: the end of
/// the match, or `None`.
fn match_end(re: &Regex, data: &[u8], s: usize, end: usize) -> Option<usize> {
    let end = end.min(data.len());
    if s > end {
        return None;
    }
    re.find(&data[s..end]).map(|m| s + m.end())
}

fn has_digit(v: &[u8]) -> bool {
    v.iter().any(u8::is_ascii_digit)
}

// ---------------------------------------------------------------- provider tokens

/// `(type, full pattern, bytes of the literal prefix to keep, description)`. A pattern that
/// starts with `<N>` begins with a class: the scan looks for its distinctive middle (see
/// [`anchor`]) and the check finds the token's start up to `N` bytes to the left.
const TOKENS: &[(&str, &str, usize, &str)] = &[
    (
        "github_pat",
        r"ghp_[A-Za-z0-9]{36}",
        4,
        "GitHub personal access token (classic)",
    ),
    (
        "github_oauth",
        r"gho_[A-Za-z0-9]{36}",
        4,
        "GitHub OAuth access token",
    ),
    (
        "github_user_token",
        r"ghu_[A-Za-z0-9]{36}",
        4,
        "GitHub user-to-server token",
    ),
    (
        "github_app_token",
        r"ghs_[A-Za-z0-9]{36}",
        4,
        "GitHub app installation token",
    ),
    (
        "github_refresh_token",
        r"ghr_[A-Za-z0-9]{36,76}",
        4,
        "GitHub refresh token",
    ),
    (
        "github_fine_grained_pat",
        r"github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}",
        11,
        "GitHub fine-grained personal access token",
    ),
    (
        "gitlab_pat",
        r"glpat-[A-Za-z0-9_-]{20,50}",
        6,
        "GitLab personal access token",
    ),
    (
        "gitlab_token",
        r"(?:gldt|glptt|glrt|glcbt|glsoat|gloas|glft|glimt|glagent|glffct|glwt)-[A-Za-z0-9_-]{20,64}",
        0,
        "GitLab deploy/trigger/runner/feed/agent token",
    ),
    (
        "gitlab_runner_registration",
        r"GR1348941[A-Za-z0-9_-]{20}",
        9,
        "GitLab runner registration token",
    ),
    (
        "slack_token",
        r"xox[abposre]-[0-9A-Za-z-]{10,250}",
        5,
        "Slack bot/user/app token",
    ),
    (
        "slack_app_token",
        r"xapp-[0-9]-[A-Z0-9]{6,16}-[0-9]{6,16}-[a-z0-9]{32,80}",
        5,
        "Slack app-level token",
    ),
    (
        "slack_config_token",
        r"xoxe\.xox[bp]-[0-9]-[A-Za-z0-9]{100,200}",
        10,
        "Slack configuration token",
    ),
    (
        "stripe_secret_key",
        r"(?:sk|rk)_(?:live|test|prod)_[A-Za-z0-9]{10,247}",
        0,
        "Stripe secret or restricted key",
    ),
    (
        "stripe_webhook_secret",
        r"whsec_[A-Za-z0-9]{32,64}",
        6,
        "Stripe webhook signing secret",
    ),
    (
        "google_api_key",
        r"AIza[0-9A-Za-z_-]{35}",
        4,
        "Google API key",
    ),
    (
        "google_oauth_client_secret",
        r"GOCSPX-[A-Za-z0-9_-]{28}",
        7,
        "Google OAuth client secret",
    ),
    (
        "google_oauth_token",
        r"ya29\.[0-9A-Za-z_-]{20,2000}",
        5,
        "Google OAuth access token",
    ),
    (
        "openai_api_key",
        r"sk-(?:proj|svcacct|admin|None)-[A-Za-z0-9_-]{40,250}",
        3,
        "OpenAI project/service-account/admin key",
    ),
    (
        "openai_api_key",
        r"sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}",
        3,
        "OpenAI legacy key",
    ),
    (
        "anthropic_api_key",
        r"sk-ant-(?:api|admin|oat|ort)[0-9]{2}-[A-Za-z0-9_-]{80,120}",
        0,
        "Anthropic API/admin/OAuth key",
    ),
    ("npm_token", r"npm_[A-Za-z0-9]{36}", 4, "npm access token"),
    (
        "pypi_token",
        r"pypi-[A-Za-z0-9_-]{50,250}",
        5,
        "PyPI upload token",
    ),
    (
        "sendgrid_api_key",
        r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}",
        3,
        "SendGrid API key",
    ),
    ("twilio_api_key", r"SK[0-9a-f]{32}", 2, "Twilio API key SID"),
    (
        "huggingface_token",
        r"hf_[A-Za-z]{34}",
        3,
        "Hugging Face access token",
    ),
    (
        "huggingface_org_token",
        r"api_org_[A-Za-z]{34}",
        8,
        "Hugging Face organization token",
    ),
    (
        "digitalocean_token",
        r"do[opr]_v1_[a-f0-9]{64}",
        7,
        "DigitalOcean PAT/OAuth/refresh token",
    ),
    (
        "heroku_api_key",
        r"HRKU-AA[0-9A-Za-z_-]{58}",
        5,
        "Heroku API key",
    ),
    (
        "shopify_token",
        r"shp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}",
        6,
        "Shopify access token",
    ),
    (
        "databricks_token",
        r"dapi[a-f0-9]{32}(?:-[0-9])?",
        4,
        "Databricks token",
    ),
    (
        "doppler_token",
        r"dp\.(?:pt|st|ct|scim|audit)\.[A-Za-z0-9]{40,44}",
        0,
        "Doppler token",
    ),
    (
        "dynatrace_token",
        r"dt0c01\.[A-Z0-9]{24}\.[A-Z0-9]{64}",
        7,
        "Dynatrace API token",
    ),
    (
        "grafana_token",
        r"glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}|glc_[A-Za-z0-9+/]{32,400}={0,2}",
        0,
        "Grafana service account or cloud token",
    ),
    (
        "linear_api_key",
        r"lin_api_[A-Za-z0-9]{40}",
        8,
        "Linear API key",
    ),
    (
        "mailgun_api_key",
        r"key-[0-9a-zA-Z]{32}",
        4,
        "Mailgun API key",
    ),
    (
        "mailchimp_api_key",
        r"<32>[0-9a-f]{32}-us[0-9]{1,2}",
        0,
        "Mailchimp API key",
    ),
    (
        "newrelic_key",
        r"NR(?:AK|II|JS|AA)-[A-Za-z0-9]{27}",
        5,
        "New Relic key",
    ),
    (
        "postman_api_key",
        r"PMAK-[a-f0-9]{24}-[a-f0-9]{34}",
        5,
        "Postman API key",
    ),
    (
        "pulumi_token",
        r"pul-[a-f0-9]{40}",
        4,
        "Pulumi access token",
    ),
    (
        "sentry_token",
        r"sntry[su]_[A-Za-z0-9+/=_]{40,200}",
        7,
        "Sentry auth token",
    ),
    (
        "terraform_cloud_token",
        r"<14>[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,70}",
        0,
        "Terraform Cloud API token",
    ),
    (
        "vault_token",
        r"hv[sbr]\.[A-Za-z0-9_-]{24,200}",
        4,
        "HashiCorp Vault token",
    ),
    (
        "telegram_bot_token",
        r"<16>[0-9]{5,16}:AA[0-9A-Za-z_-]{33}",
        0,
        "Telegram bot token",
    ),
    (
        "square_token",
        r"sq0(?:atp|csp)-[0-9A-Za-z_-]{22,43}|EAAA[A-Za-z0-9_-]{60}",
        0,
        "Square access token or secret",
    ),
    (
        "age_secret_key",
        r"AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}",
        16,
        "age encryption secret key",
    ),
    (
        "clojars_token",
        r"CLOJARS_[a-z0-9]{60}",
        8,
        "Clojars deploy token",
    ),
    (
        "flyio_token",
        r"fo1_[A-Za-z0-9_-]{43}|fm[12][ar]?_[A-Za-z0-9+/=_-]{100,1000}",
        0,
        "Fly.io token",
    ),
    (
        "planetscale_token",
        r"pscale_(?:tkn|pw|oauth)_[A-Za-z0-9_.=-]{32,64}",
        0,
        "PlanetScale token or password",
    ),
    (
        "rubygems_api_key",
        r"rubygems_[a-f0-9]{48}",
        9,
        "RubyGems API key",
    ),
    (
        "supabase_token",
        r"sbp_[a-f0-9]{40}",
        4,
        "Supabase access token",
    ),
    (
        "notion_token",
        r"ntn_[A-Za-z0-9]{46}",
        4,
        "Notion integration token",
    ),
    (
        "replicate_token",
        r"r8_[A-Za-z0-9]{37}",
        3,
        "Replicate API token",
    ),
    ("groq_api_key", r"gsk_[A-Za-z0-9]{52}", 4, "Groq API key"),
    (
        "perplexity_api_key",
        r"pplx-[A-Za-z0-9]{48}",
        5,
        "Perplexity API key",
    ),
    ("xai_api_key", r"xai-[A-Za-z0-9]{80}", 4, "xAI API key"),
    (
        "atlassian_token",
        r"ATATT3[A-Za-z0-9_=-]{180,200}",
        6,
        "Atlassian API token",
    ),
    (
        "contentful_token",
        r"CFPAT-[A-Za-z0-9_-]{43}",
        6,
        "Contentful personal access token",
    ),
    (
        "easypost_api_key",
        r"EZ[AT]K[A-Za-z0-9]{54}",
        4,
        "EasyPost API key",
    ),
    (
        "brevo_api_key",
        r"xkeysib-[a-f0-9]{64}-[A-Za-z0-9]{16}",
        8,
        "Brevo (Sendinblue) API key",
    ),
    (
        "shippo_token",
        r"shippo_(?:live|test)_[a-f0-9]{40}",
        12,
        "Shippo API token",
    ),
    (
        "prefect_token",
        r"pnu_[A-Za-z0-9]{36}",
        4,
        "Prefect API key",
    ),
    ("adafruit_key", r"aio_[A-Za-z0-9]{28}", 4, "Adafruit IO key"),
    (
        "mapbox_secret_token",
        r"sk\.eyJ[A-Za-z0-9_-]{20,200}\.[A-Za-z0-9_-]{20,50}",
        3,
        "Mapbox secret token",
    ),
    (
        "aws_appsync_api_key",
        r"da2-[a-z0-9]{26}",
        4,
        "AppSync API key",
    ),
    (
        "duffel_token",
        r"duffel_(?:test|live)_[A-Za-z0-9_=-]{43}",
        12,
        "Duffel API token",
    ),
    (
        "frameio_token",
        r"fio-u-[A-Za-z0-9_=-]{64}",
        6,
        "Frame.io token",
    ),
    (
        "octopus_api_key",
        r"API-[A-Z0-9]{26}",
        4,
        "Octopus Deploy API key",
    ),
    (
        "azure_ad_client_secret",
        r"<4>[A-Za-z0-9_~.]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34}",
        0,
        "Azure AD (Entra) client secret",
    ),
    (
        "aws_session_token",
        r"(?:FwoGZXIvYXdz|FQoGZXIvYXdz|FQoDYXdz|IQoJb3JpZ2lu|IQoDYXdz|AQoDYXdz|AQoEXAMPLE)(?:[A-Za-z0-9+=]|\\{0,3}/){40,2000}",
        0,
        "AWS STS session token (by its well-known prefix)",
    ),
    (
        "aws_ecr_login_token",
        r"eyJwYXlsb2FkIjoi[A-Za-z0-9+/]{200,12000}={0,2}",
        16,
        "ECR login password (base64 JSON with payload and data key)",
    ),
];

/// The scan pattern of a token that starts with a class: its distinctive middle instead.
fn anchor(rtype: &str) -> Option<&'static str> {
    Some(match rtype {
        "mailchimp_api_key" => r"-us[0-9]",
        "terraform_cloud_token" => r"\.atlasv1\.",
        "telegram_bot_token" => r"[0-9]:AA[0-9A-Za-z_-]{33}",
        "azure_ad_client_secret" => r"[0-9]Q~[A-Za-z0-9_~.-]{31}",
        "aws_session_token" => {
            r"FwoGZXIvYXdz|FQoGZXIvYXdz|FQoDYXdz|IQoJb3JpZ2lu|IQoDYXdz|AQoDYXdz|AQoEXAMPLE"
        }
        _ => return None,
    })
}

/// `<N>pattern` -> `(N, pattern)`; `(0, pattern)` without the marker.
fn split_back(pattern: &str) -> (usize, &str) {
    if let Some(rest) = pattern.strip_prefix('<') {
        if let Some(close) = rest.find('>') {
            if let Ok(n) = rest[..close].parse() {
                return (n, &rest[close + 1..]);
            }
        }
    }
    (0, pattern)
}

/// The scan pattern of a token: each alternative cut after its first counted class, the count
/// at most 4 (`ghp_[A-Za-z0-9]{36}` -> `ghp_[A-Za-z0-9]{4}`).
///
/// Any text the full pattern matches at an offset also matches this there, and the check
/// re-matches the full pattern, so the findings are the same; long counted classes in the
/// combined automaton would multiply its states instead.
fn scan_prefix(pattern: &str) -> String {
    let b = pattern.as_bytes();
    let mut out = String::with_capacity(pattern.len());
    let mut depth = 0usize;
    let mut cut = false; // the current top-level alternative is complete
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'|' && depth == 0 {
            out.push('|');
            cut = false;
            i += 1;
            continue;
        }
        let next = match c {
            b'\\' => i + 2,
            b'[' => {
                let mut j = i + 1;
                if j < b.len() && b[j] == b'^' {
                    j += 1;
                }
                j += 1; // a ']' right after '[' is literal
                while j < b.len() && b[j] != b']' {
                    j += if b[j] == b'\\' { 2 } else { 1 };
                }
                j + 1
            }
            b'{' => {
                let close = i + pattern[i..].find('}').unwrap_or(0);
                let low: usize = pattern[i + 1..close]
                    .split(',')
                    .next()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
                if !cut && depth > 0 {
                    out.push_str(&pattern[i..=close]); // inside a group: kept as it is
                } else if !cut {
                    out.push_str(&format!("{{{}}}", low.min(4)));
                    cut = true;
                }
                i = close + 1;
                continue;
            }
            _ => i + 1,
        };
        if c == b'(' {
            depth += 1;
        } else if c == b')' {
            depth = depth.saturating_sub(1);
        }
        if !cut {
            out.push_str(&pattern[i..next]);
        }
        i = next;
    }
    out
}

/// Azure client secrets are not glued to a longer base64 or URL-safe token.
const GLUE_AZURE: ByteTable = {
    let mut t = ALNUM;
    let extra = b"_~.-+/";
    let mut i = 0;
    while i < extra.len() {
        t[extra[i] as usize] = true;
        i += 1;
    }
    t
};

/// Tokens whose prefix has alternatives of different lengths (`sk_live_`, `rk_test_`;
/// `glpat-`, `gldt-`): the prefix kept is the token's first N separator-ended words.
const PREFIX_WORDS: &[(&str, usize)] = &[
    ("stripe_secret_key", 2),
    ("gitlab_token", 1),
    ("anthropic_api_key", 3),
    ("doppler_token", 2),
    ("planetscale_token", 2),
    ("flyio_token", 1),
    ("grafana_token", 1),
];

/// The length of the prefix to keep of the token `tok` of `rtype`: through its first `n`
/// separators (`_`, `-`, `.`) for the types of [`PREFIX_WORDS`], else 0.
fn prefix_words_len(rtype: &str, tok: &[u8]) -> usize {
    let Some(&(_, n)) = PREFIX_WORDS.iter().find(|(t, _)| *t == rtype) else { return 0 };
    tok.iter()
        .take(16)
        .enumerate()
        .filter(|(_, c)| matches!(c, b'_' | b'-' | b'.'))
        .nth(n - 1)
        .map_or(0, |(i, _)| i + 1)
}

fn token_recognizer(rtype: &'static str, pattern: &'static str, keep: usize) -> Recognizer {
    let (back, full) = split_back(pattern);
    let compiled: Arc<OnceLock<Regex>> = Arc::new(OnceLock::new());
    let scan = scan_prefix(anchor(rtype).unwrap_or(full));
    let check = move |data: &[u8], s: usize, _e: usize| -> CheckResult {
        let re = compiled.get_or_init(|| rx(&format!("^(?:{full})")));
        // an ECR login password runs to a few thousand bytes
        let window = if rtype == "aws_ecr_login_token" {
            12100
        } else {
            2100
        };
        let mut s = s;
        let end;
        if back > 0 {
            // the candidate is the token's middle: find the token's start up to `back` bytes left
            let mut hit = None;
            for a in s.saturating_sub(back)..=s {
                if let Some(me) = match_end(re, data, a, a + window) {
                    if me > s && left_ok(data, a, &ALNUM) {
                        hit = Some((a, me));
                        break;
                    }
                }
            }
            let (a, me) = hit?;
            s = a;
            end = me;
        } else {
            end = match_end(re, data, s, s + window)?;
        }
        if !left_ok(data, s, &ALNUM) || !right_ok(data, end, &ALNUM) {
            return None;
        }
        if rtype == "azure_ad_client_secret" && !left_ok(data, s, &GLUE_AZURE) {
            return None; // inside a longer base64 or URL-safe token
        }
        let keep = if keep == 0 { prefix_words_len(rtype, &data[s..end]) } else { keep };
        Some((vec![Finding::new(s + keep, end, rtype, CW)], end))
    };
    Recognizer::with_check(&format!("secrets.{rtype}"), scan, Arc::new(check), &[rtype])
}

// ---------------------------------------------------------------- JWT

/// A run of `[A-Za-z0-9_-]` from `i`, at most `max` bytes, before `end`: its end.
fn b64url_run(data: &[u8], i: usize, end: usize, max: usize) -> usize {
    let mut j = i;
    while j < end && j - i < max && (WORD[data[j] as usize] || data[j] == b'-') {
        j += 1;
    }
    j
}

/// `ey[A-Za-z0-9_-]{10,3000}\.ey[A-Za-z0-9_-]{10,4000}\.[A-Za-z0-9_-]{0,1000}` at `s`.
fn jwt_at(data: &[u8], s: usize, end: usize) -> Option<(usize, usize, usize)> {
    let part = |i: usize, max: usize| -> Option<usize> {
        if i + 2 > end || &data[i..i + 2] != b"ey" {
            return None;
        }
        let j = b64url_run(data, i + 2, end, max);
        (j - (i + 2) >= 10 && j < end && data[j] == b'.').then_some(j)
    };
    let d1 = part(s, 3000)?;
    let d2 = part(d1 + 1, 4000)?;
    Some((d1, d2, b64url_run(data, d2 + 1, end, 1000)))
}

fn check_jwt(data: &[u8], s: usize, _e: usize) -> CheckResult {
    let (d1, d2, e) = jwt_at(data, s, data.len().min(s + 8000))?;
    if !left_ok(data, s, &ALNUM) || !right_ok(data, e, &WORD) {
        return None;
    }
    let mut out = vec![
        Finding::new(s, d1, "jwt", CW),
        Finding::new(d1 + 1, d2, "jwt", CW),
    ];
    if e > d2 + 1 {
        out.push(Finding::new(d2 + 1, e, "jwt", CW));
    }
    Some((out, e))
}

// ---------------------------------------------------------------- private keys

static PEM_BEGIN: LazyLock<Regex> =
    LazyLock::new(|| rx(r"^-----BEGIN ((?:[A-Z0-9]+ ){0,3})PRIVATE KEY( BLOCK)?-----"));

/// `(?:Proc-Type|DEK-Info|Comment|Version):[^\r\n\\]*` at `j`: its end.
fn pem_header_line(data: &[u8], j: usize, end: usize) -> Option<usize> {
    let rest = &data[j..end];
    let name = [&b"Proc-Type:"[..], b"DEK-Info:", b"Comment:", b"Version:"]
        .into_iter()
        .find(|n| rest.starts_with(n))?;
    let mut k = j + name.len();
    while k < end && !matches!(data[k], b'\r' | b'\n' | b'\\') {
        k += 1;
    }
    Some(k)
}

fn is_b64(c: u8) -> bool {
    ALNUM[c as usize] || matches!(c, b'+' | b'/' | b'=')
}

fn check_private_key(data: &[u8], s: usize, e: usize) -> CheckResult {
    let header_end = match_end(&PEM_BEGIN, data, s, e)?;
    let limit = data.len().min(s + 8000);
    let end_marker =
        memchr::memmem::find(&data[header_end..limit], b"-----END ").map(|k| header_end + k);
    let body_end = end_marker.unwrap_or(limit);
    let mut out = Vec::new();
    let mut j = header_end;
    while j < body_end {
        if let Some(h) = pem_header_line(data, j, body_end) {
            j = h;
            continue;
        }
        if is_b64(data[j]) {
            let mut a = j;
            let mut b = j;
            while b < body_end && is_b64(data[b]) {
                b += 1;
            }
            // a run right after an escaping backslash starts with the escape letter ('\n')
            if a > 0 && data[a - 1] == b'\\' && escape_ends_at(data, a) {
                a += 1;
            }
            if b > a {
                out.push(Finding::new(a, b, "private_key", CW));
            }
            j = b;
            continue;
        }
        j += 1;
    }
    // a placeholder such as '<a very long private key string>' has no base64 run of any length
    if out.iter().map(|f| f.end - f.start).max().unwrap_or(0) < 20 {
        return None;
    }
    Some((out, body_end))
}

// ---------------------------------------------------------------- URLs with credentials

static URL_CRED: LazyLock<Regex> = LazyLock::new(|| {
    rx(
        r#"^([a-zA-Z][a-zA-Z0-9+.-]{1,30}):(?:\\{0,7}/){2}([^\s:/@"'\\<>]{0,128})(?::([^\s/@"'\\<>]{1,256}))?@[A-Za-z0-9\[]"#,
    )
});

const DB_SCHEMES: &[&[u8]] = &[
    b"postgres",
    b"postgresql",
    b"mysql",
    b"mariadb",
    b"mongodb",
    b"mongodb+srv",
    b"redis",
    b"rediss",
    b"amqp",
    b"amqps",
    b"mssql",
    b"sqlserver",
    b"oracle",
    b"cockroachdb",
    b"clickhouse",
    b"jdbc:postgresql",
    b"jdbc:mysql",
    b"memcached",
    b"couchdb",
    b"neo4j",
    b"cassandra",
    b"elasticsearch",
];

/// Words that stand for a password rather than being one.
const PW_STOP: &[&[u8]] = &[
    b"password",
    b"pass",
    b"passwd",
    b"pwd",
    b"secret",
    b"token",
    b"changeme",
    b"xxx",
    b"xxxx",
    b"xxxxx",
    b"*****",
    b"****",
    b"***",
    b"...",
    b"user",
    b"username",
    b"x",
    b"null",
    b"none",
    b"undefined",
    b"example",
    b"your-password",
    b"yourpassword",
    b"mypassword",
    b"<password>",
    b"pw",
    b"p@ssw0rd",
];

fn in_lower(set: &[&[u8]], v: &[u8]) -> bool {
    set.iter().any(|w| w.eq_ignore_ascii_case(v))
}

/// Template syntax and masks: `${X}`, `$(cmd)`, `{{ x }}`, `%(name)s`, `<password>`, `****`,
/// `xxxx`, `...`. A template holds a name or a path and is closed, or is the whole value cut
/// at a blank (a bare value ends there: `{{ .Values.password }}` is read as `{{`, `<your
/// password>` as `<your`); `<name>` is the value or a part of a URL's or a DSN's. `<T`,
/// `${~"f9}`, `$({{\f:6)` and `"<io>S` inside a generated password (drawn from every mark)
/// are none.
static TEMPLATE: LazyLock<Regex> = LazyLock::new(|| {
    rx(concat!(
        r"\$\{\{?[ A-Za-z0-9_.:/-]*\}|\$\([ A-Za-z0-9_./-]*\)|\{\{[ A-Za-z0-9_.:/|$-]*\}\}",
        r"|%\([A-Za-z_][A-Za-z0-9_]*\)",
        r"|^(?:\$\{|\$\(|\{\{|<)[A-Za-z0-9_. -]*$",
        r"|(?:^|[:=/@])<[A-Za-z_][A-Za-z0-9_ .-]*>(?:$|[:/@])",
        r"|\*{3,}|x{4,}|X{4,}|\.\.\.",
    ))
});

/// A value that stands for a secret rather than being one: template syntax or a mask
/// ([`TEMPLATE`]), or a variable reference ([`variable_reference`]).
fn is_placeholder(v: &[u8]) -> bool {
    TEMPLATE.is_match(v) || variable_reference(v)
}

/// A shell or code variable in a value: `$DB_PASSWORD` (upper case, at the start or after
/// punctuation: `pre-$PGPASS`, to the value's end or a path, host or port) or a whole value
/// `$password` (PHP, Perl, a shell argument).
/// A `$` inside a generated password is no reference: `Vq8#mL2$zR9!` has an alphanumeric byte
/// before its `$` and a mixed-case name after it.
fn variable_reference(v: &[u8]) -> bool {
    for i in memchr::memchr_iter(b'$', v) {
        let ns = i + 1;
        if ns >= v.len() || !(v[ns].is_ascii_alphabetic() || v[ns] == b'_') {
            continue;
        }
        let mut ne = ns;
        while ne < v.len() && WORD[v[ne] as usize] {
            ne += 1;
        }
        let name = &v[ns..ne];
        let upper = name.iter().all(|c| !c.is_ascii_lowercase());
        let lower = name.iter().all(|c| !c.is_ascii_uppercase());
        // a name of three bytes or more that the value ends with, or a path, host or port
        // goes on from (`$DB_PASS@db:5432`): a `$` and a capital or two inside a generated
        // password (`7}\$R}v`) are no reference
        let ends = ne == v.len() || matches!(v[ne], b'/' | b':' | b'@' | b'.' | b'-');
        if upper && name.len() >= 3 && ends && (i == 0 || !ALNUM[v[i - 1] as usize]) {
            return true;
        }
        if lower && i == 0 && ne == v.len() {
            return true;
        }
    }
    false
}

fn is_scheme_char(c: u8) -> bool {
    ALNUM[c as usize] || matches!(c, b'+' | b'.' | b'-')
}

fn check_url_cred(data: &[u8], a: usize, _e: usize) -> CheckResult {
    // the candidate is '://'; the scheme lies to its left (read back, at most 30 bytes)
    let mut s = a;
    let lo = a.saturating_sub(30);
    while s > lo && is_scheme_char(data[s - 1]) {
        s -= 1;
    }
    if s == a || !data[s].is_ascii_alphabetic() || !left_ok(data, s, &ALNUM) {
        return None;
    }
    let end = data.len().min(s + 600);
    let c = URL_CRED.captures(&data[s..end])?;
    let scheme = c.get(1)?.as_bytes();
    let user = c.get(2)?;
    if let Some(pw) = c.get(3) {
        let (pa, pb) = (s + pw.start(), s + pw.end());
        let pwb = pw.as_bytes();
        if in_lower(PW_STOP, pwb)
            || is_placeholder(pwb)
            || !pwb.iter().any(|&c| ALNUM[c as usize])
            || (in_lower(PW_STOP, user.as_bytes()) && pwb.len() < 8)
        {
            return Some((Vec::new(), pb + 1));
        }
        let rtype = if in_lower(DB_SCHEMES, scheme) {
            "db_password"
        } else {
            "url_credentials"
        };
        return Some((vec![Finding::new(pa, pb, rtype, CW)], pb + 1));
    }
    // a bare token as the user part (Sentry DSN key, https://TOKEN@host)
    let u = user.as_bytes();
    if u.len() >= 20
        && u.iter()
            .all(|&c| ALNUM[c as usize] || c == b'_' || c == b'-')
        && has_digit(u)
        && u.iter().any(|&c| c >= 65)
    {
        let (ua, ub) = (s + user.start(), s + user.end());
        // A token's own prefix stays, as its own recognizer keeps it; the rest is masked here
        // even when it is not the token's length (a token cut or run together is still one).
        let keep = token_prefix_len(u);
        return Some((
            vec![Finding::new(ua + keep, ub, "url_credentials", CW)],
            ub + 1,
        ));
    }
    None
}

/// `gh[pousr]_|glpat-|npm_|xox` at the start of `v`: a token its own recognizer takes.
/// The length of a known token prefix (`ghp_`, `glpat-`, `npm_`, `xoxb-`) at the start of `v`.
fn token_prefix_len(v: &[u8]) -> usize {
    if !known_token_start(v) {
        return 0;
    }
    v.iter()
        .position(|&c| c == b'_' || c == b'-')
        .map_or(0, |i| i + 1)
}

fn known_token_start(v: &[u8]) -> bool {
    (v.len() >= 4 && v.starts_with(b"gh") && b"pousr".contains(&v[2]) && v[3] == b'_')
        || v.starts_with(b"glpat-")
        || v.starts_with(b"npm_")
        || v.starts_with(b"xox")
}

// ---------------------------------------------------------------- Authorization headers

fn is_auth_char(c: u8) -> bool {
    ALNUM[c as usize] || matches!(c, b'+' | b'/' | b'=' | b'.' | b'_' | b'~' | b'-')
}

fn check_auth(data: &[u8], s: usize, _e: usize) -> CheckResult {
    if !left_ok(data, s, &GLUE_AZURE) {
        return None; // '--next-token VALUE' is a pagination token
    }
    // (?i:(basic|bearer|token))[ \t]{1,4}([A-Za-z0-9+/=._~-]{8,4096})
    let limit = data.len().min(s + 4200);
    let head = &data[s..limit];
    let kind = [&b"basic"[..], b"bearer", b"token"]
        .into_iter()
        .find(|k| head.len() >= k.len() && head[..k.len()].eq_ignore_ascii_case(k))?;
    let mut j = s + kind.len();
    let blanks = j;
    while j < limit && j - blanks < 4 && matches!(data[j], b' ' | b'\t') {
        j += 1;
    }
    if j == blanks {
        return None;
    }
    let a = j;
    while j < limit && j - a < 4096 && is_auth_char(data[j]) {
        j += 1;
    }
    if j - a < 8 {
        return None;
    }
    // the scan pattern is short; what the Python engine's required of a 'token' candidate:
    // `[Tt]oken ` and 16 token bytes
    if kind == b"token"
        && (&head[1..5] != b"oken" || a != blanks + 1 || data[blanks] != b' ' || j - a < 16)
    {
        return None;
    }
    let mut b = j;
    while b > a && data[b - 1] == b'.' {
        b -= 1;
    }
    let tok = &data[a..b];
    if !right_ok(data, b, &WORD) || in_lower(PW_STOP, tok) || is_placeholder(tok) {
        return None;
    }
    if tok.starts_with(b"ey")
        || known_token_start(tok)
        || tok.starts_with(b"sk-")
        || tok.starts_with(b"AKIA")
        || tok.starts_with(b"hf_")
    {
        return Some((Vec::new(), a)); // a JWT or a known token: its own recognizer takes it
    }
    if kind == b"basic" {
        if tok.len() < 8 || !decodes_to_text(tok) {
            return None;
        }
        return Some((vec![Finding::new(a, b, "basic_auth", CW)], b));
    }
    // bearer/token: must look random (letters and digits mixed, long enough)
    if tok.len() < 16 || !(has_digit(tok) && tok.iter().any(|&c| (65..=122).contains(&c))) {
        return None;
    }
    Some((vec![Finding::new(a, b, "bearer_token", CW)], b))
}

fn b64_value(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Standard base64 (padding optional) that decodes to at least 3 printable ASCII bytes.
fn decodes_to_text(tok: &[u8]) -> bool {
    decodes_to_lines(tok, false)
}

/// Standard base64 (padding optional) that decodes to at least 3 bytes of printable ASCII, and
/// with `breaks` of line breaks and tabs too (a PEM file, a config file).
fn decodes_to_lines(tok: &[u8], breaks: bool) -> bool {
    // as Python's b64decode(tok + '=' * (-len(tok) % 4), validate=True): the alphabet, then at
    // most two '=' in all
    let data_len = tok.iter().position(|&c| c == b'=').unwrap_or(tok.len());
    let pads = tok.len() - data_len + (4 - tok.len() % 4) % 4;
    if pads > 2 || tok[data_len..].iter().any(|&c| c != b'=') {
        return false;
    }
    let mut acc: u32 = 0;
    let mut bits = 0;
    let mut count = 0;
    for &c in &tok[..data_len] {
        let Some(v) = b64_value(c) else { return false };
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            let byte = (acc >> bits) as u8;
            acc &= (1 << bits) - 1;
            if !((32..127).contains(&byte) || (breaks && matches!(byte, b'\n' | b'\r' | b'\t'))) {
                return false;
            }
            count += 1;
        }
    }
    count >= 3
}

/// The base64 of `-----BEGIN CERTIFICATE-----`: a certificate is public (a kubeconfig's
/// `certificate-authority-data`, a TLS Secret's `tls.crt`), the key beside it is not.
const B64_PEM_CERTIFICATE: &[u8] = b"LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t";

// ---------------------------------------------------------------- pre-signed URL credentials

// A pre-signed S3 (or other SigV2/SigV4) URL grants access to whoever holds it: its access key
// id, signature and session token are credentials.
static PRESIGNED: LazyLock<Regex> = LazyLock::new(|| {
    rx(
        r"^[?&;](AWSAccessKeyId|Signature|X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token)=([A-Za-z0-9%+/=._~-]{8,2048})",
    )
});

fn check_presigned(data: &[u8], s: usize, _e: usize) -> CheckResult {
    let end = data.len().min(s + 2100);
    let c = PRESIGNED.captures(&data[s..end])?;
    let k = c.get(1)?.as_bytes();
    let v = c.get(2)?;
    let (mut a, mut b) = (s + v.start(), s + v.end());
    if k == b"X-Amz-Credential" {
        // the key id, then the scope: date/region/service/aws4_request
        let val = &data[a..b];
        let slash = memchr::memchr(b'/', val);
        let pct = val
            .windows(3)
            .position(|w| w[0] == b'%' && w[1] == b'2' && (w[2] | 0x20) == b'f');
        if let Some(p) = [slash, pct].into_iter().flatten().min() {
            b = a + p;
        }
    }
    let is_key = k == b"AWSAccessKeyId" || k == b"X-Amz-Credential";
    if is_key && (data[a..].starts_with(b"AKIA") || data[a..].starts_with(b"ASIA")) {
        a += 4; // the prefix stays, as for a bare access key id
    }
    if b < a + 8 || is_placeholder(&data[a..b]) {
        return None;
    }
    let rtype = match k {
        b"Signature" | b"X-Amz-Signature" => "generic_secret",
        b"X-Amz-Security-Token" => "aws_session_token",
        _ => "aws_access_key_id",
    };
    Some((vec![Finding::new(a, b, rtype, CW)], s + v.end()))
}

// ---------------------------------------------------------------- Slack/Discord webhooks

const SLASH_RX: &str = r"(?:\\{0,7}/|\\{1,7}u002[fF])";

static SLACK_WEBHOOK: LazyLock<Regex> = LazyLock::new(|| {
    let s = SLASH_RX;
    rx(&format!(
        r"^hooks\.slack\.com{s}(?:services|workflows|triggers){s}([A-Za-z0-9]{{8,12}}){s}([A-Za-z0-9]{{8,12}}){s}([A-Za-z0-9]{{16,64}})"
    ))
});
static DISCORD_WEBHOOK: LazyLock<Regex> = LazyLock::new(|| {
    let s = SLASH_RX;
    rx(&format!(
        r"^discord(?:app)?\.com{s}api{s}webhooks{s}([0-9]{{17,20}}){s}([A-Za-z0-9_-]{{60,80}})"
    ))
});

fn check_webhook(data: &[u8], s: usize, _e: usize) -> CheckResult {
    let hay = &data[s..data.len().min(s + 300)];
    let (c, rtype) = match SLACK_WEBHOOK.captures(hay) {
        Some(c) => (c, "slack_webhook"),
        None => (DISCORD_WEBHOOK.captures(hay)?, "discord_webhook"),
    };
    let end = s + c.get(0)?.end();
    if !right_ok(data, end, &ALNUM) {
        return None;
    }
    let out = c
        .iter()
        .skip(1)
        .flatten()
        .map(|g| Finding::new(s + g.start(), s + g.end(), rtype, CW))
        .collect();
    Some((out, end))
}

// ---------------------------------------------------------------- Kubernetes Secret data lines

static K8S_LINE: LazyLock<Regex> = LazyLock::new(|| {
    rx(r"^(?-u:[\nn\x92:-])([ ]{2,12})([A-Za-z0-9_.-]{1,64}):[ ]{1,4}([A-Za-z0-9+/]{8,4000}={0,2})")
});

fn check_k8s(data: &[u8], s: usize, _e: usize) -> CheckResult {
    let line_start = match data[s] {
        b'\n' => true,
        b'n' => s > 0 && data[s - 1] == b'\\', // the escape \n, not a letter n
        // the last byte of the number the `Read` tool put before the line (`     4→`), or of
        // the path and number a grep put there (`k8s/secret.yaml:4:`)
        _ => at_line_start(data, s + 1),
    };
    if !line_start {
        return None;
    }
    let end = data.len().min(s + 4200);
    let c = K8S_LINE.captures(&data[s..end])?;
    let v = c.get(3)?;
    let ve = s + v.end();
    // the value ends the line: (?=\r|\n|\\|$)
    if ve < end && !matches!(data[ve], b'\r' | b'\n' | b'\\') {
        return None;
    }
    let val = v.as_bytes();
    if val.iter().filter(|&&c| c != b'=').count() < 12 {
        return None; // the Python engine's scan pattern required 12 base64 characters
    }
    // a PEM key or a config file decodes to lines
    if val.len() % 4 != 0 || !decodes_to_lines(val, true) || val.starts_with(B64_PEM_CERTIFICATE) {
        return None;
    }
    // plain words are valid base64 too; a Secret's values have digits, '=' or mixed case
    if !(val.contains(&b'=') || has_digit(val)) {
        return None;
    }
    Some((
        vec![Finding::new(s + v.start(), ve, "k8s_secret_data", CW)],
        ve,
    ))
}

// ---------------------------------------------------------------- secret-like keys

/// Keywords a key contains (matched case-insensitively inside longer keys such as DB_PASSWORD,
/// spring.datasource.password, client-secret, X-Api-Key).
const KEYWORDS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "pwd",
    "secret",
    "token",
    "apikey",
    "api_key",
    "api-key",
    "accesskey",
    "access_key",
    "privatekey",
    "private_key",
    "credential",
    "auth",
    "_pass",
    "-pass",
    ".pass",
    "signingkey",
    "signing_key",
    "encryptionkey",
    "encryption_key",
    "masterkey",
    "master_key",
    "accountkey",
    "sas",
    "dsn",
    "connectionstring",
    "connection_string",
    "client_key",
    "app_key",
    "appkey",
];

/// The type of a key: the first rule whose word occurs in the normalized key wins.
const KEY_TYPES: &[(&str, &str)] = &[
    ("secretaccesskey", "aws_secret_access_key"),
    ("awssecretkey", "aws_secret_access_key"),
    ("sessiontoken", "aws_session_token"),
    ("securitytoken", "aws_session_token"),
    ("accountkey", "azure_storage_key"),
    ("storagekey", "azure_storage_key"),
    ("dockerauth", "docker_auth"),
    ("password", "password"),
    ("passwd", "password"),
    ("passphrase", "password"),
    ("pwd", "password"),
    ("pass", "password"),
    ("apikey", "generic_api_key"),
    ("accesskey", "generic_api_key"),
    ("appkey", "generic_api_key"),
    ("clientkey", "generic_api_key"),
    ("token", "generic_secret"),
    ("secret", "generic_secret"),
    ("privatekey", "generic_secret"),
    ("credential", "generic_secret"),
    ("signingkey", "generic_secret"),
    ("encryptionkey", "generic_secret"),
    ("masterkey", "generic_secret"),
    ("auth", "docker_auth"),
    ("sas", "generic_secret"),
    ("dsn", "generic_secret"),
    ("connectionstring", "generic_secret"),
];

/// Keys that contain a keyword but hold no secret (matched at the end of the normalized key).
static KEY_EXCLUDE: LazyLock<Regex> = LazyLock::new(|| {
    rx(concat!(
        r"(?:id|ids|type|types|name|names|url|uri|path|file|length|len|size|count|max|min|",
        r"policy|expir\w*|ttl|time|timeout|format|header|field|prefix|suffix|version|enabled|",
        r"required|hint|label|method|mode|provider|endpoint|limit|hash|salt|rounds|manager|",
        r"store|class|kind|help|pattern|regex|validator|reset|changed|updated|created|index|",
        r"indices|arn|region|user|username|host|port|issuer|audience|scope|scopes|source|location|",
        r"tokens|tokenizer|tokenize|tokenized|tokenization|authority|author|authors|authorization|",
        r"authorize|authorized|authentication|authenticated|authenticate|authenticator|authn|authz|",
        r"auths|authenticity|authmethod|authtype|authorizationtype|authorizer|authorizerid|",
        r"csrftoken|nexttoken|continuationtoken|paginationtoken|marker|pagetoken|nextpagetoken|",
        r"clienttoken|idempotencytoken|changetoken|tokenendpoint|tokenurl|tokentype|sessionname|",
        r"verificationtoken|canceltoken|tokenizer|csrf|xsrf|spec|requesttoken|startingtoken|",
        r"passthrough|passthru|bypass|compass|passive|passenger|passage|encompass|pwdir|cwd|",
        r"pass_?through)$"
    ))
});

/// The secret type a normalized key names, if any.
pub(super) fn key_type(key: &str) -> Option<&'static str> {
    if KEY_EXCLUDE.is_match(key.as_bytes()) {
        return None;
    }
    // (a plain window compare: the keys are short, a substring searcher costs more to set up)
    let k = key.as_bytes();
    KEY_TYPES
        .iter()
        .find(|(word, _)| k.windows(word.len()).any(|w| w == word.as_bytes()))
        .map(|(_, t)| *t)
}

/// Values that are words, types or masks rather than secrets.
const VALUE_STOP: &[&[u8]] = &[
    b"none",
    b"null",
    b"nil",
    b"true",
    b"false",
    b"undefined",
    b"password",
    b"passwd",
    b"pass",
    b"secret",
    b"token",
    b"changeme",
    b"required",
    b"optional",
    b"string",
    b"str",
    b"int",
    b"bool",
    b"bytes",
    b"yes",
    b"no",
    b"on",
    b"off",
    b"env",
    b"default",
    b"empty",
    b"redacted",
    b"hidden",
    b"masked",
    b"sensitive",
    // what `terraform plan` prints for a value it will not show: `(sensitive value)`,
    // `(known after apply)` (the bare value ends at the first blank)
    b"(sensitive",
    b"(known",
    b"example",
    b"test",
    b"dummy",
    b"foo",
    b"bar",
    b"baz",
    b"xxx",
];

/// Code rather than a literal: `obj.attr`, `fn(`, `x[`, `os.environ`, `self`, `config`.
static CODEISH: LazyLock<Regex> = LazyLock::new(|| {
    rx(concat!(
        r"^(?:[A-Za-z_]+(?:\.[A-Za-z_]+)+(?:\(|\[|$)|",
        r"[A-Za-z_][A-Za-z0-9_]*\(|",
        r"[A-Za-z_][A-Za-z0-9_]*\[|",
        r"(?:os|process|self|this|config|settings|env|ENV|params|args|kwargs|options|opts|cfg|ctx|",
        r"request|req|data|secrets|vars|getpass|input|props)\b)"
    ))
});

/// Enough variety to be a credential rather than a word or an identifier.
fn entropy_ok(v: &[u8]) -> bool {
    if v.len() < 8 {
        return false;
    }
    let classes = has_digit(v) as u8
        + v.iter().any(u8::is_ascii_lowercase) as u8
        + v.iter().any(u8::is_ascii_uppercase) as u8
        + v.iter().any(|&c| !ALNUM[c as usize]) as u8;
    if classes >= 3 {
        return true;
    }
    if classes == 2 && v.len() >= 16 && has_digit(v) {
        return true;
    }
    if v.len() < 32 {
        return false;
    }
    let mut seen = [false; 256];
    let mut distinct = 0;
    for &c in v {
        if !seen[c as usize] {
            seen[c as usize] = true;
            distinct += 1;
        }
    }
    distinct >= 12
}

/// In a connection string (`Password=x;Encrypt=True`) the next `;Key=` ends a bare value, in
/// a URL's query (`?user=app&password=x&ssl=true`) the next `&key=`, in the AWS CLI's shorthand
/// (`Variables={DB_PASSWORD=x,API_URL=…}`) the next `,KEY=`.
static NEXT_PAIR: LazyLock<Regex> = LazyLock::new(|| {
    rx(
        r";[ ]?[A-Za-z][A-Za-z0-9 _.-]{0,40}=|&[A-Za-z][A-Za-z0-9_.-]{0,40}=|,[A-Za-z_][A-Za-z0-9_]{0,40}=",
    )
});

/// A value that has a format of its own is left to that format's recognizer (which keeps the
/// provider prefix and gives the precise type).
static KNOWN_PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    let tokens: Vec<&str> = TOKENS.iter().map(|(_, p, _, _)| split_back(p).1).collect();
    rx(&format!(
        r"^(?:(?:{})|gh[pousr]_|github_pat_|glpat-|xox[abposre]-|AKIA|ASIA|ey[A-Za-z0-9_-]{{10,}}\.|-----BEGIN|arn:|https?:|[a-zA-Z][a-zA-Z0-9+.-]{{1,30}}://)",
        tokens.join("|")
    ))
});

/// `[A-Za-z_][A-Za-z0-9_]*` with no digit: a type name or an identifier.
fn is_plain_identifier(v: &[u8]) -> bool {
    !v.is_empty()
        && (v[0].is_ascii_alphabetic() || v[0] == b'_')
        && v.iter().all(|&c| WORD[c as usize] && !c.is_ascii_digit())
}

/// The end of a 40-character AWS secret access key at `i` whose `/` and `+` may be JSON escapes
/// (`\/`, `\\\/`, `\u002F`, `\u002B`).
fn escaped_key_end(data: &[u8], i: usize) -> Option<usize> {
    let mut j = i;
    let mut count = 0;
    while j < data.len() && count < 41 {
        let c = data[j];
        if ALNUM[c as usize] || c == b'+' || c == b'/' {
            j += 1;
        } else if c == b'\\' {
            let mut k = j;
            while k < data.len() && data[k] == b'\\' && k - j < 8 {
                k += 1;
            }
            let rest = &data[k..];
            if rest.first() == Some(&b'/') {
                j = k + 1;
            } else if rest.len() >= 5
                && rest[..4].eq_ignore_ascii_case(b"u002")
                && matches!(rest[4] | 0x20, b'f' | b'b')
            {
                j = k + 5;
            } else {
                break;
            }
        } else {
            break;
        }
        count += 1;
    }
    (count == 40).then_some(j)
}

/// The validator of secret-like keys: findings, `Some([])` to defer to a token recognizer, or
/// `None` when the value is no secret.
pub(super) fn v_secret(data: &[u8], v: &Value, rtype: &'static str) -> Option<Vec<Finding>> {
    let bare = v.quote.is_empty();
    let mut end = v.end;
    if bare {
        // a bare value ends a sentence or a line of code: trim trailing punctuation; in a
        // connection string ('Password=x;Encrypt=True') the next ';Key=' ends it, in a URL's
        // query the next '&key='
        if let Some(m) = NEXT_PAIR.find(&data[v.start..v.end]) {
            end = v.start + m.start();
        }
        while end > v.start && matches!(data[end - 1], b'.' | b',' | b';' | b')') {
            end -= 1;
        }
        // the shorthand's closing brace ('Variables={DB_PASSWORD=x}')
        if end > v.start && data[end - 1] == b'}' && !data[v.start..end].contains(&b'{') {
            end -= 1;
        }
    }
    if bare && rtype == "aws_secret_access_key" && end < data.len() && data[end] == b'\\' {
        // a key written with JSON escapes inside ('\/', '\u002F') stops a bare value early
        if let Some(x) = escaped_key_end(data, v.start) {
            end = x;
        }
    }
    let raw = &data[v.start..end];
    if raw.is_empty() || in_lower(VALUE_STOP, raw) || is_placeholder(raw) {
        return None;
    }
    if json_object_text(raw) {
        // a document (Secrets Manager's SecretString holding {"username": …, "password": …}):
        // its own keys say which of its values are secret, so it is read field by field
        return None;
    }
    if KNOWN_PREFIX.is_match(raw) {
        return Some(Vec::new()); // a token with a known format: its own recognizer takes it
    }
    if bare && CODEISH.is_match(raw) {
        return None;
    }
    if bare && v.sep == b":" && is_plain_identifier(raw) {
        return None; // 'password: str', 'token: Optional' (type hints), YAML anchors
    }
    match rtype {
        "password" => {
            if raw.len() < 6 || !raw.iter().any(|&c| ALNUM[c as usize]) {
                return None;
            }
            if bare && !entropy_ok(raw) && raw.len() < 8 {
                return None;
            }
        }
        "docker_auth" => {
            if !(raw.len() >= 12 && decodes_to_text(raw)) {
                return None;
            }
        }
        _ => {
            if !entropy_ok(&unescape(raw)) {
                return None;
            }
        }
    }
    Some(vec![Finding::new(v.start, end, rtype, CW)])
}

/// Whether `raw` opens a JSON object at any escaping depth: `{` or `[{`, then a quoted key
/// (`{"user"`, `{\"user\"`, `{ \\\"user`).
fn json_object_text(raw: &[u8]) -> bool {
    let rest = raw.strip_prefix(b"[").unwrap_or(raw);
    let Some(rest) = rest.strip_prefix(b"{") else { return false };
    let mut i = 0;
    // blanks, escaped line breaks and the backslashes of an escaped quote before the key
    while let Some(&c) = rest.get(i) {
        let escaped_break = matches!(c, b'n' | b't' | b'r') && i > 0 && rest[i - 1] == b'\\';
        if c != b' ' && c != b'\\' && !escaped_break {
            break;
        }
        i += 1;
    }
    rest.get(i) == Some(&b'"')
}

fn secret_field(key: &str) -> Option<Field> {
    key_type(key).map(|rtype| Field {
        rtype,
        shape: CW,
        validate: v_secret,
        line: true,
    })
}

fn keyword_pattern() -> String {
    let words: Vec<String> = KEYWORDS.iter().map(|k| regex::escape(k)).collect();
    format!(r#"(?i:{})[A-Za-z0-9_.-]*[\\"' \t:=|]"#, words.join("|"))
}

// ---------------------------------------------------------------- keys named only `…Key`

/// Keys ending in `key` that name a place, a column or a binding rather than a secret
/// (normal form, matched as the whole key).
const PLAIN_KEYS: &[&str] = &[
    "primarykey", "sortkey", "partitionkey", "hashkey", "rangekey", "foreignkey", "objectkey",
    "s3key", "cachekey", "idempotencykey", "dedupkey", "deduplicationkey", "lastevaluatedkey",
    "exclusivestartkey", "startkey", "hotkey", "shortcutkey", "monkey", "turkey", "whiskey",
    "hockey", "donkey", "jockey", "publickey", "publishablekey", "sshpublickey", "routingkey",
    "messagekey", "groupkey", "lookupkey", "mapkey", "tagkey", "labelkey", "i18nkey",
    "translationkey", "localekey", "querykey", "shardkey", "distkey", "clusterkey", "indexkey",
    "joinkey", "uniquekey", "compositekey", "naturalkey", "surrogatekey", "eventkey", "sslkey",
    "tlskey", "keykey", "storekey", "uikey", "reactkey", "listkey", "itemkey", "rowkey",
    "columnkey", "fieldkey", "attributekey", "propertykey", "settingkey", "configkey",
    "metadatakey", "headerkey", "paramkey", "parameterkey", "sourcekey", "destinationkey",
    "targetkey", "resultkey", "outputkey", "inputkey", "statekey", "storagekey", "bucketkey",
    "prefixkey", "pathkey", "filekey", "namekey", "typekey", "kindkey", "modekey", "sshkey",
    "gpgkey", "pgpkey", "signkey", "tfstatekey", "lockkey", "mutexkey", "featurekey", "flagkey",
];

/// A key that ends in the word `key` and names no secret by another word (`STRIPE_KEY`,
/// `sentryKey`, `cipher-key`): its value is masked only when it has the shape of a generated
/// credential ([`v_loose_secret`]).
fn loose_key_field(key: &str) -> Option<Field> {
    let stem = key.strip_suffix("key")?;
    if stem.is_empty() || key_type(key).is_some() || PLAIN_KEYS.contains(&key) {
        return None;
    }
    Some(Field {
        rtype: "generic_secret",
        shape: CW,
        validate: v_loose_secret,
        line: true,
    })
}

/// A path, a file name or words joined by separators rather than a credential.
fn path_or_words(v: &[u8]) -> bool {
    if matches!(v.first(), Some(b'/' | b'~' | b'.')) {
        return true;
    }
    // a segment that is a word: `Users`, `profile`, `reports`
    v.split(|&c| matches!(c, b'/' | b'-' | b'_' | b':'))
        .any(|seg| {
            let letters = match seg.first() {
                Some(c) if c.is_ascii_uppercase() => &seg[1..],
                _ => seg,
            };
            seg.len() >= 4 && letters.iter().all(u8::is_ascii_lowercase)
        })
}

/// Words written together (`BetaAsyncComputerToolset20260801`, `createdAtIndex2`): words of
/// three or more letters (a capital and two lower-case letters, or three lower-case ones)
/// cover 70 % of the value or more. A generated key's letters seldom run that long.
fn camel_words(v: &[u8]) -> bool {
    let mut covered = 0;
    let mut i = 0;
    while i < v.len() {
        let run = v[i..].iter().take_while(|c| c.is_ascii_lowercase()).count();
        let capital = i > 0 && v[i - 1].is_ascii_uppercase();
        if run >= 3 || (run >= 2 && capital) {
            covered += run + usize::from(capital);
        }
        i += run.max(1);
    }
    10 * covered >= 7 * v.len()
}

/// A digest's shape: 40 or 64 lower-case hex digits (git commits, SHA-1 and SHA-256 sums), or a
/// UUID (idempotency and correlation keys).
fn digest_or_uuid(v: &[u8]) -> bool {
    let hex = |c: &u8| c.is_ascii_digit() || (b'a'..=b'f').contains(c);
    let uuid = v.len() == 36
        && v.iter().enumerate().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                *c == b'-'
            } else {
                c.is_ascii_hexdigit()
            }
        });
    uuid || ((v.len() == 40 || v.len() == 64) && v.iter().all(hex))
}

/// The shape of a generated credential, for values whose key says little: 16 to 256 bytes of
/// letters, digits and `+/=_-`, letters and digits both present, at least 10 distinct bytes;
/// not a path, words, a digest, a UUID, or base64 of text.
fn credential_shaped(v: &[u8]) -> bool {
    if !(16..=256).contains(&v.len())
        || !v.iter().all(|&c| ALNUM[c as usize] || matches!(c, b'+' | b'/' | b'=' | b'_' | b'-'))
        || !has_digit(v)
        || !v.iter().any(u8::is_ascii_alphabetic)
        || path_or_words(v)
        || camel_words(v)
        || digest_or_uuid(v)
        || decodes_to_text(v)
    {
        return false;
    }
    let mut seen = [false; 256];
    v.iter().filter(|&&c| !std::mem::replace(&mut seen[c as usize], true)).count() >= 10
}

/// The validator of keys named only `…Key`: [`v_secret`] (which trims the value and defers
/// known formats), then the credential shape.
fn v_loose_secret(data: &[u8], v: &Value, rtype: &'static str) -> Option<Vec<Finding>> {
    let fs = v_secret(data, v, rtype)?;
    match fs.first() {
        Some(f) if !credential_shaped(&unescape(&data[f.start..f.end])) => None,
        _ => Some(fs),
    }
}

// ---------------------------------------------------------------- 40-character keys under any name

/// Keys whose 40-character values are digests, cursors or signatures (normal form, at the end).
static NOT_SECRET_KEY: LazyLock<Regex> = LazyLock::new(|| {
    rx(r"(?:etag|digest|checksum|sha|sha1|sha256|commit|cursor|signature|fingerprint|marker|nonce|sum)$")
});

/// `NAME=<40>`, `name: <40>`, `"name": "<40>"`: a value of the AWS secret access key's shape
/// (exactly 40 letters, digits, `/` and `+`, with upper- and lower-case letters and digits)
/// after any key is a secret key, whatever the key is called. Git commits and hex digests lack
/// the upper case; paths have words; base64 of text decodes to it.
/// The candidates of `secrets.key40` (its pattern, where its check may accept): a run of exactly
/// 40 base64 letters, digits, `+` and `/`, after `:` or `=`, up to four spaces or tabs and an
/// optional (escaped) quote; the candidate ends 16 bytes into the value, as the pattern's match
/// does. In the scanner's automaton the pattern's count of 16 ran from every `:` and `=` of a
/// body beside every other pattern (+25 ms on a fresh engine's first 1 MB); here it is one
/// pass over the runs.
fn trigger_key40(data: &[u8], out: &mut Vec<(usize, usize)>) {
    let n = data.len();
    for sep in memchr::memchr2_iter(b':', b'=', data) {
        let mut j = sep + 1;
        while j < n && j - sep <= 4 && matches!(data[j], b' ' | b'\t') {
            j += 1;
        }
        let quote = j;
        while j < n && j - quote < 7 && data[j] == b'\\' {
            j += 1;
        }
        if j < n && matches!(data[j], b'"' | b'\'') {
            j += 1;
        } else {
            j = quote; // backslashes count only before a quote
        }
        let vs = j;
        let limit = n.min(vs + 41);
        while j < limit && BASE64_RUN[data[j] as usize] {
            j += 1;
        }
        if j - vs == 40 && (j == n || !BASE64_RUN[data[j] as usize]) {
            out.push((sep, vs + 16));
        }
    }
}

/// The bytes of a base64 value without padding: letters, digits, `+` and `/`.
const BASE64_RUN: ByteTable = {
    let mut t = ALNUM;
    t[b'+' as usize] = true;
    t[b'/' as usize] = true;
    t
};

fn check_key40(data: &[u8], s: usize, e: usize) -> CheckResult {
    // the separator is right after a key's last byte or its closing quote
    let mut k = s;
    while k > 0 && matches!(data[k - 1], b' ' | b'\t') && s - k < 16 {
        k -= 1;
    }
    if k > 0 && matches!(data[k - 1], b'"' | b'\'') {
        k -= 1;
        while k > 0 && data[k - 1] == b'\\' {
            k -= 1;
        }
    }
    if k == 0 || !(WORD[data[k - 1] as usize] || matches!(data[k - 1], b'-' | b'.')) {
        return None;
    }
    // keys that name what is no secret: ids, names, pagination tokens, digests
    let mut ks = k;
    while ks > k.saturating_sub(64) && (WORD[data[ks - 1] as usize] || matches!(data[ks - 1], b'-' | b'.')) {
        ks -= 1;
    }
    let key = norm_key(&data[ks..k]);
    if KEY_EXCLUDE.is_match(key.as_bytes()) || NOT_SECRET_KEY.is_match(key.as_bytes()) {
        return None;
    }
    // the candidate ends 16 bytes into the value: the value is 40 bytes of the key's alphabet
    let vs = e - 16;
    let e = vs + 40;
    if e > data.len() || !data[vs..e].iter().all(|&c| ALNUM[c as usize] || matches!(c, b'+' | b'/')) {
        return None;
    }
    let quote_before = vs > 0 && matches!(data[vs - 1], b'"' | b'\'');
    let after = data.get(e).copied();
    let ends = match after {
        None => true,
        Some(c) => !ALNUM[c as usize] && !matches!(c, b'+' | b'/' | b'=' | b'_' | b'-' | b'.'),
    };
    if !ends || (quote_before && !matches!(after, Some(b'"' | b'\'' | b'\\'))) {
        return None;
    }
    let v = &data[vs..e];
    if !v.iter().any(u8::is_ascii_uppercase)
        || !v.iter().any(u8::is_ascii_lowercase)
        || !has_digit(v)
        || path_or_words(v)
        || camel_words(v)
        || decodes_to_text(v)
        || KNOWN_PREFIX.is_match(v)
    {
        return None;
    }
    Some((vec![Finding::new(vs, e, "aws_secret_access_key", CW)], e))
}

// ---------------------------------------------------------------- CLI flags and Terraform variables

const FLAG_WORDS: &str =
    "(?i:password|passwd|passphrase|secret|token|requirepass|api-key|apikey|auth-key)";

static SECRET_FLAG: LazyLock<Regex> = LazyLock::new(|| {
    rx(&format!(
        r#"^--([A-Za-z0-9-]{{0,30}}{FLAG_WORDS}[A-Za-z0-9-]{{0,20}})(?:=|[ \t]{{1,4}}|(\\{{0,7}}")[ \t]*,[ \t]*)(\\{{0,7}}["']|')?"#
    ))
});

/// End of a value starting at `vs`: its closing quote ([`quoted_end`]: escapes inside belong
/// to the value), else the first quote, escape or line break; or the first blank when bare.
fn quoted_or_bare(data: &[u8], vs: usize, vq: &[u8], limit: usize) -> usize {
    let mut j = vs;
    if let Some(&q) = vq.last() {
        if let Some(end) = quoted_end(data, vs, vq, limit) {
            return end;
        }
        while j < limit && data[j] != q && !matches!(data[j], b'\\' | b'\n' | b'\r') {
            j += 1;
        }
        return j;
    }
    while j < limit
        && !matches!(
            data[j],
            b' ' | b'\t' | b'\r' | b'\n' | b'"' | b'\'' | b'\\' | b'`' | b';' | b'|' | b'&' | b')'
        )
    {
        j += 1;
    }
    j
}

fn check_secret_flag(data: &[u8], s: usize, _e: usize) -> CheckResult {
    if s > 0 && !b" \t\n\"'=[(".contains(&data[s - 1]) && !escape_ends_at(data, s - 1) {
        return None;
    }
    let c = SECRET_FLAG.captures(&data[s..data.len().min(s + 80)])?;
    let flag = norm_key(c.get(1)?.as_bytes());
    if flag.ends_with("stdin") {
        return None; // `--password-stdin` takes no value: the next word is the registry
    }
    let rtype = key_type(&flag)?;
    let vq = c.get(3).map(|m| m.as_bytes()).unwrap_or(b"");
    if c.get(2).is_some() && vq.is_empty() {
        return None;
    }
    let me = s + c.get(0)?.end();
    let limit = data.len().min(me + 512);
    let ve = quoted_or_bare(data, me, vq, limit);
    if ve <= me {
        return None;
    }
    let v = Value {
        start: me,
        end: ve,
        quote: vq.to_vec(),
        sep: b"=".to_vec(),
    };
    let rtype = if (rtype == "password" || rtype == "generic_secret") && flag.contains("pass") {
        "password"
    } else {
        rtype
    };
    let fs = v_secret(data, &v, rtype)?;
    if fs.is_empty() {
        Some((fs, me))
    } else {
        Some((fs, ve))
    }
}

fn check_dash_p(data: &[u8], s: usize, e: usize) -> CheckResult {
    // mysql/mysqldump style: -p'secret' or -psecret (no blank after -p)
    let s = s + 1;
    let end = data.len().min(e + 8);
    if s + 2 > end || &data[s..s + 2] != b"-p" {
        return None;
    }
    let vs = super::base::match_quote(data, s + 2, end).unwrap_or(s + 2);
    let vq = &data[s + 2..vs];
    let limit = data.len().min(vs + 256);
    let ve = quoted_or_bare(data, vs, vq, limit);
    let raw = &data[vs..ve];
    if raw.len() < 6 || in_lower(PW_STOP, raw) || is_placeholder(raw) || !entropy_ok(raw) {
        return None;
    }
    if vq.is_empty() && b"/.~-".contains(&raw[0]) {
        return None;
    }
    Some((vec![Finding::new(vs, ve, "password", CW)], ve))
}

static TF_VARIABLE: LazyLock<Regex> =
    LazyLock::new(|| rx(r#"^variable[ \t]+\\{0,7}"([A-Za-z0-9_-]{1,80})\\{0,7}"[ \t]*\{"#));

/// `default[ \t]*=[ \t]*(\\{0,7}")([^"\\\r\n]{1,256})\1` searched in `data[from..to]`: the
/// value's span and its quote.
fn tf_default(data: &[u8], from: usize, to: usize) -> Option<(usize, usize, &[u8])> {
    let mut i = from;
    while let Some(k) = memchr::memmem::find(&data[i..to], b"default") {
        let at = i + k;
        i = at + 1;
        let mut j = at + 7;
        while j < to && matches!(data[j], b' ' | b'\t') {
            j += 1;
        }
        if j >= to || data[j] != b'=' {
            continue;
        }
        j += 1;
        while j < to && matches!(data[j], b' ' | b'\t') {
            j += 1;
        }
        let qs = j;
        while j < to && data[j] == b'\\' {
            j += 1;
        }
        if j - qs > 7 || j >= to || data[j] != b'"' {
            continue;
        }
        let q = &data[qs..=j];
        let vs = j + 1;
        let mut ve = vs;
        while ve < to && ve - vs < 256 && !matches!(data[ve], b'"' | b'\\' | b'\r' | b'\n') {
            ve += 1;
        }
        if ve > vs && data[ve..to].starts_with(q) {
            return Some((vs, ve, q));
        }
    }
    None
}

/// The variable's name has a secret word within its first 40 bytes, as the scan pattern of the
/// Python engine required: `[A-Za-z0-9_-]{0,40}(?i:password|passwd|secret|token|api_?key|
/// private_?key|credential)`.
fn tf_secret_name(name: &[u8]) -> bool {
    const WORDS: &[&[u8]] = &[
        b"password",
        b"passwd",
        b"secret",
        b"token",
        b"apikey",
        b"api_key",
        b"privatekey",
        b"private_key",
        b"credential",
    ];
    (0..=name.len().min(40)).any(|i| {
        WORDS
            .iter()
            .any(|w| name.len() >= i + w.len() && name[i..i + w.len()].eq_ignore_ascii_case(w))
    })
}

fn check_tf_variable(data: &[u8], s: usize, _e: usize) -> CheckResult {
    // variable "db_password" { type = string  default = "..." }: the default is the secret
    let c = TF_VARIABLE.captures(&data[s..data.len().min(s + 128)])?;
    let name = c.get(1)?.as_bytes();
    if !tf_secret_name(name) {
        return None;
    }
    let rtype = key_type(&norm_key(name))?;
    let me = s + c.get(0)?.end();
    let close = me + memchr::memchr(b'}', &data[me..data.len().min(me + 400)])?;
    let Some((vs, ve, q)) = tf_default(data, me, close) else {
        return Some((Vec::new(), me));
    };
    let v = Value {
        start: vs,
        end: ve,
        quote: q.to_vec(),
        sep: b"=".to_vec(),
    };
    match v_secret(data, &v, rtype) {
        Some(fs) if !fs.is_empty() => Some((fs, ve)),
        _ => Some((Vec::new(), me)),
    }
}

// ---------------------------------------------------------------- secrets named by a sibling key

/// `"name": "DB_PASSWORD"` (also `Name`, `Key`, `ParameterKey`, `ParameterName`): the candidate
/// is the quote before the naming field.
const SIBLING_NAME: &str = r#""(?:[Nn]ame|[Kk]ey|ParameterKey|ParameterName)\\*"[ \t]*:"#;

/// The fields that hold the value a sibling names.
const SIBLING_VALUES: &[&[u8]] = &[b"ParameterValue", b"value", b"Value"];

/// `{"name": "DB_PASSWORD", "value": "…"}`, `{"Key": …, "Value": …}`, CloudFormation
/// `ParameterKey`/`ParameterValue`: the value field of the same object is typed by the name.
fn check_sibling(data: &[u8], s: usize, _e: usize) -> CheckResult {
    let limit = data.len().min(s + 400);
    // the naming field's value: a quoted key name
    let mut j = s;
    while j < limit && data[j] == b'\\' {
        j += 1;
    }
    j += 1; // the quote
    while j < limit && data[j] != b'"' && data[j] != b'\\' {
        j += 1;
    }
    let v = super::base::value_after(data, j, limit, false, None)?;
    if v.quote.is_empty() || v.end - v.start > 128 {
        return None;
    }
    let name = &data[v.start..v.end];
    if !name
        .iter()
        .all(|&c| WORD[c as usize] || matches!(c, b'.' | b'-' | b'/'))
    {
        return None;
    }
    let rtype = key_type(&norm_key(name))?;
    // the value field, in the same object: before any brace
    let mut k = v.end + v.quote.len();
    while k < limit && !matches!(data[k], b'{' | b'}') {
        if data[k] == b'"' {
            let field = &data[k + 1..limit];
            if let Some(f) = SIBLING_VALUES.iter().find(|f| field.starts_with(f)) {
                let after = k + 1 + f.len();
                if let Some(val) = super::base::value_after(data, after, limit, false, None) {
                    if val.end > val.start && !val.quote.is_empty() {
                        let fs = v_secret(data, &val, rtype)?;
                        if fs.is_empty() {
                            return None;
                        }
                        // an SSM parameter named by its path: the path too (a tag's key is
                        // the user's word, not a parameter's)
                        let key = &data[s..j];
                        let named = memchr::memmem::find(key, b"ame").is_some();
                        let path = named.then(|| parameter_path(data, v.start, v.end)).flatten();
                        let mut out = path.unwrap_or_default();
                        out.extend(fs);
                        return Some((out, val.end));
                    }
                }
            }
        }
        k += 1;
    }
    None
}

/// `"value": …` (also `Value`, `ParameterValue`): the candidate is the quote before the value
/// field, whose siblings may come after it.
const SIBLING_VALUE: &str = r#""(?:ParameterValue|[Vv]alue)\\*"[ \t]*:"#;

/// How far the siblings of a value field are looked for, either side, inside its object.
const SIBLING_REACH: usize = 400;

/// The quoted string fields of the object around `[from, to)`, walking away from it in one
/// direction (`forward`) up to the object's brace: `(field name, field value)` pairs.
fn sibling_fields(data: &[u8], from: usize, to: usize, forward: bool) -> Vec<(&[u8], Value)> {
    let mut out = Vec::new();
    let (lo, hi) = if forward {
        (to, data.len().min(to + SIBLING_REACH))
    } else {
        (from.saturating_sub(SIBLING_REACH), from)
    };
    // the object's part on this side: up to the first brace
    let (lo, hi) = if forward {
        (
            lo,
            data[lo..hi]
                .iter()
                .position(|c| matches!(c, b'{' | b'}'))
                .map_or(hi, |p| lo + p),
        )
    } else {
        (
            data[lo..hi]
                .iter()
                .rposition(|c| matches!(c, b'{' | b'}'))
                .map_or(lo, |p| lo + p + 1),
            hi,
        )
    };
    let mut k = lo;
    while k < hi {
        if data[k] != b'"' {
            k += 1;
            continue;
        }
        let ns = k + 1;
        let mut ne = ns;
        while ne < hi && (data[ne].is_ascii_alphanumeric() || data[ne] == b'_') {
            ne += 1;
        }
        if ne == ns || ne >= hi || !matches!(data[ne], b'"' | b'\\') {
            k = ns;
            continue;
        }
        match super::base::value_after(data, ne, hi, false, None) {
            Some(v) if !v.quote.is_empty() && v.end > v.start => {
                k = v.end + v.quote.len();
                out.push((&data[ns..ne], v));
            }
            _ => k = ne + 1,
        }
    }
    out
}

/// A SecureString parameter's value holds what its owner chose: validated as a password,
/// typed a generic secret. `None` when nothing in it passes.
fn secure_string_secret(data: &[u8], v: &Value) -> Option<Vec<Finding>> {
    let fs: Vec<Finding> = v_secret(data, v, "password")?
        .into_iter()
        .map(|f| Finding::new(f.start, f.end, "generic_secret", f.shape))
        .collect();
    (!fs.is_empty()).then_some(fs)
}

/// The value field of an object whose siblings say it is secret, whatever their order:
/// `{"value": "…", "name": "DB_PASSWORD"}` (a naming field after the value; before it,
/// [`check_sibling`] takes it), and SSM `get-parameter --with-decryption` output, where
/// `"Type": "SecureString"` marks the parameter's `Value` as a secret.
fn check_sibling_value(data: &[u8], s: usize, e: usize) -> CheckResult {
    let mut ke = s + 1;
    while ke < e && data[ke].is_ascii_alphabetic() {
        ke += 1;
    }
    let limit = data.len().min(e + 4096);
    let val = super::base::value_after(data, ke, limit, false, None)?;
    if val.quote.is_empty() || val.end <= val.start {
        return None;
    }
    let after = sibling_fields(data, val.start, val.end, true);
    let before = sibling_fields(data, s, s, false);
    let secure = after.iter().chain(before.iter()).any(|(name, v)| {
        name.eq_ignore_ascii_case(b"type") && &data[v.start..v.end] == b"SecureString"
    });
    // the parameter's path, when a naming field after the value gives one
    let path = after.iter().find_map(|(name, v)| {
        (norm_key(name) == "name").then(|| parameter_path(data, v.start, v.end)).flatten()
    });
    let named = after.iter().find_map(|(name, v)| {
        let naming = matches!(
            norm_key(name).as_str(),
            "name" | "key" | "parameterkey" | "parametername"
        );
        let n = &data[v.start..v.end];
        let plain = n.len() <= 128
            && n.iter()
                .all(|&c| WORD[c as usize] || matches!(c, b'.' | b'-' | b'/'));
        if naming && plain {
            key_type(&norm_key(n))
        } else {
            None
        }
    });
    let fs = match (named, secure) {
        (Some(rtype), _) => v_secret(data, &val, rtype)?,
        (None, true) => secure_string_secret(data, &val)?,
        (None, false) if api_gateway_key(data, s, val.end) => {
            v_secret(data, &val, "generic_api_key")?
        }
        (None, false) => return None,
    };
    if fs.is_empty() {
        return None;
    }
    let mut fs = fs;
    fs.extend(path.unwrap_or_default());
    fs.sort_by_key(|f| f.start);
    Some((fs, val.end))
}

/// Whether the object around a `value` field (from `s` to `e`) is an API Gateway API key
/// (`get-api-keys --include-values`, `create-api-key`): it has a `stageKeys` field, which only
/// those objects have.
fn api_gateway_key(data: &[u8], s: usize, e: usize) -> bool {
    let object_part = |lo: usize, hi: usize, forward: bool| {
        let part = &data[lo..hi];
        let cut = if forward {
            part.iter()
                .position(|c| matches!(c, b'{' | b'}'))
                .map_or(part.len(), |p| p)
        } else {
            part.iter()
                .rposition(|c| matches!(c, b'{' | b'}'))
                .map_or(0, |p| p + 1)
        };
        if forward {
            &part[..cut]
        } else {
            &part[cut..]
        }
    };
    let after = object_part(e, data.len().min(e + SIBLING_REACH), true);
    let before = object_part(s.saturating_sub(SIBLING_REACH), s, false);
    [after, before]
        .iter()
        .any(|p| memchr::memmem::find(p, b"stageKeys").is_some())
}

/// The lines of the YAML mapping around the line `[ls, le)` at indentation `indent`, either
/// side, up to `SIBLING_REACH` bytes or a line indented less: each line's text after the
/// indentation (raw newlines, or `\n` escapes in JSON text).
fn yaml_siblings(data: &[u8], ls: usize, le: usize, indent: usize) -> Vec<&[u8]> {
    let is_break = |i: usize| {
        data[i] == b'\n' || (data[i] == b'\\' && i + 1 < data.len() && data[i + 1] == b'n')
    };
    let mut out = Vec::new();
    // forward
    let hi = data.len().min(le + SIBLING_REACH);
    let mut i = le;
    while i < hi {
        i += if data[i] == b'\\' { 2 } else { 1 };
        let start = i;
        while i < hi && !is_break(i) {
            i += 1;
        }
        let line = &data[start..i];
        let ind = line.iter().take_while(|&&c| c == b' ').count();
        if ind != indent {
            break;
        }
        out.push(&line[ind..]);
    }
    // backward
    let lo = ls.saturating_sub(SIBLING_REACH);
    let mut end = ls;
    while end > lo {
        // `end` is the start of a line; the previous line ends at its break before `end`
        let brk = if end >= 2 && data[end - 2] == b'\\' && data[end - 1] == b'n' {
            end - 2
        } else if data[end - 1] == b'\n' {
            end - 1
        } else {
            break;
        };
        let mut start = brk;
        while start > lo
            && !(data[start - 1] == b'\n'
                || (start >= 2 && data[start - 2] == b'\\' && data[start - 1] == b'n'))
        {
            start -= 1;
        }
        let line = &data[start..brk];
        let ind = line.iter().take_while(|&&c| c == b' ').count();
        if ind != indent {
            break;
        }
        out.push(&line[ind..]);
        end = start;
    }
    out
}

/// SSM parameters in `--output yaml`: `Value: …` in a mapping with `Type: SecureString`.
fn check_yaml_secure_value(data: &[u8], s: usize, e: usize) -> CheckResult {
    // the line starts after the break at `s`, indented by blanks, then `Value: ` or `- Value: `
    let ls = s + if data[s] == b'\\' { 2 } else { 1 };
    let blanks = data[ls..e].iter().take_while(|&&c| c == b' ').count();
    // a list item's first key ('- Value: …'): its siblings are indented past the dash
    let indent = if data[ls + blanks] == b'-' {
        blanks + 2
    } else {
        blanks
    };
    let mut ve = e;
    while ve < data.len() && ve - e < 4096 && !matches!(data[ve], b'\n' | b'\r' | b'\\') {
        ve += 1;
    }
    let secure = yaml_siblings(data, ls, ve, indent)
        .iter()
        .any(|l| l.starts_with(b"Type: SecureString"));
    if !secure || ve == e {
        return None;
    }
    let v = Value {
        start: e,
        end: ve,
        quote: Vec::new(),
        sep: b": ".to_vec(),
    };
    Some((secure_string_secret(data, &v)?, ve))
}

/// AWS CLI `--output text` of a SecureString parameter read `--with-decryption`: the columns
/// are sorted by field name, so its value follows its type (`…<tab>SecureString<tab>VALUE<tab>1`).
fn check_secure_string_column(data: &[u8], _s: usize, e: usize) -> CheckResult {
    let limit = data.len().min(e + 4096);
    let mut ve = e;
    while ve < limit && !matches!(data[ve], b'\t' | b'\n' | b'\r' | b'\\') {
        ve += 1;
    }
    let at_cell_end = ve >= data.len()
        || matches!(data[ve], b'\t' | b'\n' | b'\r')
        || (ve + 1 < data.len() && matches!(data[ve + 1], b't' | b'n' | b'r'));
    if ve == e || !at_cell_end {
        return None;
    }
    let v = Value {
        start: e,
        end: ve,
        quote: b"\t".to_vec(),
        sep: b"\t".to_vec(),
    };
    Some((secure_string_secret(data, &v)?, ve))
}

// ---------------------------------------------------------------- secrets on command lines

/// The end of the command line that starts at `i`: a newline, an escaped newline or `limit`.
fn line_end(data: &[u8], i: usize, limit: usize) -> usize {
    let mut j = i;
    while j < limit && data[j] != b'\n' && data[j] != b'\r' {
        if data[j] == b'\\' && j + 1 < limit && matches!(data[j + 1], b'n' | b'r') {
            break;
        }
        j += 1;
    }
    j
}

/// A command-line argument at `i`: quoted (`'x'`, `"x"`, `\"x\"`) or bare.
fn argument(data: &[u8], i: usize, limit: usize) -> Option<Value> {
    let vs = super::base::match_quote(data, i, limit).unwrap_or(i);
    let vq = &data[i..vs];
    let ve = quoted_or_bare(data, vs, vq, limit);
    // closed by the same quote at the same depth (`\"…\"` in a JSON string)
    if ve <= vs || (!vq.is_empty() && !data[ve..limit].starts_with(vq)) {
        return None;
    }
    Some(Value {
        start: vs,
        end: ve,
        quote: vq.to_vec(),
        sep: b"=".to_vec(),
    })
}

fn skip_blanks(data: &[u8], mut i: usize, limit: usize) -> usize {
    while i < limit && matches!(data[i], b' ' | b'\t') {
        i += 1;
    }
    i
}

/// The findings of a password argument at `i`, resuming after it.
fn password_argument(data: &[u8], i: usize, limit: usize, rtype: &'static str) -> CheckResult {
    let v = argument(data, i, limit)?;
    secret_value(data, &v, rtype, v.end)
}

/// `aws configure set aws_secret_access_key VALUE` (any secret-like setting).
fn check_configure_set(data: &[u8], s: usize, e: usize) -> CheckResult {
    let limit = line_end(data, e, data.len().min(e + 600));
    let mut k = e;
    while k < limit && (WORD[data[k] as usize] || data[k] == b'.') {
        k += 1;
    }
    let rtype = key_type(&norm_key(&data[e..k]))?;
    let vs = skip_blanks(data, k, limit);
    if vs == k || s >= vs {
        return None;
    }
    password_argument(data, vs, limit, rtype)
}

/// `curl -u user:password` / `--user user:password`: the part after the first colon.
fn check_curl_user(data: &[u8], s: usize, e: usize) -> CheckResult {
    let limit = line_end(data, e, data.len().min(s + 1024));
    let mut from = e;
    while let Some(at) = memchr::memmem::find(&data[from..limit], b"-u").map(|k| from + k) {
        from = at + 2;
        if let Some(res) = curl_user_at(data, at, limit) {
            return Some(res);
        }
    }
    None
}

/// The password of a `-u`/`--user` flag whose `-u` is at `at`.
fn curl_user_at(data: &[u8], at: usize, limit: usize) -> CheckResult {
    let blank = |i: usize| matches!(data[i], b' ' | b'\t');
    let long =
        data[at - 1] == b'-' && at >= 2 && blank(at - 2) && data[at..limit].starts_with(b"-user");
    let i = if long {
        let f = at + 5;
        if f < limit && data[f] == b'=' {
            f + 1
        } else {
            let i = skip_blanks(data, f, limit);
            if i == f {
                return None; // --user-agent
            }
            i
        }
    } else if blank(at - 1) {
        skip_blanks(data, at + 2, limit) // -u user:pw, -uuser:pw
    } else {
        return None;
    };
    let arg = argument(data, i, limit)?;
    let colon = memchr::memchr(b':', &data[arg.start..arg.end])?;
    let pw = Value {
        start: arg.start + colon + 1,
        ..arg
    };
    if pw.end <= pw.start || is_placeholder(&data[pw.start..pw.end]) {
        return None;
    }
    secret_value(data, &pw, "password", pw.end)
}

/// `sshpass -p PASSWORD`, `redis-cli … -a PASSWORD`: the flag's argument is a password.
fn check_password_flag_of(data: &[u8], s: usize, e: usize, flag: &[u8]) -> CheckResult {
    let limit = line_end(data, e, data.len().min(s + 1024));
    flag_argument(data, e, limit, flag, false, "password")
}

/// The argument of the first `flag` on `data[e..limit]` (after a blank, followed by blanks, or
/// by `=` when `equals`), as a secret of `rtype`.
fn flag_argument(
    data: &[u8],
    e: usize,
    limit: usize,
    flag: &[u8],
    equals: bool,
    rtype: &'static str,
) -> CheckResult {
    let line = &data[e..limit];
    let mut from = 0;
    while let Some(k) = memchr::memmem::find(&line[from..], flag).map(|k| from + k) {
        from = k + flag.len();
        let at = e + k;
        let after = at + flag.len();
        let by_equals = equals && data.get(after) == Some(&b'=');
        let by_blank = matches!(data.get(after), Some(b' ' | b'\t'));
        if !matches!(data[at - 1], b' ' | b'\t') || !(by_equals || by_blank) {
            continue;
        }
        let i = if by_equals { after + 1 } else { skip_blanks(data, after, limit) };
        return password_argument(data, i, limit, rtype);
    }
    None
}

fn check_sshpass(data: &[u8], s: usize, e: usize) -> CheckResult {
    check_password_flag_of(data, s, e - 1, b"-p")
}

/// `docker login -p PASSWORD` (and `podman`, `helm registry`, `oras` login alike).
fn check_registry_login(data: &[u8], s: usize, e: usize) -> CheckResult {
    check_password_flag_of(data, s, e - 1, b"-p")
}

/// `gh secret set NAME --body VALUE` / `-b VALUE`: the GitHub CLI stores the value as a secret.
fn check_gh_secret_set(data: &[u8], s: usize, e: usize) -> CheckResult {
    check_flag_secret(data, s, e - 1, b"--body", "generic_secret")
        .or_else(|| check_flag_secret(data, s, e - 1, b"-b", "generic_secret"))
}

/// `aws ssm put-parameter … --type SecureString … --value VALUE`: the value to encrypt.
fn check_put_secure_parameter(data: &[u8], s: usize, e: usize) -> CheckResult {
    let limit = line_end(data, e, data.len().min(s + 4096));
    memchr::memmem::find(&data[e..limit], b"SecureString")?;
    check_flag_secret(data, s, e - 1, b"--value", "generic_secret")
}

/// The argument of `flag` (`--flag VALUE`, `--flag=VALUE`) on the command line that starts at
/// `s` (searched from `e`), as a secret of `rtype`.
fn check_flag_secret(
    data: &[u8],
    s: usize,
    e: usize,
    flag: &[u8],
    rtype: &'static str,
) -> CheckResult {
    let limit = line_end(data, e, data.len().min(s + 4096));
    flag_argument(data, e, limit, flag, true, rtype)
}

/// `echo 'PASSWORD' | docker login … --password-stdin`: what is piped in is the password.
fn check_password_stdin(data: &[u8], s: usize, _e: usize) -> CheckResult {
    let lo = s.saturating_sub(1024);
    let start = memchr::memrchr2(b'\n', b'\r', &data[lo..s]).map_or(lo, |k| lo + k + 1);
    let line = &data[start..s];
    let pipe = memchr::memrchr(b'|', line)?;
    let head = &line[..pipe];
    let word = [&b"echo "[..], b"printf "].iter().find_map(|w| {
        memchr::memmem::rfind(head, w).map(|k| k + w.len())
    })?;
    let mut i = start + word;
    // `echo -n`, `printf '%s'`: flags and a format before the value
    for _ in 0..2 {
        let rest = &data[i..start + pipe];
        if rest.starts_with(b"-n ") {
            i += 3;
        } else if rest.starts_with(b"'%s' ") || rest.starts_with(b"\"%s\" ") {
            i += 5;
        } else if rest.starts_with(b"\\\"%s\\\" ") {
            i += 7;
        }
    }
    let v = argument(data, i, start + pipe)?;
    secret_value(data, &v, "password", s)
}

/// `redis-cli`'s password: read with its other flags by the database clients' rule
/// (`connections.db_client`), which has the same candidate.
pub(super) fn check_redis_cli(data: &[u8], s: usize, e: usize) -> CheckResult {
    check_password_flag_of(data, s, e - 1, b"-a")
}

/// `openssl … -passin pass:PASSWORD` (also `-passout`, `-pass`).
fn check_openssl_pass(data: &[u8], _s: usize, e: usize) -> CheckResult {
    let limit = line_end(data, e, data.len().min(e + 512));
    password_argument(data, e, limit, "password")
}

/// A password told in prose: `the db password is X`, `the password for the admin user was
/// X`, `reset the password to X`, `log in with password X`. The phrase is weak evidence on its
/// own (`the password is required`, `password SHA-256 hashes`), so the value must also look
/// like one: with `is`/`was`/`to`, a digit or a symbol beside a letter (or eight digits or
/// more); right after the word (`with password X`), upper and lower case letters and a digit.
fn check_prose_password(data: &[u8], s: usize, e: usize) -> CheckResult {
    if s > 0 && ALNUM[data[s - 1] as usize] {
        return None; // inside a word (`mypassword `, `userPassword `: the key rules read those)
    }
    let limit = line_end(data, e, data.len().min(e + PROSE_PASSWORD_REACH));
    let mut i = e;
    let mut word = next_word(data, i, limit);
    if word.eq_ignore_ascii_case(b"for") {
        // `password for the admin user is X`: a few words, then the verb
        i = skip_blanks(data, i + word.len(), limit);
        let mut words = 0;
        loop {
            word = next_word(data, i, limit);
            if word.is_empty() || words > PROSE_PASSWORD_WORDS {
                return None;
            }
            if PROSE_PASSWORD_VERBS.iter().any(|v| word.eq_ignore_ascii_case(v)) {
                break;
            }
            i = skip_blanks(data, i + word.len(), limit);
            words += 1;
        }
    }
    let told = if PROSE_PASSWORD_VERBS.iter().any(|v| word.eq_ignore_ascii_case(v)) {
        true
    } else if word.eq_ignore_ascii_case(b"to") {
        let before = &data[s.saturating_sub(40)..s];
        let set = [&b"set"[..], b"change", b"reset", b"update", b"rotate"];
        if !set.iter().any(|w| memchr::memmem::find(&before.to_ascii_lowercase(), w).is_some()) {
            return None;
        }
        true
    } else {
        let before = &data[s.saturating_sub(12)..s].to_ascii_lowercase();
        let lead = [&b"with "[..], b"using ", b"use ", b"new ", b"temporary ", b"initial "];
        if !lead.iter().any(|w| before.ends_with(w)) {
            return None;
        }
        false
    };
    if told {
        i = skip_blanks(data, i + word.len(), limit);
        // `was reset to X`, `is now X`
        let next = next_word(data, i, limit);
        if PROSE_PASSWORD_CHANGES.iter().any(|w| next.eq_ignore_ascii_case(w)) {
            let k = skip_blanks(data, i + next.len(), limit);
            if next_word(data, k, limit).eq_ignore_ascii_case(b"to") {
                i = skip_blanks(data, k + 2, limit);
            }
        } else if next.eq_ignore_ascii_case(b"now") {
            i = skip_blanks(data, i + 3, limit);
        }
    }
    let v = prose_value(data, i, limit)?;
    if !password_shaped(&data[v.start..v.end], told) {
        return None;
    }
    secret_value(data, &v, "password", v.end)
}

/// The value prose gives at `i`: quoted (`"`, `'`, escaped or not, or a backtick) or a bare
/// word up to the next blank (a password may hold `&`, `;` or `|`), without the punctuation
/// that ends a sentence.
fn prose_value(data: &[u8], i: usize, limit: usize) -> Option<Value> {
    if i < limit && data[i] == b'`' {
        let end = i + 1 + memchr::memchr(b'`', &data[i + 1..limit])?;
        return (end > i + 1).then(|| Value {
            start: i + 1,
            end,
            quote: b"`".to_vec(),
            sep: b"=".to_vec(),
        });
    }
    if let Some(vs) = super::base::match_quote(data, i, limit) {
        let end = super::base::quoted_end(data, vs, &data[i..vs], limit)?;
        return (end > vs).then(|| Value {
            start: vs,
            end,
            quote: data[i..vs].to_vec(),
            sep: b"=".to_vec(),
        });
    }
    let word = next_word(data, i, limit);
    // the word ends where the string that holds it does (`…was auto-generated"}`) or an
    // escaped line break or tab follows it
    let closes = |k: usize| {
        word[k] == b'"'
            || (word[k] == b'\\' && matches!(word.get(k + 1), Some(b'"' | b'n' | b't' | b'r')))
    };
    let mut end = i + (0..word.len()).find(|&k| closes(k)).unwrap_or(word.len());
    while end > i && matches!(data[end - 1], b'.' | b',' | b';' | b')' | b'!' | b'?' | b'"') {
        end -= 1;
    }
    (end > i).then(|| Value {
        start: i,
        end,
        quote: Vec::new(),
        sep: b"=".to_vec(),
    })
}

/// How far after the word a prose password is looked for (on the same line).
const PROSE_PASSWORD_REACH: usize = 200;
/// How many words may stand between `password for` and its verb.
const PROSE_PASSWORD_WORDS: usize = 4;
const PROSE_PASSWORD_VERBS: &[&[u8]] = &[b"is", b"was", b"is:", b"was:", b"remains"];
/// `was reset to X`: the verbs of a change between `is`/`was` and `to`.
const PROSE_PASSWORD_CHANGES: &[&[u8]] =
    &[b"set", b"reset", b"changed", b"updated", b"rotated"];

/// The letters, digits and other bytes up to the next blank.
fn next_word(data: &[u8], i: usize, limit: usize) -> &[u8] {
    let mut k = i;
    while k < limit && !matches!(data[k], b' ' | b'\t' | b'\n' | b'\r' | b'\\') {
        k += 1;
    }
    &data[i..k]
}

/// Whether a value named by prose has a password's shape (see [`check_prose_password`]).
fn password_shaped(v: &[u8], told: bool) -> bool {
    if !(6..=128).contains(&v.len())
        || v.starts_with(b"/")
        || v.starts_with(b"~")
        || describes_encoding(v)
    {
        return false;
    }
    let count = |f: fn(&u8) -> bool| v.iter().filter(|c| f(c)).count();
    let (lower, upper) = (count(u8::is_ascii_lowercase), count(u8::is_ascii_uppercase));
    let digits = count(u8::is_ascii_digit);
    let symbols = v.len() - lower - upper - digits;
    let letters = lower + upper;
    if told {
        (letters > 0 && digits + symbols > 0) || (digits == v.len() && digits >= 8)
    } else {
        lower > 0 && upper > 0 && digits > 0
    }
}

/// Words that say how a password is kept rather than what it is: an encoding or a hash
/// (`base64`, `sha256`), or words joined to a participle (`base64-encoded`, `bcrypt-hashed`,
/// `auto-generated`, `KMS-managed`).
fn describes_encoding(v: &[u8]) -> bool {
    let lower = v.to_ascii_lowercase();
    if PROSE_PASSWORD_SCHEMES.contains(&lower.as_slice()) {
        return true;
    }
    let Some(dash) = lower.iter().rposition(|&c| c == b'-') else {
        return false;
    };
    let last = &lower[dash + 1..];
    last.len() >= 4
        && last.iter().all(u8::is_ascii_lowercase)
        && (last.ends_with(b"ed") || last.ends_with(b"ing"))
}

const PROSE_PASSWORD_SCHEMES: &[&[u8]] = &[
    b"base64", b"base32", b"sha1", b"sha256", b"sha384", b"sha512", b"bcrypt", b"scrypt",
    b"argon2", b"argon2id", b"pbkdf2", b"utf-8", b"aes256", b"aes-256", b"sha-256", b"md5sum",
];

/// `.netrc`: `machine HOST login USER password PASSWORD` (on one line or several).
fn check_netrc(data: &[u8], s: usize, e: usize) -> CheckResult {
    if s > 0 && !is_space_or_escape(data, s - 1) {
        return None;
    }
    let lo = s.saturating_sub(300);
    let before = &data[lo..s];
    let named = [&b"machine "[..], b"login ", b"default "]
        .iter()
        .any(|w| memchr::memmem::find(before, w).is_some());
    if !named {
        return None;
    }
    let limit = line_end(data, e, data.len().min(e + 256));
    // a bare token runs to a blank: `.netrc` is no shell, `&`, `;`, quotes and backslashes
    // inside a password are its own
    let mut v = argument(data, e, limit)?;
    if v.quote.is_empty() {
        v.end = v.end.max(super::base::line_value_end(data, v.start, limit));
    }
    secret_value(data, &v, "password", v.end)
}

fn is_space_or_escape(data: &[u8], i: usize) -> bool {
    super::base::is_space(data[i]) || (matches!(data[i], b'n' | b't') && escape_ends_at(data, i))
}

/// How far back the attributes of a Terraform `random_password` are looked for.
const RANDOM_PASSWORD_REACH: usize = 512;

/// Terraform's `random_password` in state (`terraform.tfstate`, `terraform show -json`): its
/// attributes are written in key order, so `min_special` (an argument only that resource and
/// `random_string` have) comes before `"result"` in the same object, and `result` holds the
/// generated password.
fn check_random_password(data: &[u8], s: usize, e: usize) -> CheckResult {
    let low = s.saturating_sub(RANDOM_PASSWORD_REACH);
    let before = &data[low..s];
    let at = memchr::memmem::rfind(before, b"min_special")?;
    if before[at..].iter().any(|&c| matches!(c, b'{' | b'}')) {
        return None; // another object
    }
    let limit = data.len().min(e + 512);
    let key_end = s + memchr::memmem::find(&data[s..e], b"result")? + b"result".len();
    let v = super::base::value_after(data, key_end, limit, false, None)?;
    if v.quote.is_empty() {
        return None;
    }
    secret_value(data, &v, "password", v.end)
}

/// Oracle's connect string `user/password@service`, as a JDBC URL (`jdbc:oracle:thin:scott/pw@//
/// host:1521/svc`) or the first arguments of Oracle's tools (`sqlplus -s scott/pw@orcl`,
/// `expdp userid=scott/pw@orcl`): the password between the `/` and the `@`.
fn check_oracle_connect(data: &[u8], s: usize, e: usize) -> CheckResult {
    if !left_ok(data, s, &ALNUM) {
        return None;
    }
    let limit = line_end(data, e, data.len().min(e + 256));
    let jdbc = data[s] == b'j';
    let mut i = e;
    for _ in 0..4 {
        while i < limit && matches!(data[i], b' ' | b'\t') {
            i += 1;
        }
        let mut end = i;
        while end < limit && !matches!(data[end], b' ' | b'\t') {
            end += 1;
        }
        let mut tok = i;
        while tok < end && matches!(data[tok], b'"' | b'\'' | b'\\') {
            tok += 1;
        }
        for prefix in [&b"userid="[..], b"target="] {
            if data[tok..end].starts_with(prefix) {
                tok += prefix.len();
            }
        }
        if let Some(f) = oracle_password(data, tok, end) {
            return Some((vec![f], f.end));
        }
        if jdbc || i >= limit || data[i] != b'-' {
            return None; // only flags come before the connect string
        }
        i = end;
    }
    None
}

/// The password of `user/password@` at `i` (before `end`).
fn oracle_password(data: &[u8], i: usize, end: usize) -> Option<Finding> {
    let mut slash = i;
    while slash < end
        && slash - i <= 64
        && (WORD[data[slash] as usize] || matches!(data[slash], b'$' | b'#' | b'.'))
    {
        slash += 1;
    }
    if slash == i || slash >= end || data[slash] != b'/' {
        return None;
    }
    let ps = slash + 1;
    let at = ps + memchr::memchr(b'@', &data[ps..end])?;
    let pw = &data[ps..at];
    if pw.is_empty() || pw.iter().any(|&c| matches!(c, b'/' | b'"' | b'\'' | b'\\')) {
        return None;
    }
    if in_lower(PW_STOP, pw) || is_placeholder(pw) || !pw.iter().any(|&c| ALNUM[c as usize]) {
        return None;
    }
    Some(Finding::new(ps, at, "db_password", CW))
}

/// The longest XML element name read as a key.
const XML_NAME_MAX: usize = 64;

/// How far back from its closing tag an element's opening tag is looked for.
const XML_VALUE_MAX: usize = 1024;

/// Candidates of [`check_xml_element`]: the text of an element whose name is secret-like,
/// `<password>…</password>` (Maven's `settings.xml`, a Tomcat or Spring config, a `.NET`
/// config), found from its closing tag (`memmem` on `</`: no pattern of its own in the
/// automaton). Only names with a secret-like word are looked at further.
fn trigger_xml_element(data: &[u8], out: &mut Vec<(usize, usize)>) {
    for c in memchr::memmem::find_iter(data, b"</") {
        let ns = c + 2;
        let mut ne = ns;
        let name_byte = |b: u8| WORD[b as usize] || matches!(b, b'.' | b'-' | b':');
        while ne < data.len() && ne - ns <= XML_NAME_MAX && name_byte(data[ne]) {
            ne += 1;
        }
        let keyed = KEYED_ELEMENTS.contains(&&data[ns..ne]);
        if ne - ns < 3 || data.get(ne) != Some(&b'>') || !(keyed || secret_word_in(&data[ns..ne]))
        {
            continue;
        }
        // the opening tag, on the same line: `<name>` or `<name attr="…">`
        let lo = c.saturating_sub(XML_VALUE_MAX);
        let Some(gt) = memchr::memrchr(b'>', &data[lo..c]).map(|k| lo + k) else { continue };
        let Some(lt) = memchr::memrchr(b'<', &data[lo..gt]).map(|k| lo + k) else { continue };
        let open = &data[lt + 1..gt];
        let named = open.starts_with(&data[ns..ne])
            && matches!(open.get(ne - ns), None | Some(b' ' | b'\t'));
        let text = &data[gt + 1..c];
        let one_line = !text.iter().any(|&b| matches!(b, b'\n' | b'\r'))
            && memchr::memmem::find(text, b"\\n").is_none();
        if named && !text.is_empty() && one_line {
            out.push((gt + 1, c));
        }
    }
}

/// Elements named by a `key` or `name` attribute (Java's properties XML, Spring's `<prop>`).
const KEYED_ELEMENTS: &[&[u8]] = &[b"entry", b"prop", b"property", b"param", b"Parameter"];

/// The value of the attribute `attr` (`key="…"`, `name='…'`, quotes escaped or not) inside the
/// tag text `tag`, if it has one.
fn xml_attribute<'a>(tag: &'a [u8], attr: &[u8]) -> Option<&'a [u8]> {
    let mut from = 0;
    while let Some(k) = memchr::memmem::find(&tag[from..], attr).map(|k| from + k) {
        from = k + attr.len();
        if k > 0 && !matches!(tag[k - 1], b' ' | b'\t') {
            continue;
        }
        let rest = tag[from..].strip_prefix(b"=")?;
        let q = rest.iter().position(|&b| b != b'\\')?;
        let quote = *rest.get(q).filter(|&&b| b == b'"' || b == b'\'')?;
        let body = &rest[q + 1..];
        let end = body.iter().position(|&b| b == quote || b == b'\\')?;
        return Some(&body[..end]);
    }
    None
}

/// Whether an element's name holds a secret-like word (a cheap test before [`key_type`]).
fn secret_word_in(name: &[u8]) -> bool {
    if name.len() > XML_NAME_MAX + 1 {
        return false; // no key: a sentence in an attribute
    }
    let mut lower = [0u8; XML_NAME_MAX + 1];
    let lower = &mut lower[..name.len()];
    lower.copy_from_slice(name);
    lower.make_ascii_lowercase();
    [&b"pass"[..], b"pwd", b"secret", b"token", b"key", b"cred", b"auth"]
        .iter()
        .any(|w| memchr::memmem::find(lower, w).is_some())
}

/// `<password>VALUE</password>`: the candidate is the element's text (`s..e`, `e` its closing
/// tag), typed by the element's name as a key (`<DbPassword>`, `<api-key>`, `<secretKey>`).
fn check_xml_element(data: &[u8], s: usize, e: usize) -> CheckResult {
    let ns = e + 2;
    let ne = ns + memchr::memchr(b'>', data.get(ns..)?)?;
    let name = &data[ns..ne];
    let rtype = if KEYED_ELEMENTS.contains(&name) {
        // `<entry key="db.password">…</entry>`: the opening tag ends right before `s`
        let lt = memchr::memrchr(b'<', &data[..s])?;
        let tag = &data[lt + 1..s - 1];
        let key = xml_attribute(tag, b"key").or_else(|| xml_attribute(tag, b"name"))?;
        key_type(&norm_key(key))?
    } else {
        key_type(&norm_key(name))?
    };
    let v = Value { start: s, end: e, quote: Vec::new(), sep: b">".to_vec() };
    secret_value(data, &v, rtype, e)
}

/// Candidates of [`check_xml_value_attribute`]: a `value` attribute's value whose tag names it
/// by a secret-like `key` or `name` before it (`.NET`'s `<add key="DbPassword" value="…"/>`,
/// Spring's `<property name="password" value="…"/>`, Tomcat's `<Parameter name=… value=…>`).
fn trigger_xml_value_attribute(data: &[u8], out: &mut Vec<(usize, usize)>) {
    for k in memchr::memmem::find_iter(data, b" value=") {
        let lo = k.saturating_sub(XML_VALUE_MAX);
        let Some(lt) = memchr::memrchr(b'<', &data[lo..k]).map(|i| lo + i) else { continue };
        let tag = &data[lt + 1..k + 1];
        if tag.iter().any(|&b| matches!(b, b'>' | b'\n' | b'\r')) {
            continue;
        }
        let named = xml_attribute(tag, b"key").or_else(|| xml_attribute(tag, b"name"));
        if !named.is_some_and(secret_word_in) {
            continue;
        }
        let rest = &data[k + b" value=".len()..];
        let Some(q) = rest.iter().position(|&b| b != b'\\') else { continue };
        if !matches!(rest[q], b'"' | b'\'') {
            continue;
        }
        let vs = k + b" value=".len() + q + 1;
        out.push((vs, vs));
    }
}

/// The value of a `value` attribute named by its tag's `key` or `name` (see
/// [`trigger_xml_value_attribute`]); the candidate starts at the value.
fn check_xml_value_attribute(data: &[u8], s: usize, _e: usize) -> CheckResult {
    let k = memchr::memmem::rfind(&data[..s], b" value=")?;
    let lt = memchr::memrchr(b'<', &data[..k])?;
    let tag = &data[lt + 1..k + 1];
    let key = xml_attribute(tag, b"key").or_else(|| xml_attribute(tag, b"name"))?;
    let rtype = key_type(&norm_key(key))?;
    let quote = &data[k + b" value=".len()..s];
    let end = quoted_end(data, s, quote, data.len().min(s + 4096))?;
    let v = Value { start: s, end, quote: quote.to_vec(), sep: b"=".to_vec() };
    secret_value(data, &v, rtype, end)
}

/// The findings of value `v` as a secret of `rtype`, the scan resuming at `resume`; `None`
/// when the value is no secret or another recognizer owns it.
fn secret_value(data: &[u8], v: &Value, rtype: &'static str, resume: usize) -> CheckResult {
    let fs = v_secret(data, v, rtype)?;
    if fs.is_empty() {
        return None;
    }
    Some((fs, resume))
}

/// `.pgpass`: `host:port:database:user:password`, one entry a line.
fn check_pgpass(data: &[u8], s: usize, _e: usize) -> CheckResult {
    // the candidate is the start of a line: after a line break, raw or escaped, or the first
    // line of a tool result's text (`cat ~/.pgpass` prints the file from its first entry; its
    // key, not every opening quote, keeps the automaton small)
    let start = match data[s] {
        b'\n' => s + 1,
        b'\\' => s + 2,
        _ => [&b"content\": \""[..], b"text\": \"", b"output\": \""]
            .iter()
            .find(|key| data[s..].starts_with(key))
            .map_or(s, |key| s + key.len()),
    };
    let limit = line_end(data, start, data.len().min(start + 512));
    let line = &data[start..limit];
    let fields: Vec<&[u8]> = line.split(|&c| c == b':').collect();
    if fields.len() != 5
        || fields[..4]
            .iter()
            .any(|f| f.is_empty() || f.iter().any(|&c| c == b' ' || c == b'\t'))
    {
        return None;
    }
    if !(fields[1] == b"*" || (fields[1].len() <= 5 && fields[1].iter().all(u8::is_ascii_digit))) {
        return None;
    }
    let ps = limit - fields[4].len();
    let v = Value {
        start: ps,
        end: limit,
        quote: Vec::new(),
        sep: b":".to_vec(),
    };
    secret_value(data, &v, "password", limit)
}

// ---------------------------------------------------------------- the family

pub(super) const KEY_RULE_TYPES: &[&str] = &[
    "password",
    "generic_secret",
    "generic_api_key",
    "aws_secret_access_key",
    "aws_session_token",
    "azure_storage_key",
    "docker_auth",
];

/// The family's recognizers in priority order (the registry moves `secrets.keys` last).
pub fn recognizers() -> Vec<Recognizer> {
    let mut out = vec![
        Recognizer::new(
            "secrets.private_key",
            r"-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----",
            check_private_key,
            &["private_key"],
        ),
        Recognizer::new("secrets.jwt", r"ey[A-Za-z0-9_-]*\.ey", check_jwt, &["jwt"]),
        Recognizer::new(
            "secrets.webhook",
            r"hooks\.slack\.com(?:\\{0,7}/|\\{1,7}u002[fF])|discord(?:app)?\.com(?:\\{0,7}/|\\{1,7}u002[fF])api",
            check_webhook,
            &["slack_webhook", "discord_webhook"],
        ),
        Recognizer::new(
            "secrets.url_credentials",
            r#":\\{0,3}/\\{0,3}/[^\s/@"'<>\\]*@"#,
            check_url_cred,
            &["db_password", "url_credentials"],
        ),
        Recognizer::new(
            "secrets.presigned_url",
            r"[?&;](?:AWSAccessKeyId|Signature|X-Amz-(?:Signature|Credential|Security-Token))=",
            check_presigned,
            &["aws_access_key_id", "generic_secret", "aws_session_token"],
        ),
        Recognizer::new(
            "secrets.authorization",
            r"(?i:basic|bearer)[ \t]|[Tt]oken ",
            check_auth,
            &["basic_auth", "bearer_token"],
        ),
    ];
    out.extend(
        TOKENS
            .iter()
            .map(|&(rtype, pattern, keep, _)| token_recognizer(rtype, pattern, keep)),
    );
    out.push(Recognizer::new(
        "secrets.flags",
        format!("--[A-Za-z0-9-]*{FLAG_WORDS}"),
        check_secret_flag,
        &["password", "generic_secret", "generic_api_key"],
    ));
    out.push(Recognizer::new(
        "secrets.dash_p",
        r#" -p[\\"'A-Za-z0-9!@#$%^&*_]"#,
        check_dash_p,
        &["password"],
    ));
    out.push(Recognizer::new(
        "secrets.tf_variable",
        r#"variable[ \t]+\\{0,7}""#,
        check_tf_variable,
        &["password", "generic_secret", "generic_api_key"],
    ));
    out.push(Recognizer::new(
        "secrets.k8s_data",
        r"(?-u:[\nn\x92:-])  [ ]*[A-Za-z0-9_.-]+: ?[ ]*[A-Za-z0-9+/]",
        check_k8s,
        &["k8s_secret_data"],
    ));
    out.push(Recognizer::new(
        "secrets.sibling_key",
        SIBLING_NAME,
        check_sibling,
        KEY_RULE_TYPES,
    ));
    out.push(Recognizer::new(
        "secrets.sibling_value",
        SIBLING_VALUE,
        check_sibling_value,
        KEY_RULE_TYPES,
    ));
    out.push(Recognizer::new(
        "secrets.yaml_secure_value",
        r"(?:\n|\\n) {0,40}(?:- )?Value: ",
        check_yaml_secure_value,
        &["generic_secret"],
    ));
    out.push(Recognizer::new(
        "secrets.secure_string_column",
        r"(?:\\t|\t)SecureString(?:\\t|\t)",
        check_secure_string_column,
        &["generic_secret"],
    ));
    out.push(Recognizer::new(
        "secrets.configure_set",
        r"configure[ \t]+set[ \t]+",
        check_configure_set,
        KEY_RULE_TYPES,
    ));
    out.push(Recognizer::new(
        "secrets.curl_user",
        r"curl[ \t]",
        check_curl_user,
        &["password"],
    ));
    out.push(Recognizer::new(
        "secrets.registry_login",
        r"(?:docker|podman|nerdctl|oras) login[ \t]",
        check_registry_login,
        &["password"],
    ));
    out.push(Recognizer::new(
        "secrets.gh_secret_set",
        r"gh secret set[ \t]",
        check_gh_secret_set,
        &["generic_secret"],
    ));
    out.push(Recognizer::new(
        "secrets.put_secure_parameter",
        r"put-parameter[ \t]",
        check_put_secure_parameter,
        &["generic_secret"],
    ));
    out.push(Recognizer::new(
        "secrets.password_stdin",
        r"--password-stdin",
        check_password_stdin,
        &["password"],
    ));
    out.push(Recognizer::new(
        "secrets.sshpass",
        r"sshpass[ \t]",
        check_sshpass,
        &["password"],
    ));
    out.push(Recognizer::new(
        "secrets.openssl_pass",
        r"-pass(?:in|out)?[ \t]+pass:",
        check_openssl_pass,
        &["password"],
    ));
    out.push(Recognizer::new(
        "secrets.netrc",
        r"password[ \t]+",
        check_netrc,
        &["password"],
    ));
    out.push(Recognizer::new(
        "secrets.prose_password",
        r"(?i:pass(?:word|phrase))[ \t]+",
        check_prose_password,
        &["password"],
    ));
    out.push(Recognizer::new(
        "secrets.random_password",
        r#"\\{0,7}"result\\{0,7}"[ \t]*:"#,
        check_random_password,
        &["password"],
    ));
    out.push(Recognizer::new(
        "secrets.oracle_connect",
        r"jdbc:oracle:(?:thin|oci8?):|(?:sqlplus|sqlldr|expdp|impdp|rman)[ \t]",
        check_oracle_connect,
        &["db_password"],
    ));
    out.push(Recognizer::new(
        "secrets.pgpass",
        r#"(?:^|\n|\\n|(?:content|text|output)": ")[A-Za-z0-9.*_-]+:(?:[0-9]{1,5}|\*):[A-Za-z0-9*_.-]+:[A-Za-z0-9*_.@-]+:"#,
        check_pgpass,
        &["password"],
    ));
    out.push(Recognizer::with_check(
        "secrets.key_suffix",
        r#"(?:[_.-](?:KEY|[Kk]ey)|[a-z0-9]Key)[\\"' \t:=|]"#,
        field_check_with(loose_key_field, false, true, WORD),
        &["generic_secret"],
    ));
    out.push(
        Recognizer::new(
            "secrets.key40",
            r#"[:=][ \t]{0,4}(?:\\{0,7}["'])?[A-Za-z0-9+/]{16}"#,
            check_key40,
            &["aws_secret_access_key"],
        )
        .triggered(trigger_key40),
    );
    out.push(
        Recognizer::new("secrets.xml_element", r"[^<\s]", check_xml_element, KEY_RULE_TYPES)
            .triggered(trigger_xml_element),
    );
    out.push(
        Recognizer::new(
            "secrets.xml_value_attribute",
            r"[^<\s]",
            check_xml_value_attribute,
            KEY_RULE_TYPES,
        )
        .triggered(trigger_xml_value_attribute),
    );
    out.push(Recognizer::with_check(
        "secrets.keys",
        keyword_pattern(),
        field_check_with(secret_field, false, true, WORD),
        KEY_RULE_TYPES,
    ));
    out
}

const fn row(name: &'static str, description: &'static str) -> TypeInfo {
    TypeInfo {
        name,
        shape: CW,
        description,
    }
}

/// The catalog rows: the token types in table order (both OpenAI rows), then the others.
pub const TYPES: &[TypeInfo] = &[
    row("github_pat", "GitHub personal access token (classic)"),
    row("github_oauth", "GitHub OAuth access token"),
    row("github_user_token", "GitHub user-to-server token"),
    row("github_app_token", "GitHub app installation token"),
    row("github_refresh_token", "GitHub refresh token"),
    row(
        "github_fine_grained_pat",
        "GitHub fine-grained personal access token",
    ),
    row("gitlab_pat", "GitLab personal access token"),
    row(
        "gitlab_token",
        "GitLab deploy/trigger/runner/feed/agent token",
    ),
    row(
        "gitlab_runner_registration",
        "GitLab runner registration token",
    ),
    row("slack_token", "Slack bot/user/app token"),
    row("slack_app_token", "Slack app-level token"),
    row("slack_config_token", "Slack configuration token"),
    row("stripe_secret_key", "Stripe secret or restricted key"),
    row("stripe_webhook_secret", "Stripe webhook signing secret"),
    row("google_api_key", "Google API key"),
    row("google_oauth_client_secret", "Google OAuth client secret"),
    row("google_oauth_token", "Google OAuth access token"),
    row("openai_api_key", "OpenAI project/service-account/admin key"),
    row("openai_api_key", "OpenAI legacy key"),
    row("anthropic_api_key", "Anthropic API/admin/OAuth key"),
    row("npm_token", "npm access token"),
    row("pypi_token", "PyPI upload token"),
    row("sendgrid_api_key", "SendGrid API key"),
    row("twilio_api_key", "Twilio API key SID"),
    row("huggingface_token", "Hugging Face access token"),
    row("huggingface_org_token", "Hugging Face organization token"),
    row("digitalocean_token", "DigitalOcean PAT/OAuth/refresh token"),
    row("heroku_api_key", "Heroku API key"),
    row("shopify_token", "Shopify access token"),
    row("databricks_token", "Databricks token"),
    row("doppler_token", "Doppler token"),
    row("dynatrace_token", "Dynatrace API token"),
    row("grafana_token", "Grafana service account or cloud token"),
    row("linear_api_key", "Linear API key"),
    row("mailgun_api_key", "Mailgun API key"),
    row("mailchimp_api_key", "Mailchimp API key"),
    row("newrelic_key", "New Relic key"),
    row("postman_api_key", "Postman API key"),
    row("pulumi_token", "Pulumi access token"),
    row("sentry_token", "Sentry auth token"),
    row("terraform_cloud_token", "Terraform Cloud API token"),
    row("vault_token", "HashiCorp Vault token"),
    row("telegram_bot_token", "Telegram bot token"),
    row("square_token", "Square access token or secret"),
    row("age_secret_key", "age encryption secret key"),
    row("clojars_token", "Clojars deploy token"),
    row("flyio_token", "Fly.io token"),
    row("planetscale_token", "PlanetScale token or password"),
    row("rubygems_api_key", "RubyGems API key"),
    row("supabase_token", "Supabase access token"),
    row("notion_token", "Notion integration token"),
    row("replicate_token", "Replicate API token"),
    row("groq_api_key", "Groq API key"),
    row("perplexity_api_key", "Perplexity API key"),
    row("xai_api_key", "xAI API key"),
    row("atlassian_token", "Atlassian API token"),
    row("contentful_token", "Contentful personal access token"),
    row("easypost_api_key", "EasyPost API key"),
    row("brevo_api_key", "Brevo (Sendinblue) API key"),
    row("shippo_token", "Shippo API token"),
    row("prefect_token", "Prefect API key"),
    row("adafruit_key", "Adafruit IO key"),
    row("mapbox_secret_token", "Mapbox secret token"),
    row("aws_appsync_api_key", "AppSync API key"),
    row("duffel_token", "Duffel API token"),
    row("frameio_token", "Frame.io token"),
    row("octopus_api_key", "Octopus Deploy API key"),
    row("azure_ad_client_secret", "Azure AD (Entra) client secret"),
    row(
        "aws_session_token",
        "AWS STS session token (by its well-known prefix)",
    ),
    row(
        "aws_ecr_login_token",
        "ECR login password (base64 JSON with payload and data key)",
    ),
    row(
        "private_key",
        "PEM/OpenSSH private key body (BEGIN/END lines kept)",
    ),
    row("jwt", "JSON Web Token (all three parts; dots kept)"),
    row("slack_webhook", "Slack incoming-webhook URL secret parts"),
    row("discord_webhook", "Discord webhook id and token"),
    row(
        "db_password",
        "password in a database URL (scheme://user:PASSWORD@host)",
    ),
    row(
        "url_credentials",
        "password or token in the user part of a URL",
    ),
    row("basic_auth", "HTTP Basic credentials (base64)"),
    row("bearer_token", "opaque HTTP bearer token"),
    row(
        "k8s_secret_data",
        "base64 value in a Kubernetes Secret data block",
    ),
    row("password", "value of a password-like key in config or code"),
    row(
        "generic_secret",
        "high-entropy value of a secret/token-like key",
    ),
    row(
        "generic_api_key",
        "high-entropy value of an api-key-like key",
    ),
    row(
        "aws_secret_access_key",
        "AWS secret access key (by its key)",
    ),
    row(
        "azure_storage_key",
        "Azure storage account key (AccountKey=…)",
    ),
    row("docker_auth", "docker config auth (base64 user:password)"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scanner::{Filter, Scanner};
    use std::cell::Cell;

    const ALNUM_CHARS: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    const HEX: &str = "0123456789abcdef";
    const DIGIT_CHARS: &str = "0123456789";

    thread_local!(static SEED: Cell<u64> = const { Cell::new(0x9e37_79b9_7f4a_7c15) });

    /// A fresh random string of `n` bytes drawn from `alphabet` (xorshift; tests only).
    fn rnd(n: usize, alphabet: &str) -> String {
        let a = alphabet.as_bytes();
        (0..n)
            .map(|_| {
                let x = SEED.with(|s| {
                    let mut x = s.get();
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    s.set(x);
                    x
                });
                a[(x % a.len() as u64) as usize] as char
            })
            .collect()
    }

    fn scanner() -> &'static Scanner {
        static S: OnceLock<Scanner> = OnceLock::new();
        S.get_or_init(|| Scanner::new(recognizers(), Filter::default()).unwrap())
    }

    fn found(text: &str) -> Vec<(&'static str, String)> {
        crate::testutil::found_in(scanner(), text)
    }

    fn one(rtype: &'static str, v: &str) -> Vec<(&'static str, String)> {
        vec![(rtype, v.to_string())]
    }

    fn b64(raw: &[u8]) -> String {
        const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in raw.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |acc, (i, &b)| acc | (b as u32) << (16 - 8 * i));
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    #[test]
    fn catalog_rows() {
        assert_eq!(TYPES.len(), 85);
        assert!(TYPES.iter().all(|t| t.shape == Shape::Classwise));
        let recs = recognizers();
        assert_eq!(recs.last().unwrap().name, "secrets.keys");
        for r in &recs {
            for t in &r.types {
                assert!(
                    TYPES.iter().any(|x| x.name == *t) || *t == "aws_access_key_id",
                    "{t}"
                );
            }
            crate::scanner::check_pattern(&r.pattern).unwrap();
        }
    }

    #[test]
    fn scan_prefixes_are_short() {
        assert_eq!(scan_prefix(r"ghp_[A-Za-z0-9]{36}"), r"ghp_[A-Za-z0-9]{4}");
        assert_eq!(
            scan_prefix(r"glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}|glc_[A-Za-z0-9+/]{32,400}={0,2}"),
            r"glsa_[A-Za-z0-9]{4}|glc_[A-Za-z0-9+/]{4}"
        );
        assert_eq!(
            scan_prefix(r"sk-ant-(?:api|admin)[0-9]{2}-[A-Za-z0-9_-]{80,120}"),
            r"sk-ant-(?:api|admin)[0-9]{2}"
        );
        assert_eq!(scan_prefix(r"a(?:b\\{0,3}/){2}c{5}"), r"a(?:b\\{0,3}/){2}");
        assert_eq!(scan_prefix(r"FwoG|IQoJ"), r"FwoG|IQoJ");
    }

    #[test]
    fn tokens_with_a_known_prefix() {
        let cases: Vec<(&'static str, String, String)> = vec![
            ("github_pat", "ghp_".into(), rnd(36, ALNUM_CHARS)),
            (
                "github_fine_grained_pat",
                "github_pat_".into(),
                rnd(22, ALNUM_CHARS) + "_" + &rnd(59, ALNUM_CHARS),
            ),
            ("gitlab_pat", "glpat-".into(), rnd(20, ALNUM_CHARS)),
            (
                "slack_token",
                "xoxb-".into(),
                rnd(11, DIGIT_CHARS) + "-" + &rnd(24, ALNUM_CHARS),
            ),
            ("stripe_secret_key", "sk_live_".into(), rnd(24, ALNUM_CHARS)),
            ("stripe_secret_key", "rk_test_".into(), rnd(24, ALNUM_CHARS)),
            ("anthropic_api_key", "sk-ant-api03-".into(), rnd(95, ALNUM_CHARS)),
            ("anthropic_api_key", "sk-ant-admin01-".into(), rnd(95, ALNUM_CHARS)),
            ("gitlab_token", "glagent-".into(), rnd(40, ALNUM_CHARS)),
            ("doppler_token", "dp.scim.".into(), rnd(40, ALNUM_CHARS)),
            ("twilio_api_key", "SK".into(), rnd(32, HEX)),
            ("digitalocean_token", "dop_v1_".into(), rnd(64, HEX)),
            ("mailchimp_api_key", String::new(), rnd(32, HEX) + "-us14"),
            (
                "telegram_bot_token",
                String::new(),
                rnd(10, DIGIT_CHARS) + ":AA" + &rnd(33, ALNUM_CHARS),
            ),
            (
                "azure_ad_client_secret",
                String::new(),
                rnd(3, ALNUM_CHARS) + "7Q~" + &rnd(34, ALNUM_CHARS),
            ),
            (
                "aws_session_token",
                String::new(),
                "FwoGZXIvYXdzE".to_string() + &rnd(200, ALNUM_CHARS),
            ),
        ];
        for (rtype, keep, rest) in cases {
            let tok = format!("{keep}{rest}");
            for ctx in ["x = {}\n", "\"value\": \"{}\"", "token:{} end", "\\n{}\\n"] {
                let text = ctx.replace("{}", &tok);
                assert_eq!(found(&text), one(rtype, &rest), "{text}");
            }
        }
    }

    #[test]
    fn older_session_token_prefixes_and_ecr_tokens() {
        for prefix in ["FQoGZXIvYXdzE", "FQoDYXdzEJr"] {
            let tok = prefix.to_string() + &rnd(300, ALNUM_CHARS);
            assert_eq!(
                found(&format!("token: {tok}\n")),
                one("aws_session_token", &tok)
            );
        }
        let body = rnd(1800, ALNUM_CHARS) + "+/" + &rnd(700, ALNUM_CHARS) + "==";
        let text = format!("docker login --password-stdin <<< eyJwYXlsb2FkIjoi{body}\n");
        assert_eq!(found(&text), one("aws_ecr_login_token", &body));
        // too short, or glued to a longer word
        assert_eq!(
            found(&format!("eyJwYXlsb2FkIjoi{}", rnd(100, ALNUM_CHARS))),
            vec![]
        );
        assert_eq!(found(&format!("xeyJwYXlsb2FkIjoi{body}")), vec![]);
    }

    #[test]
    fn token_near_misses() {
        for text in [
            "ghp_".to_string() + &rnd(35, ALNUM_CHARS),  // too short
            "xghp_".to_string() + &rnd(36, ALNUM_CHARS), // glued
            "ghp_".to_string() + &rnd(37, ALNUM_CHARS),  // too long
            "pk_live_".to_string() + &rnd(24, ALNUM_CHARS), // publishable keys are public
            "sk-".to_string() + &rnd(10, ALNUM_CHARS),
            "SKU".to_string() + &rnd(32, HEX),
            "+".to_string() + &rnd(3, ALNUM_CHARS) + "7Q~" + &rnd(34, ALNUM_CHARS), // inside base64
            "12345:AB".to_string() + &rnd(33, ALNUM_CHARS),
        ] {
            assert_eq!(found(&text), vec![], "{text}");
        }
    }

    fn jwt() -> (String, String, String) {
        let seg = |raw: &str| {
            b64(raw.as_bytes())
                .trim_end_matches('=')
                .replace('+', "-")
                .replace('/', "_")
        };
        (
            seg(r#"{"alg":"HS256","typ":"JWT"}"#),
            seg(&format!(
                r#"{{"sub":"{}","exp":1900000000}}"#,
                rnd(12, ALNUM_CHARS)
            )),
            rnd(43, ALNUM_CHARS),
        )
    }

    #[test]
    fn jwt_parts() {
        let (a, b, c) = jwt();
        assert_eq!(
            found(&format!("Authorization: Bearer {a}.{b}.{c}")),
            vec![("jwt", a.clone()), ("jwt", b.clone()), ("jwt", c)]
        );
        assert_eq!(
            found(&format!("{a}.{b}.")),
            vec![("jwt", a.clone()), ("jwt", b.clone())]
        );
        assert_eq!(found(&format!("x{a}.{b}.sig")), vec![]); // glued on the left
        assert_eq!(found("eyJhbGci.eyJzdWIi.x"), vec![]); // parts too short
    }

    #[test]
    fn private_key_body() {
        for nl in ["\n", "\\n", "\r\n"] {
            let body: Vec<String> = (0..6).map(|_| rnd(64, ALNUM_CHARS)).collect();
            let text = format!(
                "-----BEGIN RSA PRIVATE KEY-----{nl}{}{nl}-----END RSA PRIVATE KEY-----{nl}",
                body.join(nl)
            );
            let out = found(&text);
            assert_eq!(
                out.iter().map(|(_, v)| v.clone()).collect::<Vec<_>>(),
                body,
                "{nl:?}"
            );
            assert!(out.iter().all(|(t, _)| *t == "private_key"));
        }
        assert_eq!(
            found(
                "-----BEGIN PRIVATE KEY-----\n<your private key here>\n-----END PRIVATE KEY-----"
            ),
            vec![]
        );
        assert_eq!(
            found("-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n"),
            vec![]
        );
    }

    #[test]
    fn url_credentials() {
        let pw = rnd(18, ALNUM_CHARS);
        assert_eq!(
            found(&format!("URL=postgres://svc:{pw}@db-1.internal:5432/app")),
            one("db_password", &pw)
        );
        assert_eq!(
            found(&format!(r#""url": "https:\/\/svc:{pw}@h.example""#)),
            one("url_credentials", &pw)
        );
        assert_eq!(
            found(&format!("redis://:{pw}@10.0.0.5:6379/0")),
            one("db_password", &pw)
        );
        let user = rnd(24, HEX) + "Z";
        assert_eq!(
            found(&format!("https://{user}@o1.ingest.example/5")),
            one("url_credentials", &user)
        );
        // a token as the user part keeps its prefix, whatever its length
        for len in [36, 37, 30] {
            let body = rnd(len, ALNUM_CHARS) + "7";
            assert_eq!(
                found(&format!("git clone https://ghp_{body}@github.com/o/r.git")),
                one("url_credentials", &body)
            );
        }
        for text in [
            "postgres://user:password@localhost/db",
            "https://u:${DB_PASS}@h/",
            "mysql://root:****@db/x",
            "https://user:<password>@host",
            "https://example.com/a@b",
            "mailto:someone@example.com",
        ] {
            assert_eq!(found(text), vec![], "{text}");
        }
    }

    #[test]
    fn a_secret_holding_a_json_document_is_read_field_by_field() {
        let pw = rnd(14, ALNUM_CHARS) + "!7";
        // get-secret-value's output, as a tool result inside a request body (two escaping
        // levels) and as the CLI prints it (one)
        let nested = format!(
            r#"{{"content": "{{\n  \"SecretString\": \"{{\\\"username\\\":\\\"app\\\",\\\"password\\\":\\\"{pw}\\\",\\\"port\\\":5432}}\"\n}}"}}"#
        );
        assert_eq!(found(&nested), one("password", &pw), "{nested}");
        let printed = format!(r#""SecretString": "{{\"username\":\"app\",\"password\":\"{pw}\"}}""#);
        assert_eq!(found(&printed), one("password", &pw), "{printed}");
        assert_eq!(
            found(&format!(r#""SecretString": "[{{\"password\": \"{pw}\"}}]""#)),
            one("password", &pw)
        );
        // an opaque secret string stays one secret
        let opaque = rnd(30, ALNUM_CHARS) + "9";
        assert_eq!(
            found(&format!(r#""SecretString": "{opaque}""#)),
            one("generic_secret", &opaque)
        );
        let braces = format!("{{{}}}", rnd(20, ALNUM_CHARS) + "4");
        assert_eq!(
            found(&format!(r#""client_secret": "{braces}""#)),
            one("generic_secret", &braces)
        );
    }

    #[test]
    fn presigned_urls() {
        let (key, sig) = (
            rnd(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"),
            rnd(28, ALNUM_CHARS) + "%2B" + &rnd(4, ALNUM_CHARS),
        );
        let url = format!("https://b.s3.amazonaws.com/a.bin?AWSAccessKeyId=AKIA{key}&Expires=1714640000&Signature={sig}");
        assert_eq!(
            found(&url),
            vec![("aws_access_key_id", key.clone()), ("generic_secret", sig)]
        );
        let sig4 = rnd(64, HEX);
        let url = format!("https://x.example/k?X-Amz-Credential=ASIA{key}%2F20240501%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature={sig4}");
        assert_eq!(
            found(&url),
            vec![("aws_access_key_id", key), ("generic_secret", sig4)]
        );
        assert_eq!(found("?Signature=${SIG}&x=1"), vec![]);
        assert_eq!(found("the Signature=short value"), vec![]);
    }

    #[test]
    fn authorization_headers() {
        let basic = b64(format!("svc:{}", rnd(16, ALNUM_CHARS)).as_bytes());
        assert_eq!(
            found(&format!("Authorization: Basic {basic}")),
            one("basic_auth", &basic)
        );
        let bearer = rnd(30, ALNUM_CHARS) + "7a";
        assert_eq!(
            found(&format!("Authorization: Bearer {bearer}")),
            one("bearer_token", &bearer)
        );
        assert_eq!(
            found(&format!("Authorization: token {bearer}")),
            one("bearer_token", &bearer)
        );
        for text in [
            "Authorization: Basic notbase64!!".to_string(),
            "Authorization: Bearer abcdefghijklmnopqrst".to_string(), // no digit
            "Authorization: Bearer ${TOKEN_VALUE_HERE}".to_string(),
            format!("--next-token {bearer}"),
        ] {
            assert_eq!(found(&text), vec![], "{text}");
        }
        // a known token after Bearer is left to its own recognizer
        let gh = rnd(36, ALNUM_CHARS);
        assert_eq!(
            found(&format!("Authorization: Bearer ghp_{gh}")),
            one("github_pat", &gh)
        );
    }

    #[test]
    fn webhooks() {
        let (t, b, s) = (
            "T".to_string() + &rnd(8, "ABCDEFGHJK"),
            "B".to_string() + &rnd(10, "ABCDEFGHJK"),
            rnd(24, ALNUM_CHARS),
        );
        let out = found(&format!("https://hooks.slack.com/services/{t}/{b}/{s}"));
        assert_eq!(
            out,
            vec![
                ("slack_webhook", t.clone()),
                ("slack_webhook", b.clone()),
                ("slack_webhook", s.clone())
            ]
        );
        let out = found(&format!(r"hooks.slack.com\/services\/{t}\/{b}\/{s}"));
        assert_eq!(out.len(), 3);
        let (id, tok) = (rnd(18, DIGIT_CHARS), rnd(68, ALNUM_CHARS));
        let out = found(&format!("https://discord.com/api/webhooks/{id}/{tok}"));
        assert_eq!(out, vec![("discord_webhook", id), ("discord_webhook", tok)]);
        assert_eq!(
            found("https://hooks.slack.com/services/T000/B000/short"),
            vec![]
        );
    }

    #[test]
    fn kubernetes_secret_data() {
        let data = b64(rnd(24, ALNUM_CHARS).as_bytes());
        assert_eq!(
            found(&format!("kind: Secret\ndata:\n  api-key: {data}\n")),
            one("k8s_secret_data", &data)
        );
        assert_eq!(
            found(&format!(r"kind: Secret\ndata:\n  api-key: {data}\n")),
            one("k8s_secret_data", &data)
        );
        assert_eq!(found("data:\n  mode: ReadWriteOnce\n"), vec![]); // words are base64 too
        assert_eq!(found(&format!("data:\n  note: {data}xyz\n")), vec![]); // not a multiple of 4
    }

    #[test]
    fn secret_like_keys() {
        let v = "Tq7".to_string() + &rnd(10, ALNUM_CHARS) + "#2";
        for line in [
            "DB_PASSWORD={v}",
            "password: {v}",
            "spring.datasource.password={v}",
            "  POSTGRES_PASSWORD: '{v}'",
            "\"Password\": \"{v}\"",
            "Password={v};Encrypt=True",
            r#""text": "{\"password\": \"{v}\"}""#,
        ] {
            let text = line.replace("{v}", &v);
            assert_eq!(found(&text), one("password", &v), "{text}");
        }
        let k = rnd(40, ALNUM_CHARS) + "/+";
        assert_eq!(
            found(&format!("aws_secret_access_key = {k}")),
            one("aws_secret_access_key", &k)
        );
        assert_eq!(
            found(&format!("\"SessionToken\": \"Zq{k}\"")),
            one("aws_session_token", &format!("Zq{k}"))
        );
        let s = rnd(32, HEX);
        assert_eq!(
            found(&format!("DD_API_KEY={s}")),
            one("generic_api_key", &s)
        );
        assert_eq!(found(&format!("SECRET_KEY={k}")), one("generic_secret", &k));
        let auth = b64(format!("ci:{}", rnd(20, ALNUM_CHARS)).as_bytes());
        assert_eq!(
            found(&format!(
                r#"{{"auths": {{"r.example.com": {{"auth": "{auth}"}}}}}}"#
            )),
            one("docker_auth", &auth)
        );
        // a value with a format of its own goes to that format's recognizer
        let gh = rnd(36, ALNUM_CHARS);
        assert_eq!(
            found(&format!("GITHUB_TOKEN=ghp_{gh}")),
            one("github_pat", &gh)
        );
    }

    #[test]
    fn secret_like_keys_near_misses() {
        for text in [
            "password = None".to_string(),
            "password: str".to_string(),
            "def login(password: Optional[str] = None):".to_string(),
            "password = getpass.getpass()".to_string(),
            "password=self.password".to_string(),
            "password: ${DB_PASSWORD}".to_string(),
            "password: '{{ vault_db_password }}'".to_string(),
            "max_tokens = 4096".to_string(),
            format!("\"NextToken\": \"{}\"", rnd(40, ALNUM_CHARS)),
            "password_hash = bcrypt(x)".to_string(),
            "the password is stored in the vault".to_string(),
            "token = abcdefgh".to_string(), // no variety
        ] {
            assert_eq!(found(&text), vec![], "{text}");
        }
    }

    #[test]
    fn cli_flags() {
        let v = "Tq7".to_string() + &rnd(10, ALNUM_CHARS) + "#2";
        assert_eq!(found(&format!("--password {v}")), one("password", &v));
        assert_eq!(found(&format!("--new-password='{v}'")), one("password", &v));
        assert_eq!(
            found(&format!(r#""--requirepass", "{v}""#)),
            one("password", &v)
        );
        let t = rnd(30, ALNUM_CHARS) + "9";
        assert_eq!(
            found(&format!("cli --api-token={t} --x")),
            one("generic_secret", &t)
        );
        assert_eq!(found("--password-file /etc/secret"), vec![]);
        assert_eq!(found("--token ${TOKEN}"), vec![]);
        assert_eq!(found(&format!("x--password {v}")), vec![]); // not a flag
    }

    #[test]
    fn mysql_dash_p() {
        let v = "Tq7".to_string() + &rnd(10, ALNUM_CHARS) + "#2";
        assert_eq!(
            found(&format!("mysql -u app -p'{v}' -e 'select 1'")),
            one("password", &v)
        );
        assert_eq!(found(&format!("mysqldump -p{v} db")), one("password", &v));
        assert_eq!(found("tar -pxf archive.tar"), vec![]);
        assert_eq!(found("mkdir -p/var/lib/app"), vec![]);
    }

    #[test]
    fn terraform_variable_default() {
        let v = "Kx".to_string() + &rnd(12, ALNUM_CHARS) + "!";
        let text = format!("variable \"db_password\" {{\n  type = string\n  default = \"{v}\"\n  sensitive = true\n}}\n");
        assert_eq!(found(&text), one("password", &v));
        // the name must hold one of the words of the Terraform rule
        let text = format!("variable \"db_pwd\" {{\n  default = \"{v}\"\n}}\n");
        assert_eq!(found(&text), vec![]);
        let text = "variable \"api_token\" {\n  default = \"changeme\"\n}\n";
        assert_eq!(found(text), vec![]);
    }

    #[test]
    fn value_tests() {
        assert!(decodes_to_text(b"c3ZjOnNlY3JldA"));
        assert!(decodes_to_text(b"c3ZjOnNlY3JldA=="));
        assert!(!decodes_to_text(b"c3ZjOnNlY3JldA==="));
        assert!(!decodes_to_text(b"c3Zj=OnN"));
        assert!(!decodes_to_text(b"AAAAAAAA")); // decodes to NUL bytes
        assert!(entropy_ok(b"Ab3$efgh"));
        assert!(!entropy_ok(b"abcdefghij"));
        assert!(entropy_ok(b"abcdefgh12345678"));
        assert_eq!(key_type("dbpassword"), Some("password"));
        assert_eq!(key_type("passwordhash"), None);
        assert_eq!(key_type("nexttoken"), None);
        assert_eq!(key_type("secretaccesskey"), Some("aws_secret_access_key"));
    }

    #[test]
    fn secrets_named_by_a_sibling_key() {
        let v = "Tq7".to_string() + &rnd(12, ALNUM_CHARS) + "#2";
        for text in [
            format!(r#"{{"name": "DB_PASSWORD", "value": "{v}"}}"#),
            format!(r#"{{"Key": "/prod/db/password", "Value": "{v}"}}"#),
            format!(r#"[{{"ParameterKey": "DbPassword", "ParameterValue": "{v}"}}]"#),
            format!(r#""env": "[{{\"name\": \"ADMIN_PASSWORD\", \"value\": \"{v}\"}}]""#),
        ] {
            assert_eq!(found(&text), one("password", &v), "{text}");
        }
        let t = rnd(40, ALNUM_CHARS);
        assert_eq!(
            found(&format!(r#"{{"name": "API_TOKEN", "value": "{t}"}}"#)),
            one("generic_secret", &t)
        );
        for text in [
            format!(r#"{{"Key": "Name", "Value": "{v}"}}"#), // not a secret name
            r#"{"name": "DB_PASSWORD", "value": "changeme"}"#.to_string(), // a placeholder
            format!(r#"{{"name": "DB_PASSWORD"}}, {{"value": "{v}"}}"#), // another object
            r#"{"name": "DB_PASSWORD", "valueFrom": "arn:aws:ssm:x"}"#.to_string(),
        ] {
            assert_eq!(found(&text), vec![], "{text}");
        }
    }

    #[test]
    fn secrets_on_command_lines() {
        let v = "Tq7".to_string() + &rnd(12, ALNUM_CHARS) + "#2";
        let k = rnd(40, ALNUM_CHARS);
        assert_eq!(
            found(&format!("aws configure set aws_secret_access_key {k}\n")),
            one("aws_secret_access_key", &k)
        );
        assert_eq!(
            found(&format!(
                "aws configure set default.aws_session_token \"{k}\""
            )),
            one("aws_session_token", &k)
        );
        assert_eq!(
            found(&format!("curl -u admin:{v} https://h.example/")),
            one("password", &v)
        );
        assert_eq!(
            found(&format!("curl -s --user 'admin:{v}' https://h.example/")),
            one("password", &v)
        );
        assert_eq!(
            found(&format!("curl --user=admin:{v} x")),
            one("password", &v)
        );
        assert_eq!(
            found(&format!("sshpass -p '{v}' ssh ops@host")),
            one("password", &v)
        );
        assert_eq!(
            found(&format!(
                "openssl rsa -in k.pem -passin pass:{v} -out k2.pem"
            )),
            one("password", &v)
        );
        for text in [
            "aws configure set region us-east-1".to_string(),
            "curl -u admin https://h.example/".to_string(),
            "curl -H 'User-Agent: x' --user-agent foo:barbazqux https://h/".to_string(),
            "docker run -u 1000:1000 img".to_string(),
            "sshpass -p $SSHPASS ssh host".to_string(),
            "openssl enc -pass env:MYPASS".to_string(),
        ] {
            assert_eq!(found(&text), vec![], "{text}");
        }
    }

    #[test]
    fn xml_secrets_are_read_from_their_element_or_their_key() {
        let v = "Tq7".to_string() + &rnd(12, ALNUM_CHARS) + "#2";
        assert_eq!(found(&format!("<password>{v}</password>")), one("password", &v));
        assert_eq!(found(&format!("<add key=\"DbPassword\" value=\"{v}\"/>")), one("password", &v));
        // a long attribute, an unclosed tag, an element on two lines, another element's text
        let long = "a".repeat(200) + " password";
        assert_eq!(found(&format!("<add key=\"{long}\" value=\"{v}\"/>")), vec![]);
        assert_eq!(found(&format!("<add key=\"DbPassword\" value=\"{v}")), vec![]);
        assert_eq!(found(&format!("<password>\n{v}\n</password>")), vec![]);
        assert_eq!(found(&format!("<user>{v}</user></password>")), vec![]);
    }

    #[test]
    fn netrc_and_pgpass() {
        let v = "Tq7".to_string() + &rnd(12, ALNUM_CHARS) + "#2";
        assert_eq!(
            found(&format!("machine api.example.com login ops password {v}\n")),
            one("password", &v)
        );
        assert_eq!(
            found(&format!("machine h\n  login ops\n  password {v}\n")),
            one("password", &v)
        );
        assert_eq!(
            found(&format!("x\ndb.internal:5432:app:svc:{v}\n")),
            one("password", &v)
        );
        assert_eq!(
            found(&format!(r"x\n*:*:*:postgres:{v}\n")),
            one("password", &v)
        );
        assert_eq!(
            found(&format!("the password {v} is not in a netrc")),
            vec![]
        );
        assert_eq!(found("machine h login ops password secret\n"), vec![]);
        assert_eq!(found("\nhost:port:db:user:password1\n"), vec![]); // the port is no number
    }

    #[test]
    fn aws_secret_key_with_json_escapes() {
        let (a, b, c) = (
            rnd(12, ALNUM_CHARS),
            rnd(15, ALNUM_CHARS),
            rnd(11, ALNUM_CHARS),
        );
        let text = format!(r#"{{"out": "aws_secret_access_key={a}\/{b}\u002F{c}\n"}}"#);
        let want = format!(r"{a}\/{b}\u002F{c}");
        assert_eq!(found(&text), one("aws_secret_access_key", &want));
        // 39 characters: no key's shape, but the value the key names, escape and all
        let text = format!(
            r#"{{"out": "aws_secret_access_key={a}\/{b}{}\n"}}"#,
            &c[..10]
        );
        let want = format!(r"{a}\/{b}{}", &c[..10]);
        assert_eq!(found(&text), one("aws_secret_access_key", &want));
    }
}
