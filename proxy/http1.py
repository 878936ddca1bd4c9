"""HTTP/1.1 on a client connection (h11): the adapter between h11 and the exchange driver.

It reads request heads, turns each into a :class:`~proxy.exchange.ClientRequest` and lets the
driver (:mod:`proxy.exchange`) serve it; the driver calls back into this class, as the
:class:`~proxy.exchange.ClientSide` of the exchange, for the body chunks, ``100 Continue``,
the response head and chunks, and an error answer. Keep-alive on both sides when both messages
completed cleanly. A CONNECT on the proxy's own listener is handed back to the caller.

Writes are queued and flushed whenever the handler is about to wait for input, so a head and
the body bytes already at hand leave in one write (one TLS record), while nothing ever sits in
the queue during a wait: streaming is unaffected, and every flush waits for the peer to take
the bytes (backpressure).

An error answer replaces a response head that is still queued; once response bytes were
written, the connection is closed instead (the client sees a cut response, never a complete
one that is wrong).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from typing import cast

import h11

from proxy import h11events
from proxy.accesslog import log
from proxy.errors import ClientError, error_response, safe_reason
from proxy.exchange import BeforeWait, ClientGone, ClientRequest, Driver, RequestEnd
from proxy.h1h2 import HOP_BY_HOP, TE_TRAILERS, forwardable, has_token
from proxy.pipeline import Headers, ResponseHead
from proxy.streams import Peer

__all__ = ["HOP_BY_HOP", "ConnectRequest", "Http1Connection", "forwardable"]


LINGER_SECONDS = 5.0
"""How long the rest of a refused request body is drained before the connection closes."""


class _Idle(Exception):
    """A keep-alive connection saw no new request in time (or the server is stopping)."""


@dataclass
class ConnectRequest:
    """A CONNECT seen on the proxy's own listener: the caller takes the connection over."""

    request: h11.Request
    trailing: bytes
    """Bytes the client sent after the CONNECT head (normally none)."""


def _head_size(request: h11.Request) -> int:
    """The size of a request head on the wire (exact but for optional whitespace)."""
    size = len(request.method) + len(request.target) + 13  # "M T HTTP/1.1\r\n" + "\r\n"
    for name, value in request.headers:
        size += len(name) + len(value) + 4
    return size


def client_request(request: h11.Request, expect_continue: bool) -> tuple[ClientRequest, bool]:
    """The neutral request for an h11 request head, and whether the client takes trailers.

    The head's fields are copied out of h11's ``Headers`` (a slow sequence to iterate) once,
    and framing, size, ``Connection`` and ``TE`` are read from them in one pass."""
    received: Headers = h11events.fields(request.headers)
    content_length: int | None = None
    chunked = False
    trailers = False
    named: set[bytes] = set()
    size = len(request.method) + len(request.target) + 13  # "M T HTTP/1.1\r\n" + "\r\n"
    for name, value in received:
        size += len(name) + len(value) + 4
        if name in HOP_BY_HOP or name == b"content-length":
            if name == b"content-length":
                content_length = int(value)
            elif name == b"transfer-encoding":
                chunked = True
            elif name == b"connection" or name == b"proxy-connection":
                named.update(v.strip().lower() for v in value.split(b","))
            elif name == b"te" and not trailers:
                trailers = has_token(((name, value),), b"te", b"trailers")
    drop = HOP_BY_HOP | named if named else HOP_BY_HOP
    headers = [(n, v) for n, v in received if n not in drop and n != b"expect"]
    if trailers:
        # The one TE that crosses the proxy (it is what HTTP/2 allows end to end).
        headers.append(TE_TRAILERS)
    neutral = ClientRequest(
        method=request.method,
        target=request.target,
        headers=received,
        forward_headers=headers,
        head_size=size,
        content_length=content_length,
        has_body=chunked or bool(content_length),
        expect_continue=expect_continue,
    )
    return neutral, trailers


