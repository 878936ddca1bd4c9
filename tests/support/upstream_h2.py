"""A scriptable local HTTP/2 upstream (TLS, ALPN ``h2``) that records every byte it receives.

It speaks HTTP/2 with the ``h2`` library on blocking sockets: one thread reads each
connection, one thread per stream runs the handler. A handler gets a :class:`H2ServerExchange`
with the same methods as :class:`support.upstream.ServerExchange` (``read_body``,
``body_chunks``, ``respond``, ``respond_json``, ``start_chunked``, ``send_chunk``,
``end_chunked``, ``wait``), so the handlers written for the HTTP/1.1 upstream — the echo
handler, :class:`fake_anthropic.FakeAnthropic` — serve HTTP/2 unchanged.

Flow control is real: request DATA is acknowledged only as the handler reads it, and a
response waits for the proxy's window. :attr:`H2ServerExchange.blocked` is set while a send
waits for that window, :attr:`H2ServerExchange.sent` counts what went out: that is how a test
sees backpressure as an event instead of a timer.

    with H2Upstream(test_ca.issue("api.anthropic.com")) as up:
        up.handler = lambda ex: ex.respond(200, b"hi")
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import queue
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import cast

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h2.settings
from hyperframe.frame import GoAwayFrame

from support.testca import CertPair
from support.upstream import ReceivedRequest, close_all, echo_handler

_END = object()
_RESET = object()


@dataclass
class H2ReceivedRequest(ReceivedRequest):
    """One request as the HTTP/2 upstream received it (``version`` is ``"HTTP/2"``;
    ``headers`` carry ``:authority`` as ``host`` and no other pseudo-header)."""

    stream_id: int = 0
    reset_code: int | None = None
    """The error code of a RST_STREAM from the proxy, if it reset the stream."""
    trailers: list[tuple[str, str]] = field(default_factory=list)


class StreamReset(Exception):
    """The proxy reset the stream (or the connection went away) while the handler used it."""


class H2ServerExchange:
    """One stream on the upstream side and the means to answer it."""

    def __init__(self, conn: _Connection, request: H2ReceivedRequest) -> None:
        self.conn = conn
        self.received = 0
        """Request body bytes that arrived (read by the handler or not)."""
        self.server = conn.server
        self.request = request
        self.stream_id = request.stream_id
        self.close_after = False  # HTTP/1.1 compatibility; nothing to do on HTTP/2
        self.blocked = threading.Event()
        """Set while a send waits for the proxy to open the flow-control window."""
        self.sent = 0
        """Response body bytes handed to the socket."""
        self._inbox: queue.Queue[object] = queue.Queue()
        self._done = False

    # -- request body ----------------------------------------------------------------------

    def body_chunks(self) -> Iterator[bytes]:
        """Yield the body as it arrives; each chunk is acknowledged (its window reopened) only
        when the handler takes it."""
        while not self._done:
            item = self._inbox.get()
            if item is _END:
                self._done = True
                break
            if item is _RESET:
                self._done = True
                raise StreamReset()
            data, length = cast(tuple[bytes, int], item)
            self.request.body += data
            self.conn.acknowledge(self.stream_id, length)
            yield data

    def read_body(self) -> bytes:
        for _ in self.body_chunks():
            pass
        return bytes(self.request.body)

    # -- response --------------------------------------------------------------------------

    def send_headers(
        self, status: int, headers: list[tuple[str, str]], *, end_stream: bool = False
    ) -> None:
        block = [(":status", str(status)), *((k.lower(), v) for k, v in headers)]
        self.conn.send_headers(self.stream_id, block, end_stream=end_stream)

    def send_data(self, data: bytes, *, end_stream: bool = False) -> None:
        self.sent += self.conn.send_data(self, data, end_stream=end_stream)

    def respond(
        self,
        status: int = 200,
        body: bytes = b"",
        headers: list[tuple[str, str]] | None = None,
        reason: str = "OK",
    ) -> None:
        hdrs = list(headers or [("content-type", "application/octet-stream")])
        hdrs.append(("content-length", str(len(body))))
        self.send_headers(status, hdrs, end_stream=not body)
        if body:
            self.send_data(body, end_stream=True)

    def respond_json(self, obj: object, status: int = 200) -> None:
        self.respond(status, json.dumps(obj).encode(), [("content-type", "application/json")])

    def start_chunked(
        self, status: int = 200, headers: list[tuple[str, str]] | None = None, reason: str = "OK"
    ) -> None:
        """A response without Content-Length (the HTTP/1.1 name is kept for the handlers)."""
        self.send_headers(status, list(headers or [("content-type", "application/octet-stream")]))

    def send_chunk(self, data: bytes) -> None:
        if data:
            self.send_data(data)

    def end_chunked(self, trailers: list[tuple[str, str]] | None = None) -> None:
        if trailers:
            self.conn.send_headers(
                self.stream_id, [(k.lower(), v) for k, v in trailers], end_stream=True
            )
        else:
            self.conn.end_stream(self.stream_id)

    def reset(self, code: int = 0x8) -> None:
        """RST_STREAM (CANCEL by default)."""
        self.conn.reset_stream(self.stream_id, code)

    def wait(self, event: threading.Event, timeout: float = 10.0) -> bool:
        """Wait for a test event; gives up when the server stops."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if event.wait(0.05):
                return True
            if self.server.released.is_set():
                return False
        return False


