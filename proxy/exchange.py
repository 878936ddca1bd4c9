"""The life of one request, written once for HTTP/1.1 and HTTP/2: the exchange driver.

:func:`drive` takes a request head that a protocol adapter (:mod:`proxy.http1`,
:mod:`proxy.http2`) has put in the neutral shape of :class:`ClientRequest`, and owns the rest,
in order: the limits on the head → the route → the pipeline exchange (masking) and its head →
an upstream exchange from the pool → ``100 Continue`` if the client waits for it → the request
body through the pipeline to the upstream → the response head and body back through it → the
access-log record. The adapter is the :class:`ClientSide` of one exchange: it turns these calls
into h11 or h2 events and back, and knows nothing of routes, limits or masking.

Failing closed lives here only: when the pipeline refuses, a limit is hit, the client stalls
or anything fails, the upstream exchange is aborted before the request is complete (the
upstream exchange holds back the last byte of a ``Content-Length`` body until the pipeline has
accepted the end), and the client gets one error response from :func:`proxy.errors.error_response`,
or has its exchange cut when its response has already started.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from proxy.accesslog import ExchangeRecord, log
from proxy.config import Limits
from proxy.errors import ClientError, ProxyError, UpstreamError, safe_reason
from proxy.pipeline import Exchange, ExchangeRefused, Headers, Pipeline, RequestHead, ResponseHead
from proxy.routes import Router, upstream_headers
from proxy.status import STATUS_PATH, StatusReport, is_status_request
from proxy.upstream import FramingError, Origin, ResponseEnd, UpstreamExchange

BeforeWait = Callable[[], Awaitable[None]]


async def _nothing() -> None:
    """A :data:`BeforeWait` with nothing to do."""


class ClientGone(Exception):
    """Nobody is left to answer: the client closed, reset the stream or stopped reading.

    The message is the note for the access log."""


class UpstreamPoolLike(Protocol):
    """Where the driver takes upstream exchanges from (:class:`proxy.upstream_pool.UpstreamPool`
    or a guard in front of it)."""

    async def acquire(self, origin: Origin) -> UpstreamExchange: ...


@dataclass(slots=True)
class RequestEnd:
    """The client's request body is complete; ``trailers`` followed it."""

    trailers: Headers


@dataclass(slots=True)
class ClientRequest:
    """A request head as an adapter hands it to the driver.

    ``target`` and ``headers`` are as received (routers read them: ``Proxy-Authorization``,
    absolute-form targets); ``forward_headers`` are what may go upstream (neutral shape:
    lower-case names, ``host``, no hop-by-hop fields, no ``Expect``)."""

    method: bytes
    target: bytes
    headers: Headers
    forward_headers: Headers
    head_size: int
    """The head's size as the protocol counts it, against ``--max-header-bytes``."""
    content_length: int | None
    has_body: bool
    """Body bytes (or trailers) may follow the head."""
    expect_continue: bool
    """The client waits for ``100 Continue`` before sending its body."""


class ClientSide(Protocol):
    """The client end of one exchange, as a protocol adapter provides it."""

    committed: bool
    """Bytes of the response reached the client: an error can no longer replace it."""

    protocol_errors: tuple[type[Exception], ...]
    """The protocol library's exceptions for our own misuse of it (a framing bug)."""

    def cancel_note(self) -> str:
        """What the log says when the exchange was cancelled (stream reset, server stop)."""
        ...

    async def send_continue(self) -> None:
        """Send ``100 Continue`` (it may be queued until the adapter next waits)."""
        ...

    async def receive(self, before_wait: BeforeWait) -> bytes | RequestEnd:
        """The next request body chunk or the end. ``before_wait`` runs whenever the adapter
        is about to wait for the client; after it, the adapter may give the client room for
        what was passed on (HTTP/2 flow control). Raises :class:`ClientError` (timeout,
        early close) or :class:`ClientGone`."""
        ...

    def request_done(self) -> None:
        """The request body was passed on whole (HTTP/2: acknowledge what is left)."""
        ...

    def start_response(self, head: ResponseHead) -> None:
        """Queue the response head; until it is written an error can still replace it."""
        ...

    async def send_data(self, data: bytes) -> None:
        """Send (or queue) a response body chunk."""
        ...

    async def flush(self) -> None:
        """Write what is queued for the client and wait until it took it."""
        ...

    async def end_response(self, trailers: Headers) -> None:
        """End the response (with trailers where the client takes them) and write it out."""
        ...

    async def send_error(self, exc: BaseException) -> None:
        """Answer with the error if nothing of a response was written, else cut the exchange."""
        ...


