"""Secret recognizers: provider tokens, JWTs, private keys, URL credentials, authorization
headers, secret-like keys in config formats, CLI flags. Values are random strings of the
documented shapes, made here."""

from __future__ import annotations

import base64
import random
import string

import pytest
from engine_strategies import found, scan

R = random.Random(777)
ALNUM = string.ascii_letters + string.digits


def rnd(n: int, alphabet: str = ALNUM) -> str:
    return "".join(R.choice(alphabet) for _ in range(n))


def masked_text(text: str) -> str:
    """The text with every finding's bytes replaced by '#', to check what is left."""
    data = bytearray(text.encode())
    for f in scan(bytes(data)):
        data[f.start : f.end] = b"#" * (f.end - f.start)
    return data.decode()


B64URL = ALNUM + "_-"
TOKENS = [
    ("github_pat", "ghp_", lambda: rnd(36)),
    ("github_oauth", "gho_", lambda: rnd(36)),
    ("github_app_token", "ghs_", lambda: rnd(36)),
    ("github_fine_grained_pat", "github_pat_", lambda: rnd(22) + "_" + rnd(59)),
    ("gitlab_pat", "glpat-", lambda: rnd(20, B64URL)),
    (
        "slack_token",
        "xoxb-",
        lambda: f"{rnd(11, string.digits)}-{rnd(13, string.digits)}-{rnd(24)}",
    ),
    ("stripe_secret_key", "sk_live_", lambda: rnd(24)),
    ("google_api_key", "AIza", lambda: rnd(35, B64URL)),
    ("openai_api_key", "sk-", lambda: "proj-" + rnd(60, B64URL) + "T3BlbkFJ" + rnd(60, B64URL)),
    ("anthropic_api_key", "sk-ant-api03-", lambda: rnd(93, B64URL) + "AA"),
    ("npm_token", "npm_", lambda: rnd(36)),
    ("pypi_token", "pypi-", lambda: "AgEIcHlwaS5vcmc" + rnd(60, B64URL)),
    ("sendgrid_api_key", "SG.", lambda: rnd(22, B64URL) + "." + rnd(43, B64URL)),
    ("twilio_api_key", "SK", lambda: rnd(32, "0123456789abcdef")),
    ("huggingface_token", "hf_", lambda: rnd(34, string.ascii_letters)),
    ("digitalocean_token", "dop_v1_", lambda: rnd(64, "0123456789abcdef")),
    ("heroku_api_key", "HRKU-", lambda: "AA" + rnd(58, B64URL)),
    ("databricks_token", "dapi", lambda: rnd(32, "0123456789abcdef")),
    ("linear_api_key", "lin_api_", lambda: rnd(40)),
    ("mailgun_api_key", "key-", lambda: rnd(32)),
    ("age_secret_key", "AGE-SECRET-KEY-1", lambda: rnd(58, "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L")),
    ("vault_token", "hvs.", lambda: rnd(90, B64URL)),
    ("shopify_token", "shpat_", lambda: rnd(32, "0123456789abcdef")),
    ("azure_ad_client_secret", "", lambda: rnd(3) + "8Q~" + rnd(34, ALNUM + "_~.-")),
    ("telegram_bot_token", "", lambda: rnd(10, string.digits) + ":AA" + rnd(33, B64URL)),
    ("aws_session_token", "", lambda: "FwoGZXIvYXdzE" + rnd(300, ALNUM + "+/")),
]


@pytest.mark.parametrize(
    "rtype,keep,make", TOKENS, ids=[t[0] + str(i) for i, t in enumerate(TOKENS)]
)
def test_tokens_with_a_known_prefix(rtype: str, keep: str, make) -> None:  # type: ignore[no-untyped-def]
    tok = keep + make()
    for ctx in ("x = {t}\n", '"value": "{t}"', "token:{t} end", "\\n{t}\\n"):
        out = found(ctx.format(t=tok))
        assert out == [(rtype, tok[len(keep) :])], (ctx, out)


@pytest.mark.parametrize(
    "text",
    [
        "ghp_" + "a" * 35,  # too short
        "xghp_" + "b" * 36,  # glued
        "pk_live_" + "c" * 24,  # publishable keys are public
        "sk-" + "d" * 10,
        "toolu_01" + "e" * 22,
        "msg_01" + "f" * 22,
        "req_01" + "g" * 22,
        "srvtoolu_01" + "h" * 22,
    ],
)
def test_token_near_misses(text: str) -> None:
    assert found(text) == []


