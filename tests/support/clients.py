"""Clients that talk through the proxy: curl, and Python over a CONNECT tunnel."""

from __future__ import annotations

import base64
import shutil
import socket
import ssl
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

CURL = shutil.which("curl")


def need_curl() -> str:
    if CURL is None:
        pytest.skip("curl is not installed")
    return CURL


def curl(*args: str, timeout: float = 30.0) -> subprocess.CompletedProcess[bytes]:
    """Run curl with ``args`` (silent, errors shown); stdout is the body."""
    return subprocess.run(
        [need_curl(), "-sS", "--max-time", str(int(timeout)), *args],
        capture_output=True,
        timeout=timeout + 5,
    )


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def connect_tunnel(
    proxy: tuple[str, int],
    host: str,
    port: int = 443,
    *,
    headers: Sequence[tuple[str, str]] = (),
    timeout: float = 10.0,
) -> tuple[socket.socket, int, bytes]:
    """Send CONNECT and read the proxy's answer: (socket, status, raw response head)."""
    sock = socket.create_connection(proxy, timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    lines = [f"CONNECT {host}:{port} HTTP/1.1", f"Host: {host}:{port}"]
    lines += [f"{k}: {v}" for k, v in headers]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        data = sock.recv(4096)
        if not data:
            break
        head += data
    status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/") else 0
    return sock, status, head


def tls_through_proxy(
    proxy: tuple[str, int],
    host: str,
    cafile: Path,
    port: int = 443,
    *,
    timeout: float = 10.0,
    headers: Sequence[tuple[str, str]] = (),
) -> ssl.SSLSocket:
    """A verified TLS connection to ``host`` through the proxy's CONNECT tunnel."""
    sock, status, head = connect_tunnel(proxy, host, port, headers=headers, timeout=timeout)
    if status != 200:
        sock.close()
        raise ConnectionError(f"CONNECT answered {head!r}")
    ctx = ssl.create_default_context(cafile=str(cafile))
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx.wrap_socket(sock, server_hostname=host)


def read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """Read one HTTP/1.1 response (Content-Length or chunked) from a socket."""
    f = sock.makefile("rb")
    try:
        status_line = f.readline()
        if not status_line:
            raise ConnectionError("connection closed before a response")
        status = int(status_line.split(b" ", 2)[1])
        headers: dict[str, str] = {}
        while True:
            line = f.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            k, _, v = line.decode("latin-1").partition(":")
            headers[k.strip().lower()] = v.strip()
        body = b""
        if "chunked" in headers.get("transfer-encoding", ""):
            while True:
                size = int(f.readline().split(b";")[0], 16)
                if size == 0:
                    while f.readline() not in (b"\r\n", b""):
                        pass
                    break
                body += f.read(size)
                f.readline()
        elif "content-length" in headers:
            body = f.read(int(headers["content-length"]))
        elif status >= 200 and status not in (204, 304):
            body = f.read()
        return status, headers, body
    finally:
        f.close()
