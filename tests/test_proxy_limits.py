"""Every limit answers with a clear status instead of hanging.

Timeouts are set tiny (0.5 s) so the tests are quick; they assert the status the limit gives,
never how fast anything was.
"""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest
from conftest import API_HOST, StartProxy, routing_args
from support.clients import connect_tunnel, curl, read_response, tls_through_proxy
from support.launcher import ProxyProcess
from support.testca import TestCA
from support.upstream import FakeUpstream, ServerExchange

WAIT = 15.0


@pytest.fixture
def limited(start_proxy: StartProxy, test_ca: TestCA, upstream: FakeUpstream) -> ProxyProcess:
    return start_proxy(
        [
            "--max-header-bytes", "4096",
            "--max-body-bytes", "1000",
            "--read-timeout", "0.5",
            "--idle-timeout", "0.5",
            *routing_args(test_ca, (API_HOST, upstream)),
        ]
    )  # fmt: skip


def _tls(p: ProxyProcess):  # noqa: ANN202
    return tls_through_proxy(p.address, API_HOST, p.ca_path, timeout=WAIT)


def test_header_too_large_is_431(limited: ProxyProcess, upstream: FakeUpstream) -> None:
    with _tls(limited) as sock:
        sock.sendall(f"GET / HTTP/1.1\r\nHost: {API_HOST}\r\nX-Big: {'a' * 8000}\r\n\r\n".encode())
        status, _, body = read_response(sock)
    assert status == 431
    assert b"--max-header-bytes" in body
    assert upstream.requests == []


def test_content_length_over_limit_is_413_before_forwarding(
    limited: ProxyProcess, upstream: FakeUpstream
) -> None:
    with _tls(limited) as sock:
        sock.sendall(
            f"POST / HTTP/1.1\r\nHost: {API_HOST}\r\nContent-Length: 2000\r\n\r\n".encode()
        )
        status, _, body = read_response(sock)
    assert status == 413
    assert json.loads(body)["error"]["type"] == "request_too_large"
    assert upstream.requests == []


def test_expect_continue_over_limit_gets_413_not_100(
    limited: ProxyProcess, upstream: FakeUpstream
) -> None:
    with _tls(limited) as sock:
        sock.sendall(
            f"POST / HTTP/1.1\r\nHost: {API_HOST}\r\nContent-Length: 5000\r\n"
            "Expect: 100-continue\r\n\r\n".encode()
        )
        status, _, _ = read_response(sock)
    assert status == 413


def test_chunked_body_over_limit_is_413_and_upstream_never_completes(
    limited: ProxyProcess, upstream: FakeUpstream
) -> None:
    # The masking engine may hold back the first chunk (it could be the start of a long
    # token), so the test does not wait for the upstream to see it: what matters is that
    # the upstream never receives a complete request.
    def handler(ex: ServerExchange) -> None:
        for _ in ex.body_chunks():
            pass
        ex.respond(200, b"should not happen")

    upstream.handler = handler
    with _tls(limited) as sock:
        sock.sendall(
            f"POST / HTTP/1.1\r\nHost: {API_HOST}\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
            + b"258\r\n"
            + b"a" * 600
            + b"\r\n"
        )
        sock.sendall(b"258\r\n" + b"b" * 600 + b"\r\n0\r\n\r\n")
        status, _, body = read_response(sock)
    assert status == 413
    assert b"--max-body-bytes" in body
    assert all(not r.complete for r in upstream.requests)


def test_upstream_stall_is_504(limited: ProxyProcess, upstream: FakeUpstream) -> None:
    never = threading.Event()

    def handler(ex: ServerExchange) -> None:
        ex.read_body()
        ex.wait(never, WAIT)

    upstream.handler = handler
    res = curl("-x", limited.url, "--cacert", str(limited.ca_path), f"https://{API_HOST}/slow")
    body = json.loads(res.stdout)
    assert body["error"]["type"] == "timeout_error"
    assert "--read-timeout" in body["error"]["message"]
    assert limited.wait_log("status=504")


def test_upstream_stall_mid_response_closes_the_client(
    limited: ProxyProcess, upstream: FakeUpstream
) -> None:
    never = threading.Event()

    def handler(ex: ServerExchange) -> None:
        ex.read_body()
        ex.start_chunked(200)
        ex.send_chunk(b"partial")
        ex.wait(never, WAIT)

    upstream.handler = handler
    res = curl("-x", limited.url, "--cacert", str(limited.ca_path), f"https://{API_HOST}/slow")
    assert res.returncode != 0  # curl: transfer closed with outstanding read data
    assert res.stdout == b"partial"


