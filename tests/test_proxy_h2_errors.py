"""HTTP/2 when things go wrong: GOAWAY from either side mid-flight, malformed frames, an
exchange that refuses (fail closed), and the limits.

The proxy runs in-process so a test can pick its pipeline and limits, start a graceful stop,
and wait for the proxy's own log records as events.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import h2.events
import pytest
from conftest import API_HOST
from h2.errors import ErrorCodes
from hyperframe.frame import GoAwayFrame
from support.h2client import H2Client, raw_h2_connection
from support.inproc import InProcessProxy, test_config
from support.testca import TestCA
from support.upstream import FakeUpstream, ServerExchange
from support.upstream_h2 import H2ServerExchange, H2Upstream

from proxy.config import Limits
from proxy.pipeline import Exchange, ExchangeRefused, Pipeline, RequestHead, ResponseHead

WAIT = 20.0
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
SETTINGS_EMPTY = b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"

Upstream = FakeUpstream | H2Upstream
Handler = Callable[[ServerExchange | H2ServerExchange], None]


@pytest.fixture
def h2_up(h2_upstream: H2Upstream) -> H2Upstream:
    h2_upstream.reset()
    return h2_upstream


@pytest.fixture
def run_proxy(tmp_path: Path, test_ca: TestCA) -> Iterator[Callable[..., InProcessProxy]]:
    started: list[InProcessProxy] = []

    def run(up: Upstream, pipeline: Pipeline | None = None, **kw: object) -> InProcessProxy:
        config = test_config(tmp_path / "state", test_ca.cert_path, (API_HOST, up.port), **kw)
        p = InProcessProxy(config, pipeline).__enter__()
        started.append(p)
        return p

    yield run
    for p in started:
        p.__exit__()


class LogEvent(logging.Handler):
    """Sets an event when the proxy logs a record containing ``text``."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
        self.seen = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if self.text in record.getMessage():
            self.seen.set()


@pytest.fixture
def proxy_log() -> Iterator[Callable[[str], threading.Event]]:
    logger = logging.getLogger("maskproxy")
    handlers: list[LogEvent] = []
    level = logger.level
    logger.setLevel(logging.INFO)

    def watch(text: str) -> threading.Event:
        handler = LogEvent(text)
        logger.addHandler(handler)
        handlers.append(handler)
        return handler.seen

    yield watch
    for h in handlers:
        logger.removeHandler(h)
    logger.setLevel(level)


def streaming_handler(first_sent: threading.Event, go: threading.Event) -> Handler:
    """``/slow`` sends one chunk, waits for ``go``, then the rest; anything else echoes."""

    def handler(ex: ServerExchange | H2ServerExchange) -> None:
        ex.read_body()
        if ex.request.target == "/slow":
            ex.start_chunked(200, [("content-type", "text/plain")])
            ex.send_chunk(b"first;")
            first_sent.set()
            ex.wait(go, WAIT)
            ex.send_chunk(b"second;")
            ex.end_chunked()
        else:
            ex.respond(200, ex.request.target.encode(), [("content-type", "text/plain")])

    return handler


# -- GOAWAY ---------------------------------------------------------------------------------


def test_upstream_goaway_finishes_in_flight_and_opens_no_new_stream(
    run_proxy: Callable[..., InProcessProxy],
    h2_up: H2Upstream,
    proxy_log: Callable[[str], threading.Event],
) -> None:
    first_sent, go = threading.Event(), threading.Event()
    h2_up.handler = streaming_handler(first_sent, go)  # type: ignore[assignment]
    p = run_proxy(h2_up)
    goaway_seen = proxy_log("sent GOAWAY")
    with H2Client(p.address, API_HOST, p.ca_path, timeout=WAIT) as c:
        slow = c.request("GET", "/slow")
        c.run_until(lambda: b"first;" in c.streams[slow].data)
        first_conn = h2_up.requests[0].connection
        h2_up.goaway(first_conn)  # last stream: the one in flight
        assert goaway_seen.wait(WAIT)
        after = c.request("GET", "/after")
        assert c.response(after).status == 200
        go.set()
        stream = c.response(slow)
    assert stream.status == 200 and stream.ended
    assert bytes(stream.data) == b"first;second;"
    # The request after the GOAWAY went on a new connection.
    by_target = {r.target: r for r in h2_up.requests}
    assert by_target["/after"].connection != first_conn
    assert h2_up.protocol_errors == []


