"""Invariant 7 (fail closed): a request body in any content coding other than identity is
refused with 415 and never forwarded — however many ``Content-Encoding`` fields say so, in
whatever order, in list form, on HTTP/1.1 and on HTTP/2. A body the proxy cannot read is a
body it cannot mask; the upstream would decode it and get the originals."""

from __future__ import annotations

import gzip
import json

import pytest
from conftest import API_HOST
from support.clients import read_response, tls_through_proxy
from support.h2client import H2Client
from support.launcher import ProxyProcess
from support.upstream import FakeUpstream

WAIT = 15.0
SECRET = b'{"messages": [{"role": "user", "content": "stop i-0a1b2c3d4e5f60718 now"}]}'
BODY = gzip.compress(SECRET)

FIELDS = [
    [("Content-Encoding", "gzip")],
    [("Content-Encoding", "identity"), ("Content-Encoding", "gzip")],
    [("Content-Encoding", "gzip"), ("Content-Encoding", "identity")],
    [("Content-Encoding", "identity, gzip")],
    [("Content-Encoding", "IDENTITY,  Br")],
]


@pytest.mark.parametrize("fields", FIELDS, ids=lambda f: " + ".join(v for _, v in f))
def test_http1_any_coding_in_any_field_is_refused(
    proxy: ProxyProcess, upstream: FakeUpstream, fields: list[tuple[str, str]]
) -> None:
    head = "".join(f"{k}: {v}\r\n" for k, v in fields)
    with tls_through_proxy(proxy.address, API_HOST, proxy.ca_path, timeout=WAIT) as sock:
        sock.sendall(
            f"POST /v1/messages HTTP/1.1\r\nHost: {API_HOST}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(BODY)}\r\n{head}\r\n".encode()
            + BODY
        )
        status, _, body = read_response(sock)
    assert status == 415
    assert json.loads(body)["error"]["type"] == "invalid_request_error"
    assert all(not r.complete for r in upstream.requests)


@pytest.mark.parametrize("fields", FIELDS[1:3], ids=["identity+gzip", "gzip+identity"])
def test_http2_two_coding_fields_are_refused(
    proxy: ProxyProcess, upstream: FakeUpstream, fields: list[tuple[str, str]]
) -> None:
    with H2Client(proxy.address, API_HOST, proxy.ca_path, timeout=WAIT) as c:
        sid = c.request(
            "POST",
            "/v1/messages",
            [("content-type", "application/json"), *((k.lower(), v) for k, v in fields)],
            BODY,
        )
        got = c.response(sid)
    assert got.status == 415
    assert all(not r.complete for r in upstream.requests)


def test_identity_alone_passes(proxy: ProxyProcess, upstream: FakeUpstream) -> None:
    with tls_through_proxy(proxy.address, API_HOST, proxy.ca_path, timeout=WAIT) as sock:
        sock.sendall(
            f"POST /v1/messages HTTP/1.1\r\nHost: {API_HOST}\r\nContent-Type: application/json\r\n"
            f"Content-Encoding: identity\r\nContent-Length: {len(SECRET)}\r\n\r\n".encode()
            + SECRET
        )
        status, _, _ = read_response(sock)
    assert status == 200
    assert upstream.requests[-1].complete
