"""HTTP/2 on an intercepted client connection (h2): the adapter between h2 and the exchange
driver, one exchange per stream.

One reader task feeds the client's bytes to h2 and dispatches its events; each stream runs as
its own task through the exchange driver (:mod:`proxy.exchange`), the same path as an HTTP/1.1
request; the stream is the driver's :class:`~proxy.exchange.ClientSide`. Many streams run at
once on one connection.

Flow control is the backpressure across the proxy, in both directions:

- Request DATA is acknowledged to the client (``acknowledge_received_data``) only after the
  exchange passed it on and the upstream took it (:meth:`UpstreamExchange.flush`). A slow
  upstream closes that stream's window towards the client; what waits in the proxy is bounded
  by the window it advertised (:data:`STREAM_WINDOW`).
- Response data goes out only as far as the client's window for the stream allows; the
  upstream exchange is told a chunk was taken only once it is written to the client, so a
  client that stops reading one stream stalls that stream and its upstream, and nothing else.
  The connection window is sized for all streams' windows at once, for the same reason.

Failing closed, per stream: a refusal before the response head is written answers with the
error in the API's format (and ``RST_STREAM(NO_ERROR)`` if the client is still sending); after
it, the stream is reset. The upstream exchange is aborted in every such case, so it never sees
a complete request. Protocol errors end the whole connection with the GOAWAY code h2 chose.

GOAWAY: when the proxy drains (SIGTERM) or the connection is idle, it sends GOAWAY, refuses new
streams and lets the open ones finish. A client's GOAWAY is honoured the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import cast

import h2.config
import h2.events
import h2.exceptions
import h2.settings
from h2.connection import ConnectionState
from h2.errors import ErrorCodes

from proxy.accesslog import log
from proxy.errors import ClientError, error_response, safe_reason
from proxy.exchange import BeforeWait, ClientGone, ClientRequest, Driver, RequestEnd
from proxy.h1h2 import (
    h2_response_headers,
    has_token,
    header_list_size,
    header_value,
    request_from_h2,
    trailer_fields,
)
from proxy.h2conn import MAX_WINDOW, GracefulH2Connection, error_name
from proxy.pipeline import Headers, ResponseHead
from proxy.streams import Peer

STREAM_WINDOW = 65535
"""Receive window per stream: the most of one request body the proxy holds at a time. The
client is local, so a small window costs no throughput (WINDOW_UPDATEs cross loopback)."""

DEFAULT_WINDOW = 65535
"""The initial window of every HTTP/2 connection and stream (RFC 9113 6.9.2)."""

_END = object()
"""Inbox marker: the client ended the request (END_STREAM)."""


class _Stream:
    """One client stream: its inbox of request events, its send window, its task; it is the
    :class:`~proxy.exchange.ClientSide` of the stream's exchange."""

    __slots__ = (
        "conn",
        "id",
        "inbox",
        "window",
        "task",
        "queued",
        "unacknowledged",
        "trailers",
        "request_ended",
        "head_block",
        "committed",
        "response_ended",
        "reset_note",
    )

    protocol_errors: tuple[type[Exception], ...] = (h2.exceptions.ProtocolError,)

    def __init__(self, conn: Http2Connection, stream_id: int) -> None:
        self.conn = conn
        self.id = stream_id
        self.inbox: asyncio.Queue[object] = asyncio.Queue()
        """``(data, flow-controlled length)`` pairs, then ``_END``; bounded by the window."""
        self.window = asyncio.Event()
        """Set when the client may have opened the send window."""
        self.task: asyncio.Task[None] | None = None
        self.queued = 0
        """Flow-controlled bytes received and not yet acknowledged."""
        self.unacknowledged = 0
        """Flow-controlled bytes handed to the driver and not yet acknowledged."""
        self.trailers: Headers = []
        self.request_ended = False
        self.head_block: Headers | None = None
        """A response head not written yet: an error can still replace it."""
        self.committed = False
        """The response head was handed to h2: an error can only reset the stream now."""
        self.response_ended = False
        self.reset_note = ""

    # -- the client side of the exchange (called by the driver) ------------------------------

    def cancel_note(self) -> str:
        return self.reset_note or "connection closed"

    async def send_continue(self) -> None:
        self.conn.h2.send_headers(self.id, [(b":status", b"100")])
        await self.conn._write()

    async def receive(self, before_wait: BeforeWait) -> bytes | RequestEnd:
        inbox = self.inbox
        if inbox.empty():
            # About to wait for the client: first pass on what was taken, and only once the
            # upstream has it, open the client's window by as much.
            await before_wait()
            if self.unacknowledged:
                self.conn._acknowledge(self, self.unacknowledged)
                self.unacknowledged = 0
                await self.conn._write()
            timeout = self.conn.limits.read_timeout
            try:
                async with asyncio.timeout(timeout):
                    item = await inbox.get()
            except TimeoutError:
                raise ClientError(
                    f"client sent nothing for {timeout:g} s in the middle of a request "
                    "(--read-timeout)",
                    status=408,
                ) from None
        else:
            item = inbox.get_nowait()
        if item is _END:
            return RequestEnd(self.trailers)
        data, length = cast(tuple[bytes, int], item)
        self.unacknowledged += length
        return data

    def request_done(self) -> None:
        if self.unacknowledged:
            self.conn._acknowledge(self, self.unacknowledged)
            self.unacknowledged = 0

    def start_response(self, head: ResponseHead) -> None:
        # Kept back until the first write, so that a refusal of the first chunk can still
        # answer with an error instead.
        self.head_block = h2_response_headers(head)

    async def send_data(self, data: bytes) -> None:
        await self.conn._send_data(self, data)

    async def flush(self) -> None:
        self.conn._emit_head(self)
        await self.conn._write()

    async def end_response(self, trailers: Headers) -> None:
        await self.conn._end_response(self, trailers)

    async def send_error(self, exc: BaseException) -> None:
        await self.conn._answer_error(self, exc)


