"""A connection end with deadlines on reads and backpressure on writes.

Every read is bounded in size and time; every write waits for the transport to drain (so a
slow reader stops the proxy from reading the other side, instead of making it buffer), and
that wait has a deadline too, so a peer that stops reading cannot hold a task forever.

The read deadline is one timer per connection, not one per read: a read only moves the
deadline (a float), and the timer, when it fires, either finds the deadline moved and re-arms
itself for it, or fails the read that is still waiting. A connection that reads thousands of
times a second arms its timer about once per timeout period.

A connection's protocol is an ``asyncio.BufferedProtocol``: the transport (TLS included)
decrypts or receives straight into one scratch buffer that every connection of the event loop
shares, and only the bytes that arrived are copied out of it. With asyncio's streams every TLS
read allocated a fresh 256 KiB block (and gave it back), which the allocator maps and unmaps
on each read. Received bytes wait in the protocol until :meth:`Peer.read` takes them; past
:data:`PAUSE_AT` bytes reading from the transport pauses (the peer's socket buffers fill and
TCP holds the sender back), as asyncio's streams do.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import threading
from typing import Any

READ_SIZE = 64 * 1024
"""The most one :meth:`Peer.read` returns."""
PAUSE_AT = 2 * READ_SIZE
"""Bytes received but not read yet at which the transport stops reading (until half is read)."""
CLOSE_TIMEOUT = 5.0

SCRATCH_SIZE = 256 * 1024
_scratch = threading.local()


def _scratch_buffer() -> memoryview:
    """Where transports put received bytes, for every connection of this thread's event
    loop: it runs one callback at a time and each receipt is copied out before its callback
    returns. (Per thread: a transport may fill it with the GIL released.)"""
    buffer: memoryview | None = getattr(_scratch, "buffer", None)
    if buffer is None:
        buffer = _scratch.buffer = memoryview(bytearray(SCRATCH_SIZE))
    return buffer


def set_nodelay(transport: asyncio.BaseTransport) -> None:
    """TCP_NODELAY: without it each small write can wait ~40 ms for a delayed ACK."""
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class PeerProtocol(asyncio.BufferedProtocol):
    """Keeps what a connection received until :class:`Peer` reads it, and the state a write
    waits on (paused by the transport, connection lost)."""

    __slots__ = (
        "transport",
        "over_tls",
        "_loop",
        "_scratch",
        "_chunks",
        "_size",
        "_eof",
        "_error",
        "_waiter",
        "_reading_paused",
        "_writing_paused",
        "_drain_waiter",
        "_lost",
    )

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.over_tls = False
        """The transport is TLS (an end of input then ends the connection: no half close)."""
        self._loop = asyncio.get_running_loop()
        self._scratch = _scratch_buffer()
        self._chunks: list[bytes] = []
        self._size = 0
        self._eof = False
        self._error: BaseException | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._reading_paused = False
        self._writing_paused = False
        self._drain_waiter: asyncio.Future[None] | None = None
        self._lost = False

    # -- transport callbacks ----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.over_tls = transport.get_extra_info("sslcontext") is not None

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._scratch

    def buffer_updated(self, nbytes: int) -> None:
        self._chunks.append(self._scratch[:nbytes].tobytes())
        self._size += nbytes
        if self._size >= PAUSE_AT and not self._reading_paused and self.transport is not None:
            self._reading_paused = True
            with contextlib.suppress(Exception):
                self.transport.pause_reading()
        self._wake()

    def eof_received(self) -> bool:
        self._eof = True
        self._wake()
        # Plain TCP stays open for writing (a tunnel passes the half close on); TLS cannot.
        return not self.over_tls

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = True
        if exc is not None:
            self._error = exc
        self._eof = True
        self._wake()
        waiter = self._drain_waiter
        if waiter is not None and not waiter.done():
            waiter.set_exception(ConnectionResetError("Connection lost"))
            # Seen by whoever waits; nobody else needs to hear of it.
            waiter.exception()

    def pause_writing(self) -> None:
        self._writing_paused = True

    def resume_writing(self) -> None:
        self._writing_paused = False
        waiter = self._drain_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # -- for Peer ---------------------------------------------------------------------------

    def take(self) -> bytes:
        """Up to :data:`READ_SIZE` received bytes, oldest first (b"" when none)."""
        chunks = self._chunks
        if len(chunks) == 1 and self._size <= READ_SIZE:
            data = chunks[0]
            chunks.clear()
        else:
            joined = b"".join(chunks)
            data, rest = joined[:READ_SIZE], joined[READ_SIZE:]
            chunks.clear()
            if rest:
                chunks.append(rest)
        self._size -= len(data)
        if self._reading_paused and self._size <= PAUSE_AT // 2:
            self._reading_paused = False
            if self.transport is not None:
                with contextlib.suppress(Exception):
                    self.transport.resume_reading()
        return data

    def unread(self, data: bytes) -> None:
        """Put ``data`` back before what is still unread (bytes read past a head)."""
        if data:
            self._chunks.insert(0, data)
            self._size += len(data)


class Peer:
    """One TCP (or TLS) connection, with deadlines on reads and writes."""

    __slots__ = (
        "transport",
        "protocol",
        "write_timeout",
        "_loop",
        "_deadline",
        "_timer",
        "_waiting",
    )

    def __init__(
        self, transport: asyncio.Transport, protocol: PeerProtocol, write_timeout: float
    ) -> None:
        self.transport = transport
        self.protocol = protocol
        self.write_timeout = write_timeout
        self._loop = asyncio.get_running_loop()
        self._deadline = 0.0
        """When the read in progress (or the next one) must have returned."""
        self._timer: asyncio.TimerHandle | None = None
        self._waiting: asyncio.Future[None] | None = None
        """What the read in progress waits on, while it waits."""
        set_nodelay(transport)

    async def read(self, timeout: float | None) -> bytes:
        """Up to 64 KiB; b"" at end of stream; TimeoutError when nothing came in ``timeout``
        seconds (None: no deadline); the connection's error (an ``OSError``) if it failed."""
        proto = self.protocol
        if proto._error is not None:
            raise proto._error
        if proto._size:
            return proto.take()
        if proto._eof:
            return b""
        waiter = self._loop.create_future()
        if timeout is not None:
            loop = self._loop
            deadline = loop.time() + timeout
            self._deadline = deadline
            timer = self._timer
            if timer is None or timer.when() > deadline:
                if timer is not None:
                    timer.cancel()
                self._timer = loop.call_at(deadline, self._expire)
        proto._waiter = waiter
        self._waiting = waiter if timeout is not None else None
        try:
            await waiter
        finally:
            proto._waiter = None
            self._waiting = None
        if proto._error is not None:
            raise proto._error
        return proto.take() if proto._size else b""

    def _expire(self) -> None:
        """The timer fired: re-arm it for a deadline that moved, or time the read out."""
        self._timer = None
        waiter = self._waiting
        if waiter is None:
            return  # no read waits; the next one arms the timer again
        if self._loop.time() < self._deadline:
            self._timer = self._loop.call_at(self._deadline, self._expire)
            return
        if not waiter.done():
            waiter.set_exception(TimeoutError())

    async def write(self, data: bytes) -> None:
        """Write and wait until the transport has taken it (TimeoutError if the peer stalls).

        With nothing to write it still waits for what earlier writes left in the buffer."""
        if data:
            self.transport.write(data)
        proto = self.protocol
        if proto._lost:
            raise ConnectionResetError("Connection lost")
        if proto._writing_paused:
            waiter = self._loop.create_future()
            proto._drain_waiter = waiter
            try:
                async with asyncio.timeout(self.write_timeout):
                    await waiter
            finally:
                proto._drain_waiter = None

    def write_nowait(self, data: bytes) -> None:
        """Hand ``data`` to the transport without waiting for it to be taken."""
        self.transport.write(data)

    def write_eof(self) -> None:
        """Close the writing half where the transport can (plain TCP), else nothing."""
        if self.transport.can_write_eof():
            self.transport.write_eof()

    async def start_tls(
        self,
        context: ssl.SSLContext,
        *,
        server_side: bool,
        server_hostname: str | None = None,
        timeout: float,
    ) -> None:
        """Upgrade the connection to TLS (as server or client); raises on handshake failure."""
        transport = await self._loop.start_tls(
            self.transport,
            self.protocol,
            context,
            server_side=server_side,
            server_hostname=server_hostname,
            ssl_handshake_timeout=timeout,
        )
        assert transport is not None
        self.transport = transport  # type: ignore[assignment]
        self.protocol.transport = transport  # type: ignore[assignment]
        self.protocol.over_tls = True

    def get_extra_info(self, name: str) -> Any:
        return self.transport.get_extra_info(name)

    def closed(self) -> bool:
        """Closing, or at the end of its input with nothing left unread."""
        proto = self.protocol
        return self.transport.is_closing() or (proto._eof and not proto._size)

    def alpn(self) -> str | None:
        """The protocol chosen by ALPN on a TLS connection (``"h2"``, ``"http/1.1"``), if any."""
        ssl_object = self.transport.get_extra_info("ssl_object")
        return ssl_object.selected_alpn_protocol() if ssl_object is not None else None

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def abort(self) -> None:
        """Drop the connection at once, without flushing or a TLS close_notify."""
        self._stop_timer()
        with contextlib.suppress(Exception):
            self.transport.abort()

    async def close(self) -> None:
        """Close politely without waiting: the transport flushes what is buffered, then closes
        (TLS: sends close_notify). A peer that has not taken the rest within
        ``CLOSE_TIMEOUT`` seconds is dropped, so a client that stops reading cannot keep a
        closed connection alive."""
        self._stop_timer()
        try:
            self.transport.close()
        except Exception:
            self.abort()
            return
        asyncio.get_running_loop().call_later(CLOSE_TIMEOUT, self.abort)


async def connect(
    host: str,
    port: int,
    *,
    write_timeout: float,
    tls: ssl.SSLContext | None = None,
    server_hostname: str | None = None,
    handshake_timeout: float | None = None,
) -> Peer:
    """Dial ``host:port`` (with ``tls``, verified as ``server_hostname``); OSError or an
    ``ssl`` error when it fails."""
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_connection(
        PeerProtocol,
        host,
        port,
        ssl=tls,
        server_hostname=server_hostname if tls is not None else None,
        ssl_handshake_timeout=handshake_timeout if tls is not None else None,
    )
    return Peer(transport, protocol, write_timeout)
