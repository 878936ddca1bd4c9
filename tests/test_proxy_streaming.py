"""Responses stream through the proxy; request bodies are recognized whole before they leave.

Proven by handshakes, never by timing. A response test makes one side wait for proof that the
other side already received an early part of the stream: a proxy that buffered a whole
response would deadlock the handshake, and the test fails on its (generous) wait bound instead
of hanging. A request body is the other way round (DESIGN invariant 2): a value recognized at
its end must be masked at its start too, so nothing of it may leave before its last byte.
"""

from __future__ import annotations

import os
import threading
import time

from conftest import API_HOST
from support.clients import read_response, tls_through_proxy
from support.launcher import ProxyProcess
from support.upstream import FakeUpstream, ServerExchange

WAIT = 15.0


def test_an_upload_leaves_only_once_its_last_byte_is_in(
    proxy: ProxyProcess, upstream: FakeUpstream
) -> None:
    size = 6 * 1024 * 1024
    total = {"n": 0}
    started = threading.Event()

    def handler(ex: ServerExchange) -> None:
        started.set()
        for piece in ex.body_chunks():
            total["n"] += len(piece)
        ex.respond(200, b"got %d" % total["n"])

    upstream.handler = handler
    sock = tls_through_proxy(proxy.address, API_HOST, proxy.ca_path, timeout=WAIT)
    with sock:
        sock.sendall(
            f"POST /v1/upload HTTP/1.1\r\nHost: {API_HOST}\r\nContent-Length: {size}\r\n"
            "Content-Type: application/octet-stream\r\n\r\n".encode()
        )
        block = os.urandom(64 * 1024)
        sent = 0
        while sent < size - len(block):
            sock.sendall(block)
            sent += len(block)
        # The request head is upstream; none of the body is, however long it waits (a wrong
        # proxy could only pass this by being slow, never fail a right one).
        assert started.wait(WAIT), "the request head never reached the upstream"
        time.sleep(0.5)
        assert total["n"] == 0, "body bytes left before the client's last byte"
        sock.sendall(block[: size - sent])
        status, _, body = read_response(sock)
    assert status == 200
    assert body == b"got %d" % size
    assert upstream.requests[0].complete


def test_sse_events_reach_the_client_one_by_one(
    proxy: ProxyProcess, upstream: FakeUpstream
) -> None:
    events = [
        b'event: message_start\ndata: {"type":"message_start"}\n\n',
        b'event: content_block_delta\ndata: {"type":"content_block_delta","delta":'
        b'{"type":"text_delta","text":"Hello"}}\n\n',
        b'event: content_block_delta\ndata: {"type":"content_block_delta","delta":'
        b'{"type":"text_delta","text":" world"}}\n\n',
        b'event: message_stop\ndata: {"type":"message_stop"}\n\n',
    ]
    acks = [threading.Event() for _ in events]
    upstream_waited = []

    def handler(ex: ServerExchange) -> None:
        ex.read_body()
        ex.start_chunked(200, [("content-type", "text/event-stream")])
        for i, event in enumerate(events):
            ex.send_chunk(event)
            # The next event is sent only once the client has this one.
            upstream_waited.append(ex.wait(acks[i], WAIT))
        ex.end_chunked()

    upstream.handler = handler
    sock = tls_through_proxy(proxy.address, API_HOST, proxy.ca_path, timeout=WAIT)
    with sock:
        body = b'{"stream": true}'
        sock.sendall(
            f"POST /v1/messages HTTP/1.1\r\nHost: {API_HOST}\r\nContent-Length: {len(body)}\r\n"
            "Content-Type: application/json\r\n\r\n".encode()
            + body
        )
        f = sock.makefile("rb")
        status = f.readline()
        assert b" 200 " in status
        while f.readline() not in (b"\r\n", b""):
            pass
        received = b""
        for i, event in enumerate(events):
            while event not in received:
                size = int(f.readline().split(b";")[0], 16)
                received += f.read(size)
                f.readline()
            acks[i].set()
        assert int(f.readline(), 16) == 0
        f.close()
    assert received == b"".join(events)
    assert upstream_waited == [True] * len(events)
