"""Header translation between HTTP/1.1 and HTTP/2 (RFC 9113 section 8), in both directions.

The exchange pipeline sees one neutral shape whatever the protocols on either side: HTTP/1.1
style header lists (lower-case names, a ``host`` header, no framing or hop-by-hop headers) in a
:class:`~proxy.pipeline.RequestHead` or :class:`~proxy.pipeline.ResponseHead`. This module turns
an HTTP/2 header block into that shape and back:

- ``:method``, ``:path`` and ``:authority`` become the request line and ``Host``; ``:status``
  becomes the status line. Going to HTTP/2, ``Host`` becomes ``:authority``.
- Connection-specific headers (``Connection`` and the fields it names, ``Keep-Alive``,
  ``Proxy-Connection``, ``Transfer-Encoding``, ``Upgrade``) never cross: HTTP/2 forbids them
  and each hop frames its own messages. ``TE`` survives only as ``te: trailers``, the one value
  HTTP/2 allows, and only when the client sent it.
- ``Content-Length`` passes as is when the exchange kept it (masking preserves lengths).
- Cookie crumbs, which HTTP/2 may split, are joined by h2 itself on receipt.
- Trailers: pseudo-headers and connection-specific fields are dropped; the rest passes.

Pure functions on byte strings; no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from http import HTTPStatus

from proxy.pipeline import Headers, ResponseHead

# Hop-by-hop headers (RFC 9110 7.6.1) plus the framing headers that each hop sets for itself.
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"proxy-connection",
        b"keep-alive",
        b"te",
        b"trailer",
        b"upgrade",
        b"proxy-authorization",
        b"proxy-authenticate",
        b"transfer-encoding",
    }
)

TE_TRAILERS = (b"te", b"trailers")
"""The one ``TE`` header that crosses the proxy: the client accepts trailers."""


def forwardable(headers: Iterable[tuple[bytes, bytes]]) -> Headers:
    """Headers without hop-by-hop ones, including those named in ``Connection``."""
    headers = list(headers)
    named: set[bytes] = set()
    for name, value in headers:
        if name == b"connection" or name == b"proxy-connection":
            named.update(v.strip().lower() for v in value.split(b","))
    drop = HOP_BY_HOP | named if named else HOP_BY_HOP
    return [(name, value) for name, value in headers if name not in drop]


def has_token(headers: Iterable[tuple[bytes, bytes]], name: bytes, token: bytes) -> bool:
    """True when a comma-separated header ``name`` lists ``token`` (case-insensitive)."""
    for key, value in headers:
        if key == name:
            for item in value.split(b","):
                # "trailers;q=1" still names trailers.
                if item.split(b";", 1)[0].strip().lower() == token:
                    return True
    return False


def header_value(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    for key, value in headers:
        if key == name:
            return value
    return None


def header_list_size(headers: Iterable[tuple[bytes, bytes]]) -> int:
    """The size of a header list as SETTINGS_MAX_HEADER_LIST_SIZE counts it (RFC 9113 6.5.2):
    name and value lengths plus 32 bytes per field."""
    return sum(len(name) + len(value) + 32 for name, value in headers)


def reason_phrase(status: int) -> bytes:
    """The standard reason phrase for an HTTP/1.1 status line (HTTP/2 has none)."""
    try:
        return HTTPStatus(status).phrase.encode("ascii")
    except ValueError:
        return b""


# -- requests -------------------------------------------------------------------------------


@dataclass
class H2Request:
    """A request head received over HTTP/2, in the neutral shape.

    It has the ``method``, ``target`` and ``headers`` attributes that routers read from an
    ``h11.Request``, so the same routers serve both protocols.
    """

    method: bytes
    target: bytes
    headers: Headers
    """HTTP/1.1-style: ``host`` first (from ``:authority``), no pseudo-headers."""
    scheme: bytes
    authority: bytes


def request_from_h2(block: Iterable[tuple[bytes, bytes]]) -> H2Request:
    """The neutral request head for a received HTTP/2 header block (validated by h2).

    ``:authority`` wins over a ``Host`` header (RFC 9113 8.3.1); h2 has already refused a
    block in which both are present and differ, and any connection-specific field.
    """
    method = target = scheme = authority = b""
    host: bytes | None = None
    headers: Headers = []
    for name, value in block:
        if name[:1] == b":":
            if name == b":method":
                method = value
            elif name == b":path":
                target = value
            elif name == b":scheme":
                scheme = value
            elif name == b":authority":
                authority = value
            # :protocol (extended CONNECT) is never enabled in our SETTINGS.
        elif name == b"host":
            host = value
        elif name == b"te":
            # h2 lets only "te: trailers" through; keep it as the neutral marker.
            headers.append(TE_TRAILERS)
        else:
            headers.append((name, value))
    if not authority and host is not None:
        authority = host
    if authority:
        headers.insert(0, (b"host", authority))
    return H2Request(method, target, headers, scheme, authority)


def h2_request_headers(
    method: bytes, target: bytes, scheme: bytes, headers: Iterable[tuple[bytes, bytes]]
) -> Headers:
    """The HTTP/2 header block for a neutral request head going to an HTTP/2 upstream.

    ``Host`` becomes ``:authority``; hop-by-hop fields are dropped, except ``te: trailers``.
    """
    headers = list(headers)
    authority = header_value(headers, b"host") or b""
    trailers = has_token(headers, b"te", b"trailers")
    block: Headers = [
        (b":method", method),
        (b":scheme", scheme),
        (b":authority", authority),
        (b":path", target),
    ]
    block.extend((n, v) for n, v in forwardable(headers) if n != b"host")
    if trailers:
        block.append(TE_TRAILERS)
    return block


# -- responses ------------------------------------------------------------------------------


def response_from_h2(block: Iterable[tuple[bytes, bytes]]) -> ResponseHead:
    """The neutral response head for a received HTTP/2 response header block."""
    status = 0
    headers: Headers = []
    for name, value in block:
        if name == b":status":
            status = int(value)
        elif name[:1] != b":":
            headers.append((name, value))
    return ResponseHead(status, forwardable(headers), reason_phrase(status))


def h2_response_headers(head: ResponseHead) -> Headers:
    """The HTTP/2 header block for a neutral response head going to an HTTP/2 client."""
    block: Headers = [(b":status", b"%d" % head.status)]
    block.extend(forwardable(head.headers))
    return block


def trailer_fields(trailers: Iterable[tuple[bytes, bytes]]) -> Headers:
    """Trailers that may be forwarded: no pseudo-headers, no hop-by-hop or framing fields."""
    return [(n, v) for n, v in forwardable(trailers) if n[:1] != b":"]
