"""StreamUnmasker: restores the surrogates of one exchange in a byte stream.

It restores only the surrogates in the map it was given (DESIGN invariant 6), only where the
surrogate stands on its own (short ones) or at least on one side (long ones, see
:data:`GLUE_SAFE`; on their left only after one of the exchange's glue prefixes, such as the
``AKIA`` that stood before an access key's masked part), and whatever the cuts between
chunks. It holds back only a tail that could still be the start of a surrogate (at most the
longest surrogate's length), so text flows through as it arrives.

Where: scan left to right; at each place take the longest surrogate that stands there and
passes those rules. ``tests/test_stream_unmasker.py`` states this as a brute-force reference
and holds the unmasker to it under any chunking.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from itertools import accumulate

_ALNUM = frozenset(b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")

GLUE_SAFE = 12
"""Surrogates this long are restored even when glued to letters or digits on one side: a
finding's span leaves out its token prefix (the ``AKIA`` of an access key), and a keyed random
string of twelve or more letters does not turn up inside other words by chance. On the left,
only right after a glue prefix (the bytes that stood before a glued original in the request);
one made only of letters and digits, inside a longer word on both sides, is part of that word.
Shorter ones (user names, short ids) are restored only where they stand on their own."""


GLUE_KEY = 8
"""A surrogate is found glued to further letters or digits by the first or last bytes of its
edge run; an edge run shorter than this is found only where it stands as a whole run."""

_RUN = re.compile(rb"[A-Za-z0-9]+")
_SPLIT = re.compile(rb"([A-Za-z0-9]+)")


class SurrogateIndex:
    """The surrogates of one exchange, shared by every stream of its response.

    Surrogates are found by an *anchor*: one maximal run of letters and digits inside each
    (the longest run that differs from the original: keyed random bytes, so it occurs in other
    text only by chance). A text's runs are looked up in a dict of anchors and each hit is
    checked byte for byte. A surrogate that can be glued to letters or digits
    (:data:`GLUE_SAFE`) is also indexed by the outer bytes of the run at its edge
    (:data:`GLUE_KEY`), so that it is found at the end of a longer run (``AKIA`` + surrogate)
    or at its start. No regex is built per exchange: the
    cost is per run of the text, whatever the number of surrogates, and nothing has to warm up.

    ``glue`` holds the few bytes that stood right before originals glued to a letter or digit
    in the request (the ``AKIA`` of an access key). A tail of the text is held back while it
    may be the start of a surrogate: after a byte that is not a letter or digit when it starts
    any surrogate; after a letter or digit only right after a glue prefix, when it starts one
    that may be found glued there. So text that merely ends in a word is not held back.
    """

    def __init__(self, pairs: Mapping[bytes, bytes], glue: Iterable[bytes] = ()) -> None:
        self.pairs = dict(pairs)
        self.glue = tuple(sorted(set(glue)))
        self.longest = max((len(s) for s in self.pairs), default=0)
        after_word: list[bytes] = []  # those found right after a letter or digit
        exact: dict[bytes, list[tuple[int, bytes]]] = {}
        # an anchor's last (first) bytes -> (its end (start) in the surrogate, its length, s)
        ends: dict[bytes, list[tuple[int, int, bytes]]] = {}
        starts: dict[bytes, list[tuple[int, int, bytes]]] = {}
        solid: set[bytes] = set()
        exact2: dict[tuple[bytes, bytes], list[tuple[int, bytes]]] = {}
        for surrogate, original in self.pairs.items():
            if surrogate.isalnum():  # the common case: one run, the whole surrogate
                k, run, second = 0, surrogate, b""
            else:
                anchor = _anchor(surrogate, original)
                if anchor is None:
                    continue  # no letter or digit: nothing to restore it by
                k, run, second = anchor
                if second:
                    exact2.setdefault((run, second), []).append((k, surrogate))
                    if len(surrogate) >= GLUE_SAFE and k > 0:
                        after_word.append(surrogate)
                    continue
            exact.setdefault(run, []).append((k, surrogate))
            if len(surrogate) >= GLUE_SAFE and (k > 0 or len(run) >= GLUE_KEY):
                after_word.append(surrogate)
            if len(surrogate) < GLUE_SAFE or len(run) < GLUE_KEY:
                continue
            at_start, at_end = k == 0, k + len(run) == len(surrogate)
            if at_start:
                ends.setdefault(run[-GLUE_KEY:], []).append((k + len(run), len(run), surrogate))
            if at_end:
                starts.setdefault(run[:GLUE_KEY], []).append((k, len(run), surrogate))
            if at_start and at_end:
                solid.add(surrogate)
        self._sorted = sorted(self.pairs)
        self._sorted_after_word = sorted(after_word)
        self._exact = exact
        self._exact2 = exact2
        self._ends = ends
        self._starts = starts
        self.solid = frozenset(solid)
        """Surrogates of letters and digits only: inside a longer word on both sides they are
        part of that word, not restored."""

    def candidates(self, buf: bytes, n: int) -> list[tuple[int, bytes]]:
        """``(start, surrogate)`` for every place in ``buf[:n]`` where a surrogate's bytes
        stand, found by its anchor; sorted by start, longer first. Boundaries are not judged
        here."""
        # Split into separators and runs in C; Python touches only the runs that hit.
        pieces = _SPLIT.split(buf[:n])
        runs = pieces[1::2]
        exact, ends, starts = self._exact, self._ends, self._starts
        hits = exact.keys() & set(runs)
        out: list[tuple[int, bytes]] = []
        offsets: list[int] = []  # run i starts at offsets[2 * i]; computed once, when needed
        exact2 = self._exact2
        if exact2:
            neighbours = list(zip(runs, runs[1:], strict=False))
            hits2 = exact2.keys() & set(neighbours)
            if hits2:
                offsets = list(accumulate(map(len, pieces)))
                for i in [i for i, pair in enumerate(neighbours) if pair in hits2]:
                    a = offsets[2 * i]
                    for k, surrogate in exact2[neighbours[i]]:
                        if a >= k and buf.startswith(surrogate, a - k):
                            out.append((a - k, surrogate))
        heads = tails = ()
        if ends or starts:
            long_runs = [r for r in runs if len(r) > GLUE_KEY]
            if long_runs:
                heads = starts.keys() & {r[:GLUE_KEY] for r in long_runs}
                tails = ends.keys() & {r[-GLUE_KEY:] for r in long_runs}
        if not (hits or heads or tails):
            out.sort(key=lambda c: (c[0], -len(c[1])))
            return out
        if not offsets:
            offsets = list(accumulate(map(len, pieces)))
        if heads or tails:
            hits = hits | {r for r in long_runs if r[:GLUE_KEY] in heads or r[-GLUE_KEY:] in tails}
        wanted = [i for i, r in enumerate(runs) if r in hits]
        for i in wanted:
            run = runs[i]
            hit = exact.get(run)
            if hit is not None:
                a = offsets[2 * i]
                for k, surrogate in hit:
                    if a >= k and buf.startswith(surrogate, a - k):
                        out.append((a - k, surrogate))
            size = len(run)
            if size <= GLUE_KEY:
                continue
            tail = run[-GLUE_KEY:]
            if tail in tails:  # ``AKIA`` + anchor: the anchor ends a longer run
                end = offsets[2 * i + 1]
                for anchor_end, length, surrogate in ends[tail]:
                    p = end - anchor_end
                    if length < size and p >= 0 and buf.startswith(surrogate, p):
                        out.append((p, surrogate))
            head = run[:GLUE_KEY]
            if head in heads:  # anchor + more letters: the anchor starts it
                a = offsets[2 * i]
                for k, length, surrogate in starts[head]:
                    if length < size and a >= k and buf.startswith(surrogate, a - k):
                        out.append((a - k, surrogate))
        out.sort(key=lambda c: (c[0], -len(c[1])))
        return out

    def after_glue(self, buf: bytes, p: int, recent: bytes) -> bool:
        """Whether ``buf[p]`` comes right after a glue prefix (``recent``: bytes before
        ``buf``)."""
        if not self.glue:
            return False
        head = buf[max(0, p - 8) : p]
        if len(head) < 8:
            head = recent[len(head) - 8 :] + head
        return head.endswith(self.glue)

    def incomplete(self, buf: bytes, lo: int, recent: bytes) -> int:
        """The first offset from ``lo`` where the rest of ``buf`` may be the start of a
        surrogate still arriving (``len(buf)`` when there is none). ``recent``: the bytes
        before ``buf``."""
        n = len(buf)
        before = recent[-1] if recent else -1
        for p in range(max(lo, n - self.longest), n):
            prev = buf[p - 1] if p else before
            if prev in _ALNUM:
                if not self.after_glue(buf, p, recent):
                    continue
                keys = self._sorted_after_word
            else:
                keys = self._sorted
            tail = buf[p:]
            k = bisect.bisect_left(keys, tail)
            if k < len(keys) and keys[k].startswith(tail):
                return p
        return n


SHORT_ANCHOR = 4
"""A run shorter than this (an address octet, a short number) is common in any text: such a
surrogate is anchored on two neighbouring runs instead, when it has them."""


@lru_cache(maxsize=1 << 16)  # a conversation's surrogates come back turn after turn
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


class StreamUnmasker:
    """``feed(bytes) -> bytes``, ``finish() -> bytes``; outputs concatenate to the restored text."""

    def __init__(self, index: SurrogateIndex) -> None:
        self._index = index
        self._buf = b""
        self._recent = b""  # the last bytes emitted: boundaries, runs cut between steps
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
        solid = index.solid
        before_buf = self._recent[-1] if self._recent else -1
        parts: list[bytes] = []
        pos = 0
        # Nothing at or after the first place where a surrogate may still be arriving is
        # decided: that one may be longer than, or start before, what is complete now.
        hold = n if final else index.incomplete(buf, 0, self._recent)
        for s, surrogate in self._candidates(buf):
            if s < pos:
                continue
            if s >= hold:
                break
            e = s + len(surrogate)
            before = buf[s - 1] if s else before_buf
            after = buf[e] if e < n else -1
            if len(surrogate) < GLUE_SAFE:
                if before in _ALNUM or after in _ALNUM:
                    continue
            elif before in _ALNUM and (
                (after in _ALNUM and surrogate in solid)
                or not index.after_glue(buf, s, self._recent)
            ):
                continue
            parts.append(buf[pos:s])
            parts.append(pairs[surrogate])
            self.restored += 1
            pos = e
            if pos > hold:  # what was held is inside this one: look again after it
                hold = index.incomplete(buf, pos, self._recent)
        parts.append(buf[pos:hold])
        if hold:
            keep = index.longest + 8
            self._recent = (self._recent + buf[max(0, hold - keep) : hold])[-keep:]
        self._buf = buf[hold:]
        return b"".join(parts)

    def _candidates(self, buf: bytes) -> list[tuple[int, bytes]]:
        """The index's candidates in ``buf``, seen with the letters and digits emitted right
        before it: a run cut by an earlier step is looked up whole, as in one piece."""
        recent = self._recent
        j = len(recent)
        while j > 0 and recent[j - 1] in _ALNUM:
            j -= 1
        if j == len(recent) or not buf or buf[0] not in _ALNUM:
            return self._index.candidates(buf, len(buf))
        ctx = len(recent) - j
        joined = recent[j:] + buf
        return [(p - ctx, s) for p, s in self._index.candidates(joined, len(joined)) if p >= ctx]
