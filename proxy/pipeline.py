"""The exchange pipeline: the one place where request and response bodies may be rewritten.

A connection handler (HTTP/1.1 or HTTP/2, forward or gateway mode) creates one
:class:`Exchange` per request through :meth:`Pipeline.open_exchange` and drives it with the
request head, the request body chunks, the response head and the response body chunks, in
that order. Every method returns what must be forwarded in place of its input. The handler
knows nothing about what an exchange does with the bytes; an exchange knows nothing about
sockets. That keeps masking testable without a network and the proxy free of masking logic.

Failing closed: a method may raise :class:`ExchangeRefused`. The handler then forwards
nothing more upstream, aborts an upstream request that already started (so the upstream
never receives a complete request), and answers the client with :meth:`ExchangeRefused.body`
under :attr:`ExchangeRefused.status` if the response has not started, else it cuts the
client connection (or resets the stream).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

Headers = list[tuple[bytes, bytes]]


@dataclass
class RequestHead:
    """Request line and headers as received (header names lower-cased)."""

    method: bytes
    target: bytes
    headers: Headers
    host: str
    """The intercepted host name (CONNECT host, or the gateway upstream's host)."""


@dataclass
class ResponseHead:
    """Status line and headers from the upstream (header names lower-cased)."""

    status: int
    headers: Headers
    reason: bytes = b""


@dataclass
class ExchangeStats:
    """What an exchange reports for its log line: never values, only counts by type."""

    masked: dict[str, int] = field(default_factory=dict)
    unmasked: int = 0
    path: str = "-"
    """The request path as the log may show it: masked, query values dropped; ``-`` when the
    exchange does not mask (the path is then not logged at all)."""
    note: str = ""


class ExchangeRefused(Exception):
    """The exchange cannot be forwarded safely; the client gets an error, upstream nothing.

    ``error_type`` follows the Anthropic API's error types (``invalid_request_error``,
    ``request_too_large``, ``api_error``); ``message`` must never contain an original value.
    """

    def __init__(self, status: int, error_type: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message

    def body(self) -> bytes:
        return json.dumps(
            {
                "type": "error",
                "error": {"type": self.error_type, "message": f"maskproxy: {self.message}"},
            }
        ).encode()


class Exchange:
    """One request and its response. The default passes everything through unchanged.

    ``request_data`` must return exactly as many bytes in total as it was given once
    ``request_end`` has been called (masking preserves length, so ``Content-Length`` stays
    valid). ``response_head`` may drop ``content-length`` when the body length can change;
    the driver then re-frames the response: with the length of what it sends when the whole
    body is at hand before anything is written, else without one (chunked on HTTP/1.1).
    """

    stats: ExchangeStats

    def __init__(self) -> None:
        self.stats = ExchangeStats()

    def request_head(self, head: RequestHead) -> RequestHead:
        return head

    def request_data(self, data: bytes) -> bytes:
        return data

    def request_end(self) -> bytes:
        return b""

    def request_sent(self) -> None:
        """The request went upstream whole: work the response will need can be done now,
        while the upstream answers."""

    def response_head(self, head: ResponseHead) -> ResponseHead:
        return head

    def response_data(self, data: bytes) -> bytes:
        return data

    def response_end(self) -> bytes:
        return b""


class Pipeline:
    """Makes the exchange for each request. The default one passes bodies through unchanged."""

    def open_exchange(self, head: RequestHead) -> Exchange:
        return Exchange()
