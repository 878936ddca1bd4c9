"""Credentials: provider tokens with a documented prefix, JWTs, private keys, passwords in URLs,
authorization headers, AWS secret keys and session tokens, and values assigned to secret-like
keys in config formats (.env, YAML, INI, JSON, properties, Terraform, code, CLI flags).

Token formats are public facts (provider docs, gitleaks and detect-secrets rule sets); the rules
here are written for this scanner: a cheap literal prefix for RE2, length and boundary checks
in Python. The prefix that names the provider (``ghp_``, ``sk-ant-api03-``) is kept so that a
surrogate is still recognizable; everything after it is masked.
"""

from __future__ import annotations

import base64
import binascii
import re

from masking.findings import CLASSWISE, Finding

from ._base import (
    ALNUM,
    WORD,
    CheckResult,
    Field,
    Recognizer,
    Value,
    escape_ends_at,
    field_check,
    left_ok,
    norm_key,
    right_ok,
    unescape,
)

CATEGORY = "secret"

# (type, RE2 pattern, bytes of the pattern's literal prefix to keep, description)
TOKENS: tuple[tuple[str, str, int, str], ...] = (
    ("github_pat", r"ghp_[A-Za-z0-9]{36}", 4, "GitHub personal access token (classic)"),
    ("github_oauth", r"gho_[A-Za-z0-9]{36}", 4, "GitHub OAuth access token"),
    ("github_user_token", r"ghu_[A-Za-z0-9]{36}", 4, "GitHub user-to-server token"),
    ("github_app_token", r"ghs_[A-Za-z0-9]{36}", 4, "GitHub app installation token"),
    ("github_refresh_token", r"ghr_[A-Za-z0-9]{36,76}", 4, "GitHub refresh token"),
    (
        "github_fine_grained_pat",
        r"github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}",
        11,
        "GitHub fine-grained personal access token",
    ),
    ("gitlab_pat", r"glpat-[A-Za-z0-9_-]{20,50}", 6, "GitLab personal access token"),
    (
        "gitlab_token",
        r"(?:gldt|glptt|glrt|glcbt|glsoat|gloas|glft|glimt|glagent|glffct|glwt)-"
        r"[A-Za-z0-9_-]{20,64}",
        0,
        "GitLab deploy/trigger/runner/feed/agent token",
    ),
    (
        "gitlab_runner_registration",
        r"GR1348941[A-Za-z0-9_-]{20}",
        9,
        "GitLab runner registration token",
    ),
    ("slack_token", r"xox[abposre]-[0-9A-Za-z-]{10,250}", 5, "Slack bot/user/app token"),
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
    ("stripe_webhook_secret", r"whsec_[A-Za-z0-9]{32,64}", 6, "Stripe webhook signing secret"),
    ("google_api_key", r"AIza[0-9A-Za-z_-]{35}", 4, "Google API key"),
    ("google_oauth_client_secret", r"GOCSPX-[A-Za-z0-9_-]{28}", 7, "Google OAuth client secret"),
    ("google_oauth_token", r"ya29\.[0-9A-Za-z_-]{20,2000}", 5, "Google OAuth access token"),
    (
        "openai_api_key",
        r"sk-(?:proj|svcacct|admin|None)-[A-Za-z0-9_-]{40,250}",
        3,
        "OpenAI project/service-account/admin key",
    ),
    ("openai_api_key", r"sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}", 3, "OpenAI legacy key"),
    (
        "anthropic_api_key",
        r"sk-ant-(?:api|admin|oat|ort)[0-9]{2}-[A-Za-z0-9_-]{80,120}",
        0,
        "Anthropic API/admin/OAuth key",
    ),
    ("npm_token", r"npm_[A-Za-z0-9]{36}", 4, "npm access token"),
    ("pypi_token", r"pypi-[A-Za-z0-9_-]{50,250}", 5, "PyPI upload token"),
    ("sendgrid_api_key", r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}", 3, "SendGrid API key"),
    ("twilio_api_key", r"SK[0-9a-f]{32}", 2, "Twilio API key SID"),
    ("huggingface_token", r"hf_[A-Za-z]{34}", 3, "Hugging Face access token"),
    ("huggingface_org_token", r"api_org_[A-Za-z]{34}", 8, "Hugging Face organization token"),
    ("digitalocean_token", r"do[opr]_v1_[a-f0-9]{64}", 7, "DigitalOcean PAT/OAuth/refresh token"),
    ("heroku_api_key", r"HRKU-AA[0-9A-Za-z_-]{58}", 5, "Heroku API key"),
    ("shopify_token", r"shp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}", 6, "Shopify access token"),
    ("databricks_token", r"dapi[a-f0-9]{32}(?:-[0-9])?", 4, "Databricks token"),
    ("doppler_token", r"dp\.(?:pt|st|ct|scim|audit)\.[A-Za-z0-9]{40,44}", 0, "Doppler token"),
    ("dynatrace_token", r"dt0c01\.[A-Z0-9]{24}\.[A-Z0-9]{64}", 7, "Dynatrace API token"),
    (
        "grafana_token",
        r"glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}|glc_[A-Za-z0-9+/]{32,400}={0,2}",
        0,
        "Grafana service account or cloud token",
    ),
    ("linear_api_key", r"lin_api_[A-Za-z0-9]{40}", 8, "Linear API key"),
    ("mailgun_api_key", r"key-[0-9a-zA-Z]{32}", 4, "Mailgun API key"),
    ("mailchimp_api_key", r"<32>[0-9a-f]{32}-us[0-9]{1,2}", 0, "Mailchimp API key"),
    ("newrelic_key", r"NR(?:AK|II|JS|AA)-[A-Za-z0-9]{27}", 5, "New Relic key"),
    ("postman_api_key", r"PMAK-[a-f0-9]{24}-[a-f0-9]{34}", 5, "Postman API key"),
    ("pulumi_token", r"pul-[a-f0-9]{40}", 4, "Pulumi access token"),
    ("sentry_token", r"sntry[su]_[A-Za-z0-9+/=_]{40,200}", 7, "Sentry auth token"),
    (
        "terraform_cloud_token",
        r"<14>[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,70}",
        0,
        "Terraform Cloud API token",
    ),
    ("vault_token", r"hv[sbr]\.[A-Za-z0-9_-]{24,200}", 4, "HashiCorp Vault token"),
    ("telegram_bot_token", r"<16>[0-9]{5,16}:AA[0-9A-Za-z_-]{33}", 0, "Telegram bot token"),
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
    ("clojars_token", r"CLOJARS_[a-z0-9]{60}", 8, "Clojars deploy token"),
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
    ("rubygems_api_key", r"rubygems_[a-f0-9]{48}", 9, "RubyGems API key"),
    ("supabase_token", r"sbp_[a-f0-9]{40}", 4, "Supabase access token"),
    ("notion_token", r"ntn_[A-Za-z0-9]{46}", 4, "Notion integration token"),
    ("replicate_token", r"r8_[A-Za-z0-9]{37}", 3, "Replicate API token"),
    ("groq_api_key", r"gsk_[A-Za-z0-9]{52}", 4, "Groq API key"),
    ("perplexity_api_key", r"pplx-[A-Za-z0-9]{48}", 5, "Perplexity API key"),
    ("xai_api_key", r"xai-[A-Za-z0-9]{80}", 4, "xAI API key"),
    ("atlassian_token", r"ATATT3[A-Za-z0-9_=-]{180,200}", 6, "Atlassian API token"),
    ("contentful_token", r"CFPAT-[A-Za-z0-9_-]{43}", 6, "Contentful personal access token"),
    ("easypost_api_key", r"EZ[AT]K[A-Za-z0-9]{54}", 4, "EasyPost API key"),
    ("brevo_api_key", r"xkeysib-[a-f0-9]{64}-[A-Za-z0-9]{16}", 8, "Brevo (Sendinblue) API key"),
    ("shippo_token", r"shippo_(?:live|test)_[a-f0-9]{40}", 12, "Shippo API token"),
    ("prefect_token", r"pnu_[A-Za-z0-9]{36}", 4, "Prefect API key"),
    ("adafruit_key", r"aio_[A-Za-z0-9]{28}", 4, "Adafruit IO key"),
    (
        "mapbox_secret_token",
        r"sk\.eyJ[A-Za-z0-9_-]{20,200}\.[A-Za-z0-9_-]{20,50}",
        3,
        "Mapbox secret token",
    ),
    ("aws_appsync_api_key", r"da2-[a-z0-9]{26}", 4, "AppSync API key"),
    ("duffel_token", r"duffel_(?:test|live)_[A-Za-z0-9_=-]{43}", 12, "Duffel API token"),
    ("frameio_token", r"fio-u-[A-Za-z0-9_=-]{64}", 6, "Frame.io token"),
    ("octopus_api_key", r"API-[A-Z0-9]{26}", 4, "Octopus Deploy API key"),
    (
        "azure_ad_client_secret",
        r"<4>[A-Za-z0-9_~.]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34}",
        0,
        "Azure AD (Entra) client secret",
    ),
    (
        "aws_session_token",
        r"(?:FwoGZXIvYXdz|IQoJb3JpZ2lu|IQoDYXdz|AQoDYXdz|AQoEXAMPLE)(?:[A-Za-z0-9+=]|\\{0,3}/){40,2000}",
        0,
        "AWS STS session token (by its well-known prefix)",
    ),
)


