"""The upstream pool: which connection an exchange goes on.

Per origin it keeps HTTP/2 connections (shared: each takes exchanges up to the upstream's
``SETTINGS_MAX_CONCURRENT_STREAMS``) and idle HTTP/1.1 keep-alive connections (one exchange at a
time). Which protocol an origin speaks is learnt by dialling it: TLS offers ALPN ``h2`` and
``http/1.1`` (when HTTP/2 is enabled) and the upstream chooses.

:meth:`UpstreamPool.acquire` takes, in order: a stream on an HTTP/2 connection with room; an
idle HTTP/1.1 connection; a share of a dial already under way to an origin that may speak
HTTP/2 (so a burst of requests opens one connection, not one each); a new connection.

One pool per loaded configuration: a reload makes a new pool and retires the old one's
connections, which close once their exchanges are done.

The HTTP/2 side (:mod:`proxy.upstream_h2`, and with it ``h2``) is imported when an upstream
first chooses HTTP/2, not at start: a proxy whose upstreams speak HTTP/1.1 never loads it.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

import h11

from proxy.config import ConnectTo
from proxy.errors import UpstreamError
from proxy.upstream import (
    H1UpstreamExchange,
    Origin,
    UpstreamConnection,
    UpstreamExchange,
    open_connection,
)
from proxy.upstream_proxy import UpstreamProxy

if TYPE_CHECKING:
    from proxy.upstream_h2 import H2UpstreamConnection


class _Dial:
    """A dial under way; exchanges that may share its connection wait for it."""

    __slots__ = ("done", "error")

    def __init__(self) -> None:
        self.done = asyncio.Event()
        self.error: UpstreamError | None = None


class UpstreamPool:
    """Connections to upstreams, keyed by origin."""

    def __init__(
        self,
        tls: ssl.SSLContext,
        connect_to: Sequence[ConnectTo],
        *,
        connect_timeout: float,
        write_timeout: float,
        idle_timeout: float,
        read_timeout: float | None = None,
        max_idle_per_origin: int = 16,
        upstream_proxy: UpstreamProxy | None = None,
    ) -> None:
        self.tls = tls
        self.upstream_proxy = upstream_proxy
        self.connect_to = tuple(connect_to)
        self.connect_timeout = connect_timeout
        self.write_timeout = write_timeout
        self.read_timeout = write_timeout if read_timeout is None else read_timeout
        self.idle_timeout = idle_timeout
        self.max_idle_per_origin = max_idle_per_origin
        self._idle: dict[Origin, list[UpstreamConnection]] = {}
        self._h2: dict[Origin, list[H2UpstreamConnection]] = {}
        self._dials: dict[Origin, _Dial] = {}
        self._h1_origins: set[Origin] = set()
        """Origins whose last dial chose HTTP/1.1: concurrent requests dial in parallel."""
        self._closed = False

    async def acquire(self, origin: Origin) -> UpstreamExchange:
        """An exchange on a connection to ``origin``; raises :class:`UpstreamError`."""
        while True:
            for conn in self._h2.get(origin, ()):
                if conn.capacity() > 0:
                    return conn.open_exchange()
            idle = self._idle.get(origin)
            now = time.monotonic()
            while idle:
                h1 = idle.pop()
                if now - h1.idle_since < self.idle_timeout and not h1.peer.closed():
                    h1.reused = True
                    return H1UpstreamExchange(h1, self.release, self.read_timeout)
                h1.peer.abort()
            dial = self._dials.get(origin)
            if dial is None or origin in self._h1_origins:
                return await self._dial(origin)
            await dial.done.wait()
            if dial.error is not None:
                # The same failure for everyone who waited: nothing was sent anywhere.
                raise UpstreamError(dial.error.message, dial.error.status)

    async def _dial(self, origin: Origin) -> UpstreamExchange:
        # Only a TLS origin can negotiate HTTP/2; only then is a dial worth sharing.
        shared = origin.scheme == "https" and origin not in self._h1_origins
        dial = _Dial()
        if shared:
            self._dials[origin] = dial
        try:
            peer = await open_connection(
                origin.host,
                origin.port,
                tls=self.tls if origin.scheme == "https" else None,
                connect_to=self.connect_to,
                timeout=self.connect_timeout,
                write_timeout=self.write_timeout,
                via=self.upstream_proxy,
            )
            if peer.alpn() == "h2":
                from proxy.upstream_h2 import H2UpstreamConnection

                conn = H2UpstreamConnection(
                    origin, peer, self.forget, read_timeout=self.read_timeout
                )
                await conn.start(self.connect_timeout)
                self._h1_origins.discard(origin)
                exchange = conn.open_exchange()
                if self._closed:
                    conn.retire()
                else:
                    self._h2.setdefault(origin, []).append(conn)
                return exchange
            if origin.scheme == "https":
                self._h1_origins.add(origin)
            return H1UpstreamExchange(
                UpstreamConnection(origin, peer), self.release, self.read_timeout
            )
        except UpstreamError as exc:
            dial.error = exc
            raise
        finally:
            if shared and self._dials.get(origin) is dial:
                del self._dials[origin]
            dial.done.set()

    def release(self, conn: UpstreamConnection) -> None:
        """Return an HTTP/1.1 connection after a complete exchange; anything else is closed."""
        if self._closed or not conn.reusable():
            conn.peer.abort()
            return
        try:
            conn.h11.start_next_cycle()
        except h11.LocalProtocolError:
            conn.peer.abort()
            return
        idle = self._idle.setdefault(conn.origin, [])
        if len(idle) >= self.max_idle_per_origin:
            conn.peer.abort()
            return
        conn.idle_since = time.monotonic()
        idle.append(conn)

    def forget(self, conn: H2UpstreamConnection) -> None:
        """An HTTP/2 connection takes no new exchanges (GOAWAY, error, closed)."""
        conns = self._h2.get(conn.origin)
        if conns and conn in conns:
            conns.remove(conn)
            if not conns:
                del self._h2[conn.origin]

    def sweep(self) -> None:
        """Close idle connections that expired or were closed by the upstream."""
        now = time.monotonic()
        for origin, idle in list(self._idle.items()):
            keep = []
            for conn in idle:
                if now - conn.idle_since < self.idle_timeout and not conn.peer.closed():
                    keep.append(conn)
                else:
                    conn.peer.abort()
            if keep:
                self._idle[origin] = keep
            else:
                del self._idle[origin]
        for conns in list(self._h2.values()):
            for h2conn in list(conns):
                unused = not h2conn.streams and not h2conn.reserved
                if unused and now - h2conn.idle_since >= self.idle_timeout:
                    h2conn.close()

    def close(self) -> None:
        """Close every idle connection; busy ones close when their exchanges are done, and
        connections released later are closed, not kept."""
        self._closed = True
        for idle in self._idle.values():
            for conn in idle:
                with contextlib.suppress(Exception):
                    conn.peer.abort()
        self._idle.clear()
        for conns in list(self._h2.values()):
            for h2conn in list(conns):
                h2conn.retire()
        self._h2.clear()

    def idle_count(self) -> int:
        """Idle HTTP/1.1 connections plus HTTP/2 connections without an exchange."""
        h2_idle = sum(
            1 for conns in self._h2.values() for c in conns if not c.streams and not c.reserved
        )
        return sum(len(v) for v in self._idle.values()) + h2_idle

    def h2_connections(self, origin: Origin) -> list[H2UpstreamConnection]:
        """The HTTP/2 connections to ``origin`` that take new exchanges (for tests and logs)."""
        return list(self._h2.get(origin, ()))
