"""A compact HTTP/1.1 client on asyncio protocols: keep-alive, CONNECT, TLS through a proxy.

Every peer is measured with this same client, so its own cost (a few microseconds of parsing
per response) is identical for all. A request is written as one prebuilt buffer; the response
is parsed as it arrives (``Content-Length`` or chunked); event-stream bodies are cut into
events as they arrive, each stamped with the time its bytes were received.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import time
from dataclasses import dataclass, field


class ClientError(Exception):
    """The exchange failed: connection, TLS, status line, framing or timeout."""


@dataclass(frozen=True)
class Route:
    """Where the client connects and what it verifies."""

    host: str
    port: int
    sni: str
    ssl: ssl.SSLContext
    tunnel: str | None = None
    """``host:port`` to CONNECT to through the proxy at host:port; None to dial directly."""


@dataclass
class Response:
    status: int = 0
    headers: dict[bytes, bytes] = field(default_factory=dict)
    body: bytearray = field(default_factory=bytearray)
    events: list[tuple[bytes, float]] = field(default_factory=list)
    """Event-stream events as (raw event, time its last byte arrived)."""
    sent: float = 0.0
    first_byte: float = 0.0
    done: float = 0.0

    @property
    def elapsed(self) -> float:
        return self.done - self.sent


_HEAD, _LENGTH, _SIZE, _DATA, _CRLF, _TRAILER, _DONE = range(7)


class _Parser:
    """Incremental response parser; ``feed`` returns True once the response is complete."""

    def __init__(self, response: Response, events: bool) -> None:
        self.r = response
        self.events = events
        self.buf = bytearray()
        self.state = _HEAD
        self.need = 0
        self.scan = 0  # where to look for the next event boundary in the body
        self.scan_start = 0  # where the next event starts

    def feed(self, data: bytes, now: float) -> bool:
        r = self.r
        if not r.first_byte:
            r.first_byte = now
        buf = self.buf
        buf += data
        grew = False
        while True:
            st = self.state
            if st == _HEAD:
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    if len(buf) > 65536:
                        raise ClientError("response head too long")
                    break
                lines = bytes(buf[:end]).split(b"\r\n")
                del buf[: end + 4]
                parts = lines[0].split(b" ", 2)
                if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
                    raise ClientError(f"bad status line {lines[0][:80]!r}")
                r.status = int(parts[1])
                for line in lines[1:]:
                    k, _, v = line.partition(b":")
                    r.headers[k.strip().lower()] = v.strip()
                if b"chunked" in r.headers.get(b"transfer-encoding", b"").lower():
                    self.state = _SIZE
                elif b"content-length" in r.headers:
                    self.need = int(r.headers[b"content-length"])
                    self.state = _LENGTH if self.need else _DONE
                else:
                    raise ClientError("response without length (close-delimited)")
            elif st == _LENGTH:
                take = min(self.need, len(buf))
                r.body += buf[:take]
                del buf[:take]
                self.need -= take
                grew = grew or take > 0
                if self.need:
                    break
                self.state = _DONE
            elif st == _SIZE:
                end = buf.find(b"\r\n")
                if end < 0:
                    break
                self.need = int(bytes(buf[:end]).split(b";")[0], 16)
                del buf[: end + 2]
                self.state = _DATA if self.need else _TRAILER
            elif st == _DATA:
                take = min(self.need, len(buf))
                r.body += buf[:take]
                del buf[:take]
                self.need -= take
                grew = grew or take > 0
                if self.need:
                    break
                self.state = _CRLF
            elif st == _CRLF:
                if len(buf) < 2:
                    break
                if buf[:2] != b"\r\n":
                    raise ClientError("bad chunk framing")
                del buf[:2]
                self.state = _SIZE
            elif st == _TRAILER:
                end = buf.find(b"\r\n")
                if end < 0:
                    break
                del buf[: end + 2]
                if end == 0:
                    self.state = _DONE
            else:
                break
        if grew and self.events:
            body = r.body
            while True:
                end = body.find(b"\n\n", self.scan)
                if end < 0:
                    self.scan = max(self.scan, len(body) - 1)
                    break
                start = self.scan_start
                r.events.append((bytes(body[start : end + 2]), now))
                self.scan = self.scan_start = end + 2
        if self.state == _DONE:
            if buf:
                raise ClientError("bytes after the response (pipelining is not used)")
            r.done = now
            return True
        return False


class _Protocol(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser: _Parser | None = None
        self.waiter: asyncio.Future[None] | None = None
        self.pending = bytearray()
        self.lost: BaseException | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        parser = self.parser
        if parser is None:
            self.pending += data
            waiter = self.waiter
            if waiter is not None and not waiter.done() and b"\r\n\r\n" in self.pending:
                waiter.set_result(None)
            return
        try:
            done = parser.feed(data, now)
        except (ClientError, ValueError) as exc:
            self._fail(ClientError(str(exc)))
            return
        if done:
            self.parser = None
            waiter = self.waiter
            if waiter is not None and not waiter.done():
                waiter.set_result(None)

    def eof_received(self) -> bool | None:
        self._fail(ClientError("connection closed by peer"))
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        self._fail(ClientError(f"connection lost: {exc}" if exc else "connection closed"))

    def _fail(self, exc: ClientError) -> None:
        self.lost = exc
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)


def _timeout(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_exception(ClientError("timed out"))


async def _wait(proto: _Protocol, timeout: float) -> None:
    loop = asyncio.get_running_loop()
    waiter = loop.create_future()
    proto.waiter = waiter
    handle = loop.call_later(timeout, _timeout, waiter)
    try:
        await waiter
    finally:
        handle.cancel()
        proto.waiter = None


class Connection:
    """One keep-alive client connection; open with :meth:`open`, use :meth:`exchange`."""

    def __init__(self, proto: _Protocol) -> None:
        self._proto = proto
        self.reusable = True

    @classmethod
    async def open(cls, route: Route, timeout: float = 10.0) -> Connection:
        loop = asyncio.get_running_loop()
        proto = _Protocol()
        try:
            async with asyncio.timeout(timeout):
                if route.tunnel is None:
                    await loop.create_connection(
                        lambda: proto, route.host, route.port, ssl=route.ssl,
                        server_hostname=route.sni,
                    )  # fmt: skip
                else:
                    transport, _ = await loop.create_connection(
                        lambda: proto, route.host, route.port
                    )
                    _nodelay(transport)
                    transport.write(
                        f"CONNECT {route.tunnel} HTTP/1.1\r\nHost: {route.tunnel}\r\n\r\n".encode()
                    )
                    await _wait(proto, timeout)
                    status = bytes(proto.pending.split(b"\r\n", 1)[0])
                    if b" 200" not in status:
                        transport.close()
                        raise ClientError(f"CONNECT answered {status[:80]!r}")
                    proto.pending.clear()
                    tls = await loop.start_tls(
                        transport, proto, route.ssl, server_hostname=route.sni
                    )
                    if tls is None:
                        raise ClientError("TLS did not start")
                    proto.transport = tls  # type: ignore[assignment]
        except (OSError, ssl.SSLError, TimeoutError) as exc:
            with contextlib.suppress(Exception):
                if proto.transport is not None:
                    proto.transport.abort()
            raise ClientError(f"connect: {type(exc).__name__}: {exc}") from None
        assert proto.transport is not None
        _nodelay(proto.transport)
        return cls(proto)

    async def exchange(
        self, request: bytes, *, events: bool = False, timeout: float = 60.0
    ) -> Response:
        """Send ``request`` (head and body) and read the whole response."""
        proto = self._proto
        if proto.transport is None or proto.lost is not None:
            raise ClientError(f"connection unusable: {proto.lost}")
        response = Response()
        proto.parser = _Parser(response, events)
        response.sent = time.perf_counter()
        proto.transport.write(request)
        try:
            await _wait(proto, timeout)
        except ClientError:
            self.close()
            raise
        if response.headers.get(b"connection", b"").lower() == b"close":
            self.reusable = False
        return response

    def close(self, graceful: bool = False) -> None:
        """Abort the connection, or with ``graceful`` close it (TLS close_notify, FIN)."""
        transport = self._proto.transport
        if transport is not None:
            if graceful:
                transport.close()
            else:
                transport.abort()
            self._proto.transport = None


def _nodelay(transport: asyncio.BaseTransport) -> None:
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