_ANCHORS = {  # tokens that start with a class: scan for their distinctive middle instead
    "mailchimp_api_key": r"-us[0-9]",
    "terraform_cloud_token": r"\.atlasv1\.",
    "telegram_bot_token": r"[0-9]:AA[0-9A-Za-z_-]{33}",
    "azure_ad_client_secret": r"[0-9]Q~[A-Za-z0-9_~.-]{31}",
    "aws_session_token": r"FwoGZXIvYXdz|IQoJb3JpZ2lu|IQoDYXdz|AQoDYXdz|AQoEXAMPLE",
}
_BACK_RX = re.compile(r"^<(\d+)>")


_GLUE_AZURE = tuple(ALNUM[b] or b in b"_~.-+/" for b in range(256))


def _re2_bounded(pattern: str) -> str:
    """The scan pattern only needs the shortest form of a token (``{a,b}`` -> ``{a}``): that keeps
    the DFA small and within RE2's repetition limits; the check re-matches the full pattern."""
    return re.sub(r"\{(\d+),(\d+)\}", lambda m: "{" + m.group(1) + "}", pattern)


def _token_check(rtype: str, pattern: str, keep: int) -> object:
    bm = _BACK_RX.match(pattern)
    back = int(bm.group(1)) if bm else 0
    full = re.compile(pattern[bm.end() :].encode() if bm else pattern.encode())

    def check(data: bytes, s: int, e: int) -> CheckResult:
        m = None
        if back:
            # the candidate is the token's middle: find the token's start up to `back` bytes left
            for a in range(max(0, s - back), s + 1):
                m = full.match(data, a, min(len(data), a + 2100))
                if m is not None and m.end() > s and left_ok(data, a):
                    s = a
                    break
                m = None
        else:
            m = full.match(data, s, min(len(data), s + 2100))
        if m is None:
            return None
        e = m.end()
        if not left_ok(data, s) or not right_ok(data, e):
            return None
        if rtype == "azure_ad_client_secret" and not left_ok(data, s, _GLUE_AZURE):
            return None  # inside a longer base64 or URL-safe token
        return [Finding(s + keep, e, rtype, CLASSWISE)], e

    return check


