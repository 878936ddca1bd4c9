"""Upstream exchanges: dialling (with ``--connect-to``), verified TLS, and one request/response
on an upstream connection behind a protocol-neutral interface.

A connection handler (HTTP/1.1 or HTTP/2 towards the client) drives an
:class:`UpstreamExchange` the same way whichever protocol the upstream negotiated: queue the
head and body chunks, :meth:`~UpstreamExchange.flush` them (which waits until the upstream has
taken them: backpressure), then read the response as events. :class:`H1UpstreamExchange`
(here) speaks HTTP/1.1 with h11 on a connection of its own; the HTTP/2 one multiplexes streams
over a shared connection (:mod:`proxy.upstream_h2`). :mod:`proxy.upstream_pool` decides which.

Failing closed lives in the base class: for a body with ``Content-Length`` the last byte is
held back until :meth:`~UpstreamExchange.send_end`, so an exchange that is aborted before
then can never have delivered a complete request.

Every failure to reach an upstream becomes an :class:`~proxy.errors.UpstreamError` whose
message says what failed (DNS, refused, TLS verification, timeout); nothing is retried, so
a request body is never sent twice and never sent to an upstream that failed verification.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import h11

from proxy import h11events
from proxy.config import ConnectTo
from proxy.errors import UpstreamError
from proxy.h1h2 import forwardable, header_value, trailer_fields
from proxy.pipeline import Headers, ResponseHead
from proxy.streams import Peer, connect
from proxy.upstream_proxy import UpstreamProxy


def read_timeout_error(host: str, timeout: float, response_started: bool) -> UpstreamError:
    """The 504 for an upstream that went quiet for ``--read-timeout``, before or during its
    response (HTTP/1.1 and HTTP/2 upstreams say the same)."""
    if response_started:
        what = f"stalled mid-response for {timeout:g} s"
    else:
        what = f"sent no response within {timeout:g} s"
    return UpstreamError(f"upstream {host} {what} (--read-timeout)", status=504)


@dataclass(frozen=True)
class Origin:
    """Where requests go: scheme ('https' or 'http'), host name, port."""

    scheme: str
    host: str
    port: int

    @property
    def authority(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"

    def __str__(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"


def dial_address(host: str, port: int, connect_to: Sequence[ConnectTo]) -> tuple[str, int]:
    """The address to dial for ``host:port``: the first matching ``--connect-to``, else itself."""
    for rule in connect_to:
        target = rule.apply(host, port)
        if target is not None:
            return target
    return host, port


async def open_connection(
    host: str,
    port: int,
    *,
    tls: ssl.SSLContext | None,
    connect_to: Sequence[ConnectTo],
    timeout: float,
    write_timeout: float,
    via: UpstreamProxy | None = None,
) -> Peer:
    """Dial ``host:port`` (through ``--connect-to``, and ``via`` an ``--upstream-proxy``) and,
    with ``tls``, verify it as ``host``."""
    dial_host, dial_port = dial_address(host, port, connect_to)
    where = (
        f"{host}:{port}"
        if (dial_host, dial_port) == (host, port)
        else (f"{host}:{port} (via {dial_host}:{dial_port})")
    )
    try:
        async with asyncio.timeout(timeout):
            if via is not None:
                return await via.open(
                    dial_host,
                    dial_port,
                    tls=tls,
                    server_hostname=host,
                    timeout=timeout,
                    write_timeout=write_timeout,
                )
            return await connect(
                dial_host,
                dial_port,
                write_timeout=write_timeout,
                tls=tls,
                server_hostname=host,
                handshake_timeout=timeout,
            )
    except TimeoutError:
        raise UpstreamError(
            f"upstream {where}: connect timed out after {timeout:g} s", status=504
        ) from None
    except ssl.SSLCertVerificationError as exc:
        reason = exc.verify_message or exc.reason or str(exc)
        raise UpstreamError(
            f"upstream {where}: TLS certificate verification failed: {reason}"
        ) from None
    except ssl.SSLError as exc:
        reason = exc.reason or str(exc)
        raise UpstreamError(f"upstream {where}: TLS handshake failed: {reason}") from None
    except socket.gaierror as exc:
        raise UpstreamError(f"upstream {where}: DNS lookup failed: {exc.strerror}") from None
    except ConnectionRefusedError:
        raise UpstreamError(f"upstream {where}: connection refused") from None
    except OSError as exc:
        raise UpstreamError(f"upstream {where}: connect failed: {exc.strerror or exc}") from None


@dataclass
class ResponseEnd:
    """The response is complete; ``trailers`` are the fields that followed its body."""

    trailers: Headers


UpstreamEvent = ResponseHead | bytes | ResponseEnd
"""What :meth:`UpstreamExchange.next_event` returns: the final response head (interim 1xx
responses are per hop and skipped), a body chunk, or the end."""

BeforeWait = Callable[[], Awaitable[None]]


class FramingError(Exception):
    """The body sent does not match the request's own ``Content-Length`` (our bug, not the
    peer's): the exchange is aborted like a refusal."""


