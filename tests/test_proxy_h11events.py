"""The h11 events the proxy sends: fields checked in one pass accept and refuse exactly what
h11's own per-field checks do, and the events serialize to the same bytes."""

from __future__ import annotations

import h11
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proxy import h11events

# Bytes that sit on every edge of the field grammar: controls, whitespace, DEL, obs-text,
# separators, token characters.
_ALPHABET = b' \t\r\n\x00\x0b\x0c\x7f\x80\xffaZ09:-;,"()!~'
_PIECE = st.binary(max_size=5).map(lambda b: bytes(_ALPHABET[x % len(_ALPHABET)] for x in b))
_FIELDS = st.lists(st.tuples(_PIECE, _PIECE), max_size=4)


def _h11_accepts(fields: list[tuple[bytes, bytes]]) -> bool:
    try:
        h11.Request(method=b"GET", target=b"/", headers=[(b"host", b"a"), *fields])
    except h11.LocalProtocolError:
        return False
    return True


@settings(max_examples=3000, deadline=None)
@given(_FIELDS)
def test_one_pass_check_agrees_with_h11(fields: list[tuple[bytes, bytes]]) -> None:
    try:
        h11events.check_fields(fields)
        accepted = True
    except h11.LocalProtocolError:
        accepted = False
    assert accepted == _h11_accepts(fields)


@pytest.mark.parametrize(
    "field",
    [
        (b"x-a", b"s3cr3t\r\nx-injected: 1"),
        (b"x-a", b"s3cr3t\nx-injected: 1"),
        (b"x-a\nx-b", b"s3cr3t"),
        (b"x-a", b" s3cr3t"),
        (b"x-a", b"s3cr3t\t"),
        (b"x-a", b"s3cr3t\x00"),
        (b"x a", b"s3cr3t"),
        (b"", b"s3cr3t"),
    ],
)
def test_a_bad_field_is_refused_before_anything_is_sent(field: tuple[bytes, bytes]) -> None:
    fields = [(b"host", b"api.example"), field]
    with pytest.raises(h11.LocalProtocolError) as info:
        h11events.request(b"POST", b"/v1/messages", fields)
    # The error names no field: a value may be a secret.
    assert b"s3cr3t" not in str(info.value).encode()
    with pytest.raises(h11.LocalProtocolError):
        h11events.response(200, [field], b"OK")


def _wire(role: type[h11._util.Sentinel], *events: h11.Event) -> bytes:  # type: ignore[name-defined]
    conn = h11.Connection(role)
    if role is h11.SERVER:
        conn.receive_data(b"GET / HTTP/1.1\r\nhost: a\r\n\r\n")
        conn.next_event()
    return b"".join(conn.send(e) or b"" for e in events)


def test_events_serialize_as_h11_builds_them() -> None:
    fields = [
        (b"host", b"api.example"),
        (b"Content-Type", b"application/json"),
        (b"x-api-key", b"k v\tw"),
        (b"content-length", b"2"),
        (b"x-empty", b""),
    ]
    assert _wire(
        h11.CLIENT, h11events.request(b"POST", b"/v1/m?x=1", fields), h11.Data(data=b"{}")
    ) == _wire(
        h11.CLIENT,
        h11.Request(method=b"POST", target=b"/v1/m?x=1", headers=fields),
        h11.Data(data=b"{}"),
    )
    head = [(b"content-type", b"application/json"), (b"request-id", b"req_1")]
    assert _wire(h11.SERVER, h11events.response(200, head, b"OK"), h11events.END) == _wire(
        h11.SERVER,
        h11.Response(status_code=200, headers=head, reason=b"OK"),
        h11.EndOfMessage(),
    )


def test_h11_still_checks_what_the_fields_check_leaves_to_it() -> None:
    with pytest.raises(h11.LocalProtocolError):
        h11events.request(b"POST", b"/", [(b"content-length", b"2")])  # no Host
    with pytest.raises(h11.LocalProtocolError):
        h11events.request(b"GET", b"/a b", [(b"host", b"a")])
    with pytest.raises(h11.LocalProtocolError):
        h11events.request(b"POST", b"/", [(b"host", b"a"), (b"content-length", b"x")])
    with pytest.raises(h11.LocalProtocolError):
        h11events.response(100, [], b"Continue")


def test_fields_of_received_headers_are_their_pairs() -> None:
    conn = h11.Connection(h11.SERVER)
    conn.receive_data(
        b"POST /v1/messages HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
        b"X-Api-Key: k\r\nx-twice: 1\r\nX-Twice: 2\r\nContent-Length: 0\r\n\r\n"
    )
    request = conn.next_event()
    assert isinstance(request, h11.Request)
    pairs = h11events.fields(request.headers)
    assert type(pairs) is list
    assert pairs == list(request.headers)
    assert pairs[1] == (b"content-type", b"application/json")
    # Anything else that is a sequence of pairs is listed as it is.
    assert h11events.fields(((b"a", b"1"),)) == [(b"a", b"1")]
