"""Interception end to end: curl and Python clients through maskproxy to a local TLS upstream."""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import ssl

from conftest import API_HOST
from support.clients import curl, read_response, tls_through_proxy
from support.launcher import ProxyProcess
from support.upstream import FakeUpstream, ServerExchange


def test_curl_post_bytes_intact(proxy: ProxyProcess, upstream: FakeUpstream) -> None:
    payload = os.urandom(3000) + b'{"messages": "\xff\x00 binary"}'
    reply = os.urandom(5000)
    seen: dict[str, bytes] = {}

    def handler(ex: ServerExchange) -> None:
        seen["body"] = ex.read_body()
        ex.respond(200, reply, [("content-type", "application/octet-stream"), ("x-up", "1")])

    upstream.handler = handler
    body_file = proxy.state_dir.parent / "payload.bin"
    body_file.write_bytes(payload)
    res = curl(
        "-x",
        proxy.url,
        "--cacert",
        str(proxy.ca_path),
        "-H",
        "x-api-key: sk-ant-dummy",
        "--data-binary",
        f"@{body_file}",
        "-D",
        "-",
        f"https://{API_HOST}/v1/messages?beta=true",
    )
    assert res.returncode == 0, res.stderr
    head, _, body = res.stdout.partition(b"\r\n\r\n")
    head, _, body = (
        body.partition(b"\r\n\r\n")
        if head.startswith(b"HTTP/1.1 200 Connection")
        else (head, _, body)
    )
    assert b" 200" in head.split(b"\r\n")[0]
    assert b"x-up: 1" in head.lower()
    assert body == reply
    assert seen["body"] == payload
    req = upstream.requests[0]
    assert req.method == "POST"
    assert req.target == "/v1/messages?beta=true"
    assert req.header("x-api-key") == "sk-ant-dummy"
    assert req.header("host") == API_HOST
    assert req.header("proxy-connection") is None


def test_leaf_is_from_maskproxy_ca(proxy: ProxyProcess, upstream: FakeUpstream) -> None:
    sock = tls_through_proxy(proxy.address, API_HOST, proxy.ca_path)
    with sock:
        cert = sock.getpeercert()
        assert cert is not None
        assert ("commonName", "maskproxy test CA") not in [rdn[0] for rdn in cert["issuer"]]
        assert ("DNS", API_HOST) in cert["subjectAltName"]


def test_python_client_keepalive_both_sides(proxy: ProxyProcess, upstream: FakeUpstream) -> None:
    ctx = ssl.create_default_context(cafile=str(proxy.ca_path))
    conn = http.client.HTTPSConnection(*proxy.address, context=ctx, timeout=10)
    conn.set_tunnel(API_HOST, 443)
    socks = []
    for i in range(3):
        body = json.dumps({"n": i}).encode()
        conn.request(
            "POST", "/v1/messages", body=body, headers={"content-type": "application/json"}
        )
        resp = conn.getresponse()
        data = json.loads(resp.read())
        assert resp.status == 200
        assert data["body_len"] == len(body)
        socks.append(conn.sock)
    conn.close()
    # Client side: one socket (one CONNECT) for all three; upstream side: one connection.
    assert socks[0] is socks[1] is socks[2]
    assert len(upstream.requests) == 3
    assert len({r.connection for r in upstream.requests}) == 1


def test_chunked_request_and_response(proxy: ProxyProcess, upstream: FakeUpstream) -> None:
    def handler(ex: ServerExchange) -> None:
        body = ex.read_body()
        ex.start_chunked(200)
        for i in range(0, len(body), 1000):
            ex.send_chunk(body[i : i + 1000])
        ex.end_chunked()

    upstream.handler = handler
    payload = os.urandom(10_000)
    sock = tls_through_proxy(proxy.address, API_HOST, proxy.ca_path)
    with sock:
        head = (
            f"POST /echo HTTP/1.1\r\nHost: {API_HOST}\r\nTransfer-Encoding: chunked\r\n\r\n"
        ).encode()
        chunks = b"".join(
            b"%x\r\n%s\r\n" % (len(payload[i : i + 3000]), payload[i : i + 3000])
            for i in range(0, len(payload), 3000)
        )
        sock.sendall(head + chunks + b"0\r\n\r\n")
        status, headers, body = read_response(sock)
    assert status == 200
    assert headers.get("transfer-encoding") == "chunked"
    assert body == payload
    req = upstream.requests[0]
    assert req.header("transfer-encoding") == "chunked"
    assert bytes(req.body) == payload


def test_connection_close_is_honoured(proxy: ProxyProcess, upstream: FakeUpstream) -> None:
    sock = tls_through_proxy(proxy.address, API_HOST, proxy.ca_path)
    with sock:
        sock.sendall(f"GET /x HTTP/1.1\r\nHost: {API_HOST}\r\nConnection: close\r\n\r\n".encode())
        status, headers, _ = read_response(sock)
        assert status == 200
        assert headers.get("connection") == "close"
        sock.settimeout(10)
        assert sock.recv(10) == b""


def test_sha_of_large_download(proxy: ProxyProcess, upstream: FakeUpstream) -> None:
    blob = os.urandom(3 * 1024 * 1024)

    def handler(ex: ServerExchange) -> None:
        ex.read_body()
        ex.respond(200, blob)

    upstream.handler = handler
    res = curl("-x", proxy.url, "--cacert", str(proxy.ca_path), f"https://{API_HOST}/big")
    assert res.returncode == 0, res.stderr
    assert hashlib.sha256(res.stdout).digest() == hashlib.sha256(blob).digest()
