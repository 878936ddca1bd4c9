"""Split invariance and bounded hold-back of Scanner.scan(data, pos, final).

Driving the scanner chunk by chunk, the way the stream masker does (append, scan from the last
resume with final=False, trim what is decided but keep ``context`` bytes of it), must give
exactly the findings of one scan over the whole input, wherever the cuts fall.
"""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from masking.findings import Finding
from masking.rules import RuleConfig
from masking.scanner import Scanner

SCANNER = Scanner(
    RuleConfig(terms=("Quillfeather", "*.corp.example.com"), regexes=(("ticket", r"TCK-[0-9]{6}"),))
)

R = random.Random(5)


def _hex(n: int) -> str:
    return "".join(R.choice("0123456789abcdef") for _ in range(n))


def _b62(n: int) -> str:
    return "".join(
        R.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") for _ in range(n)
    )


ACCT = "604281937715"
POSITIVES = [
    f"i-{_hex(17)}",
    f"vol-{_hex(8)}",
    f"arn:aws:iam::{ACCT}:role/deploy-{_hex(4)}",
    f"arn:aws:s3:::bucket-{_hex(6)}/k",
    f'"OwnerId": "{ACCT}"',
    f"AKIA{_b62(16).upper()}",
    f"ghp_{_b62(36)}",
    "10.4.5.6",
    "54.201.17.88",
    "10.9.0.0/16",
    f"postgres://app:{_b62(16)}@db/x",
    f"password: {_b62(12)}9!",
    f"orders-db.c{_hex(11)}.us-east-1.rds.amazonaws.com",
    f"https://sqs.eu-west-1.amazonaws.com/{ACCT}/q-{_hex(4)}",
    '"RoleName": "etl-runner"',
    "--db-instance-identifier ledger-2",
    "Quillfeather",
    "--cache-cluster-id ordercache-9\nCACHE\tTrue\tordercache-9\tx",
    "ROLE\tarn:aws:iam::604281937715:role/ops-admin\tops-admin\n",
    "SOURCE\telasticbeanstalk-eu-west-1-604281937715\tx",
    "build-3.eu.corp.example.com",
    "TCK-004211",
    f"s3://media-{_hex(5)}/x",
    "-----BEGIN PRIVATE KEY-----\\n"
    + "\\n".join(_b62(64) for _ in range(5))
    + "\\n-----END PRIVATE KEY-----",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0." + _b62(43),
    '"Ipv6Address": "2600:1f18:40a1:7c00::3b"',
    f"KMS key {_hex(8)}-{_hex(4)}-{_hex(4)}-{_hex(4)}-{_hex(12)}",
]
NEGATIVES = [
    "12.1.0.2.v21",
    "127.0.0.1",
    "toolu_01A09q90qw90lq917835lq9",
    "the bucket policy",
    "1714640000123",
    "password = None",
    "ec2.us-east-1.amazonaws.com",
    "3f9c2a1b7d4e6f80",
    "i-0123abc",
    "processing",
    "account",
    "arn:aws:",
    "-----BEGIN",
    "ghp_short",
    "\\",
]
SEPARATORS = [" ", "\n", "\\n", '"', '\\"', "\t", ", ", "/", "\\\\n", ": ", "=", ""]

pieces = st.lists(
    st.one_of(
        st.sampled_from(POSITIVES),
        st.sampled_from(NEGATIVES),
        st.text(alphabet='abcxyz019 ._-:/\\"\n', max_size=12),
    ),
    min_size=1,
    max_size=24,
)


def drive(data: bytes, cuts: list[int], trim: bool) -> list[tuple[int, int, str, str]]:
    """Feed ``data`` cut at ``cuts`` through scan(final=False) like a stream masker would."""
    buf = b""
    base = 0  # stream offset of buf[0]
    done = 0  # resume offset, relative to buf
    out: list[Finding] = []
    prev = 0
    for c in sorted(set(cuts)) + [len(data)]:
        buf += data[prev:c]
        prev = c
        fs, done = SCANNER.scan(buf, done, final=False)
        assert all(f.start >= 0 and f.end <= len(buf) for f in fs)
        out += [Finding(f.start + base, f.end + base, f.rtype, f.shape) for f in fs]
        if trim:  # drop what is decided, keep `context` bytes of left context
            cut = max(0, done - SCANNER.context)
            buf = buf[cut:]
            base += cut
            done -= cut
    fs, done = SCANNER.scan(buf, done, final=True)
    assert done == len(buf)
    out += [Finding(f.start + base, f.end + base, f.rtype, f.shape) for f in fs]
    return [tuple(f) for f in out]  # type: ignore[misc]


FILLER = "the quick brown fox jumps over 13 lazy dogs; "


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    parts=pieces,
    seps=st.lists(st.sampled_from(SEPARATORS), min_size=24, max_size=24),
    gaps=st.lists(st.integers(min_value=0, max_value=700), min_size=24, max_size=24),
    cuts=st.lists(st.integers(min_value=0, max_value=10**6), max_size=16),
    trim=st.booleans(),
)
def test_split_invariance(
    parts: list[str], seps: list[str], gaps: list[int], cuts: list[int], trim: bool
) -> None:
    # filler between the pieces makes inputs several horizons long, so that the streaming path
    # (decisions before the end, trimming) is exercised and not only the final scan
    triples = zip(parts, seps, gaps, strict=False)
    data = "".join(p + s + FILLER * (g // 10) for p, s, g in triples).encode()
    whole = [tuple(f) for f in SCANNER.scan(data)[0]]
    cuts = [c % (len(data) + 1) for c in cuts]
    assert drive(data, cuts, trim) == whole


def test_split_invariance_byte_by_byte() -> None:
    data = ((" ".join(POSITIVES + NEGATIVES) + FILLER * 40) * 14).encode()
    assert len(data) > 3 * SCANNER.horizon
    whole = [tuple(f) for f in SCANNER.scan(data)[0]]
    assert whole
    assert drive(data, list(range(0, len(data), 7)), trim=True) == whole
    assert drive(data, list(range(len(data))), trim=True) == whole


def test_bounded_hold_back_without_pending_candidates() -> None:
    # plain text far longer than the horizon: resume trails the end by a bounded amount
    text = ("lorem ipsum dolor sit amet " * 2000).encode()
    for n in (10_000, 20_000, len(text)):
        fs, resume = SCANNER.scan(text[:n], 0, final=False)
        assert fs == []
        assert n - resume <= SCANNER.horizon + SCANNER.context


def test_hold_back_is_bounded_with_candidates_too() -> None:
    data = (" ".join(POSITIVES) + " ").encode() * 20
    fs, resume = SCANNER.scan(data, 0, final=False)
    assert len(data) - resume <= SCANNER.horizon + SCANNER.context
    # what is reported is final: the same as in a whole scan, up to resume
    whole = [f for f in SCANNER.scan(data)[0] if f.start < resume]
    assert fs == whole


def test_not_final_on_short_data_decides_nothing() -> None:
    data = b"i-0123456789abcdef0 and more"
    fs, resume = SCANNER.scan(data, 0, final=False)
    assert fs == [] and resume == 0