# ---------------------------------------------------------------- JWT

_JWT = re.compile(rb"ey[A-Za-z0-9_-]{10,3000}\.ey[A-Za-z0-9_-]{10,4000}\.[A-Za-z0-9_-]{0,1000}")


def _check_jwt(data: bytes, s: int, e: int) -> CheckResult:
    m = _JWT.match(data, s, min(len(data), s + 8000))
    if m is None:
        return None
    e = m.end()
    if not left_ok(data, s) or not right_ok(data, e, WORD):
        return None
    d1 = data.index(b".", s)
    d2 = data.index(b".", d1 + 1)
    out = [Finding(s, d1, "jwt", CLASSWISE), Finding(d1 + 1, d2, "jwt", CLASSWISE)]
    if e > d2 + 1:
        out.append(Finding(d2 + 1, e, "jwt", CLASSWISE))
    return out, e


# ---------------------------------------------------------------- private keys

_PEM_BEGIN = re.compile(rb"-----BEGIN ((?:[A-Z0-9]+ ){0,3})PRIVATE KEY( BLOCK)?-----")
_PEM_END = re.compile(rb"-----END ")
_B64_RUN = re.compile(rb"[A-Za-z0-9+/=]+")
_ESC_OR_WS = re.compile(rb"(?:\\+[nrt]|[\s]|\\+(?=/))+")
_PEM_HEADER_LINE = re.compile(rb"(?:Proc-Type|DEK-Info|Comment|Version):[^\r\n\\]*")


def _check_private_key(data: bytes, s: int, e: int) -> CheckResult:
    m = _PEM_BEGIN.match(data, s, e)
    if m is None:
        return None
    limit = min(len(data), s + 8000)
    em = _PEM_END.search(data, m.end(), limit)
    body_end = em.start() if em else limit
    out: list[Finding] = []
    j = m.end()
    while j < body_end:
        hm = _PEM_HEADER_LINE.match(data, j, body_end)
        if hm is not None:
            j = hm.end()
            continue
        bm = _B64_RUN.match(data, j, body_end)
        if bm is not None:
            a, b = bm.start(), bm.end()
            # a run right after an escaping backslash starts with the escape letter ('\n')
            if a > 0 and data[a - 1] == 0x5C and escape_ends_at(data, a):
                a += 1
            if b > a:
                out.append(Finding(a, b, "private_key", CLASSWISE))
            j = b
            continue
        j += 1
    # a placeholder such as '<a very long private key string>' has no base64 run of any length
    if not out or max(f.end - f.start for f in out) < 20:
        return None
    end = em.start() if em else body_end
    return out, end


# ---------------------------------------------------------------- URLs with credentials