class Driver:
    """What every exchange of one client connection shares: limits, router, pipeline, pool."""

    __slots__ = ("limits", "router", "pipeline", "pool", "on_exchange", "status")

    def __init__(
        self,
        limits: Limits,
        router: Router,
        pipeline: Pipeline,
        pool: UpstreamPoolLike,
        on_exchange: Callable[[ExchangeRecord], None] | None = None,
        status: StatusReport | None = None,
    ) -> None:
        self.limits = limits
        self.router = router
        self.pipeline = pipeline
        self.pool = pool
        self.on_exchange = on_exchange
        """Called with each finished exchange's record (counters); never with values."""
        self.status = status
        """Answers the status canary inside intercepted hosts (:mod:`proxy.status`)."""

    async def run(self, request: ClientRequest, client: ClientSide) -> bool:
        """Serve one request; True when it completed cleanly both ways (the adapter may then
        serve another on the same connection)."""
        rec = ExchangeRecord(
            method=request.method.decode("ascii", "replace"), host="-", path="-", mode="-"
        )
        up: UpstreamExchange | None = None
        exchange: Exchange | None = None
        canary = False
        try:
            self._check_head(request)
            route = self.router(request)
            rec.host, rec.mode = route.host, route.mode
            if (
                route.pipeline
                and self.status is not None
                and not request.has_body
                and is_status_request(request.method, request.target)
            ):
                canary = True
                await self._answer_status(self.status, client, rec)
                return True
            limited = route.pipeline
            length = request.content_length
            max_body = self.limits.max_body_bytes
            if limited and length is not None and length > max_body:
                raise ClientError(
                    f"request body of {length} bytes is larger than --max-body-bytes ({max_body})",
                    status=413,
                )
            head = RequestHead(request.method, route.target, request.forward_headers, route.host)
            exchange = self.pipeline.open_exchange(head) if limited else Exchange()
            head = exchange.request_head(head)
            # Connect only once the exchange accepted the head: a refused request never
            # reaches the upstream at all.
            up = await self.pool.acquire(route.origin)
            up.send_head(
                head.method,
                head.target,
                upstream_headers(head.headers, route),
                body=request.has_body,
            )
            if request.expect_continue and request.has_body:
                # Only now: limits passed and the upstream is reachable, so a client that
                # waits for it never uploads a body that would be refused.
                await client.send_continue()
            await self._request_body(request, client, up, exchange, limited, rec)
            await self._response(client, up, exchange, rec, request.method)
            up.release()
            up = None
            return True
        except (ProxyError, ExchangeRefused) as exc:
            if not client.committed or not rec.status:
                rec.status = exc.status
            rec.note = exc.message
            await client.send_error(exc)
        except ClientGone as exc:
            rec.note = str(exc)
        except asyncio.CancelledError:
            # The stream was reset or the server stops: recorded, then the task ends.
            rec.note = client.cancel_note()
            raise
        except Exception as exc:
            if isinstance(exc, (FramingError, *client.protocol_errors)):
                # Our own misuse of the protocol, e.g. an exchange that changed a body's
                # length while keeping its Content-Length.
                log.error("protocol error on %s %s: %s", rec.method, rec.host, safe_reason(exc))
                rec.note = "internal error: HTTP framing"
            else:
                # The pipeline (the masking engine) failed in a way it did not declare. Fail
                # closed like a refusal; the exception text is not logged (it could quote a
                # value).
                log.error("exchange failed on %s %s: %s", rec.method, rec.host, type(exc).__name__)
                rec.note = f"internal error: {type(exc).__name__}"
            err = ProxyError("internal error; the request was not completed upstream")
            if not client.committed:
                rec.status = err.status
            await client.send_error(err)
        finally:
            if up is not None:
                up.abort()
            if exchange is not None:
                stats = exchange.stats
                rec.masked = stats.masked
                rec.path = stats.path
                if stats.note and not rec.note:
                    rec.note = stats.note
            rec.emit()
            if self.on_exchange is not None and not canary:
                self.on_exchange(rec)
        return False

    async def _answer_status(
        self, status: StatusReport, client: ClientSide, rec: ExchangeRecord
    ) -> None:
        """The proxy's own answer to the status canary; nothing is forwarded."""
        item = await client.receive(_nothing)
        if type(item) is not RequestEnd:
            raise ClientError("the status request has no body")
        body = status.json_body()
        head = ResponseHead(
            200,
            [
                (b"content-type", b"application/json"),
                (b"content-length", b"%d" % len(body)),
                (b"cache-control", b"no-store"),
            ],
            b"OK",
        )
        rec.path = STATUS_PATH.decode("ascii")
        rec.status = 200
        client.start_response(head)
        rec.bytes_down = len(body)
        await client.send_data(body)
        await client.end_response([])

    def _check_head(self, request: ClientRequest) -> None:
        """The limits and refusals that depend on the head alone."""
        limit = self.limits.max_header_bytes
        if request.head_size > limit:
            raise ClientError(
                f"request head larger than --max-header-bytes ({limit} bytes)", status=431
            )
        if request.method == b"CONNECT":
            raise ClientError("CONNECT is not supported on this connection", status=405)
        length = chunked = upgrade = False
        for name, _ in request.headers:
            if name == b"content-length":
                length = True
            elif name == b"transfer-encoding":
                chunked = True
            elif name == b"upgrade":
                upgrade = True
        if length and chunked:
            # RFC 9112 6.1: a request with both is an attempt to smuggle, or broken.
            raise ClientError(
                "a request with both Content-Length and Transfer-Encoding is refused",
                status=400,
            )
        if upgrade:
            raise ClientError("protocol upgrades (WebSocket, h2c) are not supported", status=501)

    async def _request_body(
        self,
        request: ClientRequest,
        client: ClientSide,
        up: UpstreamExchange,
        exchange: Exchange,
        limited: bool,
        rec: ExchangeRecord,
    ) -> None:
        """Stream the request body from the client, through the exchange, to the upstream."""
        limit = self.limits.max_body_bytes
        received = 0
        flush = up.flush
        while True:
            item = await client.receive(flush)
            if type(item) is bytes:
                received += len(item)
                if limited and received > limit:
                    raise ClientError(
                        f"request body larger than --max-body-bytes ({limit})", status=413
                    )
                out = exchange.request_data(item)
                if out:
                    rec.bytes_up += len(out)
                    # The upstream exchange holds back the byte that would complete a
                    # Content-Length body until send_end (fail closed).
                    up.send_data(out)
                continue
            assert type(item) is RequestEnd
            tail = exchange.request_end()
            if tail:
                if not request.has_body:
                    raise FramingError("the exchange added a body to a request without one")
                rec.bytes_up += len(tail)
            up.send_end(item.trailers, tail)
            await up.flush()
            client.request_done()
            exchange.request_sent()
            return

    async def _response(
        self,
        client: ClientSide,
        up: UpstreamExchange,
        exchange: Exchange,
        rec: ExchangeRecord,
        method: bytes,
    ) -> None:
        """Pass the response head and body through the exchange to the client, each chunk as
        soon as the proxy is about to wait for more (SSE events are never held back).

        When the upstream gave the body's length and the exchange dropped it (a restored body
        may differ in length), the head is held until the proxy either waits for the upstream
        (the head then goes out without a length: chunked on HTTP/1.1) or has the whole
        body: then it goes out with the length of exactly the bytes that follow."""
        event = await up.next_event(client.flush)
        if type(event) is not ResponseHead:
            raise UpstreamError(f"upstream {up.origin.host}: no response head")
        sized = _has_length(event.headers)
        head = exchange.response_head(event)
        rec.status = head.status
        held: list[bytes] | None = None
        if (
            sized
            and method != b"HEAD"
            and head.status not in _NO_BODY
            and not _has_length(head.headers)
        ):
            held = []
        else:
            client.start_response(head)

        async def flush_then_ack() -> None:
            # What is queued for the client is written before the proxy waits for more; only
            # once the client has taken it may an HTTP/2 upstream send more (backpressure).
            nonlocal held
            if held is not None:
                client.start_response(head)
                for chunk in held:
                    await client.send_data(chunk)
                held = None
            await client.flush()
            up.taken()

        down = 0
        while True:
            event = await up.next_event(flush_then_ack)
            if type(event) is bytes:
                data = exchange.response_data(event)
                if data:
                    down += len(data)
                    rec.bytes_down = down
                    if held is not None:
                        held.append(data)
                    else:
                        await client.send_data(data)
                continue
            assert type(event) is ResponseEnd
            tail = exchange.response_end()
            if tail:
                down += len(tail)
                rec.bytes_down = down
                if held is not None:
                    held.append(tail)
                else:
                    await client.send_data(tail)
            if held is not None:
                if not event.trailers:
                    # The whole body is at hand: its length is known exactly.
                    head.headers.append((b"content-length", b"%d" % down))
                client.start_response(head)
                if held:
                    await client.send_data(b"".join(held) if len(held) > 1 else held[0])
            await client.end_response(event.trailers)
            return


_NO_BODY = frozenset({204, 304})
"""Statuses whose responses never have a body (nor a length to give it)."""


def _has_length(headers: Headers) -> bool:
    """The head gives the body's length (``Content-Length``)."""
    for name, _ in headers:  # noqa: SIM110 - a loop: no generator made per call
        if name == b"content-length":
            return True
    return False