def _jwt() -> str:
    def seg(obj: bytes) -> str:
        return base64.urlsafe_b64encode(obj).rstrip(b"=").decode()

    return ".".join(
        (
            seg(b'{"alg":"HS256","typ":"JWT"}'),
            seg(b'{"sub":"' + rnd(12).encode() + b'","exp":1900000000}'),
            rnd(43, B64URL),
        )
    )


def test_jwt_all_three_parts_masked_dots_kept() -> None:
    j = _jwt()
    a, b, c = j.split(".")
    assert found(f"Authorization: Bearer {j}") == [("jwt", a), ("jwt", b), ("jwt", c)]


def _pem(kind: str = "RSA ", lines: int = 20, nl: str = "\n") -> tuple[str, list[str]]:
    body = [rnd(64, ALNUM + "+/") for _ in range(lines)] + [rnd(20, ALNUM + "+/") + "=="]
    text = (
        f"-----BEGIN {kind}PRIVATE KEY-----{nl}"
        + nl.join(body)
        + f"{nl}-----END {kind}PRIVATE KEY-----{nl}"
    )
    return text, body


@pytest.mark.parametrize("kind", ["RSA ", "EC ", "OPENSSH ", ""])
@pytest.mark.parametrize("nl", ["\n", "\\n", "\\\\n", "\r\n"])
def test_private_key_body_masked_header_kept(kind: str, nl: str) -> None:
    text, body = _pem(kind, 12, nl)
    out = masked_text(text)
    assert f"-----BEGIN {kind}PRIVATE KEY-----" in out and f"-----END {kind}PRIVATE KEY-----" in out
    for line in body:
        assert line not in out
    # escape sequences between the lines are untouched
    assert out.count(nl) == text.count(nl)


def test_private_key_of_8192_bits_is_masked_whole() -> None:
    text, body = _pem("", 86, "\\n")  # 86 lines of 64: the size of an 8192-bit PKCS#8 key
    out = masked_text('{"private_key": "' + text + '"}')
    assert not any(line in out for line in body)


@pytest.mark.parametrize(
    "scheme,rtype",
    [
        ("postgres", "db_password"),
        ("mysql", "db_password"),
        ("mongodb+srv", "db_password"),
        ("redis", "db_password"),
        ("https", "url_credentials"),
        ("amqp", "db_password"),
    ],
)
def test_password_in_url(scheme: str, rtype: str) -> None:
    pw = rnd(18, ALNUM + "~_.-")

    def secrets(text: str) -> list[tuple[str, str]]:
        # the user and host a database URL names are other rules' (connections)
        return [f for f in found(text) if f[0] in ("db_password", "url_credentials")]

    assert secrets(f"URL={scheme}://svc_user:{pw}@db-1.internal:5432/app") == [(rtype, pw)]
    assert secrets(f'"url": "{scheme}:\\/\\/svc_user:{pw}@db-1.internal"') == [(rtype, pw)]


def test_url_password_placeholders_are_kept() -> None:
    for text in (
        "postgres://user:password@localhost/db",
        "https://u:${DB_PASS}@h/",
        "mysql://root:****@db/x",
        "https://user:<password>@host",
    ):
        assert found(text) == [], text


def test_redis_url_without_user() -> None:
    pw = rnd(20)
    assert found(f"redis://:{pw}@10.0.0.5:6379/0")[0] == ("db_password", pw)


@pytest.mark.parametrize(
    "line",
    [
        "DB_PASSWORD={v}",
        "password: {v}",
        'password: "{v}"',
        "spring.datasource.password={v}",
        "  POSTGRES_PASSWORD: '{v}'",
        '"Password": "{v}"',
        'db_password = "{v}"',
        "Password={v};",
        '<add key="x" />\npassword = {v}',
        "--password {v}",
        "--new-password='{v}'",
        '"--requirepass", "{v}"',
        "mysql -u app -p'{v}' -e 'select 1'",
    ],
)
def test_password_like_keys(line: str) -> None:
    v = "Tq7" + rnd(10) + "#2"
    out = found(line.format(v=v))
    assert out == [("password", v)], (line, out)


def test_human_passwords_in_config_count() -> None:
    assert found("smtp_password: Marigold1987$\n") == [("password", "Marigold1987$")]