_URL_CRED = re.compile(
    rb"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]{1,30}):(?:\\{0,7}/){2}(?P<user>[^\s:/@\"'\\<>]{0,128})"
    rb"(?::(?P<pw>[^\s/@\"'\\<>]{1,256}))?@(?P<host>[A-Za-z0-9\[])"
)
_DB_SCHEMES = frozenset(
    b"postgres postgresql mysql mariadb mongodb mongodb+srv redis rediss amqp amqps mssql "
    b"sqlserver oracle cockroachdb clickhouse jdbc:postgresql jdbc:mysql memcached couchdb "
    b"neo4j cassandra elasticsearch".split()
)
_PW_STOP = frozenset(
    b"password pass passwd pwd secret token changeme xxx xxxx xxxxx ***** **** *** ... "
    b"user username x null none undefined example your-password yourpassword mypassword "
    b"<password> pw p@ssw0rd".split()
)
_PLACEHOLDER = re.compile(rb"\$\{|\$\(|\{\{|%\(|<[A-Za-z_]|\$[A-Za-z_]|\*{3,}|x{4,}|X{4,}|\.\.\.")


_SCHEME_CHARS = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-")


def _check_url_cred(data: bytes, a: int, e: int) -> CheckResult:
    # the candidate is '://'; the scheme lies to its left (read back, at most 30 bytes)
    s = a
    lo = max(0, a - 30)
    while s > lo and data[s - 1] in _SCHEME_CHARS:
        s -= 1
    if s == a or not (65 <= data[s] <= 90 or 97 <= data[s] <= 122):
        return None
    if not left_ok(data, s):
        return None
    m = _URL_CRED.match(data, s, min(len(data), s + 600))
    if m is None:
        return None
    scheme = m.group("scheme").lower()
    pw = m.group("pw")
    if pw is not None:
        a, b = m.span("pw")
        if (
            pw.lower() in _PW_STOP
            or _PLACEHOLDER.search(pw)
            or not any(ALNUM[c] for c in pw)
            or (m.group("user").lower() in _PW_STOP and len(pw) < 8)
        ):
            return [], m.end("pw") + 1
        rtype = "db_password" if scheme in _DB_SCHEMES else "url_credentials"
        return [Finding(a, b, rtype, CLASSWISE)], b + 1
    user = m.group("user")
    # a bare token as the user part (Sentry DSN key, https://TOKEN@host)
    if (
        len(user) >= 20
        and re.fullmatch(rb"[A-Za-z0-9_-]+", user)
        and any(48 <= c <= 57 for c in user)
        and any(c >= 65 for c in user)
    ):
        a, b = m.span("user")
        if re.match(rb"gh[pousr]_|glpat-|npm_|xox", user):
            return [], a
        return [Finding(a, b, "url_credentials", CLASSWISE)], b + 1
    return None


# ---------------------------------------------------------------- Authorization headers

_AUTH = re.compile(rb"(?i:(basic|bearer|token))[ \t]{1,4}([A-Za-z0-9+/=._~-]{8,4096})")


def _check_auth(data: bytes, s: int, e: int) -> CheckResult:
    if not left_ok(data, s, _GLUE_AZURE):  # '--next-token VALUE' is a pagination token
        return None
    m = _AUTH.match(data, s, min(len(data), s + 4200))
    if m is None:
        return None
    a, b = m.span(2)
    while b > a and data[b - 1] in b".":
        b -= 1
    tok = data[a:b]
    if not right_ok(data, b, WORD) or tok.lower() in _PW_STOP or _PLACEHOLDER.search(tok):
        return None
    if tok.startswith(b"ey") or re.match(rb"gh[pousr]_|glpat-|npm_|xox|sk-|AKIA|hf_", tok):
        return [], a  # a JWT or a known token: its own recognizer takes it from here
    kind = m.group(1).lower()
    if kind == b"basic":
        if len(tok) < 8 or not _decodes_to_text(tok):
            return None
        return [Finding(a, b, "basic_auth", CLASSWISE)], b
    # bearer/token: must look random (letters and digits mixed, long enough)
    if len(tok) < 16 or not (any(48 <= c <= 57 for c in tok) and any(65 <= c <= 122 for c in tok)):
        return None
    return [Finding(a, b, "bearer_token", CLASSWISE)], b


def _decodes_to_text(tok: bytes) -> bool:
    try:
        raw = base64.b64decode(tok + b"=" * (-len(tok) % 4), validate=True)
    except (binascii.Error, ValueError):
        return False
    return len(raw) >= 3 and all(32 <= c < 127 for c in raw)


# ---------------------------------------------------------------- pre-signed URL credentials

