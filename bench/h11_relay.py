"""A bare intercepting HTTP/1.1 relay: the floor under maskproxy's exchange path.

maskproxy, for each exchange on an intercepted connection, decrypts the request, parses it with
h11, serializes it again with h11 towards the upstream over TLS, parses the response with h11
and serializes it back to the client, and masks along the way. This relay does the same minus
everything else: no masking, no routing, no limits but h11's own, no logging, no error answers
(a malformed message just closes the connection), on the same parts (asyncio with uvloop when
installed, the ``ssl`` module, h11). So what it adds to a direct exchange is the least a proxy
built on those parts can add: the bench reports W1 through it next to maskproxy's, so the W1
goal (maskproxy's added latency over a blind tunnel's, which is mostly process wake-ups and
moves a lot between machines) can be read against what the parts alone cost on that machine.

    python -m bench.h11_relay --listen 127.0.0.1:PORT --cert LEAF.pem --key LEAF.key \\
        --upstream 127.0.0.1:UPORT --upstream-ca CA.pem --upstream-host api.anthropic.com

Every ``CONNECT`` is answered 200, whatever its target; the connection then speaks TLS with
the leaf (ALPN ``http/1.1`` only), and each of its requests goes to the one upstream over a
kept-alive TLS connection of its own, dialled at the CONNECT and again at the next request
after the upstream closed it. Heads are passed on as h11 parsed them, hop-by-hop fields
included; h11 frames each body by its head (``Content-Length`` or chunked).

It is callbacks only, no task per connection and no ``await`` per exchange: each read is fed
to h11, and what h11 makes of it goes out at once, in one write per read (so a streamed
response leaves chunk by chunk as it arrives). A side whose transport holds too much stops
the reads of the other side.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import resource
import socket
import ssl
from typing import cast

import h11

_FINISHED = (h11.DONE, h11.MUST_CLOSE, h11.CLOSED)
"""States of the upstream once its response is complete."""

# Every transport receives (and the TLS layer decrypts) into this one buffer, and h11 copies
# each receipt out of it at once: with a plain Protocol the TLS layer reads into a fresh
# 256 KiB object per read instead (maskproxy's streams take the same path). One event loop,
# one callback at a time: one buffer serves every connection.
_SCRATCH = memoryview(bytearray(256 * 1024))


class Settings:
    """What every connection needs: the TLS contexts and where the upstream is."""

    def __init__(
        self, server: ssl.SSLContext, upstream: ssl.SSLContext, host: str, port: int, sni: str
    ) -> None:
        self.server = server
        self.upstream = upstream
        self.host = host
        self.port = port
        self.sni = sni


def _as_http11(event: h11.Event) -> h11.Event:
    """A head received as HTTP/1.0, made again as 1.1: h11 sends nothing else (it frames the
    body by what the receiving side speaks). Heads received as 1.1 pass as they are."""
    if type(event) is h11.Request:
        return h11.Request(method=event.method, target=event.target, headers=event.headers)
    if type(event) is h11.Response:
        return h11.Response(
            status_code=event.status_code, headers=event.headers, reason=event.reason
        )
    return event


def _nodelay(transport: asyncio.BaseTransport) -> None:
    # Each response is one small write: without it a write can wait for a delayed ACK.
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class Client(asyncio.BufferedProtocol):
    """One client connection: a ``CONNECT`` in the clear, then requests over TLS."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.loop = asyncio.get_running_loop()
        self.transport: asyncio.Transport | None = None
        self.conn = h11.Connection(h11.SERVER)
        self.tls = False
        """The CONNECT was answered: what arrives from now on is requests, over TLS."""
        self.ready = False
        """The TLS transport is known: responses can be written to it."""
        self.upstream: Upstream | None = None
        self.gone = False
        # Reading stops while a pipelined request waits for the response before it, or while
        # the upstream's transport holds too much.
        self.held_pipeline = False
        self.held_upstream = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's are no subclass
        _nodelay(transport)

    def get_buffer(self, sizehint: int) -> memoryview:
        return _SCRATCH

    def buffer_updated(self, nbytes: int) -> None:
        # h11 only appends it to a bytearray of its own (any bytes-like object does)
        self.conn.receive_data(_SCRATCH[:nbytes])  # type: ignore[arg-type]
        if self.ready:
            self.forward()
        elif not self.tls:
            self._connect()
        # else: a request that came with the end of the handshake waits in h11 until the TLS
        # transport is known; forwarded now, its response could arrive before that.

    def eof_received(self) -> bool:
        return False  # TLS has no half close: the connection ends

    def connection_lost(self, exc: Exception | None) -> None:
        self.gone = True
        if self.upstream is not None:
            self.upstream.close()
            self.upstream = None

    def pause_writing(self) -> None:
        if self.upstream is not None:
            self.upstream.hold(True)

    def resume_writing(self) -> None:
        if self.upstream is not None:
            self.upstream.hold(False)

    def hold(self, upstream: bool | None = None, pipeline: bool | None = None) -> None:
        if upstream is not None:
            self.held_upstream = upstream
        if pipeline is not None:
            self.held_pipeline = pipeline
        if self.transport is not None and not self.gone:
            if self.held_upstream or self.held_pipeline:
                self.transport.pause_reading()
            else:
                self.transport.resume_reading()

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()

    # -- CONNECT ----------------------------------------------------------------------------

    def _connect(self) -> None:
        assert self.transport is not None
        conn = self.conn
        try:
            while True:
                event = conn.next_event()
                if event is h11.NEED_DATA:
                    return
                if type(event) is h11.Request and event.method != b"CONNECT":
                    break
                if event is h11.PAUSED:  # the CONNECT is complete, waiting for its answer
                    if conn.trailing_data[0]:
                        break  # the client sent more before the answer: not a client we serve
                    reply = conn.send(h11.Response(status_code=200, headers=[], reason=b"OK"))
                    assert reply is not None
                    self.transport.write(reply)
                    self._start_tls()
                    return
                if type(event) is h11.ConnectionClosed:
                    break
        except h11.ProtocolError:
            pass
        self.abort()

    def _start_tls(self) -> None:
        assert self.transport is not None
        # Nothing more is read in the clear; the TLS layer reads from now on. Requests can be
        # delivered before start_tls returns (with the client's last handshake message): h11
        # takes them at once, and they are forwarded when it has returned.
        self.transport.pause_reading()
        self.conn = h11.Connection(h11.SERVER)
        self.tls = True
        task = self.loop.create_task(
            self.loop.start_tls(self.transport, self, self.settings.server, server_side=True)
        )
        task.add_done_callback(self._tls_started)
        # Dialled now, its handshake overlaps the client's: the first request need not wait
        # for it (a proxy with a pool of upstream connections would not wait either).
        self.upstream = Upstream(self)

    def _tls_started(self, task: asyncio.Task[asyncio.Transport | None]) -> None:
        if task.cancelled() or task.exception() is not None or task.result() is None:
            self.abort()
            return
        self.transport = task.result()
        self.ready = True
        self.forward()

    # -- requests ---------------------------------------------------------------------------

    def forward(self) -> None:
        """Pass on every request event h11 has for us, in one write to the upstream."""
        conn = self.conn
        up = self.upstream
        done = False
        try:
            while True:
                event = conn.next_event()
                if event is h11.NEED_DATA:
                    break
                if event is h11.PAUSED:
                    # The next request is in while this one is answered: h11 keeps it.
                    self.hold(pipeline=True)
                    break
                kind = type(event)
                if kind is h11.ConnectionClosed:
                    self.abort()
                    return
                if kind is h11.Request:
                    if up is None or not up.reusable():
                        if up is not None:
                            up.close()
                        up = self.upstream = Upstream(self)
                    if conn.their_http_version != b"1.1":
                        event = _as_http11(cast(h11.Request, event))
                assert up is not None
                up.send(cast(h11.Event, event))
                if kind is h11.EndOfMessage and conn.our_state is not h11.SEND_RESPONSE:
                    done = True  # the response went out before the request had ended
        except h11.ProtocolError:
            self.abort()
            return
        if up is not None:
            up.flush()
        if done:
            self.response_done()

    def response_done(self) -> None:
        """The response went out whole: next request, or close."""
        conn = self.conn
        if conn.our_state is h11.DONE and conn.their_state is h11.DONE:
            conn.start_next_cycle()
            if self.held_pipeline:
                self.hold(pipeline=False)
                self.forward()  # the pipelined request h11 kept
        elif conn.our_state is h11.MUST_CLOSE and self.transport is not None:
            self.transport.close()


