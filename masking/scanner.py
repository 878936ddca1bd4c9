"""The scanner: one RE2 pass over raw bytes finds candidates, Python checks decide them.

Why this shape: RE2 runs one DFA over the whole combined pattern (every recognizer's candidate
pattern as an alternative, no capturing groups, so it never falls back to the slow NFA), and the
DFA does not care how many alternatives there are. Everything RE2 cannot express (boundaries,
JSON-escape parity, octet ranges, key context, stop words) is decided in Python on the few bytes
around each candidate. Which recognizer matched is found by the candidate's first byte: a table
maps each byte to the recognizers that can start with it, tried in pattern order with Python
``re`` on a short window (a single one needs no re-match: RE2's own match end is its end).

Candidate patterns are the cheapest distinctive bytes of a token (a prefix such as ``ghp_``, a
suffix such as ``.amazonaws.com``, a key name), never long counted repetitions over broad classes:
those blow up the DFA's state cache and RE2 silently falls back to its NFA, a hundred times
slower. The checks parse the token itself with Python ``re`` on a short window.

Streaming: ``scan(data, pos, final=False)`` decides a candidate only once ``horizon`` bytes past
its start are present; every check reads at most ``context`` bytes before a candidate and
``horizon`` bytes from its start, and a finding may start up to ``BACK`` bytes before its
candidate (never before what is already decided). So what is decided never depends on where the
input was cut (split invariance), and the caller holds back at most ``horizon + BACK`` bytes.
"""

from __future__ import annotations

import re

import re2

from masking import catalog
from masking.findings import Finding
from masking.recognizers._base import BACK, ECHO_BACK, LOOKAHEAD, Recognizer, unescape
from masking.rules import RuleConfig

# The longest candidate a recognizer may need, plus the look-ahead its check may use. Private
# keys are the longest tokens: an 8192-bit RSA key body is about 6.4 KiB, more with JSON
# escapes of the newlines; bodies longer than this are masked up to the window.
HORIZON = 8192
WINDOW = HORIZON - LOOKAHEAD

_UNANCHORED = re2._Anchor.UNANCHORED  # the binding's raw Match() avoids a generator per call


_NO_RULES = RuleConfig()


class Scanner:
    """Finds sensitive values in raw bytes; see the module docstring for the streaming rules."""

    horizon: int = HORIZON
    context: int = BACK + ECHO_BACK

    def __init__(self, rules: RuleConfig = _NO_RULES) -> None:
        self.rules = rules
        recs: list[Recognizer] = []
        matchers: list[object] = []
        for rec, matcher in catalog.recognizers(rules):
            if all(t in rules.disabled for t in rec.types):
                continue
            recs.append(rec)
            matchers.append(matcher)
        self._recognizers = tuple(recs)
        self._disabled = rules.disabled
        self._allow = frozenset(a.encode() for a in rules.allowlist)
        if not recs:
            self._match = None
            return
        combined = "|".join(f"(?:{r.pattern})" for r in recs)
        opts = re2.Options()
        opts.max_mem = 256 << 20  # keep the DFA from falling back to the NFA on a big alternation
        opts.encoding = re2.Options.Encoding.LATIN1
        opts.never_capture = True  # user regexes may have groups; the search never needs them
        compiled = re2.compile(combined.encode("latin-1"), opts)
        self._match = compiled._regexp.Match
        # per first byte: the (matcher, check, single) tuples to try, in pattern order
        table: list[list[int]] = [[] for _ in range(256)]
        for i, rec in enumerate(recs):
            for b in first_bytes(rec.pattern) if rec.bounded else _ALL:
                table[b].append(i)
        self._dispatch = tuple(tuple((matchers[i], recs[i].check) for i in idx) for idx in table)
        self._single = tuple(len(idx) == 1 and recs[idx[0]].bounded for idx in table)
        # Where several built-in recognizers share a first byte, one Python re alternation of
        # their patterns, one group each, finds the one RE2 matched in a single call (its
        # ``lastindex``): alternation order is priority order in both engines.
        self._joint = tuple(_joint_matcher([recs[i] for i in idx]) for idx in table)

    def scan(self, data: bytes, pos: int = 0, final: bool = True) -> tuple[list[Finding], int]:
        """Scan ``data[pos:]`` (``data[:pos]`` is left context) and return ``(findings, resume)``.

        Findings are sorted, do not overlap and lie in ``[pos, resume)``; ``resume`` is the
        offset up to which the result is final. With ``final=False`` a candidate is decided only
        when ``horizon`` bytes from its start are present, so ``resume`` trails the end of the
        data by at most ``horizon`` bytes unless a decided finding reaches further.
        """
        n = len(data)
        limit = n if final else n - HORIZON
        found: list[Finding] = []
        match = self._match
        if match is None or pos >= n:
            return found, (n if final else max(pos, min(limit - BACK, n)))
        dispatch = self._dispatch
        single = self._single
        joint = self._joint
        disabled = self._disabled
        allow = self._allow
        cur = pos
        while cur < n:
            span = match(_UNANCHORED, data, cur, n)[0]
            s = span[0]
            if s < 0 or s > limit:
                break
            res = None
            first = data[s]
            if single[first]:
                res = dispatch[first][0][1](data, s, span[1])
            else:
                win = s + WINDOW if s + WINDOW < n else n
                cands = dispatch[first]
                k = 0
                jm = joint[first]
                if jm is not None:
                    m = jm.match(data, s, win)
                    if m is None:
                        cands = ()
                    else:
                        k = m.lastindex - 1
                        res = cands[k][1](data, s, m.end())
                        k += 1
                if res is None:
                    for matcher, check in cands[k:]:
                        m = matcher.match(data, s, win)
                        if m is not None:
                            res = check(data, s, m.end())
                            if res is not None:
                                break
            if res is None:
                cur = s + 1
                continue
            fs, nxt = res
            if fs:
                if fs[0].start < cur:  # a token reaching left into what is already decided
                    fs = [f for f in fs if f.start >= cur]
                if disabled or allow:
                    fs = [
                        f
                        for f in fs
                        if f.rtype not in disabled and unescape(data[f.start : f.end]) not in allow
                    ]
                    if allow and unescape(data[s:nxt]) in allow:
                        fs = []
                found.extend(fs)
            cur = nxt
        # a later candidate may own bytes up to BACK before its start: keep them undecided
        return found, (n if final else max(cur, limit - BACK))


