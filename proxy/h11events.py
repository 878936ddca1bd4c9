"""The h11 events the proxy sends, with their header fields checked once, in one pass.

h11 checks each field of an event it is given against two regular expressions (name and
value), one field at a time, and a request or response head crossing the proxy has ~10-20 of
them: per exchange that is the largest single piece of the proxy's own work. Here the names of
a head are checked by one match over all of them, the values by another (the grammar is
h11's: RFC 9110 tokens for names; values without NUL, CR, LF or other control whitespace,
without leading or trailing space), and the event is then built on the path h11 uses for
fields its own parser has checked. A field that fails the check raises
``h11.LocalProtocolError``, as h11 itself would: nothing is sent.

When the installed h11 has no such path, events are built the ordinary way (every field
checked by h11 again).

The headers of received events are read out of h11 once, as a list (:func:`fields`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import h11

_TOKEN = rb"[-!#$%&'*+.^_`|~0-9a-zA-Z]+"
# The names (and the values) of a head are joined with LF, which none of them may contain: with
# exactly one LF between each two, a check of the whole is a check of every part.
_NAMES = re.compile(rb"(?:%s\n)*%s" % (_TOKEN, _TOKEN))
_VALUE_BYTES = re.compile(rb"[^\x00\r\x0b\x0c]*")
"""Bytes a value may hold (LF only as the separator): all but NUL and control whitespace."""
_EDGES = (b" ", b"\t")

END = h11.EndOfMessage()
"""The end of a message without trailers (events are immutable: one serves every message)."""


def check_fields(headers: Sequence[tuple[bytes, bytes]]) -> None:
    """Raise ``h11.LocalProtocolError`` unless every name is a token and every value a valid
    field value (the error names neither: either may be a secret)."""
    if not headers:
        return
    separators = len(headers) - 1
    names = b"\n".join([name for name, _ in headers])
    if _NAMES.fullmatch(names) is None or names.count(b"\n") != separators:
        raise h11.LocalProtocolError("illegal header name")
    values = b"\n".join([value for _, value in headers])
    if (
        values.count(b"\n") != separators
        or _VALUE_BYTES.fullmatch(values) is None
        or values.startswith(_EDGES)
        or values.endswith(_EDGES)
        or b"\n " in values
        or b"\n\t" in values
        or b" \n" in values
        or b"\t\n" in values
    ):
        # A value may not start or end with a space or tab.
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