class UpstreamExchange:
    """One request and its response on an upstream connection.

    Sending is queued (:meth:`send_head`, :meth:`send_data`, :meth:`send_end`) and pushed out
    by :meth:`flush`, which returns once the upstream has taken the bytes (transport drained,
    HTTP/2 flow-control window granted). The response comes from :meth:`next_event`; after
    the caller has passed a body chunk on and the other side has taken it, it calls
    :meth:`taken`, which is when an HTTP/2 upstream is allowed to send more.

    At the end exactly one of :meth:`release` (the exchange completed cleanly) or
    :meth:`abort` (anything else: the request is cut off, never completed) is called.
    """

    protocol = ""
    """``"http/1.1"`` or ``"h2"``."""

    def __init__(self, origin: Origin, *, reused: bool) -> None:
        self.origin = origin
        self.reused = reused
        """The connection served an exchange before (its failure may be a stale keep-alive)."""
        self._remaining: int | None = None
        self._held = b""

    # -- the interface ----------------------------------------------------------------------

    def send_head(self, method: bytes, target: bytes, headers: Headers, *, body: bool) -> None:
        """Queue the request head. ``headers`` are neutral (HTTP/1.1 style, with ``host``);
        ``body`` says whether body bytes or trailers may follow (else the request ends here)."""
        length = header_value(headers, b"content-length")
        self._remaining = int(length) if length is not None else None
        self._send_head(method, target, headers, body=body)

    def send_data(self, data: bytes) -> None:
        """Queue body bytes. With ``Content-Length``, the byte that would complete the body is
        held back until :meth:`send_end` (fail closed: the upstream never sees a complete
        request unless the exchange accepted its end)."""
        if self._held:
            data = self._held + data
            self._held = b""
        remaining = self._remaining
        if remaining is not None:
            if len(data) > remaining:
                raise FramingError("request body longer than its Content-Length")
            if len(data) == remaining > 0:
                data, self._held = data[:-1], data[-1:]
            self._remaining = remaining - len(data)
        if data:
            self._send_data(data)

    def send_end(self, trailers: Headers = (), last: bytes = b"") -> None:  # type: ignore[assignment]
        """Queue ``last`` body bytes, then the end of the request (with trailers, where the
        framing can carry them): the end is accepted, so nothing is held back any more, and
        a body passed whole here goes out as one piece."""
        data = self._held + last if self._held else last
        self._held = b""
        if data:
            remaining = self._remaining
            if remaining is not None:
                if len(data) > remaining:
                    raise FramingError("request body longer than its Content-Length")
                self._remaining = remaining - len(data)
            self._send_data(data)
        if self._remaining:
            raise FramingError("request body shorter than its Content-Length")
        self._send_end(trailer_fields(trailers))

    async def flush(self) -> None:
        """Push what is queued and wait until the upstream has taken it."""
        raise NotImplementedError

    async def next_event(self, before_wait: BeforeWait | None = None) -> UpstreamEvent:
        """The next response event. ``before_wait`` runs whenever the call is about to wait
        for the network, so the caller can flush its own queued output first."""
        raise NotImplementedError

    def taken(self) -> None:
        """Every body chunk returned so far has been taken by the other side."""

    def release(self) -> None:
        """The exchange completed; the connection may serve another."""
        raise NotImplementedError

    def abort(self) -> None:
        """Cut the exchange off: the request is never completed upstream."""
        raise NotImplementedError

    # -- per protocol ----------------------------------------------------------------------

    def _send_head(self, method: bytes, target: bytes, headers: Headers, *, body: bool) -> None:
        raise NotImplementedError

    def _send_data(self, data: bytes) -> None:
        raise NotImplementedError

    def _send_end(self, trailers: Headers) -> None:
        raise NotImplementedError


class UpstreamConnection:
    """One upstream connection and its HTTP/1.1 client state machine."""

    __slots__ = ("origin", "peer", "h11", "idle_since", "reused")

    def __init__(self, origin: Origin, peer: Peer) -> None:
        self.origin = origin
        self.peer = peer
        self.h11 = h11.Connection(h11.CLIENT)
        self.idle_since = 0.0
        self.reused = False

    def reusable(self) -> bool:
        return (
            self.h11.our_state is h11.DONE
            and self.h11.their_state is h11.DONE
            and not self.peer.closed()
        )