def test_upstream_goaway_fails_streams_it_did_not_take(
    run_proxy: Callable[..., InProcessProxy],
    h2_up: H2Upstream,
    proxy_log: Callable[[str], threading.Event],
) -> None:
    first_sent, go = threading.Event(), threading.Event()
    held = threading.Event()

    def handler(ex: H2ServerExchange) -> None:
        if ex.request.target == "/held":
            ex.read_body()
            held.set()
            ex.wait(go, WAIT)
            ex.respond(200, b"too late")
            return
        streaming_handler(first_sent, go)(ex)

    h2_up.handler = handler
    p = run_proxy(h2_up)
    goaway_seen = proxy_log("sent GOAWAY")
    with H2Client(p.address, API_HOST, p.ca_path, timeout=WAIT) as c:
        slow = c.request("GET", "/slow")
        c.run_until(lambda: b"first;" in c.streams[slow].data)
        held_id = c.request("GET", "/held")
        assert held.wait(WAIT)
        reqs = {r.target: r for r in h2_up.requests}
        # GOAWAY naming only the first stream: the second was "never processed".
        h2_up.goaway(reqs["/slow"].connection, last_stream_id=reqs["/slow"].stream_id)
        assert goaway_seen.wait(WAIT)
        refused = c.response(held_id)
        go.set()
        stream = c.response(slow)
    assert refused.status == 502
    assert b"not processed" in refused.data
    assert bytes(stream.data) == b"first;second;"


def test_draining_proxy_sends_goaway_and_finishes_in_flight_streams(
    run_proxy: Callable[..., InProcessProxy], any_upstream: Upstream
) -> None:
    first_sent, go = threading.Event(), threading.Event()
    any_upstream.handler = streaming_handler(first_sent, go)  # type: ignore[assignment]
    p = run_proxy(any_upstream)
    c = H2Client(p.address, API_HOST, p.ca_path, timeout=WAIT)
    try:
        slow = c.request("GET", "/slow")
        c.run_until(lambda: b"first;" in c.streams[slow].data)
        stopping = p.begin_stop(grace=WAIT)
        c.run_until(lambda: c.terminated is not None)
        assert c.terminated is not None
        assert c.terminated.error_code == ErrorCodes.NO_ERROR
        assert c.terminated.last_stream_id == slow
        late = c.request("GET", "/late")  # after GOAWAY: refused, never forwarded
        c.run_until(lambda: c.streams[late].done)
        assert c.streams[late].reset_code == ErrorCodes.REFUSED_STREAM
        go.set()
        stream = c.response(slow)
        assert bytes(stream.data) == b"first;second;"
        with pytest.raises(ConnectionError):
            c.run_until(lambda: False)  # the proxy closes once the last stream is done
        stopping.result(WAIT)
    finally:
        c.close()
    assert "/late" not in [r.target for r in any_upstream.requests]


def test_client_goaway_lets_open_streams_finish(
    run_proxy: Callable[..., InProcessProxy], any_upstream: Upstream
) -> None:
    first_sent, go = threading.Event(), threading.Event()
    any_upstream.handler = streaming_handler(first_sent, go)  # type: ignore[assignment]
    p = run_proxy(any_upstream)
    with H2Client(p.address, API_HOST, p.ca_path, timeout=WAIT) as c:
        slow = c.request("GET", "/slow")
        c.run_until(lambda: b"first;" in c.streams[slow].data)
        # Written raw: the client's h2 would refuse to read anything after its own GOAWAY.
        c.send_raw(GoAwayFrame(0, last_stream_id=0, error_code=0).serialize())
        go.set()
        stream = c.response(slow)
        assert bytes(stream.data) == b"first;second;"
        with pytest.raises(ConnectionError):
            c.run_until(lambda: False)


# -- malformed frames -------------------------------------------------------------------------


def frame(ftype: int, flags: int, stream_id: int, payload: bytes) -> bytes:
    return (
        len(payload).to_bytes(3, "big")
        + bytes([ftype, flags])
        + stream_id.to_bytes(4, "big")
        + payload
    )


MALFORMED = {
    "data-on-stream-0": (frame(0x0, 0x0, 0, b"abc"), ErrorCodes.PROTOCOL_ERROR),
    "headers-on-even-stream": (frame(0x1, 0x4, 2, b"\x82\x87\x84"), ErrorCodes.PROTOCOL_ERROR),
    "zero-window-increment": (frame(0x8, 0x0, 0, b"\x00\x00\x00\x00"), ErrorCodes.PROTOCOL_ERROR),
    "continuation-alone": (frame(0x9, 0x4, 1, b"\x82"), ErrorCodes.PROTOCOL_ERROR),
    "headers-bad-hpack": (frame(0x1, 0x5, 1, b"\xff\xff\xff\xff"), ErrorCodes.COMPRESSION_ERROR),
    "ping-of-seven-bytes": (frame(0x6, 0x0, 0, b"1234567"), ErrorCodes.FRAME_SIZE_ERROR),
}