# A pre-signed S3 (or other SigV2/SigV4) URL grants access to whoever holds it: its access key id,
# signature and session token are credentials ('...?AWSAccessKeyId=AKIA...&Expires=...&
# Signature=...', 'X-Amz-Credential=AKIA.../20240501/us-east-1/s3/aws4_request').
_PRESIGNED = re.compile(
    rb"[?&;](?P<k>AWSAccessKeyId|Signature|X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token)"
    rb"=(?P<v>[A-Za-z0-9%+/=._~-]{8,2048})"
)
_PRESIGNED_TYPE = {
    b"AWSAccessKeyId": "aws_access_key_id",
    b"X-Amz-Credential": "aws_access_key_id",
    b"Signature": "generic_secret",
    b"X-Amz-Signature": "generic_secret",
    b"X-Amz-Security-Token": "aws_session_token",
}
_CRED_SCOPE = re.compile(rb"%2[Ff]|/")


def _check_presigned(data: bytes, s: int, e: int) -> CheckResult:
    m = _PRESIGNED.match(data, s, min(len(data), s + 2100))
    if m is None:
        return None
    k = m.group("k")
    a, b = m.span("v")
    if k == b"X-Amz-Credential":  # the key id, then the scope: date/region/service/aws4_request
        sm = _CRED_SCOPE.search(data, a, b)
        if sm is not None:
            b = sm.start()
    if k in (b"AWSAccessKeyId", b"X-Amz-Credential") and data[a : a + 4] in (b"AKIA", b"ASIA"):
        a += 4  # the prefix stays, as for a bare access key id
    if b - a < 8 or _PLACEHOLDER.search(data, a, b):
        return None
    return [Finding(a, b, _PRESIGNED_TYPE[k], CLASSWISE)], m.end()


# ---------------------------------------------------------------- Slack/Discord webhooks

_SLASH_RX = rb"(?:\\{0,7}/|\\{1,7}u002[fF])"
_WEBHOOK = re.compile(
    rb"hooks\.slack\.com"
    + _SLASH_RX
    + rb"(?:services|workflows|triggers)"
    + _SLASH_RX
    + rb"([A-Za-z0-9]{8,12})"
    + _SLASH_RX
    + rb"([A-Za-z0-9]{8,12})"
    + _SLASH_RX
    + rb"([A-Za-z0-9]{16,64})"
)
_DISCORD = re.compile(
    rb"discord(?:app)?\.com"
    + _SLASH_RX
    + rb"api"
    + _SLASH_RX
    + rb"webhooks"
    + _SLASH_RX
    + rb"([0-9]{17,20})"
    + _SLASH_RX
    + rb"([A-Za-z0-9_-]{60,80})"
)


def _check_webhook(data: bytes, s: int, e: int) -> CheckResult:
    m = _WEBHOOK.match(data, s, min(len(data), s + 300))
    rtype = "slack_webhook"
    if m is None:
        m = _DISCORD.match(data, s, min(len(data), s + 300))
        rtype = "discord_webhook"
        if m is None:
            return None
    if not right_ok(data, m.end()):
        return None
    out = [Finding(m.start(g), m.end(g), rtype, CLASSWISE) for g in range(1, m.lastindex + 1)]
    return out, m.end()


# ---------------------------------------------------------------- Kubernetes Secret data lines

_K8S_LINE = re.compile(
    rb"[\nn]([ ]{2,12})([A-Za-z0-9_.-]{1,64}):[ ]{1,4}"
    rb"([A-Za-z0-9+/]{8,4000}={0,2})(?=\r|\n|\\|$)"
)


def _check_k8s(data: bytes, s: int, e: int) -> CheckResult:
    if data[s] == 0x6E and not (s > 0 and data[s - 1] == 0x5C):
        return None  # a letter n, not the escape \n
    m = _K8S_LINE.match(data, s, min(len(data), s + 4200))
    if m is None:
        return None
    val = m.group(3)
    if len(val) % 4 or not _decodes_to_text(val):
        return None
    # plain words are valid base64 too; a Secret's values have digits, '=' or mixed case
    if not (b"=" in val or any(48 <= c <= 57 for c in val)):
        return None
    return [Finding(m.start(3), m.end(3), "k8s_secret_data", CLASSWISE)], m.end(3)


# ---------------------------------------------------------------- secret-like keys

# Keywords a key contains (matched case-insensitively inside longer keys such as DB_PASSWORD,
# spring.datasource.password, client-secret, X-Api-Key).
_KEYWORDS = (
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
)

