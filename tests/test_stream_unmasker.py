"""The response unmasker (``text`` kind) against a brute-force statement of what it restores,
and the cases that the statement spells out: standalone short surrogates, glued long ones, scope.

The statement (``reference``): scan left to right; at each position take the longest surrogate
of the map that stands there and passes the boundary rule, else move one byte on. A surrogate
shorter than GLUE_SAFE needs a non-letter-or-digit on both sides; a longer one is restored
glued too: on its left only right after one of the map's glue prefixes, and not when it is all
letters and digits inside a longer word on both sides. It is
found by its anchor (the longest run of letters and digits that differs from its original): the
text's run there must be exactly the anchor, or, for a surrogate of GLUE_SAFE bytes or more
whose anchor has GLUE_KEY bytes or more, the anchor may be the end of a longer run (when it
starts the surrogate) or its start (when it ends the surrogate).
"""

from __future__ import annotations

import re
import string

import pytest
from engine_strategies import cut_points, cuts
from hypothesis import given, settings
from hypothesis import strategies as st

from masking import _core

ALNUM = frozenset((string.ascii_letters + string.digits).encode())

GLUE_SAFE = 12
"""Surrogates this long are restored glued to letters or digits on one side."""
GLUE_KEY = 8
"""A glued surrogate is found by this many outer bytes of its edge run."""
SHORT_ANCHOR = 4
"""An anchor run shorter than this is found together with its neighbouring run."""
_SPLIT = re.compile(rb"([A-Za-z0-9]+)")


def _anchor(surrogate: bytes, original: bytes) -> tuple[int, bytes, bytes] | None:
    """``(offset, run, next_run)``: the longest run of letters and digits in which the
    surrogate differs from its original (or its longest run, when none differs or the two are
    not aligned), and ``b""``; or, when that run is shorter than :data:`SHORT_ANCHOR`, the two
    neighbouring runs, one of them changed, that are longest together."""
    pieces = _SPLIT.split(surrogate)  # separator, run, separator, ..., separator
    if len(pieces) < 3:
        return None
    theirs = _SPLIT.split(original) if len(original) == len(surrogate) else []
    aligned = len(theirs) == len(pieces)
    changed = [i for i in range(1, len(pieces), 2) if not aligned or theirs[i] != pieces[i]]
    if not changed:  # every run kept (the surrogate differs in its separators only)
        changed = list(range(1, len(pieces), 2))
    best = max(changed, key=lambda i: len(pieces[i]))
    if len(pieces[best]) < SHORT_ANCHOR and len(pieces) >= 5:
        starts = {i for c in changed for i in (c - 2, c) if 1 <= i <= len(pieces) - 4}
        first = max(sorted(starts), key=lambda i: len(pieces[i]) + len(pieces[i + 2]))
        return sum(map(len, pieces[:first])), pieces[first], pieces[first + 2]
    return sum(map(len, pieces[:best])), pieces[best], b""


def _run_around(text: bytes, i: int) -> tuple[int, int]:
    a = b = i
    while a > 0 and text[a - 1] in ALNUM:
        a -= 1
    while b < len(text) and text[b] in ALNUM:
        b += 1
    return a, b


def _findable(text: bytes, i: int, surrogate: bytes, original: bytes) -> bool:
    anchor = _anchor(surrogate, original)
    if anchor is None:
        return False
    k, run, second = anchor
    a, b = _run_around(text, i + k)
    start, end = i + k, i + k + len(run)
    if second:  # two neighbouring runs, each exactly
        nxt = surrogate.index(second, k + len(run))
        return (a, b) == (start, end) and _run_around(text, i + nxt) == (
            i + nxt,
            i + nxt + len(second),
        )
    if (a, b) == (start, end):
        return True
    if len(surrogate) < GLUE_SAFE or len(run) < GLUE_KEY:
        return False
    if k == 0 and b == end and a < start:
        return True
    return k + len(run) == len(surrogate) and a == start and b > end