def read_goaway(sock) -> int | None:  # type: ignore[no-untyped-def]  # noqa: ANN001
    """Read frames until GOAWAY (its error code) or the end of the connection (None)."""
    buf = b""
    while True:
        while len(buf) >= 9:
            length = int.from_bytes(buf[:3], "big")
            if len(buf) < 9 + length:
                break
            ftype, payload = buf[3], buf[9 : 9 + length]
            buf = buf[9 + length :]
            if ftype == 0x7:
                return int.from_bytes(payload[4:8], "big")
        try:
            data = sock.recv(65536)
        except (ConnectionError, OSError):
            return None
        if not data:
            return None
        buf += data


@pytest.mark.parametrize("name", list(MALFORMED))
def test_malformed_frames_close_the_connection_with_the_right_code(
    run_proxy: Callable[..., InProcessProxy], upstream: FakeUpstream, name: str
) -> None:
    p = run_proxy(upstream)
    raw, code = MALFORMED[name]
    sock = raw_h2_connection(p.address, API_HOST, p.ca_path, timeout=WAIT)
    try:
        sock.sendall(PREFACE + SETTINGS_EMPTY + raw)
        assert read_goaway(sock) == code
        # ...and the connection ends.
        assert sock.recv(65536) == b""
    finally:
        sock.close()
    # The proxy still serves.
    with H2Client(p.address, API_HOST, p.ca_path, timeout=WAIT) as c:
        assert c.response(c.request("GET", "/ok")).status == 200
    assert upstream.requests[-1].target == "/ok"


def test_garbage_instead_of_the_preface(
    run_proxy: Callable[..., InProcessProxy], upstream: FakeUpstream
) -> None:
    p = run_proxy(upstream)
    sock = raw_h2_connection(p.address, API_HOST, p.ca_path, timeout=WAIT)
    try:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_goaway(sock) == ErrorCodes.PROTOCOL_ERROR
    finally:
        sock.close()
    with H2Client(p.address, API_HOST, p.ca_path, timeout=WAIT) as c:
        assert c.response(c.request("GET", "/ok")).status == 200


# -- failing closed ---------------------------------------------------------------------------


class Refusing(Exchange):
    """Refuses at ``step`` (the ``nth`` time it is reached)."""

    def __init__(self, step: str, nth: int = 1) -> None:
        super().__init__()
        self.step = step
        self.nth = nth
        self.count = 0

    def _at(self, step: str) -> None:
        if step == self.step:
            self.count += 1
            if self.count == self.nth:
                raise ExchangeRefused(422, "invalid_request_error", f"refused at {step}")

    def request_head(self, head: RequestHead) -> RequestHead:
        self._at("request_head")
        return head

    def request_data(self, data: bytes) -> bytes:
        self._at("request_data")
        return data

    def request_end(self) -> bytes:
        self._at("request_end")
        return b""

    def response_head(self, head: ResponseHead) -> ResponseHead:
        self._at("response_head")
        return head

    def response_data(self, data: bytes) -> bytes:
        self._at("response_data")
        return data


class RefusingPipeline(Pipeline):
    def __init__(self, step: str, nth: int = 1) -> None:
        self.step = step
        self.nth = nth

    def open_exchange(self, head: RequestHead) -> Exchange:
        return Refusing(self.step, self.nth)


@pytest.mark.parametrize("step", ["request_head", "request_data", "request_end", "response_head"])
def test_refusal_before_the_response_answers_with_the_error(
    run_proxy: Callable[..., InProcessProxy], any_upstream: Upstream, step: str
) -> None:
    up = any_upstream
    p = run_proxy(up, RefusingPipeline(step))
    body = b'{"messages": "' + b"x" * 200_000 + b'"}'
    with H2Client(p.address, API_HOST, p.ca_path, timeout=WAIT) as c:
        sid = c.request(
            "POST",
            "/v1/messages",
            [("content-type", "application/json"), ("content-length", str(len(body)))],
            body,
        )
        stream = c.response(sid)
        # The connection still serves other streams.
        p_ok = c.request("GET", "/ok")
        c.response(p_ok)
    assert stream.status == 422
    error = json.loads(stream.data)
    assert error["type"] == "error"
    assert error["error"]["message"] == f"maskproxy: refused at {step}"
    posts = [r for r in up.requests if r.method == "POST"]
    if step == "request_head":
        assert posts == []
    elif step == "response_head":
        assert posts and posts[0].complete  # accepted; only the response was withheld
    else:
        for req in posts:
            assert not req.complete
            assert len(req.body) < len(body)