# The type of a key: the first rule whose word occurs in the normalized key wins.
_KEY_TYPES: tuple[tuple[str, str], ...] = (
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
)
# keys that contain a keyword but hold no secret
_KEY_EXCLUDE = re.compile(
    r"(?:id|ids|type|types|name|names|url|uri|path|file|length|len|size|count|max|min|"
    r"policy|expir\w*|ttl|time|timeout|format|header|field|prefix|suffix|version|enabled|"
    r"required|hint|label|method|mode|provider|endpoint|limit|hash|salt|rounds|manager|"
    r"store|class|kind|help|pattern|regex|validator|reset|changed|updated|created|index|"
    r"indices|arn|region|user|username|host|port|issuer|audience|scope|scopes|source|location|"
    r"tokens|tokenizer|tokenize|tokenized|tokenization|authority|author|authors|authorization|"
    r"authorize|authorized|authentication|authenticated|authenticate|authenticator|authn|authz|"
    r"auths|authenticity|authmethod|authtype|authorizationtype|authorizer|authorizerid|"
    r"csrftoken|nexttoken|continuationtoken|paginationtoken|marker|pagetoken|nextpagetoken|"
    r"clienttoken|idempotencytoken|changetoken|tokenendpoint|tokenurl|tokentype|sessionname|"
    r"verificationtoken|canceltoken|tokenizer|csrf|xsrf|spec|requesttoken|startingtoken|"
    r"passthrough|passthru|bypass|compass|passive|passenger|passage|encompass|pwdir|cwd|"
    r"pass_?through)$"
)
_VALUE_STOP = frozenset(
    b"none null nil true false undefined password passwd pass secret token changeme "
    b"required optional string str int bool bytes yes no on off env default empty "
    b"redacted hidden masked sensitive example test dummy foo bar baz xxx".split()
)
_CODEISH = re.compile(
    rb"[A-Za-z_]+(?:\.[A-Za-z_]+)+(?:\(|\[|$)|"  # obj.attr, mod.fn( (no digits: not a password)
    rb"[A-Za-z_][A-Za-z0-9_]*\(|"  # fn(
    rb"[A-Za-z_][A-Za-z0-9_]*\[|"  # x[...]
    rb"(?:os|process|self|this|config|settings|env|ENV|params|args|kwargs|options|opts|cfg|ctx|"
    rb"request|req|data|secrets|vars|getpass|input|props)\b"
)


def _entropy_ok(v: bytes) -> bool:
    """Enough variety to be a credential rather than a word or an identifier."""
    if len(v) < 8:
        return False
    classes = (
        any(48 <= c <= 57 for c in v)
        + any(97 <= c <= 122 for c in v)
        + any(65 <= c <= 90 for c in v)
        + any(not ALNUM[c] for c in v)
    )
    if classes >= 3:
        return True
    if classes == 2 and len(v) >= 16 and any(48 <= c <= 57 for c in v):
        return True
    return len(v) >= 32 and len(set(v)) >= 12


_NEXT_PAIR = re.compile(rb";[ ]?[A-Za-z][A-Za-z0-9 _.-]{0,40}=")


def _v_secret(data: bytes, v: Value, rtype: str) -> list[Finding] | None:
    raw = data[v.start : v.end]
    if not v.quote:
        # a bare value ends a sentence or a line of code: trim trailing punctuation; in a
        # connection string ('Password=x;Encrypt=True') the next ';Key=' ends it
        cm = _NEXT_PAIR.search(data, v.start, v.end)
        end = cm.start() if cm else v.end
        while end > v.start and data[end - 1] in b".,;)":
            end -= 1
        raw = data[v.start : end]
    else:
        end = v.end
    if not raw or raw.lower() in _VALUE_STOP or _PLACEHOLDER.search(raw):
        return None
    if _KNOWN_PREFIX.match(raw):
        return []  # a token with a known format: its own recognizer takes it
    if not v.quote and _CODEISH.match(raw):
        return None
    if (
        not v.quote
        and v.sep == b":"
        and re.fullmatch(rb"[A-Za-z_][A-Za-z0-9_]*", raw)
        and not any(48 <= c <= 57 for c in raw)
    ):
        return None  # 'password: str', 'token: Optional' (type hints), YAML anchors
    if rtype == "password":
        if len(raw) < 6 or not any(ALNUM[c] for c in raw):
            return None
        if not v.quote and not _entropy_ok(raw) and len(raw) < 8:
            return None
    elif rtype == "docker_auth":
        if not (len(raw) >= 12 and _decodes_to_text(raw)):
            return None
    elif not _entropy_ok(unescape(raw)):
        return None
    return [Finding(v.start, end, rtype, CLASSWISE)]


# A value that has a format of its own is left to that format's recognizer (which keeps the
# provider prefix and gives the precise type).
_KNOWN_PREFIX = re.compile(
    rb"(?:" + b"|".join(_BACK_RX.sub("", p).encode() for _, p, _, _ in TOKENS) + rb")|"
    rb"gh[pousr]_|github_pat_|glpat-|xox[abposre]-|AKIA|ASIA|ey[A-Za-z0-9_-]{10,}\.|-----BEGIN|"
    rb"arn:|https?:|[a-zA-Z][a-zA-Z0-9+.-]{1,30}://"
)


def _key_type(key: str) -> str | None:
    if _KEY_EXCLUDE.search(key):
        return None
    for word, rtype in _KEY_TYPES:
        if word in key:
            return rtype
    return None