def test_client_stall_mid_request_is_408(limited: ProxyProcess, upstream: FakeUpstream) -> None:
    with _tls(limited) as sock:
        sock.sendall(
            f"POST / HTTP/1.1\r\nHost: {API_HOST}\r\nContent-Length: 100\r\n\r\n".encode()
            + b"x" * 10
        )
        status, _, body = read_response(sock)
    assert status == 408
    assert upstream.wait_requests(1)
    assert not upstream.requests[0].complete


def test_idle_keepalive_connection_is_closed(limited: ProxyProcess, upstream: FakeUpstream) -> None:
    with _tls(limited) as sock:
        sock.sendall(f"GET / HTTP/1.1\r\nHost: {API_HOST}\r\n\r\n".encode())
        status, _, _ = read_response(sock)
        assert status == 200
        sock.settimeout(WAIT)
        assert sock.recv(100) == b""


def test_connect_timeout_is_504(start_proxy: StartProxy, test_ca: TestCA) -> None:
    # A listener that accepts TCP and then never speaks TLS: the handshake cannot finish.
    with socket.create_server(("127.0.0.1", 0)) as silent:
        port = silent.getsockname()[1]
        p = start_proxy(
            [
                "--connect-timeout", "0.5",
                "--upstream-ca", str(test_ca.cert_path),
                "--connect-to", f"{API_HOST}:443:127.0.0.1:{port}",
            ]
        )  # fmt: skip
        res = curl(
            "-x", p.url, "--cacert", str(p.ca_path), "-w", "%{http_code}", f"https://{API_HOST}/"
        )
    assert res.stdout.endswith(b"504")
    assert b"connect timed out" in res.stdout


def test_max_connections_is_503(
    start_proxy: StartProxy, test_ca: TestCA, upstream: FakeUpstream
) -> None:
    p = start_proxy(["--max-connections", "2", *routing_args(test_ca, (API_HOST, upstream))])
    held = []
    try:
        for _ in range(2):
            sock = tls_through_proxy(p.address, API_HOST, p.ca_path, timeout=WAIT)
            sock.sendall(f"GET / HTTP/1.1\r\nHost: {API_HOST}\r\n\r\n".encode())
            assert read_response(sock)[0] == 200
            held.append(sock)
        plain, status, head = connect_tunnel(p.address, API_HOST, 443)
        plain.close()
        assert status == 503
        assert b"--max-connections" in head or p.wait_log("--max-connections")
    finally:
        for s in held:
            s.close()
    # Once the held connections are gone, new ones are served again.
    for _ in range(50):
        plain, status, _ = connect_tunnel(p.address, API_HOST, 443)
        plain.close()
        if status == 200:
            break
        threading.Event().wait(0.1)
    assert status == 200


def test_a_trickled_head_is_cut_off_before_authentication_too(
    start_proxy: StartProxy, test_ca: TestCA, upstream: FakeUpstream
) -> None:
    """One byte of a CONNECT head every 0.3 s keeps each read well within --read-timeout, but
    the whole head has --head-timeout: the client gets 408 and the connection closes, so a
    few slow clients cannot fill --max-connections."""
    p = start_proxy(
        [
            "--head-timeout",
            "1",
            "--read-timeout",
            "60",
            *routing_args(test_ca, (API_HOST, upstream)),
        ]
    )
    got = b""
    deadline = time.monotonic() + WAIT
    with socket.create_connection(p.address, timeout=WAIT) as sock:
        sock.sendall(f"CONNECT {API_HOST}:443 HTTP/1.1\r\n".encode())
        sock.settimeout(0.3)
        while time.monotonic() < deadline:
            try:
                sock.sendall(b"X")
            except OSError:
                break
            try:
                chunk = sock.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                break
            if not chunk:
                break
            got += chunk
    assert got.startswith(b"HTTP/1.1 408"), got[:80]
    assert b"--head-timeout" in got


def test_content_length_with_transfer_encoding_is_400(
    limited: ProxyProcess, upstream: FakeUpstream
) -> None:
    with _tls(limited) as sock:
        sock.sendall(
            f"POST / HTTP/1.1\r\nHost: {API_HOST}\r\nContent-Length: 5\r\n"
            "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n".encode()
        )
        status, _, body = read_response(sock)
    assert status == 400
    assert b"Transfer-Encoding" in body
    assert upstream.requests == []
