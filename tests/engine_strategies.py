"""Shared hypothesis strategies for the engine's invariant tests: texts built from freshly
generated sensitive values of many kinds, glued with separators and noise, and a masker
driver over the real recognizers."""

from __future__ import annotations

import random
import string

from hypothesis import strategies as st

from masking.anthropic_request import MessagesRequestPolicy
from masking.exchange_map import ExchangeMap
from masking.json_tracker import JsonTracker
from masking.scanner import Scanner
from masking.stream_masker import StreamMasker
from masking.surrogate import SurrogateMaker

SCANNER = Scanner()
KEY_A = bytes(range(32))
KEY_B = bytes(range(1, 33))


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


def cuts(data: bytes, points: list[int]) -> list[bytes]:
    marks = sorted({p % (len(data) + 1) for p in points})
    out, prev = [], 0
    for p in marks:
        out.append(data[prev:p])
        prev = p
    return [*out, data[prev:]]


def mask(
    data: bytes, chunks: list[bytes] | None = None, key: bytes = KEY_A, json_mode: bool = False
) -> tuple[bytes, ExchangeMap]:
    exchange_map = ExchangeMap(SurrogateMaker(key))
    tracker = JsonTracker(MessagesRequestPolicy()) if json_mode else None
    masker = StreamMasker(SCANNER, exchange_map, tracker)
    out = b"".join(masker.feed(c) for c in (chunks or [data])) + masker.finish()
    return out, exchange_map


def shape(b: int) -> str:
    c = chr(b)
    return "d" if c.isdigit() else "l" if c.islower() else "u" if c.isupper() else c