class _KeyTable(dict):
    """Field table keyed by the normalized key; computes the type of unseen keys on demand."""

    def get(self, key: str, default: object = None) -> Field | None:  # type: ignore[override]
        f = dict.get(self, key)
        if f is None and key not in self:
            rtype = _key_type(key)
            f = Field(rtype, CLASSWISE, _v_secret, line=True) if rtype else None
            if len(self) < 4096:
                self[key] = f
        return f


_SECRET_KEYS = _KeyTable()


# the candidate is a keyword inside a key; the check reads the whole key back and types it
_check_secret_key = field_check(_SECRET_KEYS, suffix=True)

_KEYWORD_PATTERN = (
    "(?i:"
    + "|".join(re.escape(k) for k in _KEYWORDS)
    + ")[A-Za-z0-9_.-]*(?:\\\\{0,7}[\"'])?[ \t]*[:=|]"
)


# ---------------------------------------------------------------- CLI flags and Terraform variables

_FLAG_WORDS = "(?i:password|passwd|passphrase|secret|token|requirepass|api-key|apikey|auth-key)"
_SECRET_FLAG = re.compile(
    rb"--(?P<flag>[A-Za-z0-9-]{0,30}" + _FLAG_WORDS.encode() + rb"[A-Za-z0-9-]{0,20})"
    rb"(?:=|[ \t]{1,4}|(?P<jq>\\{0,7}\")[ \t]*,[ \t]*)(?P<vq>\\{0,7}[\"']|')?"
)


def _quoted_or_bare(data: bytes, vs: int, vq: bytes, limit: int) -> int:
    """End of a value starting at ``vs``: its closing quote, or the first blank/escape."""
    j = vs
    if vq:
        q = vq[-1]
        while j < limit and data[j] != q and data[j] not in b"\\\n\r":
            j += 1
        return j
    while j < limit and data[j] not in b" \t\r\n\"'\\`;|&)":
        j += 1
    return j


def _check_secret_flag(data: bytes, s: int, e: int) -> CheckResult:
    if s > 0 and data[s - 1] not in b" \t\n\"'=[(" and not escape_ends_at(data, s - 1):
        return None
    m = _SECRET_FLAG.match(data, s, min(len(data), s + 80))
    if m is None:
        return None
    flag = norm_key(m.group("flag"))
    rtype = _key_type(flag)
    if rtype is None:
        return None
    if m.group("jq") and not m.group("vq"):
        return None
    limit = min(len(data), m.end() + 512)
    ve = _quoted_or_bare(data, m.end(), m.group("vq") or b"", limit)
    if ve <= m.end():
        return None
    v = Value(m.end(), ve, m.group("vq") or b"", b"=")
    fs = _v_secret(
        data, v, "password" if rtype in ("password", "generic_secret") and "pass" in flag else rtype
    )
    if fs is None:
        return None
    return (fs, ve) if fs else ([], m.end())


_MYSQL_P = re.compile(rb"-p(?P<vq>\\{0,7}[\"']|')?")


def _check_dash_p(data: bytes, s: int, e: int) -> CheckResult:
    # mysql/mysqldump style: -p'secret' or -psecret (no blank after -p)
    s += 1
    m = _MYSQL_P.match(data, s, e + 8)
    if m is None:
        return None
    vq = m.group("vq") or b""
    limit = min(len(data), m.end() + 256)
    ve = _quoted_or_bare(data, m.end(), vq, limit)
    raw = data[m.end() : ve]
    if len(raw) < 6 or raw.lower() in _PW_STOP or _PLACEHOLDER.search(raw) or not _entropy_ok(raw):
        return None
    if not vq and raw[:1] in b"/.~-":
        return None
    return [Finding(m.end(), ve, "password", CLASSWISE)], ve


_TF_VARIABLE = re.compile(rb"variable[ \t]+\\{0,7}\"(?P<name>[A-Za-z0-9_-]{1,80})\\{0,7}\"[ \t]*\{")
_TF_DEFAULT = re.compile(rb"default[ \t]*=[ \t]*(?P<q>\\{0,7}\")(?P<v>[^\"\\\r\n]{1,256})(?P=q)")


def _check_tf_variable(data: bytes, s: int, e: int) -> CheckResult:
    # variable "db_password" { type = string  default = "..." }: the default is the secret
    m = _TF_VARIABLE.match(data, s, min(len(data), s + 128))
    if m is None:
        return None
    rtype = _key_type(norm_key(m.group("name")))
    if rtype is None:
        return None
    close = data.find(b"}", m.end(), min(len(data), m.end() + 400))
    if close < 0:
        return None
    d = _TF_DEFAULT.search(data, m.end(), close)
    if d is None:
        return [], m.end()
    v = Value(d.start("v"), d.end("v"), d.group("q"), b"=")
    fs = _v_secret(data, v, rtype)
    if not fs:
        return [], m.end()
    return fs, d.end("v")


