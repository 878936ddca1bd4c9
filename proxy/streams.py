"""A connection end with deadlines on reads and backpressure on writes.

Every read is bounded in size and time; every write waits for the transport to drain (so a
slow reader stops the proxy from reading the other side, instead of making it buffer), and
that wait has a deadline too, so a peer that stops reading cannot hold a task forever.

The read deadline is one timer per connection, not one per read: a read only moves the
deadline (a float), and the timer, when it fires, either finds the deadline moved and re-arms
itself for it, or cancels the read that is still waiting. A connection that reads thousands of
times a second arms its timer about once per timeout period.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket

READ_SIZE = 64 * 1024
CLOSE_TIMEOUT = 5.0


def set_nodelay(writer: asyncio.StreamWriter) -> None:
    """TCP_NODELAY: without it each small write can wait ~40 ms for a delayed ACK."""
    sock = writer.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class Peer:
    """The reader and writer of one TCP (or TLS) connection, with deadlines."""

    __slots__ = (
        "reader",
        "writer",
        "write_timeout",
        "_loop",
        "_deadline",
        "_timer",
        "_reading",
        "_expired",
    )

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, write_timeout: float
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.write_timeout = write_timeout
        self._loop = asyncio.get_running_loop()
        self._deadline = 0.0
        """When the read in progress (or the next one) must have returned."""
        self._timer: asyncio.TimerHandle | None = None
        self._reading: asyncio.Task[object] | None = None
        """The task waiting in :meth:`read`, while it waits."""
        self._expired = False
        set_nodelay(writer)

    async def read(self, timeout: float) -> bytes:
        """Up to 64 KiB; b"" at end of stream; TimeoutError when nothing came in ``timeout``."""
        loop = self._loop
        deadline = loop.time() + timeout
        self._deadline = deadline
        timer = self._timer
        if timer is None or timer.when() > deadline:
            if timer is not None:
                timer.cancel()
            self._timer = loop.call_at(deadline, self._expire)
        task = asyncio.current_task()
        assert task is not None
        cancelling = task.cancelling()
        self._reading = task
        try:
            return await self.reader.read(READ_SIZE)
        except asyncio.CancelledError:
            if self._expired and task.uncancel() <= cancelling:
                raise TimeoutError from None
            raise
        finally:
            self._reading = None
            self._expired = False

    def _expire(self) -> None:
        """The timer fired: re-arm it for a deadline that moved, or time the read out."""
        self._timer = None
        task = self._reading
        if task is None:
            return  # no read waits; the next one arms the timer again
        if self._loop.time() < self._deadline:
            self._timer = self._loop.call_at(self._deadline, self._expire)
            return
        self._expired = True
        task.cancel()

    async def write(self, data: bytes) -> None:
        """Write and wait until the transport has taken it (TimeoutError if the peer stalls).

        With nothing to write it still waits for what earlier writes left in the buffer."""
        if data:
            self.writer.write(data)
        # drain() returns at once while the buffer is below the high-water mark, so the
        # timeout context is only entered when there really is backpressure.
        transport = self.writer.transport
        if transport.get_write_buffer_size() > 0:
            async with asyncio.timeout(self.write_timeout):
                await self.writer.drain()

    def closed(self) -> bool:
        return self.writer.is_closing() or self.reader.at_eof()

    def alpn(self) -> str | None:
        """The protocol chosen by ALPN on a TLS connection (``"h2"``, ``"http/1.1"``), if any."""
        ssl_object = self.writer.get_extra_info("ssl_object")
        return ssl_object.selected_alpn_protocol() if ssl_object is not None else None

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def abort(self) -> None:
        """Drop the connection at once, without flushing or a TLS close_notify."""
        self._stop_timer()
        with contextlib.suppress(Exception):
            self.writer.transport.abort()

    async def close(self) -> None:
        """Close politely without waiting: the transport flushes what is buffered, then closes
        (TLS: sends close_notify). A peer that has not taken the rest within
        ``CLOSE_TIMEOUT`` seconds is dropped, so a client that stops reading cannot keep a
        closed connection alive."""
        self._stop_timer()
        try:
            self.writer.close()
        except Exception:
            self.abort()
            return
        asyncio.get_running_loop().call_later(CLOSE_TIMEOUT, self.abort)
