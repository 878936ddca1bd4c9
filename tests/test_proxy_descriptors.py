"""Out of file descriptors: new clients get 503 (or a closed connection), never a hang, the log
says why, and accepting resumes once connections close.

The proxy runs under a low ``RLIMIT_NOFILE`` (set in the child before it executes Python) and
the test holds idle connections open until the proxy has no descriptor left.
"""

from __future__ import annotations

import asyncio
import errno
import socket
import sys
import time

import pytest
from conftest import StartProxy
from support.launcher import ProxyProcess

HOLDERS = 96
"""Idle connections opened against a limit of :data:`DESCRIPTOR_LIMIT`: more than enough."""

DESCRIPTOR_LIMIT = 64


def _with_descriptor_limit(proc: ProxyProcess, limit: int) -> None:
    """Run the proxy's command under ``RLIMIT_NOFILE = limit`` (soft and hard)."""
    setup = (
        "import os, resource, sys; "
        f"resource.setrlimit(resource.RLIMIT_NOFILE, ({limit}, {limit})); "
        "os.execv(sys.argv[1], sys.argv[1:])"
    )
    proc.argv = [sys.executable, "-c", setup, *proc.argv]


def _answer(address: tuple[str, int], timeout: float = 15.0) -> bytes:
    """Send a request to the proxy and read until it closes: b'' for a bare close."""
    with socket.create_connection(address, timeout=timeout) as sock:
        try:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        except ConnectionResetError:
            return b""
    return data


def test_out_of_descriptors_answers_503_and_logs(start_proxy: StartProxy) -> None:
    proc = start_proxy(["--head-timeout", "120", "--idle-timeout", "120"], wait=False)
    _with_descriptor_limit(proc, DESCRIPTOR_LIMIT)
    proc.start()
    holders: list[socket.socket] = []
    try:
        for _ in range(HOLDERS):
            holders.append(socket.create_connection(proc.address, timeout=10))
        # Queued behind the holders: by the time the proxy reaches it, nothing is left.
        answer = _answer(proc.address)
        # Not a hang (the read above ended) and, with the reserve descriptor, a 503.
        assert answer.startswith(b"HTTP/1.1 503 "), answer[:200]
        assert b"out of file descriptors" in answer
        assert proc.wait_log("out of file descriptors"), proc.log()
    finally:
        for sock in holders:
            sock.close()
    # The holders are gone: their descriptors come back and the proxy serves again (a request
    # without an absolute URL gets the proxy's own 400).
    deadline = time.monotonic() + 20
    answer = b""
    while time.monotonic() < deadline:
        answer = _answer(proc.address)
        if answer.startswith(b"HTTP/1.1 400 "):
            break
        time.sleep(0.2)
    assert answer.startswith(b"HTTP/1.1 400 "), answer[:200]
    assert "Traceback" not in proc.log() and "connection failed" not in proc.log(), proc.log()


def test_low_descriptor_limit_is_reported_at_start(start_proxy: StartProxy) -> None:
    """A limit below what --max-connections needs is named when the proxy starts."""
    proc = start_proxy(["--max-connections", "1024"], wait=False)
    _with_descriptor_limit(proc, DESCRIPTOR_LIMIT)
    proc.start()
    assert proc.wait_log("file descriptor limit 64 is below"), proc.log()


def test_without_a_reserve_the_listener_pauses_instead_of_spinning(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """When not even the reserve descriptor can be had (the whole system is out), the listener
    is left alone for a moment and then watched again; the failure is logged once."""
    from proxy import server as server_module

    monkeypatch.setattr(server_module, "_reserve_descriptor", lambda: None)
    monkeypatch.setattr(server_module, "ACCEPT_PAUSE", 0.05)
    logged: list[str] = []
    monkeypatch.setattr(server_module.log, "error", lambda msg, *a: logged.append(msg % a))

    async def scenario() -> tuple[bool, bool]:
        loop = asyncio.get_running_loop()
        srv = server_module.ProxyServer(runtime=None)  # type: ignore[arg-type]
        listener = socket.create_server(("127.0.0.1", 0))
        listener.setblocking(False)
        srv._listeners = [listener]
        loop.add_reader(listener.fileno(), srv._on_acceptable, listener)
        srv._out_of_descriptors(listener, OSError(errno.ENFILE, "Too many open files in system"))
        paused = not loop.remove_reader(listener.fileno())
        await asyncio.sleep(0.2)
        resumed = loop.remove_reader(listener.fileno())
        srv._out_of_descriptors(listener, OSError(errno.ENFILE, "Too many open files in system"))
        listener.close()
        return paused, resumed

    paused, resumed = asyncio.run(scenario())
    assert paused and resumed
    assert len(logged) == 1 and "out of file descriptors (ENFILE" in logged[0], logged
