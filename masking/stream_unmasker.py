"""StreamUnmasker: restores the surrogates of one exchange in a byte stream.

It restores only the surrogates in the map it was given (DESIGN invariant 6), only where the
surrogate stands on its own (not glued to further letters or digits), and whatever the cuts
between chunks. It holds back only a tail that could still be the start of a surrogate (at most
the longest surrogate's length), so text flows through as it arrives.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping

import re2

_ALNUM = frozenset(b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")

GLUE_SAFE = 12
"""Surrogates this long are restored even when glued to letters or digits: a finding's span
leaves out its token prefix (the ``AKIA`` of an access key), and a keyed random string of
twelve or more letters does not turn up inside other words by chance. Shorter ones (user
names, short ids) are restored only where they stand on their own."""


class SurrogateIndex:
    """The surrogates of one exchange, compiled once, shared by every stream of its response."""

    def __init__(self, pairs: Mapping[bytes, bytes]) -> None:
        self.pairs = dict(pairs)
        self.sorted = sorted(self.pairs)
        self.longest = max((len(s) for s in self.pairs), default=0)
        self.regex = None
        if self.pairs:
            # Longest first, so that at one start the longest surrogate wins.
            alternatives = b"|".join(
                re2.escape(s) for s in sorted(self.pairs, key=len, reverse=True)
            )
            options = re2.Options()
            options.max_mem = 256 << 20
            self.regex = re2.compile(alternatives, options)

    def is_prefix(self, tail: bytes) -> bool:
        """Whether ``tail`` is the start (or the whole) of some surrogate."""
        k = bisect.bisect_left(self.sorted, tail)
        return k < len(self.sorted) and self.sorted[k].startswith(tail)


class StreamUnmasker:
    """``feed(bytes) -> bytes``, ``finish() -> bytes``; outputs concatenate to the restored text."""

    def __init__(self, index: SurrogateIndex) -> None:
        self._index = index
        self._buf = b""
        self._before = -1  # the byte before _buf[0], for the boundary check (-1: none)
        self.restored = 0

    @property
    def held_back(self) -> int:
        return len(self._buf)

    def feed(self, data: bytes) -> bytes:
        if self._index.regex is None:
            return data
        self._buf += data
        return self._step(final=False)

    def finish(self) -> bytes:
        out = self._step(final=True) if self._index.regex is not None else b""
        self._before = -1
        return out

    def _step(self, final: bool) -> bytes:
        buf = self._buf
        n = len(buf)
        index = self._index
        pairs = index.pairs
        parts: list[bytes] = []
        pos = 0
        hold = n
        for m in index.regex.finditer(buf):
            s, e = m.start(), m.end()
            if e == n and not final:
                hold = s  # the byte after it decides the boundary
                break
            if e - s < GLUE_SAFE:
                before = buf[s - 1] if s else self._before
                if before in _ALNUM or (e < n and buf[e] in _ALNUM):
                    continue
            parts.append(buf[pos:s])
            parts.append(pairs[buf[s:e]])
            self.restored += 1
            pos = e
        if not final:
            # The tail could be a surrogate still arriving.
            first = max(pos, n - index.longest + 1)
            for p in range(first, hold):
                if index.is_prefix(buf[p:]):
                    hold = p
                    break
        if final:
            hold = n
        parts.append(buf[pos:hold])
        if hold:
            self._before = buf[hold - 1]
        self._buf = buf[hold:]
        return b"".join(parts)
