"""DESIGN invariant 1 against JSON escaping: an escape next to or inside a value never hides it,
at any nesting depth, whatever the chunking."""

from __future__ import annotations

import json

import pytest
from engine_strategies import mask

ACCOUNT = "730194625813"
INSTANCE = "i-0c9e8d7f6a5b43210"
ARN = f"arn:aws:iam::{ACCOUNT}:role/payments-admin"
KEY = "AKIAW3ERT6YUI9OPAS2D"


def masked(body: bytes, chunk: int) -> bytes:
    chunks = [body[i : i + chunk] for i in range(0, len(body), chunk)]
    return mask(body, chunks, key=bytes(32), kind="messages")[0]


def body_with(content_json: str) -> bytes:
    """A Messages request whose user content is the given raw JSON string literal."""
    return ('{"model":"m","messages":[{"role":"user","content":' + content_json + "}]}").encode()


CASES = {
    "newline escape right before": json.dumps(f"run\n{INSTANCE}\n{KEY}"),
    "tab and quote escapes around": json.dumps(f'id="{INSTANCE}"\t{KEY}'),
    "escaped slash inside an ARN": '"' + ARN.replace("/", "\\/") + '"',
    "unicode-escaped slash inside an ARN": '"' + ARN.replace("/", "\\u002F") + '"',
    "lower-case unicode escape": '"' + ARN.replace("/", "\\u002f") + '"',
    "escaped JSON inside a string": json.dumps(
        json.dumps({"RoleArn": ARN, "InstanceId": INSTANCE})
    ),
    "two levels of escaping": json.dumps(json.dumps(json.dumps({"Arn": ARN, "Key": KEY}))),
    "CLI output in a tool result": json.dumps(
        f'{{\n    "Account": "{ACCOUNT}",\n    "Arn": "{ARN}",\n    "UserId": "AROA{KEY[4:]}"\n}}'
    ),
}


@pytest.mark.parametrize("chunk", [1, 3, 64, 1 << 20])
@pytest.mark.parametrize("case", list(CASES))
def test_escapes_do_not_hide_values(case: str, chunk: int) -> None:
    body = body_with(CASES[case])
    out = masked(body, chunk)
    assert len(out) == len(body)
    decoded = json.loads(out)["messages"][0]["content"]
    # decode every level of escaping and look for what must not be there
    text = decoded
    for _ in range(3):
        try:
            text = json.dumps(json.loads(text)) if text.lstrip()[:1] in '{["' else text
        except ValueError:
            break
    flat = out.decode() + decoded + text
    for value in (ACCOUNT, INSTANCE[2:], KEY[4:], "payments-admin"):
        if value in body.decode() or value in json.loads(body)["messages"][0]["content"]:
            assert value not in flat, f"{case}: {value[:5]}… left unmasked"
