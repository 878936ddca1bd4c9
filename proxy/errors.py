"""The proxy's error classes and the one place that turns each into a response.

Following h11's split of whose fault it was: :class:`ClientError` (the client sent something
we will not serve: 4xx), :class:`UpstreamError` (the upstream failed: 502, or 504 on a
timeout), and :class:`~proxy.pipeline.ExchangeRefused` (the pipeline fails closed: its own
status). Every error body is JSON in the Anthropic API's error format, so an API client shows
the message instead of a parse error.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from proxy.pipeline import ExchangeRefused

REASONS = {
    400: b"Bad Request",
    403: b"Forbidden",
    404: b"Not Found",
    405: b"Method Not Allowed",
    407: b"Proxy Authentication Required",
    408: b"Request Timeout",
    413: b"Content Too Large",
    431: b"Request Header Fields Too Large",
    500: b"Internal Server Error",
    501: b"Not Implemented",
    502: b"Bad Gateway",
    503: b"Service Unavailable",
    504: b"Gateway Timeout",
}


_PLAIN_WORDS = re.compile(r"[A-Za-z][A-Za-z ,'-]{2,60}")


def safe_reason(exc: BaseException) -> str:
    """What a third-party parser's error says, without the bytes it quotes.

    h11 and h2 put the offending request bytes in their messages (``illegal header line:
    bytearray(b'X-Api-Key AKIA…')``), and those bytes can be an original value (DESIGN
    invariant 9). Only the leading words, before any colon, quote or bracket, are kept, and
    only when they are plain words; else the exception's class name stands in.
    """
    text = str(exc).strip()
    head = re.split(r"[:(\[{\"'=<]", text, maxsplit=1)[0].strip()
    head = re.sub(r"\s+b$", "", head)  # the b of a quoted bytes literal
    if head != text and _PLAIN_WORDS.fullmatch(head):
        return head
    if _PLAIN_WORDS.fullmatch(text) and len(text) <= 60:
        return text
    return type(exc).__name__


class ProxyError(Exception):
    """Base of the errors that end an exchange with a response from the proxy itself."""

    status = 500

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class ClientError(ProxyError):
    """The client's request cannot be served (bad syntax, limit hit, policy, auth): 4xx."""

    status = 400


class UpstreamError(ProxyError):
    """The upstream could not be reached or failed before a complete response: 502 or 504."""

    status = 502


def _error_type(status: int) -> str:
    if status == 413:
        return "request_too_large"
    if status in (401, 407):
        return "authentication_error"
    if status == 403:
        return "permission_error"
    if status == 404:
        return "not_found_error"
    if status == 408 or status == 504:
        return "timeout_error"
    if status < 500:
        return "invalid_request_error"
    return "api_error"


@dataclass(frozen=True)
class ErrorResponse:
    """A complete response the proxy answers with by itself."""

    status: int
    body: bytes
    headers: tuple[tuple[bytes, bytes], ...] = ()

    def encode(self) -> bytes:
        """The whole response on the wire; it always closes the connection."""
        reason = REASONS.get(self.status, b"Error")
        lines = [b"HTTP/1.1 %d %s" % (self.status, reason)]
        lines.append(b"content-type: application/json")
        lines.append(b"content-length: %d" % len(self.body))
        lines.extend(name + b": " + value for name, value in self.headers)
        lines.append(b"connection: close")
        return b"\r\n".join(lines) + b"\r\n\r\n" + self.body


def error_response(exc: BaseException) -> ErrorResponse:
    """The response for an error raised while serving a request (the only mapping)."""
    if isinstance(exc, ExchangeRefused):
        return ErrorResponse(exc.status, exc.body())
    if isinstance(exc, ProxyError):
        status, message = exc.status, exc.message
    else:
        status, message = 500, "internal error"
    error = {"type": _error_type(status), "message": f"maskproxy: {message}"}
    body = json.dumps({"type": "error", "error": error}).encode()
    headers: tuple[tuple[bytes, bytes], ...] = ()
    if status == 407:
        headers = ((b"proxy-authenticate", b'Basic realm="maskproxy"'),)
    return ErrorResponse(status, body, headers)
