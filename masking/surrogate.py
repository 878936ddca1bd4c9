"""Keyed, deterministic, length- and shape-preserving surrogates.

A surrogate replaces only ASCII letters and digits; every other byte, and every escape
sequence (``\\n``, ``\\"``, ``\\/``, ``\\\\n`` at deeper JSON nesting), stays where it is. So
a surrogate has the byte length of its original in raw JSON at any escaping depth, and a value
seen as ``a\\/b`` in one place and ``a/b`` in another gets the same letters and digits.

The letters and digits come from HMAC-SHA256 over the shape and the value's letters and digits
(its *projection*), so they depend on the key and the value only: every request, connection,
restart and instance that shares the key gives the same surrogate (DESIGN invariant 4).
"""

from __future__ import annotations

import hashlib
import hmac
import re

from masking.findings import CLASSWISE, HEX, IPV4, IPV6

_DIGITS = b"0123456789"
_LOWER = b"abcdefghijklmnopqrstuvwxyz"
_UPPER = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_HEX_LOWER = b"0123456789abcdef"
_HEX_UPPER = b"0123456789ABCDEF"

# One unit of raw text: an escape (a run of backslashes and the character or \\uXXXX it
# escapes) or a single byte. Escapes are opaque to the surrogate except \\uXXXX of a letter
# or digit, which is re-encoded in place with the same number of bytes.
_ESCAPE = re.compile(rb"\\+(?:u[0-9a-fA-F]{4}|[\"\\/bfnrt])")
_ALNUM = frozenset(_DIGITS + _LOWER + _UPPER)

_CACHE_LIMIT = 65536


