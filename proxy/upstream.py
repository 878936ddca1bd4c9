"""Connections to upstreams: dialling (with ``--connect-to``), verified TLS, a keep-alive pool.

Every failure to reach an upstream becomes an :class:`~proxy.errors.UpstreamError` whose
message says what failed (DNS, refused, TLS verification, timeout); nothing is retried, so
a request body is never sent twice and never sent to an upstream that failed verification.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass

import h11

from proxy.config import ConnectTo
from proxy.errors import UpstreamError
from proxy.streams import Peer


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
) -> Peer:
    """Dial ``host:port`` (through ``--connect-to``) and, with ``tls``, verify it as ``host``."""
    dial_host, dial_port = dial_address(host, port, connect_to)
    where = (
        f"{host}:{port}"
        if (dial_host, dial_port) == (host, port)
        else (f"{host}:{port} (via {dial_host}:{dial_port})")
    )
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(
                dial_host,
                dial_port,
                ssl=tls,
                server_hostname=host if tls is not None else None,
                ssl_handshake_timeout=timeout if tls is not None else None,
                limit=64 * 1024,
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
    return Peer(reader, writer, write_timeout)


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


class UpstreamPool:
    """Keep-alive pool keyed by origin. One pool per loaded configuration: a reload makes a new
    pool and closes the old one's idle connections, while busy ones finish on the old config."""

    def __init__(
        self,
        tls: ssl.SSLContext,
        connect_to: Sequence[ConnectTo],
        *,
        connect_timeout: float,
        write_timeout: float,
        idle_timeout: float,
        max_idle_per_origin: int = 16,
    ) -> None:
        self.tls = tls
        self.connect_to = tuple(connect_to)
        self.connect_timeout = connect_timeout
        self.write_timeout = write_timeout
        self.idle_timeout = idle_timeout
        self.max_idle_per_origin = max_idle_per_origin
        self._idle: dict[Origin, list[UpstreamConnection]] = {}
        self._closed = False

    async def acquire(self, origin: Origin) -> UpstreamConnection:
        """An idle connection to ``origin`` that is still open, else a new one."""
        idle = self._idle.get(origin)
        now = time.monotonic()
        while idle:
            conn = idle.pop()
            if now - conn.idle_since < self.idle_timeout and not conn.peer.closed():
                conn.reused = True
                return conn
            conn.peer.abort()
        peer = await open_connection(
            origin.host,
            origin.port,
            tls=self.tls if origin.scheme == "https" else None,
            connect_to=self.connect_to,
            timeout=self.connect_timeout,
            write_timeout=self.write_timeout,
        )
        return UpstreamConnection(origin, peer)

    def release(self, conn: UpstreamConnection) -> None:
        """Return a connection after a complete exchange; anything else is closed."""
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

    def close(self) -> None:
        """Close every idle connection; connections released later are closed, not kept."""
        self._closed = True
        for idle in self._idle.values():
            for conn in idle:
                with contextlib.suppress(Exception):
                    conn.peer.abort()
        self._idle.clear()

    def idle_count(self) -> int:
        return sum(len(v) for v in self._idle.values())
