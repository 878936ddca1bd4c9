"""How the driver frames a response whose body the exchange rewrote, through each adapter.

Playbooks with a scripted upstream, no socket. When the upstream gave the body's length and
the exchange dropped it (a restored body may differ in length), the response goes out with the
length of exactly the bytes sent if the whole body was at hand before anything was written;
otherwise (the upstream paused mid-body) without one, chunked on HTTP/1.1. A response the
upstream sent without a length keeps going without one.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from pathlib import Path

import pytest
from support.playbook import WAIT, Playbook, Request, UpstreamSaw, json_reply

from proxy.masking_pipeline import build_masking_pipeline
from proxy.pipeline import Exchange, Pipeline, RequestHead, ResponseHead
from proxy.upstream import ResponseEnd

PROTOCOLS = ["h1", "h2"]


def header(headers: list[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


class Doubling(Exchange):
    """Drops the response's length and doubles every chunk (a body of a new length)."""

    def response_head(self, head: ResponseHead) -> ResponseHead:
        head.headers = [(k, v) for k, v in head.headers if k != b"content-length"]
        return head

    def response_data(self, data: bytes) -> bytes:
        return data + data

    def response_end(self) -> bytes:
        return b"."


class DoublingPipeline(Pipeline):
    def open_exchange(self, head: RequestHead) -> Exchange:
        return Doubling()


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_restored_reply_at_hand_goes_with_its_length(tmp_path: Path, protocol: str) -> None:
    instance = "i-0" + secrets.token_hex(8)
    body = json.dumps({"messages": [{"role": "user", "content": f"stop {instance}"}]}).encode()

    def reply(saw: UpstreamSaw) -> list[object]:
        surrogate = json.loads(saw.body)["messages"][0]["content"].removeprefix("stop ")
        assert surrogate != instance
        return [*json_reply(json.dumps({"text": f"stopped {surrogate}"}).encode())]

    play = Playbook(build_masking_pipeline({}, tmp_path))
    seen = asyncio.run(play.exchange(protocol, Request(body), reply))
    assert seen.client.complete
    assert json.loads(seen.client.body) == {"text": f"stopped {instance}"}
    assert header(seen.client.headers, b"content-length") == b"%d" % len(seen.client.body)
    assert header(seen.client.headers, b"transfer-encoding") is None


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_the_length_given_is_that_of_the_rewritten_body(protocol: str) -> None:
    play = Playbook(DoublingPipeline())
    seen = asyncio.run(play.exchange(protocol, Request(b"{}"), lambda saw: json_reply(b"abc")))
    assert seen.client.complete
    assert seen.client.body == b"abcabc."
    assert header(seen.client.headers, b"content-length") == b"7"


def paused_reply(saw: UpstreamSaw) -> list[object]:
    head = ResponseHead(
        200, [(b"content-type", b"application/json"), (b"content-length", b"6")], b"OK"
    )
    return [head, b"abc", WAIT, b"def", ResponseEnd([])]


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_reply_still_arriving_goes_without_a_length(protocol: str) -> None:
    play = Playbook(DoublingPipeline())
    seen = asyncio.run(play.exchange(protocol, Request(b"{}"), paused_reply))
    assert seen.client.complete
    assert seen.client.body == b"abcabcdefdef."
    assert header(seen.client.headers, b"content-length") is None
    if protocol == "h1":
        assert header(seen.client.headers, b"transfer-encoding") == b"chunked"


def test_a_reply_without_a_length_upstream_stays_chunked() -> None:
    def reply(saw: UpstreamSaw) -> list[object]:
        head = ResponseHead(200, [(b"content-type", b"application/json")], b"OK")
        return [head, b"abc", ResponseEnd([])]

    play = Playbook(DoublingPipeline())
    seen = asyncio.run(play.exchange("h1", Request(b"{}"), reply))
    assert seen.client.complete
    assert seen.client.body == b"abcabc."
    assert header(seen.client.headers, b"content-length") is None
    assert header(seen.client.headers, b"transfer-encoding") == b"chunked"


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_reply_with_trailers_goes_without_a_length(protocol: str) -> None:
    def reply(saw: UpstreamSaw) -> list[object]:
        head = ResponseHead(
            200, [(b"content-type", b"text/plain"), (b"content-length", b"3")], b"OK"
        )
        return [head, b"abc", ResponseEnd([(b"x-checksum", b"1")])]

    play = Playbook(DoublingPipeline())
    request = Request(b"{}", headers=[(b"content-type", b"application/json"), (b"te", b"trailers")])
    seen = asyncio.run(play.exchange(protocol, request, reply))
    assert seen.client.complete
    assert seen.client.body == b"abcabc."
    assert header(seen.client.headers, b"content-length") is None