@pytest.mark.parametrize(
    "line",
    [
        "password = None",
        "password: str",
        "def login(password: Optional[str] = None):",
        "password = getpass.getpass()",
        "password=self.password",
        "password: ${DB_PASSWORD}",
        "password: '{{ vault_db_password }}'",
        "password = ''",
        "token = tokenize.generate_tokens(f)",
        "max_tokens = 4096",
        "const CancelToken = axios.CancelToken;",
        '"NextToken": "' + rnd(40) + '"',
        "password_hash = bcrypt(x)",
        "the password is stored in the vault",
    ],
)
def test_password_like_keys_near_misses(line: str) -> None:
    assert found(line) == [], line


@pytest.mark.parametrize(
    "line,value,rtype",
    [
        ("SECRET_KEY={v}", rnd(50, ALNUM + "!@#$%^&*(-_=+)"), "generic_secret"),
        ("app.security.jwt.secret={v}", rnd(64, ALNUM + "+/"), "generic_secret"),
        ("DD_API_KEY={v}", rnd(32, "0123456789abcdef"), "generic_api_key"),
        ('"SecretAccessKey": "{v}"', rnd(40, ALNUM + "/+"), "aws_secret_access_key"),
        ("aws_secret_access_key = {v}", rnd(40, ALNUM + "/+"), "aws_secret_access_key"),
        ('"SessionToken": "{v}"', "Zq" + rnd(200, ALNUM + "/+="), "aws_session_token"),
    ],
)
def test_secret_like_keys(line: str, value: str, rtype: str) -> None:
    assert found(line.format(v=value)) == [(rtype, value)]


def test_authorization_headers() -> None:
    basic = base64.b64encode(f"svc:{rnd(16)}".encode()).decode()
    assert found(f"Authorization: Basic {basic}") == [("basic_auth", basic)]
    bearer = rnd(40, ALNUM + "._-")
    assert found(f"Authorization: Bearer {bearer}") == [("bearer_token", bearer)]


def test_docker_config_auth_and_k8s_secret() -> None:
    auth = base64.b64encode(f"ci:{rnd(20)}".encode()).decode()
    assert found('{"auths": {"r.example.com": {"auth": "' + auth + '"}}}') == [
        ("docker_auth", auth)
    ]
    data = base64.b64encode(rnd(24).encode()).decode()
    text = f"kind: Secret\ndata:\n  api-key: {data}\n"
    assert ("k8s_secret_data", data) in found(text)


def test_slack_webhook_secret_parts() -> None:
    t, b, s = "T" + rnd(8, string.ascii_uppercase), "B" + rnd(10, string.ascii_uppercase), rnd(24)
    out = found(f"https://hooks.slack.com/services/{t}/{b}/{s}")
    assert [v for _, v in out] == [t, b, s]


def test_terraform_variable_default() -> None:
    v = "Kx" + rnd(12) + "!"
    text = (
        f'variable "db_password" {{\n  type = string\n  default = "{v}"\n  sensitive = true\n}}\n'
    )
    assert found(text) == [("password", v)]


def test_secrets_inside_escaped_json() -> None:
    tok = rnd(36)
    assert found(f'{{"content": "export GITHUB_TOKEN=ghp_{tok}\\n"}}') == [("github_pat", tok)]
    v = "Zr" + rnd(14) + "9"
    assert found(f'"text": "{{\\"password\\": \\"{v}\\"}}"') == [("password", v)]


def test_presigned_url_credentials() -> None:
    key, sig = rnd(16, string.ascii_uppercase + string.digits), rnd(28) + "%2B" + rnd(4)
    url = f"https://media.s3.amazonaws.com/a.bin?AWSAccessKeyId=AKIA{key}&Expires=1714640000&Signature={sig}"
    out = found(url)
    assert ("aws_access_key_id", key) in out and ("generic_secret", sig) in out
    sig4 = rnd(64, "0123456789abcdef")
    url = (
        f"https://x.example/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIA{key}"
        f"%2F20240501%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20240501T000000Z"
        f"&X-Amz-Signature={sig4}"
    )
    assert found(url) == [("aws_access_key_id", key), ("generic_secret", sig4)]


def test_presigned_url_near_misses() -> None:
    assert found("?Signature=${SIG}&x=1") == []
    assert found("the Signature=short value") == []  # not a query parameter
