"""DESIGN invariants 7 and 9 through the real proxy: a request that cannot be masked is not
forwarded (the client gets an error in the API's format, the upstream never a complete
request), and no original value reaches a log line or an error message."""

from __future__ import annotations

import gzip
import json
import threading
from pathlib import Path

import pytest
from conftest import API_HOST, routing_args
from support.clients import read_response, tls_through_proxy
from support.inproc import InProcessProxy, test_config
from support.testca import TestCA
from support.upstream import FakeUpstream, ServerExchange

from masking.engine import Engine, RequestMasker
from proxy.masking_pipeline import MaskingPipeline

SECRET = "AKIAJ4QWERTY7ZXCVB2N"
INSTANCE = "i-0a1b2c3d4e5f60718"


def post(address, cafile: Path, body: bytes, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    sock = tls_through_proxy(address, API_HOST, cafile, timeout=15)
    with sock:
        lines = [
            "POST /v1/messages HTTP/1.1",
            f"Host: {API_HOST}",
            "Content-Type: application/json",
            f"Content-Length: {len(body)}",
        ]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        return read_response(sock)


def api_error(body: bytes, error_type: str) -> str:
    doc = json.loads(body)
    assert doc["type"] == "error" and doc["error"]["type"] == error_type
    assert doc["error"]["message"].startswith("maskproxy: ")
    return doc["error"]["message"]


def assert_never_complete_nor_original(upstream: FakeUpstream) -> None:
    for r in upstream.requests:
        assert not r.complete
        assert SECRET.encode() not in r.raw and INSTANCE.encode() not in r.raw


def message(text: str) -> bytes:
    return json.dumps(
        {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": text}]}
    ).encode()


@pytest.mark.parametrize("encoding", ["gzip", "br", "zstd", "x-custom"])
def test_a_compressed_request_body_is_refused(proxy, upstream: FakeUpstream, encoding: str) -> None:  # type: ignore[no-untyped-def]
    body = gzip.compress(message(f"rotate {SECRET}"))
    status, _, data = post(proxy.address, proxy.ca_path, body, {"Content-Encoding": encoding})
    assert status == 415
    assert encoding in api_error(data, "invalid_request_error")
    assert_never_complete_nor_original(upstream)


def test_malformed_json_is_refused_after_a_masked_prefix(proxy, upstream: FakeUpstream) -> None:  # type: ignore[no-untyped-def]
    good = message(f"stop {INSTANCE} with {SECRET} " + "padding " * 20000)
    body = good[:-2] + b", oops}"  # the error sits at the very end
    status, _, data = post(proxy.address, proxy.ca_path, body)
    assert status == 400
    assert "JSON" in api_error(data, "invalid_request_error")
    assert_never_complete_nor_original(upstream)


def test_an_oversize_body_is_refused(start_proxy, test_ca: TestCA, upstream: FakeUpstream) -> None:  # type: ignore[no-untyped-def]
    small = start_proxy([*routing_args(test_ca, (API_HOST, upstream)), "--max-body-bytes", "4096"])
    status, _, data = post(small.address, small.ca_path, message(SECRET + " x" * 4000))
    assert status == 413
    api_error(data, "request_too_large")
    assert_never_complete_nor_original(upstream)


class BrokenEngine(Engine):
    """Its maskers fail when the body is complete, as an engine bug would."""

    def request(self, method: str, host: str, path: str, content_type: str) -> RequestMasker:
        masker = super().request(method, host, path, content_type)

        def finish() -> bytes:
            raise MemoryError("engine bug")

        masker.finish = finish  # type: ignore[method-assign]
        return masker


def test_an_engine_failure_is_refused(
    tmp_path: Path, test_ca: TestCA, upstream: FakeUpstream
) -> None:
    pipeline = MaskingPipeline(BrokenEngine(bytes(32)))
    config = test_config(tmp_path / "state", test_ca.cert_path, (API_HOST, upstream.port))
    with InProcessProxy(config, pipeline) as p:
        status, _, data = post(p.address, p.ca_path, message(f"{SECRET} " * 20000))
    assert status == 500
    assert "MemoryError" in api_error(data, "api_error")
    assert_never_complete_nor_original(upstream)


def test_an_upstream_reset_mid_stream_cuts_the_client(proxy, upstream: FakeUpstream) -> None:  # type: ignore[no-untyped-def]
    sent = threading.Event()

    def handler(ex: ServerExchange) -> None:
        ex.read_body()
        ex.start_chunked(200, [("content-type", "text/event-stream")])
        ex.send_chunk(b'event: message_start\ndata: {"type":"message_start"}\n\n')
        sent.set()
        ex.close_after = True
        ex.conn.close()

    upstream.handler = handler
    with pytest.raises((ConnectionError, ValueError)):
        post(proxy.address, proxy.ca_path, message(f"stop {INSTANCE}"))
    assert sent.is_set()
    (req,) = upstream.requests
    assert req.complete and INSTANCE.encode() not in req.raw


def test_logs_name_types_and_counts_never_values(proxy, upstream: FakeUpstream) -> None:  # type: ignore[no-untyped-def]
    def handler(ex: ServerExchange) -> None:
        ex.read_body()
        ex.respond_json({"ok": True})

    upstream.handler = handler
    status, _, _ = post(
        proxy.address,
        proxy.ca_path,
        message(f"stop {INSTANCE} key {SECRET}"),
        {"x-api-key": "sk-ant-api03-LOGSECRET"},
    )
    assert status == 200
    assert proxy.wait_log("aws_ec2_instance_id")
    log = proxy.log()
    for value in (INSTANCE, SECRET, INSTANCE[2:], SECRET[4:], "LOGSECRET"):
        assert value not in log