class Http2Connection:
    """Serves the streams of one HTTP/2 client connection until it closes, fails or drains."""

    def __init__(self, driver: Driver, client: Peer, *, draining: asyncio.Event) -> None:
        self.driver = driver
        self.limits = driver.limits
        self.client = client
        self.draining = draining
        lim = self.limits
        config = h2.config.H2Configuration(
            client_side=False,
            header_encoding=None,
            validate_inbound_headers=True,
            normalize_inbound_headers=True,
        )
        self.h2 = GracefulH2Connection(config)
        # The advertised header-list limit is the hard one (HPACK decoding stops there and the
        # connection ends); up to it a block is decoded, and one larger than
        # --max-header-bytes gets 431 on its stream, as on HTTP/1.1.
        self._hard_header_limit = 2 * lim.max_header_bytes + 4096
        self.h2.local_settings = h2.settings.Settings(
            client=False,
            initial_values={
                h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: STREAM_WINDOW,
                h2.settings.SettingCodes.MAX_HEADER_LIST_SIZE: self._hard_header_limit,
            },
        )
        self.h2.decoder.max_header_list_size = self._hard_header_limit
        self.streams: dict[int, _Stream] = {}
        self.closing = False
        """GOAWAY sent or received: no new streams; the connection ends with the last one."""
        self._done = asyncio.Event()
        self._idle_since = time.monotonic()

    @property
    def idle(self) -> bool:
        """No stream in flight; the server may close the connection when it stops."""
        return not self.streams

    # -- the connection ---------------------------------------------------------------------

    async def serve(self) -> None:
        h2c = self.h2
        h2c.initiate_connection()
        # The stream limit goes out as a settings change, which h2 enforces only once the
        # client acknowledged it. Before that a client may legitimately open more (the
        # initial limit is unbounded); _open_stream refuses those with REFUSED_STREAM after
        # their headers were decoded, so the connection survives. (h2 would refuse them
        # before decoding, which desynchronises HPACK and costs the whole connection.)
        h2c.update_settings(
            {h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: self.limits.max_concurrent_streams}
        )
        # Room in the connection window for every stream's window: a stream that is not
        # drained must not hold back the others.
        conn_window = min(STREAM_WINDOW * self.limits.max_concurrent_streams, MAX_WINDOW)
        if conn_window > DEFAULT_WINDOW:
            h2c.increment_flow_control_window(conn_window - DEFAULT_WINDOW)
        loop = asyncio.get_running_loop()
        reader = loop.create_task(self._read_loop())
        watcher = loop.create_task(self._watch_draining())
        try:
            await self._done.wait()
        finally:
            reader.cancel()
            watcher.cancel()
            tasks = [s.task for s in self.streams.values() if s.task is not None]
            for task in tasks:
                task.cancel()
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)
            if not self.closing:
                # Cut short (client gone, server stopping): say so if the socket still works.
                with contextlib.suppress(Exception):
                    h2c.close_connection()
            self._write_nowait()

    async def _read_loop(self) -> None:
        h2c = self.h2
        try:
            await self._write()
            timeout = self.limits.idle_timeout
            while True:
                try:
                    data = await self.client.read(timeout)
                except TimeoutError:
                    if self.streams:
                        timeout = self.limits.idle_timeout
                        continue
                    idle_for = time.monotonic() - self._idle_since
                    if idle_for < self.limits.idle_timeout:
                        timeout = self.limits.idle_timeout - idle_for
                        continue
                    self._goaway()
                    await self._write()
                    return
                if not data:
                    return
                timeout = self.limits.idle_timeout
                try:
                    events = h2c.receive_data(data)
                except h2.exceptions.ProtocolError as exc:
                    # h2 has queued a GOAWAY with the error code for this violation, except
                    # for a bad connection preface, which it rejects before any frame.
                    log.info("client broke the HTTP/2 protocol: %s", safe_reason(exc))
                    if h2c.state_machine.state is not ConnectionState.CLOSED:
                        h2c.close_connection(exc.error_code)
                    self.closing = True
                    self._write_nowait()
                    return
                for event in events:
                    self._dispatch(event)
                await self._write()
        except (ClientGone, OSError):
            return
        except Exception:
            # A bug here must cost this connection, never the process.
            log.exception("HTTP/2 connection failed")
            with contextlib.suppress(Exception):
                h2c.close_connection(ErrorCodes.INTERNAL_ERROR)
            self.closing = True
        finally:
            self._done.set()

    async def _watch_draining(self) -> None:
        await self.draining.wait()
        self._goaway()
        with contextlib.suppress(ClientGone):
            await self._write()

    def _goaway(self, code: int = ErrorCodes.NO_ERROR) -> None:
        """Announce that no new stream will be served; the open ones finish."""
        if self.closing:
            return
        self.closing = True
        self.h2.send_goaway(code, last_stream_id=self.h2.highest_inbound_stream_id)
        if not self.streams:
            self._done.set()

    def _dispatch(self, event: h2.events.Event) -> None:
        etype = type(event)
        h2c = self.h2
        if etype is h2.events.DataReceived:
            stream = self.streams.get(event.stream_id)  # type: ignore[attr-defined]
            length = event.flow_controlled_length  # type: ignore[attr-defined]
            if stream is None or stream.request_ended:
                # Nobody will read it: hand the window back at once.
                h2c.acknowledge_received_data(length, event.stream_id)  # type: ignore[attr-defined]
            else:
                stream.queued += length
                stream.inbox.put_nowait((event.data, length))  # type: ignore[attr-defined]
        elif etype is h2.events.WindowUpdated:
            if event.stream_id:  # type: ignore[attr-defined]
                stream = self.streams.get(event.stream_id)  # type: ignore[attr-defined]
                if stream is not None:
                    stream.window.set()
            else:
                self._wake_senders()
        elif etype is h2.events.RequestReceived:
            self._open_stream(event)  # type: ignore[arg-type]
        elif etype is h2.events.StreamEnded:
            stream = self.streams.get(event.stream_id)  # type: ignore[attr-defined]
            if stream is not None and not stream.request_ended:
                stream.request_ended = True
                stream.inbox.put_nowait(_END)
        elif etype is h2.events.TrailersReceived:
            stream = self.streams.get(event.stream_id)  # type: ignore[attr-defined]
            if stream is not None:
                stream.trailers = trailer_fields(event.headers)  # type: ignore[attr-defined]
        elif etype is h2.events.StreamReset:
            stream = self.streams.get(event.stream_id)  # type: ignore[attr-defined]
            if stream is not None and stream.task is not None:
                code = error_name(event.error_code)  # type: ignore[attr-defined]
                stream.reset_note = f"client reset the stream ({code})"
                stream.task.cancel()
        elif etype is h2.events.RemoteSettingsChanged:
            if h2.settings.SettingCodes.INITIAL_WINDOW_SIZE in event.changed_settings:  # type: ignore[attr-defined]
                self._wake_senders()
        elif etype is h2.events.ConnectionTerminated:
            # The client is going away: serve what is open, accept nothing new.
            self.closing = True
            if not self.streams:
                self._done.set()
        # PING is answered by h2; SETTINGS acknowledgements, priority and unknown frames
        # need nothing from us.

    def _open_stream(self, event: h2.events.RequestReceived) -> None:
        stream_id = event.stream_id
        if self.closing or len(self.streams) >= self.limits.max_concurrent_streams:
            # After GOAWAY, or over the advertised limit before the client saw it: refused,
            # which tells the client the request was not processed and may be retried. The
            # client may have reset it already in the same read: then it is closed, and there
            # is nothing to refuse.
            with contextlib.suppress(h2.exceptions.StreamClosedError):
                self.h2.reset_stream(stream_id, ErrorCodes.REFUSED_STREAM)
            return
        stream = _Stream(self, stream_id)
        ended = event.stream_ended is not None
        if ended:
            stream.request_ended = True
        self.streams[stream_id] = stream
        stream.task = asyncio.get_running_loop().create_task(
            self._serve_stream(stream, event.headers, ended)
        )

    def _wake_senders(self) -> None:
        for stream in self.streams.values():
            stream.window.set()

    # -- output -----------------------------------------------------------------------------

    async def _write(self) -> None:
        """Write what h2 has queued and wait until the client has taken it."""
        data = self.h2.data_to_send()
        try:
            await self.client.write(data)
        except (OSError, TimeoutError) as exc:
            self._done.set()
            raise ClientGone(f"client went away: {exc or type(exc).__name__}") from None

    def _write_nowait(self) -> None:
        """Hand queued control frames (RST_STREAM, WINDOW_UPDATE, GOAWAY) to the socket
        without waiting: used where nothing can wait, such as a task's cleanup."""
        data = self.h2.data_to_send()
        if data:
            with contextlib.suppress(Exception):
                self.client.write_nowait(data)

    def _emit_head(self, stream: _Stream) -> None:
        """Hand a pending response head to h2: from now on only a reset can undo it."""
        block = stream.head_block
        if block is not None:
            stream.head_block = None
            stream.committed = True
            self.h2.send_headers(stream.id, block)

    async def _send_data(self, stream: _Stream, data: bytes) -> None:
        """Queue ``data`` on the stream in DATA frames as its flow-control window allows; where
        the window is closed, write what is queued and wait for the client to open it. What
        is queued is bounded by the window; the caller writes it (:meth:`_write`)."""
        h2c = self.h2
        self._emit_head(stream)
        offset = 0
        size = len(data)
        while offset < size:
            window = self._window(stream)
            if window <= 0:
                await self._wait_window(stream)
                continue
            n = min(window, h2c.max_outbound_frame_size, size - offset)
            h2c.send_data(stream.id, data[offset : offset + n] if n < size else data)
            offset += n

    def _window(self, stream: _Stream) -> int:
        """How much the stream may send now (its window and the connection's)."""
        try:
            return self.h2.local_flow_control_window(stream.id)
        except h2.exceptions.StreamClosedError:
            raise ClientGone(stream.reset_note or "client closed the stream") from None

    async def _wait_window(self, stream: _Stream) -> None:
        stream.window.clear()
        await self._write()
        if self._window(stream) > 0:
            return
        timeout = self.client.write_timeout
        try:
            async with asyncio.timeout(timeout):
                await stream.window.wait()
        except TimeoutError:
            raise ClientGone(
                f"client took nothing on the stream for {timeout:g} s (--read-timeout)"
            ) from None

    async def _end_response(self, stream: _Stream, trailers: Headers) -> None:
        self._emit_head(stream)
        if trailers:
            self.h2.send_headers(stream.id, trailers, end_stream=True)
        else:
            self.h2.end_stream(stream.id)
        stream.response_ended = True
        await self._write()

    def _acknowledge(self, stream: _Stream, length: int) -> None:
        if length:
            stream.queued -= length
            self.h2.acknowledge_received_data(length, stream.id)

    # -- one stream -------------------------------------------------------------------------

    async def _serve_stream(self, stream: _Stream, block: Headers, ended: bool) -> None:
        request = request_from_h2(block)
        length = header_value(request.headers, b"content-length")
        neutral = ClientRequest(
            method=request.method,
            target=request.target,
            headers=request.headers,
            forward_headers=[(n, v) for n, v in request.headers if n != b"expect"],
            head_size=header_list_size(block),
            content_length=int(length) if length is not None else None,
            has_body=not ended,
            expect_continue=has_token(request.headers, b"expect", b"100-continue"),
        )
        if ended:
            stream.inbox.put_nowait(_END)
        try:
            await self.driver.run(neutral, stream)
        finally:
            self._stream_done(stream)

    # -- errors and the end of a stream -----------------------------------------------------

    async def _answer_error(self, stream: _Stream, exc: BaseException) -> None:
        """The error as a response if none has started, else a reset stream."""
        if stream.committed:
            self._reset(stream, ErrorCodes.INTERNAL_ERROR)
            return
        # A response head not written yet is replaced by the error.
        stream.head_block = None
        answer = error_response(exc)
        block: Headers = [
            (b":status", b"%d" % answer.status),
            (b"content-type", b"application/json"),
            (b"content-length", b"%d" % len(answer.body)),
            *answer.headers,
        ]
        try:
            self.h2.send_headers(stream.id, block)
            stream.committed = True
            await self._send_data(stream, answer.body)
            await self._end_response(stream, [])
        except ClientGone:
            return
        except h2.exceptions.ProtocolError:
            self._reset(stream, ErrorCodes.INTERNAL_ERROR)

    def _reset(self, stream: _Stream, code: int) -> None:
        with contextlib.suppress(h2.exceptions.ProtocolError, h2.exceptions.StreamClosedError):
            self.h2.reset_stream(stream.id, code)
        stream.response_ended = True  # nothing more goes out on it
        self._write_nowait()

    def _stream_done(self, stream: _Stream) -> None:
        self.streams.pop(stream.id, None)
        if not stream.request_ended:
            # The client is still sending a request nobody reads: ask it to stop (NO_ERROR
            # after a complete response, RFC 9113 8.1) and do not wait for the rest.
            code = ErrorCodes.NO_ERROR if stream.response_ended else ErrorCodes.CANCEL
            with contextlib.suppress(h2.exceptions.ProtocolError, h2.exceptions.StreamClosedError):
                self.h2.reset_stream(stream.id, code)
            stream.request_ended = True
        elif not stream.response_ended:
            with contextlib.suppress(h2.exceptions.ProtocolError, h2.exceptions.StreamClosedError):
                self.h2.reset_stream(stream.id, ErrorCodes.CANCEL)
        if stream.queued:
            # Received but never passed on: give it back to the connection window.
            with contextlib.suppress(h2.exceptions.ProtocolError):
                self.h2.acknowledge_received_data(stream.queued, stream.id)
            stream.queued = 0
        self._write_nowait()
        if not self.streams:
            self._idle_since = time.monotonic()
            if self.closing:
                self._done.set()
