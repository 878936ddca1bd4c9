"""What an upstream can make the proxy hold, through the exchange driver (playbooks, no socket).

An event of an event stream is held until it is complete, and a compressed reply is inflated
before it is restored: both are bounded. Over the bound the client gets the end of the stream
as an ``error`` event in the API's format (or, for a reply not yet started, a 502), and the
log record says why. The bounds are lowered here so the tests stay small; the code path is the
one the real sizes take.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import secrets
from pathlib import Path

import pytest
from support.playbook import WAIT, Playbook, Request, UpstreamSaw

import masking.engine
from proxy.masking_pipeline import build_masking_pipeline
from proxy.pipeline import ResponseHead
from proxy.upstream import ResponseEnd

PROTOCOLS = ["h1", "h2"]


def _request() -> Request:
    iid = "i-0" + secrets.token_hex(8)  # something masked, so the reply is restored
    body = json.dumps({"messages": [{"role": "user", "content": f"stop {iid}"}]}).encode()
    return Request(body)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_an_event_over_the_cap_ends_the_stream_with_an_error_event(
    tmp_path: Path, protocol: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(masking.engine, "MAX_EVENT_BYTES", 64 * 1024)
    play = Playbook(build_masking_pipeline({}, tmp_path))
    first = b'event: ping\ndata: {"type": "ping"}\n\n'
    huge = b"data: " + b"x" * 4096

    def stream(saw: UpstreamSaw) -> list[object]:
        head = ResponseHead(200, [(b"content-type", b"text/event-stream")], b"OK")
        # One event that never ends, sent in 4 KB pieces: 1 MB in all.
        return [head, first, *([WAIT, huge] * 256), WAIT, ResponseEnd([])]

    seen = asyncio.run(play.exchange(protocol, _request(), stream))
    body = seen.client.body
    assert body.startswith(first)
    assert body.rstrip().split(b"\n\n")[-1].startswith(b"event: error\ndata: ")
    error = json.loads(body.rstrip().split(b"\n\n")[-1].split(b"data: ", 1)[1])
    assert error["type"] == "error" and error["error"]["type"] == "api_error"
    assert len(body) < 128 * 1024  # the proxy held at most about the cap, never the event
    assert seen.records[0].note  # the log says why


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_reply_that_inflates_past_the_bound_is_refused(
    tmp_path: Path, protocol: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(masking.engine, "MAX_INFLATED_BYTES", 1 << 20)
    play = Playbook(build_masking_pipeline({}, tmp_path))
    bomb = gzip.compress(b" " * (8 << 20))  # 8 MB of spaces in a few KB

    def reply(saw: UpstreamSaw) -> list[object]:
        head = ResponseHead(
            200,
            [(b"content-type", b"application/json"), (b"content-encoding", b"gzip"),
             (b"content-length", b"%d" % len(bomb))],
            b"OK",
        )  # fmt: skip
        return [head, bomb, ResponseEnd([])]

    seen = asyncio.run(play.exchange(protocol, _request(), reply))
    assert seen.client.status == 502
    error = json.loads(seen.client.body)["error"]
    assert "inflates" in error["message"]
    assert seen.records[0].status == 502
