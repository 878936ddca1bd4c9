"""HTTP/1.1 details through the intercepting proxy: HTTP/1.0 clients, HEAD, pipelining,
upstream connection handling, and stopping while a stream is in flight."""

from __future__ import annotations

import json
import signal
import socket
import threading

from conftest import API_HOST, StartProxy, routing_args
from support.clients import connect_tunnel, read_response, tls_through_proxy
from support.launcher import ProxyProcess
from support.testca import TestCA
from support.upstream import FakeUpstream, ServerExchange

WAIT = 15.0


def test_http10_client(proxy: ProxyProcess, upstream: FakeUpstream) -> None:
    def handler(ex: ServerExchange) -> None:
        ex.read_body()
        ex.start_chunked(200)
        ex.send_chunk(b"one,")
        ex.send_chunk(b"two")
        ex.end_chunked()

    upstream.handler = handler
    with tls_through_proxy(proxy.address, API_HOST, proxy.ca_path) as sock:
        sock.sendall(b"GET /old HTTP/1.0\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    # An HTTP/1.0 client gets the body unframed, delimited by the close.
    assert head.startswith(b"HTTP/1.1 200")
    assert b"chunked" not in head.lower()
    assert body == b"one,two"
    assert upstream.requests[0].header("host") == API_HOST


def test_head_request(proxy: ProxyProcess, upstream: FakeUpstream) -> None:
    def handler(ex: ServerExchange) -> None:
        ex.send_raw(b"HTTP/1.1 200 OK\r\ncontent-length: 1234\r\n\r\n")

    upstream.handler = handler
    with tls_through_proxy(proxy.address, API_HOST, proxy.ca_path) as sock:
        sock.sendall(f"HEAD /h HTTP/1.1\r\nHost: {API_HOST}\r\n\r\n".encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += sock.recv(1)
        assert b"content-length: 1234" in head.lower()
        # The connection is still usable: no body was expected or sent.
        # the handler changes before the request leaves: set after it, the old one could
        # answer the GET with the HEAD's head (content-length 1234, no body)
        upstream.handler = lambda ex: ex.respond(200, b"after")
        sock.sendall(f"GET /after HTTP/1.1\r\nHost: {API_HOST}\r\n\r\n".encode())
        status, _, body = read_response(sock)
    assert (status, body) == (200, b"after")


def test_pipelined_requests(proxy: ProxyProcess, upstream: FakeUpstream) -> None:
    with tls_through_proxy(proxy.address, API_HOST, proxy.ca_path) as sock:
        sock.sendall(
            b"".join(
                f"POST /p{i} HTTP/1.1\r\nHost: {API_HOST}\r\nContent-Length: 1\r\n\r\n{i}".encode()
                for i in range(3)
            )
        )
        targets = [json.loads(read_response(sock)[2])["target"] for _ in range(3)]
    assert targets == ["/p0", "/p1", "/p2"]


def test_upstream_closing_without_response_is_502(
    proxy: ProxyProcess, upstream: FakeUpstream
) -> None:
    def handler(ex: ServerExchange) -> None:
        ex.read_body()
        ex.close_after = True  # the server drops the connection without answering

    upstream.handler = handler
    with tls_through_proxy(proxy.address, API_HOST, proxy.ca_path) as sock:
        sock.sendall(f"GET /gone HTTP/1.1\r\nHost: {API_HOST}\r\n\r\n".encode())
        status, _, body = read_response(sock)
    assert status == 502
    assert b"without a response" in body


def test_upstream_connection_close_is_not_reused(
    proxy: ProxyProcess, upstream: FakeUpstream
) -> None:
    def handler(ex: ServerExchange) -> None:
        ex.read_body()
        ex.close_after = True
        ex.respond(200, b"bye")

    upstream.handler = handler
    with tls_through_proxy(proxy.address, API_HOST, proxy.ca_path) as sock:
        for _ in range(2):
            sock.sendall(f"GET / HTTP/1.1\r\nHost: {API_HOST}\r\n\r\n".encode())
            status, _, body = read_response(sock)
            assert (status, body) == (200, b"bye")
    # Each request needed its own upstream connection; the client kept one.
    assert len({r.connection for r in upstream.requests}) == 2


def test_stop_lets_a_running_stream_finish(
    start_proxy: StartProxy, test_ca: TestCA, upstream: FakeUpstream
) -> None:
    stop_sent = threading.Event()

    def handler(ex: ServerExchange) -> None:
        ex.read_body()
        ex.start_chunked(200, [("content-type", "text/event-stream")])
        ex.send_chunk(b"data: before\n\n")
        ex.wait(stop_sent, WAIT)
        ex.send_chunk(b"data: after\n\n")
        ex.end_chunked()

    upstream.handler = handler
    p = start_proxy(routing_args(test_ca, (API_HOST, upstream)))
    with tls_through_proxy(p.address, API_HOST, p.ca_path, timeout=WAIT) as sock:
        sock.sendall(f"GET /stream HTTP/1.1\r\nHost: {API_HOST}\r\n\r\n".encode())
        received = b""
        while b"data: before" not in received:
            received += sock.recv(65536)
        p.signal(signal.SIGTERM)
        assert p.wait_log("stopping")
        # New connections are no longer accepted...
        refused = False
        try:
            with socket.create_connection(p.address, timeout=2) as s2:
                s2.sendall(b"CONNECT x:443 HTTP/1.1\r\nHost: x:443\r\n\r\n")
                refused = not s2.recv(100).startswith(b"HTTP/1.1 200")
        except OSError:
            refused = True
        assert refused
        stop_sent.set()
        # ...but the stream in flight completes.
        while not received.endswith(b"0\r\n\r\n"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
    assert b"data: after" in received
    assert received.endswith(b"0\r\n\r\n")
    assert p.proc is not None and p.proc.wait(WAIT) == 0


def test_tunnel_passes_half_close(start_proxy: StartProxy) -> None:
    # A raw TCP server that answers only after the client's EOF: the tunnel must pass the
    # half-close on and keep the other direction open.
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]

        def serve() -> None:
            conn, _ = server.accept()
            with conn:
                data = b""
                while chunk := conn.recv(65536):
                    data += chunk
                conn.sendall(data[::-1])

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        p = start_proxy(["--connect-to", f"halfclose.test:443:127.0.0.1:{port}"])
        sock, status, _ = connect_tunnel(p.address, "halfclose.test", 443)
        with sock:
            assert status == 200
            sock.sendall(b"hello tunnel")
            sock.shutdown(socket.SHUT_WR)
            reply = b""
            while chunk := sock.recv(65536):
                reply += chunk
        thread.join(WAIT)
    assert reply == b"lennut olleh"
