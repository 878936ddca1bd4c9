"""How the HTTP/1.1 handler drives an exchange: order, rewriting, re-framing and failing closed.

The proxy runs in-process with test pipelines. The central property: when an exchange refuses
(or fails) at any point, the upstream never receives a complete request and the client gets
the refusal, or a cut connection once its response has started.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import API_HOST
from support.clients import read_response, tls_through_proxy
from support.inproc import InProcessProxy, test_config
from support.testca import TestCA
from support.upstream import FakeUpstream, ServerExchange

from proxy.pipeline import (
    Exchange,
    ExchangeRefused,
    Pipeline,
    RequestHead,
    ResponseHead,
)

WAIT = 15.0


class ScriptedExchange(Exchange):
    """Records the calls it gets and refuses (or breaks) at the step it is told to."""

    def __init__(
        self, calls: list[str], refuse_at: str | None, broken: bool = False, nth: int = 1
    ) -> None:
        super().__init__()
        self.calls = calls
        self.refuse_at = refuse_at
        self.broken = broken
        self.nth = nth

    def _step(self, name: str) -> None:
        self.calls.append(name)
        if name == self.refuse_at and self.calls.count(name) == self.nth:
            if self.broken:
                raise RuntimeError("engine bug")
            raise ExchangeRefused(422, "invalid_request_error", f"refused at {name}")

    def request_head(self, head: RequestHead) -> RequestHead:
        self._step("request_head")
        return head

    def request_data(self, data: bytes) -> bytes:
        self._step("request_data")
        return data

    def request_end(self) -> bytes:
        self._step("request_end")
        return b""

    def response_head(self, head: ResponseHead) -> ResponseHead:
        self._step("response_head")
        return head

    def response_data(self, data: bytes) -> bytes:
        self._step("response_data")
        return data

    def response_end(self) -> bytes:
        self._step("response_end")
        return b""


class ScriptedPipeline(Pipeline):
    def __init__(self, make: Callable[[list[str]], Exchange]) -> None:
        self.calls: list[str] = []
        self.heads: list[RequestHead] = []
        self.make = make

    def open_exchange(self, head: RequestHead) -> Exchange:
        self.heads.append(head)
        return self.make(self.calls)


@pytest.fixture
def run_proxy(
    tmp_path: Path, test_ca: TestCA, upstream: FakeUpstream
) -> Iterator[Callable[[Pipeline], InProcessProxy]]:
    started: list[InProcessProxy] = []

    def run(pipeline: Pipeline, **kw: object) -> InProcessProxy:
        config = test_config(tmp_path / "state", test_ca.cert_path, (API_HOST, upstream.port), **kw)
        proxy = InProcessProxy(config, pipeline).__enter__()
        started.append(proxy)
        return proxy

    yield run
    for p in started:
        p.__exit__()


def _post(proxy: InProcessProxy, body: bytes, *, chunks: int = 1) -> tuple[int, bytes]:
    sock = tls_through_proxy(proxy.address, API_HOST, proxy.ca_path, timeout=WAIT)
    with sock:
        sock.sendall(
            f"POST /v1/messages HTTP/1.1\r\nHost: {API_HOST}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n".encode()
        )
        step = max(1, len(body) // chunks)
        for i in range(0, len(body), step):
            sock.sendall(body[i : i + step])
        try:
            status, _, data = read_response(sock)
        except ConnectionError:
            return 0, b""
    return status, data


def test_exchange_sees_every_step_in_order(run_proxy, upstream: FakeUpstream) -> None:  # noqa: ANN001
    pipeline = ScriptedPipeline(lambda calls: ScriptedExchange(calls, None))
    proxy = run_proxy(pipeline)
    status, _ = _post(proxy, b'{"a": 1}')
    assert status == 200
    # The client can have its last byte before the proxy has called response_end.
    for _ in range(100):
        if pipeline.calls[-1] == "response_end":
            break
        threading.Event().wait(0.05)
    calls = pipeline.calls
    assert calls[0] == "request_head"
    assert calls[-1] == "response_end"
    assert calls.index("request_end") < calls.index("response_head")
    head = pipeline.heads[0]
    assert head.host == API_HOST
    assert head.target == b"/v1/messages"
    assert all(name == name.lower() for name, _ in head.headers)


@pytest.mark.parametrize("step", ["request_head", "request_data", "request_end", "response_head"])
@pytest.mark.parametrize("broken", [False, True], ids=["refused", "engine-error"])
def test_failure_before_the_response_never_completes_the_upstream_request(
    run_proxy,
    upstream: FakeUpstream,
    step: str,
    broken: bool,  # noqa: ANN001
) -> None:
    pipeline = ScriptedPipeline(lambda calls: ScriptedExchange(calls, step, broken))
    proxy = run_proxy(pipeline)
    body = b'{"messages": "' + b"x" * 200_000 + b'"}'
    status, data = _post(proxy, body, chunks=4)
    if broken:
        assert status == 500
        assert b"internal error" in data
    else:
        assert status == 422
        assert b'"type": "invalid_request_error"' in data
        assert f"refused at {step}".encode() in data
    if step == "request_head":
        assert upstream.requests == []
    elif step == "response_head":
        # The request was complete (the exchange accepted it); the response was withheld.
        assert upstream.wait_requests(1)
    else:
        # The upstream may have the head and part of the body, never all of it.
        upstream.wait_requests(1, timeout=1)
        for req in upstream.requests:
            assert not req.complete
            assert len(req.body) < len(body)


def test_refusal_mid_response_cuts_the_client(run_proxy, upstream: FakeUpstream) -> None:  # noqa: ANN001
    seen_first = threading.Event()

    def handler(ex: ServerExchange) -> None:
        ex.read_body()
        ex.start_chunked(200, [("content-type", "text/event-stream")])
        ex.send_chunk(b"data: 1\n\n")
        ex.wait(seen_first, WAIT)
        ex.send_chunk(b"data: 2\n\n")
        ex.end_chunked()

    upstream.handler = handler
    pipeline = ScriptedPipeline(lambda calls: ScriptedExchange(calls, "response_data", nth=2))
    proxy = run_proxy(pipeline)
    sock = tls_through_proxy(proxy.address, API_HOST, proxy.ca_path, timeout=WAIT)
    with sock:
        sock.sendall(f"GET / HTTP/1.1\r\nHost: {API_HOST}\r\n\r\n".encode())
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
            if b"data: 1" in received:
                seen_first.set()
    assert received.startswith(b"HTTP/1.1 200")
    assert b"data: 1" in received
    assert b"data: 2" not in received
    assert not received.endswith(b"0\r\n\r\n")


class Rewriting(Exchange):
    """Upper-cases request bodies (same length) and doubles response bodies (new length)."""

    def request_data(self, data: bytes) -> bytes:
        return data.upper()

    def response_head(self, head: ResponseHead) -> ResponseHead:
        head.headers = [(k, v) for k, v in head.headers if k != b"content-length"]
        return head

    def response_data(self, data: bytes) -> bytes:
        return data + data

    def response_end(self) -> bytes:
        self.stats.masked = {"aws_ec2_instance_id": 2, "aws_account_id": 1}
        return b"<end>"


def test_rewrites_and_reframing(
    run_proxy,
    upstream: FakeUpstream,
    caplog: pytest.LogCaptureFixture,  # noqa: ANN001
) -> None:
    def handler(ex: ServerExchange) -> None:
        ex.respond(200, b"[" + ex.read_body() + b"]")

    upstream.handler = handler

    class P(Pipeline):
        def open_exchange(self, head: RequestHead) -> Exchange:
            return Rewriting()

    proxy = run_proxy(P())
    with caplog.at_level(logging.INFO, logger="maskproxy.access"):
        sock = tls_through_proxy(proxy.address, API_HOST, proxy.ca_path, timeout=WAIT)
        with sock:
            sock.sendall(
                f"POST / HTTP/1.1\r\nHost: {API_HOST}\r\nContent-Length: 5\r\n\r\nhello".encode()
            )
            status, headers, body = read_response(sock)
            # Keep-alive survives re-framing: a second request on the same connection.
            sock.sendall(
                f"POST / HTTP/1.1\r\nHost: {API_HOST}\r\nContent-Length: 2\r\n\r\nok".encode()
            )
            status2, _, body2 = read_response(sock)
    assert status == status2 == 200
    # The rewritten body was whole before anything was written: it goes with its own length.
    assert headers["content-length"] == str(len(body))
    assert "transfer-encoding" not in headers
    assert body == b"[HELLO][HELLO]<end>"
    assert body2 == b"[OK][OK]<end>"
    assert bytes(upstream.requests[0].body) == b"HELLO"
    record = next(r for r in caplog.records if r.name == "maskproxy.access")
    assert record.fields["masked"] == {"aws_ec2_instance_id": 2, "aws_account_id": 1}  # type: ignore[attr-defined]


def test_reframing_chunked_when_the_body_is_still_arriving(
    run_proxy,  # noqa: ANN001
    upstream: FakeUpstream,
) -> None:
    client_has_first = threading.Event()

    def handler(ex: ServerExchange) -> None:
        ex.read_body()
        ex.send_raw(b"HTTP/1.1 200 OK\r\ncontent-length: 6\r\n\r\nabc")
        ex.wait(client_has_first, WAIT)
        ex.send_raw(b"def")

    upstream.handler = handler

    class P(Pipeline):
        def open_exchange(self, head: RequestHead) -> Exchange:
            return Rewriting()

    proxy = run_proxy(P())
    sock = tls_through_proxy(proxy.address, API_HOST, proxy.ca_path, timeout=WAIT)
    with sock:
        sock.sendall(f"POST / HTTP/1.1\r\nHost: {API_HOST}\r\nContent-Length: 2\r\n\r\nok".encode())
        received = b""
        while b"abcabc" not in received:
            chunk = sock.recv(65536)
            assert chunk, "the proxy closed before the first part"
            received += chunk
        client_has_first.set()
        while not received.endswith(b"0\r\n\r\n"):
            chunk = sock.recv(65536)
            assert chunk, "the proxy closed before the end"
            received += chunk
    head, _, framed = received.partition(b"\r\n\r\n")
    assert b"transfer-encoding: chunked" in head.lower()
    assert b"content-length" not in head.lower()
    assert framed == b"6\r\nabcabc\r\n6\r\ndefdef\r\n5\r\n<end>\r\n0\r\n\r\n"


def test_body_limit_counts_what_the_client_sent(run_proxy, upstream: FakeUpstream) -> None:  # noqa: ANN001
    from proxy.config import Limits

    proxy = run_proxy(Pipeline(), limits=Limits(max_body_bytes=100))
    status, data = _post(proxy, b"x" * 101)
    assert status == 413
    assert upstream.requests == []
    status, _ = _post(proxy, b"x" * 100)
    assert status == 200