class SurrogateMaker:
    """Makes the surrogate of a raw span for a given shape, keyed by ``key``.

    ``surrogate(raw, shape, attempt)`` is a pure function of the key and its arguments;
    ``attempt`` > 0 derives an alternative (the exchange map uses it to keep its map a
    bijection when two values would collide).
    """

    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise ValueError("masking key must be at least 32 bytes")
        self._key = key
        self._cache: dict[tuple[bytes, str, int], bytes] = {}

    def surrogate(self, raw: bytes, shape: str, attempt: int = 0) -> bytes:
        cache_key = (raw, shape, attempt)
        hit = self._cache.get(cache_key)
        if hit is not None:
            return hit
        if b"\\" in raw:
            out = self._surrogate_escaped(raw, shape, attempt)
        else:
            out = self._surrogate_plain(raw, shape, attempt)
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[cache_key] = out
        return out

    # -- plain spans (no backslash): the common, fast case ------------------------------

    def _surrogate_plain(self, raw: bytes, shape: str, attempt: int) -> bytes:
        if shape == IPV4:
            got = self._ipv4(raw, attempt)
            if got is not None:
                return got
            shape = CLASSWISE
        projection = bytes(b for b in raw if b in _ALNUM)
        letters = self._letters(projection, shape, attempt)
        if len(projection) == len(raw):
            return letters
        out = bytearray(raw)
        j = 0
        for i, b in enumerate(raw):
            if b in _ALNUM:
                out[i] = letters[j]
                j += 1
        return bytes(out)

    # -- spans holding escape sequences ---------------------------------------------------

    def _surrogate_escaped(self, raw: bytes, shape: str, attempt: int) -> bytes:
        # Split into units; collect the letters and digits the span stands for.
        units: list[tuple[int, int, int]] = []  # (start, end, decoded byte or -1 if kept)
        pos = 0
        for m in _ESCAPE.finditer(raw):
            for i in range(pos, m.start()):
                units.append((i, i + 1, raw[i]))
            esc = m.group()
            decoded = -1
            stripped = esc.lstrip(b"\\")
            if stripped[:1] == b"u":
                code = int(stripped[1:], 16)
                if code < 128 and code in _ALNUM:
                    decoded = code
            units.append((m.start(), m.end(), decoded))
            pos = m.end()
        for i in range(pos, len(raw)):
            units.append((i, i + 1, raw[i]))
        projection = bytes(d for _, _, d in units if d in _ALNUM)
        if shape in (IPV4, IPV6):
            shape = HEX if shape == IPV6 else CLASSWISE
        letters = self._letters(projection, shape, attempt)
        out = bytearray()
        j = 0
        for start, end, d in units:
            if d in _ALNUM:
                new = letters[j]
                j += 1
                if end - start == 1:
                    out.append(new)
                else:
                    esc = raw[start:end]
                    out += esc[: len(esc) - 4] + b"%04x" % new
            else:
                out += raw[start:end]
        return bytes(out)

    # -- the keyed letters ------------------------------------------------------------------

    def _stream(self, projection: bytes, shape: str, attempt: int, n: int) -> bytes:
        seed = shape.encode() + b"\x00" + attempt.to_bytes(4, "big") + b"\x00" + projection
        out = b""
        counter = 0
        while len(out) < n:
            out += hmac.new(self._key, counter.to_bytes(4, "big") + seed, hashlib.sha256).digest()
            counter += 1
        return out

    def _letters(self, projection: bytes, shape: str, attempt: int) -> bytes:
        n = len(projection)
        if n == 0:
            return b""
        for extra in range(64):
            rnd = self._stream(projection, shape, attempt + extra * 1000, n)
            if shape in (HEX, IPV6):
                upper = any(0x41 <= b <= 0x46 for b in projection) and not any(
                    0x61 <= b <= 0x66 for b in projection
                )
                alphabet = _HEX_UPPER if upper else _HEX_LOWER
                out = bytes(
                    alphabet[r % 16] if _is_hex(b) else _classwise(b, r)
                    for b, r in zip(projection, rnd[:n], strict=True)
                )
            else:
                out = bytes(_classwise(b, r) for b, r in zip(projection, rnd[:n], strict=True))
            if out != projection:
                return out
        raise ValueError("cannot derive a surrogate that differs from its original")

    # -- IPv4: private stays private, public stays public, digit counts kept ---------------

    def _ipv4(self, raw: bytes, attempt: int) -> bytes | None:
        m = _IPV4.fullmatch(raw)
        if m is None:
            return None
        octets = [m.group(i) for i in range(1, 5)]
        values = [int(o) for o in octets]
        if any(v > 255 for v in values):
            return None
        private = _is_private(values)
        for extra in range(256):
            rnd = self._stream(raw, IPV4, attempt + extra * 1000, 16)
            new = [_octet(o, rnd[2 * i] << 8 | rnd[2 * i + 1]) for i, o in enumerate(octets)]
            if private:
                # Keep the private prefix so the address stays in its range.
                if values[0] == 10:
                    new[0] = octets[0]
                elif values[0] == 192:
                    new[0], new[1] = octets[0], octets[1]
                else:
                    new[0] = octets[0]
            nv = [int(o) for o in new]
            if _is_private(nv) != private or not _plausible(nv, private):
                continue
            out = b".".join(new) + raw[m.end(4) :]
            if out != raw:
                return out
        return None


_IPV4 = re.compile(rb"(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(/\d{1,3})?")


def _is_hex(b: int) -> bool:
    return 0x30 <= b <= 0x39 or 0x61 <= b <= 0x66 or 0x41 <= b <= 0x46


def _classwise(b: int, r: int) -> int:
    if 0x30 <= b <= 0x39:
        return _DIGITS[r % 10]
    if 0x61 <= b <= 0x7A:
        return _LOWER[r % 26]
    return _UPPER[r % 26]


def _octet(original: bytes, r: int) -> bytes:
    """A random octet with as many digits as ``original`` (no leading zero)."""
    n = len(original)
    if original == b"0":
        return b"0"
    if n == 1:
        return b"%d" % (1 + r % 9)
    if n == 2:
        return b"%d" % (10 + r % 90)
    return b"%d" % (100 + r % 156)


def _is_private(v: list[int]) -> bool:
    return (
        v[0] == 10
        or (v[0] == 172 and 16 <= v[1] <= 31)
        or (v[0] == 192 and v[1] == 168)
        or (v[0] == 100 and 64 <= v[1] <= 127)
    )


def _plausible(v: list[int], private: bool) -> bool:
    if private:
        return True
    # A public surrogate must not land in a special-purpose range.
    return v[0] not in (0, 10, 127) and v[0] < 224 and not (v[0] == 169 and v[1] == 254)