def reference(text: bytes, pairs: dict[bytes, bytes], glue: tuple[bytes, ...] = ()) -> bytes:
    by_length = sorted(pairs, key=len, reverse=True)
    out, i, n = [], 0, len(text)
    while i < n:
        for s in by_length:
            if not text.startswith(s, i) or not _findable(text, i, s, pairs[s]):
                continue
            e = i + len(s)
            before = text[i - 1] if i else -1
            after = text[e] if e < n else -1
            if len(s) < GLUE_SAFE:
                if before in ALNUM or after in ALNUM:
                    continue
            elif before in ALNUM and (
                (after in ALNUM and s.isalnum()) or not text[:i].endswith(glue or (b"\0",))
            ):
                continue
            out.append(pairs[s])
            i = e
            break
        else:
            out.append(text[i : i + 1])
            i += 1
    return b"".join(out)


def unmask(pairs: dict[bytes, bytes], chunks: list[bytes], glue: tuple[bytes, ...] = ()) -> bytes:
    """``chunks`` restored by the engine's text unmasker for an exchange of ``pairs``."""
    exchange = _core.ExchangeMap.from_pairs(list(pairs.items()), list(glue))
    un = exchange.unmasker("text", 0)
    return b"".join(un.feed(c) for c in chunks) + un.finish()


# surrogate/original pairs of the shapes the masker makes: one run, several runs with kept
# separators and kept runs, punctuation at the edges, short ones, dotted numbers
_lower = st.text(string.ascii_lowercase, min_size=3, max_size=24)
_digits = st.text(string.digits, min_size=1, max_size=12)


@st.composite
def pair(draw) -> tuple[bytes, bytes]:  # type: ignore[no-untyped-def]
    kind = draw(st.sampled_from(["run", "runs", "edges", "ip"]))
    if kind == "run":
        s = draw(st.text(string.ascii_letters + string.digits, min_size=3, max_size=24))
        return s.encode(), s[::-1].encode() + b"#"
    if kind == "ip":
        octets = draw(st.lists(st.integers(0, 255), min_size=4, max_size=4))
        s = ".".join(map(str, octets))
        return s.encode(), ("9" * len(s)).encode()
    parts = draw(st.lists(_lower, min_size=2, max_size=4))
    keep = draw(st.sampled_from(["", "com", "prod"]))
    s = "-".join(parts + ([keep] if keep else []))
    original = "-".join(p.upper() for p in parts) + ("-" + keep if keep else "")
    if kind == "edges":
        s, original = "!" + s + ".", "!" + original + "."
    return s.encode(), original.lower().encode()


maps = st.lists(pair(), min_size=1, max_size=6).map(dict)
fillers = st.sampled_from(["", " ", "x", "AKIA", "7", "-", ".", "\n", "ab1", "::", "/"])


@st.composite
def text_and_map(draw) -> tuple[bytes, dict[bytes, bytes], tuple[bytes, ...]]:  # type: ignore[no-untyped-def]
    pairs = draw(maps)
    surrogates = sorted(pairs)
    pieces = draw(
        st.lists(
            st.one_of(st.sampled_from(surrogates).map(bytes.decode), fillers),
            max_size=30,
        )
    )
    # a lookalike that is not in the map must never be restored
    pieces.append(draw(st.text(string.ascii_lowercase, min_size=5, max_size=9)))
    glue = draw(st.sampled_from([(), (b"AKIA",), (b"AKIA", b"ab1"), (b"7",)]))
    return "".join(pieces).encode(), pairs, glue


@settings(max_examples=800, deadline=None)
@given(case=text_and_map(), points=cut_points)
def test_matches_the_statement_whatever_the_chunking(case, points) -> None:  # type: ignore[no-untyped-def]
    text, pairs, glue = case
    want = reference(text, pairs, glue)
    assert unmask(pairs, [text], glue) == want
    assert unmask(pairs, cuts(text, points), glue) == want
    assert unmask(pairs, [text[i : i + 1] for i in range(len(text))], glue) == want