_ALL = frozenset(range(256))


def _joint_matcher(recs: list[Recognizer]) -> re.Pattern[bytes] | None:
    """One Python re for several built-in patterns, group k+1 for the k-th (None if any is a
    user regex, whose RE2 syntax Python may not share, or if there is nothing to join)."""
    if len(recs) < 2 or not all(r.bounded for r in recs):
        return None
    return re.compile(b"|".join(b"(" + r.pattern.encode("latin-1") + b")" for r in recs))


def first_bytes(pattern: str) -> frozenset[int]:
    """The bytes a match of ``pattern`` can start with (a superset; all bytes when unsure).

    Read from the parse tree of Python's ``re`` (whose syntax the built-in patterns share), so
    that a candidate is re-matched only by the recognizers that can start with its first byte.
    """
    try:
        from re import _parser as sre_parse  # the stdlib parser behind re.compile

        tree = sre_parse.parse(pattern)
    except Exception:  # noqa: BLE001 - syntax only RE2 knows: fall back to every byte
        return _ALL
    out, nullable = _first(list(tree), False)
    return _ALL if nullable else frozenset(out)


def _first(items: list, icase: bool) -> tuple[set[int], bool]:
    """(first bytes, can be empty) of a sequence of parsed items."""
    from re import _constants as c

    out: set[int] = set()
    for op, av in items:
        if op is c.LITERAL:
            out |= _case(av, icase)
            return out, False
        if op is c.NOT_LITERAL:
            return set(_ALL), False
        if op is c.IN:
            got, neg = set(), False
            for iop, iav in av:
                if iop is c.NEGATE:
                    neg = True
                elif iop is c.LITERAL:
                    got |= _case(iav, icase)
                elif iop is c.RANGE:
                    for b in range(iav[0], min(iav[1], 255) + 1):
                        got |= _case(b, icase)
                else:  # categories (\s, \d...): every byte, to stay a superset
                    return set(_ALL), False
            out |= (set(_ALL) - got) if neg else got
            return out, False
        if op is c.BRANCH:
            nullable = False
            for alt in av[1]:
                f, n = _first(list(alt), icase)
                out |= f
                nullable |= n
            if not nullable:
                return out, False
            continue
        if op is c.SUBPATTERN:
            add_flags = av[1]
            f, n = _first(list(av[3]), icase or bool(add_flags & 2))
            out |= f
            if not n:
                return out, False
            continue
        if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
            f, n = _first(list(av[2]), icase)
            out |= f
            if av[0] > 0 and not n:
                return out, False
            continue
        if op is c.AT:
            continue
        return set(_ALL), False
    return out, True


def _case(b: int, icase: bool) -> set[int]:
    if icase and (65 <= b <= 90 or 97 <= b <= 122):
        return {b | 0x20, b & ~0x20}
    return {b}