Handler = Callable[[H2ServerExchange], None]


class _Connection:
    """One HTTP/2 connection: the reader thread and the shared h2 state (under a lock)."""

    def __init__(self, server: H2Upstream, sock: ssl.SSLSocket, index: int) -> None:
        self.server = server
        self.sock = sock
        self.index = index
        self.raw = bytearray()
        self.lock = threading.Condition()
        config = h2.config.H2Configuration(client_side=False, header_encoding=None)
        self.h2 = h2.connection.H2Connection(config)
        self.h2.local_settings = h2.settings.Settings(
            client=False,
            initial_values={
                h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: server.max_concurrent_streams,
            },
        )
        self.exchanges: dict[int, H2ServerExchange] = {}
        self.live: set[int] = set()
        """Streams whose request arrived and whose handler has not finished."""
        self.max_open = 0
        """The most streams live at once (open or half-closed: RFC 9113 5.1.2)."""
        self.goaway_sent = False
        self.closed = False

    # -- writes (any thread) ----------------------------------------------------------------

    def _flush(self) -> None:
        data = self.h2.data_to_send()
        if data and not self.closed:
            try:
                self.sock.sendall(data)
            except OSError:
                self.closed = True

    def acknowledge(self, stream_id: int, length: int) -> None:
        with self.lock:
            with contextlib.suppress(h2.exceptions.StreamClosedError):
                self.h2.acknowledge_received_data(length, stream_id)
            self._flush()

    def send_headers(self, stream_id: int, block: list, *, end_stream: bool = False) -> None:
        with self.lock:
            try:
                self.h2.send_headers(stream_id, block, end_stream=end_stream)
            except h2.exceptions.StreamClosedError:
                raise StreamReset() from None
            self._flush()

    def end_stream(self, stream_id: int) -> None:
        with self.lock:
            try:
                self.h2.end_stream(stream_id)
            except h2.exceptions.StreamClosedError:
                raise StreamReset() from None
            self._flush()

    def reset_stream(self, stream_id: int, code: int) -> None:
        with self.lock:
            with contextlib.suppress(h2.exceptions.StreamClosedError):
                self.h2.reset_stream(stream_id, code)
            self._flush()

    def send_data(self, ex: H2ServerExchange, data: bytes, *, end_stream: bool) -> int:
        """Send within the window, waiting for WINDOW_UPDATEs; returns the bytes sent."""
        sent = 0
        view = memoryview(data)
        with self.lock:
            while True:
                if ex.request.reset_code is not None or self.closed:
                    raise StreamReset()
                try:
                    window = self.h2.local_flow_control_window(ex.stream_id)
                except h2.exceptions.StreamClosedError:
                    raise StreamReset() from None
                if len(view) == 0 or window > 0:
                    n = min(window, self.h2.max_outbound_frame_size, len(view))
                    last = n == len(view)
                    self.h2.send_data(ex.stream_id, bytes(view[:n]), end_stream=end_stream and last)
                    self._flush()
                    sent += n
                    view = view[n:]
                    if last:
                        return sent
                    continue
                ex.blocked.set()
                self.lock.wait(0.1)
                if self.server.released.is_set():
                    raise StreamReset()

    def goaway(self, last_stream_id: int | None, error_code: int) -> None:
        """Send GOAWAY but keep serving the streams up to ``last_stream_id`` (the frame is
        written directly: h2 itself would stop every stream)."""
        with self.lock:
            if last_stream_id is None:
                last_stream_id = self.h2.highest_inbound_stream_id
            self._flush()
            frame = GoAwayFrame(stream_id=0, last_stream_id=last_stream_id, error_code=error_code)
            self.sock.sendall(frame.serialize())
            self.goaway_sent = True

    # -- the reader thread ------------------------------------------------------------------

    def run(self) -> None:
        with self.lock:
            self.h2.initiate_connection()
            self._flush()
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    break
                with self.lock:
                    self.raw += data
                    self.server._count_bytes(len(data))
                    try:
                        events = self.h2.receive_data(data)
                    except h2.exceptions.ProtocolError as exc:
                        self.server.protocol_errors.append(str(exc))
                        self._flush()
                        break
                    for event in events:
                        self._handle(event)
                    self._flush()
                    self.lock.notify_all()
        finally:
            with self.lock:
                self.closed = True
                for ex in self.exchanges.values():
                    ex._inbox.put(_RESET)
                self.lock.notify_all()

    def _handle(self, event: h2.events.Event) -> None:
        if isinstance(event, h2.events.RequestReceived):
            self._request(event)
        elif isinstance(event, h2.events.DataReceived):
            ex = self.exchanges.get(event.stream_id)
            if ex is None:
                self.h2.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            else:
                ex.received += len(event.data)
                ex._inbox.put((event.data, event.flow_controlled_length))
        elif isinstance(event, h2.events.TrailersReceived):
            ex = self.exchanges.get(event.stream_id)
            if ex is not None:
                ex.request.trailers = [(k.decode(), v.decode()) for k, v in event.headers]
        elif isinstance(event, h2.events.StreamEnded):
            ex = self.exchanges.get(event.stream_id)
            if ex is not None:
                ex.request.complete = True
                ex._inbox.put(_END)
        elif isinstance(event, h2.events.StreamReset):
            ex = self.exchanges.get(event.stream_id)
            if ex is not None:
                ex.request.reset_code = event.error_code
                ex._inbox.put(_RESET)

    def _request(self, event: h2.events.RequestReceived) -> None:
        pseudo = {k: v for k, v in event.headers if k.startswith(b":")}
        headers = [(k.decode(), v.decode()) for k, v in event.headers if not k.startswith(b":")]
        if b":authority" in pseudo:
            headers.insert(0, ("host", pseudo[b":authority"].decode()))
        req = H2ReceivedRequest(
            method=pseudo[b":method"].decode(),
            target=pseudo[b":path"].decode(),
            version="HTTP/2",
            headers=headers,
            connection=self.index,
            stream_id=event.stream_id,
        )
        ex = H2ServerExchange(self, req)
        self.exchanges[event.stream_id] = ex
        self.live.add(event.stream_id)
        self.max_open = max(self.max_open, len(self.live))
        if event.stream_ended is not None:
            req.complete = True
            ex._inbox.put(_END)
        with self.server.request_arrived:
            self.server.requests.append(req)
            self.server.request_arrived.notify_all()
        self.server.workers.submit(self._run_handler, ex)

    def _run_handler(self, ex: H2ServerExchange) -> None:
        try:
            self.server.handler(ex)  # type: ignore[arg-type]
            if not ex._done and ex.request.reset_code is None:
                ex.read_body()
        except (StreamReset, OSError, h2.exceptions.ProtocolError):
            pass
        finally:
            with self.lock:
                self.live.discard(ex.stream_id)


