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


class ExchangeMap:
    """Originals and surrogates of one exchange, both in decoded (canonical) form."""

    def __init__(self, maker: SurrogateMaker) -> None:
        self._maker = maker
        self._by_original: dict[bytes, bytes] = {}
        self._how: dict[bytes, tuple[str, int]] = {}  # original -> (shape, attempt) used
        self.by_surrogate: dict[bytes, bytes] = {}
        """Canonical surrogate -> canonical original: what an unmasker restores."""
        self.glue: set[bytes] = set()
        """The bytes right before originals that were glued to a letter or digit (``AKIA``)."""

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
        if known is None:
            self._by_original[original] = surrogate
            self._how[original] = (shape, attempt)
        self.by_surrogate[surrogate] = original
        return surrogate_raw
