"""HTTP/1.1 on a client connection (h11), driving one pipeline exchange per request.

The path of a request, in order: the request head arrives → the router says where it goes →
the exchange rewrites the head → an upstream exchange is taken from the pool (HTTP/1.1 or
HTTP/2, whichever the upstream chose; :mod:`proxy.upstream`) and gets the head →
``100 Continue`` if the client waits for it → each body chunk goes through the exchange and
upstream as it arrives → the response head comes back through the exchange → each response
chunk goes through the exchange and to the client at once (so SSE events are never held) →
keep-alive on both sides when both messages completed cleanly.

Writes are queued and flushed whenever the handler is about to wait for input, so a head and
the body bytes already at hand leave in one write (one TLS record), while nothing ever sits in
the queue during a wait: streaming is unaffected, and every flush waits for the peer to take
the bytes (backpressure).

Failing closed: when the exchange refuses, a limit is hit or the client stalls, the upstream
connection is dropped without finishing the request (for a ``Content-Length`` body the last
byte is held back until the exchange has accepted the end, so the upstream can never have seen
a complete request), and the client gets one error response, or is disconnected when its
response has already started.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass

import h11

from proxy.accesslog import ExchangeRecord, log
from proxy.errors import ClientError, ProxyError, UpstreamError, error_response, safe_reason
from proxy.h1h2 import HOP_BY_HOP, TE_TRAILERS, forwardable, has_token
from proxy.pipeline import Exchange, ExchangeRefused, RequestHead, ResponseHead
from proxy.routes import Route, Router, upstream_headers
from proxy.runtime import Runtime
from proxy.streams import Peer
from proxy.upstream import FramingError, ResponseEnd, UpstreamExchange

__all__ = ["HOP_BY_HOP", "ConnectRequest", "Http1Connection", "forwardable"]


LINGER_SECONDS = 5.0
"""How long the rest of a refused request body is drained before the connection closes."""


class _ClientGone(Exception):
    """The client closed, reset or stopped reading; there is nobody left to answer."""


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


class Http1Connection:
    """Serves the requests of one client connection until it closes, fails or goes idle."""

    def __init__(
        self,
        runtime: Runtime,
        client: Peer,
        router: Router,
        *,
        allow_connect: bool,
        draining: asyncio.Event,
    ) -> None:
        self.runtime = runtime
        self.limits = runtime.config.limits
        self.client = client
        self.router = router
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
        self._response_sent = False
        """Bytes of the response (or of an error answer) were written to the client."""
        self._response_at: int | None = None
        # Output is queued and written when the handler is about to wait for input (or at the
        # end of a message): a request head and a small body, or a response head and its
        # first chunk, leave in one write and one TLS record. Nothing waits in the queue
        # while the handler waits, so streamed chunks still go out one by one, at once.
        self._out: list[bytes] = []
        self._up: UpstreamExchange | None = None
        self._trailers = False
        """The client accepts trailers (``TE: trailers``)."""

    # -- client side ------------------------------------------------------------------------

    def _head_too_slow(self) -> ClientError:
        return ClientError(
            f"request head not complete within {self.limits.head_timeout:g} s (--head-timeout)",
            status=408,
        )

    async def _next_event(self) -> h11.Event:
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
                return event
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
            await self._flush()
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
                raise _ClientGone(str(exc)) from None
            finally:
                self.idle = False
            conn.receive_data(data)

    def _send(self, event: h11.Event) -> None:
        """Queue an event for the client (written by the next :meth:`_flush`)."""
        data = self.conn.send(event)
        if data:
            self._out.append(data)

    async def _flush_client(self) -> None:
        if not self._out:
            return
        data = b"".join(self._out) if len(self._out) > 1 else self._out[0]
        self._out.clear()
        if self._response_started:
            self._response_sent = True
        try:
            await self.client.write(data)
        except (OSError, TimeoutError) as exc:
            raise _ClientGone(str(exc) or type(exc).__name__) from None

    async def _flush(self) -> None:
        """Write what is queued for the upstream and the client, waiting for each to take it."""
        if self._up is not None:
            await self._up.flush()
        await self._flush_client()

    async def _send_error(self, exc: BaseException) -> None:
        """Answer with the error if no response has started; the connection closes after."""
        if self._response_sent:
            return
        self._response_sent = True
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
            self._response_sent = False
            self._response_at = None
            try:
                event = await self._next_event()
            except _Idle:
                return None
            except _ClientGone:
                return None
            except ClientError as exc:
                log.info("client error before a request: %s", exc.message)
                await self._send_error(exc)
                return None
            if type(event) is h11.ConnectionClosed:
                return None
            assert type(event) is h11.Request
            if _head_size(event) > self.limits.max_header_bytes:
                # h11's own bound only sees a head that arrives in pieces; one that came in a
                # single read is measured here.
                await self._send_error(
                    ClientError(
                        f"request head larger than --max-header-bytes "
                        f"({self.limits.max_header_bytes} bytes)",
                        status=431,
                    )
                )
                return None
            if event.method == b"CONNECT" and self.allow_connect:
                try:
                    end = await self._next_event()
                except (ClientError, _ClientGone, _Idle):
                    return None
                if type(end) is not h11.EndOfMessage:
                    return None
                return ConnectRequest(event, self.conn.trailing_data[0])
            if not await self._exchange(event):
                if self._response_sent and self.conn.their_state is h11.SEND_BODY:
                    await self._linger()
                return None
            try:
                self.conn.start_next_cycle()
            except h11.LocalProtocolError:
                return None

    async def _exchange(self, request: h11.Request) -> bool:
        """Serve one request; True when the connection can take another."""
        rec = ExchangeRecord(
            method=request.method.decode("ascii", "replace"), host="-", path="-", mode="-"
        )
        up: UpstreamExchange | None = None
        exchange: Exchange | None = None
        self._up = None
        try:
            if request.method == b"CONNECT":
                raise ClientError("CONNECT is not supported on this connection", status=405)
            names = {name for name, _ in request.headers}
            if b"content-length" in names and b"transfer-encoding" in names:
                # RFC 9112 6.1: a request with both is an attempt to smuggle, or broken.
                raise ClientError(
                    "a request with both Content-Length and Transfer-Encoding is refused",
                    status=400,
                )
            if b"upgrade" in names:
                raise ClientError(
                    "protocol upgrades (WebSocket, h2c) are not supported", status=501
                )
            route = self.router(request)
            rec.host, rec.mode = route.host, route.mode
            up, exchange = await self._forward_request(request, route, rec)
            keep = await self._forward_response(request, up, exchange, rec)
            up.release()
            up = None
            return keep and self.conn.our_state is h11.DONE and self.conn.their_state is h11.DONE
        except (ProxyError, ExchangeRefused) as exc:
            status = exc.status
            message = exc.message
            rec.status = rec.status or status
            if not self._response_sent:
                rec.status = status
            rec.note = message
            await self._send_error(exc)
            return False
        except _ClientGone as exc:
            rec.note = f"client went away: {exc}"
            return False
        except (h11.LocalProtocolError, FramingError) as exc:
            # Our own misuse of the protocol, e.g. an exchange that changed a body's length
            # while keeping its Content-Length.
            log.error("protocol error on %s %s: %s", rec.method, rec.host, safe_reason(exc))
            rec.note = "internal error: HTTP framing"
            await self._fail_internal(rec)
            return False
        except Exception as exc:
            # An exchange (the masking engine) failed in a way it did not declare. Fail
            # closed like a refusal: the upstream is dropped mid-request (finally, below) and
            # the client gets a 500. The exception text is not logged: it could quote a value.
            log.error("exchange failed on %s %s: %s", rec.method, rec.host, type(exc).__name__)
            rec.note = f"internal error: {type(exc).__name__}"
            await self._fail_internal(rec)
            return False
        finally:
            if up is not None:
                up.abort()
            self._up = None
            if exchange is not None:
                rec.masked = exchange.stats.masked
                rec.path = exchange.stats.path
                if exchange.stats.note and not rec.note:
                    rec.note = exchange.stats.note
            rec.emit()

    async def _fail_internal(self, rec: ExchangeRecord) -> None:
        err = ProxyError("internal error; the request was not completed upstream")
        if not self._response_sent:
            rec.status = err.status
        await self._send_error(err)

    async def _forward_request(
        self, request: h11.Request, route: Route, rec: ExchangeRecord
    ) -> tuple[UpstreamExchange, Exchange]:
        limits = self.limits
        content_length: int | None = None
        chunked = False
        for name, value in request.headers:
            if name == b"content-length":
                content_length = int(value)
            elif name == b"transfer-encoding":
                chunked = True
        if route.pipeline and content_length is not None and content_length > limits.max_body_bytes:
            raise ClientError(
                f"request body of {content_length} bytes is larger than --max-body-bytes "
                f"({limits.max_body_bytes})",
                status=413,
            )
        headers = [(n, v) for n, v in forwardable(request.headers) if n != b"expect"]
        self._trailers = has_token(request.headers, b"te", b"trailers")
        if self._trailers:
            # The one TE that crosses the proxy (it is what HTTP/2 allows end to end).
            headers.append(TE_TRAILERS)
        head = RequestHead(request.method, route.target, headers, route.host)
        exchange = self.runtime.pipeline.open_exchange(head) if route.pipeline else Exchange()
        head = exchange.request_head(head)
        out = upstream_headers(head.headers, route)
        # Connect only once the exchange accepted the head: a refused request never reaches
        # the upstream at all.
        up = await self.runtime.pool.acquire(route.origin)
        self._up = up
        try:
            up.send_head(head.method, head.target, out, body=chunked or bool(content_length))
            if self.conn.they_are_waiting_for_100_continue:
                # Only now: limits passed and the upstream is reachable, so a client that
                # waits for it never uploads a body that would be refused.
                self._send(h11.InformationalResponse(status_code=100, headers=[]))
            await _BodyForwarder(self, up, exchange, route.pipeline, rec).run()
        except BaseException:
            up.abort()
            raise
        return up, exchange

    async def _forward_response(
        self,
        request: h11.Request,
        up: UpstreamExchange,
        exchange: Exchange,
        rec: ExchangeRecord,
    ) -> bool:
        event = await up.next_event(self._flush_client)
        if type(event) is not ResponseHead:
            raise UpstreamError(f"upstream {up.origin.host}: no response head")
        head = exchange.response_head(event)
        rec.status = head.status
        self._response_started = True
        self._response_at = len(self._out)
        self._send(h11.Response(status_code=head.status, headers=head.headers, reason=head.reason))
        # Whether h11 frames this response as chunked, the only framing that carries trailers.
        chunked = (
            self.conn.their_http_version == b"1.1"
            and request.method != b"HEAD"
            and head.status not in (204, 304)
            and not any(name == b"content-length" for name, _ in head.headers)
        )

        async def flush_then_ack() -> None:
            # Chunks queued for the client are written before the proxy waits for more; only
            # once the client has taken them may an HTTP/2 upstream send more (backpressure).
            await self._flush_client()
            up.taken()

        down = 0
        while True:
            event = await up.next_event(flush_then_ack)
            if type(event) is bytes:
                data = exchange.response_data(event)
                if data:
                    down += len(data)
                    self._send(h11.Data(data=data))
                rec.bytes_down = down
                continue
            assert type(event) is ResponseEnd
            tail = exchange.response_end()
            if tail:
                down += len(tail)
                self._send(h11.Data(data=tail))
            # Trailers ride only on a chunked response, to a client that asked for them.
            trailers = event.trailers if chunked and self._trailers else []
            self._send(h11.EndOfMessage(headers=trailers))
            await self._flush_client()
            break
        rec.bytes_down = down
        return True


class _BodyForwarder:
    """Streams the request body from the client, through the exchange, to the upstream."""

    __slots__ = ("http", "up", "exchange", "limited", "rec")

    def __init__(
        self,
        http: Http1Connection,
        up: UpstreamExchange,
        exchange: Exchange,
        limited: bool,
        rec: ExchangeRecord,
    ) -> None:
        self.http = http
        self.up = up
        self.exchange = exchange
        self.limited = limited
        self.rec = rec

    async def run(self) -> None:
        http = self.http
        up = self.up
        limit = http.limits.max_body_bytes
        received = 0
        while True:
            event = await http._next_event()
            etype = type(event)
            if etype is h11.Data:
                received += len(event.data)
                if self.limited and received > limit:
                    raise ClientError(
                        f"request body larger than --max-body-bytes ({limit})", status=413
                    )
                out = self.exchange.request_data(bytes(event.data))
                if out:
                    self.rec.bytes_up += len(out)
                    # The upstream exchange holds back the byte that would complete a
                    # Content-Length body until send_end (fail closed).
                    up.send_data(out)
            elif etype is h11.EndOfMessage:
                tail = self.exchange.request_end()
                if tail:
                    self.rec.bytes_up += len(tail)
                    up.send_data(tail)
                up.send_end(list(event.headers))
                return
            else:
                raise ClientError("client closed the connection mid-request")