class H2Upstream:
    """A threaded HTTP/2 server on 127.0.0.1 with TLS (ALPN ``h2`` only by default)."""

    def __init__(
        self,
        cert: CertPair,
        handler: Handler | None = None,
        *,
        host: str = "127.0.0.1",
        alpn: tuple[str, ...] = ("h2",),
        max_concurrent_streams: int = 100,
    ) -> None:
        self.cert = cert
        self.handler: Handler = handler or echo_handler  # type: ignore[assignment]
        self.host = host
        self.max_concurrent_streams = max_concurrent_streams
        self.requests: list[H2ReceivedRequest] = []
        self.conns: list[_Connection] = []
        """Connections accepted since the last reset, plus those still open from before."""
        self.accepted = 0
        """Connections accepted since the last reset."""
        self._index = 0
        self.protocol_errors: list[str] = []
        self.tls_failures = 0
        self.app_bytes = 0
        self.released = threading.Event()
        self.request_arrived = threading.Condition()
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert.cert, cert.key)
        ctx.set_alpn_protocols(list(alpn))
        self._ctx = ctx
        self._sock = socket.create_server((host, 0))
        self.port: int = self._sock.getsockname()[1]
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        # Handlers run on reused threads: starting a thread per stream costs milliseconds
        # on a busy machine. Many handlers may block at once (tests hold streams open).
        self.workers = concurrent.futures.ThreadPoolExecutor(512, thread_name_prefix="h2-up")

    @property
    def connections(self) -> int:
        return self.accepted

    def __enter__(self) -> H2Upstream:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset(self, handler: Handler | None = None) -> None:
        """Forget recorded requests and bytes and set a new handler (between tests). Open
        connections stay (the proxy pools them); their recording starts afresh."""
        with self._lock:
            self.requests.clear()
            self.conns = [c for c in self.conns if not c.closed]
            for c in self.conns:
                c.raw.clear()
            self.accepted = 0
            self.protocol_errors.clear()
            self.tls_failures = 0
            self.app_bytes = 0
        self.handler = handler or echo_handler  # type: ignore[assignment]

    def stop(self) -> None:
        self.released.set()
        close_all(self._sock, self._lock, self._open)
        self._thread.join(timeout=5)
        self.workers.shutdown(wait=False, cancel_futures=True)

    def wait_requests(self, n: int, timeout: float = 10.0) -> bool:
        with self.request_arrived:
            return self.request_arrived.wait_for(lambda: len(self.requests) >= n, timeout)

    def connection(self, index: int) -> _Connection:
        """The connection with this index (``ReceivedRequest.connection``)."""
        return next(c for c in self.conns if c.index == index)

    def goaway(self, index: int, *, last_stream_id: int | None = None, code: int = 0) -> None:
        """Send GOAWAY on connection ``index``; in-flight streams up to ``last_stream_id``
        (default: the highest so far) may still complete."""
        self.connection(index).goaway(last_stream_id, code)

    def _count_bytes(self, n: int) -> None:
        with self._lock:
            self.app_bytes += n

    def _accept_loop(self) -> None:
        while not self.released.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, raw: socket.socket) -> None:
        with self._lock:
            self._open.add(raw)
        tls: ssl.SSLSocket | None = None
        try:
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            raw.settimeout(10)
            try:
                tls = self._ctx.wrap_socket(raw, server_side=True)
            except (ssl.SSLError, OSError):
                with self._lock:
                    self.tls_failures += 1
                return
            tls.settimeout(None)
            if tls.selected_alpn_protocol() != "h2":
                return
            with self._lock:
                self._open.add(tls)
                conn = _Connection(self, tls, self._index)
                self._index += 1
                self.accepted += 1
                self.conns.append(conn)
            conn.run()
        except OSError:
            pass
        finally:
            with self._lock:
                self._open.discard(raw)
                if tls is not None:
                    self._open.discard(tls)
            with contextlib.suppress(OSError):
                (tls or raw).close()