# ---------------------------------------------------------------- the family

RECOGNIZERS: tuple[Recognizer, ...] = (
    (
        Recognizer(
            "secrets.private_key",
            r"-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----",
            _check_private_key,
            ("private_key",),
        ),
        Recognizer("secrets.jwt", r"ey[A-Za-z0-9_-]{10}[A-Za-z0-9_-]*\.ey", _check_jwt, ("jwt",)),
        Recognizer(
            "secrets.webhook",
            r"hooks\.slack\.com(?:\\{0,7}/|\\{1,7}u002[fF])|discord(?:app)?\.com(?:\\{0,7}/|"
            r"\\{1,7}u002[fF])api",
            _check_webhook,
            ("slack_webhook", "discord_webhook"),
        ),
        Recognizer(
            "secrets.url_credentials",
            r":\\{0,3}/\\{0,3}/[^\s/@\"'<>\\]*@",
            _check_url_cred,
            ("db_password", "url_credentials"),
        ),
        Recognizer(
            "secrets.presigned_url",
            r"[?&;](?:AWSAccessKeyId|Signature|X-Amz-(?:Signature|Credential|Security-Token))=",
            _check_presigned,
            ("aws_access_key_id", "generic_secret", "aws_session_token"),
        ),
        Recognizer(
            "secrets.authorization",
            r"(?i:basic|bearer)[ \t]+[A-Za-z0-9+/=._~-]{8}|[Tt]oken [A-Za-z0-9+/=._~-]{16}",
            _check_auth,
            ("basic_auth", "bearer_token"),
        ),
    )
    + tuple(
        Recognizer(
            "secrets." + rtype,
            _ANCHORS.get(rtype) or _re2_bounded(pat),
            _token_check(rtype, pat, keep),
            (rtype,),
        )  # type: ignore[arg-type]
        for rtype, pat, keep, _ in TOKENS
    )
    + (
        Recognizer(
            "secrets.flags",
            "--[A-Za-z0-9-]{0,30}" + _FLAG_WORDS,
            _check_secret_flag,
            ("password", "generic_secret", "generic_api_key"),
        ),
        Recognizer("secrets.dash_p", r" -p[\\\"'A-Za-z0-9!@#$%^&*_]", _check_dash_p, ("password",)),
        Recognizer(
            "secrets.tf_variable",
            r"variable[ \t]+\\{0,7}\"[A-Za-z0-9_-]{0,40}"
            r"(?i:password|passwd|secret|token|api_?key|private_?key|credential)",
            _check_tf_variable,
            ("password", "generic_secret", "generic_api_key"),
        ),
        Recognizer(
            "secrets.k8s_data",
            r"[\nn]  [ ]*[A-Za-z0-9_.-]+: ?[ ]*[A-Za-z0-9+/]{12}",
            _check_k8s,
            ("k8s_secret_data",),
        ),
        Recognizer(
            "secrets.keys",
            _KEYWORD_PATTERN,
            _check_secret_key,
            (
                "password",
                "generic_secret",
                "generic_api_key",
                "aws_secret_access_key",
                "aws_session_token",
                "azure_storage_key",
                "docker_auth",
            ),
        ),
    )
)

TYPES: tuple[tuple[str, str, str], ...] = tuple(
    dict.fromkeys((t, CLASSWISE, d) for t, _, _, d in TOKENS)
) + (
    ("private_key", CLASSWISE, "PEM/OpenSSH private key body (BEGIN/END lines kept)"),
    ("jwt", CLASSWISE, "JSON Web Token (all three parts; dots kept)"),
    ("slack_webhook", CLASSWISE, "Slack incoming-webhook URL secret parts"),
    ("discord_webhook", CLASSWISE, "Discord webhook id and token"),
    ("db_password", CLASSWISE, "password in a database URL (scheme://user:PASSWORD@host)"),
    ("url_credentials", CLASSWISE, "password or token in the user part of a URL"),
    ("basic_auth", CLASSWISE, "HTTP Basic credentials (base64)"),
    ("bearer_token", CLASSWISE, "opaque HTTP bearer token"),
    ("k8s_secret_data", CLASSWISE, "base64 value in a Kubernetes Secret data block"),
    ("password", CLASSWISE, "value of a password-like key in config or code"),
    ("generic_secret", CLASSWISE, "high-entropy value of a secret/token-like key"),
    ("generic_api_key", CLASSWISE, "high-entropy value of an api-key-like key"),
    ("aws_secret_access_key", CLASSWISE, "AWS secret access key (by its key)"),
    ("azure_storage_key", CLASSWISE, "Azure storage account key (AccountKey=…)"),
    ("docker_auth", CLASSWISE, "docker config auth (base64 user:password)"),
)
