"""HTTP/2 flow control as backpressure, and many streams on one connection.

Responses stream under the client's flow control; a request body is taken whole (bounded by
--max-body-bytes) before any of it goes upstream.

Every wait here is on an event — a byte count reached, a sender blocked on its window, a
request arrived — never on a timer: a stalled stream is proven stalled by the client having
exactly its window's worth of data and the upstream's sender being blocked, not by a pause.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import API_HOST
from fake_anthropic import FakeAnthropic
from support.h2client import ClientStream, H2Client
from support.inproc import InProcessProxy, test_config
from support.testca import TestCA
from support.upstream import FakeUpstream, ServerExchange
from support.upstream_h2 import H2ServerExchange, H2Upstream

from proxy import upstream_h2

WAIT = 20.0
INSTANCE = "i-0f3a9c27b81d4e605"
ACCESS_KEY = "AKIAZ7QX4M2PLW9RTYUV"
CLIENT_WINDOW = 65535  # the client's initial stream window (HTTP/2 default)
SLOW_BODY = bytes(range(256)) * (2 * 1024 * 1024 // 256)  # 2 MiB, position-checkable

Upstream = FakeUpstream | H2Upstream


@pytest.fixture
def run_proxy(tmp_path: Path, test_ca: TestCA) -> Iterator[Callable[..., InProcessProxy]]:
    started: list[InProcessProxy] = []

    def run(up: Upstream, **kw: object) -> InProcessProxy:
        config = test_config(tmp_path / "state", test_ca.cert_path, (API_HOST, up.port), **kw)
        p = InProcessProxy(config).__enter__()
        started.append(p)
        return p

    yield run
    for p in started:
        p.__exit__()


def echo_ids(request: dict) -> list[dict]:
    """The fake model repeats the ids it saw (surrogates, upstream of the proxy)."""
    text = json.dumps(request["messages"])
    seen = [w.strip(".,\"'") for w in text.split() if w.startswith(("i-", "AKIA"))]
    return [{"type": "text", "text": "Seen: " + " ".join(seen)}]


def post_body(n: int) -> bytes:
    return json.dumps(
        {
            "model": "m",
            "max_tokens": 8,
            "messages": [{"role": "user", "content": f"#{n}: stop {INSTANCE} key {ACCESS_KEY}"}],
        }
    ).encode()


def test_fifty_streams_complete_while_one_is_stalled(
    run_proxy: Callable[..., InProcessProxy], any_upstream: Upstream
) -> None:
    up = any_upstream
    stalled = threading.Event()
    fake = FakeAnthropic(echo_ids)
    slow: dict[str, H2ServerExchange | ServerExchange] = {}

    def handler(ex: ServerExchange | H2ServerExchange) -> None:
        if ex.request.target == "/slow":
            ex.read_body()
            slow["ex"] = ex
            ex.start_chunked(200, [("content-type", "application/octet-stream")])
            for i in range(0, len(SLOW_BODY), 16384):
                ex.send_chunk(SLOW_BODY[i : i + 16384])
            ex.end_chunked()
            return
        # The fast ones answer only once the slow stream is proven stalled.
        ex.wait(stalled, WAIT)
        fake(ex)  # type: ignore[arg-type]

    up.handler = handler  # type: ignore[assignment]
    p = run_proxy(up)
    with H2Client(p.address, API_HOST, p.ca_path, timeout=WAIT) as c:
        slow_id = c.request("GET", "/slow", auto_ack=False)
        fast_ids = [
            c.request(
                "POST",
                "/v1/messages",
                [("content-type", "application/json")],
                post_body(n),
            )
            for n in range(49)
        ]
        slow_stream = c.streams[slow_id]
        # Stalled: the client holds exactly its window's worth and acknowledges nothing.
        c.run_until(lambda: len(slow_stream.data) >= CLIENT_WINDOW)
        assert len(slow_stream.data) == CLIENT_WINDOW
        if isinstance(up, H2Upstream):
            # ...and the backpressure reached the upstream: its sender is blocked on the
            # proxy's window, having sent a bounded amount, not the whole body.
            assert up.wait_requests(50)
            assert slow["ex"].blocked.wait(WAIT)  # type: ignore[union-attr]
            bound = CLIENT_WINDOW + upstream_h2.STREAM_WINDOW + 2 * 16384
            assert slow["ex"].sent <= bound  # type: ignore[union-attr]
            assert up.connections == 1  # all fifty multiplexed on one upstream connection
            assert up.conns[0].max_open == 50
        started = time.monotonic()
        stalled.set()
        c.run_until(lambda: all(c.streams[s].done for s in fast_ids))
        elapsed = time.monotonic() - started
        for s in fast_ids:
            stream = c.streams[s]
            assert stream.status == 200, stream.data[:200]
            text = json.loads(stream.data)["content"][0]["text"]
            assert INSTANCE in text and ACCESS_KEY in text
        # The slow stream did not move while the others completed.
        assert len(slow_stream.data) == CLIENT_WINDOW and not slow_stream.done
        kind = "HTTP/2" if isinstance(up, H2Upstream) else "HTTP/1.1"
        held = (
            f"; upstream sent {slow['ex'].sent} of {len(SLOW_BODY)} bytes"  # type: ignore[union-attr]
            if kind == "HTTP/2"
            else ""
        )
        # Figures for the record (pytest -s), not assertions.
        print(f"\n{kind} upstream: 49 streams completed in {elapsed * 1000:.1f} ms{held}")
        c.ack(slow_id)
        c.response(slow_id)
    assert slow_stream.status == 200 and slow_stream.ended
    assert bytes(slow_stream.data) == SLOW_BODY
    for raw, _ in fake.messages:
        assert INSTANCE.encode() not in raw and ACCESS_KEY.encode() not in raw


def test_an_upload_is_held_whole_and_reaches_a_slow_upstream_whole(
    run_proxy: Callable[..., InProcessProxy], h2_upstream: H2Upstream
) -> None:
    """A request body is recognized over its whole length before any of it leaves (DESIGN
    invariant 2): the proxy takes the client's upload (bounded by --max-body-bytes), the
    upstream gets the request head and no body byte until the client's last one, then all."""
    up = h2_upstream
    up.reset()
    reading = threading.Event()
    arrived = threading.Event()
    seen: dict[str, H2ServerExchange] = {}

    def handler(ex: H2ServerExchange) -> None:
        seen["ex"] = ex
        arrived.set()
        ex.wait(reading, WAIT)
        body = ex.read_body()
        ex.respond(200, str(len(body)).encode())

    up.handler = handler
    p = run_proxy(up)
    body = bytes(range(256)) * (4 * 1024 * 1024 // 256)
    with H2Client(p.address, API_HOST, p.ca_path, timeout=WAIT) as c:
        sid = c.request(
            "POST", "/upload", [("content-type", "application/octet-stream")], end=False
        )
        c.send_body(sid, body[:-1000], end=False)
        assert arrived.wait(WAIT), "the request head never reached the upstream"
        with contextlib.suppress(TimeoutError):
            c.pump(timeout=0.5)
        assert seen["ex"].received == 0, "body bytes left before the client's last byte"
        c.send_body(sid, body[-1000:])
        reading.set()
        stream = c.response(sid)
    assert stream.status == 200
    assert int(stream.data) == len(body)
    assert bytes(up.requests[0].body) == body


def test_upstream_stream_limit_is_honoured(
    run_proxy: Callable[..., InProcessProxy], test_ca: TestCA
) -> None:
    """An upstream that allows 10 concurrent streams never sees an 11th: the proxy opens
    another connection for the rest."""
    release = threading.Event()

    def handler(ex: H2ServerExchange) -> None:
        ex.read_body()
        ex.wait(release, WAIT)
        ex.respond(200, ex.request.target.encode())

    with H2Upstream(test_ca.issue(API_HOST), handler, max_concurrent_streams=10) as up:
        p = run_proxy(up)
        with H2Client(p.address, API_HOST, p.ca_path, timeout=WAIT) as c:
            ids = [c.request("GET", f"/r/{n}") for n in range(30)]
            assert up.wait_requests(30, WAIT)
            assert up.protocol_errors == []
            assert all(conn.max_open <= 10 for conn in up.conns)
            assert up.connections == 3
            release.set()
            for n, sid in enumerate(ids):
                stream = c.response(sid)
                assert stream.status == 200
                assert bytes(stream.data) == f"/r/{n}".encode()


def test_client_reset_aborts_the_upstream_request(
    run_proxy: Callable[..., InProcessProxy], any_upstream: Upstream
) -> None:
    """A client that resets its stream mid-upload leaves the upstream with an incomplete
    request (fail closed), and the connection keeps serving other streams."""
    up = any_upstream
    p = run_proxy(up)
    body = b'{"messages": "' + b"x" * 5000 + b'"}'
    with H2Client(p.address, API_HOST, p.ca_path, timeout=WAIT) as c:
        sid = c.request(
            "POST",
            "/v1/messages",
            [("content-type", "application/json"), ("content-length", str(len(body)))],
            end=False,
        )
        c.send_body(sid, body[:-10], end=False)
        assert up.wait_requests(1, WAIT)
        c.h2.reset_stream(sid, 0x8)
        c.flush()
        other = c.request("GET", "/after")
        assert c.response(other).status == 200
    req = up.requests[0]
    assert not req.complete
    assert len(req.body) < len(body)


def test_a_reset_stream_over_the_limit_does_not_cost_the_connection(
    run_proxy: Callable[..., InProcessProxy], upstream: FakeUpstream
) -> None:
    """A client that has not yet seen the proxy's SETTINGS opens more streams than
    --max-concurrent-streams and resets the extra one, all in one write: the extra stream is
    refused (or already closed) and every stream within the limit is served."""
    from proxy.config import Limits

    p = run_proxy(upstream, limits=Limits(max_concurrent_streams=3))
    with H2Client(p.address, API_HOST, p.ca_path, timeout=WAIT) as c:
        ids = []
        for n in range(4):
            sid = c.h2.get_next_available_stream_id()
            c.h2.send_headers(
                sid,
                [
                    (b":method", b"GET"),
                    (b":scheme", b"https"),
                    (b":authority", API_HOST.encode()),
                    (b":path", f"/s{n}".encode()),
                ],
                end_stream=True,
            )
            c.streams[sid] = ClientStream(sid)
            ids.append(sid)
        c.h2.reset_stream(ids[-1], 0x8)
        c.flush()  # headers of four streams and the reset in one write
        for sid in ids[:-1]:
            assert c.response(sid).status == 200
        assert c.terminated is None
