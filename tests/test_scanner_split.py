"""A request body is recognized whole: masking it gives the same bytes and the same map
whatever chunks ``feed`` got, wherever the cuts fall (DESIGN invariant 2) — even across a value,
a JSON escape, a multi-byte character or the context that gives a value away."""

from __future__ import annotations

import random

from engine_strategies import KEY_A, cuts
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from masking.engine import Engine
from masking.rules import RuleConfig

RULES = RuleConfig(
    terms=("Quillfeather", "*.corp.example.com"), regexes=(("ticket", r"TCK-[0-9]{6}"),)
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
        st.text(alphabet='abcxyz019 ._-:/\\"\né', max_size=12),
    ),
    min_size=1,
    max_size=24,
)

FILLER = "the quick brown fox jumps over 13 lazy dogs; "


def masked(data: bytes, chunks: list[bytes]) -> tuple[bytes, dict[str, int], set]:
    """The body, the counts and the pairs of a fresh engine fed ``chunks``."""
    masker = Engine(KEY_A, RULES).request("POST", "api.anthropic.com", "/x", "text/plain")
    for c in chunks:
        masker.feed(c)
    out = masker.finish()
    assert len(out) == len(data)
    return out, masker.counts, set(masker.pairs)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    parts=pieces,
    seps=st.lists(st.sampled_from(SEPARATORS), min_size=24, max_size=24),
    gaps=st.lists(st.integers(min_value=0, max_value=700), min_size=24, max_size=24),
    points=st.lists(st.integers(min_value=0, max_value=10**6), max_size=16),
)
def test_masking_does_not_depend_on_the_chunks_fed(
    parts: list[str], seps: list[str], gaps: list[int], points: list[int]
) -> None:
    triples = zip(parts, seps, gaps, strict=False)
    data = "".join(p + s + FILLER * (g // 10) for p, s, g in triples).encode()
    whole = masked(data, [data])
    assert masked(data, cuts(data, points)) == whole


def test_masking_byte_by_byte_is_masking_whole() -> None:
    data = ((" ".join(POSITIVES + NEGATIVES) + FILLER * 4) * 3).encode()
    whole = masked(data, [data])
    assert whole[1], "the positives are masked"
    assert masked(data, [data[i : i + 7] for i in range(0, len(data), 7)]) == whole
    assert masked(data, [data[i : i + 1] for i in range(len(data))]) == whole


def test_a_value_cut_in_two_chunks_is_masked() -> None:
    data = POSITIVES[0].encode()  # an instance id
    for k in range(1, len(data)):
        out, counts, _ = masked(data, [data[:k], b"", data[k:]])
        assert counts == {"aws_ec2_instance_id": 1} and out[2:] != data[2:], k
