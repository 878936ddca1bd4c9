"""Response encodings: the proxy asks upstream only for what it can decode, and restores
surrogates inside compressed responses (gzip, deflate) before they reach the client."""

from __future__ import annotations

import gzip
import json
import re
import zlib

import pytest
from conftest import API_HOST
from support.clients import read_response, tls_through_proxy
from support.upstream import FakeUpstream, ServerExchange

INSTANCE = "i-0e1d2c3b4a5968778"


def post(proxy, body: bytes, accept: str):  # type: ignore[no-untyped-def]
    sock = tls_through_proxy(proxy.address, API_HOST, proxy.ca_path, timeout=15)
    with sock:
        head = (
            f"POST /v1/messages HTTP/1.1\r\nHost: {API_HOST}\r\nContent-Type: application/json\r\n"
            f"Accept-Encoding: {accept}\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        sock.sendall(head.encode() + body)
        return read_response(sock)


def echo_compressed(encoding: str):  # type: ignore[no-untyped-def]
    """Answer with the surrogate of the instance id it received, compressed."""

    def handler(ex: ServerExchange) -> None:
        got = ex.read_body()
        found = re.search(rb"i-[0-9a-f]{17}", got)
        assert found is not None
        surrogate = found.group().decode()
        body = json.dumps({"content": [{"type": "text", "text": f"stopped {surrogate}"}]}).encode()
        if encoding == "gzip":
            body = gzip.compress(body)
        elif encoding == "deflate":
            body = zlib.compress(body)
        ex.respond(
            200, body, [("content-type", "application/json"), ("content-encoding", encoding)]
        )

    return handler


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_compressed_responses_are_decoded_and_restored(
    proxy,
    upstream: FakeUpstream,  # type: ignore[no-untyped-def]
    encoding: str,
) -> None:
    upstream.handler = echo_compressed(encoding)
    body = json.dumps({"messages": [{"role": "user", "content": f"stop {INSTANCE}"}]}).encode()
    status, headers, data = post(proxy, body, "br, zstd, gzip")
    assert status == 200
    (req,) = upstream.requests
    assert req.header("accept-encoding") == "gzip, deflate"  # only what the proxy can read
    assert INSTANCE.encode() not in req.raw
    assert "content-encoding" not in headers
    assert json.loads(data)["content"][0]["text"] == f"stopped {INSTANCE}"


def test_an_encoding_it_cannot_read_passes_unrestored(proxy, upstream: FakeUpstream) -> None:  # type: ignore[no-untyped-def]
    def handler(ex: ServerExchange) -> None:
        ex.read_body()
        ex.respond(
            200,
            b"\x1b\x00opaque-brotli",
            [("content-type", "application/json"), ("content-encoding", "br")],
        )

    upstream.handler = handler
    body = json.dumps({"messages": [{"role": "user", "content": f"stop {INSTANCE}"}]}).encode()
    status, headers, data = post(proxy, body, "br")
    assert status == 200
    assert headers.get("content-encoding") == "br" and data == b"\x1b\x00opaque-brotli"
