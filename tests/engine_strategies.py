"""Shared helpers for the engine's tests, all through its public API (``masking.engine``, and
``masking._core.scan`` for the built-in recognizers alone): hypothesis strategies for texts
built from freshly generated sensitive values of many kinds, glued with separators and noise,
and drivers that mask and unmask them."""

from __future__ import annotations

import json
import random
import string

from hypothesis import strategies as st

from masking import _core
from masking.engine import Engine, Finding, RequestMasker
from masking.rules import RuleConfig

KEY_A = bytes(range(32))
KEY_B = bytes(range(1, 33))
SHAPES = frozenset({"classwise", "hex", "ipv4", "ipv6"})


# -- recognition -------------------------------------------------------------------------------


def _bytes(text: str | bytes) -> bytes:
    return text.encode() if isinstance(text, str) else text


def scan(text: str | bytes) -> list[Finding]:
    """What the built-in recognizers alone find in ``text`` (no known values, no JSON layout)."""
    return [Finding(*f) for f in _core.scan(_bytes(text))]


def found(text: str | bytes) -> list[tuple[str, str]]:
    """``(type, value)`` of each finding of the built-in recognizers, in order."""
    data = _bytes(text)
    return [(f.rtype, data[f.start : f.end].decode()) for f in scan(data)]


def engine_found(
    text: str | bytes, rules: RuleConfig | None = None, kind: str = "text"
) -> list[tuple[str, str]]:
    """``(type, value)`` of what a fresh engine masks in ``text``: the recognizers, the user's
    rules and every other occurrence of a value found."""
    data = _bytes(text)
    return [
        (f.rtype, data[f.start : f.end].decode()) for f in Engine(KEY_A, rules).scan(data, kind)
    ]


def masked_text(text: str, engine: Engine | None = None) -> str:
    """``text`` with every byte a fresh engine would replace written as ``#``."""
    data = bytearray(text.encode())
    for f in (engine or Engine(KEY_A)).scan(bytes(data)):
        data[f.start : f.end] = b"#" * (f.end - f.start)
    return data.decode()


# -- masking and unmasking ---------------------------------------------------------------------


def tool_result_body(content: str) -> bytes:
    """A Messages request whose one user turn is a tool result holding ``content`` (non-ASCII
    text raw, as Claude Code sends it)."""
    body = {
        "model": "claude-sonnet-4-5",
        "max_tokens": 1024,
        "messages": [
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "toolu_01", "content": content}],
            }
        ],
    }
    return json.dumps(body, ensure_ascii=False).encode()


def cuts(data: bytes, points: list[int]) -> list[bytes]:
    """``data`` cut at ``points`` (taken modulo its length + 1)."""
    marks = sorted({p % (len(data) + 1) for p in points})
    out, prev = [], 0
    for p in marks:
        out.append(data[prev:p])
        prev = p
    return [*out, data[prev:]]


def mask(
    data: bytes,
    chunks: list[bytes] | None = None,
    key: bytes = KEY_A,
    kind: str = "text",
    engine: Engine | None = None,
) -> tuple[bytes, RequestMasker]:
    """Mask ``data`` fed as ``chunks`` (whole by default) with a fresh engine for ``key`` (or
    ``engine``): the masked body and the masker, which holds the exchange's map."""
    eng = engine or Engine(key)
    path = "/v1/messages" if kind == "messages" else "/v1/other"
    masker = eng.request("POST", "api.anthropic.com", path, _content_type(kind))
    assert masker.kind == kind
    for c in chunks if chunks is not None else [data]:
        masker.feed(c)
    return masker.finish(), masker


def _content_type(kind: str) -> str:
    return "text/plain" if kind == "text" else "application/json"


def unmask(
    masker: RequestMasker,
    data: bytes,
    chunks: list[bytes] | None = None,
    content_type: str = "text/plain",
) -> bytes:
    """The response ``data`` (fed as ``chunks``) restored with ``masker``'s map."""
    un = masker.response(200, content_type, "")
    parts = chunks if chunks is not None else [data]
    if un is None:  # nothing was masked: the response passes untouched
        return b"".join(parts)
    return b"".join(un.feed(c) for c in parts) + un.finish()


def round_trip(data: bytes, chunks: list[bytes] | None = None) -> bytes:
    masked, masker = mask(data)
    return unmask(masker, masked, chunks)


# -- strategies --------------------------------------------------------------------------------


def _hex(r: random.Random, n: int) -> str:
    return "".join(r.choice("0123456789abcdef") for _ in range(n))


def _alnum(r: random.Random, n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(r.choice(alphabet) for _ in range(n))


def sensitive(seed: int) -> str:
    """One sensitive value of a kind chosen by ``seed``, fresh each time."""
    r = random.Random(seed)
    account = str(r.randint(10**11, 10**12 - 1))
    kinds = [
        lambda: "i-" + _hex(r, 17),
        lambda: "vol-" + _hex(r, 17),
        lambda: "sg-" + _hex(r, 8),
        lambda: "subnet-" + _hex(r, 17),
        lambda: f"arn:aws:iam::{account}:role/app-{_alnum(r, 6, string.ascii_lowercase)}",
        lambda: "AKIA" + _alnum(r, 16, string.ascii_uppercase + "234567"),
        lambda: "ghp_" + _alnum(r, 36),
        lambda: f"10.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}",
        lambda: f"54.{r.randint(10, 250)}.{r.randint(0, 255)}.{r.randint(1, 254)}",
        lambda: (
            "xoxb-"
            + "-".join(str(r.randint(10**10, 10**11)) for _ in range(2))
            + "-"
            + _alnum(r, 24)
        ),
    ]
    return kinds[seed % len(kinds)]()


values = st.integers(min_value=0, max_value=10**9).map(sensitive)
glue = st.sampled_from([" ", "\n", ", ", " (", ") ", "=", ": ", "\t", " and ", "/"])
# Noise has no letters: a short surrogate (a three-letter name) could otherwise occur in it by
# chance, and restoring it there is the one ambiguity the round trip cannot rule out.
noise = st.text(string.digits + " .,-_:/#", max_size=20)
texts = st.lists(st.tuples(noise, glue, values, glue), min_size=1, max_size=12).map(
    lambda parts: "".join(a + b + c + d for a, b, c, d in parts)
)
cut_points = st.lists(st.integers(min_value=0, max_value=10**6), max_size=10)


def shape(b: int) -> str:
    c = chr(b)
    return "d" if c.isdigit() else "l" if c.islower() else "u" if c.isupper() else c
