"""Gateway mode: plain HTTP in, verified TLS to one upstream, the same pipeline."""

from __future__ import annotations

import json
import socket

from conftest import API_HOST, StartProxy, routing_args
from support.clients import curl, read_response
from support.testca import TestCA
from support.upstream import FakeUpstream, ServerExchange


def test_gateway_end_to_end_with_curl(
    start_proxy: StartProxy, test_ca: TestCA, upstream: FakeUpstream
) -> None:
    def handler(ex: ServerExchange) -> None:
        body = ex.read_body()
        ex.start_chunked(200, [("content-type", "text/event-stream")])
        ex.send_chunk(b"event: ping\ndata: {}\n\n")
        ex.send_chunk(b"data: " + body + b"\n\n")
        ex.end_chunked()

    upstream.handler = handler
    p = start_proxy(
        ["--gateway", f"https://{API_HOST}", *routing_args(test_ca, (API_HOST, upstream))]
    )
    res = curl(
        "-H", "x-api-key: sk-ant-dummy", "-H", "anthropic-version: 2023-06-01",
        "--data-binary", '{"stream":true}',
        f"{p.url}/v1/messages?beta=true",
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert res.stdout == b'event: ping\ndata: {}\n\ndata: {"stream":true}\n\n'
    req = upstream.requests[0]
    assert req.header("host") == API_HOST
    assert req.target == "/v1/messages?beta=true"
    assert req.header("x-api-key") == "sk-ant-dummy"
    assert p.wait_log("mode=gateway")
    # No CA is needed or made in gateway mode, and the key is never in the log.
    assert not p.ca_path.exists()
    assert "sk-ant-dummy" not in p.log()


def test_gateway_keepalive_and_base_path(
    start_proxy: StartProxy, test_ca: TestCA, upstream: FakeUpstream
) -> None:
    p = start_proxy(
        ["--gateway", f"https://{API_HOST}/base/", *routing_args(test_ca, (API_HOST, upstream))]
    )
    with socket.create_connection(p.address, timeout=10) as sock:
        for i in range(3):
            sock.sendall(f"GET /r{i} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
            status, _, body = read_response(sock)
            assert status == 200
            assert json.loads(body)["target"] == f"/base/r{i}"
    assert len({r.connection for r in upstream.requests}) == 1


def test_gateway_refuses_connect(
    start_proxy: StartProxy, test_ca: TestCA, upstream: FakeUpstream
) -> None:
    p = start_proxy(
        ["--gateway", f"https://{API_HOST}", *routing_args(test_ca, (API_HOST, upstream))]
    )
    with socket.create_connection(p.address, timeout=10) as sock:
        sock.sendall(b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")
        status, _, _ = read_response(sock)
    assert status == 405
