"""What every recognizer family shares: the recognizer record and raw-byte helpers.

A recognizer is one alternative of the scanner's combined RE2 pattern. Its ``pattern`` finds a
*candidate* cheaply (RE2 syntax, no capturing groups, no look-around, bounded length) and its
``check`` decides, in Python, on a few bytes around the candidate: boundaries, JSON-escape parity,
value shape and context. ``check`` returns the findings and the offset where scanning resumes, or
``None`` to reject the candidate (the scanner then tries the next recognizer at the same offset,
and then the next offset).

Everything here works on raw bytes: plain text or JSON text at any escaping depth. A JSON escape
right before a value (``\\ni-0abc``) is a boundary; ``\\/`` and ``\\u002F`` stand for ``/``;
``\\"`` and ``\\\\\\"`` stand for quotes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from masking.findings import Finding

# How far a finding may start left of its candidate's start: candidates are anchored on their
# most distinctive bytes (``.amazonaws.com``, ``Q~``, ``.atlasv1.``), and the token they belong
# to may begin up to this many bytes earlier (a host name's labels).
BACK = 256
# How far a check may look left of a candidate's start (boundaries, escape parity, key names).
LOOKBEHIND = 64
# How far an echo may look back for the place that named a value: CLI text output repeats the
# name given in the command line ('--cache-cluster-id my-redis' ... 'CACHECLUSTER<tab>my-redis').
# The scanner's ``context`` is BACK + ECHO_BACK.
ECHO_BACK = 1536
# How far a check may look right of a candidate's match end (boundaries, trailing context).
LOOKAHEAD = 64

CheckResult = tuple[list[Finding], int] | None
Check = Callable[[bytes, int, int], CheckResult]


@dataclass(frozen=True, eq=False)
class Recognizer:
    """One candidate pattern plus the Python check that decides it.

    ``pattern`` is RE2 and Python ``re`` syntax at once (the common subset: classes,
    ``(?:...)``, ``(?i:...)``, counted repetition); the scanner compiles it into the combined RE2
    search and, with Python ``re``, to re-match a short window when several recognizers can
    start with the same byte. ``types`` are the catalog names its findings may carry.
    """

    name: str
    pattern: str
    check: Check
    types: tuple[str, ...]
    # True for built-in patterns, whose matches are bounded by construction, so RE2's match end
    # can stand in for a Python re-match; False for user regexes.
    bounded: bool = True


# ---------------------------------------------------------------- byte classes


def _table(chars: bytes) -> tuple[bool, ...]:
    return tuple(b in chars for b in range(256))


DIGITS = b"0123456789"
LOWER = b"abcdefghijklmnopqrstuvwxyz"
UPPER = LOWER.upper()
ALNUM = _table(DIGITS + LOWER + UPPER)
WORD = _table(DIGITS + LOWER + UPPER + b"_")
HEXCH = _table(DIGITS + b"abcdefABCDEF")
# single-letter JSON escapes whose letter could be mistaken for a glued letter
_ESCAPE_LETTERS = _table(b"nrtbf/")

# RE2/re fragments for the raw domain
Q = r'(?:\\{0,7}["\'])'  # a quote, possibly JSON-escaped at any depth (\" or \\\")
SLASH = r"(?:\\{0,7}/|\\{1,7}u002[fF])"  # '/', '\/', '\\\/' or '\u002F'


def backslashes_before(data: bytes, i: int) -> int:
    """Number of consecutive backslashes ending right before offset ``i`` (capped at 16)."""
    n = 0
    lo = max(0, i - 16)
    while i > lo and data[i - 1] == 0x5C:
        n += 1
        i -= 1
    return n


def escape_ends_at(data: bytes, i: int) -> bool:
    """True when the byte at ``i`` is the last byte of a JSON escape (``\\n``, ``\\u00e9``...)."""
    # Any run of backslashes counts, not only an odd one: at the second escaping depth '\\\\n' is
    # the escape '\\n' of the text inside, so its 'n' is no letter of a token either.
    c = data[i]
    if _ESCAPE_LETTERS[c] and i >= 1 and data[i - 1] == 0x5C:
        return True
    if HEXCH[c] and i >= 5 and data[i - 4] == 0x75 and data[i - 5] == 0x5C:  # \uXXXX
        j = i - 3
        if HEXCH[data[j]] and HEXCH[data[j + 1]]:
            return True
    return False


def left_ok(data: bytes, s: int, glue: tuple[bool, ...] = ALNUM) -> bool:
    """``data[s]`` starts a token: the byte before is not a ``glue`` byte (or is the end of an
    escape sequence such as the ``n`` of ``\\n``)."""
    if s == 0:
        return True
    c = data[s - 1]
    if not glue[c]:
        return True
    return ALNUM[c] and escape_ends_at(data, s - 1)


def right_ok(data: bytes, e: int, glue: tuple[bool, ...] = ALNUM) -> bool:
    """``data[e-1]`` ends a token: the next byte is not a ``glue`` byte."""
    return e >= len(data) or not glue[data[e]]


GLUE_ID = _table(DIGITS + LOWER + UPPER + b"_-")  # resource ids: not glued to \w or '-'
GLUE_TOKEN = _table(DIGITS + LOWER + UPPER + b"_-+/=")


def unescape(raw: bytes) -> bytes:
    """Undo the JSON escapes that matter for comparing values (``\\/``, ``\\"``, ``\\\\``,
    ``\\u002F``) at any depth; good enough for allowlists and stop-word checks."""
    if b"\\" not in raw:
        return raw
    out = re.sub(rb"\\+u002[fF]", b"/", raw)
    out = re.sub(rb"\\+([\"/'])", rb"\1", out)
    return out.replace(b"\\\\", b"\\")


def strip_escape_tail(data: bytes, s: int, e: int) -> int:
    """Move ``e`` left so that ``data[s:e]`` does not end inside an escape sequence."""
    while e > s and data[e - 1] == 0x5C:
        e -= 1
    return e


# ---------------------------------------------------------------- key/value fields

# The bytes between a key and its value: the key's closing quote (any escaping depth), blanks,
# one of ':', '=', '=>', ':=', '|' (CLI table output), blanks, and the value's opening quote.
KEY_TAIL = r'(?:\\{0,7}["\'])?[ \t]{0,16}(?:=>|:=|[:=|])[ \t]{0,16}' + Q + "?"
# What the scan pattern requires after a key (the check parses the rest): the key's closing
# quote, a blank, or a separator. Short on purpose: a long tail multiplies DFA states.
KEY_ANCHOR = r"[\\\"' \t:=|]"
# A CLI flag: '--flag value' or '--flag=value', value optionally quoted.
FLAG_TAIL = r"(?:=|[ \t]{1,4})" + Q + "?"

_VALUE_AFTER = re.compile(
    rb'(?P<kq>\\{0,7}["\'])?[ \t]{0,16}(?P<sep>=>|:=|[:=|])[ \t]{0,16}(?P<vq>\\{0,7}["\'])?'
)
_FLAG_VALUE_AFTER = re.compile(rb'(?P<sep>=|[ \t]{1,4})(?P<vq>\\{0,7}["\'])?')


@dataclass(frozen=True)
class Value:
    """A value found after a key: its span, its quote (``b''`` when bare) and separator."""

    start: int
    end: int
    quote: bytes
    sep: bytes


def value_after(
    data: bytes, i: int, limit: int, flag: bool = False, stop: re.Pattern[bytes] | None = None
) -> Value | None:
    """Locate the value that follows a key (or ``--flag``) ending at offset ``i``.

    A quoted value runs to its closing quote (same quote at the same escaping depth; a value
    never spans a backslash, so an escape inside it ends it); a bare value runs to the first
    byte ``stop`` matches (default: blank, quote, backslash, comma, semicolon, bracket).
    """
    m = (_FLAG_VALUE_AFTER if flag else _VALUE_AFTER).match(data, i, limit)
    if not m:
        return None
    vq = m.group("vq") or b""
    vs = m.end()
    if vq:
        qc = vq[-1:]
        j = vs
        while j < limit:
            c = data[j]
            if c == qc[0] or c == 0x5C or c == 0x0A or c == 0x0D:
                break
            j += 1
        else:
            return None
        # the value must be closed by the same quote at the same depth
        if not data.startswith(vq, j) and not (qc == b"'" and data[j] == 0x27):
            return None
        return Value(vs, j, vq, m.group("sep"))
    sm = (stop or BARE_STOP).search(data, vs, limit)
    ve = sm.start() if sm else limit
    return Value(vs, ve, b"", m.group("sep"))


BARE_STOP = re.compile(rb'[\s"\'\\,;<>(){}\[\]|`]')
LINE_STOP = re.compile(rb'[\s"\'\\`]')  # env/ini/properties values keep punctuation


def fields_pattern(keys: Sequence[str], tail: str = KEY_TAIL) -> str:
    """RE2 alternation of literal keys followed by ``tail``."""
    alts = "|".join(sorted({re.escape(k) for k in keys}, key=lambda k: (-len(k), k)))
    return f"(?:{alts}){tail}"


def camel_words(key: str) -> list[str]:
    """``DBInstanceIdentifier`` -> ``['db', 'instance', 'identifier']``."""
    parts = re.findall(r"[A-Z]+(?=[A-Z][a-z]|\b|[0-9_-])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+", key)
    return [p.lower() for p in parts]


def key_variants(key: str) -> str:
    """RE2 for a key in PascalCase, camelCase, snake_case, kebab-case or UPPER_SNAKE (not in
    arbitrary case: ``username`` in code is not the ``UserName`` field of an API)."""
    words = camel_words(key)
    if not words:
        return re.escape(key)
    forms = {
        key,
        key[:1].lower() + key[1:],
        "_".join(words),
        "-".join(words),
        "_".join(words).upper(),
        "".join(w.capitalize() for w in words),
        words[0] + "".join(w.capitalize() for w in words[1:]),
    }
    return "(?:" + "|".join(sorted(map(re.escape, forms), key=lambda f: (-len(f), f))) + ")"


def norm_key(raw: bytes) -> str:
    """A key as typed -> its normal form for lookups (lower case, no separators)."""
    return re.sub(r"[^a-z0-9]", "", raw.decode("latin-1").lower())


# ---------------------------------------------------------------- field rules

# A validator turns the value found after a key into findings: a list (possibly empty: the value
# is kept), or None to reject the candidate so that other recognizers get a chance at it.
Validator = Callable[[bytes, "Value", str], list[Finding] | None]

_KEY_CHARS = re.compile(rb"[A-Za-z0-9_.-]{1,80}")
# one quoted item of a JSON list; items may sit on their own lines (or escaped ones: '\n')
_LIST_ITEM = re.compile(
    rb'(?:\s|\\+[nrt]){0,64}(?P<q>\\{0,7}")(?P<v>[^"\\\r\n]{1,256})(?P=q)'
    rb"(?:\s|\\+[nrt]){0,64}(?P<sep>,|\])"
)


@dataclass(frozen=True)
class Field:
    """What a key says about its value: the type and shape to give it and how to validate it."""

    rtype: str
    shape: str
    validate: Validator
    # bare (unquoted) values run to the end of the line, keeping punctuation (env, ini, YAML)
    line: bool = False


def field_check(
    table: dict[str, Field], flag: bool = False, suffix: bool = False, glue: tuple[bool, ...] = WORD
) -> Check:
    """A check for ``key <sep> value`` candidates whose key is looked up in ``table``.

    The candidate starts at the key (or ``--flag``). With ``suffix=True`` the candidate starts at
    a keyword inside a longer key (``DB_PASSWORD``, ``spring.datasource.password``): the whole
    key is then read back to its start, at most ``LOOKBEHIND`` bytes, and ``table`` is asked
    for its normal form first and then for the keyword's.
    """

    def check(data: bytes, s: int, e: int) -> CheckResult:
        if flag:
            if s >= 1 and data[s - 1] not in b" \t\n'\"=" and not escape_ends_at(data, s - 1):
                return None
            km = _KEY_CHARS.match(data, s + 2)
            if km is None:
                return None
            key_end = km.end()
            spec = table.get(norm_key(data[s + 2 : key_end]))
        else:
            km = _KEY_CHARS.match(data, s)
            if km is None:
                return None
            key_end = km.end()
            kstart = s
            if suffix:
                lo = max(0, s - LOOKBEHIND)
                while kstart > lo and (WORD[data[kstart - 1]] or data[kstart - 1] in b".-"):
                    kstart -= 1
                if kstart > lo and data[kstart - 1] == 0x5C:  # '\n' before the key
                    kstart += 1
                if kstart > 0 and ALNUM[data[kstart - 1]] and not escape_ends_at(data, kstart - 1):
                    return None
            elif not left_ok(data, s, glue):
                return None
            key = norm_key(data[kstart:key_end])
            spec = table.get(key)
        if spec is None:
            return None
        limit = min(len(data), s + 4096)
        v = value_after(data, key_end, limit, flag=flag, stop=LINE_STOP if spec.line else None)
        if v is None:
            return None
        if v.start < len(data) and data[v.start] == 0x5B and not v.quote:  # a JSON list
            out: list[Finding] = []
            j = v.start + 1
            for _ in range(32):
                m = _LIST_ITEM.match(data, j, limit)
                if m is None:
                    break
                item = Value(m.start("v"), m.end("v"), m.group("q"), b":")
                fs = spec.validate(data, item, spec.rtype)
                if fs:
                    out.extend(fs)
                j = m.end()
                if m.group("sep") == b"]":
                    break
            return (out, j) if out else None
        if v.end <= v.start:
            return None
        fs = spec.validate(data, v, spec.rtype)
        if fs is None:
            return None
        if not fs:
            return [], v.start  # defer: another recognizer owns this value
        return fs, v.end

    return check