class Upstream(asyncio.BufferedProtocol):
    """The upstream connection of one client connection (h11's client side)."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.conn = h11.Connection(h11.CLIENT)
        self.transport: asyncio.Transport | None = None
        self.out: list[bytes] = []
        self.closed = False
        s = client.settings
        task = client.loop.create_task(
            client.loop.create_connection(
                lambda: self, s.host, s.port, ssl=s.upstream, server_hostname=s.sni
            )
        )
        task.add_done_callback(self._dialled)

    def _dialled(self, task: asyncio.Task[tuple[asyncio.Transport, Upstream]]) -> None:
        failed = task.cancelled() or task.exception() is not None
        if failed and self.client.upstream is self:
            self.client.abort()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self.closed:
            transport.close()
            return
        self.transport = transport  # type: ignore[assignment]
        _nodelay(transport)
        self.flush()

    def reusable(self) -> bool:
        return not self.closed and self.conn.our_state is h11.IDLE

    def send(self, event: h11.Event) -> None:
        data = self.conn.send(event)
        if data:
            self.out.append(data)

    def flush(self) -> None:
        if self.transport is not None and self.out:
            out = self.out
            self.transport.write(out[0] if len(out) == 1 else b"".join(out))
            out.clear()

    def hold(self, paused: bool) -> None:
        if self.transport is not None and not self.closed:
            if paused:
                self.transport.pause_reading()
            else:
                self.transport.resume_reading()

    def pause_writing(self) -> None:
        self.client.hold(upstream=True)

    def resume_writing(self) -> None:
        self.client.hold(upstream=False)

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def get_buffer(self, sizehint: int) -> memoryview:
        return _SCRATCH

    def buffer_updated(self, nbytes: int) -> None:
        self.conn.receive_data(_SCRATCH[:nbytes])  # type: ignore[arg-type]
        self._relay()

    def eof_received(self) -> bool:
        self._ended()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        was_closed = self.closed
        if not was_closed:
            self._ended()  # without a TLS close_notify there was no eof_received
        self.closed = True
        client = self.client
        if client.upstream is not self:
            return
        client.hold(upstream=False)
        conn = self.conn
        if (
            not was_closed
            and conn.their_state not in _FINISHED
            and (conn.our_state is not h11.IDLE or conn.their_state is not h11.IDLE)
        ):
            client.abort()  # lost in the middle of an exchange: the client sees it cut

    def _ended(self) -> None:
        """The upstream's input ended: a body read to the end of the connection is complete."""
        self.conn.receive_data(b"")
        self._relay()

    def _relay(self) -> None:
        """Pass on every response event h11 has for us, in one write to the client."""
        client = self.client
        if client.gone or client.transport is None:
            return
        down = client.conn
        out: list[bytes] = []
        done = False
        try:
            while True:
                event = self.conn.next_event()
                if event is h11.NEED_DATA or event is h11.PAUSED:
                    break
                if type(event) is h11.ConnectionClosed:
                    break
                if type(event) is h11.Response and self.conn.their_http_version != b"1.1":
                    event = _as_http11(event)
                data = down.send(cast(h11.Event, event))
                if data:
                    out.append(data)
                if type(event) is h11.EndOfMessage:
                    done = True
                    break
        except h11.ProtocolError:
            client.abort()
            self.close()
            return
        if out:
            client.transport.write(out[0] if len(out) == 1 else b"".join(out))
        if done:
            self._exchange_done()

    def _exchange_done(self) -> None:
        conn = self.conn
        if conn.our_state is h11.DONE and conn.their_state is h11.DONE:
            conn.start_next_cycle()
        elif conn.our_state is not h11.SEND_BODY:
            self.close()  # the upstream will close: the next request opens another
        # else: the request body is still going (an early response); reusable() says no
        self.client.response_done()