def test_refusal_mid_response_resets_the_stream(
    run_proxy: Callable[..., InProcessProxy], any_upstream: Upstream
) -> None:
    first_sent, go = threading.Event(), threading.Event()
    any_upstream.handler = streaming_handler(first_sent, go)  # type: ignore[assignment]
    p = run_proxy(any_upstream, RefusingPipeline("response_data", nth=2))
    with H2Client(p.address, API_HOST, p.ca_path, timeout=WAIT) as c:
        sid = c.request("GET", "/slow")
        c.run_until(lambda: b"first;" in c.streams[sid].data)
        go.set()
        stream = c.response(sid)
        assert c.response(c.request("GET", "/ok")).status == 200
    assert stream.status == 200
    assert stream.reset_code == ErrorCodes.INTERNAL_ERROR
    assert bytes(stream.data) == b"first;"


# -- limits -----------------------------------------------------------------------------------


def test_header_list_over_the_limit_is_431(
    run_proxy: Callable[..., InProcessProxy], upstream: FakeUpstream
) -> None:
    p = run_proxy(upstream, limits=Limits(max_header_bytes=4096))
    with H2Client(p.address, API_HOST, p.ca_path, timeout=WAIT) as c:
        big = c.request("GET", "/big", [("x-big", "a" * 5000)])
        assert c.response(big).status == 431
        assert c.response(c.request("GET", "/ok")).status == 200
    assert [r.target for r in upstream.requests] == ["/ok"]


def test_body_over_the_limit_is_413(
    run_proxy: Callable[..., InProcessProxy], any_upstream: Upstream
) -> None:
    up = any_upstream
    p = run_proxy(up, limits=Limits(max_body_bytes=1000))
    with H2Client(p.address, API_HOST, p.ca_path, timeout=WAIT) as c:
        declared = c.request("POST", "/v1/messages", [("content-length", "2000")], b"x" * 2000)
        assert c.response(declared).status == 413
        streamed = c.request("POST", "/v1/messages", [], b"x" * 2000)  # no Content-Length
        stream = c.response(streamed)
        assert stream.status == 413
        assert b"--max-body-bytes" in stream.data
    assert all(not r.complete for r in up.requests)


def test_streams_over_the_limit_are_refused(
    run_proxy: Callable[..., InProcessProxy], upstream: FakeUpstream
) -> None:
    go = threading.Event()
    upstream.handler = streaming_handler(threading.Event(), go)  # type: ignore[assignment]
    p = run_proxy(upstream, limits=Limits(max_concurrent_streams=2))
    with H2Client(p.address, API_HOST, p.ca_path, timeout=WAIT) as c:
        # Sent before the client has read the proxy's SETTINGS, so it cannot hold back.
        ids = [c.request("GET", "/slow") for _ in range(3)]
        c.run_until(lambda: c.streams[ids[2]].done)
        assert c.streams[ids[2]].reset_code == ErrorCodes.REFUSED_STREAM
        go.set()
        for sid in ids[:2]:
            assert bytes(c.response(sid).data) == b"first;second;"


def test_client_silent_mid_upload_gets_408(
    run_proxy: Callable[..., InProcessProxy], any_upstream: Upstream
) -> None:
    up = any_upstream
    p = run_proxy(up, limits=Limits(read_timeout=0.5))
    with H2Client(p.address, API_HOST, p.ca_path, timeout=WAIT) as c:
        sid = c.request("POST", "/v1/messages", [("content-length", "100")], end=False)
        c.send_body(sid, b"x" * 10, end=False)
        stream = c.response(sid)
    assert stream.status == 408
    assert b"--read-timeout" in stream.data
    assert up.wait_requests(1, WAIT)
    assert not up.requests[0].complete


def test_ping_is_answered_while_a_stream_waits(
    run_proxy: Callable[..., InProcessProxy], upstream: FakeUpstream
) -> None:
    first_sent, go = threading.Event(), threading.Event()
    upstream.handler = streaming_handler(first_sent, go)  # type: ignore[assignment]
    p = run_proxy(upstream)
    with H2Client(p.address, API_HOST, p.ca_path, timeout=WAIT) as c:
        sid = c.request("GET", "/slow")
        c.run_until(lambda: b"first;" in c.streams[sid].data)
        c.h2.ping(b"maskping")
        c.flush()
        acks: list[bytes] = []
        while not acks:
            acks += [e.ping_data for e in c.pump() if isinstance(e, h2.events.PingAckReceived)]
        assert acks == [b"maskping"]
        go.set()
        assert bytes(c.response(sid).data) == b"first;second;"
