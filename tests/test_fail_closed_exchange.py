"""Invariant 7, fail closed, in the exchange driver: playbooks over each adapter, no socket.

Whatever stops an exchange — a coding the engine cannot read, a body over the limit, an
engine failure, a refusal of the response — the upstream never receives a complete request
(it is aborted before ``send_end``), and the client gets one error in the API's format, or a
cut response when its response had started.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from support.playbook import Playbook, Request, UpstreamSaw, json_reply, sse_reply

from proxy.config import Limits
from proxy.masking_pipeline import build_masking_pipeline
from proxy.pipeline import Exchange, ExchangeRefused, Pipeline, RequestHead
from proxy.upstream import UpstreamEvent

PROTOCOLS = ["h1", "h2"]
BODY = json.dumps({"messages": [{"role": "user", "content": "hello " * 40}]}).encode()


def _reply(saw: UpstreamSaw) -> list[UpstreamEvent]:
    return json_reply(b'{"type": "message", "content": []}')


def _error(body: bytes) -> dict[str, str]:
    doc = json.loads(body)
    assert doc["type"] == "error"
    return doc["error"]


class _Failing(Pipeline):
    """A pipeline whose exchanges fail at one step."""

    def __init__(self, step: str, error: Exception, after: int = 0) -> None:
        self.step = step
        self.error = error
        self.after = after
        """Response chunks passed before the failure."""

    def open_exchange(self, head: RequestHead) -> Exchange:
        step, error, after = self.step, self.error, self.after

        class Failing(Exchange):
            passed = 0

            def request_end(self) -> bytes:
                if step == "request_end":
                    raise error
                return b""

            def response_data(self, data: bytes) -> bytes:
                if step == "response_data" and self.passed >= after:
                    raise error
                self.passed += 1
                return data

        return Failing()


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_content_coding_is_refused_before_any_upstream(tmp_path: Path, protocol: str) -> None:
    play = Playbook(build_masking_pipeline({}, tmp_path))
    request = Request(BODY, headers=[(b"content-type", b"application/json"),
                                     (b"content-encoding", b"identity, gzip")])  # fmt: skip
    seen = asyncio.run(play.exchange(protocol, request, _reply))
    assert seen.upstream is None
    assert seen.client.status == 415
    assert "Content-Encoding" in _error(seen.client.body)["message"]


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_body_over_the_limit_never_completes_upstream(tmp_path: Path, protocol: str) -> None:
    play = Playbook(build_masking_pipeline({}, tmp_path), limits=Limits(max_body_bytes=100))
    seen = asyncio.run(play.exchange(protocol, Request(BODY, chunk=40), _reply))
    assert seen.client.status == 413
    assert _error(seen.client.body)["type"] == "request_too_large"
    # HTTP/1.1 announces its length and is refused at the head; HTTP/2 here sends none and is
    # refused mid-body, after the upstream exchange started: it is aborted, never completed.
    if seen.upstream is not None:
        assert seen.upstream.aborted and not seen.upstream.ended
        assert len(seen.upstream.body) < len(BODY)
    assert seen.records[0].status == 413


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_an_engine_failure_answers_500_and_aborts_upstream(protocol: str) -> None:
    play = Playbook(_Failing("request_end", RuntimeError("quoting a value")))
    seen = asyncio.run(play.exchange(protocol, Request(BODY, chunk=64), _reply))
    assert seen.client.status == 500
    assert "quoting a value" not in seen.client.body.decode()
    assert seen.upstream is not None and seen.upstream.aborted and not seen.upstream.ended
    assert seen.records[0].note == "internal error: RuntimeError"


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_refused_first_response_chunk_replaces_the_head_with_the_error(protocol: str) -> None:
    refusal = ExchangeRefused(502, "api_error", "the reply cannot be restored")
    play = Playbook(_Failing("response_data", refusal))
    seen = asyncio.run(play.exchange(protocol, Request(BODY), _reply))
    assert seen.client.status == 502
    assert _error(seen.client.body)["message"] == "maskproxy: the reply cannot be restored"
    assert seen.records[0].status == 502


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_refusal_mid_stream_cuts_the_client_response(protocol: str) -> None:
    refusal = ExchangeRefused(502, "api_error", "the reply cannot be restored")
    play = Playbook(_Failing("response_data", refusal, after=2))

    def stream(saw: UpstreamSaw) -> list[object]:
        return sse_reply([b"event: ping\ndata: {}\n\n"] * 5)

    seen = asyncio.run(play.exchange(protocol, Request(BODY), stream))
    assert seen.client.status == 200
    assert seen.client.body == b"event: ping\ndata: {}\n\n" * 2
    assert not seen.client.complete
    assert seen.client.cut or seen.client.reset
    assert seen.records[0].note == "the reply cannot be restored"
