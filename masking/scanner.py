"""The scanner: one RE2 pass over raw bytes finds candidates, Python checks decide them.

Why this shape: RE2 runs one DFA over the whole combined pattern (every recognizer's candidate
pattern as an alternative, no capturing groups, so it never falls back to the slow NFA), and the
DFA does not care how many alternatives there are. Everything RE2 cannot express (boundaries,
JSON-escape parity, octet ranges, key context, stop words) is decided in Python on the few bytes
around each candidate. Which recognizer matched is found by the candidate's first byte: a table
maps each byte to the recognizers that can start with it, tried in pattern order with Python
``re`` on a short window (a single one needs no re-match: RE2's own match end is its end).

Streaming: ``scan(data, pos, final=False)`` decides a candidate only once ``horizon`` bytes past
its start are present, and every check reads at most ``context`` bytes before a candidate and
``horizon`` bytes from its start. So what is decided never depends on where the input was cut
(split invariance), and the caller holds back at most ``horizon`` bytes.
"""

from __future__ import annotations

import re2

from masking import catalog
from masking.findings import Finding
from masking.recognizers._base import LOOKAHEAD, LOOKBEHIND, Recognizer, unescape
from masking.rules import RuleConfig

# The longest candidate a recognizer may need, plus the look-ahead its check may use. Private
# keys are the longest tokens: an 8192-bit RSA key body is about 6.4 KiB, more with JSON
# escapes of the newlines; bodies longer than this are masked up to the window.
HORIZON = 8192
WINDOW = HORIZON - LOOKAHEAD

_UNANCHORED = re2._Anchor.UNANCHORED  # the binding's raw Match() avoids a generator per call


class Scanner:
    """Finds sensitive values in raw bytes; see the module docstring for the streaming rules."""

    horizon: int = HORIZON
    context: int = LOOKBEHIND

    def __init__(self, rules: RuleConfig = RuleConfig()) -> None:
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
            lo, hi = _first_byte_range(rec.pattern, opts)
            for b in range(lo, hi + 1):
                table[b].append(i)
        self._dispatch = tuple(
            tuple((matchers[i], recs[i].check) for i in idx) for idx in table)
        self._single = tuple(len(idx) == 1 and recs[idx[0]].bounded for idx in table)

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
            return found, (n if final else max(pos, min(limit, n)))
        dispatch = self._dispatch
        single = self._single
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
                win = min(n, s + WINDOW)
                for matcher, check in dispatch[first]:
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
                if disabled or allow:
                    fs = [f for f in fs if f.rtype not in disabled
                          and unescape(data[f.start:f.end]) not in allow]
                    if allow and unescape(data[s:nxt]) in allow:
                        fs = []
                found.extend(fs)
            cur = nxt
        return found, (n if final else max(cur, limit))


def _first_byte_range(pattern: str, opts: object) -> tuple[int, int]:
    """A superset of the bytes a match of ``pattern`` can start with, as an inclusive range."""
    try:
        ok, lo, hi = re2.compile(pattern.encode("latin-1"), opts)._regexp.PossibleMatchRange(1)
    except re2.error:
        return 0, 255
    if not ok or not lo or not hi:
        return 0, 255
    return lo[0], hi[0]