def _raise_nofile() -> None:
    # Two descriptors per client connection (the Memory workload opens 1,000).
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return host, int(port)


async def serve(args: argparse.Namespace) -> None:
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(args.cert, args.key)
    server_ctx.set_alpn_protocols(["http/1.1"])
    upstream_ctx = ssl.create_default_context(cafile=args.upstream_ca)
    upstream_ctx.set_alpn_protocols(["http/1.1"])
    up_host, up_port = _address(args.upstream)
    settings = Settings(server_ctx, upstream_ctx, up_host, up_port, args.upstream_host)
    host, port = _address(args.listen)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: Client(settings), host, port, backlog=4096)
    async with server:
        await server.serve_forever()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.h11_relay", description=__doc__)
    ap.formatter_class = argparse.RawDescriptionHelpFormatter
    ap.add_argument("--listen", required=True, help="HOST:PORT")
    ap.add_argument("--cert", required=True, help="leaf certificate (PEM) shown to clients")
    ap.add_argument("--key", required=True, help="its private key (PEM)")
    ap.add_argument("--upstream", required=True, help="HOST:PORT every request goes to")
    ap.add_argument("--upstream-ca", required=True, help="CA (PEM) the upstream is verified by")
    ap.add_argument("--upstream-host", required=True, help="name the upstream is verified as")
    args = ap.parse_args(argv)
    _raise_nofile()
    try:
        import uvloop
    except ImportError:
        asyncio.run(serve(args))
    else:
        uvloop.run(serve(args))


if __name__ == "__main__":
    main()
