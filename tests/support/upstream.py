"""A scriptable local HTTP/1.1 upstream (TLS or plain) that records every byte it receives.

It parses requests with its own small reader, not h11, so that a framing bug in the proxy's
use of h11 is not mirrored on the other side. One thread per connection; a handler gets a
:class:`ServerExchange` per request and may read the body piece by piece as it arrives, answer
with Content-Length or chunked, stream slowly, stall, or close.

    with FakeUpstream(test_ca.issue("api.anthropic.com")) as up:
        up.handler = lambda ex: ex.respond(200, b"hi")

Handlers that wait for the test should wait on ``threading.Event``s with a timeout, or on
:attr:`FakeUpstream.released`, which is set when the server stops.
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from support.testca import CertPair


class PeerClosed(Exception):
    """The client closed the connection."""


@dataclass
class ReceivedRequest:
    """One request as the upstream received it."""

    method: str
    target: str
    version: str
    headers: list[tuple[str, str]]
    connection: int
    """Index of the connection (0, 1, ...) it arrived on: keep-alive reuse shows here."""
    raw: bytearray = field(default_factory=bytearray)
    """Every byte of this request as received, head and framed body."""
    body: bytearray = field(default_factory=bytearray)
    """The decoded body received so far."""
    complete: bool = False
    """True once the whole body (final chunk or Content-Length) arrived."""

    def header(self, name: str) -> str | None:
        name = name.lower()
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None


class _Reader:
    """Buffered reads from a socket that copy every byte into the current request's raw."""

    def __init__(self, sock: socket.socket, on_bytes: Callable[[int], None]) -> None:
        self.sock = sock
        self.on_bytes = on_bytes
        self.buf = bytearray()
        self.sink: bytearray | None = None

    def _fill(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise PeerClosed()
        self.on_bytes(len(data))
        self.buf += data

    def _take(self, n: int) -> bytes:
        out = bytes(self.buf[:n])
        del self.buf[:n]
        if self.sink is not None:
            self.sink += out
        return out

    def until(self, marker: bytes, limit: int = 1 << 20) -> bytes:
        while True:
            i = self.buf.find(marker)
            if i >= 0:
                return self._take(i + len(marker))
            if len(self.buf) > limit:
                raise ValueError("head too long")
            self._fill()

    def some(self, n: int) -> bytes:
        if not self.buf:
            self._fill()
        return self._take(min(n, len(self.buf)))


class ServerExchange:
    """One request on the upstream side and the means to answer it."""

    def __init__(
        self, server: FakeUpstream, conn: socket.socket, reader: _Reader, request: ReceivedRequest
    ) -> None:
        self.server = server
        self.conn = conn
        self.reader = reader
        self.request = request
        self.close_after = False
        length = request.header("content-length")
        te = (request.header("transfer-encoding") or "").lower()
        self._chunked = "chunked" in te
        self._remaining = int(length) if length is not None and not self._chunked else 0
        self._done = not self._chunked and self._remaining == 0
        if self._done:
            request.complete = True

    # -- request body ----------------------------------------------------------------------

    def body_chunks(self) -> Iterator[bytes]:
        """Yield the body as it arrives, piece by piece (each also lands in request.body)."""
        while not self._done:
            if self._chunked:
                line = self.reader.until(b"\r\n")
                size = int(line.split(b";")[0].strip(), 16)
                if size == 0:
                    # Trailers end with an empty line.
                    while self.reader.until(b"\r\n") != b"\r\n":
                        pass
                    self._done = True
                    break
                left = size
                while left:
                    piece = self.reader.some(left)
                    left -= len(piece)
                    self.request.body += piece
                    yield piece
                self.reader.until(b"\r\n")
            else:
                piece = self.reader.some(self._remaining)
                self._remaining -= len(piece)
                self.request.body += piece
                if self._remaining == 0:
                    self._done = True
                yield piece
        self.request.complete = True

    def read_body(self) -> bytes:
        for _ in self.body_chunks():
            pass
        return bytes(self.request.body)

    # -- response --------------------------------------------------------------------------

    def send_raw(self, data: bytes) -> None:
        self.conn.sendall(data)

    def _head(self, status: int, headers: list[tuple[str, str]], reason: str) -> bytes:
        lines = [f"HTTP/1.1 {status} {reason}"]
        lines += [f"{k}: {v}" for k, v in headers]
        if self.close_after:
            lines.append("connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def respond(
        self,
        status: int = 200,
        body: bytes = b"",
        headers: list[tuple[str, str]] | None = None,
        reason: str = "OK",
    ) -> None:
        """A complete response with Content-Length."""
        hdrs = list(headers or [("content-type", "application/octet-stream")])
        hdrs.append(("content-length", str(len(body))))
        self.send_raw(self._head(status, hdrs, reason) + body)

    def respond_json(self, obj: object, status: int = 200) -> None:
        self.respond(status, json.dumps(obj).encode(), [("content-type", "application/json")])

    def start_chunked(
        self, status: int = 200, headers: list[tuple[str, str]] | None = None, reason: str = "OK"
    ) -> None:
        hdrs = list(headers or [("content-type", "application/octet-stream")])
        hdrs.append(("transfer-encoding", "chunked"))
        self.send_raw(self._head(status, hdrs, reason))

    def send_chunk(self, data: bytes) -> None:
        if data:
            self.send_raw(b"%x\r\n%s\r\n" % (len(data), data))

    def end_chunked(self) -> None:
        self.send_raw(b"0\r\n\r\n")

    def wait(self, event: threading.Event, timeout: float = 10.0) -> bool:
        """Wait for a test event; gives up when the server stops."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if event.wait(0.05):
                return True
            if self.server.released.is_set():
                return False
        return False


Handler = Callable[[ServerExchange], None]


def echo_handler(ex: ServerExchange) -> None:
    """Default: read the body, answer JSON describing what arrived."""
    body = ex.read_body()
    ex.respond_json(
        {
            "method": ex.request.method,
            "target": ex.request.target,
            "body_len": len(body),
            "host": ex.request.header("host"),
        }
    )


def close_all(listener: socket.socket, lock: threading.Lock, conns: set[socket.socket]) -> None:
    """Shut down and close a test server's listening socket and its open connections."""
    with lock:
        socks = [listener, *conns]
    # shutdown() wakes a thread blocked in accept(); close() alone does not on Linux.
    for s in socks:
        with contextlib.suppress(OSError):
            s.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            s.close()


class FakeUpstream:
    """A threaded HTTP/1.1 server on 127.0.0.1 (TLS when given a certificate)."""

    def __init__(
        self, cert: CertPair | None = None, handler: Handler | None = None, host: str = "127.0.0.1"
    ) -> None:
        self.cert = cert
        self.handler: Handler = handler or echo_handler
        self.host = host
        self.requests: list[ReceivedRequest] = []
        self.connections = 0
        self.tls_failures = 0
        self.app_bytes = 0
        """Bytes received after TLS (or plain) on all connections."""
        self.released = threading.Event()
        self.request_arrived = threading.Condition()
        self._ctx: ssl.SSLContext | None = None
        if cert is not None:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(cert.cert, cert.key)
            ctx.set_alpn_protocols(["http/1.1"])
            self._ctx = ctx
        self._sock = socket.create_server((host, 0))
        self.port: int = self._sock.getsockname()[1]
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)

    def __enter__(self) -> FakeUpstream:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self._thread.start()

    def reset(self, handler: Handler | None = None) -> None:
        """Forget recorded requests and set a new handler (between tests)."""
        with self._lock:
            self.requests.clear()
            self.connections = 0
            self.tls_failures = 0
            self.app_bytes = 0
        self.handler = handler or echo_handler

    def stop(self) -> None:
        self.released.set()
        close_all(self._sock, self._lock, self._open)
        self._thread.join(timeout=5)

    def wait_requests(self, n: int, timeout: float = 10.0) -> bool:
        with self.request_arrived:
            return self.request_arrived.wait_for(lambda: len(self.requests) >= n, timeout)

    def _accept_loop(self) -> None:
        while not self.released.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, raw: socket.socket) -> None:
        conn: socket.socket = raw
        with self._lock:
            self._open.add(raw)
        try:
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self._ctx is not None:
                raw.settimeout(10)
                try:
                    conn = self._ctx.wrap_socket(raw, server_side=True)
                except (ssl.SSLError, OSError):
                    with self._lock:
                        self.tls_failures += 1
                    return
                conn.settimeout(None)
                with self._lock:
                    self._open.add(conn)
            with self._lock:
                index = self.connections
                self.connections += 1
            self._requests(conn, index)
        except (PeerClosed, OSError, ValueError):
            pass
        finally:
            with self._lock:
                self._open.discard(raw)
                self._open.discard(conn)
            with contextlib.suppress(OSError):
                conn.close()

    def _count_bytes(self, n: int) -> None:
        with self._lock:
            self.app_bytes += n

    def _requests(self, conn: socket.socket, index: int) -> None:
        reader = _Reader(conn, self._count_bytes)
        while True:
            sink = bytearray()
            reader.sink = sink
            try:
                head = reader.until(b"\r\n\r\n")
            except PeerClosed:
                return
            lines = head.decode("latin-1").split("\r\n")
            method, target, version = lines[0].split(" ", 2)
            headers = []
            for line in lines[1:]:
                if line:
                    k, _, v = line.partition(":")
                    headers.append((k.strip(), v.strip()))
            req = ReceivedRequest(method, target, version, headers, index, raw=sink)
            with self.request_arrived:
                self.requests.append(req)
                self.request_arrived.notify_all()
            ex = ServerExchange(self, conn, reader, req)
            self.handler(ex)
            if not req.complete and not ex.close_after:
                ex.read_body()
            if ex.close_after or (req.header("connection") or "").lower() == "close":
                return
