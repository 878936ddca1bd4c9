"""One client connection from accept to close.

Gateway mode: the connection speaks plain HTTP/1.1 and every request goes to the gateway
upstream. Forward mode: requests on the listener are proxy requests; a CONNECT hands the
connection over to a blind tunnel (other hosts), or to TLS termination with a leaf from the
CA and, inside, HTTP/2 or HTTP/1.1 — whichever the client chose by ALPN (intercepted hosts).

Listening off loopback, neither a blind tunnel nor a plain-HTTP forward may reach the host's
own loopback or link-local addresses unless ``allow_local_targets`` says so
(:mod:`proxy.connect`).

The HTTP/2 adapter (:mod:`proxy.http2`, and with it ``h2``) is imported when a client first
negotiates HTTP/2, not at start: it costs over a megabyte that HTTP/1.1-only use never needs.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from typing import TYPE_CHECKING

from proxy.accesslog import ExchangeRecord, client_protocol, log
from proxy.connect import checked_address, parse_connect_target
from proxy.errors import ClientError, ProxyError, error_response
from proxy.exchange import UpstreamPoolLike
from proxy.http1 import ConnectRequest, Http1Connection
from proxy.policy import Decision
from proxy.routes import (
    LocalTargetGuard,
    check_proxy_auth,
    forward_router,
    gateway_router,
    intercept_router,
)
from proxy.runtime import Runtime
from proxy.streams import Peer
from proxy.tunnel import relay
from proxy.upstream import dial_address, open_connection

if TYPE_CHECKING:
    from proxy.http2 import Http2Connection

CONNECT_OK = b"HTTP/1.1 200 Connection established\r\n\r\n"


class Session:
    """Serves one accepted client connection; :attr:`handler` is the HTTP handler in use
    (the server asks it whether the connection is idle when it drains)."""

    def __init__(self, runtime: Runtime, client: Peer, draining: asyncio.Event) -> None:
        self.runtime = runtime
        self.client = client
        self.draining = draining
        self.handler: Http1Connection | Http2Connection | None = None

    @property
    def idle(self) -> bool:
        return self.handler is not None and self.handler.idle

    async def run(self) -> None:
        rt = self.runtime
        try:
            if rt.gateway is not None:
                gateway = rt.gateway
                driver = rt.driver(
                    "gateway", lambda: gateway_router(gateway, rt.gateway_base, rt.auth)
                )
                self.handler = Http1Connection(
                    driver, self.client, allow_connect=False, draining=self.draining
                )
                await self.handler.serve()
                return
            driver = rt.driver(
                "forward", lambda: forward_router(rt.policy, rt.auth), lambda: _forward_pool(rt)
            )
            self.handler = Http1Connection(
                driver, self.client, allow_connect=True, draining=self.draining
            )
            connect = await self.handler.serve()
            if connect is None:
                return
            self.handler = None
            target = await self._connect(connect)
            # The CONNECT head is not kept for the life of the tunnel.
            del connect
            if target is not None:
                await self._intercept(*target)
        finally:
            # A graceful close: the end of the last response may still sit in the transport's
            # buffer (drain() only waits down to the low-water mark); abort() would drop it.
            await self.client.close()

    async def _connect(self, connect: ConnectRequest) -> tuple[str, int] | None:
        """Answer a CONNECT: a blind tunnel (served here to its end), a refusal, or the host
        and port to intercept (returned; the caller terminates TLS)."""
        rt = self.runtime
        request = connect.request
        # The raw target is part of the request line and is not logged; once parsed, its host
        # is the route (logged as for every exchange) and host:port stands for the path.
        rec = ExchangeRecord(method="CONNECT", host="-", path="-", mode="connect")
        try:
            check_proxy_auth(rt.auth, request)
            host, port = parse_connect_target(request.target)
            rec.host = host
            rec.path = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
            decision = rt.policy.decide(host)
            if decision is Decision.BLOCK:
                raise ClientError(f"{host} is not an intercepted host (--block-others)", status=403)
            if decision is Decision.TUNNEL:
                rec.mode = "tunnel"
                await self._tunnel(host, port, connect.trailing, rec)
                return None
            if connect.trailing:
                # The TLS layer cannot be handed bytes that were already read.
                raise ClientError("client sent data before the CONNECT was answered")
        except ProxyError as exc:
            rec.status = exc.status
            rec.note = exc.message
            rec.emit()
            with contextlib.suppress(OSError, TimeoutError):
                await self.client.write(error_response(exc).encode())
            return None
        return host, port

    async def _tunnel(self, host: str, port: int, trailing: bytes, rec: ExchangeRecord) -> None:
        config = self.runtime.config
        lim = config.limits
        connect_to = config.connect_to
        if config.refuses_local_targets:
            # Dial the address that was checked, not the name again (see proxy.connect).
            host, port = dial_address(host, port, connect_to)
            host = await checked_address(host, port, lim.connect_timeout)
            connect_to = ()
        # Dial before answering, so that a failure is a 502 and not a broken tunnel.
        upstream = await open_connection(
            host,
            port,
            tls=None,
            connect_to=connect_to,
            timeout=lim.connect_timeout,
            write_timeout=lim.read_timeout,
            via=self.runtime.pool.upstream_proxy,
        )
        rec.status = 200
        try:
            await self.client.write(CONNECT_OK)
            if trailing:
                await upstream.write(trailing)
            # A tunnel may be quiet while the model thinks; read_timeout is the longest silence
            # allowed anywhere else, so a tunnel gets at least that.
            rec.bytes_up, rec.bytes_down = await relay(
                self.client, upstream, max(lim.idle_timeout, lim.read_timeout)
            )
        except (OSError, TimeoutError) as exc:
            rec.note = f"tunnel ended: {exc or type(exc).__name__}"
        finally:
            upstream.abort()
            rec.emit()

    async def _intercept(self, host: str, port: int) -> None:
        rt = self.runtime
        assert rt.leaves is not None
        lim = rt.config.limits
        try:
            context = rt.leaves.server_context(host)
        except ValueError as exc:
            log.error("cannot intercept %s: %s", host, exc)
            await self.client.write(error_response(ProxyError(str(exc), 502)).encode())
            return
        started = time.monotonic()
        try:
            await self.client.write(CONNECT_OK)
            await self.client.start_tls(context, server_side=True, timeout=lim.connect_timeout)
        except (OSError, ssl.SSLError, TimeoutError, ConnectionError) as exc:
            # Typically a client that does not trust the CA: it aborts the handshake.
            log.warning(
                "TLS handshake with client for %s failed after %.0f ms: %s; if the client does "
                "not trust maskproxy's CA, give it %s (NODE_EXTRA_CA_CERTS for Claude Code: "
                'eval "$(maskproxy env)")',
                host,
                (time.monotonic() - started) * 1000,
                exc or type(exc).__name__,
                rt.ca.cert_path if rt.ca is not None else "the CA certificate",
            )
            return
        driver = rt.driver((host, port), lambda: intercept_router(host, port))
        client_protocol.set(self.client.alpn() or "http/1.1")
        log.debug(
            "client TLS for %s: %s, %s, handshake %.0f ms",
            host,
            self.client.get_extra_info("ssl_object").version(),
            client_protocol.get(),
            (time.monotonic() - started) * 1000,
        )
        if self.client.alpn() == "h2":
            from proxy.http2 import Http2Connection

            self.handler = Http2Connection(driver, self.client, draining=self.draining)
            await self.handler.serve()
            return
        self.handler = Http1Connection(
            driver, self.client, allow_connect=False, draining=self.draining
        )
        await self.handler.serve()


def _forward_pool(rt: Runtime) -> UpstreamPoolLike:
    """Where forward-proxy exchanges take upstream exchanges from: off loopback (unless
    allowed), a guard that refuses local targets of plain-HTTP forwards
    (:class:`~proxy.routes.LocalTargetGuard`) in front of ``rt``'s pool, which keeps closing
    and sweeping."""
    if not rt.config.refuses_local_targets:
        return rt.pool
    return LocalTargetGuard(rt.pool, rt.policy, rt.config.connect_to)