class H1UpstreamExchange(UpstreamExchange):
    """An exchange on an HTTP/1.1 upstream connection of its own (h11).

    Backpressure is the socket's: :meth:`flush` waits for the transport to drain, and nothing
    is read from the upstream until the caller asks for the next event, so a slow client
    leaves the response in the upstream's socket buffers.
    """

    protocol = "http/1.1"

    def __init__(
        self,
        conn: UpstreamConnection,
        on_release: Callable[[UpstreamConnection], None],
        read_timeout: float,
    ) -> None:
        super().__init__(conn.origin, reused=conn.reused)
        self.conn = conn
        self.on_release = on_release
        """Takes the connection back after a complete exchange (the pool's ``release``)."""
        self.read_timeout = read_timeout
        self._out: list[bytes] = []
        self._chunked = False
        self._response_started = False

    @property
    def peer(self) -> Peer:
        return self.conn.peer

    def _queue(self, event: h11.Event) -> None:
        data = self.conn.h11.send(event)
        if data:
            self._out.append(data)

    def _send_head(self, method: bytes, target: bytes, headers: Headers, *, body: bool) -> None:
        out = forwardable(headers)
        if body and self._remaining is None:
            # h11 frames a request by its headers; a body without Content-Length is chunked.
            out.append((b"transfer-encoding", b"chunked"))
            self._chunked = True
        self._queue(h11events.request(method, target, out))

    def _send_data(self, data: bytes) -> None:
        self._queue(h11.Data(data=data))

    def _send_end(self, trailers: Headers) -> None:
        # Only chunked framing can carry trailers; with Content-Length they are dropped, as
        # a recipient may do (RFC 9110 6.5.1).
        if trailers and self._chunked:
            self._queue(h11.EndOfMessage(headers=trailers))
        else:
            self._queue(h11events.END)

    async def flush(self) -> None:
        if not self._out:
            return
        data = b"".join(self._out) if len(self._out) > 1 else self._out[0]
        self._out.clear()
        peer = self.conn.peer
        try:
            await peer.write(data)
        except TimeoutError:
            raise UpstreamError(
                f"upstream {self.origin.host} stopped taking the request for "
                f"{peer.write_timeout:g} s",
                status=504,
            ) from None
        except OSError as exc:
            raise UpstreamError(
                f"upstream {self.origin.host} closed the connection while receiving the "
                f"request: {exc.strerror or exc}"
            ) from None

    async def next_event(self, before_wait: BeforeWait | None = None) -> UpstreamEvent:
        conn = self.conn
        host = self.origin.host
        while True:
            try:
                event = conn.h11.next_event()
            except h11.RemoteProtocolError as exc:
                where = "mid-response" if self._response_started else "before a response"
                raise UpstreamError(f"upstream {host} broke the protocol {where}: {exc}") from None
            etype = type(event)
            if etype is h11.Data:
                return bytes(event.data)  # type: ignore[union-attr]
            if etype is h11.Response:
                self._response_started = True
                return ResponseHead(
                    event.status_code,  # type: ignore[union-attr]
                    forwardable(h11events.fields(event.headers)),  # type: ignore[union-attr]
                    event.reason,  # type: ignore[union-attr]
                )
            if etype is h11.EndOfMessage:
                trailers = event.headers  # type: ignore[union-attr]
                # Nearly always none: h11's empty Headers is not iterated then.
                return ResponseEnd(trailer_fields(trailers) if trailers else [])
            if etype is h11.InformationalResponse:
                # 1xx (100 Continue, 103 Early Hints) are per hop; the final response follows.
                continue
            if event is not h11.NEED_DATA:
                if self._response_started:
                    raise UpstreamError(f"upstream {host} closed mid-response")
                raise UpstreamError(f"upstream {host}: unexpected {etype.__name__}")
            await self.flush()
            if before_wait is not None:
                await before_wait()
            await self._receive()

    async def _receive(self) -> None:
        conn = self.conn
        host = self.origin.host
        timeout = self.read_timeout
        try:
            data = await conn.peer.read(timeout)
        except TimeoutError:
            raise read_timeout_error(host, timeout, self._response_started) from None
        except OSError as exc:
            raise UpstreamError(
                f"upstream {host} connection failed: {exc.strerror or exc}"
            ) from None
        if not data and conn.h11.their_state is h11.SEND_RESPONSE and not self._response_started:
            reused = " (reused keep-alive connection)" if conn.reused else ""
            raise UpstreamError(f"upstream {host} closed the connection without a response{reused}")
        conn.h11.receive_data(data)

    def release(self) -> None:
        self.on_release(self.conn)

    def abort(self) -> None:
        self.conn.peer.abort()