LONG = b"Zq81mXv4Lp0TrW2k"  # 16 letters and digits, as the part of an access key after AKIA
SHORT = b"qvzlm"  # a short name


def test_short_surrogates_only_on_their_own() -> None:
    pairs = {SHORT: b"alice"}
    assert unmask(pairs, [b"user qvzlm, and qvzlm."]) == b"user alice, and alice."
    assert unmask(pairs, [b"xqvzlm qvzlm7 qvzlmqvzlm"]) == b"xqvzlm qvzlm7 qvzlmqvzlm"


def test_long_surrogates_glued_on_one_side() -> None:
    original = b"AB12CD34EF56GH78"
    pairs = {LONG: original}
    text = b"key AKIA" + LONG + b", again " + LONG + b"s and " + LONG
    want = b"key AKIA" + original + b", again " + original + b"s and " + original
    assert unmask(pairs, [text], glue=(b"AKIA",)) == want
    # after letters that are not a glue prefix of this exchange it is part of another word
    assert unmask(pairs, [b"xx" + LONG + b" " + LONG], glue=(b"AKIA",)) == (
        b"xx" + LONG + b" " + original
    )
    # the glue prefix in one chunk, the surrogate in the next (a short text before it)
    for head in (b"AKIA", b" AKIA", b"key AKIA", b"the key AKIA"):
        assert unmask(pairs, [head, LONG + b" "], glue=(b"AKIA",)) == head + original + b" "
    # and inside a longer word on both sides, even after a glue prefix
    assert unmask(pairs, [b"AKIA" + LONG + b"yy"], glue=(b"AKIA",)) == b"AKIA" + LONG + b"yy"


def test_multi_part_surrogates_are_found_by_their_changed_part() -> None:
    surrogate = b"ip-10-41-7-203.qxv-wkzbnrtyu.internal"
    original = b"ip-10-12-9-117.eng-platforms.internal"
    pairs = {surrogate: original}
    text = b"host " + surrogate + b" and " + surrogate.upper()
    assert unmask(pairs, [text]) == b"host " + original + b" and " + surrogate.upper()


def test_only_this_exchanges_surrogates() -> None:
    pairs = {b"i-0feedfacecafe0001": b"i-0123456789abcdef0"}
    text = b"i-0feedfacecafe0002 i-0feedfacecafe0001"
    assert unmask(pairs, [text]) == b"i-0feedfacecafe0002 i-0123456789abcdef0"


def test_a_big_map_and_a_short_text() -> None:
    pairs = {f"i-0{n:016x}".encode(): f"i-1{n:016x}".encode() for n in range(5000)}
    text = b"stopped i-0" + f"{4321:016x}".encode() + b" ok"
    assert unmask(pairs, [text[:9], text[9:]]) == b"stopped i-1" + f"{4321:016x}".encode() + b" ok"


def test_a_map_from_any_iterable_of_pairs_keeps_them_in_order() -> None:
    pairs = [(b"i-0feedfacecafe0001", b"i-0123456789abcdef0"), (b"", b"x"), (b"ab", b"")]
    exchange = _core.ExchangeMap.from_pairs(iter(pairs), [b"AKIA"])
    assert exchange.pairs() == pairs and len(exchange) == 3 and exchange.glue() == [b"AKIA"]
    un = exchange.unmasker("text", 0)
    assert un.feed(b"go i-0feedfacecafe0001") + un.finish() == b"go i-0123456789abcdef0"


@pytest.mark.parametrize("bad", [[(b"a", "b")], [(b"a",)], [(b"a", b"b", b"c")], [b"ab"], 3])
def test_a_map_refuses_what_is_not_pairs_of_bytes(bad: object) -> None:
    with pytest.raises(TypeError):
        _core.ExchangeMap.from_pairs(bad, [])  # type: ignore[arg-type]
