"""StreamUnmasker: restores the surrogates of one exchange in a byte stream.

It restores only the surrogates in the map it was given (DESIGN invariant 6), only where the
surrogate stands on its own (not glued to further letters or digits), and whatever the cuts
between chunks. It holds back only a tail that could still be the start of a surrogate (at most
the longest surrogate's length), so text flows through as it arrives.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping

import re2

_ALNUM = frozenset(b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")

GLUE_SAFE = 12
"""Surrogates this long are restored even when glued to letters or digits: a finding's span
leaves out its token prefix (the ``AKIA`` of an access key), and a keyed random string of
twelve or more letters does not turn up inside other words by chance. Shorter ones (user
names, short ids) are restored only where they stand on their own."""


WINDOW = 16 << 10
"""Bytes searched per regex call. RE2 runs a big alternation of literals fast on short texts
and falls back to a much slower engine on long ones, so long input is searched in windows."""


class SurrogateIndex:
    """The surrogates of one exchange, shared by every stream of its response.

    ``glue`` holds the few bytes that stood right before surrogates whose original was glued
    to a letter or digit (the ``AKIA`` of an access key): a tail right after one of them may
    be the start of a surrogate. Elsewhere only a tail that starts a word can be one, so text
    that merely ends in a letter is not held back. The regex is compiled on first use: a
    response that carries no text costs nothing.
    """

    def __init__(self, pairs: Mapping[bytes, bytes], glue: Iterable[bytes] = ()) -> None:
        self.pairs = dict(pairs)
        self.sorted = sorted(self.pairs)
        self.longest = max((len(s) for s in self.pairs), default=0)
        self.glue = frozenset(glue)
        self._regex: re2._Regexp | None = None

    @property
    def regex(self) -> re2._Regexp:
        if self._regex is None:
            # Longest first, so that at one start the longest surrogate wins.
            alternatives = b"|".join(
                re2.escape(s) for s in sorted(self.pairs, key=len, reverse=True)
            )
            options = re2.Options()
            options.max_mem = 256 << 20
            self._regex = re2.compile(alternatives, options)
        return self._regex

    def is_prefix(self, tail: bytes) -> bool:
        """Whether ``tail`` is the start (or the whole) of some surrogate."""
        k = bisect.bisect_left(self.sorted, tail)
        return k < len(self.sorted) and self.sorted[k].startswith(tail)

    def may_start(self, buf: bytes, p: int, recent: bytes) -> bool:
        """Whether a surrogate could start at ``buf[p]``; ``recent``: bytes already emitted."""
        before = buf[p - 1] if p else (recent[-1] if recent else -1)
        if before not in _ALNUM:
            return True
        if not self.glue:
            return False
        head = buf[max(0, p - 8) : p]
        if len(head) < 8:
            head = recent[len(head) - 8 :] + head
        return any(head.endswith(g) for g in self.glue)


class StreamUnmasker:
    """``feed(bytes) -> bytes``, ``finish() -> bytes``; outputs concatenate to the restored text."""

    def __init__(self, index: SurrogateIndex) -> None:
        self._index = index
        self._buf = b""
        self._recent = b""  # the last bytes emitted: boundary checks and glued prefixes
        self.restored = 0

    @property
    def held_back(self) -> int:
        return len(self._buf)

    def feed(self, data: bytes) -> bytes:
        if not self._index.pairs:
            return data
        self._buf += data
        return self._step(final=False)

    def finish(self) -> bytes:
        out = self._step(final=True) if self._index.pairs else b""
        self._recent = b""
        return out

    def _step(self, final: bool) -> bytes:
        buf = self._buf
        n = len(buf)
        index = self._index
        pairs = index.pairs
        regex = index.regex
        parts: list[bytes] = []
        pos = 0
        hold = n
        window = 0
        while window < n and hold == n:
            # Matches that start in [window, window_end) are complete within the search range.
            window_end = min(n, window + WINDOW)
            next_window = window_end
            for m in regex.finditer(buf, max(window, pos), min(n, window_end + index.longest)):
                s, e = m.start(), m.end()
                if s >= window_end:
                    break
                if e == n and not final:
                    hold = s  # the byte after it decides the boundary
                    break
                next_window = max(next_window, e)
                if e - s < GLUE_SAFE:
                    before = buf[s - 1] if s else (self._recent[-1] if self._recent else -1)
                    if before in _ALNUM or (e < n and buf[e] in _ALNUM):
                        continue
                parts.append(buf[pos:s])
                parts.append(pairs[buf[s:e]])
                self.restored += 1
                pos = e
            window = next_window
        if not final:
            # The tail could be a surrogate still arriving.
            first = max(pos, n - index.longest + 1)
            for p in range(first, hold):
                if index.may_start(buf, p, self._recent) and index.is_prefix(buf[p:]):
                    hold = p
                    break
        if final:
            hold = n
        parts.append(buf[pos:hold])
        if hold:
            self._recent = (self._recent + buf[max(0, hold - 8) : hold])[-8:]
        self._buf = buf[hold:]
        return b"".join(parts)