class Http1Connection:
    """Serves the requests of one client connection until it closes, fails or goes idle; it
    is the :class:`~proxy.exchange.ClientSide` of the exchange in flight."""

    protocol_errors: tuple[type[Exception], ...] = (h11.LocalProtocolError,)

    def __init__(
        self,
        driver: Driver,
        client: Peer,
        *,
        allow_connect: bool,
        draining: asyncio.Event,
    ) -> None:
        self.driver = driver
        self.limits = driver.limits
        self.client = client
        self.allow_connect = allow_connect
        self.draining = draining
        self.conn = h11.Connection(
            h11.SERVER, max_incomplete_event_size=self.limits.max_header_bytes
        )
        self.idle = True
        """True while waiting for a new request; the server may close an idle connection."""
        self._head_deadline: float | None = None
        """When the request head whose first bytes are in must be complete."""
        self._response_started = False
        """The response head was queued: the exchange has produced a response."""
        self.committed = False
        """Bytes of the response (or of an error answer) were written to the client."""
        self._response_at: int | None = None
        # Output is queued and written when the handler is about to wait for input (or at the
        # end of a message): a request head and a small body, or a response head and its
        # first chunk, leave in one write and one TLS record. Nothing waits in the queue
        # while the handler waits, so streamed chunks still go out one by one, at once.
        self._out: list[bytes] = []
        self._trailers = False
        """The client accepts trailers (``TE: trailers``)."""
        self._chunked = False
        """h11 frames the current response as chunked (the only framing with trailers)."""
        self._method = b""

    # -- reading ----------------------------------------------------------------------------

    def _head_too_slow(self) -> ClientError:
        return ClientError(
            f"request head not complete within {self.limits.head_timeout:g} s (--head-timeout)",
            status=408,
        )

    async def _next_event(self, before_wait: BeforeWait | None = None) -> h11.Event:
        conn = self.conn
        while True:
            try:
                event = conn.next_event()
            except h11.RemoteProtocolError as exc:
                status = exc.error_status_hint
                if status == 431:
                    raise ClientError(
                        f"request head larger than --max-header-bytes "
                        f"({self.limits.max_header_bytes} bytes)",
                        status=431,
                    ) from None
                raise ClientError(
                    f"malformed request ({safe_reason(exc)})", status=status
                ) from None
            if event is not h11.NEED_DATA:
                if type(event) is h11.Request:
                    self._head_deadline = None
                # PAUSED, like any event the caller does not expect, is passed on as it is.
                return cast(h11.Event, event)
            in_head = conn.their_state is h11.IDLE
            waiting = in_head and not conn.trailing_data[0]
            self.idle = waiting
            if waiting and self.draining.is_set():
                raise _Idle()
            timeout = self.limits.idle_timeout if waiting else self.limits.read_timeout
            if in_head and not waiting:
                # Part of a head is in: the whole head has a deadline, not each read, so a
                # client trickling a byte every few seconds cannot hold the connection.
                now = time.monotonic()
                if self._head_deadline is None:
                    self._head_deadline = now + self.limits.head_timeout
                timeout = min(timeout, self._head_deadline - now)
                if timeout <= 0:
                    raise self._head_too_slow()
            if before_wait is not None:
                await before_wait()
            await self.flush()
            try:
                data = await self.client.read(timeout)
            except TimeoutError:
                if waiting:
                    raise _Idle() from None
                if in_head and self._head_deadline is not None:
                    raise self._head_too_slow() from None
                raise ClientError(
                    f"client sent nothing for {timeout:g} s in the middle of a request "
                    "(--read-timeout)",
                    status=408,
                ) from None
            except OSError as exc:
                raise ClientGone(f"client went away: {exc}") from None
            finally:
                self.idle = False
            conn.receive_data(data)

    # -- writing ----------------------------------------------------------------------------

    def _send(self, event: h11.Event) -> None:
        """Queue an event for the client (written by the next :meth:`flush`)."""
        data = self.conn.send(event)
        if data:
            self._out.append(data)

    async def flush(self) -> None:
        """Write what is queued for the client, waiting for it to take it."""
        if not self._out:
            return
        data = b"".join(self._out) if len(self._out) > 1 else self._out[0]
        self._out.clear()
        if self._response_started:
            self.committed = True
        try:
            await self.client.write(data)
        except (OSError, TimeoutError) as exc:
            raise ClientGone(f"client went away: {exc or type(exc).__name__}") from None

    async def send_error(self, exc: BaseException) -> None:
        """Answer with the error if no response has started; the connection closes after."""
        if self.committed:
            return
        self.committed = True
        # A response head that is still queued was never seen: the error replaces it. An
        # interim 100 Continue queued before it still goes first.
        keep = self._out if self._response_at is None else self._out[: self._response_at]
        data = b"".join([*keep, error_response(exc).encode()])
        self._out.clear()
        with contextlib.suppress(OSError, TimeoutError):
            await self.client.write(data)

    async def _linger(self) -> None:
        """Read and drop what the client still sends after an early answer, for a moment.

        Closing a socket with unread input makes the kernel send a reset, which can destroy
        the answer before the client reads it (a client that writes its whole body before
        reading would see only "connection reset"). So the rest of the body is drained,
        bounded in time, and then the connection closes.
        """
        deadline = asyncio.get_running_loop().time() + LINGER_SECONDS
        try:
            while True:
                left = deadline - asyncio.get_running_loop().time()
                if left <= 0 or not await self.client.read(min(left, 1.0)):
                    return
        except (OSError, TimeoutError):
            return

    # -- the loop ---------------------------------------------------------------------------

    async def serve(self) -> ConnectRequest | None:
        """Serve requests until the connection ends. A CONNECT (when allowed) is returned to the
        caller, which owns the connection from then on."""
        while True:
            self._response_started = False
            self.committed = False
            self._response_at = None
            try:
                event = await self._next_event()
            except (_Idle, ClientGone):
                return None
            except ClientError as exc:
                log.info("client error before a request: %s", exc.message)
                await self.send_error(exc)
                return None
            if type(event) is h11.ConnectionClosed:
                return None
            assert type(event) is h11.Request
            if event.method == b"CONNECT" and self.allow_connect:
                if _head_size(event) > self.limits.max_header_bytes:
                    await self.send_error(
                        ClientError(
                            f"request head larger than --max-header-bytes "
                            f"({self.limits.max_header_bytes} bytes)",
                            status=431,
                        )
                    )
                    return None
                try:
                    end = await self._next_event()
                except (ClientError, ClientGone, _Idle):
                    return None
                if type(end) is not h11.EndOfMessage:
                    return None
                return ConnectRequest(event, self.conn.trailing_data[0])
            clean = await self._exchange(event)
            # Nothing of the request stays referenced while the connection waits for the next
            # one (an idle keep-alive connection holds only its state machines).
            del event
            if not (
                clean and self.conn.our_state is h11.DONE and self.conn.their_state is h11.DONE
            ):
                if self.committed and self.conn.their_state is h11.SEND_BODY:
                    await self._linger()
                return None
            try:
                self.conn.start_next_cycle()
            except h11.LocalProtocolError:
                return None

    async def _exchange(self, event: h11.Request) -> bool:
        """Serve one request through the driver; True when it completed cleanly."""
        request, self._trailers = client_request(event, self.conn.they_are_waiting_for_100_continue)
        self._method = event.method
        return await self.driver.run(request, self)

    # -- the client side of an exchange (called by the driver) ------------------------------

    def cancel_note(self) -> str:
        return "connection closed"

    async def send_continue(self) -> None:
        if self.conn.they_are_waiting_for_100_continue:
            # Queued: it leaves with the next flush, before the proxy waits for the body.
            self._send(h11.InformationalResponse(status_code=100, headers=[]))

    async def receive(self, before_wait: BeforeWait) -> bytes | RequestEnd:
        event = await self._next_event(before_wait)
        etype = type(event)
        if etype is h11.Data:
            return bytes(cast(h11.Data, event).data)
        if etype is h11.EndOfMessage:
            trailers = cast(h11.EndOfMessage, event).headers
            return RequestEnd(list(trailers) if trailers else [])
        raise ClientError("client closed the connection mid-request")

    def request_done(self) -> None:
        pass

    def start_response(self, head: ResponseHead) -> None:
        self._response_started = True
        self._response_at = len(self._out)
        self._send(h11events.response(head.status, head.headers, head.reason))
        # Only a client that takes trailers needs to know (most never ask for them).
        self._chunked = (
            self._trailers
            and self.conn.their_http_version == b"1.1"
            and self._method != b"HEAD"
            and head.status not in (204, 304)
            and not any(name == b"content-length" for name, _ in head.headers)
        )

    async def send_data(self, data: bytes) -> None:
        self._send(h11.Data(data=data))

    async def end_response(self, trailers: Headers) -> None:
        # Trailers ride only on a chunked response, to a client that asked for them.
        if trailers and self._chunked and self._trailers:
            self._send(h11.EndOfMessage(headers=trailers))
        else:
            self._send(h11events.END)
        await self.flush()
