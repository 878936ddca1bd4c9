"""HTTP/2 towards an upstream: one TLS connection carries many exchanges, one stream each.

:class:`H2UpstreamConnection` owns the socket and the h2 state machine. A reader task feeds
every received byte to h2 and hands each event to its stream; exchanges queue their frames in
the same h2 connection and write them out themselves. h2 does the protocol; this module moves
bytes and events.

Flow control is the backpressure between the two sides of the proxy:

- Received DATA is acknowledged (``acknowledge_received_data``) only when the exchange says the
  chunk was taken by the client (:meth:`H2UpstreamExchange.taken`). A slow client therefore
  closes its stream's window towards the upstream, and what the proxy holds for that stream is
  bounded by :data:`STREAM_WINDOW`. The connection window is as large as the stream windows
  of all :data:`MAX_STREAMS` streams together, so one stalled stream never starves the others.
- Sending waits for the upstream's window: :meth:`H2UpstreamExchange.flush` returns when
  every queued byte is in a DATA frame handed to the socket, so the client side acknowledges
  its own DATA only after that.

The upstream's ``SETTINGS_MAX_CONCURRENT_STREAMS`` caps the exchanges a connection takes (the
pool opens another connection when all are full). A GOAWAY stops new exchanges; those at or
below its last-stream id finish, the others fail (they were never processed). A protocol error
ends the connection with the right GOAWAY code and fails its exchanges with 502.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

import h2.config
import h2.events
import h2.exceptions
import h2.settings
from h2.errors import ErrorCodes

from proxy.accesslog import log
from proxy.errors import UpstreamError, safe_reason
from proxy.h1h2 import h2_request_headers, response_from_h2, trailer_fields
from proxy.h2conn import GracefulH2Connection, error_name
from proxy.pipeline import Headers, ResponseHead
from proxy.streams import Peer
from proxy.upstream import (
    BeforeWait,
    Origin,
    ResponseEnd,
    UpstreamEvent,
    UpstreamExchange,
    read_timeout_error,
)

STREAM_WINDOW = 256 * 1024
"""Receive window per stream: the most the proxy holds of one response the client is slow to
take."""

MAX_STREAMS = 100
"""Concurrent exchanges per upstream connection at most, whatever the upstream allows."""

CONNECTION_WINDOW = STREAM_WINDOW * MAX_STREAMS
"""Receive window of the connection: room for every stream's window at once."""

DEFAULT_WINDOW = 65535
"""The initial window of every HTTP/2 connection and stream (RFC 9113 6.9.2)."""

_Item = ResponseHead | ResponseEnd | tuple[bytes, int] | UpstreamError


