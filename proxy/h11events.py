"""The h11 events the proxy sends, with their header fields checked once, in one pass.

h11 checks each field of an event it is given against two regular expressions (name and
value), one field at a time, and a request or response head crossing the proxy has ~10-20 of
them: per exchange that is the largest single piece of the proxy's own work. Here the names of
a head are checked together, and so are the values (the grammar is h11's: RFC 9110 tokens for
names; values without NUL, CR, LF or other control whitespace, without leading or trailing
space), and the event is then built on the path h11 uses for fields its own parser has
checked. A field that fails the check raises
``h11.LocalProtocolError``, as h11 itself would: nothing is sent.

When the installed h11 has no such path, events are built the ordinary way (every field
checked by h11 again).

The headers of received events are read out of h11 once, as a list (:func:`fields`).
"""

from __future__ import annotations

from collections.abc import Sequence

import h11

_TOKEN_BYTES = b"!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
"""The bytes of an RFC 9110 token: a name is one or more of them."""
_PLAIN_VALUE_BYTES = bytes(b for b in range(256) if b not in b"\x00\r\x0b\x0c\n \t")
"""The bytes a value may hold anywhere: all but NUL, CR, LF, VT, FF, and space and tab, which
it may hold only between others."""
_TAB_TO_SPACE = bytes.maketrans(b"\t", b" ")

END = h11.EndOfMessage()
"""The end of a message without trailers (events are immutable: one serves every message)."""


def check_fields(headers: Sequence[tuple[bytes, bytes]]) -> None:
    """Raise ``h11.LocalProtocolError`` unless every name is a token and every value a valid
    field value (the error names neither: either may be a secret).

    The names (and the values) are joined with LF, which none of them may hold: deleting every
    byte a name (a value) may hold must then leave exactly the separators. ``bytes.translate``
    does that in one pass in C, several times faster than a regular expression."""
    if not headers:
        return
    separators = b"\n" * (len(headers) - 1)
    names = [name for name, _ in headers]
    if not all(names) or b"\n".join(names).translate(None, _TOKEN_BYTES) != separators:
        raise h11.LocalProtocolError("illegal header name")
    values = b"\n".join([value for _, value in headers])
    rest = values.translate(None, _PLAIN_VALUE_BYTES)
    if rest == separators:
        return
    if rest.translate(None, b" \t") != separators:
        raise h11.LocalProtocolError("illegal header value")
    # Spaces or tabs: none may start or end a value.
    spaced = values.translate(_TAB_TO_SPACE)
    if spaced.startswith(b" ") or spaced.endswith(b" ") or b"\n " in spaced or b" \n" in spaced:
        raise h11.LocalProtocolError("illegal header value")


def fields(headers: Sequence[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The (lower-case name, value) pairs of a received event's headers, as a list.

    h11's ``Headers`` is a sequence that yields its pairs one ``__getitem__`` call at a time;
    the triples it stores (raw name, name, value) are read directly when the installed h11
    keeps them there, else it is iterated."""
    full = getattr(headers, "_full_items", None)
    if type(full) is list:
        return [(name, value) for _, name, value in full]
    return list(headers)


def _has_checked_path() -> bool:
    try:
        h11.Request(method=b"GET", target=b"/", headers=[(b"host", b"a")], _parsed=True)  # type: ignore[call-arg]
        h11.Response(status_code=200, headers=[], reason=b"OK", _parsed=True)  # type: ignore[call-arg]
    except TypeError:
        return False
    return True


_CHECKED_PATH = _has_checked_path()


def request(method: bytes, target: bytes, headers: list[tuple[bytes, bytes]]) -> h11.Request:
    """A request head to send (h11 still checks the method, target, ``Host``, framing)."""
    if not _CHECKED_PATH:
        return h11.Request(method=method, target=target, headers=headers)
    check_fields(headers)
    return h11.Request(method=method, target=target, headers=headers, _parsed=True)  # type: ignore[call-arg]


def response(status: int, headers: list[tuple[bytes, bytes]], reason: bytes) -> h11.Response:
    """A final response head to send (h11 still checks the status range and framing)."""
    if not _CHECKED_PATH or type(status) is not int:
        return h11.Response(status_code=status, headers=headers, reason=reason)
    check_fields(headers)
    return h11.Response(status_code=status, headers=headers, reason=reason, _parsed=True)  # type: ignore[call-arg]
