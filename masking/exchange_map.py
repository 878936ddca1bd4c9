"""The per-exchange map between originals and surrogates.

Built while a request body is masked; the response of that same request is unmasked with it
and with nothing else (DESIGN invariant 6). It is a bijection: one surrogate per original and
one original per surrogate, and no surrogate equals an original seen in the exchange.
"""

from __future__ import annotations

import re

from masking.surrogate import SurrogateMaker

_ESCAPE = re.compile(rb"\\+(u[0-9a-fA-F]{4}|[\"\\/bfnrt])")
_SIMPLE = {
    b'"': b'"',
    b"\\": b"\\",
    b"/": b"/",
    b"b": b"\b",
    b"f": b"\f",
    b"n": b"\n",
    b"r": b"\r",
    b"t": b"\t",
}


def _decode_escape(m: re.Match[bytes]) -> bytes:
    tail = m.group(1)
    if tail[:1] == b"u":
        return chr(int(tail[1:], 16)).encode()
    return _SIMPLE[tail]


def canonical(raw: bytes) -> bytes:
    """The value a raw span stands for, with escape sequences of any depth decoded."""
    if b"\\" not in raw:
        return raw
    return _ESCAPE.sub(_decode_escape, raw)


class MapLog:
    """An exchange map's changes in order, one list per kind, so that the map can be rebuilt
    as it stood at any earlier point (a :meth:`ExchangeMap.mark`) at C speed: each dict is
    ``dict()`` of a list slice."""

    __slots__ = ("pairs", "firsts", "hows", "glue")

    def __init__(self) -> None:
        self.pairs: list[
            tuple[bytes, bytes]
        ] = []  # (surrogate, original), as by_surrogate got them
        self.firsts: list[tuple[bytes, bytes]] = []  # (original, surrogate) of new originals
        self.hows: list[tuple[bytes, tuple[str, int]]] = []  # (original, (shape, attempt))
        self.glue: list[bytes] = []


Mark = tuple[int, int, int]


class ExchangeMap:
    """Originals and surrogates of one exchange, both in decoded (canonical) form."""

    def __init__(self, maker: SurrogateMaker) -> None:
        self._maker = maker
        self._by_original: dict[bytes, bytes] = {}
        self._how: dict[bytes, tuple[str, int]] = {}  # original -> (shape, attempt) used
        self.by_surrogate: dict[bytes, bytes] = {}
        """Canonical surrogate -> canonical original: what an unmasker restores."""
        self.glue: set[bytes] = set()
        """The bytes right before originals that were glued to a letter or digit (``AKIA``):
        a surrogate is restored right after letters or digits only after one of these."""
        self.log = MapLog()

    def __len__(self) -> int:
        return len(self.by_surrogate)

    def mask(self, raw: bytes, shape: str) -> bytes:
        """The raw surrogate for the raw span ``raw`` (same length), recording the pair.

        An original seen before in this exchange keeps its first surrogate even when another
        recognizer (another shape) finds it again, so that the map stays one-to-one.
        """
        original = canonical(raw)
        known = self._by_original.get(original)
        if known is not None:
            if raw == original:
                return known
            first_shape, first_attempt = self._how[original]
            surrogate_raw = self._maker.surrogate(raw, first_shape, first_attempt)
            if canonical(surrogate_raw) == known:
                return surrogate_raw
            shape = first_shape  # escaped differently: derive afresh below, in the same shape
        attempt = 0
        while True:
            surrogate_raw = self._maker.surrogate(raw, shape, attempt)
            surrogate = canonical(surrogate_raw)
            taken = self.by_surrogate.get(surrogate)
            if (taken is None or taken == original) and surrogate not in self._by_original:
                break
            attempt += 1
        log = self.log
        if known is None:
            how = (shape, attempt)
            self._by_original[original] = surrogate
            self._how[original] = how
            log.firsts.append((original, surrogate))
            log.hows.append((original, how))
        self.by_surrogate[surrogate] = original
        log.pairs.append((surrogate, original))
        return surrogate_raw

    def add_glue(self, before: bytes) -> None:
        """Record the bytes right before an original glued to a letter or digit."""
        if before not in self.glue:
            self.glue.add(before)
            self.log.glue.append(before)

    def mark(self) -> Mark:
        """Where the map stands now, for :meth:`restore`."""
        log = self.log
        return len(log.pairs), len(log.firsts), len(log.glue)

    def restore(self, log: MapLog, mark: Mark) -> None:
        """Make this empty map stand as the map that wrote ``log`` stood at ``mark``."""
        if self.log.pairs or self.log.glue:
            raise ValueError("restore needs an empty map")
        pairs, firsts, glue = mark
        own = self.log
        own.pairs = log.pairs[:pairs]
        own.firsts = log.firsts[:firsts]
        own.hows = log.hows[:firsts]
        own.glue = log.glue[:glue]
        self.by_surrogate = dict(own.pairs)
        self._by_original = dict(own.firsts)
        self._how = dict(own.hows)
        self.glue = set(own.glue)