class H2UpstreamConnection:
    """One HTTP/2 connection to an upstream, shared by concurrent exchanges."""

    def __init__(
        self,
        origin: Origin,
        peer: Peer,
        on_unavailable: Callable[[H2UpstreamConnection], None],
        *,
        read_timeout: float,
    ) -> None:
        self.origin = origin
        self.peer = peer
        self.on_unavailable = on_unavailable
        """Told once the connection takes no new exchanges (GOAWAY, error, closed): the pool
        stops offering it."""
        self.read_timeout = read_timeout
        config = h2.config.H2Configuration(client_side=True, header_encoding=None)
        self.h2 = GracefulH2Connection(config)
        self.h2.local_settings = h2.settings.Settings(
            client=True,
            initial_values={
                h2.settings.SettingCodes.ENABLE_PUSH: 0,
                h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: STREAM_WINDOW,
                h2.settings.SettingCodes.MAX_HEADER_LIST_SIZE: 2**16,
            },
        )
        self.streams: dict[int, H2UpstreamExchange] = {}
        self.reserved = 0
        """Exchanges handed out that have not sent their head yet (they hold a slot)."""
        self.goaway = False
        """No new exchanges: the upstream sent GOAWAY, or the pool retired the connection."""
        self.dead = False
        self.idle_since = time.monotonic()
        self._used = False
        self._ready = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None

    # -- life cycle -------------------------------------------------------------------------

    async def start(self, timeout: float) -> None:
        """Send the preface and wait for the upstream's SETTINGS (its stream limit among
        them), so the first burst of exchanges never exceeds what it allows."""
        self.h2.initiate_connection()
        self.h2.increment_flow_control_window(CONNECTION_WINDOW - DEFAULT_WINDOW)
        self.write_nowait()
        self._reader = asyncio.get_running_loop().create_task(self._read_loop())
        try:
            async with asyncio.timeout(timeout):
                await self._ready.wait()
        except TimeoutError:
            self._die(f"upstream {self.origin.host} sent no HTTP/2 SETTINGS", abort=True)
            raise UpstreamError(
                f"upstream {self.origin.host}: no HTTP/2 SETTINGS within {timeout:g} s",
                status=504,
            ) from None
        if self.dead:
            raise UpstreamError(f"upstream {self.origin.host} closed the HTTP/2 connection")

    def capacity(self) -> int:
        """How many more exchanges the connection takes now."""
        if self.goaway or self.dead:
            return 0
        limit = min(self.h2.remote_settings.max_concurrent_streams, MAX_STREAMS)
        return limit - len(self.streams) - self.reserved

    def open_exchange(self) -> H2UpstreamExchange:
        """Take a slot (see :meth:`capacity`) for a new exchange."""
        self.reserved += 1
        exchange = H2UpstreamExchange(self, reused=self._used)
        self._used = True
        return exchange

    def retire(self) -> None:
        """Take no new exchanges; close once the current ones are done."""
        self.goaway = True
        self._close_if_done()

    def close(self) -> None:
        """Send GOAWAY and close the connection (its exchanges fail)."""
        if self.dead:
            return
        self.h2.close_connection()
        self.write_nowait()
        self._die(f"upstream {self.origin.host}: connection closed by the proxy")

    def _close_if_done(self) -> None:
        if self.goaway and not self.streams and not self.reserved:
            self.close()

    def _die(self, reason: str, *, abort: bool = False) -> None:
        """Fail every exchange with ``reason`` and drop the connection."""
        if self.dead:
            return
        self.dead = True
        self._ready.set()
        self.on_unavailable(self)
        for stream in list(self.streams.values()):
            stream.fail(UpstreamError(reason))
        if abort:
            self.peer.abort()
        else:
            asyncio.get_running_loop().create_task(self.peer.close())
        reader = self._reader
        if reader is not None and reader is not asyncio.current_task():
            reader.cancel()

    def stream_done(self, stream: H2UpstreamExchange) -> None:
        self.streams.pop(stream.stream_id, None)
        if not self.streams:
            self.idle_since = time.monotonic()
        self._close_if_done()

    # -- output -----------------------------------------------------------------------------

    async def write(self) -> None:
        """Write what h2 has queued and wait for the socket to take it."""
        data = self.h2.data_to_send()
        if self.dead:
            raise UpstreamError(f"upstream {self.origin.host}: the HTTP/2 connection is closed")
        try:
            await self.peer.write(data)
        except TimeoutError:
            raise UpstreamError(
                f"upstream {self.origin.host} stopped taking data for "
                f"{self.peer.write_timeout:g} s",
                status=504,
            ) from None
        except OSError as exc:
            self._die(f"upstream {self.origin.host} connection failed: {exc.strerror or exc}")
            raise UpstreamError(
                f"upstream {self.origin.host} connection failed: {exc.strerror or exc}"
            ) from None

    def write_nowait(self) -> None:
        """Hand small control frames (WINDOW_UPDATE, RST_STREAM) to the socket without waiting:
        they must not wait behind a stalled reader, and they are bounded by the data they
        answer."""
        data = self.h2.data_to_send()
        if data and not self.dead:
            self.peer.write_nowait(data)

    # -- input ------------------------------------------------------------------------------

    async def _read_loop(self) -> None:
        host = self.origin.host
        reason = f"upstream {host} closed the connection"
        abort = True
        try:
            while True:
                data = await self.peer.read(None)
                if not data:
                    break
                try:
                    events = self.h2.receive_data(data)
                except h2.exceptions.ProtocolError as exc:
                    # h2 has queued a GOAWAY with the matching error code; send it.
                    log.warning("upstream %s broke the HTTP/2 protocol: %s", host, safe_reason(exc))
                    reason = f"upstream {host} broke the HTTP/2 protocol: {exc}"
                    self.write_nowait()
                    abort = False
                    break
                for event in events:
                    self._dispatch(event)
                # Answers h2 queued by itself (SETTINGS and PING acknowledgements).
                data = self.h2.data_to_send()
                if data and not self.dead:
                    await self.peer.write(data)
        except asyncio.CancelledError:
            return
        except UpstreamError as exc:
            reason = exc.message
        except OSError as exc:
            reason = f"upstream {host} connection failed: {exc.strerror or exc}"
        except Exception:
            log.exception("HTTP/2 upstream connection to %s failed", host)
            reason = f"upstream {host}: internal error on the HTTP/2 connection"
        self._die(reason, abort=abort)

    def _dispatch(self, event: h2.events.Event) -> None:
        etype = type(event)
        if etype is h2.events.DataReceived:
            stream = self.streams.get(event.stream_id)  # type: ignore[attr-defined]
            if stream is None or stream.closed:
                # A stream we already let go: give the connection window back at once.
                self.h2.acknowledge_received_data(
                    event.flow_controlled_length,  # type: ignore[attr-defined]
                    event.stream_id,  # type: ignore[attr-defined]
                )
            else:
                stream.on_data(event.data, event.flow_controlled_length)  # type: ignore[attr-defined]
        elif etype is h2.events.WindowUpdated:
            if event.stream_id:  # type: ignore[attr-defined]
                stream = self.streams.get(event.stream_id)  # type: ignore[attr-defined]
                if stream is not None:
                    stream.on_window()
            else:
                self._wake_senders()
        elif etype is h2.events.ResponseReceived:
            stream = self.streams.get(event.stream_id)  # type: ignore[attr-defined]
            if stream is not None:
                stream.on_head(response_from_h2(event.headers))  # type: ignore[attr-defined]
        elif etype is h2.events.TrailersReceived:
            stream = self.streams.get(event.stream_id)  # type: ignore[attr-defined]
            if stream is not None:
                stream.on_trailers(trailer_fields(event.headers))  # type: ignore[attr-defined]
        elif etype is h2.events.StreamEnded:
            stream = self.streams.get(event.stream_id)  # type: ignore[attr-defined]
            if stream is not None:
                stream.on_end()
        elif etype is h2.events.StreamReset:
            stream = self.streams.get(event.stream_id)  # type: ignore[attr-defined]
            if stream is not None:
                code = event.error_code  # type: ignore[attr-defined]
                what = (
                    "refused the request (it was not processed)"
                    if code == ErrorCodes.REFUSED_STREAM
                    else f"reset the stream ({error_name(code)})"
                )
                stream.fail(UpstreamError(f"upstream {self.origin.host} {what}"))
        elif etype is h2.events.RemoteSettingsChanged:
            self._ready.set()
            if h2.settings.SettingCodes.INITIAL_WINDOW_SIZE in event.changed_settings:  # type: ignore[attr-defined]
                self._wake_senders()
        elif etype is h2.events.ConnectionTerminated:
            self._on_goaway(event)  # type: ignore[arg-type]
        # InformationalResponseReceived (1xx is per hop), PING (h2 answers it), SETTINGS
        # acknowledgements, priority, ALTSVC and unknown frames need nothing from us.

    def _wake_senders(self) -> None:
        for stream in self.streams.values():
            stream.on_window()

    def _on_goaway(self, event: h2.events.ConnectionTerminated) -> None:
        self.goaway = True
        self.on_unavailable(self)
        last = event.last_stream_id or 0
        code = error_name(event.error_code)
        log.info(
            "upstream %s sent GOAWAY (%s, last stream %d); %d exchange(s) in flight",
            self.origin.host,
            code,
            last,
            len(self.streams),
        )
        for stream_id, stream in list(self.streams.items()):
            if stream_id > last:
                stream.fail(
                    UpstreamError(
                        f"upstream {self.origin.host} sent GOAWAY ({code}) before taking the "
                        "request; it was not processed"
                    )
                )
        self._close_if_done()


