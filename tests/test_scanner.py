"""What the engine reports and replaces: what is never touched, JSON escapes, sorted
non-overlapping findings, and spans that never cut through an escape sequence (for the
built-in recognizers alone and for the engine as a whole)."""

from __future__ import annotations

import base64
import json
import random

import pytest
from engine_strategies import KEY_A, SHAPES, engine_found, found, mask, scan

from masking.engine import Engine, Finding


def both(data: bytes) -> list[list[Finding]]:
    """The findings of the built-in recognizers alone, and of a fresh engine."""
    return [scan(data), Engine(KEY_A).scan(data)]


R = random.Random(99)
PNG = base64.b64encode(bytes(R.getrandbits(8) for _ in range(3000))).decode()

NEVER = [
    "commit 3f9c2a1b7d4e6f8091a2b3c4d5e6f708192a3b4c",  # git SHA
    "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "request 6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f done",  # UUID without KMS/ARN context
    "2024-05-02T11:03:12.345Z",
    "1714640000123",
    "1714640000",  # timestamps, epoch millis
    "Oracle 12.1.0.2 and 3.11.7",
    "oid 1.3.6.1.4.1.311.21.7",
    "toolu_01A09q90qw90lq917835lq9",
    "msg_01XFDUDYJgAACzvnptvVoYEL",
    "req_011CSHoEeqs5C35K2UUqR7Fy",
    "srvtoolu_014hJH82Qum7Td6UV8gDXThB",
    "file_011CNha8iCJcU1wXNR6q4V8w",
    '{"type": "image", "source": {"type": "base64", "data": "' + PNG + '"}}',
    "the dbadmin reads logs from the bucketing cache; cachedb and mydb are words",
    "127.0.0.1:8080 and 0.0.0.0:443",
    '{"count": 123456789012, "size": 987654321098}',
]


@pytest.mark.parametrize("text", NEVER)
def test_never_touched(text: str) -> None:
    assert found(text) == []
    assert engine_found(text) == []


def test_findings_are_sorted_non_overlapping_and_well_formed() -> None:
    acct = "731905642218"
    text = (
        f'{{"InstanceId": "i-0a1b2c3d4e5f60718", "OwnerId": "{acct}", '
        f'"Arn": "arn:aws:iam::{acct}:role/etl", "Ip": "10.3.2.1", '
        f'"Url": "postgres://u:Vq8xZt2LpQ9w@10.3.2.2/db"}}'
    )
    data = text.encode()
    for fs in both(data):
        assert len(fs) >= 6
        assert fs == sorted(fs)
        for a, b in zip(fs, fs[1:], strict=False):
            assert a.end <= b.start
        for f in fs:
            assert 0 <= f.start < f.end <= len(data) and f.shape in SHAPES


def _escape_cuts(data: bytes, start: int, end: int) -> bool:
    """True if [start, end) begins or ends inside a JSON escape sequence."""

    def inside(i: int) -> bool:  # is offset i strictly inside an escape?
        j = i - 1
        n = 0
        while j >= 0 and data[j] == 0x5C:
            n += 1
            j -= 1
        if n % 2 == 1:
            return True
        # within \uXXXX
        return any(i - k >= 1 and data[i - k - 1 : i - k + 1] == b"\\u" for k in range(1, 5))

    return inside(start) or inside(end)


def test_spans_never_cut_escape_sequences() -> None:
    inner = {
        "InstanceId": "i-0a1b2c3d4e5f60718",
        "Arn": "arn:aws:iam::731905642218:role/a/b",
        "Note": "token ghp_" + "Ab1" * 12,
        "Url": "https://h.example/x",
    }
    once = json.dumps({"content": json.dumps(inner)})
    twice = json.dumps({"content": once})
    for text in (once, twice, once.replace("/", "\\/"), once.replace("/", "\\u002F")):
        data = text.encode()
        for fs in both(data):
            assert fs, text
            for f in fs:
                assert not _escape_cuts(data, f.start, f.end), (text, data[f.start : f.end])


def test_escaped_json_inside_a_string_still_parses_after_masking() -> None:
    inner = json.dumps(
        {
            "Reservations": [
                {
                    "OwnerId": "731905642218",
                    "Instances": [
                        {"InstanceId": "i-0a1b2c3d4e5f60718", "PrivateIpAddress": "10.0.4.17"}
                    ],
                }
            ]
        },
        indent=2,
    )
    body = json.dumps(
        {
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "tool_result", "tool_use_id": "toolu_01", "content": inner}
                    ],
                }
            ]
        }
    ).encode()
    out, masker = mask(body, kind="messages")
    assert len(out) == len(body)
    inner_out = json.loads(json.loads(out)["messages"][0]["content"][0]["content"])
    assert inner_out["Reservations"][0]["OwnerId"] != "731905642218"
    assert inner_out["Reservations"][0]["Instances"][0]["InstanceId"] != "i-0a1b2c3d4e5f60718"
    assert len(masker.counts) >= 3
