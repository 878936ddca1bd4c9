"""The user's own rules: literal terms, internal domains (``*.corp.example.com``) and regexes.

Terms match case-insensitively as whole words (not glued to letters or digits). A domain glob
matches the domain itself and any host under it. User regexes use RE2 syntax; each finding is
the whole match, trimmed so that it never cuts through a JSON escape sequence.
"""

from __future__ import annotations

import re

import re2

from masking.findings import CLASSWISE, Finding

from ._base import (
    BACK,
    CheckResult,
    Recognizer,
    escape_ends_at,
    left_ok,
    right_ok,
    strip_escape_tail,
)

CATEGORY = "user"

TYPES: tuple[tuple[str, str, str], ...] = (
    ("user_term", CLASSWISE, "a literal term from the config (company, project, customer names)"),
    (
        "user_domain",
        CLASSWISE,
        "a host under an internal domain from the config (*.corp.example.com)",
    ),
)


def ascii_pattern(text: str) -> str:
    """Escape ``text`` for a byte pattern: ASCII via ``re.escape``, other characters as the
    ``\\xHH`` escapes of their UTF-8 bytes (the scanner matches UTF-8 bytes)."""
    out = []
    for ch in text:
        if ord(ch) < 128:
            out.append(re.escape(ch))
        else:
            out.extend(f"\\x{b:02x}" for b in ch.encode("utf-8"))
    return "".join(out)


def _bytes_pattern(pattern: str) -> str:
    """A user regex with its non-ASCII characters turned into UTF-8 byte escapes."""
    return "".join(
        c if ord(c) < 128 else "".join(f"\\x{b:02x}" for b in c.encode("utf-8")) for c in pattern
    )


def _check_term(data: bytes, s: int, e: int) -> CheckResult:
    if not left_ok(data, s) or not right_ok(data, e):
        return None
    return [Finding(s, e, "user_term", CLASSWISE)], e


_HOST_CHARS = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-")


def _check_domain(data: bytes, a: int, e: int) -> CheckResult:
    # the candidate is the domain itself; host labels under it lie to its left
    if not right_ok(data, e) or (e < len(data) and data[e] == 0x2D):
        return None
    s = a
    if s > 0 and data[s - 1] == 0x2E:
        lo = max(0, a - BACK)
        while s > lo and data[s - 1] in _HOST_CHARS:
            s -= 1
        while s < a and data[s] in b".-":
            s += 1
        if s > 0 and data[s - 1] == 0x5C and escape_ends_at(data, s):
            s += 1
    elif not left_ok(data, s):
        return None
    return [Finding(s, e, "user_domain", CLASSWISE)], e


def _regex_check(rtype: str) -> object:
    def check(data: bytes, s: int, e: int) -> CheckResult:
        a = s
        if a < e and a > 0 and escape_ends_at(data, a):
            a += 1  # the match began on the letter of an escape such as '\n'
        b = strip_escape_tail(data, a, e)
        if b <= a:
            return None
        return [Finding(a, b, rtype, CLASSWISE)], e

    return check


class _RE2Matcher:
    """Anchored RE2 match for a user regex (whose syntax Python ``re`` may not share)."""

    __slots__ = ("_rx",)

    def __init__(self, pattern: str) -> None:
        opts = re2.Options()
        opts.encoding = re2.Options.Encoding.LATIN1
        self._rx = re2.compile(pattern.encode("latin-1"), opts)

    def match(self, data: bytes, pos: int, endpos: int) -> object:
        return self._rx.match(data, pos, endpos)


def build(
    terms: tuple[str, ...], regexes: tuple[tuple[str, str], ...]
) -> list[tuple[Recognizer, object]]:
    """Recognizers (with their matchers) for the user's terms, domain globs and regexes."""
    out: list[tuple[Recognizer, object]] = []
    words = [t for t in terms if not t.startswith("*.") and t.strip()]
    domains = [t[2:] for t in terms if t.startswith("*.") and len(t) > 2]
    if domains:
        alts = "|".join(ascii_pattern(d) for d in sorted(set(domains), key=lambda d: (-len(d), d)))
        pat = f"(?i:{alts})"
        rec = Recognizer("user.domains", pat, _check_domain, ("user_domain",))
        out.append((rec, re.compile(pat.encode("latin-1"))))
    if words:
        alts = "|".join(ascii_pattern(w) for w in sorted(set(words), key=lambda w: (-len(w), w)))
        pat = f"(?i:{alts})"
        rec = Recognizer("user.terms", pat, _check_term, ("user_term",))
        out.append((rec, re.compile(pat.encode("latin-1"))))
    for name, pattern in regexes:
        rtype = f"user_regex:{name}"
        bp = _bytes_pattern(pattern)
        rec = Recognizer(rtype, bp, _regex_check(rtype), (rtype,), bounded=False)  # type: ignore[arg-type]
        out.append((rec, _RE2Matcher(bp)))
    return out