class H2UpstreamExchange(UpstreamExchange):
    """One exchange as a stream of an :class:`H2UpstreamConnection`."""

    protocol = "h2"

    def __init__(self, conn: H2UpstreamConnection, *, reused: bool) -> None:
        super().__init__(conn.origin, reused=reused)
        self.conn = conn
        self.stream_id = 0
        self.closed = False
        """:meth:`release` or :meth:`abort` was called."""
        self._reserved = True
        self._inbox: asyncio.Queue[_Item] = asyncio.Queue()
        self._window = asyncio.Event()
        self._pending: list[bytes] = []
        self._end: Headers | None = None
        self._end_sent = False
        self._ended = False
        self._error: UpstreamError | None = None
        self._trailers: Headers = []
        self._queued = 0
        """Flow-controlled bytes received and not yet returned by :meth:`next_event`."""
        self._delivered = 0
        """Flow-controlled bytes returned by :meth:`next_event` and not yet acknowledged."""
        self._response_started = False

    # -- sending ----------------------------------------------------------------------------

    def _send_head(self, method: bytes, target: bytes, headers: Headers, *, body: bool) -> None:
        conn = self.conn
        host = self.origin.host
        if conn.dead or conn.goaway:
            # Nothing was sent: the upstream never saw this request.
            raise UpstreamError(f"upstream {host} closed the HTTP/2 connection")
        block = h2_request_headers(method, target, self.origin.scheme.encode(), headers)
        try:
            stream_id = conn.h2.get_next_available_stream_id()
            conn.h2.send_headers(stream_id, block, end_stream=not body)
        except h2.exceptions.NoAvailableStreamIDError:
            conn.retire()
            raise UpstreamError(f"upstream {host}: HTTP/2 stream ids exhausted") from None
        except h2.exceptions.ProtocolError as exc:
            raise UpstreamError(f"upstream {host}: cannot send the request: {exc}") from None
        conn.reserved -= 1
        self._reserved = False
        self.stream_id = stream_id
        conn.streams[stream_id] = self
        self._end_sent = not body

    def _send_data(self, data: bytes) -> None:
        self._pending.append(data)

    def _send_end(self, trailers: Headers) -> None:
        self._end = trailers

    async def flush(self) -> None:
        conn = self.conn
        h2c = conn.h2
        stream_id = self.stream_id
        pending = self._pending
        while pending:
            if self._error is not None:
                raise self._error
            try:
                window = h2c.local_flow_control_window(stream_id)
            except h2.exceptions.StreamClosedError:
                raise self._error or self._closed_error() from None
            if window <= 0:
                await self._wait_window()
                continue
            data = pending[0]
            size = min(window, h2c.max_outbound_frame_size)
            last = len(data) <= size and len(pending) == 1 and self._end == []
            try:
                h2c.send_data(stream_id, data[:size], end_stream=last)
            except (h2.exceptions.ProtocolError, h2.exceptions.StreamClosedError):
                raise self._error or self._closed_error() from None
            if len(data) <= size:
                pending.pop(0)
                if last:
                    self._end_sent = True
            else:
                pending[0] = data[size:]
        if self._end is not None and not self._end_sent:
            try:
                if self._end:
                    h2c.send_headers(stream_id, self._end, end_stream=True)
                else:
                    h2c.end_stream(stream_id)
            except (h2.exceptions.ProtocolError, h2.exceptions.StreamClosedError):
                raise self._error or self._closed_error() from None
            self._end_sent = True
        await conn.write()

    async def _wait_window(self) -> None:
        """Wait for the upstream to open the stream's (or the connection's) window."""
        conn = self.conn
        self._window.clear()
        await conn.write()
        if conn.h2.local_flow_control_window(self.stream_id) > 0 or self._error is not None:
            return
        timeout = conn.peer.write_timeout
        try:
            async with asyncio.timeout(timeout):
                await self._window.wait()
        except TimeoutError:
            raise UpstreamError(
                f"upstream {self.origin.host} stopped taking the request for {timeout:g} s "
                "(HTTP/2 flow control)",
                status=504,
            ) from None

    def _closed_error(self) -> UpstreamError:
        return UpstreamError(f"upstream {self.origin.host} closed the stream")

    # -- receiving --------------------------------------------------------------------------

    # Called by the connection's reader, one per h2 event of this stream.

    def on_head(self, head: ResponseHead) -> None:
        self._inbox.put_nowait(head)

    def on_data(self, data: bytes, flow_controlled_length: int) -> None:
        self._queued += flow_controlled_length
        self._inbox.put_nowait((data, flow_controlled_length))

    def on_trailers(self, trailers: Headers) -> None:
        self._trailers = trailers

    def on_end(self) -> None:
        self._inbox.put_nowait(ResponseEnd(self._trailers))

    def on_window(self) -> None:
        self._window.set()

    def fail(self, error: UpstreamError) -> None:
        """End the exchange with ``error`` (the stream was reset, the connection failed)."""
        if self._error is None:
            self._error = error
            self._inbox.put_nowait(error)
            self._window.set()

    async def next_event(self, before_wait: BeforeWait | None = None) -> UpstreamEvent:
        inbox = self._inbox
        if inbox.empty():
            await self.flush()
            if before_wait is not None:
                await before_wait()
        if inbox.empty():
            timeout = self.conn.read_timeout
            try:
                async with asyncio.timeout(timeout):
                    item = await inbox.get()
            except TimeoutError:
                host = self.origin.host
                raise read_timeout_error(host, timeout, self._response_started) from None
        else:
            item = inbox.get_nowait()
        itype = type(item)
        if itype is tuple:
            data, length = item  # type: ignore[misc]
            self._queued -= length
            self._delivered += length
            return data  # type: ignore[no-any-return]
        if itype is ResponseHead:
            self._response_started = True
            return item  # type: ignore[return-value]
        if itype is ResponseEnd:
            self._ended = True
            return item  # type: ignore[return-value]
        raise item  # type: ignore[misc]

    def taken(self) -> None:
        delivered = self._delivered
        if delivered and not self.conn.dead:
            self._delivered = 0
            self.conn.h2.acknowledge_received_data(delivered, self.stream_id)
            self.conn.write_nowait()

    # -- the end ----------------------------------------------------------------------------

    def release(self) -> None:
        # A stream that did not end both ways is reset, so it cannot linger half-open.
        self._finish(reset=not (self._ended and self._end_sent))

    def abort(self) -> None:
        self._finish(reset=True)

    def _finish(self, *, reset: bool) -> None:
        if self.closed:
            return
        self.closed = True
        conn = self.conn
        if self._reserved:
            self._reserved = False
            conn.reserved -= 1
        if self.stream_id and not conn.dead:
            if reset:
                with contextlib.suppress(
                    h2.exceptions.ProtocolError, h2.exceptions.StreamClosedError
                ):
                    conn.h2.reset_stream(self.stream_id, ErrorCodes.CANCEL)
            unacked = self._queued + self._delivered
            if unacked:
                # Whatever was received and not passed on still counts against the
                # connection window; hand it back.
                conn.h2.acknowledge_received_data(unacked, self.stream_id)
                self._queued = self._delivered = 0
            conn.write_nowait()
        conn.stream_done(self)
